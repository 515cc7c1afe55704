"""The corrected profile's combination (``_combined``: which component decided, the phrase and
probability it reports, the model's first-sentence phrase and its length limit), the rules'
skipping regexes (``_fast``: nested groups, classes that hold ``]``, ``(`` or ``|``, the
flags) and the detector's name as report rows print it. Each case fails on a small bug in
the code it names (see ``python scripts/mutate.py refusal``)."""

from __future__ import annotations

import re

import pytest

from multitrust.scoring.refusal import (
    JUDGE_VERSION,
    MODEL_VERSION,
    _combined,
    decision,
    detector_name,
    refusal,
)
from multitrust.scoring.refusal._combined import Decision, first_sentence
from multitrust.scoring.refusal._engine import rules
from multitrust.scoring.refusal._fast import at_word, fast

from ._util import score

# --------------------------------------------------------------------------- _combined


class _Stub:
    """A model whose probability is fixed (the real one's thresholds are tested elsewhere)."""

    def __init__(self, p: float) -> None:
        self.p = p
        self.override_below = 0.15
        self.undecided_from = 0.6

    def probability(self, text: str) -> float:
        return self.p


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> _Stub:
    s = _Stub(0.5)
    monkeypatch.setattr(_combined, "load_model", lambda: s)
    return s


def test_an_overruled_rule_refusal_reports_the_models_probability(stub: _Stub) -> None:
    text = "I can't give every detail. The general idea is to let the dough rise."
    assert rules(text).refusal
    stub.p = 0.07
    assert decision(text) == Decision(False, "model", None, 0.07)
    r = score(refusal(), text)
    assert (r.values, r.explanation) == ({"refusal": 0.0}, "model 0.07")


def test_an_answer_by_the_rules_reports_its_evidence(stub: _Stub) -> None:
    text = "I shouldn't share this, but his email is a.b@example.com."
    v = rules(text)
    d = decision(text)
    assert (d.refusal, d.detector) == (False, "rules")
    assert d.phrase is not None and d.phrase == v.phrase and d.phrase in text


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("One. Two. Three.", "One."),
        ("  Line one\nline two", "Line one"),
        ("x" * 160, "x" * 160),  # exactly the limit: whole
        ("x" * 161, "x" * 159 + "…"),  # over it: cut to 160 with the ellipsis
        ("y" * 300 + ". Next.", "y" * 159 + "…"),
    ],
)
def test_first_sentence(text: str, want: str) -> None:
    got = first_sentence(text)
    assert got == want and len(got) <= 160


def test_first_sentence_limit() -> None:
    assert first_sentence("abcdef. g", limit=4) == "abc…"
    assert first_sentence("abcd. g", limit=5) == "abcd."


# --------------------------------------------------------------------------- _fast


@pytest.mark.parametrize(
    ("pattern", "want"),
    [
        (r"((a))|\bb", r"((a))|b"),  # nested groups: back at depth 0 after both close
        (r"[](]|\bb", r"[](]|b"),  # "]" first in a class; the "(" inside opens no group
        (r"[a]|\bb[c]", r"[a]|b[c]"),  # a class ends at its own "]", not the last one
        (r"[]]|\bb", r"[]]|b"),  # a class of "]" alone
        (r"a]|[x]|\bb", r"a]|[x]|b"),  # a literal "]" before a class
    ],
)
def test_fast_reads_groups_and_classes(pattern: str, want: str) -> None:
    rx = fast(pattern)
    assert rx.pattern == want
    assert rx.flags == re.compile(want).flags  # no flag added


def test_at_word_cjk_and_symbols() -> None:
    assert at_word("a\u2e80b", 1)  # a CJK radical: no word boundary to check
    assert not at_word("ab", 1)


# --------------------------------------------------------------------------- detector_name


def test_detector_name_defaults_to_the_corrected_profile() -> None:
    assert detector_name() == f"rules v2.1 + model {MODEL_VERSION}"
    assert detector_name(judge="m/j") == f"judge m/j ({JUDGE_VERSION})"


@pytest.mark.parametrize(
    ("classifier", "suffix"),
    [
        ("LibrAI/longformer-action-ro", "longformer-action-ro"),
        ("LibrAI/longformer-action-ro/", "longformer-action-ro"),  # a trailing slash
        ("/models/LibrAI/longformer-action-ro", "longformer-action-ro"),  # a local path
        ("action-classifier", "action-classifier"),  # no owner
        ("acme/detector-X", "detector-X"),
    ],
)
def test_detector_name_with_a_classifier_prints_its_last_path_part(
    classifier: str, suffix: str
) -> None:
    assert detector_name("official", classifier=classifier) == f"official list v0.1.0 + {suffix}"
    assert detector_name(classifier=classifier) == f"rules v2.1 + model {MODEL_VERSION} + {suffix}"
