"""The first hour of a new user, through the real command line (a subprocess per case).

Every mistake a user can make on the command line ends with one line on stderr and a documented
exit code (docs/cli.md), never a traceback; a read command never creates or replaces a file;
Ctrl-C and SIGTERM leave the run marked as interrupted and say how to resume.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.openai_server import serve

pytestmark = pytest.mark.slow  # real CLI processes

ROOT = Path(__file__).resolve().parents[1]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.pop("MULTITRUST_DB", None)
    env["COLUMNS"] = "200"
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH")) if p
    )
    env.update(extra)
    return env


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``multitrust ARGS`` in a fresh process; no traceback, whatever happens."""
    res = subprocess.run(
        [sys.executable, "-m", "multitrust.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(**env),
        timeout=300,
    )
    assert "Traceback" not in res.stdout + res.stderr, res.stdout + res.stderr
    return res


def one_line_error(res: subprocess.CompletedProcess[str]) -> str:
    """The single line a failed command prints on stderr."""
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding one small finished run."""
    folder = tmp_path_factory.mktemp("store")
    res = cli("eval", "-m", "scripted/oracle", "-t", "T.6", "--size", "3", "-q", cwd=folder)
    assert res.returncode == 0, res.stderr
    return folder / "multitrust.db"


# ------------------------------------------------------------------ usage errors (#18.1)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["evl"], "No such command 'evl'"),
        (["eval", "--bogus"], "No such option: --bogus"),
        (["eval", "-m", "scripted/yes", "--size", "abc"], "'--size'"),
        (["rescore", "--api-key", "x"], "No such option: --api-key"),
        (["eval", "--tasks"], "'--tasks' requires an argument"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path, args: list[str], says: str) -> None:
    res = cli(*args, cwd=tmp_path)
    assert res.returncode == 2
    line = one_line_error(res)
    assert says in line
    assert "--help" in line  # where to look next


def test_version_and_help(tmp_path: Path) -> None:
    from multitrust._version import __version__

    res = cli("--version", cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.strip() == f"multitrust {__version__}"
    for flag in ("-h", "--help"):
        res = cli(flag, cwd=tmp_path)
        assert res.returncode == 0 and "eval" in res.stdout and "Usage:" in res.stdout
    res = cli("eval", "-h", cwd=tmp_path)
    assert res.returncode == 0 and "--model" in res.stdout


def test_no_arguments_prints_the_help(tmp_path: Path) -> None:
    res = cli(cwd=tmp_path)
    assert res.returncode == 2
    assert "Usage:" in res.stderr and "eval" in res.stderr


def test_the_console_script_works_too(tmp_path: Path) -> None:
    exe = shutil.which("multitrust", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("the multitrust console script is not installed next to this Python")
    res = subprocess.run(
        [exe, "evl"], capture_output=True, text=True, cwd=tmp_path, env=_env(), timeout=120
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert one_line_error(res).startswith("error: No such command")


# ------------------------------------------------------------------ interrupts (#18.1, #18.9)


def _wait_for_running(db: Path, proc: subprocess.Popen[str], deadline_s: float = 60) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        assert proc.poll() is None, proc.communicate()
        if db.exists():
            try:
                with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as conn:
                    row = conn.execute("SELECT status FROM runs").fetchone()
            except sqlite3.OperationalError:
                row = None
            if row and row[0] == "running":
                return
        time.sleep(0.05)
    raise AssertionError("the run never started")


@pytest.fixture
def slow_server() -> Iterator[str]:
    with serve(latency=30.0) as url:
        yield url


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupt_marks_the_run_and_says_how_to_resume(
    tmp_path: Path, slow_server: str, sig: int, code: int
) -> None:
    db = tmp_path / "s.db"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "multitrust.cli",
            "eval",
            "-m",
            "openai/slow",
            "--base-url",
            slow_server,
            "-t",
            "T.6",
            "--size",
            "2",
            "--db",
            str(db),
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=_env(),
    )
    try:
        _wait_for_running(db, proc)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "Traceback" not in out + err, err
    assert proc.returncode == code, err
    assert "rerun the same command to resume" in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM runs").fetchone()[0] == "interrupted"


# ------------------------------------------------------------------ read commands (#18.5, #17.10)


@pytest.mark.parametrize(
    "args",
    [
        ["runs"],
        ["leaderboard"],
        ["report", "-o", "r.html"],
        ["export", "-o", "good.parquet"],
        ["export", "-o", "x.csv"],
    ],
)
def test_read_commands_refuse_a_missing_store(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "good.parquet").write_bytes(b"precious")
    res = cli(*args, "--db", "typo.db", cwd=tmp_path)
    assert res.returncode == 2
    assert "no store at typo.db" in one_line_error(res)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.parquet"]  # nothing created
    assert (tmp_path / "good.parquet").read_bytes() == b"precious"  # nothing replaced


def test_read_commands_refuse_the_default_store_when_absent(tmp_path: Path) -> None:
    res = cli("runs", cwd=tmp_path)
    assert res.returncode == 2 and "no store at multitrust.db" in one_line_error(res)
    assert not (tmp_path / "multitrust.db").exists()


def test_read_commands_refuse_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("not sqlite at all " * 100)
    res = cli("runs", "--db", "notes.db", cwd=tmp_path)
    assert res.returncode == 2 and "notes.db" in one_line_error(res)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}


@pytest.mark.parametrize(
    "args",
    [
        ["runs"],
        ["leaderboard", "--no-reference"],
        ["report", "-o", "{out}/r.html"],
        ["export", "-o", "{out}/r.csv"],
    ],
)
def test_read_commands_write_nothing_next_to_the_store(
    tmp_path: Path, store: Path, args: list[str]
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    shutil.copy(store, folder / "s.db")  # a store without its -wal and -shm files
    before = _snapshot(folder)
    out = tmp_path / "out"
    out.mkdir()
    res = cli(*(a.format(out=out) for a in args), "--db", str(folder / "s.db"), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "scripted/oracle" in res.stdout or "written to" in res.stdout
    after = _snapshot(folder)
    assert after["s.db"] == before["s.db"]  # the store itself: same bytes, not even touched
    # SQLite's own shared-memory index of the write-ahead log is all a reader may add
    assert set(after) <= {"s.db", "s.db-wal", "s.db-shm"}
    assert not after.get("s.db-wal", (b"", 0))[0]


def _read_only_mount(src: Path, dst: Path) -> bool:
    """Bind ``src`` read-only at ``dst`` (needs root and mount rights; False when not possible)."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    dst.mkdir()
    ok = subprocess.run(["mount", "--bind", str(src), str(dst)], capture_output=True).returncode
    if ok != 0:
        return False
    ro = ["mount", "-o", "remount,bind,ro", str(dst)]
    if subprocess.run(ro, capture_output=True).returncode != 0:
        subprocess.run(["umount", str(dst)], capture_output=True)
        return False
    return True


def test_read_commands_work_on_a_read_only_medium(tmp_path: Path, store: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(store, src / "s.db")
    mnt = tmp_path / "mnt"
    if not _read_only_mount(src, mnt):
        # without mount rights the same open path is taken by making mode=ro fail (see
        # tests/test_store_read_only.py); here only the real medium is tried
        pytest.skip("needs root and mount rights for a read-only bind mount")
    try:
        res = cli("runs", "--db", str(mnt / "s.db"), cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert "T.6" in res.stdout
        res = cli("export", "--db", str(mnt / "s.db"), "-o", str(tmp_path / "x.csv"), cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        res = cli("export", "--db", str(store), "-o", str(tmp_path / "y.csv"), cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        assert (tmp_path / "x.csv").read_text() == (tmp_path / "y.csv").read_text()
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


# ------------------------------------------------------------------ bad values, output paths (#18.6, #18.7)


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--size", "0"),
        ("--size", "-5"),
        ("--limit", "0"),
        ("--timeout", "-1"),
        ("--timeout", "0"),
        ("--batch-size", "-4"),
        ("--max-image-side", "-10"),
        ("--max-connections", "0"),
    ],
)
def test_values_no_run_can_use_are_refused_while_parsing(
    tmp_path: Path, flag: str, value: str
) -> None:
    res = cli("eval", "-m", "scripted/oracle", "-t", "T.6", flag, value, cwd=tmp_path)
    assert res.returncode == 2
    assert f"'{flag}'" in one_line_error(res)
    assert not (tmp_path / "multitrust.db").exists()  # refused before anything was opened


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["report", "-o", "missing-dir/r.html"], "no such folder missing-dir"),
        (["report", "-o", "somedir"], "is a folder"),
        (["export", "-o", "missing-dir/x.csv"], "no such folder missing-dir"),
        (["export", "-o", "somedir"], "is a folder"),
    ],
)
def test_output_paths_are_checked_first(
    tmp_path: Path, store: Path, args: list[str], says: str
) -> None:
    (tmp_path / "somedir").mkdir()
    res = cli(*args, "--db", str(store), cwd=tmp_path)
    assert res.returncode == 2
    assert says in one_line_error(res)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["somedir"]
    assert not any((tmp_path / "somedir").iterdir())
