"""The refusal rules' skipping regexes: ``fast`` drops only top-level leading ``\\b`` (after
the start and after each top-level ``|``), copies escapes and character classes whole, keeps
the flags; ``at_word`` puts back what the dropped ``\\b`` asserted. (The rules' tables are
built once, so these are called here directly: see docs/testing.md.)"""

from __future__ import annotations

import re

import pytest

from multitrust.scoring.refusal._fast import at_word, fast


@pytest.mark.parametrize(
    ("pattern", "want"),
    [
        (r"\bcan't\b", r"can't\b"),
        (r"\bno\b|\bnot\b", r"no\b|not\b"),
        (r"(\bno|\bnot)\b", r"(\bno|\bnot)\b"),  # inside a group: kept
        (r"(a|b)|\bc", r"(a|b)|c"),  # depth back to 0 after the group
        (r"x\bb", r"x\bb"),  # not leading: kept
        (r"\b\bz", r"\bz"),  # one leading \b per alternative
        (r"[|(]\bq|\br", r"[|(]\bq|r"),  # a class is copied whole, | and ( inside it count not
        (r"[]|]a|\bb", r"[]|]a|b"),  # "]" first in a class is part of it
        (r"\(|\bw", r"\(|w"),  # an escaped "(" opens no group
        (r"\||\bv", r"\||v"),  # an escaped "|" starts no alternative
        ("", ""),
    ],
)
def test_fast_drops_only_top_level_leading_word_boundaries(pattern: str, want: str) -> None:
    assert fast(pattern).pattern == want


def test_fast_keeps_the_flags() -> None:
    rx = fast(r"\bsorry", re.IGNORECASE)
    assert rx.flags & re.IGNORECASE and rx.search("SORRY")


@pytest.mark.parametrize(
    ("text", "start", "want"),
    [
        ("sorry", 0, True),
        ("I'm sorry", 4, True),
        ("unsorry", 2, False),
        ("_sorry", 1, False),
        ("9sorry", 1, False),
        ("a, no", 3, True),  # a space before: a word starts
        ("a,!", 2, True),  # not alphanumeric itself
        ("x抱歉", 1, True),  # CJK: no word boundaries
    ],
)
def test_at_word(text: str, start: int, want: bool) -> None:
    assert at_word(text, start) is want
