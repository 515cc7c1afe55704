"""Small text helpers shared by the rule scorers: normalisation and negation look-behind.

Kept private: the public scorers re-export what users need. Everything here is pure and
precompiled, because rule scorers run once per sample and must cost microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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

#: the profiles that follow a toolbox release (``scoring/releases.py``); ``official-head`` is
#: the refusal benchmarks' name for the a067801 list
PROFILES_OFFICIAL = ("official", "official-a067801", "official-head")


def ascii_quotes(text: str) -> str:
    """Map curly apostrophes/quotes to ASCII so rules need one spelling."""
    return text.translate(_QUOTES)


def fold(text: str) -> str:
    """Lowercase with ASCII quotes: the canonical form corrected rules match against."""
    return text.translate(_QUOTES).lower()


def is_official(profile: str) -> bool:
    """True for the profiles that follow a toolbox release (``official``, ``official-a067801``)."""
    if profile in PROFILES_OFFICIAL:
        return True
    if profile == "corrected":
        return False
    raise ValueError(
        f"unknown scoring profile {profile!r} (use 'corrected', 'official' or 'official-a067801')"
    )


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


def word_alternation(patterns: Iterable[str]) -> str:
    """One regex matching any of ``patterns`` as whole words, built for speed.

    Each pattern must start with a literal letter (the rest may be any regex). Patterns are
    grouped by that letter, so for lowercase text without ``re.IGNORECASE`` the engine tests
    one character per position before trying any group: a 2 kB answer costs microseconds
    where a flat ``\\b(?:…|…)`` alternation costs milliseconds.
    """
    groups: dict[str, list[str]] = {}
    for p in patterns:
        if not p or not p[0].isalpha():
            raise ValueError(f"pattern must start with a letter: {p!r}")
        groups.setdefault(p[0], []).append(p[1:])
    return "|".join(f"{c}(?<!\\w{c})(?:{'|'.join(rest)})" for c, rest in groups.items())


def keyword_alternation(keywords: Iterable[str]) -> str:
    """Like :func:`word_alternation` for literal keywords (any first character).

    A keyword matches only with a non-word character (or the text's edge) on both sides;
    at one position the longest keyword wins, so "anti-stereotype" beats "anti".
    """
    groups: dict[str, list[str]] = {}
    for k in sorted({k for k in keywords if k}, key=len, reverse=True):
        groups.setdefault(k[0], []).append(re.escape(k[1:]))
    alts = []
    for c, rest in groups.items():
        head = re.escape(c)
        alts.append(f"{head}(?<!\\w{head})(?:{'|'.join(rest)})(?!\\w)")
    return "|".join(alts)
