"""Merging stores: ``multitrust merge A.db B.db … -o ALL.db``.

A team that ran models on several machines, each with its own store, combines them into one
that ``report`` and ``leaderboard`` read like any other. The rules keep the numbers honest:

- **Runs.** A run id is a hash of what decides the run's answers (model, data, profile, judge,
  scorer resources, limit), so the same id on two machines is one run, split or repeated. Its
  identity (model, judge, profile, data and the settings that decide answers) must agree in
  every store, else the merge stops with one line naming the run and the field, and nothing is
  written. Operational settings (``max_connections``, ``timeout_s``, ``max_attempts``, the
  model's ``timeout_s`` and ``device``) may differ; the first store's are kept. The merged run
  holds the union of the tasks, the earliest ``created`` and the latest ``updated``; its status,
  package version and commit are those of its most recently updated copy.
- **Runs in progress.** A run that a live process is writing (status ``running``, a fresh
  heartbeat, an owner that is alive) is refused: its store is still changing, and a copy would
  be a half run that looks finished. A ``running`` run whose writer is gone (a killed process, a
  lost node) is copied as ``interrupted``; no merged run has an owner, so ``eval`` can resume it.
- **Results** (one per run, task, sample, variant). An answer that was scored beats an error for
  the same sample (errors are retried on a rerun, never scored). Two scored rows for the same
  sample keep the first (in the order the stores are given, the output first when it exists);
  they differ only when the model samples (temperature above 0) or its server is not
  deterministic, and either is a fair draw. Two rows whose *sample* differs (another prompt,
  images or target under the same id, e.g. synthetic data drawn by another release) are a
  conflict: the merge stops, as the store itself refuses to let one sample take another's place.
- **Cached generations** are keyed by a hash of the model's identity, the messages (image hashes)
  and the generation settings. An answer beats an error; two different answers under one key
  keep the first and are counted (the result rows carry their own answer, so no score depends
  on which one the cache keeps; the key is the same for two draws at temperature above 0).
- **Task scores** are a function of the task's result rows. A store's score is kept when its own
  rows for the task are exactly the merged rows (the first such store's); when the merged rows
  are a mix that no store scored, the task is marked ``stale`` (no score, with the reason) until
  ``eval`` is rerun with the same settings on the merged store, which reuses every stored answer
  (no model call) and scores the task again.

Safe to interrupt: into an existing store everything is one transaction (rolled back if
interrupted); a new output is built in a temporary file beside it and renamed into place when
complete. Idempotent: merging the same stores again changes nothing (rows are copied with their
own timestamps, never stamped with the time of the merge).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multitrust.errors import ConfigError, MultitrustError
from multitrust.store import HEARTBEAT_STALE_S, SCHEMA_VERSION, Store
from multitrust.store._sqlite import open_read_only, pid_alive
from multitrust.types import replace_when_done

#: Settings that say how a run was driven, not what it answered: they may differ between copies.
OPERATIONAL = frozenset({"max_connections", "timeout_s", "max_attempts"})
OPERATIONAL_MODEL = frozenset({"timeout_s", "device"})
STALE_REASON = (
    "merged from stores whose results for this task differ: rerun eval with this run's settings "
    "on the merged store to score it (stored answers are reused, no model call)"
)
_RUN_COLS = (
    "run_id, created, updated, model, judge, profile, tasks, data, settings, "
    "package_version, git_commit, status, owner, heartbeat"
)
_GEN_COLS = (
    "key, model, text, error, error_kind, input_tokens, output_tokens, latency, attempts, created"
)
_RES_COLS = (
    'run_id, task_id, sample_id, variant, gen_key, prompt, images, target, meta, output, "values", '
    "label, explanation, scorer, error, error_kind, created"
)
_TR_COLS = (
    "run_id, task_id, status, reason, score, ci_low, ci_high, metrics, n, n_errors, scorer, "
    "deviation, comparable, updated, judge"
)


class MergeConflict(MultitrustError):
    """Two stores disagree about something only one of them can be right about."""


@dataclass
class MergeReport:
    """What a merge did, counted."""

    output: Path
    sources: list[Path]
    runs: int = 0
    """Runs in the merged store that the sources hold."""
    added: dict[str, int] = field(default_factory=dict)
    """New rows per table."""
    errors_replaced: int = 0
    """Errored results (and generations) replaced by a scored answer from another store."""
    answers_differ: int = 0
    """Scored results for one sample with different answers: the first was kept."""
    generations_differ: int = 0
    """Cached generations under one key with different text: the first was kept."""
    interrupted: list[str] = field(default_factory=list)
    """Runs copied as ``interrupted`` (their writer was gone)."""
    stale: list[tuple[str, str]] = field(default_factory=list)
    """(run, task) left without a score: merged rows that no store had scored."""


def _live(status: str | None, owner: str | None, heartbeat: float | None) -> bool:
    return bool(
        status == "running"
        and owner
        and heartbeat is not None
        and time.time() - heartbeat < HEARTBEAT_STALE_S
        and pid_alive(owner)
    )


def _identity(row: tuple[Any, ...]) -> dict[str, Any]:
    """The fields of a run row (``_RUN_COLS`` order) that must agree between copies."""
    settings = json.loads(row[8] or "{}")
    for key in OPERATIONAL:
        settings.pop(key, None)
    for who in ("model", "judge"):
        if isinstance(settings.get(who), dict):
            settings[who] = {k: v for k, v in settings[who].items() if k not in OPERATIONAL_MODEL}
    out = {"model": row[3], "judge": row[4], "profile": row[5] or "corrected"}
    out["data"] = json.loads(row[7] or "{}")
    out.update({f"settings.{k}": v for k, v in settings.items()})
    return out


def _differing(a: dict[str, Any], b: dict[str, Any]) -> str | None:
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if va == vb:
            continue
        if isinstance(va, dict) and isinstance(vb, dict):
            sub = _differing(va, vb)
            return f"{key}.{sub}" if sub else key
        return key
    return None


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _dig(ident: dict[str, Any], dotted: str) -> Any:
    head, _, rest = dotted.partition(".")
    if head == "settings":
        head, _, rest = rest.partition(".")
        head = f"settings.{head}"
    value: Any = ident.get(head)
    for part in rest.split(".") if rest else ():
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _fingerprints(conn: sqlite3.Connection, runs: set[str]) -> dict[tuple[str, str], str]:
    """A hash of each (run, task)'s result rows, everything but their timestamps, in key order
    (read run by run through the primary key: a large store is not scanned for a small merge)."""
    out: dict[tuple[str, str], str] = {}
    cols = _RES_COLS.rsplit(",", 1)[0]  # without created
    for run_id in sorted(runs):
        cur = conn.execute(
            f"SELECT {cols} FROM results WHERE run_id=? ORDER BY task_id, sample_id, variant",
            (run_id,),
        )
        task: str | None = None
        h = hashlib.sha256()
        for row in cur:
            if row[1] != task:
                if task is not None:
                    out[(run_id, task)] = h.hexdigest()
                task, h = row[1], hashlib.sha256()
            h.update(repr(row[2:]).encode() + b"\n")  # str, int, float, None: a stable repr
        if task is not None:
            out[(run_id, task)] = h.hexdigest()
    return out


class _Merger:
    def __init__(self, conn: sqlite3.Connection, report: MergeReport) -> None:
        self.out = conn
        self.report = report
        self.runs: dict[str, tuple[Any, ...]] = {}
        """The merged run rows so far, and where the first copy came from."""
        self.first_in: dict[str, Path] = {}
        self.scores: dict[tuple[str, str], list[tuple[tuple[Any, ...], str | None]]] = {}
        """Per (run, task): each store's task row with its fingerprint, in store order."""

    def count(self, table: str, n: int = 1) -> None:
        self.report.added[table] = self.report.added.get(table, 0) + n

    # ------------------------------------------------------------------ runs
    def take_run(self, row: tuple[Any, ...], where: Path) -> None:
        run_id = row[0]
        if _live(row[11], row[12], row[13]):
            raise MergeConflict(
                f"run {run_id} in {where} is being written by a live process ({row[12]}); "
                "merge once it has finished (or stop it: an interrupted run is merged)"
            )
        status = "interrupted" if row[11] == "running" else row[11]
        if status != row[11] and run_id not in self.report.interrupted:
            self.report.interrupted.append(run_id)
        row = (*row[:11], status, None, None)
        have = self.runs.get(run_id)
        if have is None:
            self.runs[run_id], self.first_in[run_id] = row, where
            return
        first, second = _identity(have), _identity(row)
        differs = _differing(first, second)
        if differs is not None:
            raise MergeConflict(
                f"run {run_id}: {differs} is {_short(_dig(first, differs))} in "
                f"{self.first_in[run_id]} but {_short(_dig(second, differs))} in {where}; "
                "one run id must mean one run (nothing written)"
            )
        tasks = list(dict.fromkeys([*json.loads(have[6] or "[]"), *json.loads(row[6] or "[]")]))
        newest = row if (row[2] or 0) > (have[2] or 0) else have
        self.runs[run_id] = (
            run_id,
            min(have[1] or 0, row[1] or 0),
            max(have[2] or 0, row[2] or 0),
            *have[3:6],
            json.dumps(tasks),
            *have[7:9],
            newest[9],
            newest[10],
            newest[11],
            None,
            None,
        )

    def write_runs(self) -> None:
        for row in self.runs.values():
            self.out.execute(f"INSERT OR REPLACE INTO runs({_RUN_COLS}) VALUES({_q(14)})", row)

    # ------------------------------------------------------------------ generations
    def take_generation(self, row: tuple[Any, ...]) -> None:
        have = self.out.execute(
            "SELECT text, error FROM generations WHERE key=?", (row[0],)
        ).fetchone()
        if have is None:
            self.out.execute(f"INSERT INTO generations({_GEN_COLS}) VALUES({_q(10)})", row)
            self.count("generations")
        elif have[1] is not None and row[3] is None:
            self.out.execute(
                f"INSERT OR REPLACE INTO generations({_GEN_COLS}) VALUES({_q(10)})", row
            )
            self.report.errors_replaced += 1
        elif have[1] is None and row[3] is None and have[0] != row[2]:
            self.report.generations_differ += 1

    # ------------------------------------------------------------------ results
    def take_result(self, row: tuple[Any, ...], where: Path) -> None:
        have = self.out.execute(
            'SELECT prompt, images, target, error, output, "values", label FROM results'
            " WHERE run_id=? AND task_id=? AND sample_id=? AND variant=?",
            row[:4],
        ).fetchone()
        if have is None:
            self.out.execute(f"INSERT INTO results({_RES_COLS}) VALUES({_q(17)})", row)
            self.count("results")
            return
        mine_ok, theirs_ok = have[3] is None, row[14] is None
        if mine_ok and theirs_ok:
            for name, a, b in zip(("prompt", "images", "target"), have[:3], row[5:8], strict=True):
                if a != b:
                    raise MergeConflict(
                        f"run {row[0]} task {row[1]} sample {row[2]!r} (variant {row[3]}): two "
                        f"different samples share this id ({name} differs in {where}), so the "
                        "stores drew different data for one run (nothing written)"
                    )
            if (have[4], have[5], have[6]) != (row[9], row[10], row[11]):
                self.report.answers_differ += 1
        elif theirs_ok:  # a scored answer beats an error
            self.out.execute(f"INSERT OR REPLACE INTO results({_RES_COLS}) VALUES({_q(17)})", row)
            self.report.errors_replaced += 1

    # ------------------------------------------------------------------ task scores
    def take_scores(self, src: sqlite3.Connection, runs: set[str]) -> None:
        prints = _fingerprints(src, runs)
        for row in src.execute(f"SELECT {_TR_COLS} FROM task_results"):
            if row[0] in runs:
                self.scores.setdefault((row[0], row[1]), []).append(
                    (row, prints.get((row[0], row[1])))
                )

    def write_scores(self, runs: set[str]) -> None:
        merged = _fingerprints(self.out, runs)
        for key, copies in self.scores.items():
            want = merged.get(key)
            chosen = next((row for row, fp in copies if fp == want), None)
            if chosen is None:
                first = copies[0][0]
                n, n_err = self.out.execute(
                    "SELECT SUM(error IS NULL), SUM(error IS NOT NULL) FROM results"
                    " WHERE run_id=? AND task_id=?",
                    key,
                ).fetchone()
                chosen = (*key, "stale", STALE_REASON, None, None, None, "{}", n or 0, n_err or 0)
                chosen = (*chosen, *first[10:13], first[13], first[14])
                self.report.stale.append(key)
            have = self.out.execute(
                f"SELECT {_TR_COLS} FROM task_results WHERE run_id=? AND task_id=?", key
            ).fetchone()
            if have != chosen:
                self.out.execute(
                    f"INSERT OR REPLACE INTO task_results({_TR_COLS}) VALUES({_q(15)})", chosen
                )
                if have is None:
                    self.count("task_results")


