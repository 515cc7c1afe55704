"""What the commands print: the consoles, the run's progress display and the result tables.

Data (model and run names, task reasons, error messages, file names) is printed as text, never
as rich markup, and with terminal control characters shown escaped (``\\x1b``): a model named
``[/red]`` or an error quoting an escape sequence can neither crash the CLI nor drive the
terminal. Everything here that prints data goes through :func:`text` or ``markup=False``.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
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
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from multitrust.api import RunReport
    from multitrust.engine.runner import Counters
    from multitrust.store import Store

# wide output when piped (CI logs, files); the terminal's width otherwise
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: object) -> str:
    """``value`` as a string with terminal control characters (ESC, BEL, CR …) escaped."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def text(value: object, style: str = "") -> Text:
    """A table cell or line from data: literal text, never markup."""
    return Text(clean(value), style=style)


def say(line: str, *, err: bool = False, style: str = "") -> None:
    """Print one line of text (data allowed in it) on stdout or stderr."""
    (err_console if err else console).print(text(line, style), soft_wrap=True)


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


# ------------------------------------------------------------------ progress

PLAIN_EVERY_S = float(os.environ.get("MULTITRUST_PROGRESS_EVERY", "10"))
"""Seconds between plain progress lines when stderr is not a terminal (logs, CI, Slurm)."""


def _eta(elapsed: float, done: int, total: int) -> str:
    if not done or total <= done:
        return "—"
    return f"{elapsed / done * (total - done):.0f}s"


class RunProgress:
    """Progress of one or several runs on stderr: a live bar on a terminal (done/total, elapsed,
    time remaining); without one, a plain line per run every :data:`PLAIN_EVERY_S` seconds, so a
    log shows that a long run is alive and how far it is. Nothing with ``quiet``."""

    def __init__(self, quiet: bool) -> None:
        self.live = not quiet and err_console.is_terminal
        self.plain = not quiet and not self.live
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}", markup=False),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=err_console,
            disable=not self.live,
            transient=False,
        )
        self._last: dict[str, float] = {}

    def __enter__(self) -> RunProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def bar(self, label: str, info: str = "") -> Callable[[str, Counters], None]:
        """An engine progress callback for the run of ``label``."""
        label = clean(label)
        bar: TaskID = self.progress.add_task(label, total=None, info=info)
        started = time.monotonic()
        self._last[label] = started

        def on_progress(task_id: str, c: Counters) -> None:
            done = c.scored + c.errors
            total = f"{c.queued}" if c.all_queued else f"{c.queued}+"
            if self.live:
                self.progress.update(
                    bar,
                    completed=done,
                    total=c.queued if c.queued else None,
                    info=f"{task_id} · requests {c.requests} · cached {c.cached} · "
                    f"errors {c.errors}" + ("" if c.all_queued else " · queueing"),
                )
            elif self.plain:
                now = time.monotonic()
                if now - self._last[label] >= PLAIN_EVERY_S:
                    self._last[label] = now
                    eta = _eta(now - started, done, c.queued) if c.all_queued else "—"
                    say(
                        f"{label}: {done}/{total} items · task {task_id} · requests {c.requests}"
                        f" · cached {c.cached} · errors {c.errors} · {now - started:.0f}s"
                        f" elapsed · eta {eta}",
                        err=True,
                    )

        return on_progress


# ------------------------------------------------------------------ tables


