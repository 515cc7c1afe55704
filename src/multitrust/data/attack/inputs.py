"""What to attack: images with their true labels and attack targets.

Two sources:

* the official R.4 / R.5 layout (``robustness/adv_nips/label.json``, JSONL rows
  ``{image_name, untarget: [true label], target: [target label]}``, clean images under
  ``robustness/adv_nips/source/clean/``);
* a folder of images plus a labels file: CSV with columns ``image,label`` (and optionally
  ``target``), a JSON list of ``{"image", "label", "target"?}`` objects, a JSON object
  ``{image: label}``, or JSONL rows like the list's objects.

A row without a target gets one drawn at random (seeded per image) from the other classes:
those of ``--classes`` (a text file, one class per line, or a JSON list) when given, else the
labels that occur in the file. With ``--classes`` every label and target must be one of them.
Problems are one :class:`DataError` line naming the file and row.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multitrust.data.base import OfficialData, parse_json, read_csv, read_text, stable_seed
from multitrust.data.official.robustness import read_jsonl
from multitrust.errors import DataError

__all__ = ["ADV_DIR", "Item", "folder_items", "official_items", "read_classes"]

#: Where R.4 / R.5 live in the official layout (relative to the data root).
ADV_DIR = "robustness/adv_nips"


@dataclass(frozen=True)
class Item:
    """One image to attack."""

    name: str
    """Its output file name (``<stem>.png``), also its ``image_name`` in label.json."""
    path: Path
    label: str
    """The true class (R.4 pushes away from it)."""
    target: str
    """The attack target (R.5 pulls towards it)."""
    where: str
    """The labels-file row it came from, for messages."""


def _text(where: str, row: dict[str, Any], key: str, *, optional: bool = False) -> str | None:
    value = row.get(key)
    if isinstance(value, list) and value:
        value = value[0]  # the official list-valued label fields
    if value is None or value == [] or value == "":
        if optional:
            return None
        raise DataError(f"{where}: bad label: {key!r} is missing or empty")
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{where}: bad label: {key!r} must be a non-empty string")
    return value.strip()


def _out_name(image: str) -> str:
    return f"{Path(image).stem}.png"


def official_items(root: Path) -> list[Item]:
    """The rows of an official R.4 / R.5 layout under ``root``, clean images as inputs."""
    data = OfficialData(root)
    labels = data.file(f"{ADV_DIR}/label.json", what="labels file")
    rows = []
    for lineno, row in read_jsonl(labels):
        where = f"{labels}:{lineno}"
        image = _text(where, row, "image_name")
        assert image is not None
        rows.append((where, image, _text(where, row, "untarget"), _text(where, row, "target")))
    if not rows:
        raise DataError(f"{labels}: no labels (the file is empty)")
    return _items(data, f"{ADV_DIR}/source/clean", rows, None, seed=0)


def read_classes(path: Path) -> list[str]:
    """A class list: a JSON list of strings, or a text file with one class per line."""
    data = OfficialData(path.parent)
    text = read_text(data.file(path.name, what="classes file"))
    if path.suffix.lower() == ".json":
        doc = parse_json(text, path)
        if not isinstance(doc, list) or not all(isinstance(c, str) for c in doc):
            raise DataError(f"{path}: expected a JSON list of class names")
        classes = [c.strip() for c in doc if c.strip()]
    else:
        classes = [line.strip() for line in text.splitlines() if line.strip()]
    if not classes:
        raise DataError(f"{path}: no classes (the file is empty)")
    return classes


def _label_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        for lineno, row in read_csv(path, ["image", "label"]):
            yield f"{path}:{lineno}", dict(row)
        return
    if suffix == ".jsonl":
        for lineno, row in read_jsonl(path):
            yield f"{path}:{lineno}", row
        return
    if suffix != ".json":
        raise DataError(f"{path}: labels file must be .csv, .json or .jsonl")
    doc = parse_json(read_text(path), path)
    if isinstance(doc, dict):
        for image, label in doc.items():
            yield f"{path}: {image!r}", {"image": image, "label": label}
    elif isinstance(doc, list):
        for i, row in enumerate(doc):
            if not isinstance(row, dict):
                raise DataError(f"{path}: [{i}]: expected an object")
            yield f"{path}: [{i}]", row
    else:
        raise DataError(f"{path}: expected a JSON list or object at the top level")


def folder_items(
    folder: Path, labels: Path, *, classes: Sequence[str] | None = None, seed: int = 0
) -> list[Item]:
    """Images under ``folder`` named by the rows of ``labels``."""
    data = OfficialData(folder)
    lab = OfficialData(labels.parent).file(labels.name, what="labels file")
    if lab.stat().st_size == 0:
        raise DataError(f"{lab}: no labels (the file is empty)")
    rows = []
    for where, row in _label_rows(lab):
        image = _text(where, row, "image")
        assert image is not None
        rows.append(
            (where, image, _text(where, row, "label"), _text(where, row, "target", optional=True))
        )
    if not rows:
        raise DataError(f"{lab}: no labels (the file is empty)")
    return _items(data, "", rows, classes, seed=seed)


def _items(
    data: OfficialData,
    folder: str,
    rows: Iterable[tuple[str, str, str | None, str | None]],
    classes: Sequence[str] | None,
    *,
    seed: int,
) -> list[Item]:
    rows = list(rows)
    known = set(classes) if classes is not None else None
    pool = sorted(known if known is not None else {r[2] for r in rows if r[2]})
    items: list[Item] = []
    names: dict[str, str] = {}
    for where, image, label, target in rows:
        assert label is not None
        for what, value in (("label", label), ("target", target)):
            if known is not None and value is not None and value not in known:
                raise DataError(f"{where}: bad label: unknown class {value!r} ({what})")
        name = _out_name(image)
        if name in names:
            raise DataError(
                f"{where}: {image!r} gives the same output name, {name}, as {names[name]}"
            )
        names[name] = where
        if target is None:
            others = [c for c in pool if c != label]
            if not others:
                raise DataError(
                    f"{where}: bad label: no other class to draw a target from "
                    "(give a target column or --classes)"
                )
            target = random.Random(stable_seed(seed, "target", image)).choice(others)
        try:
            path = data.file(f"{folder}/{image}" if folder else image, what="image")
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from None
        items.append(Item(name, path, label, target, where))
    return items
