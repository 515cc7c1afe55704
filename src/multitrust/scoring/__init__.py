"""Scorers: rule-based first, judges where a task needs one."""

from multitrust.scoring.base import PROFILES, Scorer, ScoreContext, combine, rule
from multitrust.scoring.refusal import is_refusal

__all__ = ["PROFILES", "ScoreContext", "Scorer", "combine", "is_refusal", "rule"]
