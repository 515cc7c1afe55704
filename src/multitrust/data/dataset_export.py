"""The synthetic suite as a dataset: Parquet shards with the images embedded, and a card.

Behind ``multitrust data synth --export DIR``. One row per sample × variant, with the prompt as
the model receives it (the task's messages, built by the caller with ``Task.messages``, so the
exported prompt is the one a run sends) and the images' own bytes in the Hugging Face ``Image``
convention (a struct of ``bytes`` and ``path``): ``datasets.load_dataset("parquet",
data_dir=DIR)`` decodes them to pictures, pandas and pyarrow read the same files as bytes.

Layout::

    DIR/README.md                                  the dataset card (YAML front matter)
    DIR/data/<task>/test-00000-of-00001.parquet    one or more shards per task

Everything written is a function of (tasks, seed, size) and of the build that draws them, never
of the clock, the host or the order in which parallel workers finish: a second export with the
same seed and size is byte-identical (fixed Parquet writer options, rows in stream order, shards
cut at fixed row and byte counts). The folder is built under a temporary name beside ``DIR``
and renamed into place only when complete, so an interrupted export leaves no half dataset
under ``DIR`` (a killed process leaves a ``.DIR.export-*`` folder, never ``DIR``).

This module knows nothing of tasks: the caller (``multitrust.prepare``) builds them and passes
plain values.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multitrust.errors import ConfigError
from multitrust.types import Message, Sample

FORMAT = 1
"""The export layout's version (in the card)."""
SPLIT = "test"
PRETTY_NAME = "MultiTrust-Synth"
ROWS_PER_GROUP = 64
"""Parquet row-group size (rows): small groups keep the images of one group in memory only."""
SHARD_BYTES = 256 * 1024 * 1024
"""A task's rows go to a new shard once the current one holds this many image and text bytes."""
#: Parquet writer options fixed once, so the same rows always give the same bytes.
WRITER_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_version": "1.0",
    "store_schema": True,
}
COLUMNS = (
    ("id", "the row's unique id: `<task>/<sample id>@<variant>`"),
    ("task_id", "the paper's task id (T.1 … P.6)"),
    ("task_name", "the task's name"),
    ("aspect", "truthfulness, safety, robustness, fairness or privacy"),
    ("sub_aspect", "the sub-aspect code (T.I, S.J …)"),
    ("sub_aspect_name", "the sub-aspect's name"),
    ("sample_id", "the sample's id within its task (stable across runs: the store's key)"),
    ("variant", "the cross-modal condition (text, related, unrelated-color …)"),
    ("system", "the system message, or null"),
    ("prompt", "the user message's text, as a run sends it"),
    (
        "messages",
        "the chat as the model receives it: role and content items {type: image or text, "
        "text, image_index}; an image item points into `images` (images come before the text)",
    ),
    ("images", "the images' own bytes (PNG) and a file name (Hugging Face Image feature)"),
    ("image_origins", "where each image comes from (synth:… provenance)"),
    ("target", "the ground truth: the string itself, else JSON (see target_is_json), or null"),
    ("target_is_json", "whether `target` is JSON text (a label that is not a string)"),
    ("metadata", "the sample's facts as JSON (kind, topic, group, ideal answer …)"),
    ("generation_config", "the task's generation settings as JSON (max_tokens, temperature …)"),
)


@dataclass(frozen=True)
class TaskInfo:
    """What the export says about a task (given by the caller, which knows the registry)."""

    id: str
    name: str
    aspect: str
    sub_aspect: str
    sub_aspect_name: str


