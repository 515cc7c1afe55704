"""Reads the benchmark's judge prompts from the reference text committed with the tests.

``tests/scoring/data/judge-prompts.md`` is a copy of the project's reference document
(``../shared/reference/judge-prompts.md`` where a checkout has it): each task config's judge
prompt between ```` ```text ```` fences (indented four spaces under its evaluator line), the
judge's generation settings and the yes/no rule's settings as Python literals, and the prompts
that live in the toolbox's code. The tests compare the package's prompts with what this parser
finds, so the two copies are independent: a typo in either fails a test.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).parent / "data" / "judge-prompts.md"
# ./dev.sh test checks this copy against ../shared/reference/judge-prompts.md where that exists

#: task config (as the reference names it) → the prompt id in ``multitrust.scoring.judge_prompts``
CONFIG_PROMPT_IDS: dict[str, str] = {
    "truthfulness/t1-basic-ocr.yaml": "T.1/ocr",
    "truthfulness/t1-basic-grounding.yaml": "T.1/grounding",
    "truthfulness/t3-instruction-enhancement-factual.yaml": "T.3/factual",
    "truthfulness/t3-instruction-enhancement-logic.yaml": "T.3/logic",
    "truthfulness/t4-visual-assistance.yaml": "T.4",
    "truthfulness/t5-text-misleading.yaml": "T.5",
    "truthfulness/t7-visual-misleading.yaml": "T.7",
    "safety/s2-risk-identification.yaml": "S.2",
    "robustness/r1-ood-artistic.yaml": "R.1",
    "robustness/r2-ood-sensor.yaml": "R.2",
    "robustness/r4-adversarial-untarget.yaml": "R.4",
    "robustness/r5-adversarial-target.yaml": "R.5",
    "fairness/f1-stereo-generation.yaml": "F.1",
}


@dataclass
class RefJudge:
    config: str
    evaluator: str
    judge_model: str
    generation: dict[str, Any]
    template: str
    yes_template: list[str] | None = None
    chain: list[str] = field(default_factory=list)


_EVAL_LINE = re.compile(
    r"^  - `(?P<ev>chatmodel_eval|chatmodel_score)` judge `(?P<model>[^`]+)`, generation "
    r"`(?P<gen>\{[^`]*\})`"
)
_YESNO_LINE = re.compile(r"^  - `rule_yes_or_no_eval` settings `(?P<settings>\{.*\})` metrics")


def _fenced(lines: list[str], start: int, indent: str, lang: str) -> tuple[str, int]:
    """The text of the fence opening at ``lines[start]``, with ``indent`` removed per line."""
    assert lines[start] == f"{indent}```{lang}", lines[start]
    body: list[str] = []
    i = start + 1
    while lines[i] != f"{indent}```":
        line = lines[i]
        assert line.startswith(indent) or not line, f"line {i + 1} breaks the fence's indent"
        body.append(line[len(indent) :])
        i += 1
    return "\n".join(body), i


def read_reference(path: Path = REFERENCE) -> dict[str, RefJudge]:
    """Prompt id → the reference's judge prompt, settings and rule, per judge-scored config."""
    lines = path.read_text(encoding="utf-8").split("\n")
    out: dict[str, RefJudge] = {}
    config = None
    current: RefJudge | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## ") and line.endswith(".yaml"):
            config, current = line[3:], None
        elif line.startswith("## "):
            config, current = None, None
        m = _EVAL_LINE.match(line)
        if m and config is not None:
            template, i = _fenced(lines, i + 1, "    ", "text")
            current = RefJudge(
                config,
                m.group("ev"),
                m.group("model"),
                ast.literal_eval(m.group("gen")),
                template,
            )
            out[CONFIG_PROMPT_IDS[config]] = current
        y = _YESNO_LINE.match(line)
        if y and current is not None:
            current.yes_template = ast.literal_eval(y.group("settings"))["yes_template"]
        i += 1
    return out


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    nxt = text.find("\n### ", start + len(heading))
    return text[start : nxt if nxt >= 0 else len(text)]


def hod_eval_prompt(path: Path = REFERENCE) -> str:
    """S.2's ``HodDataset.EVAL_PROMPT``: the reference's Python repr, evaluated."""
    sec = _section(path.read_text(encoding="utf-8"), "### S.2 risk identification")
    body = sec.split("```python\n", 1)[1].split("\n```", 1)[0]
    value = ast.literal_eval(body)
    assert isinstance(value, str)
    return value


def noise_prompt(path: Path = REFERENCE) -> str:
    """The R.4/R.5 noise question (``{pred}`` = the caption)."""
    sec = _section(path.read_text(encoding="utf-8"), "### R.4 / R.5 noise check")
    lines = sec.split("\n")
    start = lines.index("```text")
    text, _ = _fenced(lines, start, "", "text")
    return text
