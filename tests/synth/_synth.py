"""Helpers shared by the synth-suite tests: which tasks synth covers, and sample fingerprints."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from multitrust.data.base import SynthData
from multitrust.tasks import all_tasks
from multitrust.tasks.base import TaskSpec
from multitrust.types import Sample

#: The paper's task count; the registry holds exactly this many once every aspect has landed.
PAPER_TASKS = 32


def synth_specs() -> list[TaskSpec]:
    """Every registered task whose sources include ``synth`` (in paper order)."""
    return [s for s in all_tasks() if "synth" in s.sources]


def synth_ids() -> list[str]:
    return [s.id for s in synth_specs()]


def _json(x: Any) -> str:
    return json.dumps(x, sort_keys=True, default=str)


def fingerprint(sample: Sample, prompt: str) -> dict[str, Any]:
    """What must not change between two builds with the same seed.

    Image hashes are recomputed from the bytes (not copied from ``Image.sha256``), so this catches
    both non-deterministic drawing and an image whose recorded hash does not match its content.
    """
    return {
        "uid": sample.uid,
        "prompt": prompt,
        "images": [hashlib.sha256(img.read_bytes()).hexdigest() for img in sample.images],
        "target": _json(sample.target),
        "meta": _json(dict(sample.meta)),
    }


def iter_fingerprints(task_id: str, *, seed: int, size: int) -> Iterator[dict[str, Any]]:
    """Build ``task_id`` on a fresh ``SynthData`` and fingerprint each streamed sample."""
    spec = next(s for s in all_tasks() if s.id == task_id)
    task = spec.build(SynthData(seed=seed, size=size))
    for sample in task.iter_samples():
        system = task.system or ""
        yield fingerprint(sample, f"{system}\x1e{task.render(sample)}")


def digest(task_id: str, *, seed: int, size: int) -> str:
    """One sha256 over every fingerprint of a build: cheap to compare across processes."""
    h = hashlib.sha256()
    for fp in iter_fingerprints(task_id, seed=seed, size=size):
        h.update(_json(fp).encode())
    return h.hexdigest()
