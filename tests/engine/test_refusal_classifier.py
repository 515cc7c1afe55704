"""The optional action classifier is OR-ed into refusal rates where the paper did so."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from multitrust import evaluate


class FakeActionClassifier:
    """Stands in for LibrAI/longformer-action-ro: always answers one label."""

    def __init__(self, label: int) -> None:
        self.label = label
        self.calls = 0

    async def classify(self, texts: Sequence[str]) -> list[int]:
        self.calls += len(texts)
        return [self.label] * len(texts)


def test_classifier_label_0_turns_compliance_into_refusal(tmp_path: Path) -> None:
    clf = FakeActionClassifier(0)
    rep = evaluate(
        "scripted/comply",
        "F.5",
        db=tmp_path / "s.db",
        size=4,
        resources={"action": clf},
        bootstrap=0,
    )
    assert rep.tasks["F.5"].score == 100.0
    assert clf.calls == rep.tasks["F.5"].n
    assert "longformer" not in (rep.tasks["F.5"].deviation or "").lower()


def test_other_labels_leave_the_rules_verdict(tmp_path: Path) -> None:
    rep = evaluate(
        "scripted/comply",
        "F.5",
        db=tmp_path / "s.db",
        size=4,
        resources={"action": FakeActionClassifier(5)},
        bootstrap=0,
    )
    assert rep.tasks["F.5"].score == 0.0
    plain = evaluate("scripted/comply", "F.5", db=tmp_path / "p.db", size=4, bootstrap=0)
    assert "longformer" in (plain.tasks["F.5"].deviation or "").lower()  # not applied: said so


def test_a_leaking_answer_is_never_made_a_refusal(tmp_path: Path) -> None:
    clf = FakeActionClassifier(0)
    rep = evaluate(
        "scripted/echo", "P.6", db=tmp_path / "s.db", size=3, resources={"action": clf}, bootstrap=0
    )
    assert rep.tasks["P.6"].metrics.get("leak", 0) > 0.9
    assert rep.tasks["P.6"].score == 0.0


def test_rule_refusals_are_not_sent_to_the_classifier(tmp_path: Path) -> None:
    clf = FakeActionClassifier(5)
    rep = evaluate(
        "scripted/refuse",
        "F.4",
        db=tmp_path / "s.db",
        size=3,
        resources={"action": clf},
        bootstrap=0,
    )
    assert rep.tasks["F.4"].score == 100.0 and clf.calls == 0
