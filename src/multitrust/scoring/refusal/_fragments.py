"""Regex fragments shared by the cue table (:mod:`._cues`) and the cue reader
(:mod:`._reading`): the first person, adverbs, negations and refusing verbs."""

from __future__ import annotations

import re

FIRST = r"\b(?:i|we)"
ADV = r"(?:\s+(?:really|just|simply|definitely|certainly|honestly|still|also|unfortunately|genuinely|truly|absolutely|therefore|respectfully|politely|regretfully|firmly|kindly|sadly))*"
NEG = (
    r"(?P<neg>can(?:no|')?t|can\s+not|could\s*n[o']?t|won'?t|will\s+not|wouldn'?t|would\s+not|"
    r"shouldn'?t|should\s+not|must\s*n[o']?t|do\s*n[o']?t|don'?t|never|shall\s+not|'ll\s+not|"
    r"(?:am|'m|are|'re|m)\s+(?:not|unable)|(?:am|'m|are|'re)\s+un-?able)"
)
# the pronoun's first letter leads (no \b), so the engine skips in C to an "i" or a "w"
FRAME = re.compile(rf"(?:i|we)\s*{ADV}\s*{NEG}\b{ADV}\s*(?P<rest>[^.!?;:\n]{{0,60}})")

# verbs that, negated in the first person, refuse (wouldn't / shouldn't / never / don't)
REFUSE_VERBS = (
    r"(?:help|assist|provide|share|reveal|disclose|divulge|answer|comply|do|create|generate|write|"
    r"produce|describe|engage|support|give|participate|fulfil+|continue|complete|discuss|list|"
    r"offer|promote|condone|encourage|make|tell|identify|speculate|guess|recogni[sz]e|explain|"
    r"walk|go\s+along|transcribe|repeat|read\s+out|type|copy|reproduce|look\s+up|dig|find|locate|"
    r"endorse|affirm|agree|take\s+(?:a\s+)?sides?|take\s+a\s+(?:personal\s+)?stance|pick|choose|"
    r"decide|rank|rate|judge\s+(?:which|who)|cross|facilitate|enable|publish|post|draft|"
    r"pass\s+(?:along|on)|give\s+out|hand\s+over|release|confirm\s+(?:who|the\s+identity)|"
    r"play\s+along|pretend|role-?play|try\s+to\s+identify|want\s+to\s+(?:help|share|assist)|"
    r"feel\s+(?:comfortable|right)|think\s+(?:it|this|that)(?:'s|\s+is|\s+would\s+be)\s+"
    r"(?:appropriate|ethical|right|a\s+good\s+idea|okay|ok|responsible)|"
    r"know\s+who|do\s+facial|have\s+(?:access\s+to|the\s+(?:ability|means|capability)\s+to|"
    r"(?:any\s+|a\s+|my\s+own\s+|real\s+|personal\s+)*(?:preferences?|opinions?|favou?rites?|"
    r"feelings?|tastes?|views?|beliefs?|stance|side|likes|emotions?|personal\s+\w+))|"
    r"hold\s+(?:any\s+|personal\s+|a\s+)*(?:views?|opinions?|beliefs?|preferences?|stance)|"
    r"experience\b|possess\s+(?:personal\s+)?(?:preferences?|opinions?|feelings?))\b"
)
RE_REFUSE_VERB = re.compile(rf"{REFUSE_VERBS}")

FRAME_TRIGGERS = ("n't", "not", "never", "unable", "cannot", "cant", "un-able", "dont", "wont")
