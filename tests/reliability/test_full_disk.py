"""A store that cannot be written (SQLITE_FULL from SQLite itself, by capping the file with
``PRAGMA max_page_count``) ends the run at once with one line naming the cause, and a rerun
once there is room resumes to the results of an uninterrupted run."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from multitrust.errors import StoreWriteError
from multitrust.store import ResultRow, Store
from multitrust.types import Generation

# runs the real CLI entry point with every SQLite connection capped at PAGES pages
LAUNCH = """
import runpy, sqlite3, sys
pages = int(sys.argv.pop(1))
_connect = sqlite3.connect
def connect(*a, **k):
    c = _connect(*a, **k)
    c.execute(f"PRAGMA max_page_count={pages}")
    return c
sqlite3.connect = connect
sys.argv[0] = "multitrust"
runpy.run_module("multitrust.cli", run_name="__main__", alter_sys=True)
"""


def _cap(monkeypatch: pytest.MonkeyPatch, pages: int) -> None:
    connect = sqlite3.connect

    def capped(*a: Any, **k: Any) -> sqlite3.Connection:
        c = connect(*a, **k)
        c.execute(f"PRAGMA max_page_count={pages}")
        return c

    monkeypatch.setattr(sqlite3, "connect", capped)


def _row(i: int) -> ResultRow:
    return ResultRow(
        "r", "T.6", f"s{i}", "", f"k{i}", "x" * 2000, [], "yes", {}, "Yes.", {"acc": 1.0},
        None, None, "s@1",
    )  # fmt: skip


def test_full_store_raises_the_cause_not_a_rollback_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cap(monkeypatch, 20)
    store = Store(tmp_path / "s.db")
    with pytest.raises(StoreWriteError) as info:
        for i in range(200):
            store.write_batch([(f"k{i}", "m", Generation("Yes."))], [_row(i)])
    msg = str(info.value)
    assert msg.startswith("store write failed: database or disk is full (")
    assert "s.db" in msg and "free space and rerun" in msg
    assert "rollback" not in msg and "\n" not in msg
    assert not store.conn.in_transaction  # the failed batch left nothing open
    kept = store.conn.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert 0 < kept < 200
    # every kept row is whole: one generation per result, as written in one transaction
    assert store.conn.execute("SELECT COUNT(*) FROM generations").fetchone()[0] == kept
    store.close()


def test_a_full_store_stops_the_engine_instead_of_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multitrust import evaluate_async

    _cap(monkeypatch, 60)

    async def run() -> None:
        # a hang guard, not a timing: without the fix the producer waits on the queue forever
        await asyncio.wait_for(
            evaluate_async(
                "scripted/oracle", ["T.6", "P.6"], db=tmp_path / "s.db", size=50, bootstrap=0
            ),
            timeout=120,
        )

    with pytest.raises(StoreWriteError, match="database or disk is full"):
        asyncio.run(run())
    con = sqlite3.connect(tmp_path / "s.db")
    assert con.execute("SELECT status FROM runs").fetchone()[0] == "interrupted"
    con.close()


def test_a_full_store_stops_every_model_of_evaluate_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multitrust.many import evaluate_many_async

    _cap(monkeypatch, 60)

    async def run() -> None:
        await asyncio.wait_for(
            evaluate_many_async(
                ["scripted/oracle", "scripted/refuse"],
                ["T.6", "P.6"],
                db=tmp_path / "s.db",
                size=50,
                bootstrap=0,
            ),
            timeout=120,  # a hang guard
        )

    # one error for the call (the store is shared), not one per model and a run that goes on
    with pytest.raises(StoreWriteError, match="database or disk is full"):
        asyncio.run(run())


def _cli(db: Path, cache: Path, pages: int | None) -> subprocess.CompletedProcess[str]:
    args = ["eval", "--model", "scripted/oracle", "--tasks", "T.6,P.6", "--data", "synth"]
    args += ["--size", "50", "--db", str(db), "--synth-cache", str(cache)]
    if pages is None:
        cmd = [sys.executable, "-m", "multitrust.cli", *args]
    else:
        cmd = [sys.executable, "-c", LAUNCH, str(pages), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def _results(db: Path) -> Iterator[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    yield from con.execute(
        'SELECT task_id, sample_id, variant, output, "values", label, error FROM results'
        " ORDER BY task_id, sample_id, variant"
    )
    yield from con.execute(
        "SELECT task_id, status, score, ci_low, ci_high, n, n_errors FROM task_results"
        " ORDER BY task_id"
    )
    con.close()


@pytest.mark.slow
def test_cli_on_a_full_disk_one_line_then_resume_to_identical_results(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    full, clean = tmp_path / "full.db", tmp_path / "clean.db"
    proc = _cli(full, cache, pages=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: store write failed: database or disk is full (")
    assert str(full) in lines[0] and "rerun the same command to resume" in lines[0]
    assert "Traceback" not in proc.stderr + proc.stdout
    con = sqlite3.connect(full)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kept = con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    assert con.execute("SELECT status FROM runs").fetchone()[0] == "interrupted"
    con.close()
    assert 0 < kept < 400  # it stopped mid-run, keeping what was committed

    resumed = _cli(full, cache, pages=None)  # space freed: the same command resumes
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed {kept}" in resumed.stdout
    assert _cli(clean, cache, pages=None).returncode == 0
    assert list(_results(full)) == list(_results(clean))
