"""Samples from a JSONL file: the data format of a plugin's own task.

One JSON object per line::

    {"id": "circle-1", "text": "What shape is this?", "images": ["images/circle.png"],
     "target": "circle", "meta": {"colour": "red"}}

``id`` and ``text`` are required; ``images`` (paths relative to the JSONL file's folder),
``target`` (any JSON value), ``meta`` (an object) and ``variant`` are optional. A problem names
the file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from multitrust.data.base import names_undecodable, open_text, parse_json
from multitrust.errors import DataError
from multitrust.types import Image, Sample

__all__ = ["read_samples"]

_FIELDS = frozenset({"id", "text", "images", "target", "meta", "variant"})


def _sample(obj: Any, where: str, folder: Path) -> Sample:
    if not isinstance(obj, dict):
        raise DataError(f"{where}: expected a JSON object")
    unknown = sorted(set(obj) - _FIELDS)
    if unknown:
        raise DataError(
            f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(_FIELDS))})"
        )
    sid, text = obj.get("id"), obj.get("text")
    if not isinstance(sid, str) or not sid:
        raise DataError(f"{where}: 'id' must be a non-empty string")
    if not isinstance(text, str):
        raise DataError(f"{where}: 'text' must be a string")
    paths = obj.get("images", [])
    if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        raise DataError(f"{where}: 'images' must be a list of file paths")
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        raise DataError(f"{where}: 'meta' must be a JSON object")
    variant = obj.get("variant", "text" if not paths else "image")
    if not isinstance(variant, str) or not variant:
        raise DataError(f"{where}: 'variant' must be a non-empty string")
    images = []
    for rel in paths:
        try:
            images.append(Image.from_path(folder / rel, origin=rel))
        except DataError as exc:
            raise DataError(f"{where}: {exc}") from None
    return Sample(sid, text, tuple(images), obj.get("target"), meta, variant)


@names_undecodable
def read_samples(path: str | Path) -> Iterator[Sample]:
    """The samples of a JSONL file, one line at a time; image paths are relative to its folder."""
    path = Path(path)
    seen: dict[str, int] = {}
    try:
        f = open_text(path, encoding="utf-8-sig")
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            sample = _sample(parse_json(line, where, one_line=True), where, path.parent)
            if sample.uid in seen:
                raise DataError(
                    f"{where}: duplicate id {sample.id!r} (first on line {seen[sample.uid]})"
                )
            seen[sample.uid] = lineno
            yield sample
