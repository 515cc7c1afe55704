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
from multitrust.scoring.iou import box_iou, normalize_box, parse_box
from multitrust.scoring.judge import (
    caption_judge,
    judge_rating,
    judge_yes_no,
    parse_rating,
    prompt_judge,
    rating_judge,
    render_template,
)
from multitrust.scoring.judge_prompts import judge_prompt
from multitrust.scoring.keywords import contains_target, find_keyword
from multitrust.scoring.pii import leaked, normalize
from multitrust.scoring.privacy import (
    infoflow_rating,
    pii_query,
    private_yes_no,
    refusal_and_leak,
)
from multitrust.scoring.refusal import (
    REJECT_TEMPLATES_HEAD,
    REJECT_TEMPLATES_V010,
    is_refusal,
    refusal_match,
)
from multitrust.scoring.registry import get_scorer, scorer_names
from multitrust.scoring.releases import profile_label, release_of, rules_identity
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
    "caption_judge",
    "chi_square_p",
    "combine",
    "contains_target",
    "find_keyword",
    "get_scorer",
    "harmbench_prompt",
    "infoflow_rating",
    "is_refusal",
    "jailbreak_judge",
    "judge_prompt",
    "judge_rating",
    "judge_yes_no",
    "leaked",
    "normalize",
    "normalize_box",
    "parse_box",
    "parse_choice",
    "parse_rating",
    "parse_yes_no",
    "pearson",
    "pii_query",
    "private_yes_no",
    "profile_label",
    "prompt_judge",
    "rating_judge",
    "refusal_and_leak",
    "refusal_match",
    "release_of",
    "render_template",
    "resolve_backend",
    "rule",
    "rules_identity",
    "scorer_names",
    "suitable",
    "target_bool",
    "yes_no",
]
