"""Streaming loaders for the truthfulness part of the official MultiTrust release (T.1–T.7).

Every truthfulness annotation file is a JSON array of objects with at least ``image``, ``query``
and ``truth`` (the official release's truthfulness layout). Loaders yield :class:`~multitrust.types.Sample` objects whose
``text`` is the annotation's ``query`` (the task applies the prompt template). Sample ids are
``<dataset id>/<array index>``: stable for a given release and shared by all variants of a row.

Deviations from the official loaders, on purpose:
* A missing image raises :class:`DataError` naming the annotation file, the array index and the
  image path. The official ``BasicData``, ``TextMisleadingData`` and ``VisualConfusionData``
  silently dropped such rows, which shrinks the denominator without telling anyone.
* A malformed row (not an object, a missing field, a bad Yes/No truth, a grounding truth that is
  not four numbers) raises :class:`DataError` naming the file and the array index.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from multitrust.data.base import OfficialData, parse_json, read_text
from multitrust.errors import DataError
from multitrust.types import Image, Sample

BASIC = {
    # subset -> (annotation file stem, image folder); the dataset id is d-/g-basic-<subset>
    "object": ("query_d_existence", "object"),
    "attribute": ("query_d_attribute", "attribute"),
    "scene": ("query_d_scene", "scene"),
    "grounding": ("query_g_grounding", "grounding"),
    "ocr": ("query_g_ocr", "ocr"),
}
ADVANCED_GROUPS = (
    "spatial",
    "temporal",
    "compare",
    "daily",
    "traffic",
    "causality",
    "math",
    "code",
    "translate",
)
INSTRUCTION_DATASETS = ("factual", "logic")
CONFUSION_KINDS = ("mirror", "dislocation", "painting", "contrast", "semantic")


# --------------------------------------------------------------------------- reading


def read_rows(data: OfficialData, rel: str) -> list[tuple[int, dict[str, Any]]]:
    """Read a JSON-array annotation file; every element must be an object."""
    if not data.exists(rel):
        raise DataError(f"annotation file not found: {rel}")
    try:
        text = read_text(data.file(rel))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {rel}: {exc}") from None
    doc = parse_json(text, rel)
    if not isinstance(doc, list):
        raise DataError(f"{rel}: expected a JSON array at the top level, got {type(doc).__name__}")
    rows: list[tuple[int, dict[str, Any]]] = []
    for i, item in enumerate(doc):
        if not isinstance(item, dict):
            raise DataError(f"{rel}: item [{i}]: expected an object, got {type(item).__name__}")
        rows.append((i, item))
    return rows


def field(rel: str, i: int, item: Mapping[str, Any], key: str) -> str:
    """A required string field of row ``i``."""
    value = item.get(key)
    if not isinstance(value, str):
        raise DataError(f"{rel}: item [{i}]: field {key!r} missing or not a string")
    return value


def yes_no_truth(rel: str, i: int, item: Mapping[str, Any]) -> bool:
    """``truth`` must be ``Yes`` or ``No`` (as in the official loaders; anything else is an error)."""
    truth = field(rel, i, item, "truth").strip()
    if truth not in ("Yes", "No"):
        raise DataError(f"{rel}: item [{i}]: truth must be 'Yes' or 'No', got {truth!r}")
    return truth == "Yes"


def box_truth(rel: str, i: int, item: Mapping[str, Any]) -> list[float]:
    """Grounding ``truth``: a string holding a JSON array of 4 normalised numbers (a bare list is accepted too)."""
    raw = item.get("truth")
    try:
        box = json.loads(raw) if isinstance(raw, str) else raw
    except (json.JSONDecodeError, RecursionError):
        box = None
    if not (
        isinstance(box, list)
        and len(box) == 4
        and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in box
        )
    ):
        raise DataError(
            f"{rel}: item [{i}]: grounding truth must be 4 numbers like '[0.1, 0.2, 0.5, 0.6]', got {raw!r}"
        )
    return [float(v) for v in box]


def load_image(data: OfficialData, rel: str, i: int, image_rel: str) -> Image:
    """The row's image; a missing or escaping path names the annotation file and index."""
    try:
        return data.image(image_rel)
    except DataError as exc:
        raise DataError(f"{rel}: item [{i}]: {exc}") from None


def interleave(streams: Iterable[Iterator[Sample]]) -> Iterator[Sample]:
    """Round-robin over several streams, so a size cap keeps every subset represented."""
    active = list(streams)
    while active:
        alive = []
        for s in active:
            try:
                yield next(s)
            except StopIteration:
                continue
            alive.append(s)
        active = alive


# --------------------------------------------------------------------------- T.1


