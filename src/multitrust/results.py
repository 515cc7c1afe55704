"""Results as data: pandas DataFrames for researchers, and exports (Parquet, CSV, JSONL).

``load_results(db)``: one row per stored sample × variant of every run in the store, scored or
errored (the ``error`` column says which; ``include_errors=False`` keeps the scored ones only).
The same rows, with the same columns, are what :func:`export` writes.

``load_task_results(db)`` (also ``task_summaries``): one row per (run, task) with the task's
name, aspect and sub-aspect, score, CI, n, errors and status.

Column names are plain identifiers (no dots): ``value_<name>`` for each per-sample value and
``meta_<name>`` for each metadata field. A column holds one type: integers stay integers
(nullable), a value a task does not have is missing (never ``"null"`` or NaN text).

CSV exports are made safe to open in a spreadsheet: every cell is quoted (a CR, LF or NUL in
an answer never breaks a row), and a text cell that begins with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return (or with ``'``, so the rule can be undone) gets a ``'`` in front, as
OWASP recommends against CSV formula injection: drop one leading ``'`` to get the text back.
JSONL and Parquet carry the text unchanged.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from multitrust.errors import ConfigError
from multitrust.store import Store
from multitrust.types import replace_when_done, usv

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: The fixed leading columns of the per-sample frame, in order.
SAMPLE_COLUMNS = (
    "run_id",
    "model",
    "judge",
    "profile",
    "data",
    "seed",
    "size",
    "task_id",
    "task_name",
    "aspect",
    "sub_aspect",
    "sample_id",
    "variant",
    "prompt",
    "output",
    "target",
    "label",
    "explanation",
    "scorer",
    "error",
    "error_kind",
    "latency_s",
    "input_tokens",
    "output_tokens",
    "n_images",
    "image_sha256",
)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_INT_COLUMNS = frozenset({"seed", "size", "input_tokens", "output_tokens", "n_images"})
#: Characters that make a spreadsheet read a cell as a formula (OWASP), plus the quote itself.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def _task_info() -> dict[str, tuple[str, str, str]]:
    """task id -> (name, aspect, sub-aspect), for every registered task."""
    from multitrust.tasks import all_tasks

    return {s.id: (s.name, s.aspect, s.sub_aspect) for s in all_tasks(plugins=True)}


def _generation_facts(store: Store, run_id: str) -> dict[str, tuple[Any, Any, Any]]:
    """gen key -> (latency_s, input_tokens, output_tokens) of the generations a run used."""
    rows = store.conn.execute(
        "SELECT g.key, g.latency, g.input_tokens, g.output_tokens FROM generations g"
        " JOIN results r ON r.gen_key = g.key WHERE r.run_id = ?",
        (run_id,),
    )
    return {k: (lat, tin, tout) for k, lat, tin, tout in rows}


def _target(value: Any) -> str | None:
    """The ground truth as one text column: a string as is, anything else as JSON, None missing."""
    if value is None:
        return None
    if isinstance(value, str):
        return usv(value)
    return usv(json.dumps(value, ensure_ascii=False, default=str))


def _meta_value(value: Any) -> Any:
    # stored JSON may hold an unpaired surrogate escape (from the data): text cells are USV
    # strings (U+FFFD in its place), which pandas, Arrow and UTF-8 files all accept
    if isinstance(value, str):
        return usv(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return usv(json.dumps(value, ensure_ascii=False, default=str))


def _records(store: Store, models: list[str] | None, include_errors: bool) -> list[dict[str, Any]]:
    info = _task_info()
    out: list[dict[str, Any]] = []
    for run in store.runs():
        if models and run.model not in models:
            continue
        facts = _generation_facts(store, run.run_id)
        for r in store.iter_results(run.run_id):
            if r.error is not None and not include_errors:
                continue
            name, aspect, sub = info.get(r.task_id, (None, None, None))
            latency, tokens_in, tokens_out = facts.get(r.gen_key or "", (None, None, None))
            rec: dict[str, Any] = {
                "run_id": run.run_id,
                "model": run.model,
                "judge": run.judge,
                "profile": run.profile,
                "data": run.data.get("kind"),
                "seed": run.data.get("seed"),
                "size": run.data.get("size"),
                "task_id": r.task_id,
                "task_name": name,
                "aspect": aspect,
                "sub_aspect": sub,
                "sample_id": r.sample_id,
                "variant": r.variant,
                "prompt": r.prompt,
                "output": r.output,
                "target": _target(r.target),
                "label": r.label,
                "explanation": r.explanation,
                "scorer": r.scorer,
                "error": r.error,
                "error_kind": r.error_kind,
                "latency_s": latency,
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "n_images": len(r.images),
                "image_sha256": ",".join(i.get("sha256", "") for i in r.images),
            }
            for k, v in (r.values or {}).items():
                rec[f"value_{k}"] = None if v is None else float(v)
            for k, v in r.meta.items():
                rec[f"meta_{k}"] = _meta_value(v)
            out.append(rec)
    return out


def _columns(records: Iterable[dict[str, Any]]) -> list[str]:
    """The fixed columns, then ``value_*`` and ``meta_*`` in first-seen order."""
    extra: dict[str, None] = {}
    for rec in records:
        for k in rec:
            if k not in extra:
                extra[k] = None
    fixed = list(SAMPLE_COLUMNS)
    values = [c for c in extra if c.startswith("value_") and c not in SAMPLE_COLUMNS]
    metas = [c for c in extra if c.startswith("meta_") and c not in SAMPLE_COLUMNS]
    return fixed + values + metas


def _kind(values: Iterable[Any]) -> str:
    """``bool``, ``int``, ``float``, ``str`` or ``mixed`` for a column's non-missing values.
    An integer no 64-bit column can hold (an ID in the data, say) makes the column text, so
    every digit is kept."""
    kinds = set()
    for v in values:
        if v is None:
            continue
        kinds.add(
            "bool"
            if isinstance(v, bool)
            else ("int" if _INT64_MIN <= v <= _INT64_MAX else "str")
            if isinstance(v, int)
            else "float"
            if isinstance(v, float)
            else "str"
        )
    if kinds <= {"int", "float"} and "float" in kinds:
        return "float"
    if len(kinds) == 1:
        return kinds.pop()
    return "str" if not kinds else "mixed"


def _frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """A frame with one type per column: nullable integers and booleans, floats, text; a
    column mixing types (a meta field that is a number here, text there) becomes text."""
    import pandas as pd

    cols = _columns(records)
    data: dict[str, Any] = {}
    for c in cols:
        raw = [rec.get(c) for rec in records]
        kind = "float" if c.startswith("value_") or c == "latency_s" else _kind(raw)
        if c in _INT_COLUMNS and kind == "str" and not any(v is not None for v in raw):
            kind = "int"  # an empty column keeps its integer type
        if kind == "int":
            data[c] = pd.array(raw, dtype="Int64")
        elif kind == "bool":
            data[c] = pd.array(raw, dtype="boolean")
        elif kind == "float":
            data[c] = pd.array([None if v is None else float(v) for v in raw], dtype="Float64")
        elif kind == "mixed":
            data[c] = pd.array([None if v is None else str(v) for v in raw], dtype="string")
        else:
            data[c] = pd.array(raw, dtype="string")
    frame: pd.DataFrame = pd.DataFrame(data, columns=cols)
    return frame


def load_results(
    db: str | Path | None = None, *, models: list[str] | None = None, include_errors: bool = True
) -> pd.DataFrame:
    """One row per stored sample × variant: scored and errored alike, as :func:`export`
    writes them (``include_errors=False``: the scored ones only). Columns: see the module."""
    store = Store(db, read_only=True)
    try:
        recs = _records(store, models, include_errors)
    finally:
        store.close()
    return _frame(recs)


def load_task_results(
    db: str | Path | None = None, *, models: list[str] | None = None
) -> pd.DataFrame:
    """One row per (run, task): ``run_id, model, data, seed, size, profile, judge, task_id,
    task_name, aspect, sub_aspect, status, reason, score, ci_low, ci_high, n, n_errors, scorer,
    deviation, comparable, judged_by, metrics`` (``metrics`` as JSON text)."""
    import pandas as pd

    info = _task_info()
    store = Store(db, read_only=True)
    rows: list[dict[str, Any]] = []
    try:
        for run in store.runs():
            if models and run.model not in models:
                continue
            for tr in store.task_results(run.run_id):
                name, aspect, sub = info.get(tr["task_id"], (None, None, None))
                rows.append(
                    {
                        "run_id": run.run_id,
                        "model": run.model,
                        "data": run.data.get("kind"),
                        "seed": run.data.get("seed"),
                        "size": run.data.get("size"),
                        "profile": run.profile,
                        "judge": run.judge,
                        "task_id": tr["task_id"],
                        "task_name": name,
                        "aspect": aspect,
                        "sub_aspect": sub,
                        **{k: v for k, v in tr.items() if k not in ("metrics", "judge", "task_id")},
                        "judged_by": json.dumps(tr["judge"]) if tr["judge"] else None,
                        "metrics": json.dumps(tr["metrics"]),
                    }
                )
    finally:
        store.close()
    frame: pd.DataFrame = pd.DataFrame.from_records(rows)
    return frame


def task_summaries(
    db: str | Path | None = None, *, models: list[str] | None = None
) -> pd.DataFrame:
    """The same frame as :func:`load_task_results` (the older name)."""
    return load_task_results(db, models=models)


# --------------------------------------------------------------------------- export


def neutralise(cell: str) -> str:
    """A text cell made inert for spreadsheets (OWASP CSV injection): a leading ``'`` when it
    begins with ``= + - @``, a tab, a carriage return or ``'``."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _cell(value: Any, text: bool) -> Any:
    if value is None:
        return ""
    if text:
        return neutralise(str(value))
    return value


