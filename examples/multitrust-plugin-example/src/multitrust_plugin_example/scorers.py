"""The plugin's scorer: does the answer name the right shape (and no other)?"""

from __future__ import annotations

import re

from multitrust.scoring import ScoreContext, Scorer, rule
from multitrust.types import Sample, Score

SHAPES = ("circle", "square", "triangle")


def shape_name(*, shapes: tuple[str, ...] = SHAPES) -> Scorer:
    """Values ``{"correct": 1/0}``: the answer names the target shape and no other of ``shapes``
    (an answer naming two shapes is a hedge, not an answer)."""

    @rule("example.shape_name", version="1", params={"shapes": list(shapes)})
    def score(sample: Sample, output: str, ctx: ScoreContext) -> Score:
        named = [s for s in shapes if re.search(rf"\b{s}s?\b", output, re.IGNORECASE)]
        if not named:
            return Score({"correct": 0.0}, "no shape")
        if len(named) > 1:
            return Score({"correct": 0.0}, "several shapes")
        return Score({"correct": 1.0 if named[0] == sample.target else 0.0}, named[0])

    return score
