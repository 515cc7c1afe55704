"""The store's SQLite layer below :class:`~multitrust.store.Store`: the schema, opening a
store read-only, and what a failed write or a stale owner means."""

from __future__ import annotations

import os
import socket
import sqlite3
from pathlib import Path

from multitrust.errors import ConfigError, StoreWriteError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs(
  run_id TEXT PRIMARY KEY,
  created REAL, updated REAL,
  model TEXT NOT NULL, judge TEXT, profile TEXT,
  tasks TEXT, data TEXT, settings TEXT,
  package_version TEXT, git_commit TEXT,
  status TEXT, owner TEXT, heartbeat REAL
);
CREATE TABLE IF NOT EXISTS generations(
  key TEXT PRIMARY KEY,
  model TEXT, text TEXT, error TEXT, error_kind TEXT,
  input_tokens INTEGER, output_tokens INTEGER, latency REAL,
  attempts INTEGER DEFAULT 1, created REAL
);
CREATE TABLE IF NOT EXISTS results(
  run_id TEXT NOT NULL, task_id TEXT NOT NULL, sample_id TEXT NOT NULL, variant TEXT NOT NULL,
  gen_key TEXT, prompt TEXT, images TEXT, target TEXT, meta TEXT,
  output TEXT, "values" TEXT, label TEXT, explanation TEXT, scorer TEXT,
  error TEXT, error_kind TEXT, created REAL,
  PRIMARY KEY(run_id, task_id, sample_id, variant)
);
CREATE INDEX IF NOT EXISTS results_task ON results(run_id, task_id);
CREATE TABLE IF NOT EXISTS task_results(
  run_id TEXT NOT NULL, task_id TEXT NOT NULL,
  status TEXT, reason TEXT, score REAL, ci_low REAL, ci_high REAL,
  metrics TEXT, n INTEGER, n_errors INTEGER, scorer TEXT, deviation TEXT,
  comparable INTEGER, updated REAL, judge TEXT,
  PRIMARY KEY(run_id, task_id)
);
CREATE TABLE IF NOT EXISTS images(
  sha256 TEXT PRIMARY KEY, mime TEXT, origin TEXT, thumb BLOB
);
"""


def open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that can only read the store at ``path`` (see ``Store(read_only=True)``)."""
    if str(path) == ":memory:":
        raise ConfigError("a read-only store needs a file, not :memory:")
    if not path.exists():
        raise ConfigError(f"no store at {path} (check --db or $MULTITRUST_DB)")
    if path.is_dir():
        raise ConfigError(f"--db points to a directory, not a file: {path}")
    uri = path.resolve().as_uri()
    # mode=ro still needs the WAL's shared-memory file, which SQLite cannot make in a read-only
    # folder or on a read-only medium; immutable=1 then reads the file as it is (a WAL that was
    # never checkpointed is not seen, but nothing is written anywhere)
    for query in ("mode=ro", "immutable=1"):
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(f"{uri}?{query}", uri=True, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise ConfigError(f"cannot open store {path}: {exc}") from None
            last = exc
            continue
        if not {"runs", "results", "task_results"} <= tables:
            conn.close()
            raise ConfigError(f"{path} is not a multitrust store (no runs table)")
        have = {r[1] for r in conn.execute("PRAGMA table_info(task_results)")}
        if "judge" not in have:
            # an older store, which a reader may not upgrade: a temporary view (in memory, not
            # in the file) shows it with the newer column, empty
            conn.execute(
                "CREATE TEMP VIEW task_results AS SELECT *, NULL AS judge FROM main.task_results"
            )
        return conn
    raise ConfigError(f"cannot open store {path}: {last}") from None


def this_owner() -> str:
    """``pid@host`` of this process: who holds a run."""
    return f"{os.getpid()}@{socket.gethostname()}"


_SQLITE_BUSY, _SQLITE_READONLY, _SQLITE_FULL = 5, 8, 13


def write_failed(exc: sqlite3.OperationalError, path: Path) -> StoreWriteError:
    """One line: what failed, in which file, and what to do about it."""
    # primary result codes (sqlite3 names them only from Python 3.11; extended codes add bits)
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    cause = str(exc)
    if code == _SQLITE_FULL or "full" in cause:
        hint = "free space and rerun the same command to resume"
    elif code == _SQLITE_READONLY or "readonly" in cause:
        hint = "make the store writable (or use another --db) and rerun to resume"
    elif code == _SQLITE_BUSY or "locked" in cause:
        hint = "another process holds the store; rerun once it is done to resume"
    else:
        hint = "fix the cause and rerun the same command to resume"
    return StoreWriteError(f"store write failed: {cause} ({path}); {hint}")


def pid_alive(owner: str) -> bool:
    pid_s, _, host = owner.partition("@")
    if host != socket.gethostname():
        return True  # cannot tell: assume alive, rely on the heartbeat
    try:
        os.kill(int(pid_s), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True
