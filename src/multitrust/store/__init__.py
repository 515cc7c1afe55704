"""The store: one SQLite file (WAL mode) holding runs, the generation cache, results and task scores.

Tables
- ``runs``: one row per (model, data, profile, judge, settings); tasks accumulate in a run.
- ``generations``: the response cache, keyed by a hash of model identity + messages + image
  hashes + generation config. Error rows are kept (with their cause) but never served as hits.
- ``results``: one row per (run, task, sample, variant): the prompt, output, per-sample values,
  or the error that prevented scoring. Rows with an error are redone on rerun; others never are.
- ``task_results``: the task score, metrics, CI, n, errors, status (ok / skipped / failed; a
  merge marks ``stale`` a task whose merged rows no store scored, see :mod:`.merge`).
- ``images``: thumbnails of images shown in failure examples (for reports).

Writes are batched by the engine; every batch is one transaction, so a killed process loses at
most the batch in flight and never leaves a half-written row. A write that fails (a full disk,
an I/O error, a read-only file) raises :class:`~multitrust.errors.StoreWriteError` with one line
naming the cause and the file; the transaction is rolled back (unless SQLite already did).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from multitrust.errors import ConfigError, StoreBusy, StoreWriteError
from multitrust.store._rows import ResultRow, RunInfo
from multitrust.store._sqlite import SCHEMA, open_read_only, pid_alive, this_owner, write_failed
from multitrust.types import Generation, usv

__all__ = [
    "DUPLICATE_SAMPLE",
    "HEARTBEAT_STALE_S",
    "SCHEMA_VERSION",
    "ResultRow",
    "RunInfo",
    "Store",
    "StoreWriteError",
    "cause_text",
    "default_db_path",
]

SCHEMA_VERSION = 1
HEARTBEAT_STALE_S = 30.0


def default_db_path() -> Path:
    """``$MULTITRUST_DB`` or ``./multitrust.db`` (documented in the README)."""
    return Path(os.environ.get("MULTITRUST_DB", "multitrust.db"))


#: How a result row that a second, different sample tried to take over begins.
DUPLICATE_SAMPLE = "duplicate sample id"


def cause_text(kind: str, error: str) -> str:
    """An error message without its leading ``kind: `` (shown beside the kind, it would read
    ``input: input: …``)."""
    prefix = f"{kind}: "
    return error[len(prefix) :] if error.startswith(prefix) else error


def _same_sample(a: tuple[Any, ...], b: tuple[Any, ...], *, loose: bool) -> bool:
    """Whether two (prompt, images, target) fingerprints are one sample. ``loose``: the stored
    row is an ordinary error, so a new prompt for the same images and target is a retry (the
    template may have changed since, or the error came before the prompt was rendered)."""
    same_prompt = loose or a[0] == b[0] or not a[0] or not b[0]
    return same_prompt and a[1] == b[1] and a[2] == b[2]


def _one_sample_per_key(
    c: sqlite3.Connection, rows: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """Result rows as given, except that a row whose (run, task, sample id, variant) already
    holds a *different* sample (another prompt, image or target) in the store or earlier in
    the batch becomes an ``input`` error saying so, keeping the first sample's fingerprint:
    one sample's result never takes the place of another's. A rerun of the same sample still
    replaces its row (that is how errors are retried)."""
    seen: dict[tuple[Any, ...], tuple[tuple[Any, ...], bool]] = {}
    out: list[tuple[Any, ...]] = []
    for row in rows:
        key, fp = row[:4], (row[5], row[6], row[7])
        first: tuple[Any, ...] | None
        if key in seen:
            first, loose = seen[key]
        else:
            got = c.execute(
                "SELECT prompt, images, target, error FROM results"
                " WHERE run_id=? AND task_id=? AND sample_id=? AND variant=?",
                key,
            ).fetchone()
            first = (got[0], got[1], got[2]) if got is not None else None
            loose = (
                got is not None and got[3] is not None and not got[3].startswith(DUPLICATE_SAMPLE)
            )
        if first is not None and not _same_sample(first, fp, loose=loose):
            error = (
                f"{DUPLICATE_SAMPLE} {key[2]!r} (variant {key[3]}) in {key[1]}: two different "
                "samples share it, so neither is scored; give each sample its own id"
            )
            row = (*key, None, first[0], first[1], first[2], row[8], None, None, None, None)
            row = (*row, None, error, "input", time.time())
            fp = first
            is_error = True
        else:
            is_error = row[14] is not None
        # what the next row under this key is compared with: this one, as it will be stored
        seen[key] = (fp, is_error and not str(row[14]).startswith(DUPLICATE_SAMPLE))
        out.append(row)
    return out


def _text(value: str | None) -> str | None:
    """A text column as SQLite can take it: an unpaired surrogate (from a dataset's or a
    server's JSON escape) becomes U+FFFD instead of failing the whole batch."""
    return None if value is None else usv(value)


class Store:
    """A handle on one SQLite store file. Not shared across threads."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        """Open (creating it if need be) the store at ``path``; with ``read_only``, open an
        existing store for reading only: a missing file is an error, never created, and a
        store on a read-only medium or in a read-only folder is read as it is."""
        self.path = Path(path) if path is not None else default_db_path()
        if read_only:
            self.conn = open_read_only(self.path)
            return
        if str(self.path) != ":memory:":
            if self.path.exists() and self.path.is_dir():
                raise ConfigError(f"--db points to a directory, not a file: {self.path}")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=30.0, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=30000")
            self.conn.executescript(SCHEMA)
            self._add_missing_columns()
            self.conn.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"cannot open store {self.path}: {exc}") from None

    def _add_missing_columns(self) -> None:
        """Columns added after a store was created (older files gain them, empty)."""
        have = {r[1] for r in self.conn.execute("PRAGMA table_info(task_results)")}
        if "judge" not in have:
            self.conn.execute("ALTER TABLE task_results ADD COLUMN judge TEXT")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; on any failure roll back, but only if a transaction
        is still open: after SQLITE_FULL or an I/O error SQLite has already rolled it back, and
        a second ROLLBACK would replace the cause with "no transaction is active"."""
        c = self.conn
        try:
            with self._writing():
                c.execute("BEGIN IMMEDIATE")
                yield c
                c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    c.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Turn a failed write into a one-line :class:`StoreWriteError`."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            raise write_failed(exc, self.path) from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ runs
    def open_run(
        self,
        run_id: str,
        *,
        model: str,
        judge: str | None,
        profile: str,
        tasks: Sequence[str],
        data: dict[str, Any],
        settings: dict[str, Any],
        package_version: str,
        git_commit: str | None,
    ) -> None:
        """Create or resume a run, taking ownership. Refuses if a live process owns it."""
        now = time.time()
        with self._transaction() as c:
            row = c.execute(
                "SELECT owner, heartbeat, status, tasks FROM runs WHERE run_id=?", (run_id,)
            ).fetchone()
            if row is not None:
                owner, hb, status, old_tasks = row
                if (
                    status == "running"
                    and owner
                    and owner != this_owner()
                    and hb is not None
                    and now - hb < HEARTBEAT_STALE_S
                    and pid_alive(owner)
                ):
                    raise StoreBusy(
                        f"run {run_id} in {self.path} is being written by another process ({owner}); "
                        "wait for it to finish or use another --db"
                    )
                merged = list(dict.fromkeys([*json.loads(old_tasks or "[]"), *tasks]))
                c.execute(
                    "UPDATE runs SET updated=?, tasks=?, status='running', owner=?, heartbeat=?, "
                    "package_version=?, git_commit=? WHERE run_id=?",
                    (
                        now,
                        json.dumps(merged),
                        this_owner(),
                        now,
                        package_version,
                        git_commit,
                        run_id,
                    ),
                )
            else:
                c.execute(
                    "INSERT INTO runs(run_id, created, updated, model, judge, profile, tasks, data, settings,"
                    " package_version, git_commit, status, owner, heartbeat)"
                    " VALUES(?,?,?,?,?,?,?,?,?,?,?,'running',?,?)",
                    (
                        run_id,
                        now,
                        now,
                        model,
                        judge,
                        profile,
                        json.dumps(list(tasks)),
                        json.dumps(data, sort_keys=True),
                        json.dumps(settings, sort_keys=True),
                        package_version,
                        git_commit,
                        this_owner(),
                        now,
                    ),
                )

    def finish_run(self, run_id: str, status: str = "done") -> None:
        with self._writing():
            self.conn.execute(
                "UPDATE runs SET status=?, updated=?, owner=NULL, heartbeat=NULL WHERE run_id=?",
                (status, time.time(), run_id),
            )

    def runs(self, model: str | None = None) -> list[RunInfo]:
        q = "SELECT run_id, model, judge, profile, tasks, data, settings, package_version, git_commit, status, created, updated FROM runs"
        args: tuple[Any, ...] = ()
        if model:
            q += " WHERE model=?"
            args = (model,)
        q += " ORDER BY created"
        out = []
        for r in self.conn.execute(q, args):
            out.append(
                RunInfo(
                    run_id=r[0],
                    model=r[1],
                    judge=r[2],
                    profile=r[3] or "corrected",
                    tasks=json.loads(r[4] or "[]"),
                    data=json.loads(r[5] or "{}"),
                    settings=json.loads(r[6] or "{}"),
                    package_version=r[7] or "",
                    git_commit=r[8],
                    status=r[9] or "",
                    created=r[10],
                    updated=r[11],
                )
            )
        return out

    # ------------------------------------------------------------------ generations
    def get_generation(self, key: str) -> Generation | None:
        row = self.conn.execute(
            "SELECT text, input_tokens, output_tokens, latency FROM generations WHERE key=? AND error IS NULL",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return Generation(
            row[0], input_tokens=row[1], output_tokens=row[2], latency_s=row[3], cached=True
        )

    # ------------------------------------------------------------------ results
    def done_keys(self, run_id: str, task_id: str) -> set[tuple[str, str]]:
        """(sample_id, variant) already scored without error in this run."""
        return {
            (r[0], r[1])
            for r in self.conn.execute(
                "SELECT sample_id, variant FROM results WHERE run_id=? AND task_id=? AND error IS NULL",
                (run_id, task_id),
            )
        }

    def write_batch(
        self,
        generations: Iterable[tuple[str, str, Generation]],
        results: Iterable[ResultRow],
        images: Iterable[tuple[str, str, str | None, bytes | None]] = (),
        heartbeat_run: str | None = None,
    ) -> None:
        """Write one batch atomically. Generations: (key, model_id, generation)."""
        now = time.time()
        gen_rows = [
            (k, m, g.text, g.error, g.error_kind, g.input_tokens, g.output_tokens, g.latency_s, now)
            for k, m, g in generations
            if not g.cached
        ]
        res_rows = [
            (
                r.run_id,
                r.task_id,
                r.sample_id,
                r.variant,
                r.gen_key,
                _text(r.prompt),
                json.dumps(r.images),
                json.dumps(r.target, default=str),
                json.dumps(r.meta, default=str),
                _text(r.output),
                json.dumps(r.values) if r.values is not None else None,
                _text(r.label),
                _text(r.explanation),
                r.scorer,
                _text(r.error),
                r.error_kind,
                now,
            )
            for r in results
        ]
        img_rows = list(images)
        with self._transaction() as c:
            if gen_rows:
                # an error never overwrites a good cached answer; a good answer replaces an error
                c.executemany(
                    "INSERT INTO generations(key, model, text, error, error_kind, input_tokens, output_tokens,"
                    " latency, created) VALUES(?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT(key) DO UPDATE SET text=excluded.text, error=excluded.error,"
                    " error_kind=excluded.error_kind, input_tokens=excluded.input_tokens,"
                    " output_tokens=excluded.output_tokens, latency=excluded.latency,"
                    " attempts=generations.attempts+1, created=excluded.created"
                    " WHERE generations.error IS NOT NULL",
                    gen_rows,
                )
            if res_rows:
                res_rows = _one_sample_per_key(c, res_rows)
                c.executemany(
                    "INSERT OR REPLACE INTO results(run_id, task_id, sample_id, variant, gen_key, prompt, images,"
                    ' target, meta, output, "values", label, explanation, scorer, error, error_kind, created)'
                    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    res_rows,
                )
            if img_rows:
                c.executemany(
                    "INSERT OR IGNORE INTO images(sha256, mime, origin, thumb) VALUES(?,?,?,?)",
                    img_rows,
                )
            if heartbeat_run:
                c.execute(
                    "UPDATE runs SET heartbeat=?, updated=? WHERE run_id=?",
                    (now, now, heartbeat_run),
                )

    def iter_results(self, run_id: str, task_id: str | None = None) -> Iterator[ResultRow]:
        q = (
            'SELECT run_id, task_id, sample_id, variant, gen_key, prompt, images, target, meta, output, "values",'
            " label, explanation, scorer, error, error_kind FROM results WHERE run_id=?"
        )
        args: tuple[Any, ...] = (run_id,)
        if task_id:
            q += " AND task_id=?"
            args = (run_id, task_id)
        q += " ORDER BY task_id, rowid"
        for r in self.conn.execute(q, args):
            yield ResultRow(
                run_id=r[0],
                task_id=r[1],
                sample_id=r[2],
                variant=r[3],
                gen_key=r[4],
                prompt=r[5] or "",
                images=json.loads(r[6] or "[]"),
                target=json.loads(r[7] or "null"),
                meta=json.loads(r[8] or "{}"),
                output=r[9],
                values=json.loads(r[10]) if r[10] else None,
                label=r[11],
                explanation=r[12],
                scorer=r[13],
                error=r[14],
                error_kind=r[15],
            )

    def count_results(self, run_id: str, task_id: str) -> tuple[int, int]:
        """(scored rows, error rows) of a task in a run."""
        row = self.conn.execute(
            "SELECT SUM(error IS NULL), SUM(error IS NOT NULL) FROM results WHERE run_id=? AND task_id=?",
            (run_id, task_id),
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    def error_causes(self, run_id: str, task_id: str, limit: int = 5) -> list[tuple[str, str, int]]:
        """(kind, an example message without the kind in front, count) per error kind."""
        return [
            (r[0] or "other", cause_text(r[0] or "other", r[1] or ""), int(r[2]))
            for r in self.conn.execute(
                "SELECT error_kind, MIN(error), COUNT(*) FROM results WHERE run_id=? AND task_id=? AND error IS NOT NULL"
                " GROUP BY error_kind ORDER BY COUNT(*) DESC LIMIT ?",
                (run_id, task_id, limit),
            )
        ]

    # ------------------------------------------------------------------ task results
    def set_task_result(
        self,
        run_id: str,
        task_id: str,
        *,
        status: str,
        reason: str | None = None,
        score: float | None = None,
        ci: tuple[float, float] | None = None,
        metrics: dict[str, Any] | None = None,
        n: int = 0,
        n_errors: int = 0,
        scorer: str | None = None,
        deviation: str | None = None,
        comparable: bool = True,
        judge: dict[str, Any] | None = None,
    ) -> None:
        """``judge``: for a judge-scored task, ``{"model", "prompt_version", "profile"}``."""
        with self._writing():
            self.conn.execute(
                "INSERT OR REPLACE INTO task_results(run_id, task_id, status, reason, score, ci_low, ci_high, metrics,"
                " n, n_errors, scorer, deviation, comparable, updated, judge)"
                " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    task_id,
                    status,
                    reason,
                    score,
                    ci[0] if ci else None,
                    ci[1] if ci else None,
                    json.dumps(metrics or {}, default=str),
                    n,
                    n_errors,
                    scorer,
                    deviation,
                    int(comparable),
                    time.time(),
                    json.dumps(judge) if judge else None,
                ),
            )

    def task_results(self, run_id: str) -> list[dict[str, Any]]:
        cols = [
            "task_id",
            "status",
            "reason",
            "score",
            "ci_low",
            "ci_high",
            "metrics",
            "n",
            "n_errors",
            "scorer",
            "deviation",
            "comparable",
            "judge",
        ]
        out = []
        for r in self.conn.execute(
            f"SELECT {', '.join(cols)} FROM task_results WHERE run_id=? ORDER BY task_id", (run_id,)
        ):
            d = dict(zip(cols, r, strict=True))
            d["metrics"] = json.loads(d["metrics"] or "{}")
            d["comparable"] = bool(d["comparable"])
            d["judge"] = json.loads(d["judge"]) if d["judge"] else None
            out.append(d)
        return out

    def image_shas(self) -> set[str]:
        """The images that already have a row (and so a thumbnail, or None if undecodable)."""
        return {r[0] for r in self.conn.execute("SELECT sha256 FROM images")}

    def thumbnail(self, sha256: str) -> tuple[str, bytes] | None:
        row = self.conn.execute(
            "SELECT mime, thumb FROM images WHERE sha256=?", (sha256,)
        ).fetchone()
        if row is None or row[1] is None:
            return None
        return row[0], row[1]

    def integrity_ok(self) -> bool:
        verdict: str = self.conn.execute("PRAGMA integrity_check").fetchone()[0]
        return verdict == "ok"
