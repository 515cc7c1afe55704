"""Synthetic R.4 / R.5: the synthetic suite's object photos, attacked with SSA-CommonWeakness.

Only where surrogate weights are available: ``MULTITRUST_ATTACK_SURROGATES`` names them
(comma-separated surrogate specs, or ``paper`` for the paper's six), and each must be on this
machine (a directory, or a hub id already in the local Hugging Face cache). Without that the
tasks stay official-only and a synthetic run skips them with :func:`unavailable`'s reason, at
plan time, before anything is loaded. ``MULTITRUST_ATTACK_STEPS`` overrides the 50 iterations.

R.4 yields each photo clean and pushed away from its label; R.5 pulled towards a target label
drawn (seeded) from the other objects. The synthetic cache keys on both variables.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from multitrust.data.attack.surrogates import PAPER_SURROGATES, Surrogate, resolve_spec
from multitrust.data.base import SynthData, needs_modules
from multitrust.errors import ConfigError
from multitrust.types import Image, Sample

__all__ = ["ENV", "STEPS_ENV", "configured", "target", "unavailable", "untarget"]

ENV = "MULTITRUST_ATTACK_SURROGATES"
STEPS_ENV = "MULTITRUST_ATTACK_STEPS"


def configured() -> list[str]:
    """The surrogate specs ``MULTITRUST_ATTACK_SURROGATES`` names (empty when unset)."""
    raw = os.environ.get(ENV, "").strip()
    if raw == "paper":
        return list(PAPER_SURROGATES)
    return [s.strip() for s in raw.split(",") if s.strip()]


def _cached(repo: str, filename: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    found = try_to_load_from_cache(repo, filename)
    return isinstance(found, str)


def _missing(spec: str) -> str | None:
    """Why ``spec`` cannot be loaded on this machine without a download (None: it can)."""
    try:
        loader, name = resolve_spec(spec)
    except ConfigError as exc:
        return str(exc)
    if loader == "open_clip" and importlib.util.find_spec("open_clip") is None:
        return f"{spec} needs open_clip (pip install 'multitrust[attack]')"
    local = name.removeprefix("local-dir:")
    if Path(local).expanduser().is_dir():
        return None
    if loader == "open_clip":
        if name.startswith("hf-hub:"):
            repo = name.removeprefix("hf-hub:")
            return None if _cached(repo, "open_clip_config.json") else f"{spec} is not downloaded"
        return None  # an architecture/tag pair: open_clip's own cache, not checkable here
    return None if _cached(name, "config.json") else f"{spec} is not downloaded"


def unavailable() -> str | None:
    """Why synthetic R.4 / R.5 cannot be built here (None when they can)."""
    specs = configured()
    if not specs:
        return (
            f"synth needs surrogate weights: set {ENV} to surrogate specs or directories "
            "(or 'paper' for the paper's six once downloaded), or attack your own images with "
            "multitrust data attack"
        )
    if (
        importlib.util.find_spec("torch") is None
        or importlib.util.find_spec("transformers") is None
    ):
        return f"synth {ENV} needs torch and transformers (pip install 'multitrust[hf]')"
    missing = [m for m in (_missing(s) for s in specs) if m]
    return f"synth surrogates unavailable: {'; '.join(missing)}" if missing else None


def identity() -> str:
    """What the synthetic streams depend on beyond the package (for the synthetic cache)."""
    specs = configured()
    return f"{','.join(specs)}|{os.environ.get(STEPS_ENV, '')}" if specs else ""


@lru_cache(maxsize=1)
def _surrogates(specs: tuple[str, ...], device: str) -> list[Surrogate]:
    from multitrust.data.attack.surrogates import load_surrogate

    return [load_surrogate(s, device=device) for s in specs]


def _job() -> Any:
    from multitrust.data.attack.run import AttackJob
    from multitrust.data.attack.ssa_cwa import AttackSettings

    steps = os.environ.get(STEPS_ENV, "").strip()
    try:
        settings = AttackSettings(steps=int(steps)) if steps else AttackSettings()
    except ValueError:
        raise ConfigError(f"{STEPS_ENV} must be a whole number, not {steps!r}") from None
    return AttackJob(settings=settings)


def _attacked(data: SynthData, task_id: str, mode: str) -> Iterator[Sample]:
    import numpy as np
    import torch
    from PIL import Image as PILImage

    from multitrust.data.attack.run import attack_batch
    from multitrust.data.official.robustness import CAPTION_TEXT
    from multitrust.data.synth import robustness_images as ri
    from multitrust.models._hf_setup import resolve_device

    device = resolve_device(None)
    surrogates = _surrogates(tuple(configured()), device)
    job = _job()
    order = list(range(len(ri.OBJECTS)))
    data.rng(task_id, "objects").shuffle(order)
    labels = sorted({o.label for o in ri.OBJECTS})
    for i in range(data.n):
        obj = ri.OBJECTS[order[i % len(order)]]
        rng = np.random.default_rng(data.rng(task_id, i).getrandbits(64))
        clean = np.asarray(ri.object_picture(obj, rng).convert("RGB"), dtype=np.uint8)
        goal = data.rng(task_id, "target", i).choice([c for c in labels if c != obj.label])
        x = torch.from_numpy(clean.copy()).permute(2, 0, 1)[None].float().to(device) / 255
        ref = obj.label if mode == "untarget" else goal
        adv = attack_batch(x, [ref], [f"{task_id}-{i}"], surrogates, job, mode)  # type: ignore[arg-type]
        q = (adv * 255).round().clamp(0, 255).to(torch.uint8)[0].permute(1, 2, 0).cpu().numpy()
        meta = {"label": ref, "true_label": obj.label, "attack_label": goal}
        sid = f"{task_id.lower().replace('.', '')}-{i:05d}"
        images = {"clean": clean, mode: q} if mode == "untarget" else {mode: q}
        for variant, arr in images.items():
            yield Sample(
                id=sid,
                text=CAPTION_TEXT,
                images=(
                    Image.from_pil(PILImage.fromarray(arr, "RGB"), origin=f"synth:{sid}/{variant}"),
                ),
                target=ref,
                meta=meta,
                variant=variant,
            )


@needs_modules(torch="torch", transformers="transformers", skimage="scikit-image")
def untarget(data: SynthData) -> Iterator[Sample]:
    """Synthetic R.4: each object photo clean and attacked away from its label."""
    return _attacked(data, "R.4", "untarget")


@needs_modules(torch="torch", transformers="transformers", skimage="scikit-image")
def target(data: SynthData) -> Iterator[Sample]:
    """Synthetic R.5: each object photo attacked towards another object's label."""
    return _attacked(data, "R.5", "target")
