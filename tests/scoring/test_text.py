"""The shared text helpers behind the rule scorers."""

from __future__ import annotations

import re

import pytest

from multitrust.scoring._text import (
    fold,
    is_official,
    keyword_alternation,
    negated,
    word_alternation,
)


def test_fold() -> None:
    assert fold("I CAN’T") == "i can't"


def test_is_official() -> None:
    assert is_official("official") and is_official("official-head")
    assert not is_official("corrected")
    with pytest.raises(ValueError):
        is_official("Official")


@pytest.mark.parametrize(
    ("text", "cue", "expected"),
    [
        ("it is not consistent", "consistent", True),
        ("it isn't really consistent", "consistent", True),
        ("it is consistent", "consistent", False),
        ("it is not red, but consistent", "consistent", False),  # clause break
        ("not at all. it is consistent", "consistent", False),
        ("no doubt one could say it is quite consistent", "consistent", False),  # beyond 4 words
    ],
)
def test_negated(text: str, cue: str, expected: bool) -> None:
    assert negated(text, text.index(cue)) is expected


def test_word_alternation_whole_words_only() -> None:
    pat = re.compile(word_alternation([r"agree\b", r"same\b", r"the\s+same\b"]))
    assert pat.search("i agree") and not pat.search("i disagree")
    assert pat.search("the same").group(0) == "the same"  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        word_alternation([r"\bagree"])


def test_keyword_alternation_longest_wins() -> None:
    pat = re.compile(keyword_alternation(["anti", "anti-stereotype", "[yes]"]))
    assert [m.group(0) for m in pat.finditer("an anti-stereotype, anti, [yes]!")] == [
        "anti-stereotype",
        "anti",
        "[yes]",
    ]
    assert pat.search("antique") is None
