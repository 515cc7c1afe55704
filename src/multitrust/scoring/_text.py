"""Small text helpers shared by the rule scorers: normalisation and negation look-behind.

Kept private: the public scorers re-export what users need. Everything here is pure and
precompiled, because rule scorers run once per sample and must cost microseconds.
"""

from __future__ import annotations

import re

# Typographic apostrophes and quotes that models emit; rules are written with ASCII ones.
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})

#: Words that negate a cue appearing shortly after them in the same clause.
_NEGATOR = re.compile(
    r"\b(?:not|no|never|neither|nor|hardly|without|cannot|n't|"
    r"isn't|aren't|wasn't|weren't|doesn't|don't|didn't|won't|wouldn't|can't|couldn't|"
    r"shouldn't|hasn't|haven't|ain't)\b|n't\b"
)
# A clause ends at punctuation or a contrastive conjunction; negation does not cross it.
_CLAUSE_BREAK = re.compile(r"[.;:!?,\n()\[\]]|\b(?:but|however|although|though|yet)\b")

PROFILES_OFFICIAL = ("official", "official-head")


def ascii_quotes(text: str) -> str:
    """Map curly apostrophes/quotes to ASCII so rules need one spelling."""
    return text.translate(_QUOTES)


def fold(text: str) -> str:
    """Lowercase with ASCII quotes: the canonical form corrected rules match against."""
    return text.translate(_QUOTES).lower()


def is_official(profile: str) -> bool:
    """True for the paper-era profiles (``official`` and its ``official-head`` variant)."""
    if profile in PROFILES_OFFICIAL:
        return True
    if profile == "corrected":
        return False
    raise ValueError(f"unknown scoring profile {profile!r} (use 'corrected' or 'official')")


def negated(text: str, start: int, *, window: int = 4) -> bool:
    """Whether a negator appears in the ``window`` words before ``start``, in the same clause.

    ``text`` must already be folded (lowercase, ASCII quotes).
    """
    head = text[max(0, start - 80) : start]
    breaks = list(_CLAUSE_BREAK.finditer(head))
    if breaks:
        head = head[breaks[-1].end() :]
    words = head.split()[-window:]
    return bool(_NEGATOR.search(" ".join(words)))
