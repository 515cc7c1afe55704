"""``multitrust runs``, ``report``, ``leaderboard`` and ``export``: reading the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from multitrust.cli import _options as opt
from multitrust.cli import _render as render


def runs_cmd(db: opt.Db = None) -> None:
    """Runs in the store with their task scores and error counts."""
    from multitrust.store import Store

    store = Store(db, read_only=True)
    try:
        render.print_runs(store)
    finally:
        store.close()


def report_cmd(
    out: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path(
        "multitrust-report.html"
    ),
    models: Annotated[
        str | None, typer.Option("--models", help="Comma-separated model ids (default: all).")
    ] = None,
    db: opt.Db = None,
) -> None:
    """Write one self-contained HTML report (charts embedded; opens with no network)."""
    from multitrust.report.html import write_report

    path = write_report(db, out, models=opt.split(models))
    render.console.print(f"report written to {path}")


def leaderboard_cmd(
    models: Annotated[
        str | None, typer.Option("--models", help="Comma-separated model ids (default: all).")
    ] = None,
    reference: Annotated[
        bool, typer.Option("--reference/--no-reference", help="Show the published rows.")
    ] = True,
    db: opt.Db = None,
) -> None:
    """The ranking in the terminal: your runs beside the published MultiTrust leaderboard."""
    render.print_leaderboard(db, opt.split(models), reference=reference)


def export_cmd(
    out: Annotated[Path, typer.Option("--output", "-o", help="File to write.")] = Path(
        "multitrust-results.parquet"
    ),
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="parquet, csv or jsonl (default: from the file suffix)."),
    ] = None,
    models: Annotated[str | None, typer.Option("--models")] = None,
    db: opt.Db = None,
) -> None:
    """Export per-sample results (one row per sample × variant)."""
    from multitrust.results import export

    path = export(db, out, fmt, models=opt.split(models))
    render.console.print(f"results written to {path}")
