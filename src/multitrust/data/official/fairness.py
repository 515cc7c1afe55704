"""Streaming loaders for the fairness part of the official MultiTrust release (``data/fairness``).

Each loader yields *base* samples (one per annotation row) whose related image, if any, is named
by ``meta["related_image"]`` (a path relative to the data root) and only read when a task attaches it,
so ``--size`` caps cost nothing for the rows left out. Malformed rows raise ``DataError`` naming
the file and line (CSV) or array index (JSON). Where the official code paired things by
position (directory listings, unaligned lists), these loaders pair by explicit ids instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from multitrust.data.base import IMAGE_SUFFIXES, OfficialData, names_undecodable, parse_json
from multitrust.data.base import read_csv as _read_csv
from multitrust.data.base import read_text as _read_text
from multitrust.errors import DataError
from multitrust.types import Sample

FAIRNESS = "fairness"
TYPES: tuple[str, ...] = ("Age", "Gender", "Nationality", "Race", "Religion", "Socioeconomic")
CLASS_LABELS: tuple[str, ...] = ("stereotype", "anti-stereotype", "unrelated")
#: F.7 / F.5: preference.json holds 120 plain prompts followed by 120 forced-choice prompts.
PREFERENCE_SPLIT = 120

# F.6: CSV flag columns per attribute, and the value each flag stands for.
ATTRIBUTE_FLAGS: dict[str, tuple[tuple[str, str], ...]] = {
    "gender": (("gender_presentation_masc", "male"), ("gender_presentation_fem", "female")),
    "age": (
        ("age_presentation_older", "older"),
        ("age_presentation_middle", "middle"),
        ("age_presentation_young", "young"),
    ),
    "skintone": (
        ("skin_tone_1_3", "light"),
        ("skin_tone_4_6", "medium"),
        ("skin_tone_7_10", "dark"),
    ),
}


# --------------------------------------------------------------------------- file readers


def _file(data: OfficialData, rel: str) -> Path:
    return data.file(rel)


@names_undecodable
def read_csv(
    data: OfficialData, rel: str, required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of a CSV file, checking columns and row widths."""
    yield from _read_csv(_file(data, rel), required)


def read_json_array(data: OfficialData, rel: str) -> list[Any]:
    p = _file(data, rel)
    try:
        obj = parse_json(_read_text(p), p)
    except UnicodeDecodeError as exc:
        raise DataError(f"{p}: not UTF-8 ({exc.reason})") from None
    if not isinstance(obj, list):
        raise DataError(f"{p}: expected a JSON array at the top level")
    return obj


def _natural_key(name: str) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def image_files(data: OfficialData, rel: str) -> list[Path]:
    """Image files of a folder in natural order (the official code used unsorted listdir)."""
    if not data.path(rel).is_dir():
        raise DataError(f"image folder not found: {data.path(rel)}")
    return sorted(data.listing(rel, IMAGE_SUFFIXES), key=lambda f: _natural_key(f.name))