@dataclass(frozen=True)
class TaskExport:
    """One task's part of an export."""

    task: TaskInfo
    rows: int
    samples: int
    images: int
    shards: tuple[str, ...]
    """Shard paths relative to the export folder."""
    bytes: int
    """The shards' size on disk."""
    arrow_bytes: int
    """The rows' size in memory as Arrow tables (the card's ``num_bytes``)."""


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def sample_row(
    task: TaskInfo, sample: Sample, messages: Sequence[Message], config: Mapping[str, Any]
) -> dict[str, Any]:
    """The dataset row of ``sample`` as ``messages`` (the task's, for this sample) present it."""
    images: list[dict[str, Any]] = []
    chat: list[dict[str, Any]] = []
    system: str | None = None
    for m in messages:
        content: list[dict[str, Any]] = []
        for image in m.images:
            ext = image.mime.rsplit("/", 1)[-1].replace("jpeg", "jpg")
            content.append({"type": "image", "text": None, "image_index": len(images)})
            images.append({"bytes": image.read_bytes(), "path": f"{image.sha256}.{ext}"})
        content.append({"type": "text", "text": m.text, "image_index": None})
        chat.append({"role": m.role, "content": content})
        if m.role == "system" and system is None:
            system = m.text
    prompt = next((m.text for m in reversed(messages) if m.role == "user"), "")
    target = sample.target
    is_json = target is not None and not isinstance(target, str)
    return {
        "id": f"{task.id}/{sample.uid}",
        "task_id": task.id,
        "task_name": task.name,
        "aspect": task.aspect,
        "sub_aspect": task.sub_aspect,
        "sub_aspect_name": task.sub_aspect_name,
        "sample_id": sample.id,
        "variant": sample.variant,
        "system": system,
        "prompt": prompt,
        "messages": chat,
        "images": images,
        "image_origins": [i.origin or "" for m in messages for i in m.images],
        "target": _json(target) if is_json else target,
        "target_is_json": is_json,
        "metadata": _json(dict(sample.meta)),
        "generation_config": _json(dict(config)),
    }


# --------------------------------------------------------------------------- the schema

_STRING = {"dtype": "string", "_type": "Value"}
_BOOL = {"dtype": "bool", "_type": "Value"}
_INT32 = {"dtype": "int32", "_type": "Value"}


def hf_features() -> dict[str, Any]:
    """The columns as Hugging Face ``Features.to_dict()`` writes them, in the list form that
    ``datasets`` 2.x to 5.x all read (``[feature]`` is a list of ``feature``)."""
    content = {"type": _STRING, "text": _STRING, "image_index": _INT32}
    out: dict[str, Any] = {name: _STRING for name, _ in COLUMNS}
    out["target_is_json"] = _BOOL
    out["messages"] = [{"role": _STRING, "content": [content]}]
    out["images"] = [{"_type": "Image"}]
    out["image_origins"] = [_STRING]
    return out


def arrow_schema() -> Any:
    """The Parquet files' schema, carrying the features under the ``huggingface`` metadata key
    (so ``datasets`` decodes ``images`` as pictures)."""
    import pyarrow as pa

    content = pa.struct([("type", pa.string()), ("text", pa.string()), ("image_index", pa.int32())])
    types = {
        "messages": pa.list_(pa.struct([("role", pa.string()), ("content", pa.list_(content))])),
        "images": pa.list_(pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
        "image_origins": pa.list_(pa.string()),
        "target_is_json": pa.bool_(),
    }
    meta = {"huggingface": json.dumps({"info": {"features": hf_features()}}, sort_keys=True)}
    return pa.schema([(n, types.get(n, pa.string())) for n, _ in COLUMNS], metadata=meta)


def _row_bytes(row: Mapping[str, Any]) -> int:
    text = sum(len(row[k] or "") for k in ("prompt", "metadata", "target") if row[k])
    return text + sum(len(i["bytes"]) for i in row["images"])


def write_task(folder: Path, task: TaskInfo, rows: Iterable[dict[str, Any]]) -> TaskExport:
    """Write ``task``'s rows under ``folder/data/<task>/`` as shards of at most
    :data:`SHARD_BYTES` (each cut into row groups of :data:`ROWS_PER_GROUP`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    where = folder / "data" / task.id
    where.mkdir(parents=True, exist_ok=True)
    parts: list[Path] = []
    writer: Any = None
    group: list[dict[str, Any]] = []
    in_shard = n_rows = n_images = 0
    samples: set[str] = set()

    arrow = 0

    def flush() -> None:
        nonlocal arrow
        if group:
            table = pa.Table.from_pylist(group, schema=schema)
            arrow += table.nbytes
            writer.write_table(table)
            group.clear()

    try:
        for row in rows:
            if writer is None or in_shard >= SHARD_BYTES:
                flush()
                if writer is not None:
                    writer.close()
                parts.append(where / f".part-{len(parts):05d}")
                writer = pq.ParquetWriter(str(parts[-1]), schema, **WRITER_OPTIONS)
                in_shard = 0
            group.append(row)
            in_shard += _row_bytes(row)
            n_rows += 1
            n_images += len(row["images"])
            samples.add(row["sample_id"].split("#", 1)[0])
            if len(group) >= ROWS_PER_GROUP:
                flush()
        if writer is not None:
            flush()
    finally:
        if writer is not None:
            writer.close()
    names = []
    for i, part in enumerate(parts):
        final = where / f"{SPLIT}-{i:05d}-of-{len(parts):05d}.parquet"
        os.replace(part, final)
        names.append(final.relative_to(folder).as_posix())
    size = sum((folder / n).stat().st_size for n in names)
    return TaskExport(task, n_rows, len(samples), n_images, tuple(names), size, arrow)


# --------------------------------------------------------------------------- the card


def _yaml(value: Any, indent: int = 0) -> list[str]:
    """``value`` (dicts, lists, strings, numbers, booleans) as block YAML; every string is a
    double-quoted scalar written by ``json.dumps`` (valid YAML), so no value needs escaping
    rules of its own."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                lines.append(f"{pad}{k}:")
                lines += _yaml(v, indent + 2)
            else:
                lines.append(f"{pad}{k}: {_scalar(v)}")
    elif isinstance(value, list):
        for item in value:
            sub = _yaml(item, indent + 2)
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}- {sub[0].lstrip()}")
                lines += sub[1:]
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _scalar(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, (dict, list)):  # empty
        return "{}" if isinstance(v, dict) else "[]"
    return json.dumps(str(v), ensure_ascii=False)


