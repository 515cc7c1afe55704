"""``Store(read_only=True)``: what the read commands open (never creates, never writes)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from multitrust.errors import ConfigError, StoreWriteError
from multitrust.store import Store


def _store(path: Path) -> None:
    with Store(path) as s:
        s.open_run(
            "r1",
            model="m",
            judge=None,
            profile="corrected",
            tasks=["T.6"],
            data={"kind": "synth"},
            settings={},
            package_version="0",
            git_commit=None,
        )
        s.finish_run("r1", "done")
    assert path.exists()


def test_a_missing_store_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no store at"):
        Store(tmp_path / "typo.db", read_only=True)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_or_a_foreign_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="directory"):
        Store(tmp_path, read_only=True)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.commit()
    with pytest.raises(ConfigError, match="not a multitrust store"):
        Store(other, read_only=True)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"x" * 4096)
    with pytest.raises(ConfigError, match="cannot open store"):
        Store(junk, read_only=True)


def test_reads_and_refuses_to_write(tmp_path: Path) -> None:
    _store(tmp_path / "s.db")
    s = Store(tmp_path / "s.db", read_only=True)
    assert [r.run_id for r in s.runs()] == ["r1"]
    with pytest.raises(StoreWriteError, match="readonly"):
        s.finish_run("r1", "interrupted")
    s.close()


def test_falls_back_to_immutable_when_the_medium_is_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(tmp_path / "s.db")
    tried: list[str] = []
    connect = sqlite3.connect

    def read_only_medium(database: str, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        tried.append(database.rsplit("?", 1)[-1])
        if database.endswith("mode=ro"):  # what SQLite says when it cannot make the -shm file
            raise sqlite3.OperationalError("unable to open database file")
        return connect(database, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only_medium)
    s = Store(tmp_path / "s.db", read_only=True)
    assert tried == ["mode=ro", "immutable=1"]
    assert [r.status for r in s.runs()] == ["done"]
    s.close()


def test_an_older_store_is_read_without_being_upgraded(tmp_path: Path) -> None:
    _store(tmp_path / "s.db")
    with Store(tmp_path / "s.db") as s:
        s.set_task_result("r1", "T.6", status="ok", score=50.0, n=2)
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.execute("ALTER TABLE task_results DROP COLUMN judge")  # as written before `judge`
    before = (tmp_path / "s.db").read_bytes()
    s = Store(tmp_path / "s.db", read_only=True)
    (row,) = s.task_results("r1")
    assert row["score"] == 50.0 and row["judge"] is None
    s.close()
    assert (tmp_path / "s.db").read_bytes() == before
