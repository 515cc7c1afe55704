"""Seeded synthetic stand-ins for the truthfulness tasks (T.1–T.7).

Every generator yields ``data.n`` base items, streams (one picture drawn at a time), and draws
each item from its own RNG keyed on (seed, task, index), so the same seed gives byte-identical
images and prompts, and item ``i`` does not depend on how many items came before it. Ground
truth is known by construction: it is a fact about what was drawn or about a table written here.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from multitrust.data.base import SynthData, stable_seed
from multitrust.data.synth.truthfulness_illusions import KINDS
from multitrust.types import Image, Sample

CONFUSION_KINDS = tuple(KINDS)


def _rng(data: SynthData, task_id: str, i: int) -> random.Random:
    return random.Random(stable_seed(data.seed, "truthfulness", task_id, i))


def visual_confusion(data: SynthData) -> Iterator[Sample]:
    """T.6: procedural illusions, kinds in rotation, answers alternating yes/no within each kind."""
    for i in range(data.n):
        kind = CONFUSION_KINDS[i % len(CONFUSION_KINDS)]
        rng = _rng(data, "T.6", i)
        # the i-th item of a kind answers yes on even rounds: yes/no stay balanced per kind
        truth = (i // len(CONFUSION_KINDS)) % 2 == 0
        drawer = rng.choice(KINDS[kind])
        picture, statement, details = drawer(rng, truth)
        name = drawer.__name__.removeprefix("draw_")
        image = Image.from_pil(picture, origin=f"synth:T.6/{kind}/{name}/{i}")
        meta = {"kind": kind, "illusion": name, **_plain(details)}
        yield Sample(id=f"T.6-{i:05d}", text=statement, images=(image,), target=truth, meta=meta)


def _plain(details: dict[str, object]) -> dict[str, object]:
    """JSON-friendly copy of drawing details (floats rounded so meta stays readable)."""
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in details.items()}
