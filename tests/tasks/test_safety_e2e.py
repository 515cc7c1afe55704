"""End-to-end safety runs with scripted models (synth and the official-layout fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.scoring.harmbench import VIA_JUDGE
from tests.fixtures.official import build_official_fixture

pytestmark = pytest.mark.slow  # end-to-end runs

JAILBREAK = "S.4,S.5,S.6"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_official_fixture(tmp_path_factory.mktemp("official"), aspects=("safety",))


@pytest.mark.parametrize(
    ("model", "want"),
    [("scripted/refuse", 100.0), ("scripted/comply", 0.0), ("scripted/oracle", 100.0)],
)
def test_synth_jailbreak_rta(tmp_path: Path, model: str, want: float) -> None:
    rep = evaluate(model, JAILBREAK, data="synth", db=tmp_path / "s.db", size=3, bootstrap=0)
    for tid in ("S.4", "S.5", "S.6"):
        out = rep.tasks[tid]
        assert out.status == "ok", out.reason
        assert out.score == pytest.approx(want)
        assert out.metrics["rta"] == pytest.approx(want / 100)
        assert out.metrics["asr_measured"] == 0.0
        assert out.n_errors == 0


def test_synth_toxicity_tasks_are_skipped_with_reason(tmp_path: Path) -> None:
    rep = evaluate(
        "scripted/refuse", "S.T", data="synth", db=tmp_path / "s.db", size=2, bootstrap=0
    )
    for tid in ("S.1", "S.2", "S.3"):
        assert rep.tasks[tid].status == "skipped"
        assert "official data only" in (rep.tasks[tid].reason or "")


def test_official_toxicity_tasks_skip_without_keys(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # settings never travel through the environment: the old variable changes nothing
    monkeypatch.setenv("MULTITRUST_TOXICITY", "offline")
    rep = evaluate("scripted/refuse", "S.1,S.3", data=str(root), db=tmp_path / "s.db", bootstrap=0)
    for tid in ("S.1", "S.3"):
        assert rep.tasks[tid].status == "skipped", rep.tasks[tid].reason
        # auto: no key, and its local model cannot be fetched here (the hub is unreachable)
        assert "choose one with --toxicity" in (rep.tasks[tid].reason or "")
        assert "unitary/toxic-bert" in (rep.tasks[tid].reason or "")


def test_official_jailbreak_without_judge(tmp_path: Path, root: Path) -> None:
    rep = evaluate("scripted/refuse", JAILBREAK, data=str(root), db=tmp_path / "s.db", bootstrap=0)
    n = {"S.4": 12, "S.5": 6, "S.6": 28}
    for tid, count in n.items():
        out = rep.tasks[tid]
        assert out.status == "ok", out.reason
        assert out.score == pytest.approx(100.0)
        assert out.n == count


def test_official_risk_identification_with_judge(tmp_path: Path, root: Path) -> None:
    rep = evaluate(
        "scripted/comply",
        "S.2",
        data=str(root),
        db=tmp_path / "s.db",
        judge="scripted/judge-yes",
        bootstrap=0,
    )
    out = rep.tasks["S.2"]
    assert out.status == "ok", out.reason
    assert out.score == pytest.approx(100.0) and out.n == 10
    rep = evaluate(
        "scripted/comply",
        "S.2",
        data=str(root),
        db=tmp_path / "t.db",
        judge="scripted/judge-no",
        bootstrap=0,
    )
    assert rep.tasks["S.2"].score == pytest.approx(0.0)


def test_official_risk_identification_needs_a_judge(tmp_path: Path, root: Path) -> None:
    rep = evaluate("scripted/comply", "S.2", data=str(root), db=tmp_path / "s.db", bootstrap=0)
    assert rep.tasks["S.2"].status == "skipped"
    assert "judge" in (rep.tasks["S.2"].reason or "")


def test_official_jailbreak_with_judge(tmp_path: Path, root: Path) -> None:
    rep = evaluate(
        "scripted/refuse",
        JAILBREAK,
        data=str(root),
        db=tmp_path / "s.db",
        judge="scripted/judge-no",
        bootstrap=0,
    )
    for tid in ("S.4", "S.5", "S.6"):
        out = rep.tasks[tid]
        assert out.status == "ok", out.reason
        assert out.metrics["asr_measured"] == 1.0
        assert out.score == pytest.approx(100.0)
    rep = evaluate(
        "scripted/comply",
        JAILBREAK,
        data=str(root),
        db=tmp_path / "t.db",
        judge="scripted/judge-yes",
        bootstrap=0,
    )
    for tid in ("S.4", "S.5", "S.6"):
        assert rep.tasks[tid].score == pytest.approx(0.0)


def test_official_jailbreak_with_harmbench_classifier(tmp_path: Path, root: Path) -> None:
    """A classifier in resources['harmbench'] measures ASR with no judge-model caveat."""
    from multitrust.formula import Results, Row
    from multitrust.tasks import safety
    from multitrust.types import Generation

    prompts: list[str] = []

    async def classifier(prompt: str) -> Generation:
        prompts.append(prompt)
        return Generation(text="Yes" if "Sure, here is" in prompt else "No")

    rep = evaluate(
        "scripted/comply",
        "S.4",
        data=str(root),
        db=tmp_path / "s.db",
        resources={"harmbench": classifier},
        bootstrap=0,
    )
    out = rep.tasks["S.4"]
    assert out.status == "ok", out.reason
    assert out.metrics["asr_measured"] == 1.0 and out.metrics["asr"] == 1.0
    assert out.score == pytest.approx(0.0)
    assert any("Describe placeholder behaviour one" in p for p in prompts)
    rows = Results([Row("a", "prompt", {}, {"jailbroken": 1.0, "rta": 0.0}, "jailbroken")])
    assert safety.asr_deviation(rows) is None
    judged = Results(
        [Row("a", "prompt", {}, {"jailbroken": 1.0, "rta": 0.0}, "jailbroken" + VIA_JUDGE)]
    )
    assert "judge model" in (safety.asr_deviation(judged) or "")


def test_official_nsfw_profanity_opt_in(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("profanity_check")
    rep = evaluate(
        "scripted/refuse",
        "S.1",
        data=str(root),
        db=tmp_path / "s.db",
        bootstrap=0,
        toxicity="profanity",
    )
    out = rep.tasks["S.1"]
    assert out.status == "ok", out.reason
    assert out.n == 8
    assert "--toxicity profanity" in (out.deviation or "") and not out.comparable
    assert "profanity filter" in (out.deviation or "")
    assert (out.scorer or "").startswith("toxicity[profanity]+rta")
    tox = out.metrics["toxicity"]
    assert 0.0 <= tox < 0.5
    assert out.score == pytest.approx(100 * (2 * (1 - tox) + 1) / 3)
