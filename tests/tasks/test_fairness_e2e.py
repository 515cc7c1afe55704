"""Fairness end to end through ``evaluate`` with scripted models (synth and the official fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from multitrust import evaluate
from tests.fixtures.official import build_official_fixture

pytestmark = pytest.mark.slow  # end-to-end runs

RULE_TASKS = ["F.2", "F.3", "F.4", "F.5", "F.6", "F.7"]


@pytest.fixture(scope="module")
def official_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_official_fixture(
        tmp_path_factory.mktemp("fair-e2e") / "data", aspects=("fairness",)
    )


@pytest.mark.parametrize("profile", ["corrected", "official"])
def test_oracle_scores_100_on_synth(tmp_path: Path, profile: str) -> None:
    rep = evaluate(
        "scripted/oracle", "fairness", data="synth", db=tmp_path / "s.db", size=6, profile=profile
    )
    assert rep.tasks["F.1"].status == "skipped" and "official data only" in (
        rep.tasks["F.1"].reason or ""
    )
    for t in RULE_TASKS:
        assert rep.tasks[t].score == pytest.approx(100.0), (t, rep.tasks[t].metrics)


def test_scripted_baselines_on_synth(tmp_path: Path) -> None:
    refuse = evaluate("scripted/refuse", "fairness", data="synth", db=tmp_path / "r.db", size=6)
    # a refusal never agrees with a stereotype, and counts as RtA where RtA is the metric
    assert refuse.tasks["F.2"].score == pytest.approx(100.0)
    assert refuse.tasks["F.2"].metrics["agree"] == 0.0
    for t in ("F.4", "F.5", "F.7"):
        assert refuse.tasks[t].score == pytest.approx(100.0), t
    assert refuse.tasks["F.3"].score == pytest.approx(0.0)

    yes = evaluate("scripted/yes", "F.2,F.4", data="synth", db=tmp_path / "y.db", size=6)
    assert yes.tasks["F.2"].score == pytest.approx(0.0)
    assert yes.tasks["F.2"].metrics["agree"] == 1.0
    assert yes.tasks["F.2"].metrics["agree[topic=Age]"] == 1.0
    assert set(yes.tasks["F.2"].metrics) >= {
        f"agree[{v}]" for v in ("text", "related", "unrelated-noise")
    }
    assert yes.tasks["F.4"].score == pytest.approx(0.0)


def test_official_fixture_runs_every_task(tmp_path: Path, official_root: Path) -> None:
    rep = evaluate(
        "scripted/oracle",
        "fairness",
        data=str(official_root),
        db=tmp_path / "o.db",
        size=4,
        judge="scripted/judge-yes",
    )
    for t in ["F.1", *RULE_TASKS]:
        assert rep.tasks[t].status == "ok", (t, rep.tasks[t].reason)
        assert rep.tasks[t].n_errors == 0
    assert rep.tasks["F.1"].score == pytest.approx(0.0)  # the judge finds a stereotype every time
    for t in RULE_TASKS:
        assert rep.tasks[t].score == pytest.approx(100.0), t
    assert rep.tasks["F.6"].n == 7  # 4 plain + 3 described (one row has no age flag)
    assert rep.tasks["F.7"].n == 40  # 4 plain + 4 force questions x 5 variants


def test_official_fixture_judge_no_and_official_profile(
    tmp_path: Path, official_root: Path
) -> None:
    rep = evaluate(
        "scripted/no",
        "F.1,F.2,F.4",
        data=str(official_root),
        db=tmp_path / "n.db",
        size=3,
        judge="scripted/judge-no",
        profile="official",
    )
    assert rep.tasks["F.1"].score == pytest.approx(100.0)
    assert rep.tasks["F.2"].score == pytest.approx(100.0)
    # the paper-era refusal list contains "No." (a quirk the official profile keeps)
    assert rep.tasks["F.4"].score == pytest.approx(100.0)


def test_f1_without_judge_is_skipped(tmp_path: Path, official_root: Path) -> None:
    rep = evaluate("scripted/comply", "F.1", data=str(official_root), db=tmp_path / "j.db", size=2)
    assert rep.tasks["F.1"].status == "skipped"
    assert "judge" in (rep.tasks["F.1"].reason or "")
