"""``multitrust runs``, ``report``, ``leaderboard`` and ``export``: reading the store; and
``merge``: combining stores.

The read commands only read: the store is opened read-only (a missing one is an error, never
created), and an output file is written only once everything it needs has been read. ``merge``
reads its sources read-only and writes only its ``-o`` store (see :mod:`multitrust.store.merge`).
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


def merge_cmd(
    stores: Annotated[
        list[Path],
        # typer lists a variadic argument with its Python type (<list[Path]>): it is described
        # in the command's help instead
        typer.Argument(metavar="STORE", hidden=True),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The merged store: created, or merged into when it exists.",
        ),
    ],
) -> None:
    """Combine the stores STORE... from several machines into one, -o (runs, cached answers,
    results, task scores; no duplicates); each STORE is only read. A run id in two stores must have the same settings; a conflict
    is one line and nothing is written. Merging again changes nothing."""
    import time

    from multitrust.store.merge import merge_stores

    started = time.perf_counter()
    rep = merge_stores(stores, out)
    added = ", ".join(f"{n} {table}" for table, n in rep.added.items() if n) or "nothing new"
    render.say(
        f"merged {len(rep.sources)} store(s) into {rep.output}: {rep.runs} run(s); added "
        f"{added} in {time.perf_counter() - started:.1f} s"
    )
    if rep.errors_replaced:
        render.say(f"{rep.errors_replaced} errored rows replaced by scored answers")
    if rep.interrupted:
        render.say(f"copied as interrupted (their writer was gone): {', '.join(rep.interrupted)}")
    if rep.answers_differ:
        render.say(
            f"warning: {rep.answers_differ} samples were answered differently in two stores "
            "(sampling, or a non-deterministic server): the first store's answers were kept",
            err=True,
        )
    if rep.generations_differ:
        render.say(
            f"warning: {rep.generations_differ} cached generations differ between stores: the "
            "first store's were kept (results keep their own answers)",
            err=True,
        )
    for run_id, task_id in rep.stale:
        render.say(
            f"warning: run {run_id} {task_id}: results merged from stores that scored different "
            "rows; no score until eval is rerun with this run's settings on the merged store",
            err=True,
        )
