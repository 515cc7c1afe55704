"""What the report and the leaderboard show: missing sub-aspects, notes, errors, CIs, size caps,
and which runs rank with the published rows (no browser needed)."""

from __future__ import annotations

import html as htmllib
import io
import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from multitrust import evaluate
from multitrust.aggregate import SUB_ASPECTS, join_notes, split_notes
from multitrust.errors import BadRequest
from multitrust.formula import Results, Row, bootstrap_ci
from multitrust.models.base import Model
from multitrust.models.scripted import oracle_text
from multitrust.report.data import (
    BOOTSTRAP,
    TEXT_CAP,
    Entry,
    clip,
    gather,
)
from multitrust.report.html import bars_figure, radar_figure, render_report
from multitrust.report.leaderboard import leaderboard
from multitrust.store import Store
from multitrust.tasks import all_tasks
from multitrust.types import GenerateConfig, Generation, Message, Sample

HUGE = 10_000_000
RTA_NOTE = "RtA uses refusal rules only"


class Good(Model):
    """Answers as the oracle on most samples and agrees with anything on the others (so
    accuracy, agreement and refusal rates vary between groups)."""

    provider = "test"
    needs_sample = True

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        sid = sample.id if sample else ""
        if zlib.crc32(sid.encode()) % 3 == 0:
            return Generation("Yes, I agree with that.")
        return Generation(oracle_text(sample))


class Flaky(Model):
    """A wrong path (HTTP 404, with a 1 MB error page) on some samples, a 10 MB answer on
    others."""

    provider = "test"
    needs_sample = True

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        k = sum(map(ord, sample.id if sample else "")) % 3
        if k == 0:
            body = "<html>not found</html>" * 50_000  # a server's 1 MB error page
            raise BadRequest(f"HTTP 404: no such model at http://127.0.0.1:9/v2/ {body}")
        if k == 1:
            return Generation("z" * HUGE)
        return Generation("Something unrelated.")


def _official_complete_run(db: Path) -> None:
    """A complete run on the official data (every task scored 90), written as the engine would."""
    with Store(db) as store:
        specs = all_tasks()
        store.open_run(
            "official-full",
            model="test/strong",
            judge=None,
            profile="official",
            tasks=[s.id for s in specs],
            data={"kind": "official", "root": "/data", "seed": 0, "size": None},
            settings={},
            package_version="test",
            git_commit=None,
        )
        for s in specs:
            store.set_task_result("official-full", s.id, status="ok", score=90.0, n=10)
        store.finish_run("official-full")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-data") / "r.db"
    tasks = ["R.3", "F.2", "F.4"]
    evaluate(Good("good"), tasks, db=path, size=12, bootstrap=50)
    evaluate(Good("good"), tasks, db=path, size=5, seed=1, bootstrap=50)
    evaluate(Flaky("flaky"), ["R.3"], db=path, size=6, bootstrap=50)
    _official_complete_run(path)
    return path


def _entry(entries: list[Entry], model: str, **data: object) -> Entry:
    return next(
        e
        for e in entries
        if e.run.model == model and all(e.run.data.get(k) == v for k, v in data.items())
    )


# --------------------------------------------------------------------------- charts


def test_radar_and_bars_draw_a_missing_sub_aspect_as_a_gap_never_zero(db: Path) -> None:
    e = _entry(gather(db), "test/good", size=12)
    missing = [c for c in SUB_ASPECTS if e.sub_aspects[c] is None]
    assert missing and "R.O" not in missing  # T.I, S.T … did not run; R.3 did
    trace = radar_figure(e, "#000")["data"][0]
    r = list(trace["r"])[:-1]  # the last point closes the loop
    theta = list(trace["theta"])[:-1]
    for i, c in enumerate(SUB_ASPECTS):
        if c in missing:
            assert r[i] is None, (c, r[i])
            assert "not scored" in theta[i]
        else:
            assert r[i] is not None and "not scored" not in theta[i]
    assert trace["connectgaps"] is False
    bars = bars_figure([e], [])["data"][0]
    for i, c in enumerate(SUB_ASPECTS):
        assert (bars["y"][i] is None) == (c in missing)


# --------------------------------------------------------------------------- notes


def test_split_notes_keeps_parenthesised_semicolons_and_drops_repeats() -> None:
    text = "a; b (x; y); a; c"
    assert split_notes(text) == ["a", "b (x; y)", "c"]
    assert join_notes("a; b", None, "b; c", "a") == "a; b; c"
    assert join_notes(None, "") is None


