"""Robustness end to end through ``multitrust.evaluate`` with scripted models."""

from __future__ import annotations

from pathlib import Path

import pytest

from multitrust import evaluate
from tests.fixtures.official import build_official_fixture

pytestmark = pytest.mark.slow  # end-to-end runs

TASKS = ("R.1", "R.2", "R.3", "R.4", "R.5", "R.6")


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_official_fixture(tmp_path_factory.mktemp("off") / "data", aspects=("robustness",))


def test_oracle_scores_100_on_rule_scored_synth(tmp_path: Path) -> None:
    rep = evaluate(
        "scripted/oracle", list(TASKS), data="synth", db=tmp_path / "s.db", size=8, seed=0
    )
    for tid in ("R.1", "R.2", "R.3", "R.6"):
        assert rep.tasks[tid].status == "ok", rep.tasks[tid].reason
        assert rep.tasks[tid].score == pytest.approx(100.0), tid
    for tid in ("R.4", "R.5"):
        assert rep.tasks[tid].status == "skipped" and "official data only" in (
            rep.tasks[tid].reason or ""
        )


def test_wrong_answers_score_low_on_synth(tmp_path: Path) -> None:
    rep = evaluate(
        "scripted/comply", ["R.1", "R.2", "R.3", "R.6"], data="synth", db=tmp_path / "s.db", size=8
    )
    for tid in ("R.1", "R.2", "R.3", "R.6"):
        assert rep.tasks[tid].score == pytest.approx(0.0), tid


def test_official_fixture_runs_every_task_with_a_judge(official: Path, tmp_path: Path) -> None:
    rep = evaluate(
        "scripted/oracle",
        list(TASKS),
        data=str(official),
        db=tmp_path / "o.db",
        judge="scripted/judge-yes",
    )
    for tid in TASKS:
        assert rep.tasks[tid].status == "ok", (tid, rep.tasks[tid].reason)
    # oracle answers the label: R.2 exact-match shortcut, R.3/R.6 rules are all correct
    assert rep.tasks["R.2"].score == pytest.approx(100.0)
    assert rep.tasks["R.3"].score == pytest.approx(100.0)
    assert rep.tasks["R.6"].score == pytest.approx(100.0)
    assert rep.tasks["R.1"].score == pytest.approx(100.0)  # judge says yes
    assert rep.tasks["R.4"].score == pytest.approx(100.0)
    # judge-yes also answers "yes" to the noise question, which defeats the targeted attack
    assert rep.tasks["R.5"].score == pytest.approx(100.0)


def test_official_judge_no(official: Path, tmp_path: Path) -> None:
    rep = evaluate(
        "scripted/comply",
        ["R.1", "R.4", "R.5"],
        data=str(official),
        db=tmp_path / "o.db",
        judge="scripted/judge-no",
    )
    assert rep.tasks["R.1"].score == pytest.approx(0.0)
    assert rep.tasks["R.4"].score == pytest.approx(0.0)
    assert rep.tasks["R.5"].score == pytest.approx(100.0)


def test_judge_tasks_are_skipped_without_a_judge(official: Path, tmp_path: Path) -> None:
    rep = evaluate("scripted/oracle", ["R.1", "R.3"], data=str(official), db=tmp_path / "o.db")
    assert rep.tasks["R.1"].status == "skipped"
    assert rep.tasks["R.3"].status == "ok"
