"""Scores, metrics, CIs (same seed) and the store are identical before and after #9.

"Before" is the row-by-row ``Results``/``bootstrap_ci`` kept in ``reference_results.py``;
"after" is the numpy one in ``multitrust.formula``. Both score the same real rows: every
task of the synthetic suite and of the official-layout fixture, answered by the fake
OpenAI-compatible server (hash-based yes/no answers, so scores vary) with the same server as
judge. Both recompute every task from the same stored rows, in the store's order (the order
decides the float summation order, so it must be the same on both sides).
"""

from __future__ import annotations

import io
import json
import math
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage

from multitrust import aggregate, evaluate, types
from multitrust import formula as new
from multitrust.api import RunReport
from multitrust.data.base import DataSource, open_data
from multitrust.store import Store
from multitrust.tasks import all_tasks
from tests.fixtures.official import build_official_fixture
from tests.perf import reference_results as ref
from tests.servers.openai_server import serve

# the whole synth and official-fixture runs (twice) are slow; the identity of the formula
# pieces, the bootstrap draws and randrange on hand-made rows takes about a second: test-fast


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve(mode="thread", answer="yesno") as url:
        yield url


@pytest.fixture(scope="module")
def official_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_official_fixture(tmp_path_factory.mktemp("official") / "data")


@pytest.fixture(scope="module", params=["synth", "official"])
def scored_run(
    request: pytest.FixtureRequest, server: str, official_root: Path, tmp_path_factory: Any
) -> tuple[Path, RunReport, DataSource]:
    source = "synth" if request.param == "synth" else str(official_root)
    db = tmp_path_factory.mktemp(request.param) / "s.db"
    rep = evaluate(
        "openai/fake",
        None,
        data=source,
        size=8,
        db=db,
        base_url=server,
        api_key="k",
        judge="openai/judge",
        judge_base_url=server,
        bootstrap=0,
    )
    return db, rep, open_data(source, size=8)


def _outcomes(db: Path, src: DataSource, *, reference: bool) -> dict[str, aggregate.TaskOutcome]:
    """Every task's outcome recomputed from the store's rows (in the store's order)."""
    patch = pytest.MonkeyPatch()
    if reference:
        patch.setattr(aggregate, "Results", ref.Results)
        patch.setattr(aggregate, "bootstrap_ci", ref.bootstrap_ci)
        patch.setattr(aggregate, "default_metrics", ref.default_metrics)
    store = Store(db)
    try:
        (run,) = store.runs()
        out = {}
        for spec in all_tasks():
            if spec.id not in run.tasks:
                continue
            try:
                task = spec.build(src)
            except Exception:
                continue
            rows = aggregate.rows_from_store(store.iter_results(run.run_id, spec.id))
            out[spec.id] = aggregate.compute_task(spec, task, rows, bootstrap=200)
        return out
    finally:
        patch.undo()
        store.close()


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.mark.slow
def test_new_results_give_identical_scores_and_cis(
    scored_run: tuple[Path, RunReport, DataSource],
) -> None:
    db, rep, src = scored_run
    before = _outcomes(db, src, reference=True)
    after = _outcomes(db, src, reference=False)
    assert before.keys() == after.keys()
    scored = [t for t, oc in before.items() if oc.status == "ok"]
    assert len(scored) >= 20, {t: oc.reason for t, oc in before.items()}
    with_ci = [t for t in scored if before[t].ci is not None]
    assert len(with_ci) >= 15
    # the answers vary, so the CIs are not all degenerate: a real test of the resampling
    assert sum(1 for t in with_ci if len(set(before[t].ci or ())) == 2) >= 5
    for t, b in before.items():
        a = after[t]
        assert (a.status, a.reason, a.n, a.deviation) == (b.status, b.reason, b.n, b.deviation), t
        assert _same(a.score, b.score), (t, a.score, b.score)
        assert (a.ci is None) == (b.ci is None), t
        if a.ci is not None and b.ci is not None:
            assert _same(a.ci[0], b.ci[0]) and _same(a.ci[1], b.ci[1]), (t, a.ci, b.ci)
        assert a.metrics.keys() == b.metrics.keys(), t
        assert all(_same(a.metrics[k], b.metrics[k]) for k in a.metrics), t
        # and the run itself stored what the new code computes from its rows
        if t in rep.tasks and rep.tasks[t].status == "ok":
            assert _same(rep.tasks[t].score, a.score), t


def _rows() -> list[ref.Row]:
    rows = []
    for i in range(40):
        for variant in ("text", "related", "unrelated-color", "unrelated-nature"):
            h = (i * 7919 + len(variant) * 31) % 97
            rows.append(
                ref.Row(
                    f"s{i}",
                    variant,
                    {"kind": ["a", "b", "c"][i % 3], "tags": [i % 2], "n": i % 4},
                    {"correct": float(h % 2), "score": h / 7.0, "maybe": None if h % 5 else 1},
                )
            )
    return rows