def basic(data: OfficialData, subset: str) -> Iterator[Sample]:
    """One T.1 dataset: ``object``, ``attribute``, ``scene`` (yes/no), ``grounding`` or ``ocr``."""
    stem, folder = BASIC[subset]
    rel = f"truthfulness/query_basic/{stem}.json"
    dataset_id = f"{'g' if subset in ('grounding', 'ocr') else 'd'}-basic-{subset}"
    for i, item in read_rows(data, rel):
        query = field(rel, i, item, "query")
        image = load_image(
            data, rel, i, f"truthfulness/basic_images/{folder}/{field(rel, i, item, 'image')}"
        )
        meta: dict[str, Any] = {"subset": subset}
        target: Any
        if subset == "grounding":
            target = box_truth(rel, i, item)
            w, h = image.load().size  # the judge prompt and pixel boxes need the size
            meta["image_size"] = [w, h]
        elif subset == "ocr":
            target = field(rel, i, item, "truth")
        else:
            target = yes_no_truth(rel, i, item)
        yield Sample(f"{dataset_id}/{i}", query, (image,), target, meta)


def basic_all(data: OfficialData) -> Iterator[Sample]:
    return interleave(basic(data, s) for s in BASIC)


# --------------------------------------------------------------------------- T.2


def advanced(data: OfficialData, group: str) -> Iterator[Sample]:
    """One T.2 group; rows with an empty query are skipped, as in the official loader."""
    rel = f"truthfulness/query_advanced/query_d_{group}.json"
    for i, item in read_rows(data, rel):
        query = field(rel, i, item, "query")
        if not query.strip():
            continue
        image = load_image(
            data, rel, i, f"truthfulness/advanced_images/{group}/{field(rel, i, item, 'image')}"
        )
        yield Sample(
            f"advanced-{group}/{i}", query, (image,), yes_no_truth(rel, i, item), {"group": group}
        )


def advanced_all(data: OfficialData) -> Iterator[Sample]:
    return interleave(advanced(data, g) for g in ADVANCED_GROUPS)


# --------------------------------------------------------------------------- T.3


def instruction(data: OfficialData, dataset: str) -> Iterator[Sample]:
    """One T.3 dataset (``factual`` / ``logic``): each row becomes variants ``prompt-1..3``."""
    rel = f"truthfulness/query_instruction/query_g_{dataset}.json"
    for i, item in read_rows(data, rel):
        query = field(rel, i, item, "query")
        if not query.strip():
            continue
        image = load_image(
            data,
            rel,
            i,
            f"truthfulness/instruction_images/{dataset}/{field(rel, i, item, 'image')}",
        )
        truth = field(rel, i, item, "truth")
        for k in (1, 2, 3):
            meta = {"dataset": dataset}
            yield Sample(
                f"instruction-{dataset}/{i}", query, (image,), truth, meta, variant=f"prompt-{k}"
            )


def instruction_all(data: OfficialData) -> Iterator[Sample]:
    return interleave(instruction(data, d) for d in INSTRUCTION_DATASETS)


# --------------------------------------------------------------------------- T.4 / T.7

ASSISTANCE = "truthfulness/query_text/query_g_assistance.json"


def assistance(data: OfficialData, image_folders: Mapping[str, str]) -> Iterator[Sample]:
    """The shared T.4/T.7 questions: a ``text`` sample, then one per ``variant -> image folder``.

    Unrelated-image variants are added by the task with ``data.with_unrelated``.
    """
    rel = ASSISTANCE
    for i, item in read_rows(data, rel):
        query = field(rel, i, item, "query")
        if not query.strip():
            continue
        truth = field(rel, i, item, "truth")
        name = field(rel, i, item, "image")
        sid = f"assistance/{i}"
        yield Sample(sid, query, (), truth, {})
        for variant, folder in image_folders.items():
            image = load_image(data, rel, i, f"truthfulness/text_images/{folder}/{name}")
            yield Sample(sid, query, (image,), truth, {}, variant=variant)


# --------------------------------------------------------------------------- T.5


def text_misleading(data: OfficialData) -> Iterator[Sample]:
    """T.5 false-premise questions; an empty truth is an error (as in the official loader)."""
    rel = "truthfulness/query_misleading/query_g_mistext.json"
    for i, item in read_rows(data, rel):
        query = field(rel, i, item, "query")
        truth = field(rel, i, item, "truth")
        if not truth.strip():
            raise DataError(f"{rel}: item [{i}]: empty truth")
        image = load_image(
            data, rel, i, f"truthfulness/misleading_images/mistext/{field(rel, i, item, 'image')}"
        )
        yield Sample(f"g-text-misleading/{i}", query, (image,), truth, {})


# --------------------------------------------------------------------------- T.6


def visual_confusion(data: OfficialData) -> Iterator[Sample]:
    """T.6 illusion photos; ``kind`` must be one of the five the score formula averages."""
    rel = "truthfulness/query_misleading/query_d_confusion.json"
    for i, item in read_rows(data, rel):
        kind = field(rel, i, item, "kind")
        if kind not in CONFUSION_KINDS:
            raise DataError(
                f"{rel}: item [{i}]: kind must be one of {', '.join(CONFUSION_KINDS)}, got {kind!r}"
            )
        query = field(rel, i, item, "query")
        truth = yes_no_truth(rel, i, item)
        # the image path is relative to misleading_images/ and includes its kind's sub-folder
        image = load_image(
            data, rel, i, f"truthfulness/misleading_images/{field(rel, i, item, 'image')}"
        )
        yield Sample(f"d-mis-visual-confusion/{i}", query, (image,), truth, {"kind": kind})
