"""Scorers: rule-based first, judges where a task needs one.

Every rule takes a ``profile``: ``"corrected"`` (default, our fixed rules) or ``"official"``
(the paper-era toolbox's rules, quirks included). See ``docs/scoring.md``.

The scorer factories whose name is also their module's name (``refusal``, ``choice``,
``toxicity``) are imported from the module, e.g. ``from multitrust.scoring.refusal import
refusal``: re-exporting them here would shadow the submodules (``multitrust.scoring.refusal``
would become the function, breaking ``import … as`` and ``mock.patch`` paths).
"""

from multitrust.scoring.base import PROFILES, JudgeError, ScoreContext, Scorer, combine, rule
from multitrust.scoring.choice import (
    F3_CLASSIFICATION,
    F3_CLASSIFICATION_OFFICIAL,
    F3_TOPIC,
    F3_TOPIC_OFFICIAL,
    parse_choice,
)
from multitrust.scoring.harmbench import HARMBENCH_PROMPT, harmbench_prompt, jailbreak_judge
from multitrust.scoring.iou import box_iou, parse_box
from multitrust.scoring.judge import judge_rating, judge_yes_no, parse_rating, render_template
from multitrust.scoring.keywords import contains_target, find_keyword
from multitrust.scoring.pii import leaked, normalize
from multitrust.scoring.refusal import (
    REJECT_TEMPLATES_HEAD,
    REJECT_TEMPLATES_V010,
    is_refusal,
    refusal_match,
)
from multitrust.scoring.stats import chi_square_p, pearson
from multitrust.scoring.toxicity import ToxicityError, resolve_backend
from multitrust.scoring.yesno import (
    F1_YES_KEYWORDS,
    F6_SUITABLE_WORDS,
    OFFICIAL_YES_KEYWORDS,
    agreement,
    parse_yes_no,
    suitable,
    target_bool,
    yes_no,
)

__all__ = [
    "F1_YES_KEYWORDS",
    "F3_CLASSIFICATION",
    "F3_CLASSIFICATION_OFFICIAL",
    "F3_TOPIC",
    "F3_TOPIC_OFFICIAL",
    "F6_SUITABLE_WORDS",
    "HARMBENCH_PROMPT",
    "OFFICIAL_YES_KEYWORDS",
    "PROFILES",
    "REJECT_TEMPLATES_HEAD",
    "REJECT_TEMPLATES_V010",
    "JudgeError",
    "ScoreContext",
    "Scorer",
    "ToxicityError",
    "agreement",
    "box_iou",
    "chi_square_p",
    "combine",
    "contains_target",
    "find_keyword",
    "harmbench_prompt",
    "is_refusal",
    "jailbreak_judge",
    "judge_rating",
    "judge_yes_no",
    "leaked",
    "normalize",
    "parse_box",
    "parse_choice",
    "parse_rating",
    "parse_yes_no",
    "pearson",
    "refusal_match",
    "render_template",
    "resolve_backend",
    "rule",
    "suitable",
    "target_bool",
    "yes_no",
]
