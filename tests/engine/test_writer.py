"""The writer's group commit: a row is committed on its own once it is ``max_delay_s`` old,
a full batch at once, and a failed write is final and reported."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from multitrust.engine.runner import Writer
from multitrust.errors import StoreWriteError
from multitrust.store import ResultRow, Store
from multitrust.types import Generation


def _row(i: int, size: int = 10) -> ResultRow:
    return ResultRow(
        "r", "T.6", f"s{i}", "", f"k{i}", "x" * size, [], "yes", {}, "Yes.", {"acc": 1.0},
        None, None, "s@1",
    )  # fmt: skip


def _committed(db: Path) -> int:
    con = sqlite3.connect(db)  # another connection: sees only what was committed
    try:
        return int(con.execute("SELECT COUNT(*) FROM results").fetchone()[0])
    finally:
        con.close()


def test_a_lone_row_is_committed_by_the_timer_without_more_rows(tmp_path: Path) -> None:
    db = tmp_path / "s.db"

    async def main() -> None:
        store = Store(db)
        writer = Writer(store, "r", max_rows=256, max_delay_s=0.01)
        writer.add_generation("k0", "m", Generation("Yes."))
        writer.add_result(_row(0))
        assert _committed(db) == 0  # buffered, not yet written
        # nothing else happens: no more rows, no flush; only the timer can commit it
        for _ in range(500):  # a hang guard, not a timing
            if _committed(db):
                break
            await asyncio.sleep(0.01)
        assert _committed(db) == 1
        assert writer.commits == 1 and not writer.results and not writer.pending
        store.close()

    asyncio.run(main())


def test_a_full_batch_is_committed_at_once(tmp_path: Path) -> None:
    db = tmp_path / "s.db"

    async def main() -> None:
        store = Store(db)
        writer = Writer(store, "r", max_rows=4, max_delay_s=3600)
        for i in range(3):
            writer.add_result(_row(i))
        assert _committed(db) == 0
        writer.add_result(_row(3))  # the fourth row fills the batch
        assert _committed(db) == 4 and writer.commits == 1
        writer.add_result(_row(4))
        writer.flush()
        assert _committed(db) == 5
        store.close()

    asyncio.run(main())


def test_a_failed_timed_write_is_reported_and_final(tmp_path: Path) -> None:
    db = tmp_path / "s.db"

    async def main() -> None:
        store = Store(db)
        store.conn.execute("PRAGMA max_page_count=12")
        writer = Writer(store, "r", max_rows=10_000, max_delay_s=0.01)
        seen = asyncio.Event()
        failures: list[StoreWriteError] = []

        def on_failure(exc: StoreWriteError) -> None:
            failures.append(exc)
            seen.set()

        writer.on_failure = on_failure
        for i in range(50):
            writer.add_result(_row(i, size=4000))
        await asyncio.wait_for(seen.wait(), 60)  # a hang guard, not a timing
        assert "database or disk is full" in str(failures[0])
        assert writer.failed is failures[0]
        with pytest.raises(StoreWriteError):
            writer.add_result(_row(99))
        with pytest.raises(StoreWriteError):
            writer.flush()
        store.close()

    asyncio.run(main())
