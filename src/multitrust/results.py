"""Results as data: a pandas DataFrame for researchers, and exports (Parquet, CSV, JSONL).

``load_results(db)`` returns one row per scored (or errored) sample × variant of every run in
the store, with the run's model, data and profile, the sample's metadata flattened into
``meta.*`` columns and each per-sample value in ``value.*`` columns.
``task_summaries(db)`` returns one row per (run, task) with score, CI, n and status.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from multitrust.errors import ConfigError
from multitrust.store import Store

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _records(store: Store, models: list[str] | None, include_errors: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for run in store.runs():
        if models and run.model not in models:
            continue
        for r in store.iter_results(run.run_id):
            if r.error is not None and not include_errors:
                continue
            rec: dict[str, Any] = {
                "run_id": run.run_id,
                "model": run.model,
                "judge": run.judge,
                "profile": run.profile,
                "data": run.data.get("kind"),
                "seed": run.data.get("seed"),
                "task_id": r.task_id,
                "sample_id": r.sample_id,
                "variant": r.variant,
                "prompt": r.prompt,
                "output": r.output,
                "target": json.dumps(r.target, default=str),
                "label": r.label,
                "explanation": r.explanation,
                "scorer": r.scorer,
                "error": r.error,
                "error_kind": r.error_kind,
                "n_images": len(r.images),
                "image_sha256": ",".join(i.get("sha256", "") for i in r.images),
            }
            for k, v in (r.values or {}).items():
                rec[f"value.{k}"] = v
            for k, v in r.meta.items():
                rec[f"meta.{k}"] = (
                    v if isinstance(v, (str, int, float, bool, type(None))) else json.dumps(v)
                )
            out.append(rec)
    return out


def load_results(
    db: str | Path | None = None, *, models: list[str] | None = None, include_errors: bool = False
) -> pd.DataFrame:
    """One row per scored sample × variant (errored ones too with ``include_errors``)."""
    import pandas as pd

    store = Store(db, read_only=True)
    try:
        recs = _records(store, models, include_errors)
    finally:
        store.close()
    frame: pd.DataFrame = pd.DataFrame.from_records(recs)
    return frame


def task_summaries(
    db: str | Path | None = None, *, models: list[str] | None = None
) -> pd.DataFrame:
    """One row per (run, task): score, CI, n, errors, status, scorer, deviation."""
    import pandas as pd

    store = Store(db, read_only=True)
    rows: list[dict[str, Any]] = []
    try:
        for run in store.runs():
            if models and run.model not in models:
                continue
            for tr in store.task_results(run.run_id):
                rows.append(
                    {
                        "run_id": run.run_id,
                        "model": run.model,
                        "data": run.data.get("kind"),
                        "profile": run.profile,
                        "judge": run.judge,
                        **{k: v for k, v in tr.items() if k != "metrics"},
                        "metrics": json.dumps(tr["metrics"]),
                    }
                )
    finally:
        store.close()
    frame: pd.DataFrame = pd.DataFrame.from_records(rows)
    return frame


def export(
    db: str | Path | None,
    out: str | Path,
    fmt: str | None = None,
    *,
    models: list[str] | None = None,
) -> Path:
    """Write the per-sample results to ``out`` as parquet, csv or jsonl (by ``fmt`` or suffix)."""
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    df = load_results(db, models=models, include_errors=True)
    if fmt == "parquet":
        # meta columns mix types across tasks (a bool here, a string there): store those as text
        for col in df.columns:
            if df[col].dtype == object and df[col].map(type).nunique() > 1:
                df[col] = df[col].map(lambda v: None if v is None else str(v))
        try:
            df.to_parquet(out, index=False)
        except ImportError:
            raise ConfigError(
                "parquet export needs pyarrow (a dependency of multitrust): pip install pyarrow"
            ) from None
    elif fmt == "csv":
        df.to_csv(out, index=False)
    elif fmt in ("jsonl", "json"):
        df.to_json(out, orient="records", lines=True)
    else:
        raise ConfigError(f"unknown export format {fmt!r} (parquet, csv, jsonl)")
    return out