def _yaml_feature(name: str, feature: Any) -> dict[str, Any]:
    """One column in the Hub's card form (``dataset_info.features``)."""
    if isinstance(feature, list):
        inner = feature[0]
        if inner.get("_type") == "Image":
            return {"name": name, "list": "image"}
        if inner.get("_type") == "Value":
            return {"name": name, "list": inner["dtype"]}
        return {"name": name, "list": [_yaml_feature(k, v) for k, v in inner.items()]}
    return {"name": name, "dtype": feature["dtype"]}


def _size_category(n: int) -> str:
    for bound, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < bound:
            return label
    return "100K<n<1M" if n < 1_000_000 else "1M<n<10M"


def card(
    exports: Sequence[TaskExport],
    *,
    seed: int,
    size: int,
    generator: Mapping[str, Any],
    left_out: Mapping[str, str],
    selection: str | None = None,
) -> str:
    """The dataset card (README.md): YAML front matter per the Hub's conventions (configs, the
    features, the split's size, the licence), then the schema, how it was drawn and with what.
    ``selection``: the ``--tasks`` that chose the tasks (None: all of them)."""
    total = sum(e.rows for e in exports)
    arrow = sum(e.arrow_bytes for e in exports)
    configs: list[dict[str, Any]] = [
        {"config_name": "default", "data_files": [{"split": SPLIT, "path": "data/*/*.parquet"}]}
    ]
    configs += [
        {
            "config_name": e.task.id,
            "data_files": [{"split": SPLIT, "path": f"data/{e.task.id}/*.parquet"}],
        }
        for e in exports
    ]
    front = {
        "pretty_name": PRETTY_NAME,
        "license": "apache-2.0",
        "language": ["en"],
        "task_categories": ["visual-question-answering", "image-text-to-text"],
        "tags": ["multitrust", "trustworthiness", "synthetic", "multimodal"],
        "size_categories": [_size_category(total)],
        "configs": configs,
        "dataset_info": [
            {
                "config_name": "default",
                "features": [_yaml_feature(k, v) for k, v in hf_features().items()],
                "splits": [{"name": SPLIT, "num_bytes": arrow, "num_examples": total}],
                "download_size": sum(e.bytes for e in exports),
                "dataset_size": arrow,
            }
        ],
    }
    tasks = f" --tasks {selection}" if selection else ""
    command = f"multitrust data synth --seed {seed} --size {size}{tasks} --export DIR"
    lines = ["---", *_yaml(front), "---", "", f"# {PRETTY_NAME}", ""]
    lines += [
        "The synthetic stand-in for the MultiTrust benchmark's data (32 tasks probing how "
        "trustworthy a multimodal chat model is: truthfulness, safety, robustness, fairness, "
        "privacy), drawn by the `multitrust` package: seeded, offline and licence-free. One row "
        "per sample × variant, with the prompt exactly as a `multitrust` run sends it and the "
        "images embedded. It is not the official release (see the multitrust docs, "
        "docs/synth.md, for what each generator tests and how it differs).",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        'ds = load_dataset("parquet", data_dir="DIR")["test"]   # or load_dataset("DIR", "T.1")',
        'row = ds[0]; row["images"][0]                          # a PIL image',
        "",
        "import pandas as pd",
        'df = pd.read_parquet("DIR/data")                       # images as {bytes, path}',
        "```",
        "",
        "## Columns",
        "",
        "| column | what |",
        "|---|---|",
        *(f"| `{name}` | {what} |" for name, what in COLUMNS),
        "",
        "## How it was drawn",
        "",
        f"- seed {seed}, size {size} (base items per task; variants multiply the rows), "
        f"{total} rows, export format {FORMAT}",
        f"- again, byte for byte, with the same build: `{command}`",
        f"- generator: {', '.join(f'{k} {v}' for k, v in generator.items() if k != 'libraries')}",
        f"- what decides the drawn bytes: {', '.join(generator.get('libraries', ()))}",
        "",
        "| task | name | aspect | sub-aspect | samples | rows | images | shards |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {e.task.id} | {e.task.name} | {e.task.aspect} | {e.task.sub_aspect} "
            f"{e.task.sub_aspect_name} | {e.samples} | {e.rows} | {e.images} | {len(e.shards)} |"
            for e in exports
        ),
        "",
    ]
    if left_out:
        lines += ["Not in this export:", ""]
        lines += [f"- {tid}: {why}" for tid, why in left_out.items()]
        lines.append("")
    lines += [
        "## Licence",
        "",
        "Apache-2.0. Every picture and text is generated in code or comes from files that may "
        "be redistributed without restriction: drawings, documents and texts written for "
        "`multitrust`; names, addresses and numbers made up by Faker (MIT); Pillow's embedded "
        "font (CC0); for R.1/R.2, photos bundled with scikit-image (public domain or CC0). "
        "Nothing comes from the official MultiTrust release.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- the folder


def _is_previous_export(folder: Path) -> bool:
    names = {p.name for p in folder.iterdir()}
    if not names:
        return True  # an empty folder
    if not names <= {"README.md", "data"} or "README.md" not in names:
        return False
    try:
        head = (folder / "README.md").read_text(encoding="utf-8")[:200]
    except (OSError, UnicodeDecodeError):
        return False
    return head.startswith("---\n") and f'pretty_name: "{PRETTY_NAME}"' in head


def check_destination(dest: Path) -> None:
    """Refuse, in one line, a ``--export`` folder that cannot be (re)written: a file, a folder
    of other things, a place that cannot be written."""
    flag = f"--export {dest}"
    if dest.exists() or dest.is_symlink():
        if not dest.is_dir():
            raise ConfigError(f"{flag}: exists and is not a folder")
        try:
            ok = _is_previous_export(dest)
        except OSError as exc:
            raise ConfigError(f"{flag}: cannot read it ({exc.strerror or exc})") from None
        if not ok:
            raise ConfigError(
                f"{flag}: the folder holds other files; give a new or empty folder, or a "
                "previous export to replace"
            )
    parent = dest.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{flag}: cannot create {parent} ({exc.strerror or exc})") from None
    if not parent.is_dir():
        raise ConfigError(f"{flag}: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"{flag}: {parent} is not writable")


@contextlib.contextmanager
def staging(dest: Path) -> Iterator[Path]:
    """A temporary folder beside ``dest`` to build the export in; renamed to ``dest`` when the
    block ends normally (a previous export there is replaced), removed otherwise."""
    check_destination(dest)
    parent = dest.absolute().parent
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.export-", dir=parent))
    except OSError as exc:
        raise ConfigError(
            f"--export {dest}: cannot write in {parent} ({exc.strerror or exc})"
        ) from None
    try:
        yield tmp
        os.chmod(tmp, 0o755 & ~_umask())
        old: Path | None = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=parent))
            os.replace(dest, old / "export")
        os.replace(tmp, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