def _q(n: int) -> str:
    return ",".join("?" * n)


def _copy_store(merger: _Merger, src: sqlite3.Connection, where: Path) -> None:
    version = src.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if version is not None and int(version[0]) > SCHEMA_VERSION:
        raise ConfigError(f"{where} was written by a newer multitrust (store schema {version[0]})")
    runs = {r[0] for r in src.execute("SELECT run_id FROM runs")}
    for row in src.execute(f"SELECT {_RUN_COLS} FROM runs ORDER BY created, run_id"):
        merger.take_run(row, where)
    for row in src.execute(f"SELECT {_GEN_COLS} FROM generations ORDER BY key"):
        merger.take_generation(row)
    for row in src.execute(
        f"SELECT {_RES_COLS} FROM results ORDER BY run_id, task_id, sample_id, variant"
    ):
        merger.take_result(row, where)
    merger.take_scores(src, runs)
    for row in src.execute("SELECT sha256, mime, origin, thumb FROM images ORDER BY sha256"):
        cur = merger.out.execute(
            "INSERT OR IGNORE INTO images(sha256, mime, origin, thumb) VALUES(?,?,?,?)", row
        )
        if cur.rowcount > 0:
            merger.count("images")
        elif row[3] is not None:  # a thumbnail where the output has none
            merger.out.execute(
                "UPDATE images SET thumb=? WHERE sha256=? AND thumb IS NULL", (row[3], row[0])
            )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def merge_stores(sources: Sequence[Path], output: Path) -> MergeReport:
    """Merge the stores ``sources`` into ``output`` (created when absent, merged into when it is
    a store already). See the module doc for the rules; a conflict raises
    :class:`MergeConflict` and writes nothing."""
    if not sources:
        raise ConfigError("merge: give at least one store to merge")
    if output.is_dir():
        raise ConfigError(f"-o {output} is a folder; give a store file")
    if output.exists() and not output.is_file():
        raise ConfigError(f"-o {output} is not a regular file")
    if not output.parent.is_dir():
        raise ConfigError(f"-o {output}: no such folder {output.parent}")
    exists = output.exists()
    if exists:
        open_read_only(output).close()  # a file that is not a store is refused, untouched
    todo: list[Path] = []
    for src in sources:
        if src.is_dir():
            raise ConfigError(f"merge: {src} is a folder, not a store")
        if not src.exists():
            raise ConfigError(f"merge: no store at {src}")
        if _same_file(src, output) or any(_same_file(src, t) for t in todo):
            continue
        open_read_only(src).close()  # each checked before anything is written
        todo.append(src)
    report = MergeReport(output, list(todo))
    if exists:
        with Store(output) as store, store._transaction() as conn:
            _merge_into(conn, output, todo, report)
        return report
    # a fresh name for SQLite to create (with the permissions any new store gets)
    with replace_when_done(output, "merge") as tmp:
        try:
            with Store(tmp) as store:
                with store._transaction() as conn:
                    _merge_into(conn, None, todo, report)
                store.conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            for side in ("-wal", "-shm", "-journal"):
                Path(f"{tmp}{side}").unlink(missing_ok=True)
    return report


def _merge_into(
    conn: sqlite3.Connection, existing: Path | None, sources: Sequence[Path], report: MergeReport
) -> None:
    merger = _Merger(conn, report)
    touched: set[str] = set()
    opened: list[tuple[sqlite3.Connection, Path]] = []
    with contextlib.ExitStack() as stack:
        for path in sources:
            src = open_read_only(path)
            stack.callback(src.close)
            opened.append((src, path))
            touched |= {r[0] for r in src.execute("SELECT run_id FROM runs")}
        if existing is not None:  # the output's own copy of each touched run comes first
            for row in conn.execute(f"SELECT {_RUN_COLS} FROM runs"):
                if row[0] in touched:
                    merger.take_run(row, existing)
            merger.take_scores(conn, touched)
        for src, path in opened:
            _copy_store(merger, src, path)
        merger.write_runs()
        merger.write_scores(touched)
    report.runs = len(merger.runs)


def iter_counts(conn: sqlite3.Connection) -> Iterator[tuple[str, int]]:
    """Rows per table (for tests and the command's summary)."""
    for table in ("runs", "generations", "results", "task_results", "images"):
        yield table, int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