def print_task_list(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> None:
    """``multitrust list``: a table when the terminal is wide enough for one, otherwise one
    block per task (a seven-column table at 80 columns would break words)."""
    if console.width >= 150:
        table = Table(title="MultiTrust tasks")
        for col in headers:
            table.add_column(col)
        for row in rows:
            table.add_row(*(text(v) for v in row))
        console.print(table)
        return
    for row in rows:
        task_id, name, *rest = row
        say(f"{task_id}  {name}", style="bold")
        for head, value in zip(headers[2:], rest, strict=True):
            console.print(Text("     "), text(f"{head}: {value}"), sep="", soft_wrap=False)


RETRYABLE_KINDS = frozenset(
    {"rate_limit", "server", "timeout", "connection", "bad_response", "judge", "other"}
)
"""Error kinds a rerun may fix (the engine retried them and they still failed): load, outages,
timeouts. Not: ``auth``, ``bad_request``, ``input`` (the same request fails again)."""


def retryable(kind: str, message: str = "") -> bool:
    return kind in RETRYABLE_KINDS and not re.match(r"HTTP (404|405|501)\b", message)


def print_report(report: RunReport, causes: list[tuple[str, str, int]] | None = None) -> None:
    """One run's task table, sub-aspects, overall, counters and (when samples failed) the top
    error causes with the advice that fits them."""
    from multitrust.aggregate import TOOLBOX_MARK, split_notes
    from multitrust.scoring.releases import profile_label
    from multitrust.tasks.base import SUB_ASPECT_NAMES

    table = Table(
        title=text(
            f"{report.model} · data {report.data.get('kind')} · profile "
            f"{profile_label(report.profile)} · run {report.run_id}"
        )
    )
    for col in ("task", "name", "score", "95% CI", "n", "errors", "status"):
        table.add_column(
            col, justify="right" if col in ("score", "n", "errors") else "left", overflow="fold"
        )
    for oc in report.tasks.values():
        ci = f"{oc.ci[0]:.1f}–{oc.ci[1]:.1f}" if oc.ci else ""
        status = oc.status if not oc.reason else f"{oc.status}: {oc.reason}"
        table.add_row(
            *(text(v) for v in (oc.task_id, oc.name, fmt(oc.score), ci, oc.n, oc.n_errors, status))
        )
    console.print(table)
    judged: dict[tuple[str, str, str], list[str]] = {}
    for oc in report.tasks.values():
        j = getattr(oc, "judge", None)
        if j:
            judged.setdefault((j["model"], j["prompt_version"], j["profile"]), []).append(
                oc.task_id
            )
    for (model, version, profile), ids in judged.items():
        say(f"judge {model} · prompts {version} · profile {profile}: {', '.join(ids)}")
    for oc in report.tasks.values():  # where an official* row reproduces the toolbox's code
        for note in split_notes(oc.deviation):
            if note.startswith(TOOLBOX_MARK):
                say(f"{oc.task_id} as the {note}")
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
    if sub.row_count:  # none when only plugins' tasks ran: they are outside the sub-aspects
        console.print(sub)
    failed = [k for k, v in report.tasks.items() if v.status == "failed"]
    if failed:
        label = f"overall (partial: {', '.join(failed)} failed)"
    elif report.overall_partial:
        label = "overall (partial: not all 32 tasks)"
    else:
        label = "overall"
    say(f"{label}: {fmt(report.overall, 2)}", style="bold")
    c = report.counters
    say(
        f"requests {c.requests} · judge requests {c.judge_requests} · cached {c.cached} · resumed {c.skipped} · "
        f"scored {c.scored} · errors {c.errors} · {report.elapsed_s:.1f}s · store {report.db}"
    )
    if c.errors:
        print_causes(c.errors, causes or [])


def print_causes(n_errors: int, causes: list[tuple[str, str, int]]) -> None:
    """The top causes of failed samples, and the advice that fits them (rerun only helps when
    the failures were load, outages or timeouts)."""
    say(f"{n_errors} samples failed and were not scored; top causes:", err=True)
    for kind, message, n in causes:
        note = "" if retryable(kind, message) else " (retrying cannot fix this)"
        say(f"{n:7d} × {kind}: {message[:200]}{note}", err=True)
    if any(retryable(kind, message) for kind, message, _ in causes) or not causes:
        say("rerun the same command to retry them.", err=True)
    else:
        say(
            "a rerun would fail the same way: fix the cause (model name, --base-url, key, input) first.",
            err=True,
        )


def print_runs(store: Store) -> None:
    """Every run in ``store``: its task scores, errors, status and the causes of its errors."""
    from multitrust.report.data import data_text

    runs = store.runs()
    if not runs:
        say(f"no runs in {store.path}")
        return
    for r in runs:
        table = Table(
            title=text(
                f"run {r.run_id} · {r.model} · {data_text(r)} · profile {r.profile} · {r.status}"
            )
        )
        for col in ("task", "score", "n", "errors", "status"):
            table.add_column(col)
        rows = sorted(store.task_results(r.run_id), key=lambda t: paper_order(t["task_id"]))
        for tr in rows:
            table.add_row(
                *(
                    text(v)
                    for v in (
                        tr["task_id"],
                        fmt(tr["score"]),
                        tr["n"] or 0,
                        tr["n_errors"] or 0,
                        tr["status"] + (f": {tr['reason']}" if tr["reason"] else ""),
                    )
                )
            )
        console.print(table)
        causes = run_causes(store, r.run_id, [tr["task_id"] for tr in rows])
        for kind, message, n in causes:
            say(f"  errors: {n} × {kind}: {message[:200]}")


def run_causes(
    store: Store, run_id: str, task_ids: Iterable[str], top: int = 5
) -> list[tuple[str, str, int]]:
    """The run's most frequent error causes over its tasks: (kind, message, count)."""
    merged: dict[tuple[str, str], int] = {}
    for task_id in task_ids:
        for kind, message, n in store.error_causes(run_id, task_id, limit=top):
            merged[(kind, message)] = merged.get((kind, message), 0) + n
    ranked = sorted(merged.items(), key=lambda kv: -kv[1])[:top]
    return [(kind, message, n) for (kind, message), n in ranked]


def print_leaderboard(db: Any, models: list[str] | None, *, reference: bool = True) -> None:
    """The leaderboard of the runs of ``models`` (None: all): the groups ``report.data``
    ranks (complete official runs beside the published rows; partial or synthetic runs apart;
    calibration baselines), one table each."""
    from multitrust.aggregate import SUB_ASPECTS
    from multitrust.report.data import gather
    from multitrust.report.leaderboard import leaderboard

    for group in leaderboard(gather(db, models), reference=reference):
        table = Table(title=text(group.title))
        table.add_column("#", justify="right")
        table.add_column("model")
        table.add_column("source")
        table.add_column("data")
        table.add_column("overall", justify="right")
        for c in SUB_ASPECTS:
            table.add_column(c, justify="right")
        table.add_column("note")
        for row in group.rows:
            style = "bold cyan" if row.source == "run" else ""
            cells = (
                "" if row.rank is None else str(row.rank),
                row.name,
                row.source,
                row.data,
                fmt(row.overall, 2),
                *[fmt(row.sub_aspects.get(c)) for c in SUB_ASPECTS],
                row.note,
            )
            table.add_row(*(text(v, style) for v in cells))
        console.print(table)
        if group.note:
            say(f"note: {group.note}")
