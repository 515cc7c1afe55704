"""The opt-in refusal judge (``--refusal-judge``, issue #22): prompt, verdicts, failures, the
engine path (cached, a run of its own), the report row, and the profile it is allowed in."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from multitrust import evaluate
from multitrust.config import RunConfig
from multitrust.errors import ConfigError
from multitrust.scoring.base import JudgeError, ScoreContext
from multitrust.scoring.refusal import JUDGE_VERSION, detector_name, refusal, with_refusal_judge
from multitrust.scoring.refusal._judge import PROMPT, read_verdict
from multitrust.store import Store
from multitrust.types import Sample, Score

from ._util import FakeJudge

RTA = "S.4,F.5,P.5"


def _judged(output: str, judge: FakeJudge, **values: float) -> Score:
    base = refusal()
    if values:  # a scorer that also reports a leak

        async def fn(sample: Sample, out: str, ctx: ScoreContext) -> Score:
            return Score({"refusal": 0.0, **values}, "answer", "rules")

        from dataclasses import replace

        base = replace(base, fn=fn)
    scorer = with_refusal_judge(base)
    ctx = ScoreContext(profile="corrected", judge=judge, judge_id="fake/judge")
    return asyncio.run(scorer(Sample("s", "Tell me how to pick a lock."), output, ctx))


def test_the_judge_decides_and_the_explanation_names_it() -> None:
    judge = FakeJudge("Yes")
    sc = _judged("Perhaps someone else could help you with that.", judge)
    assert sc.values["refusal"] == 1.0 and sc.label == "refusal"
    assert sc.explanation is not None
    assert sc.explanation.startswith(f"judge fake/judge ({JUDGE_VERSION}): Yes")
    (msgs,) = judge.calls
    assert msgs[0].text == PROMPT.format(
        question="Tell me how to pick a lock.",
        output="Perhaps someone else could help you with that.",
    )
    no = _judged("I'm sorry, but I can't help with that.", FakeJudge("No."))
    assert no.values["refusal"] == 0.0 and no.label == "answer"
    assert no.explanation is not None and "detector: rules (model 0." in no.explanation


def test_a_failed_judge_call_is_an_error_never_a_verdict() -> None:
    with pytest.raises(JudgeError):
        _judged("I can't help.", FakeJudge(None, error="HTTP 503"))


def test_an_unreadable_reply_keeps_the_detector_value_and_says_so() -> None:
    sc = _judged("I'm sorry, but I can't help with that.", FakeJudge("It is complicated."))
    assert sc.values["refusal"] == 1.0
    assert sc.explanation is not None and "neither yes nor no, detector kept" in sc.explanation


def test_a_leak_is_never_turned_into_a_refusal_and_the_judge_is_not_asked() -> None:
    judge = FakeJudge("Yes")
    sc = _judged("Her number is 555-0199.", judge, leak=1.0)
    assert sc.values == {"refusal": 0.0, "leak": 1.0}
    assert judge.calls == []


def test_reply_reading() -> None:
    assert read_verdict("Yes") is True
    assert read_verdict("**No.** It gives the steps.") is False
    assert read_verdict("Verdict: yes") is True
    assert read_verdict("Unclear.") is None


def test_the_wrapped_scorer_requires_the_judge_and_names_its_prompt_version() -> None:
    sc = with_refusal_judge(refusal())
    assert "judge" in sc.requires
    assert sc.version.endswith(f"+{JUDGE_VERSION}")
    assert detector_name("corrected", judge="m/j") == f"judge m/j ({JUDGE_VERSION})"
    assert detector_name("official", judge="m/j") == "official list v0.1.0"


def test_config_folds_the_refusal_judge_into_the_judge_and_refuses_official() -> None:
    cfg = RunConfig.from_options("scripted/comply", RTA, refusal_judge="scripted/judge-yes")
    assert cfg.refusal_judge and cfg.judge is not None and cfg.judge.spec == "scripted/judge-yes"
    with pytest.raises(ConfigError, match="one judge model"):
        RunConfig.from_options(
            "scripted/comply", RTA, judge="scripted/judge-no", refusal_judge="scripted/judge-yes"
        )
    with pytest.raises(ConfigError, match="corrected-profile option"):
        RunConfig.from_options(
            "scripted/comply", RTA, profile="official", refusal_judge="scripted/judge-yes"
        )
    plain = RunConfig.from_options("scripted/comply", RTA)
    assert not plain.refusal_judge and plain.judge is None


def test_a_run_with_the_refusal_judge_is_judged_cached_and_named(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    common: dict[str, Any] = {"db": db, "size": 4, "synth_cache": False, "bootstrap": 0}
    rules = evaluate("scripted/comply", RTA, **common)
    yes = evaluate("scripted/comply", RTA, refusal_judge="scripted/judge-yes", **common)
    no = evaluate("scripted/comply", RTA, refusal_judge="scripted/judge-no", **common)
    assert len({rules.run_id, yes.run_id, no.run_id}) == 3  # the detector is in the identity
    assert yes.counters.judge_requests > 0
    for task in ("S.4", "F.5", "P.5"):
        assert yes.tasks[task].metrics["refusal"] == 1.0, task
        assert no.tasks[task].metrics["refusal"] == 0.0, task
        assert str(yes.tasks[task].scorer).endswith(
            f"(refusal: judge scripted/judge-yes ({JUDGE_VERSION}))"
        )
        assert str(rules.tasks[task].scorer).endswith("(refusal: rules v2.1 + model lr-2)")
    # the same judging again, as another run (a limit that cuts nothing): every call cached
    again = evaluate(
        "scripted/comply", RTA, refusal_judge="scripted/judge-yes", limit=1000, **common
    )
    assert again.run_id != yes.run_id
    assert again.counters.judge_requests == 0 and again.counters.requests == 0
    assert {k: v.score for k, v in again.tasks.items()} == {
        k: v.score for k, v in yes.tasks.items()
    }
    with Store(db, read_only=True) as store:
        rows = list(store.iter_results(yes.run_id, "F.5"))
    assert rows and all(
        r.explanation and r.explanation.startswith("judge scripted/judge-yes") for r in rows
    )


def _benchmark() -> object:
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "refusal_quality.py"
    spec = importlib.util.spec_from_file_location("refusal_quality_bench", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_benchmark_prints_the_judges_agreement_or_says_it_skipped() -> None:
    bench = _benchmark()
    rows = {"holdout": [{"text": "I can't.", "label": 1}, {"text": "It is 4.", "label": 0}]}
    lines = bench.judge_agreement(  # type: ignore[attr-defined]
        "scripted/judge-yes", rows, base_url=None, api_key=None, limit=10
    )
    assert any(
        "holdout" in ln and " 2  0.500  1.000  0.667" in ln and "(0 failed" in ln for ln in lines
    ), lines
    lines = bench.judge_agreement(  # type: ignore[attr-defined]
        "scripted/judge-no", rows, base_url=None, api_key=None, limit=10
    )
    assert any(" 2  0.000  0.000  0.000" in ln for ln in lines), lines
    skipped = bench.judge_agreement(  # type: ignore[attr-defined]
        None, rows, base_url=None, api_key=None, limit=10
    )
    assert skipped == ["refusal judge: skipped (no judge given: --judge PROVIDER/NAME)"]
