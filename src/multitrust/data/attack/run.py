"""Attack a list of images and write the official R.4 / R.5 layout, resumably.

Output, under ``out`` (what :func:`multitrust.data.official.robustness.adv_nips` reads)::

    robustness/adv_nips/label.json            JSONL {image_name, untarget: [label], target: [target]}
    robustness/adv_nips/source/clean/<name>.png     the input, decoded to RGB (lossless)
    robustness/adv_nips/source/untarget/<name>.png  R.4: pushed away from the true label
    robustness/adv_nips/source/target/<name>.png    R.5: pulled towards the target label
    robustness/adv_nips/attack.json           the settings, surrogates and seed of the run
    robustness/adv_nips/attack-done.jsonl     one line per finished image, with similarities

Every file is written atomically (a temporary file renamed over the name); an image's line in
``attack-done.jsonl`` is appended only after its PNGs are in place, and ``label.json`` is
rewritten after each batch to list exactly the finished images. A run that is killed therefore
leaves a valid, smaller dataset, and the same command continues at the next image. Batches are
formed from the whole input list (consecutive images of one size), never from what is left,
and a batch is recomputed whole if part of it was finished: so a resumed run writes the same
bytes as an uninterrupted one. Random draws are seeded per image and mode.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from multitrust.data.attack.inputs import ADV_DIR, Item
from multitrust.data.attack.ssa_cwa import AttackSettings, Objective, Tensor, Trace, ssa_cwa
from multitrust.data.attack.surrogates import Surrogate
from multitrust.data.base import stable_seed
from multitrust.data.official._download import place
from multitrust.errors import ConfigError, DataError
from multitrust.types import png_bytes

__all__ = [
    "MODES",
    "AttackJob",
    "Summary",
    "attack_batch",
    "batches",
    "check_images",
    "check_output",
    "run_attack",
]

Mode = Literal["untarget", "target"]
MODES: tuple[Mode, ...] = ("untarget", "target")


@dataclass(frozen=True)
class AttackJob:
    """What to run, besides the images and the surrogates."""

    settings: AttackSettings = field(default_factory=AttackSettings)
    modes: tuple[Mode, ...] = MODES
    seed: int = 0
    reference: Literal["label", "image"] = "label"
    """Untargeted: push away from the true label's text (``label``) or, as the toolbox's
    code does, from the clean image's own embedding (``image``)."""
    template: str = "{}"
    """How a class name becomes the text that is embedded (the toolbox: the bare name)."""
    batch_size: int = 1

    def __post_init__(self) -> None:
        if not self.modes or any(m not in MODES for m in self.modes):
            raise ConfigError(f"attack modes must be among {', '.join(MODES)}")
        if self.reference not in ("label", "image"):
            raise ConfigError("untargeted reference must be 'label' or 'image'")
        if "{}" not in self.template:
            raise ConfigError(f"text template {self.template!r} has no {{}} for the class name")
        if self.batch_size < 1:
            raise ConfigError("batch size must be at least 1")

    def identity(self, surrogates: Sequence[str]) -> dict[str, Any]:
        """What the output depends on (the batch size only up to rounding: not included)."""
        return {
            "algorithm": "SSA-CommonWeakness",
            "settings": self.settings.as_dict(),
            "modes": list(self.modes),
            "seed": self.seed,
            "reference": self.reference,
            "template": self.template,
            "surrogates": list(surrogates),
        }


@dataclass
class Summary:
    total: int
    done_before: int = 0
    attacked: int = 0


def generators(job: AttackJob, mode: str, names: Sequence[str]) -> list[Any]:
    """One CPU generator per image, seeded by (seed, mode, image): independent of batching."""
    import torch

    return [
        torch.Generator(device="cpu").manual_seed(stable_seed(job.seed, mode, n) % 2**63)
        for n in names
    ]


def _objectives(
    surrogates: Sequence[Surrogate], x0: Tensor, texts: Sequence[str], sign: float, job: AttackJob
) -> list[Objective]:
    import torch

    out: list[Objective] = []
    for s in surrogates:
        with torch.no_grad():
            if sign < 0 and job.reference == "image":
                ref = s.embed_images(x0).detach()
            else:
                ref = s.embed_texts([job.template.format(t) for t in texts])

        def f(x: Tensor, s: Surrogate = s, ref: Tensor = ref) -> Tensor:
            return sign * (s.embed_images(x) * ref.to(x.device)).sum(-1).to(x.device)

        out.append(f)
    return out


def attack_batch(
    images: Tensor,
    labels: Sequence[str],
    names: Sequence[str],
    surrogates: Sequence[Surrogate],
    job: AttackJob,
    mode: Mode,
    *,
    trace: Trace | None = None,
) -> Tensor:
    """One mode's attack on a batch (B, 3, H, W) in [0, 1]: ``labels`` are the true labels
    (``untarget``) or the targets (``target``); the objective is the (negated, untargeted)
    cosine similarity of each surrogate's image embedding to the reference embedding."""
    sign = -1.0 if mode == "untarget" else 1.0
    objectives = _objectives(surrogates, images, labels, sign, job)
    return ssa_cwa(images, objectives, job.settings, generators(job, mode, names), trace=trace)


# --------------------------------------------------------------------------- files


def _image_size(item: Item) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(item.path) as im:
            return (int(im.size[0]), int(im.size[1]))
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"{item.where}: unreadable image {item.path} ({exc})") from None


def _load(item: Item) -> Any:
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(item.path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"{item.where}: unreadable image {item.path} ({exc})") from None


def check_images(items: Sequence[Item]) -> list[tuple[int, int]]:
    """Each image's (width, height) from its header: an unreadable image is one DataError
    line before any surrogate is loaded."""
    return [_image_size(i) for i in items]


