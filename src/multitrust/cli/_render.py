"""What the commands print: the consoles, the run's progress display and the result tables."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

if TYPE_CHECKING:
    from multitrust.api import RunReport
    from multitrust.engine.runner import Counters
    from multitrust.store import Store

# wide output when piped (CI logs, files); the terminal's width otherwise
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)


def fmt(x: float | None, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}f}"


def paper_order(task_id: str) -> tuple[int, int]:
    """T, S, R, F, P and then the number, as in the paper's tables (unknown ids last)."""
    from multitrust.errors import MultitrustError
    from multitrust.tasks import get_task

    try:
        return get_task(task_id).number
    except MultitrustError:
        return (9, 0)


def progress(quiet: bool) -> Progress:
    """The run's progress display on stderr (off with --quiet or when stderr is not a terminal)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet or not err_console.is_terminal,
        transient=False,
    )


def bar_updater(progress: Progress, bar: TaskID) -> Callable[[str, Counters], None]:
    """An engine progress callback that moves one bar of ``progress``."""

    def on_progress(task_id: str, c: Counters) -> None:
        progress.update(
            bar,
            completed=c.scored + c.errors,
            info=f"{task_id} · requests {c.requests} · cached {c.cached} · errors {c.errors}",
        )

    return on_progress


def print_report(report: RunReport) -> None:
    """One run's task table, sub-aspects, overall and counters."""
    from multitrust.tasks.base import SUB_ASPECT_NAMES

    table = Table(
        title=f"{report.model} · data {report.data.get('kind')} · profile {report.profile} · run {report.run_id}"
    )
    for col in ("task", "name", "score", "95% CI", "n", "errors", "status"):
        table.add_column(
            col, justify="right" if col in ("score", "n", "errors") else "left", overflow="fold"
        )
    for oc in report.tasks.values():
        ci = f"{oc.ci[0]:.1f}–{oc.ci[1]:.1f}" if oc.ci else ""
        status = oc.status if not oc.reason else f"{oc.status}: {oc.reason}"
        table.add_row(oc.task_id, oc.name, fmt(oc.score), ci, str(oc.n), str(oc.n_errors), status)
    console.print(table)
    judged: dict[tuple[str, str, str], list[str]] = {}
    for oc in report.tasks.values():
        j = getattr(oc, "judge", None)
        if j:
            judged.setdefault((j["model"], j["prompt_version"], j["profile"]), []).append(
                oc.task_id
            )
    for (model, version, profile), ids in judged.items():
        console.print(f"judge {model} · prompts {version} · profile {profile}: {', '.join(ids)}")
    sub = Table(title="Sub-aspects")
    sub.add_column("code")
    sub.add_column("name")
    sub.add_column("score", justify="right")
    sub.add_column("tasks")
    for code, s in report.sub_aspects.items():
        if s.score is None and not s.tasks:
            continue
        sub.add_row(
            code,
            SUB_ASPECT_NAMES[code],
            fmt(s.score),
            ", ".join(s.tasks) + (" (partial)" if s.partial else ""),
        )
    console.print(sub)
    failed = [k for k, v in report.tasks.items() if v.status == "failed"]
    label = "overall"
    if report.overall_partial:
        label += (
            f" (partial: {', '.join(failed)} failed)" if failed else " (partial: not all 32 tasks)"
        )
    console.print(f"[bold]{label}: {fmt(report.overall, 2)}[/bold]")
    c = report.counters
    console.print(
        f"requests {c.requests} · judge requests {c.judge_requests} · cached {c.cached} · resumed {c.skipped} · "
        f"scored {c.scored} · errors {c.errors} · {report.elapsed_s:.1f}s · store {report.db}"
    )
    if c.errors:
        err_console.print(
            f"{c.errors} samples failed and were not scored; rerun the same command to retry them."
        )


def print_runs(store: Store) -> None:
    """Every run in ``store``: its task scores, errors and status."""
    from multitrust.report.data import data_text

    runs = store.runs()
    if not runs:
        console.print(f"no runs in {store.path}")
        return
    for r in runs:
        table = Table(
            title=f"run {r.run_id} · {r.model} · {data_text(r)} · profile {r.profile} · {r.status}"
        )
        for col in ("task", "score", "n", "errors", "status"):
            table.add_column(col)
        for tr in sorted(store.task_results(r.run_id), key=lambda t: paper_order(t["task_id"])):
            table.add_row(
                tr["task_id"],
                fmt(tr["score"]),
                str(tr["n"] or 0),
                str(tr["n_errors"] or 0),
                tr["status"] + (f": {tr['reason']}" if tr["reason"] else ""),
            )
        console.print(table)


def print_leaderboard(db: Any, models: list[str] | None, *, reference: bool = True) -> None:
    """The leaderboard of the runs of ``models`` (None: all): the groups ``report.data``
    ranks (complete official runs beside the published rows; partial or synthetic runs apart;
    calibration baselines), one table each."""
    from rich.markup import escape

    from multitrust.aggregate import SUB_ASPECTS
    from multitrust.report.data import gather, leaderboard

    for group in leaderboard(gather(db, models), reference=reference):
        table = Table(title=escape(group.title))
        table.add_column("#", justify="right")
        table.add_column("model")
        table.add_column("source")
        table.add_column("data")
        table.add_column("overall", justify="right")
        for c in SUB_ASPECTS:
            table.add_column(c, justify="right")
        table.add_column("note")
        for row in group.rows:
            table.add_row(
                "" if row.rank is None else str(row.rank),
                escape(row.name),
                row.source,
                escape(row.data),
                fmt(row.overall, 2),
                *[fmt(row.sub_aspects.get(c)) for c in SUB_ASPECTS],
                escape(row.note),
                style="bold cyan" if row.source == "run" else None,
            )
        console.print(table)
        if group.note:
            console.print(f"note: {escape(group.note)}")
