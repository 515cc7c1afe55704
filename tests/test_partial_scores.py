"""No silent partial score: a broken data stream, a missing package or a missing judge never
leaves a task ``ok`` on what happened to load, and run identity ignores unrelated API keys."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.api import open_components, plan
from multitrust.config import RunConfig
from multitrust.data.base import DataSource, missing_modules, needs_modules
from multitrust.formula import mean_over
from multitrust.scoring.yesno import yes_no
from multitrust.store import Store
from multitrust.tasks import base as task_base
from multitrust.tasks.base import Task, TaskData, TaskSpec
from multitrust.types import GenerateConfig, Sample


def _questions(data: DataSource, n: int) -> Iterator[Sample]:
    for i in range(n):
        yield Sample(
            id=f"q{i}", text=f"Is {i} even?", target=i % 2 == 0, meta={"kind": "ab"[i % 2]}
        )


def _breaks_after_three(data: DataSource) -> Iterator[Sample]:
    yield from _questions(data, 3)
    raise RuntimeError("disk read failed at sample 4")


def _build(data: TaskData) -> Task:
    return Task(
        prompt="{text} Please answer [Yes] or [No].",
        scorer=yes_no(),
        formula=lambda r: 100 * mean_over(r, "correct", "kind"),
        config=GenerateConfig(max_tokens=16),
    )


@pytest.fixture
def broken_task() -> Iterator[str]:
    """``T.94`` (in T.M with T.5 and T.6): its loader yields three samples, then crashes."""
    task_base._REGISTRY["T.94"] = TaskSpec(
        "T.94",
        "Toy broken",
        "truthfulness",
        "T.M",
        _build,
        (_breaks_after_three,),
        (_breaks_after_three,),
    )
    yield "T.94"
    task_base._REGISTRY.pop("T.94", None)


def test_a_stream_that_breaks_fails_the_task_and_leaves_the_aggregates(
    broken_task: str, tmp_path: Path
) -> None:
    db = tmp_path / "s.db"
    rep = evaluate("scripted/oracle", f"T.6,{broken_task}", db=db, size=4, bootstrap=0)
    oc = rep.tasks[broken_task]
    # the three samples were answered and kept, but they are not the task: no score
    assert oc.status == "failed" and oc.score is None and oc.n == 3
    assert "data error" in (oc.reason or "") and "disk read failed" in (oc.reason or "")
    assert "not scored as the task" in (oc.reason or "")
    tm = rep.sub_aspects["T.M"]
    assert tm.tasks == ["T.6"] and broken_task in tm.missing and tm.partial
    assert tm.score == rep.tasks["T.6"].score
    assert rep.overall_partial and rep.incomplete[broken_task].startswith("failed")
    # the store says the same (what report, runs and export read)
    store = Store(db)
    try:
        stored = {r["task_id"]: r for r in store.task_results(rep.run_id)}
    finally:
        store.close()
    assert stored[broken_task]["status"] == "failed" and stored[broken_task]["score"] is None


def test_a_loader_whose_package_is_missing_is_skipped_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "skimage", None)  # as if scikit-image were not installed
    rep = evaluate("scripted/oracle", "R.1,R.2,R.3", db=tmp_path / "s.db", size=3, bootstrap=0)
    for tid in ("R.1", "R.2"):
        oc = rep.tasks[tid]
        assert oc.status == "skipped" and oc.score is None and oc.n == 0
        assert oc.reason == (
            f"synth data for {tid} needs scikit-image, which is not installed: pip install scikit-image"
        )
    assert rep.tasks["R.3"].status == "ok"
    ro = rep.sub_aspects["R.O"]
    assert ro.partial and ro.tasks == ["R.3"] and ro.missing == ["R.1", "R.2"]
    assert ro.score == rep.tasks["R.3"].score
    assert rep.counters.requests == rep.tasks["R.3"].n  # nothing was asked for R.1 / R.2


def test_declared_packages_are_found_through_wrappers(monkeypatch: pytest.MonkeyPatch) -> None:
    import functools

    @needs_modules(skimage="scikit-image", json="json")
    def loader(data: DataSource, k: int) -> Iterator[Sample]:
        return iter(())

    wrapped = functools.partial(loader, k=1)
    assert missing_modules([wrapped]) == {}
    monkeypatch.setitem(sys.modules, "skimage", None)
    assert missing_modules([wrapped]) == {"skimage": "scikit-image"}


def test_official_profile_on_synth_without_a_judge_skips_t1_with_the_reason(
    tmp_path: Path,
) -> None:
    rep = evaluate(
        "scripted/oracle", "T.1,T.6", db=tmp_path / "s.db", size=20, profile="official", bootstrap=0
    )
    t1 = rep.tasks["T.1"]
    assert t1.status == "skipped" and t1.score is None
    assert "judge" in (t1.reason or "") and "--profile official" in (t1.reason or "")
    assert rep.counters.errors == 0 and rep.tasks["T.6"].status == "ok"
    # the corrected profile reads boxes by rule: T.1 runs without a judge
    corrected = evaluate("scripted/oracle", "T.1", db=tmp_path / "c.db", size=20, bootstrap=0)
    assert corrected.tasks["T.1"].status == "ok" and corrected.counters.errors == 0


@pytest.mark.parametrize(
    "keys",
    [("OPENAI_API_KEY",), ("PERSPECTIVE_API_KEY",), ("OPENAI_API_KEY", "PERSPECTIVE_API_KEY")],
)
def test_run_identity_ignores_api_keys_no_task_uses(
    monkeypatch: pytest.MonkeyPatch, keys: tuple[str, ...]
) -> None:
    for k in ("OPENAI_API_KEY", "PERSPECTIVE_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    cfg = RunConfig.from_options("scripted/oracle", "T.6", size=2)
    bare = plan(cfg, open_components(cfg)).run_id
    for k in keys:
        monkeypatch.setenv(k, "sk-test-not-a-real-key")
    comp = open_components(cfg)
    assert set(keys) & {"OPENAI_API_KEY", "PERSPECTIVE_API_KEY"}
    assert comp.resources  # the markers are there for tasks that use them ...
    assert plan(cfg, comp).run_id == bare  # ... and T.6's identity does not see them


def test_run_identity_follows_the_toxicity_backend_of_tasks_that_use_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tests.fixtures.official import build_official_fixture

    root = build_official_fixture(tmp_path / "data", aspects=("safety",))
    for k in ("OPENAI_API_KEY", "PERSPECTIVE_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    cfg = RunConfig.from_options("scripted/refuse", "S.1", data=str(root))
    without = plan(cfg, open_components(cfg))
    assert without.outcomes["S.1"].status == "skipped"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("PERSPECTIVE_API_KEY", "test-not-a-real-key")
    with_keys = plan(cfg, open_components(cfg))
    assert [s.id for s, _ in with_keys.runnable] == ["S.1"]
    assert with_keys.run_id != without.run_id  # S.1 is scored by the APIs now: a new run