def batches(items: Sequence[Item], size: int) -> Iterator[list[Item]]:
    """Consecutive images of one pixel size, at most ``size`` at a time (from the whole list)."""
    group: list[Item] = []
    shape: tuple[int, int] | None = None
    for item, dims in zip(items, check_images(items), strict=True):
        if group and (dims != shape or len(group) == size):
            yield group
            group = []
        group.append(item)
        shape = dims
    if group:
        yield group


def check_output(out: Path, identity: dict[str, Any]) -> bool:
    """Whether ``out`` already holds this attack (False: nothing there yet); an attack with
    other settings there is a ConfigError naming the settings that differ."""
    settings = out / ADV_DIR / "attack.json"
    if not settings.exists():
        return False
    try:
        before = json.loads(settings.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{settings}: unreadable ({exc})") from None
    if before != identity:
        keys = sorted(
            k for k in identity if not isinstance(before, dict) or before.get(k) != identity[k]
        )
        raise ConfigError(
            f"{out} holds an attack with other settings ({', '.join(keys) or 'format'}); "
            "rerun with the same settings to resume, or use another folder"
        )
    return True


class Output:
    """The output folder: settings, finished images and their files."""

    def __init__(self, out: Path, identity: dict[str, Any]) -> None:
        self.root = out / ADV_DIR
        self.done_file = self.root / "attack-done.jsonl"
        known = check_output(out, identity)
        for sub in ("clean", "untarget", "target"):
            (self.root / "source" / sub).mkdir(parents=True, exist_ok=True)
        if not known:
            place(self.root, "attack.json", json.dumps(identity, indent=2).encode() + b"\n")
        self.done: dict[str, dict[str, Any]] = {}
        if self.done_file.exists():
            with self.done_file.open(encoding="utf-8") as f:
                for line in f:
                    with contextlib.suppress(ValueError):  # a line cut short by a kill
                        rec = json.loads(line)
                        self.done[rec["image_name"]] = rec

    def write(self, item: Item, pixels: dict[str, Any], record: dict[str, Any]) -> None:
        from PIL import Image

        for sub, arr in pixels.items():
            place(self.root / "source" / sub, item.name, png_bytes(Image.fromarray(arr, "RGB")))
        with self.done_file.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.done[item.name] = record

    def write_labels(self, items: Sequence[Item]) -> None:
        lines = [
            json.dumps(
                {"image_name": i.name, "untarget": [i.label], "target": [i.target]},
                ensure_ascii=False,
            )
            for i in items
            if i.name in self.done
        ]
        place(self.root, "label.json", "".join(f"{line}\n" for line in lines).encode())


# --------------------------------------------------------------------------- the run


def _similarities(
    surrogates: Sequence[Surrogate],
    images: dict[str, Tensor],
    batch: Sequence[Item],
    job: AttackJob,
) -> list[dict[str, dict[str, float]]]:
    """Per image and surrogate: cosine similarity of the clean and the (8-bit) attacked images
    to the true label and the target."""
    import torch

    out: list[dict[str, dict[str, float]]] = [{} for _ in batch]
    with torch.no_grad():
        for s in surrogates:
            label = s.embed_texts([job.template.format(i.label) for i in batch])
            target = s.embed_texts([job.template.format(i.target) for i in batch])
            for kind, x in images.items():
                emb = s.embed_images(x)
                for ref_name, ref in (("label", label), ("target", target)):
                    sims = (emb * ref.to(emb.device)).sum(-1).tolist()
                    for k, v in enumerate(sims):
                        out[k].setdefault(s.name, {})[f"{kind}_to_{ref_name}"] = round(v, 6)
    return out


def run_attack(
    items: Sequence[Item],
    out: Path,
    surrogates: Sequence[Surrogate],
    job: AttackJob,
    *,
    device: str = "cpu",
    on_image: Callable[[Item, bool], None] | None = None,
) -> Summary:
    """Attack ``items`` into ``out`` (layout in the module docstring), skipping finished
    images. ``on_image(item, skipped)`` is called once per image, as it is finished."""
    import numpy as np
    import torch

    if not surrogates:
        raise ConfigError("no surrogates to attack")
    output = Output(out, job.identity([s.name for s in surrogates]))
    summary = Summary(total=len(items))
    for batch in batches(items, job.batch_size):
        pending = [i for i in batch if i.name not in output.done]
        for item in batch:
            if item not in pending:
                summary.done_before += 1
                if on_image:
                    on_image(item, True)
        if not pending:
            continue
        clean = np.stack([_load(i) for i in batch])
        x0 = torch.from_numpy(clean).permute(0, 3, 1, 2).to(device=device, dtype=torch.float32)
        x0 = x0 / 255
        names = [i.name for i in batch]
        pixels: dict[str, Any] = {"clean": clean}
        attacked: dict[str, Tensor] = {"clean": x0}
        for mode in job.modes:
            refs = [i.label if mode == "untarget" else i.target for i in batch]
            adv = attack_batch(x0, refs, names, surrogates, job, mode)
            q = (adv * 255).round().clamp(0, 255).to(torch.uint8)
            pixels[mode] = q.permute(0, 2, 3, 1).cpu().numpy()
            attacked[mode] = q.to(torch.float32) / 255
        sims = _similarities(surrogates, attacked, batch, job)
        for k, item in enumerate(batch):
            if item not in pending:
                continue
            record = {
                "image_name": item.name,
                "untarget": [item.label],
                "target": [item.target],
                "source": str(item.path),
                "similarity": sims[k],
            }
            output.write(item, {m: pixels[m][k] for m in pixels}, record)
            summary.attacked += 1
            if on_image:
                on_image(item, False)
        output.write_labels(items)
    return summary
