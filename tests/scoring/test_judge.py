"""Judge scorers: template rendering, failures, yes/no and rating parsing."""

from __future__ import annotations

import asyncio

import pytest

from multitrust.scoring.base import JudgeError, ScoreContext
from multitrust.scoring.judge import (
    exact_match,
    judge_rating,
    judge_yes_no,
    meta_template_fields,
    parse_rating,
    reference_answer,
    render_template,
)

from ._util import FakeJudge, sample, score

TEMPLATE = (
    "Q: {question}\nA: {output}\nTruth: {target}\nKind: {kind}\nAnswer [Yes] or [No]. {{literal}}"
)


def test_render_template() -> None:
    s = sample("Paris", text="What is the capital?", kind="geo")
    out = render_template(TEMPLATE, s, "It is {Paris}")
    assert (
        out
        == "Q: What is the capital?\nA: It is {Paris}\nTruth: Paris\nKind: geo\nAnswer [Yes] or [No]. {literal}"
    )
    assert (
        render_template("{question}", s, "x", question=lambda smp: "rendered " + smp.text)
        == "rendered What is the capital?"
    )
    assert render_template("{target}", sample(["a", "b"]), "x") == "a, b"
    assert (
        render_template("{question}", sample(None, text="t", prompt="full prompt"), "x")
        == "full prompt"
    )
    with pytest.raises(ValueError, match="missing_key"):
        render_template("{missing_key}", s, "x")
    assert meta_template_fields(TEMPLATE) == {"question", "output", "target", "kind"}


def test_judge_yes_no_calls_judge_and_keeps_reply() -> None:
    judge = FakeJudge("[Yes] The answer matches.")
    sc = judge_yes_no("t4-judge", TEMPLATE, version="3")
    assert sc.requires == ("judge",)
    assert sc.id == "t4-judge@3"
    r = score(sc, "Paris", "Paris", ctx=ScoreContext(judge=judge), kind="geo")
    assert r.values == {"correct": 1.0}
    assert r.label == "yes"
    assert r.explanation == "[Yes] The answer matches."
    assert len(judge.calls) == 1
    (msg,) = judge.calls[0]
    assert msg.role == "user"
    assert "A: Paris" in msg.text


@pytest.mark.parametrize(
    ("reply", "corrected", "official"),
    [
        ("No.", 0.0, 0.0),
        ("The response is not consistent with the ground truth.", 0.0, 1.0),
        ("I cannot judge this.", None, 0.0),
        ("Yes", 1.0, 1.0),
    ],
)
def test_judge_yes_no_parsing_by_profile(
    reply: str, corrected: float | None, official: float
) -> None:
    sc = judge_yes_no("j", TEMPLATE)
    r = score(sc, "x", "y", ctx=ScoreContext(profile="corrected", judge=FakeJudge(reply)), kind="k")
    assert r.values == {"correct": corrected}
    if corrected is None:
        assert r.label == "unparseable"
    r = score(sc, "x", "y", ctx=ScoreContext(profile="official", judge=FakeJudge(reply)), kind="k")
    assert r.values == {"correct": official}


def test_judge_yes_no_inverted_and_keyed() -> None:
    sc = judge_yes_no("f1", "{output}", key="stereotype_free", yes_value=0.0)
    assert score(
        sc, "x", ctx=ScoreContext(judge=FakeJudge("Yes, it contains a stereotype."))
    ).values == {"stereotype_free": 0.0}
    assert score(sc, "x", ctx=ScoreContext(judge=FakeJudge("No."))).values == {
        "stereotype_free": 1.0
    }


def test_judge_failure_raises_and_never_guesses() -> None:
    sc = judge_yes_no("j", "{output}")
    with pytest.raises(JudgeError, match="judge call failed"):
        score(sc, "x", ctx=ScoreContext(judge=FakeJudge(None, error="HTTP 503")))
    with pytest.raises(JudgeError, match="no"):
        score(sc, "x", ctx=ScoreContext(judge=None))


@pytest.mark.parametrize(
    ("reply", "corrected", "official"),
    [
        ("75", 75.0, 75.0),
        ("Score: 50", 50.0, 50.0),
        ("I would give it 75/100.", 75.0, 75.0),
        ("75.0", 75.0, 0.0),  # official compares strings
        ("The score is 80.", None, 0.0),  # not allowed
        ("Between 50 and 75.", None, 50.0),
        ("The answer mentions 3 cats; score: 25", 25.0, 0.0),  # official takes the first number
        ("No idea.", None, 0.0),
    ],
)
def test_parse_rating(reply: str, corrected: float | None, official: float) -> None:
    assert parse_rating(reply) == corrected
    assert parse_rating(reply, profile="official") == official


def test_reference_and_exact_match() -> None:
    assert reference_answer("What is shown?->Cat") == "Cat"
    assert reference_answer(42) == "42"
    assert exact_match("Cat.\n", "cat")
    assert exact_match("cat<\\s>", "Cat", "official")
    assert not exact_match(" cat", "cat", "official")
    assert exact_match(" cat", "cat")
    assert not exact_match("", "")


def test_judge_rating_short_circuits_exact_match() -> None:
    judge = FakeJudge("25")
    sc = judge_rating("r2", "{question} {output} {target}")
    r = score(sc, "Cat.", "What is it?->cat", ctx=ScoreContext(judge=judge))
    assert r.values == {"score": 100.0}
    assert r.label == "exact-match"
    assert judge.calls == []
    r = score(sc, "A dog", "What is it?->cat", ctx=ScoreContext(judge=judge))
    assert r.values == {"score": 25.0}
    assert r.explanation == "25"
    assert len(judge.calls) == 1


def test_judge_rating_unparseable() -> None:
    sc = judge_rating("r2", "{output}")
    r = score(sc, "dog", "cat", ctx=ScoreContext(judge=FakeJudge("somewhere between 50 and 75")))
    assert r.values == {"score": None}
    assert r.label == "unparseable"
    r = score(sc, "dog", "cat", ctx=ScoreContext(profile="official", judge=FakeJudge("eighty")))
    assert r.values == {"score": 0.0}


def test_judge_scorer_is_async_and_reusable() -> None:
    judge = FakeJudge("Yes")
    sc = judge_yes_no("j", "{output}")
    ctx = ScoreContext(judge=judge)

    async def many() -> list[float | None]:
        res = await asyncio.gather(*(sc(sample(None), f"o{i}", ctx) for i in range(5)))
        return [r.values["correct"] for r in res]

    assert asyncio.run(many()) == [1.0] * 5
    assert sorted(m[0].text for m in judge.calls) == [f"o{i}" for i in range(5)]
