"""The plugin's model provider ``toy`` (no network, no weights).

``toy/look`` looks at the picture: a shape that fills its bounding box is a square, one that
fills about π/4 of it a circle, about half a triangle; it answers a yes/no question about a
shape, or names it. ``toy/<word>`` always answers ``<word>`` (a baseline).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from multitrust.models import Model
from multitrust.types import GenerateConfig, Generation, Image, Message, Sample

SHAPES = ("circle", "square", "triangle")


def guess_shape(image: Image) -> str:
    """The shape drawn in dark on a light background, from how much of its box it fills."""
    grey = image.load().convert("L")
    dark = [i for i, v in enumerate(grey.getdata()) if v < 128]
    if not dark:
        return "nothing"
    w = grey.width
    xs, ys = [i % w for i in dark], [i // w for i in dark]
    box = (max(xs) - min(xs) + 1) * (max(ys) - min(ys) + 1)
    fill = len(dark) / box
    return "square" if fill > 0.9 else "circle" if fill > 0.65 else "triangle"


class ToyModel(Model):
    provider = "toy"

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        if self.name != "look":
            return Generation(self.name, output_tokens=1)
        last = messages[-1]
        if not last.images:
            return Generation("I see no picture.")
        shape = guess_shape(last.images[0])
        asked = [s for s in SHAPES if re.search(rf"\b{s}\b", last.text, re.IGNORECASE)]
        if "yes" in last.text.lower() and asked:  # "Is this a circle? … [Yes] or [No]."
            return Generation("Yes." if shape in asked else "No.")
        return Generation(f"A {shape}.")