def _plain(value: Any) -> Any:
    """A frame cell as a plain Python value (pandas' missing markers -> None)."""
    import pandas as pd

    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _write_csv(df: pd.DataFrame, out: Path) -> None:
    text_cols = {c for c in df.columns if str(df[c].dtype) in ("string", "object")}
    cols = list(df.columns)
    # errors="replace": an unpaired surrogate (not encodable as UTF-8) would become "?"
    with out.open("w", newline="", encoding="utf-8", errors="replace") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(cols)
        for row in df.itertuples(index=False, name=None):
            w.writerow(_cell(_plain(v), c in text_cols) for c, v in zip(cols, row, strict=True))


def _json_value(value: Any) -> Any:
    """JSON has no infinity (RFC 8259 §6): an infinite float is written as the string
    ``"Infinity"`` or ``"-Infinity"`` (what JavaScript's ``String()`` gives), never dropped."""
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _write_jsonl(df: pd.DataFrame, out: Path) -> None:
    cols = list(df.columns)
    # ASCII-only lines: no U+2028/U+2029 or other line breaks a reader could split on
    with out.open("w", newline="\n", encoding="ascii") as f:
        for row in df.itertuples(index=False, name=None):
            rec = {c: _json_value(_plain(v)) for c, v in zip(cols, row, strict=True)}
            f.write(json.dumps(rec, ensure_ascii=True, allow_nan=False) + "\n")


def export(
    db: str | Path | None,
    out: str | Path,
    fmt: str | None = None,
    *,
    models: list[str] | None = None,
    include_errors: bool = True,
) -> Path:
    """Write :func:`load_results`' rows to ``out`` as parquet, csv or jsonl (by ``fmt`` or the
    suffix). CSV cells are quoted and formula-neutralised (see the module)."""
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt not in ("parquet", "csv", "jsonl", "json"):
        raise ConfigError(f"unknown export format {fmt!r} (parquet, csv, jsonl)")
    df = load_results(db, models=models, include_errors=include_errors)
    # written beside and renamed at the end: an interrupted export leaves no truncated file
    with replace_when_done(out) as part:
        if fmt == "parquet":
            try:
                df.to_parquet(part, index=False)
            except ImportError:
                raise ConfigError(
                    "parquet export needs pyarrow: pip install 'multitrust[scorers]' or pyarrow"
                ) from None
        elif fmt == "csv":
            _write_csv(df, part)
        else:
            _write_jsonl(df, part)
    return out
