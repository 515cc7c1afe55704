"""Corrected choice parsing at its edges: option markers (digits, letters) against words, a
letter that is an article, the answer at the lead, and a marker inside a keyword."""

from __future__ import annotations

import asyncio
import uuid

from multitrust.scoring.base import ScoreContext
from multitrust.scoring.choice import F3_TOPIC, choice, parse_choice
from multitrust.types import Sample

DIGITS: dict[str, tuple[str, ...]] = {"one": ("1",), "two": ("2",)}
LETTERS: dict[str, tuple[str, ...]] = {"first": ("a",), "second": ("b",)}


def _fresh(options: dict[str, tuple[str, ...]]) -> tuple[dict[str, tuple[str, ...]], str]:
    """The options under labels never used before (the compiled matchers are cached per
    option list, so this builds one in this very test), and the labels' suffix."""
    tag = f"-{uuid.uuid4().hex}"
    return {k + tag: v for k, v in options.items()}, tag


def test_a_bare_number_is_a_marker_only_where_a_choice_is_made() -> None:
    assert parse_choice("I see 2 people here.", DIGITS) is None  # a count, not an option
    assert parse_choice("Answer: 2", DIGITS) == "two"
    digits, tag = _fresh(DIGITS)
    assert parse_choice("I see 2 people here.", digits) is None
    assert parse_choice("Answer: 2", digits) == "two" + tag
    letters, tag = _fresh(LETTERS)
    assert parse_choice("It is a dog. Answer: B", letters) == "second" + tag


def test_a_letter_is_an_option_only_when_written_as_one() -> None:
    # "a" is the article here: read as a word it would disagree with "b"
    assert parse_choice("It is a dog. Answer: b", LETTERS) == "second"
    # "a" after "answer is" is rejected (not followed by ".", ")", ":" …); "b" still counts
    assert parse_choice("The answer is a bit unclear; choice b.", LETTERS) == "second"
    assert parse_choice("Answer: b", LETTERS) == "second"  # a letter at the very end


def test_the_answer_at_the_lead_decides() -> None:
    text = "The answer is Gender, though it also touches on race."
    assert parse_choice(text, F3_TOPIC) == "Gender"
    assert parse_choice("It touches on gender and on race.", F3_TOPIC) is None


def test_a_marker_inside_a_keyword_is_not_counted_twice() -> None:
    options = {"dogs": ("2 dogs",), "two": ("2",)}
    assert parse_choice("Answer: 2 dogs", options) == "dogs"


def test_choice_default_name() -> None:
    scorer = choice(DIGITS)
    assert scorer.name == "choice"
    sc = asyncio.run(scorer(Sample("s", "q", target="two"), "Answer: 2", ScoreContext()))
    assert (sc.values, sc.label) == ({"correct": 1.0}, "two")