@pytest.mark.parametrize(
    "formula",
    [
        lambda r: 100 * r.mean("correct"),
        lambda r: ref.mean_over(r, "score", "kind"),  # float sums: order must match
        lambda r: 100 * ref.cross_modal(r, "correct", invert=True),
        lambda r: r.mean("score", kind=("a", "c"), variant="related"),
        lambda r: r.mean("score", tags=([1],)),  # unhashable meta: the row-by-row path
        lambda r: r.where(lambda row: row.get("n") > 1, kind="b").mean("maybe"),
        lambda r: float(len(r.values("maybe"))) / len(r),
        lambda r: sum(g.mean("score") for g in r.groups("n").values()),
    ],
)
def test_formula_pieces_match_the_row_by_row_version(formula: Any) -> None:
    rows = _rows()
    new_rows = [new.Row(r.sample_id, r.variant, r.meta, r.values) for r in rows]
    assert formula(new.Results(new_rows)) == formula(ref.Results(rows))
    for seed in (0, 3):
        assert new.bootstrap_ci(new.Results(new_rows), formula, n=50, seed=seed) == (
            ref.bootstrap_ci(ref.Results(rows), formula, n=50, seed=seed)
        )
    new_r, ref_r = new.Results(new_rows), ref.Results(rows)
    for by in (None, "kind"):
        a = new_r.resample(random.Random(5), by=by)
        b = ref_r.resample(random.Random(5), by=by)
        assert [(x.sample_id, x.variant) for x in a] == [(x.sample_id, x.variant) for x in b]
    assert new_r.groups("kind").keys() == ref_r.groups("kind").keys()
    assert new_r.variants() == ref_r.variants()


def test_randrange_many_is_randrange() -> None:
    for n in (1, 2, 3, 97, 1024, 1025, 4999):
        rng = random.Random(n)
        want = [rng.randrange(n) for _ in range(3 * n)]
        assert new.randrange_many(random.Random(n), n, 3 * n).tolist() == want


# ------------------------------------------------------------------ images and the store


def _old_png(img: Any) -> bytes:
    """The encoder before #9: Pillow, five-filter adaptive rows, zlib level 6."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def _normalised_store(db: Path) -> dict[str, list[Any]]:
    """The store with what depends on the PNG bytes mapped away: image refs keep their origin
    (not their sha256), generations and results lose the cache key (a hash over the sha256s).
    Scores are rounded to 12 digits: the order answers arrive in decides the float summation
    order (the exact identity of scores is the test above)."""
    con = sqlite3.connect(db)
    out: dict[str, list[Any]] = {}
    cur = con.execute(
        "select task_id, sample_id, variant, prompt, images, target, meta, output, "
        '"values", label, explanation, scorer, error, error_kind from results'
    )
    rows = []
    for row in cur:
        refs = [{k: v for k, v in ref.items() if k != "sha256"} for ref in json.loads(row[4])]
        rows.append((*row[:4], json.dumps(refs), *row[5:]))
    out["results"] = sorted(rows, key=repr)
    out["generations"] = sorted(
        con.execute("select model, text, error, error_kind from generations"), key=repr
    )
    out["images"] = sorted(con.execute("select mime, origin from images"), key=repr)
    out["task_results"] = sorted(
        (
            t,
            status,
            reason,
            None if score is None else round(score, 12),
            n,
            n_err,
            scorer,
            dev,
        )
        for t, status, reason, score, n, n_err, scorer, dev in con.execute(
            "select task_id, status, reason, score, n, n_errors, scorer, deviation "
            "from task_results"
        )
    )
    con.close()
    return out


@pytest.mark.slow
def test_fast_png_keeps_every_pixel_and_the_store(server: str, tmp_path: Path) -> None:
    """Synthetic images are now encoded by ``png_bytes`` (and built in a worker thread): their
    bytes, hence sha256s and cache keys, differ from before, but every pixel and everything
    else in the store is the same as with the old encoder on the event loop."""
    captured: list[tuple[bytes, bytes]] = []
    fast = types.png_bytes

    def both(img: Any) -> bytes:
        data = fast(img)
        captured.append((data, _old_png(img)))
        return data

    def run(db: Path) -> None:
        evaluate(
            "openai/fake",
            None,
            data="synth",
            size=4,
            db=db,
            base_url=server,
            api_key="k",
            judge="openai/judge",
            judge_base_url=server,
            bootstrap=0,
            synth_cache=False,  # drawn in both runs, not read back from the cache
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(types, "png_bytes", _old_png)
        run(tmp_path / "old.db")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(types, "png_bytes", both)
        run(tmp_path / "new.db")
    assert len(captured) >= 50
    for data, old in captured:
        a, b = PILImage.open(io.BytesIO(data)), PILImage.open(io.BytesIO(old))
        assert (a.mode, a.size) == (b.mode, b.size)
        assert a.tobytes() == b.tobytes()
    before, after = _normalised_store(tmp_path / "old.db"), _normalised_store(tmp_path / "new.db")
    assert len(after["results"]) >= 300
    assert before == after
