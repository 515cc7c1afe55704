"""``multitrust runs``, ``report``, ``leaderboard`` and ``export``: reading the store.

These commands only read: the store is opened read-only (a missing one is an error, never
created), and an output file is written only once everything it needs has been read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from multitrust.cli import _options as opt
from multitrust.cli import _render as render


def _models(db: Path | None, value: str | None) -> list[str] | None:
    """``--models`` (a file or a comma list) as model ids, each checked against the store."""
    from multitrust.errors import ConfigError
    from multitrust.store import Store

    with Store(db, read_only=True) as store:
        known = list(dict.fromkeys(r.model for r in store.runs()))
        path = store.path
    ids = [e.spec for e in opt.model_entries(value)]
    unknown = [m for m in ids if m not in known]
    if unknown:
        have = ", ".join(known) if known else "none"
        raise ConfigError(f"--models: no runs of {', '.join(unknown)} in {path} (runs of: {have})")
    return ids or None


def runs_cmd(db: opt.Db = None) -> None:
    """Runs in the store with their task scores, error counts and error causes."""
    from multitrust.store import Store

    with Store(db, read_only=True) as store:
        render.print_runs(store)


def report_cmd(
    out: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE", help="HTML file to write.")
    ] = Path("multitrust-report.html"),
    models: opt.Models = None,
    db: opt.Db = None,
) -> None:
    """Write one self-contained HTML report (charts embedded; opens with no network)."""
    from multitrust.report.html import write_report

    opt.output_file(out)
    path = write_report(db, out, models=_models(db, models))
    render.say(f"report written to {path}")


def leaderboard_cmd(
    models: opt.Models = None,
    reference: Annotated[
        bool, typer.Option("--reference/--no-reference", help="Show the published rows.")
    ] = True,
    db: opt.Db = None,
) -> None:
    """The ranking in the terminal: your runs beside the published MultiTrust leaderboard."""
    render.print_leaderboard(db, _models(db, models), reference=reference)


def export_cmd(
    out: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="File to write (.parquet, .csv or .jsonl).",
        ),
    ] = Path("multitrust-results.parquet"),
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="parquet|csv|jsonl",
            help="Output format (default: from the file suffix).",
        ),
    ] = None,
    models: opt.Models = None,
    db: opt.Db = None,
) -> None:
    """Export per-sample results (one row per sample × variant, errored ones included)."""
    from multitrust.results import export

    opt.output_file(out)
    path = export(db, out, fmt, models=_models(db, models))
    render.say(f"results written to {path}")
