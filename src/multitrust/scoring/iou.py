"""Bounding boxes: parse a box from an answer, IoU, and the grounding scorer (T.1).

Boxes are ``(x0, y0, x1, y1)``. Targets are normalised to 0–1; an answer in pixels is
normalised with ``meta["image_size"] = (width, height)``.

``official`` parses like the toolbox's ``iou_judge`` (HEAD): remove ``'''`` and newlines,
strip ``[`` ``]``, split on commas, keep the parts that parse as a float or an ``a/b``
fraction, and require exactly 4 numbers. No pixel normalisation, no reordering (the
toolbox had a GPT judge normalise the box first).

``corrected`` finds the box in free text: the first ``[…]`` or ``(…)`` group holding exactly
4 numbers, else two ``(x, y)`` pairs, else a text holding exactly 4 numbers in all; numbers
glued to words ("x1", "640x480") are ignored. Corners are reordered to (min, max), and pixel
boxes are normalised when the image size is known (otherwise they are unparseable).

Both count a hit when IoU > ``threshold`` (the paper's "> 0.5").
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from multitrust.scoring._text import is_official
from multitrust.scoring.base import PROFILES, JudgeError, ScoreContext, Scorer
from multitrust.scoring.judge import ask_prompt
from multitrust.scoring.judge_prompts import judge_prompt
from multitrust.types import Sample, Score

Box = tuple[float, float, float, float]

_NUM = r"-?\d+(?:\.\d+)?(?:\s*/\s*\d+(?:\.\d+)?)?|-?\.\d+"
# A number not glued to a word or another number ("x1", "640x480", "v2.0" are not numbers).
_FREE_NUM = re.compile(rf"(?<![\w.])(?:{_NUM})(?![\w]|\.\d)")
_GROUP = re.compile(r"\[([^\[\]]*)\]|\(([^()]*)\)")
_PAIRS = re.compile(
    rf"\(\s*({_NUM})\s*,\s*({_NUM})\s*\)\s*,?\s*(?:and|to|-)?\s*\(\s*({_NUM})\s*,\s*({_NUM})\s*\)"
)


def _to_float(s: str) -> float | None:
    s = s.strip()
    try:
        if "/" in s:
            a, b = s.split("/", 1)
            den = float(b)
            return float(a) / den if den else None
        return float(s)
    except ValueError:
        return None


def _numbers(s: str) -> list[float]:
    out = [_to_float(m.group(0)) for m in _FREE_NUM.finditer(s)]
    return [x for x in out if x is not None]


def parse_box_official(text: str) -> Box | None:
    """The toolbox's (HEAD) parser: comma-split, skip unparsable parts, need exactly 4."""
    s = text.replace("'''", "").replace("\n", "").strip().strip("[]")
    nums = [v for v in (_to_float(p) for p in s.split(",")) if v is not None]
    if len(nums) != 4:
        return None
    return (nums[0], nums[1], nums[2], nums[3])


def parse_box(text: str) -> Box | None:
    """The box an answer gives, as written (pixels or 0–1), or None if there is none or several."""
    s = text.replace("'''", " ").replace("```", " ")
    m = _PAIRS.search(s)
    if m:
        vals = [_to_float(g) for g in m.groups()]
        if all(v is not None for v in vals):
            return (vals[0], vals[1], vals[2], vals[3])  # type: ignore[return-value]
    for g in _GROUP.finditer(s):
        nums = _numbers(g.group(1) if g.group(1) is not None else g.group(2))
        if len(nums) == 4:
            return (nums[0], nums[1], nums[2], nums[3])
    nums = _numbers(s)
    if len(nums) == 4:
        return (nums[0], nums[1], nums[2], nums[3])
    return None


def normalize_box(box: Sequence[float], image_size: Sequence[float] | None = None) -> Box | None:
    """Order the corners and scale pixel coordinates to 0–1 (None if pixels without a size)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    x0, x1 = min(x0, x1), max(x0, x1)
    y0, y1 = min(y0, y1), max(y0, y1)
    if max(x1, y1) > 1.0:
        if not image_size:
            return None
        w, h = float(image_size[0]), float(image_size[1])
        if w <= 0 or h <= 0:
            return None
        x0, x1, y0, y1 = x0 / w, x1 / w, y0 / h, y1 / h
    return (x0, y0, x1, y1)


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes; 0 when either is degenerate."""
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def target_box(target: Any) -> Box:
    """A target box from a list/tuple of 4 numbers or a JSON string such as ``"[0.1, 0.2, 0.5, 0.6]"``."""
    if isinstance(target, str):
        target = json.loads(target)
    if not isinstance(target, (list, tuple)) or len(target) != 4:
        raise ValueError(f"not a box target: {target!r}")
    x0, y0, x1, y1 = (float(v) for v in target)
    return (x0, y0, x1, y1)


def _box_fields(sample: Sample) -> tuple[Any, Mapping[str, Any]]:
    """T.1 grounding's judge fields: ``img_size`` as the benchmark's ``(width, height)`` tuple."""
    size = sample.meta.get("image_size")
    return sample.target, {"img_size": tuple(size) if size else ("?", "?")}


async def _ask_box(ctx: ScoreContext, sample: Sample, output: str) -> str:
    prompt = judge_prompt("T.1/grounding", ctx.profile)
    return await ask_prompt(ctx, prompt, sample, output, _box_fields)


def grounding_scorer(*, judge: bool) -> Scorer:
    """T.1 grounding: IoU > 0.5 with the true normalised box.

    ``official`` profile: the judge normalises the answer's box (as the paper did) and its reply
    is read with the toolbox's ``iou_judge`` rule (exactly 4 numbers, else a miss).
    ``corrected`` profile: the box is read from the answer by rule (pixel boxes normalised with
    the image size); the judge is asked only when no box can be read and ``judge`` is set.
    """

    def read(text: str, size: Any) -> tuple[float, float, float, float] | None:
        raw = parse_box(text)
        return normalize_box(raw, size) if raw is not None else None

    async def run(sample: Sample, output: str, ctx: ScoreContext) -> Score:
        size = sample.meta.get("image_size")
        if is_official(ctx.profile):
            if ctx.judge is None:
                raise JudgeError("T.1 grounding needs a judge in the official profile")
            box, how = parse_box_official(await _ask_box(ctx, sample, output)), "judge"
        else:
            box, how = read(output, size), "rule"
            if box is None and judge and ctx.judge is not None:
                box, how = read(await _ask_box(ctx, sample, output), size), "judge"
        if box is None:
            return Score({"correct": 0.0, "iou": 0.0}, "unparseable", f"no box ({how})")
        iou = box_iou(box, target_box(sample.target))
        hit = iou > 0.5
        expl = f"{how}: [" + ", ".join(f"{v:.3f}" for v in box) + f"] iou={iou:.3f}"
        return Score({"correct": 1.0 if hit else 0.0, "iou": iou}, "hit" if hit else "miss", expl)

    scorer = Scorer(
        "t1_grounding",
        run,
        version="2",
        requires=("judge",) if judge else (),
        params={
            "threshold": 0.5,
            "prompts": {
                p: {"T.1/grounding": judge_prompt("T.1/grounding", p).version} for p in PROFILES
            },
        },
    )
    # the official profile cannot score a box without the judge: the planner then skips the
    # task with that reason instead of scoring it on the samples that need no judge
    official = replace(scorer, requires=("judge",))
    return replace(scorer, configure=lambda cfg: official if is_official(cfg.profile) else scorer)