def test_a_deviation_note_is_stored_once(db: Path) -> None:
    with Store(db) as store:
        run = next(r for r in store.runs() if r.model == "test/good")
        dev = {t["task_id"]: t["deviation"] for t in store.task_results(run.run_id)}
    # F.4's task and its scorer both carry the RtA rules note: it was stored twice over
    assert dev["F.4"] is not None and dev["F.4"].count(RTA_NOTE) == 1
    assert len(split_notes(dev["F.4"])) == len(dev["F.4"].split("; "))


def test_the_report_shows_each_note_once_and_refers_to_it(db: Path) -> None:
    page = render_report(gather(db))
    text = htmllib.unescape(page)
    assert text.count(RTA_NOTE) == 1  # in the notes list only
    no = re.search(r'<li id="note-(\d+)">' + re.escape(RTA_NOTE), text)
    assert no is not None
    # the two runs' F.4 rows refer to it
    assert text.count(f'href="#note-{no.group(1)}"') == 2  # both F.4 rows
    synth = "Synthetic data: scores measure"
    assert text.count(synth) == 1  # one footnote though three runs are synthetic


# --------------------------------------------------------------------------- errors and size


def test_errored_samples_and_their_causes_appear(db: Path) -> None:
    e = _entry(gather(db), "test/flaky")
    assert e.errors, "no error causes gathered"
    cause = e.errors[0]
    assert cause.task_id == "R.3" and cause.kind == "bad_request"
    assert "HTTP 404" in cause.message and cause.count == e.n_errors > 0
    assert len(cause.message) < 400  # the error page is cut
    assert cause.examples and all("(" in x for x in cause.examples)
    page = render_report([e])
    assert "Errored samples and their causes" in page
    assert "HTTP 404: no such model" in page
    assert f'<td class="num bad">{cause.count}</td>' in page
    assert "errored samples" in page  # the run's note in the summary


def test_a_10mb_answer_is_cut_and_the_report_stays_small(db: Path) -> None:
    from plotly.offline import get_plotlyjs

    entries = gather(db)
    outputs = [x.output for e in entries for x in e.gallery if x.output.startswith("zzz")]
    assert outputs, "the 10 MB answers are failures and should be in the gallery"
    assert all(len(o) < TEXT_CAP + 40 for o in outputs)
    assert f"({HUGE - TEXT_CAP:,} more chars)" in outputs[0]
    page = render_report(entries)
    assert len(page.encode()) < len(get_plotlyjs()) + 2_000_000


def test_clip() -> None:
    assert clip("abc", 5) == "abc"
    assert clip(None) == ""
    assert clip("abcdefgh", 3) == "abc… (5 more chars)"


def test_the_gallery_stops_at_its_byte_budget(db: Path) -> None:
    full = gather(db)
    small = gather(db, budget=30_000)
    shown = sum(len(e.gallery) for e in small)
    assert 0 < shown < sum(len(e.gallery) for e in full)
    assert sum(e.gallery_omitted for e in small) > 0
    page = render_report(small)
    assert "more failing samples are not shown" in page


def test_typographic_images_are_kept_large_enough_to_read(db: Path) -> None:
    from PIL import Image

    e = _entry(gather(db), "test/good", size=12)
    related = [x for x in e.gallery if x.variant == "related" and x.thumbs]
    assert related, "R.3/F.* related images are typography"
    with Store(db) as store:
        rows = [
            r
            for r in store.iter_results(e.run.run_id)
            if r.variant == "related" and r.images and store.thumbnail(r.images[0]["sha256"])
        ]
        thumb = store.thumbnail(rows[0].images[0]["sha256"])
    assert thumb is not None
    width, _ = Image.open(io.BytesIO(thumb[1])).size
    assert width >= 600  # a 640x120 line of text, not a 160x30 smudge
    page = render_report([e])
    assert '<dialog id="viewer"' in page
    assert re.search(r'<button type="button" class="thumb"[^>]*><img src="data:image/', page)


# --------------------------------------------------------------------------- CIs


def _rows(db: Path, run_id: str, task_id: str) -> list[Row]:
    with Store(db) as store:
        return [
            Row(r.sample_id, r.variant, r.meta, r.values or {}, r.label)
            for r in store.iter_results(run_id, task_id)
            if r.error is None and r.values
        ]


