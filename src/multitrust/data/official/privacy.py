"""Streaming loaders for the privacy datasets of the official MultiTrust release (P.1–P.6).

Every path goes through ``data.path`` / ``data.image`` (nothing escapes the data root). A
malformed line raises :class:`~multitrust.errors.DataError` naming the file and the line (or
the JSON array index). Unlike the official toolbox, a missing image is an error, never a
silently dropped sample: a partial download would otherwise shift every score without notice.

P.4 images are not downloaded at load time; :func:`fetch_celebrity_images` fetches them once,
with a timeout, into the layout the loader reads. P.6 PII values are seeded and its typographic
images are rendered in memory (nothing is written to ``./cache``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from multitrust.data.base import names_undecodable, open_text, parse_json, read_csv, read_text
from multitrust.data.official._download import (
    FetchFailed,
    check_image,
    fetch_one,
    place,
)
from multitrust.data.privacy_pii import (
    PII_TYPES,
    build_conversation,
    conversation_sample,
    conversation_variants,
    load_typography_font,
    official_pii_value,
)
from multitrust.errors import DataError
from multitrust.types import Image, Sample, read_regular

T = TypeVar("T")

if TYPE_CHECKING:  # pragma: no cover
    import httpx

    from multitrust.data.base import OfficialData

VISPR_RECOGNITION = "privacy/vispr/sampled_vispr_test2017.jsonl"
VISPR_IMAGES = "privacy/vispr/test2017"
VIZWIZ_RECOGNITION = "privacy/vizwiz-priv/Annotations/Vizwiz-Priv-Recognition.json"
VIZWIZ_IMAGES = "privacy/vizwiz-priv/Filling_Images"
VISPR_PRI_QUERY = "privacy/vispr/vispr_question_gpt4_generated_chosen.json"
CONFAIDE_PROMPTS = "privacy/confaide/prompts.txt"
CONFAIDE_LABELS = "privacy/confaide/labels.txt"
CONFAIDE_IMAGES = "privacy/confaide/imgs"
CONFAIDE_IMG_NUM = 14
CELEB_CSV = "privacy/celeb/celebrities.csv"
CELEB_IMAGES = "privacy/celeb/imgs"
VISPR_LEAKAGE = "privacy/vispr/categorized/image_annotations.json"
VISPR_LEAKAGE_IMAGES = "privacy/vispr/categorized"
ENRON_FIVE_SHOT = "privacy/enron-email/five_shot.json"
ENRON_FIVE_SHOT_JSONL = "privacy/enron-email/five_shot.jsonl"
FONT = "fonts/FreeMonoBold.ttf"

#: P.4: query kind -> the words the prompt uses.
CELEB_QUERIES: dict[str, str] = {
    "email": "email address",
    "phone": "phone number",
    "address": "home address",
}
#: P.4: the 12 ``personal-*`` data types the official run script evaluates.
CELEB_VARIANTS: tuple[str, ...] = tuple(
    f"personal-{q}-{n}-{o}"
    for q in CELEB_QUERIES
    for n in ("name", "wo-name")
    for o in ("occupation", "wo-occupation")
)
#: P.6: how many (type, entry) items per variant, as officially (10 types x 10 entries).
ENRON_ENTRIES = 10


# --------------------------------------------------------------------------- file readers


@names_undecodable
def _jsonl(data: OfficialData, rel: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(``file line N``, record) per non-blank line of a JSONL file."""
    path = _existing(data, rel)
    with open_text(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue  # the official reader crashed on blank lines; they carry nothing
            where = f"{rel} line {n}"
            rec = parse_json(line, where, one_line=True)
            if not isinstance(rec, dict):
                raise DataError(f"{where}: expected a JSON object")
            yield where, rec


def _json(data: OfficialData, rel: str) -> Any:
    path = _existing(data, rel)
    try:
        return parse_json(read_text(path), rel)
    except UnicodeDecodeError as exc:
        raise DataError(f"{rel}: not UTF-8 text ({exc.reason})") from None


def _json_array(data: OfficialData, rel: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(``file [i]``, record) per element of a JSON array of objects."""
    items = _json(data, rel)
    if not isinstance(items, list):
        raise DataError(f"{rel}: expected a JSON array at the top level")
    for i, rec in enumerate(items):
        where = f"{rel} [{i}]"
        if not isinstance(rec, dict):
            raise DataError(f"{where}: expected a JSON object")
        yield where, rec


@names_undecodable
def _lines(data: OfficialData, rel: str) -> list[str]:
    text = read_text(_existing(data, rel))
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()  # a trailing newline is not an item
    return lines


def _existing(data: OfficialData, rel: str) -> Path:
    if not data.exists(rel):
        raise DataError(f"missing file: {rel} (under {data.root})")
    return data.file(rel)


def _cap(data: OfficialData, rows: Iterator[T]) -> Iterator[T]:
    """The first ``size`` rows (all when no size): rows past the cap are never read, so their
    images are not hashed and a problem beyond the cap does not stop a capped run."""
    return rows if data.size is None else islice(rows, data.size)


def _field(rec: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in rec:
        raise DataError(f"{where}: missing field {key!r}")
    return rec[key]


def _text_field(rec: Mapping[str, Any], key: str, where: str) -> str:
    value = _field(rec, key, where)
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{where}: field {key!r} must be a non-empty string")
    return value


def _flag(rec: Mapping[str, Any], key: str, where: str) -> bool:
    """A 0/1 label (numbers, booleans or the strings "0"/"1", as the release may hold)."""
    value = _field(rec, key, where)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return value.strip() == "1"
    raise DataError(f"{where}: field {key!r} must be 0 or 1, got {value!r}")


def _image(data: OfficialData, folder: str, name: str, where: str) -> Image:
    try:
        return data.image(f"{folder}/{name}")
    except DataError as exc:
        raise DataError(f"{where}: {exc}") from None


# --------------------------------------------------------------------------- P.1 / P.2


def _recognition(
    data: OfficialData, dataset: str, where_rows: Iterator[tuple[str, dict[str, Any]]], folder: str
) -> Iterator[Sample]:
    for i, (where, rec) in enumerate(where_rows):
        name = _text_field(rec, "image", where)
        private = _flag(rec, "private", where)
        yield Sample(
            id=f"{dataset}/{i:04d}",
            text="",
            images=(_image(data, folder, name, where),),
            target=private,
            meta={"dataset": dataset, "private": int(private), "image_file": name},
            variant="image",
        )


def vispr_recognition(data: OfficialData) -> Iterator[Sample]:
    """P.1 ``vispr-recognition``: VISPR images labelled private (1) or not (0)."""
    return _recognition(data, "vispr", _cap(data, _jsonl(data, VISPR_RECOGNITION)), VISPR_IMAGES)


def vizwiz_recognition(data: OfficialData) -> Iterator[Sample]:
    """P.1 ``vizwiz-recognition``: VizWiz-Priv images with private regions filled."""
    return _recognition(
        data, "vizwiz", _cap(data, _json_array(data, VIZWIZ_RECOGNITION)), VIZWIZ_IMAGES
    )


def visual_recognition(data: OfficialData) -> Iterator[Sample]:
    """P.1: both datasets; ``size`` caps each of them (the score averages the two)."""
    yield from vispr_recognition(data)
    yield from vizwiz_recognition(data)


def _pri_query(data: OfficialData) -> Iterator[Sample]:
    for i, (where, rec) in enumerate(_cap(data, _json_array(data, VISPR_PRI_QUERY))):
        name = _text_field(rec, "image", where)
        question = _text_field(rec, "question", where)
        private = _flag(rec, "private_qa", where)
        yield Sample(
            id=f"vispr-pri-query/{i:04d}",
            text=question,
            images=(_image(data, VISPR_IMAGES, name, where),),
            target=private,
            meta={
                "dataset": "vispr",
                "question": question,
                "private": int(private),
                "image_file": name,
            },
            variant="image",
        )


def vispr_pri_query(data: OfficialData) -> Iterator[Sample]:
    """P.2 ``vispr-recognition-pri-query``: is the answer to this question private?"""
    return _pri_query(data)


# --------------------------------------------------------------------------- P.3


def _confaide_base(data: OfficialData) -> Iterator[Sample]:
    prompts = _lines(data, CONFAIDE_PROMPTS)
    labels = _lines(data, CONFAIDE_LABELS)
    if len(prompts) != len(labels):
        raise DataError(
            f"{CONFAIDE_PROMPTS} has {len(prompts)} lines but {CONFAIDE_LABELS} has {len(labels)}"
        )
    for k, (prompt, label) in enumerate(zip(prompts, labels, strict=True)):
        if not prompt:
            raise DataError(f"{CONFAIDE_PROMPTS} line {k + 1}: blank prompt")
        try:
            human = float(label)
        except ValueError:
            raise DataError(f"{CONFAIDE_LABELS} line {k + 1}: not a number: {label!r}") from None
        yield Sample(id=f"confaide/{k:03d}", text=prompt, target=human, meta={"human": human})


def confaide(data: OfficialData) -> Iterator[Sample]:
    """P.3: ConfAIde tier 2a prompts; variants text, related (image k mod 14), unrelated-*."""
    for base in _cap(data, _confaide_base(data)):
        yield base
        k = int(base.id.rsplit("/", 1)[1])
        rel = f"{CONFAIDE_IMAGES}/{k % CONFAIDE_IMG_NUM}.png"
        img = _image(
            data, CONFAIDE_IMAGES, f"{k % CONFAIDE_IMG_NUM}.png", f"{CONFAIDE_PROMPTS} line {k + 1}"
        )
        yield replace(base, images=(img,), variant="related", meta={**base.meta, "image_file": rel})
        yield from data.with_unrelated([base], "P.3", keep_text=False)


# --------------------------------------------------------------------------- P.4


@dataclass(frozen=True)
class Celebrity:
    index: int
    name: str
    title: str
    url: str
    line: int = 0
    """Line of ``celebrities.csv`` the row starts on."""

    @property
    def file_name(self) -> str:
        return f"{self.name.replace(' ', '_')}.jpeg"

    @property
    def image_rel(self) -> str:
        return f"{CELEB_IMAGES}/{self.file_name}"

    @property
    def name_problem(self) -> str | None:
        """Why the name cannot be an image file name (None when it can)."""
        name = self.name
        if "\x00" in name:
            return "NUL byte in the celebrity name"
        if "/" in name or "\\" in name or name.startswith("."):
            return f"unsafe celebrity name for a file name: {name!r}"
        if len(self.file_name.encode("utf-8", "surrogatepass")) > 255:
            return "celebrity name longer than a file name may be (255 bytes)"
        return None


@names_undecodable
def read_celebrities(data: OfficialData) -> list[Celebrity]:
    """Rows of ``celebrities.csv`` (small: read whole)."""
    path = _existing(data, CELEB_CSV)
    out: list[Celebrity] = []
    for i, (line, row) in enumerate(read_csv(path, ("Celebrity", "Title"), where=CELEB_CSV)):
        where = f"{CELEB_CSV}:{line}"
        name = (row.get("Celebrity") or "").strip()
        title = (row.get("Title") or "").strip()
        if not name or not title:
            raise DataError(f"{where}: empty Celebrity or Title")
        out.append(Celebrity(i, name, title, (row.get("Url") or "").strip(), line))
    return out


def celebrities(data: OfficialData) -> Iterator[Sample]:
    """P.4: each celebrity photo asked for 12 kinds of personal PII (the 12 ``personal-*`` ids).

    Every kept celebrity must have its image on disk: missing ones are reported together in one
    :class:`DataError` (run :func:`fetch_celebrity_images` first), never dropped.
    """
    rows = read_celebrities(data)
    if data.size is not None:
        rows = rows[: data.size]
    for c in rows:
        if c.name_problem:
            raise DataError(f"{CELEB_CSV}:{c.line}: {c.name_problem}")
    missing = [c.image_rel for c in rows if not data.exists(c.image_rel)]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise DataError(
            f"{len(missing)} of {len(rows)} celebrity images missing ({shown}); pre-place them or run "
            "multitrust.data.official.privacy.fetch_celebrity_images(data)"
        )
    for c in rows:
        img = _image(data, CELEB_IMAGES, c.file_name, f"{CELEB_CSV}:{c.line}")
        title = c.title.lower()
        # the official rule: only an "actress" is "her" (the CSV carries no other gender cue)
        sex = "her" if title == "actress" else "his"
        for variant in CELEB_VARIANTS:
            _, query, with_name, with_occ = _parse_celeb_variant(variant)
            yield Sample(
                id=f"celeb/{c.index:03d}",
                text="",
                images=(img,),
                target=None,
                meta={
                    "name": c.name,
                    "title": title,
                    "sex": sex,
                    "query": CELEB_QUERIES[query],
                    "query_kind": query,
                    "with_name": with_name,
                    "with_occupation": with_occ,
                },
                variant=variant,
            )


def _parse_celeb_variant(variant: str) -> tuple[bool, str, bool, bool]:
    """``personal-email-wo-name-occupation`` -> (personal, query kind, with name, with occupation)."""
    parts = variant.split("-")
    personal = parts[0] == "personal"
    rest = "-".join(parts[1:] if personal else parts)
    query, _, tail = rest.partition("-")
    with_name = not tail.startswith("wo-name")
    with_occ = not tail.endswith("wo-occupation")
    return personal, query, with_name, with_occ


@dataclass
class FetchReport:
    """What :func:`fetch_celebrity_images` did, per celebrity image file."""

    fetched: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """image path -> why it could not be fetched."""


def fetch_celebrity_images(
    data: OfficialData,
    *,
    timeout: float = 20.0,
    client: httpx.Client | None = None,
) -> FetchReport:
    """Download missing P.4 images from the CSV's ``Url`` column into ``privacy/celeb/imgs``.

    Existing files are kept. Each image has ``timeout`` seconds in all (connect, redirects
    and the whole body); bodies over :data:`MAX_FETCH_BYTES` are cut off while streaming,
    redirects to another host or port are refused, and a body must decode as an image.
    Failures (and names that cannot be file names) are collected in the report rather than
    raised, so one bad row does not stop the rest. Nothing is written outside the image
    folder: files are created fresh there, and a link at an image's name is refused.
    The loader later reports anything still missing.
    """
    import httpx

    report = FetchReport()
    own = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=False)
    folder: Path | None = None
    try:
        for c in read_celebrities(data):
            problem = c.name_problem
            if problem:
                report.failed[c.image_rel] = problem
                continue
            if folder is None:
                folder = data.path(CELEB_IMAGES)
                folder.mkdir(parents=True, exist_ok=True)
                folder = data.path(CELEB_IMAGES)  # re-checked once it exists
            target = folder / c.file_name
            try:
                st = os.lstat(target)
            except FileNotFoundError:
                st = None
            except OSError as exc:
                report.failed[c.image_rel] = f"cannot check the file: {exc.strerror or exc}"
                continue
            if st is not None:
                if stat.S_ISLNK(st.st_mode):
                    report.failed[c.image_rel] = "a symbolic link is in the way (not replaced)"
                elif stat.S_ISREG(st.st_mode):
                    report.present.append(c.image_rel)
                else:
                    report.failed[c.image_rel] = "something other than a file is in the way"
                continue
            if not c.url.startswith(("http://", "https://")):
                report.failed[c.image_rel] = f"no usable URL ({c.url!r})"
                continue
            try:
                body = fetch_one(http, c.url, timeout)
                check_image(body)
                place(folder, c.file_name, body)
            except FetchFailed as exc:
                report.failed[c.image_rel] = str(exc)
                continue
            except OSError as exc:
                report.failed[c.image_rel] = f"cannot write the image: {exc.strerror or exc}"
                continue
            report.fetched.append(c.image_rel)
    finally:
        if own:
            http.close()
    return report


# --------------------------------------------------------------------------- P.5


def _content_values(value: Any, where: str) -> list[str]:
    """``Content`` as a list of PII strings (a plain string is ONE value, not its characters)."""
    if isinstance(value, str):
        values = [value]
    elif isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        values = [str(v) for v in value]
    else:
        raise DataError(f"{where}: field 'Content' must be a string or a list of strings")
    values = [v.strip() for v in values if str(v).strip()]
    if not values:
        raise DataError(f"{where}: field 'Content' is empty")
    return values


def _leakage_base(data: OfficialData) -> Iterator[Sample]:
    for i, (where, rec) in enumerate(_cap(data, _jsonl(data, VISPR_LEAKAGE))):
        sheet = _text_field(rec, "SheetName", where)
        name = _text_field(rec, "Img Path", where)
        info_type = _text_field(rec, "Info Type", where)
        values = _content_values(_field(rec, "Content", where), where)
        yield Sample(
            id=f"vispr-leakage/{i:04d}",
            text="",
            images=(_image(data, f"{VISPR_LEAKAGE_IMAGES}/{sheet}", name, where),),
            target=values,
            meta={"info_type": info_type, "sheet": sheet, "image_file": f"{sheet}/{name}"},
            variant="plain",
        )


def vispr_leakage(data: OfficialData) -> Iterator[Sample]:
    """P.5 ``vispr-leakage`` (variant ``plain``) and ``-protected`` (variant ``protected``)."""
    for base in _leakage_base(data):
        yield base
        yield replace(base, variant="protected")


# --------------------------------------------------------------------------- P.6


def read_five_shot(data: OfficialData) -> list[list[tuple[str, str]]]:
    """The (email, name) pair lists of ``five_shot.json`` in file order.

    Falls back to a local ``five_shot.jsonl`` (DecodingTrust's format: records with ``email``
    and ``prompt``), which the official code fetched from the Hugging Face hub instead.
    """
    if data.path(ENRON_FIVE_SHOT).is_file():
        obj = _json(data, ENRON_FIVE_SHOT)
        if not isinstance(obj, dict):
            raise DataError(
                f"{ENRON_FIVE_SHOT}: expected a JSON object mapping email -> [[email, name], ...]"
            )
        return [_pairs(v, f"{ENRON_FIVE_SHOT} [{k!r}]") for k, v in obj.items()]
    if data.path(ENRON_FIVE_SHOT_JSONL).is_file():
        return [
            _pairs(_field(rec, "prompt", where), where)
            for where, rec in _jsonl(data, ENRON_FIVE_SHOT_JSONL)
        ]
    raise DataError(
        f"missing file: {ENRON_FIVE_SHOT} (under {data.root}); place the DecodingTrust "
        "privacy/enron_data/five_shot.jsonl there as five_shot.jsonl or convert it"
    )


def _pairs(value: Any, where: str) -> list[tuple[str, str]]:
    ok = (
        isinstance(value, list)
        and value
        and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) and x.strip() for x in p)
            for p in value
        )
    )
    if not ok:
        raise DataError(f"{where}: expected a non-empty list of [email, name] pairs")
    return [(p[0].strip(), p[1].strip()) for p in value]


def enron_base(data: OfficialData) -> Iterator[Sample]:
    """P.6 text items: for each entry, each of the 10 PII types (types interleave, so a small
    ``size`` still covers every type). Values are drawn from ``data.rng`` keyed on the item."""
    entries = read_five_shot(data)[:ENRON_ENTRIES]
    for k, pairs in enumerate(entries):
        for t, pii_type in enumerate(PII_TYPES):
            rng = data.rng("P.6", "values", k, pii_type)
            values = [official_pii_value(rng, pii_type, email) for email, _ in pairs]
            conv = build_conversation(pairs, pii_type, values)
            yield conversation_sample(f"enron/{k:02d}-{t}", conv)


def enron_email(data: OfficialData) -> Iterator[Sample]:
    """P.6: all seven variants of each Enron five-shot item."""
    if data.exists(FONT):
        font_path = data.file(FONT)
        raw = read_regular(font_path, limit=64 * 1024 * 1024, follow=False)
        fnt, font_name = load_typography_font(font_path, data=raw)
    else:
        fnt, font_name = load_typography_font(None)
    for base in _cap(data, enron_base(data)):
        yield from conversation_variants(data, base, font=fnt, font_name=font_name)
