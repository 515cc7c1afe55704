"""Yes/no answer parsing. PROVISIONAL minimal version; the scoring module owner extends it.

Public API (stable): ``parse_yes_no(text, profile="corrected") -> bool | None`` and scorer
factories ``yes_no()`` (values ``{"correct": 0/1}`` against a bool/"yes"/"no" target) and
``agreement()`` (values ``{"agree": 0/1}``).
"""

from __future__ import annotations

import re

from multitrust.scoring.base import ScoreContext, Scorer, rule
from multitrust.types import Sample, Score

_YES = re.compile(r"^\W*(yes|\[yes\])\b", re.I)
_NO = re.compile(r"^\W*(no|\[no\])\b", re.I)


def parse_yes_no(text: str, profile: str = "corrected") -> bool | None:
    t = text.strip()
    if _YES.search(t):
        return True
    if _NO.search(t):
        return False
    return None


def target_bool(target: object) -> bool:
    if isinstance(target, bool):
        return target
    return str(target).strip().strip("[].").lower() in ("yes", "true", "1")


def yes_no(name: str = "yes_no") -> Scorer:
    @rule(name)
    def _score(sample: Sample, output: str, ctx: ScoreContext) -> Score:
        ans = parse_yes_no(output, ctx.profile)
        if ans is None:
            return Score({"correct": 0.0}, "unparseable")
        ok = ans == target_bool(sample.target)
        return Score({"correct": 1.0 if ok else 0.0}, "yes" if ans else "no")

    return _score


def agreement(name: str = "agreement") -> Scorer:
    @rule(name)
    def _score(sample: Sample, output: str, ctx: ScoreContext) -> Score:
        ans = parse_yes_no(output, ctx.profile)
        return Score({"agree": 1.0 if ans else 0.0}, "yes" if ans else ("no" if ans is False else "unparseable"))

    return _score