def test_deltas_and_group_rates_carry_the_task_ci_bootstrap(db: Path) -> None:
    e = _entry(gather(db), "test/good", size=12)
    assert e.deltas and all("ci" in d for d in e.deltas)
    d = next(d for d in e.deltas if d["task_id"] == "R.3" and d["variant"] == "related")
    assert d["ci"] is not None
    lo, hi = d["ci"]
    assert lo <= d["delta"] <= hi
    # the same seeded percentile bootstrap over samples that task CIs use
    rows = [r for r in _rows(db, e.run.run_id, "R.3") if r.variant in ("text", "related")]
    ordered = Results(sorted(rows, key=lambda r: (r.sample_id, r.variant)))
    want = bootstrap_ci(
        ordered,
        lambda r: r.mean("correct", variant="related") - r.mean("correct", variant="text"),
        n=BOOTSTRAP,
        seed=0,
    )
    assert (lo, hi) == pytest.approx(want)

    rates = [f for f in e.fairness if f["n"] >= 2]
    assert rates and all(f["ci"] is not None for f in rates)
    assert any(f["ci"][0] < f["ci"][1] for f in rates)  # some groups' rates vary
    for f in rates:
        assert f["ci"][0] <= f["rate"] <= f["ci"][1]
    assert all(f["ci"] is None for f in e.fairness if f["n"] < 2)
    # seeded: the same store gives the same CIs
    again = _entry(gather(db), "test/good", size=12)
    assert [f["ci"] for f in again.fairness] == [f["ci"] for f in e.fairness]
    page = render_report([e])
    assert "95% CI" in page.split('id="fairness"')[1].split("</section>")[0]


# --------------------------------------------------------------------------- leaderboard


def test_synthetic_and_partial_runs_rank_apart_from_the_published_rows(db: Path) -> None:
    groups = leaderboard(gather(db))
    main = groups[0]
    names = [r.name for r in main.rows]
    assert "GPT-4-Turbo" in names
    assert not any(n.startswith(("test/good", "test/flaky")) for n in names)
    # the complete official run ranks among the published rows (#1 at 90 > 78.28)
    strong = next(r for r in main.rows if r.name.startswith("test/strong"))
    assert strong.rank == 1 and strong.source == "run"
    assert names.index("GPT-4-Turbo") == 1
    apart = groups[1]
    assert "apart" in apart.title.lower()
    rows = [r for r in apart.rows if r.name.startswith("test/good")]
    assert len(rows) == 2 and [r.rank for r in apart.rows] == list(range(1, len(apart.rows) + 1))
    for r in rows:
        assert "synthetic data" in r.note and "partial" in r.note
    # runs differing only by size or seed are told apart
    assert {r.data for r in rows} == {"synth · size 12 · seed 0", "synth · size 5 · seed 1"}


def test_leaderboard_and_runs_commands_mark_and_separate(db: Path) -> None:
    from multitrust.cli import app

    res = CliRunner().invoke(app, ["leaderboard", "--db", str(db)])
    assert res.exit_code == 0, res.output
    out = res.output
    ranked, _, apart = out.partition("Ranked apart")
    assert apart, out
    assert "GPT-4-Turbo" in ranked and "test/strong" in ranked
    assert "test/good" not in ranked and "test/good" in apart
    assert "synth · size 12 · seed 0" in apart and "synth · size 5 · seed 1" in apart
    assert "synthetic data" in apart
    res = CliRunner().invoke(app, ["runs", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert "size 12 · seed 0" in res.output and "size 5 · seed 1" in res.output


# --------------------------------------------------------------------------- in a browser

PROBE = """<script>
window.addEventListener("load", function () { setTimeout(function () {
  var b = document.body, d = document.documentElement;
  b.setAttribute("data-overflow", String(d.scrollWidth > window.innerWidth));
  b.setAttribute("data-width", String(window.innerWidth));
  var thumb = document.querySelector(".thumb");
  thumb.click();
  b.setAttribute("data-dialog", String(document.getElementById("viewer").open));
  b.setAttribute("data-big", document.getElementById("viewer-img").getAttribute("src").slice(0, 15));
}, 300); });
</script></body>"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [900, 1400])
def test_the_report_fits_the_window_and_enlarges_images_in_chromium(
    db: Path, tmp_path: Path, width: int
) -> None:
    from tests.report.test_report import ARTIFACTS, run_chromium

    page = render_report(gather(db))
    out = tmp_path / "report.html"
    out.write_text(page.replace("</body>", PROBE, 1), encoding="utf-8")
    dom, console = run_chromium(out, "--dump-dom", f"--window-size={width},1200", tmp=tmp_path)
    assert console == [], console
    body = re.search(r"<body([^>]*)>", dom)
    assert body is not None, dom[:500]
    attrs = dict(re.findall(r'(data-[a-z]+)="([^"]*)"', body.group(1)))
    assert attrs.get("data-width") == str(width), attrs
    assert attrs.get("data-overflow") == "false", attrs  # tables scroll inside, the page does not
    assert attrs.get("data-dialog") == "true", attrs  # a click on a thumbnail opens the viewer
    assert attrs.get("data-big") == "data:image/jpeg", attrs
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report-{width}.png"
    real = tmp_path / "plain.html"
    real.write_text(page, encoding="utf-8")
    run_chromium(real, f"--screenshot={shot}", f"--window-size={width},3000", tmp=tmp_path)
    assert shot.exists() and shot.stat().st_size > 20_000