class _Unique:
    """Refuses a sample id seen before in one file or folder, naming where it was first seen."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def __call__(self, sid: str, where: str | Path) -> str:
        if sid in self.seen:
            raise DataError(f"{where}: duplicate id {sid!r} (first at {self.seen[sid]})")
        self.seen[sid] = str(where)
        return sid


def _related(data: OfficialData, rel: str, where: str) -> str:
    """``rel`` after the root check (a NUL byte, an over-long or escaping name is an error
    naming the row now, not when the image is attached later)."""
    try:
        data.path(rel)
    except DataError as exc:
        raise DataError(f"{where}: {exc}") from None
    return rel


def _rel(data: OfficialData, p: Path) -> str:
    return str(p.relative_to(data.root))


def _leading_int(name: str) -> int | None:
    m = re.match(r"\d+", name)
    return int(m.group(0)) if m else None


# --------------------------------------------------------------------------- F.1


def stereo_generation(data: OfficialData) -> Iterator[Sample]:
    """F.1: every image of ``stereo_generation_images/`` (natural order); prompt is fixed."""
    unique = _Unique()
    for p in image_files(data, f"{FAIRNESS}/stereo_generation_images"):
        yield Sample(
            id=unique(p.stem, p), text="", meta={"related_image": _rel(data, p)}, variant="related"
        )


# --------------------------------------------------------------------------- F.2 / F.3 topic


def stereo_statements(data: OfficialData) -> Iterator[Sample]:
    """F.2 and F.3-topic: ``stereo_statement.csv`` rows with their per-type image."""
    rel = f"{FAIRNESS}/stereo_statement.csv"
    unique = _Unique()
    for line, row in read_csv(data, rel, ("Number", "Type", "Stereo Statement")):
        text = row["Stereo Statement"]
        if not text.strip():
            continue  # the official loader skips empty statements too
        typ, number = row["Type"].strip(), row["Number"].strip()
        if typ not in TYPES:
            raise DataError(
                f"{data.path(rel)}:{line}: unknown Type {typ!r} (expected one of {', '.join(TYPES)})"
            )
        if not number:
            raise DataError(f"{data.path(rel)}:{line}: empty Number")
        yield Sample(
            id=unique(f"{typ.lower()}-{number}", f"{data.path(rel)}:{line}"),
            text=text,
            meta={
                "topic": typ,
                "line": line,
                "related_image": _related(
                    data,
                    f"{FAIRNESS}/stereo_images/{typ.lower()}/{number}.png",
                    f"{data.path(rel)}:{line}",
                ),
            },
        )


# --------------------------------------------------------------------------- F.3 classification


def stereo_classification(data: OfficialData) -> Iterator[Sample]:
    """F.3: ``stereo_classification.csv`` (StereoSet sentences with a 3-way label)."""
    rel = f"{FAIRNESS}/stereo_classification.csv"
    unique = _Unique()
    for line, row in read_csv(data, rel, ("Number", "Label", "Sentence")):
        text = row["Sentence"]
        if not text.strip():
            continue
        label, number = row["Label"].strip(), row["Number"].strip()
        if label not in CLASS_LABELS:
            raise DataError(
                f"{data.path(rel)}:{line}: unknown Label {label!r} (expected one of {', '.join(CLASS_LABELS)})"
            )
        yield Sample(
            id=unique(f"cls-{number}", f"{data.path(rel)}:{line}"),
            text=text,
            target=label,
            meta={
                "subtask": "classification",
                "label": label,
                "line": line,
                "related_image": _related(
                    data,
                    f"{FAIRNESS}/stereo_classification_images/{number}.png",
                    f"{data.path(rel)}:{line}",
                ),
            },
        )


# --------------------------------------------------------------------------- F.4


def stereo_queries(data: OfficialData) -> Iterator[Sample]:
    """F.4: ``stereo_query.csv`` questions, each paired with its image by explicit id.

    The official code zipped the CSV with an unsorted ``os.listdir``, so the pairing was
    arbitrary. Here the image of question k (the ``id``/``Number`` column if present, else the
    row position counted from the lowest image number, 0 or 1) is the file whose name starts
    with k. If the images have no numeric names they are paired with the rows in natural order,
    and the counts must match.
    """
    rel = f"{FAIRNESS}/stereo_query.csv"
    rows = list(read_csv(data, rel, ("question",)))
    files = image_files(data, f"{FAIRNESS}/stereo_query_images")
    numbered = {_leading_int(f.name): f for f in files}
    by_number = None not in numbered and len(numbered) == len(files)
    if not by_number and len(files) != len(rows):
        raise DataError(
            f"{data.path(rel)}: {len(rows)} questions but {len(files)} images in stereo_query_images "
            "(images without numeric names are paired in order, so the counts must match)"
        )
    base = min((k for k in numbered if k is not None), default=0) if by_number else 0
    unique = _Unique()
    for pos, (line, row) in enumerate(rows):
        explicit = (row.get("id") or row.get("Number") or "").strip()
        key = int(explicit) if explicit.isdigit() else base + pos
        if by_number:
            img = numbered.get(key)
            if img is None:
                raise DataError(
                    f"{data.path(rel)}:{line}: no image numbered {key} in {FAIRNESS}/stereo_query_images"
                )
        else:
            img = files[pos]
        yield Sample(
            id=unique(f"q{key}", f"{data.path(rel)}:{line}"),
            text=row["question"],
            meta={"line": line, "related_image": _rel(data, img)},
        )


# --------------------------------------------------------------------------- F.5


def vision_preferences(data: OfficialData) -> Iterator[Sample]:
    """F.5: option images ``<int>.<ext>`` in numeric order, paired with the first 120 topics."""
    items = read_json_array(data, f"{FAIRNESS}/preference.json")[:PREFERENCE_SPLIT]
    folder = f"{FAIRNESS}/vision_subjective_choice_images"
    files = image_files(data, folder)
    numbered: list[tuple[int, Path]] = []
    for f in files:
        stem = f.name.split(".", 1)[0]
        if not stem.isdigit():
            raise DataError(f"{f}: expected a file named <int>.<ext>")
        numbered.append((int(stem), f))
    numbered.sort()
    unique = _Unique()
    for k, f in numbered:
        unique(str(k), f)
    # Position pairing as in the official code (the i-th image in numeric order <-> item i),
    # truncated to the shorter list as the official zip did.
    for i, ((k, f), item) in enumerate(zip(numbered, items, strict=False)):
        topic = _field(data, item, i, "topic")
        meta = {"topic": topic, "related_image": _rel(data, f)}
        yield Sample(id=str(k), text=topic, meta=meta, variant="related")


def _field(data: OfficialData, item: Any, index: int, key: str) -> str:
    where = data.path(f"{FAIRNESS}/preference.json")
    if not isinstance(item, dict) or not isinstance(item.get(key), str):
        raise DataError(f"{where}[{index}]: missing string field {key!r}")
    return str(item[key])


# --------------------------------------------------------------------------- F.7


def preference_questions(data: OfficialData, form: str) -> Iterator[Sample]:
    """F.7: ``plain`` (items 0–119) or ``force`` (items 120–239) prompts of ``preference.json``.

    Each item keeps its *own* topic (the official code labelled force item j with plain item
    j's topic). The option image of question n is ``choice_{a|b}_images/<n>.png``, the folder
    picked by a seeded coin per question; it is attached by the task's image variant.
    """
    items = read_json_array(data, f"{FAIRNESS}/preference.json")
    start = 0 if form == "plain" else PREFERENCE_SPLIT
    for i in range(start, min(len(items), start + PREFERENCE_SPLIT)):
        prompt = _field(data, items[i], i, "prompt")
        topic = _field(data, items[i], i, "topic")
        n = i - start + 1
        shown = "a" if data.rng("F.7", "choice", n).random() < 0.5 else "b"
        yield Sample(
            id=f"{form}-{n}",
            text=prompt,
            meta={
                "form": form,
                "topic": topic,
                "index": i,
                "shown": shown,
                "related_image": f"{FAIRNESS}/subjective_choice_images/choice_{shown}_images/{n}.png",
            },
        )


# --------------------------------------------------------------------------- F.6


def _attribute(row: dict[str, str], attr: str) -> str | None:
    """The one set flag of an attribute group; None when zero or several are set."""
    values = [v for col, v in ATTRIBUTE_FLAGS[attr] if row.get(col, "").strip() == "1"]
    return values[0] if len(values) == 1 else None


def profession_people(data: OfficialData) -> Iterator[Sample]:
    """F.6: ``profess_prediction.csv``; attributes are read per row, so rows stay aligned.

    The official code appended to three independent lists only when a flag was set, so a row
    with no (or two) flags in a group shifted every later row's attribute. Here a group with
    no single set flag gives ``None`` for that row (left out of that attribute's test).
    """
    rel = f"{FAIRNESS}/profess_prediction.csv"
    cols = ["filename", "class1", *(c for flags in ATTRIBUTE_FLAGS.values() for c, _ in flags)]
    seen: dict[str, int] = {}
    for line, row in read_csv(data, rel, cols):
        name = row["filename"].strip()
        profession = row["class1"].strip()
        if not name or not profession:
            raise DataError(f"{data.path(rel)}:{line}: empty filename or class1")
        stem = Path(name).stem
        seen[stem] = seen.get(stem, 0) + 1
        sid = stem if seen[stem] == 1 else f"{stem}~{seen[stem]}"
        meta: dict[str, Any] = {
            "profession": profession,
            "line": line,
            "related_image": _related(
                data, f"{FAIRNESS}/profession_images/{name}", f"{data.path(rel)}:{line}"
            ),
        }
        meta.update({attr: _attribute(row, attr) for attr in ATTRIBUTE_FLAGS})
        yield Sample(id=sid, text="", meta=meta, variant="plain")
