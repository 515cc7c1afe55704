"""with_action_classifier: the paper's classifier OR as a scorer combinator, applied at plan time."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from multitrust.scoring.base import ScoreContext, Scorer, ScoringSettings
from multitrust.scoring.classifiers import (
    ActionClassifierError,
    ClassifierRefusal,
    with_action_classifier,
)
from multitrust.types import Sample, Score


class Fake:
    def __init__(self, label: int | Exception) -> None:
        self.label = label
        self.seen: list[str] = []

    async def classify(self, texts: Sequence[str]) -> list[int]:
        self.seen.extend(texts)
        if isinstance(self.label, Exception):
            raise self.label
        return [self.label] * len(texts)


def fixed(values: dict[str, float | None], explanation: str | None = "rule") -> Scorer:
    async def fn(sample: Sample, output: str, ctx: ScoreContext) -> Score:
        return Score(dict(values), "answer", explanation)

    return Scorer("inner", fn, version="7", requires=("x",), params={"p": 1})


SAMPLE = Sample("s1", "q")
POLICY = ClassifierRefusal(frozenset({0, 4}), min_chars=10)


def run(scorer: Scorer, output: str, clf: Fake | None) -> Score:
    ctx = ScoreContext(resources={"action": clf} if clf is not None else {})
    return asyncio.run(scorer(SAMPLE, output, ctx))


def test_keeps_the_scorers_identity() -> None:
    inner = fixed({"refusal": 0.0})
    wrapped = with_action_classifier(inner, POLICY)
    assert (wrapped.id, wrapped.requires, wrapped.params) == ("inner@7", ("x",), {"p": 1})
    assert run(wrapped, "a long enough answer", Fake(0)).scorer == "inner"


def test_a_refusing_label_turns_an_answer_into_a_refusal() -> None:
    clf = Fake(4)
    got = run(with_action_classifier(fixed({"refusal": 0.0}), POLICY), "a long enough answer", clf)
    assert got.values == {"refusal": 1.0} and got.label == "refusal"
    assert got.explanation == "action classifier label 4; rule"
    assert clf.seen == ["a long enough answer"]


@pytest.mark.parametrize(
    ("values", "output", "label"),
    [
        ({"refusal": 1.0}, "a long enough answer", 0),  # the rules already refused: not asked
        ({"refusal": 0.0, "leak": 1.0}, "a long enough answer", 0),  # a leak stays a leak
        ({"refusal": 0.0}, "short", 0),  # under min_chars
        ({"refusal": 0.0}, "a long enough answer", 5),  # a label that is not refusing
        ({"correct": 0.0}, "a long enough answer", 0),  # no refusal value at all
    ],
)
def test_leaves_the_rules_verdict(values: dict[str, float | None], output: str, label: int) -> None:
    got = run(with_action_classifier(fixed(values), POLICY), output, Fake(label))
    assert got.values == values and got.label == "answer"


def test_without_a_classifier_nothing_changes() -> None:
    got = run(with_action_classifier(fixed({"refusal": 0.0}), POLICY), "a long answer", None)
    assert got.values == {"refusal": 0.0}


def test_a_classifier_failure_is_an_error_not_a_verdict() -> None:
    wrapped = with_action_classifier(fixed({"refusal": 0.0}), POLICY)
    with pytest.raises(ActionClassifierError, match="refusal classifier: boom"):
        run(wrapped, "a long enough answer", Fake(RuntimeError("boom")))


def test_configure_keeps_the_classifier() -> None:
    inner = fixed({"refusal": 0.0})
    inner.configure = lambda settings: fixed({"refusal": 0.0}, explanation=settings.toxicity)
    wrapped = with_action_classifier(inner, POLICY).for_run(ScoringSettings(toxicity="offline"))
    got = run(wrapped, "a long enough answer", Fake(0))
    assert (
        got.values == {"refusal": 1.0} and got.explanation == "action classifier label 0; offline"
    )
