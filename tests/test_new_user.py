"""The first hour of a new user, through the real command line (a subprocess per case).

Every mistake a user can make on the command line ends with one line on stderr and a documented
exit code (docs/cli.md), never a traceback; a read command never creates or replaces a file;
Ctrl-C and SIGTERM leave the run marked as interrupted and say how to resume.
"""

from __future__ import annotations

import os
import re
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


# ------------------------------------------------------------------ exit codes (#18.9)

_WITH_BROKEN_TASK = (
    "import sys; sys.path.insert(0, {root!r});"
    "from tests.test_new_user import register_broken_task; register_broken_task();"
    "from multitrust.cli import main; main()"
)


def register_broken_task() -> None:
    """``T.94``: three samples, then its data stream breaks (a data error)."""
    from multitrust.formula import mean_over
    from multitrust.scoring.yesno import yes_no
    from multitrust.tasks import base as task_base
    from multitrust.types import GenerateConfig, Sample

    def breaks(data: object) -> Iterator[Sample]:
        for i in range(3):
            yield Sample(id=f"q{i}", text=f"Is {i} even?", target=i % 2 == 0, meta={"k": "a"})
        raise RuntimeError("disk read failed at sample 4")

    def build(data: object) -> task_base.Task:
        return task_base.Task(
            prompt="{text} Please answer [Yes] or [No].",
            scorer=yes_no(),
            formula=lambda r: 100 * mean_over(r, "correct", "k"),
            config=GenerateConfig(max_tokens=16),
        )

    task_base._REGISTRY["T.94"] = task_base.TaskSpec(
        "T.94", "Toy broken", "truthfulness", "T.M", build, (breaks,), (breaks,)
    )


def test_a_data_error_exits_3(tmp_path: Path) -> None:
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            _WITH_BROKEN_TASK.format(root=str(ROOT)),
            "eval",
            "-m",
            "scripted/oracle",
            "-t",
            "T.6,T.94",
            "--size",
            "3",
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_env(),
        timeout=300,
    )
    assert "Traceback" not in res.stdout + res.stderr
    assert res.returncode == 3, res.stdout + res.stderr
    assert "disk read failed" in res.stdout and "T.94 failed" in res.stdout


def test_nothing_runnable_exits_2_with_the_reason(tmp_path: Path) -> None:
    res = cli("eval", "-m", "scripted/oracle", "-t", "S.1", "-q", cwd=tmp_path)
    assert res.returncode == 2
    line = one_line_error(res)
    assert "nothing ran" in line and "S.1" in line and "official data only" in line


# ------------------------------------------------------------------ flags (#18.10)


def test_tasks_repeat_and_models_is_a_file_or_a_list_everywhere(tmp_path: Path) -> None:
    models = tmp_path / "models.txt"
    models.write_text("scripted/oracle\nscripted/refuse\n")
    res = cli(
        "eval", "--models", str(models), "-t", "T.6", "-t", "F.2", "--size", "2", "-q", cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr
    res = cli("eval", "--models", "scripted/yes", "-t", "T.6", "--size", "2", "-q", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    runs = cli("runs", cwd=tmp_path).stdout
    for model in ("scripted/oracle", "scripted/refuse", "scripted/yes"):
        assert f"· {model}" in runs
    assert runs.count("│ T.6 ") == 3 and runs.count("│ F.2 ") == 2  # both --tasks kept
    for value in (str(models), "scripted/oracle,scripted/refuse"):
        out = tmp_path / "x.csv"
        res = cli("export", "--models", value, "-o", str(out), cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        text = out.read_text()
        assert "scripted/refuse" in text and "scripted/yes" not in text
        res = cli("leaderboard", "--models", value, "--no-reference", cwd=tmp_path)
        assert res.returncode == 0 and "scripted/yes" not in res.stdout
    for cmd in (["export", "-o", "y.csv"], ["report", "-o", "y.html"], ["leaderboard"]):
        res = cli(*cmd, "--models", "scripted/oracle,openai/typo", cwd=tmp_path)
        assert res.returncode == 2
        assert "no runs of openai/typo" in one_line_error(res)
    res = cli("eval", "--models", "models-typo.txt", cwd=tmp_path)
    assert res.returncode == 2 and "no such file" in one_line_error(res)


def test_the_judge_key_error_names_the_judges_option(tmp_path: Path) -> None:
    # T.1 under the official profile is judged: the judge is needed and has no key
    args = ["eval", "-m", "scripted/oracle", "-t", "T.1", "--profile", "official"]
    res = cli(*args, "--judge", "openai/gpt-4o", "--size", "2", "-q", cwd=tmp_path)
    assert res.returncode == 2
    line = one_line_error(res)
    assert "judge openai/gpt-4o" in line and "--judge-api-key" in line
    assert "--api-key " not in line


def test_a_judge_no_task_uses_needs_no_key(tmp_path: Path) -> None:
    res = cli(
        "eval", "-m", "scripted/oracle", "-t", "T.6", "--judge", "openai/gpt-4o", "--size", "2",
        "-q", cwd=tmp_path,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr


# ------------------------------------------------------------------ causes and early stop (#18.3)


def test_a_hopeless_endpoint_stops_early_with_one_line(tmp_path: Path) -> None:
    with serve(api_key="the-right-key") as url:
        res = cli(
            "eval", "-m", "openai/test-model", "--base-url", url, "-t", "T.6", "--size", "200",
            "-q", cwd=tmp_path, OPENAI_API_KEY="a-wrong-key",
        )  # fmt: skip
    assert res.returncode == 2
    line = one_line_error(res)
    assert "stopped: the first 8 requests all failed" in line and "HTTP 401" in line
    assert "a-wrong-key" not in res.stdout + res.stderr
    with sqlite3.connect(tmp_path / "multitrust.db") as conn:
        assert conn.execute("SELECT status FROM runs").fetchone()[0] != "running"
        (n,) = conn.execute("SELECT COUNT(*) FROM results").fetchone()
    assert 8 <= n < 200  # stopped early; what failed is recorded


def test_the_end_of_a_run_shows_its_error_causes_and_fitting_advice(tmp_path: Path) -> None:
    with serve(api_key="the-right-key") as url:
        res = cli(
            "eval", "-m", "openai/test-model", "--base-url", url, "-t", "T.6", "--size", "2",
            "--stop-after-errors", "0", "-q", cwd=tmp_path, OPENAI_API_KEY="a-wrong-key",
        )  # fmt: skip
    assert res.returncode == 3, res.stderr
    assert re.search(r"\d+ × auth: .*HTTP 401.*retrying cannot fix this", res.stderr), res.stderr
    assert "rerun the same command" not in res.stderr
    assert "a rerun would fail the same way" in res.stderr
    runs = cli("runs", cwd=tmp_path)
    assert re.search(r"errors: \d+ × auth: .*HTTP 401", runs.stdout), runs.stdout


# ------------------------------------------------------------------ rescore (#18.8)


def test_rescore_works_offline_from_the_store(tmp_path: Path) -> None:
    with serve() as url:
        res = cli(
            "eval", "-m", "openai/test-model", "--base-url", url, "-t", "T.6", "--size", "3",
            "-q", cwd=tmp_path, OPENAI_API_KEY="k",
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
    # the server is gone and no key is set: every output comes from the store
    args = ["rescore", "-m", "openai/test-model", "--base-url", url, "-t", "T.6", "--size", "3"]
    res = cli(*args, "--profile", "official", "-q", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "requests 0 " in res.stdout and "errors 0 " in res.stdout
    assert "profile official" in res.stdout
    # an output that was never stored is an error, never a request: eval's exit code
    res = cli(*args[:-1], "4", "--limit", "12", "-q", cwd=tmp_path)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "not_stored" in res.stderr and "requests 0 " in res.stdout


def test_rescore_takes_the_samples_of_the_models_last_run(tmp_path: Path) -> None:
    res = cli("eval", "-m", "scripted/refuse", "-t", "T.5,P.1", "--size", "4", "-q", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    run_id = re.search(r"run ([0-9a-f]{16})", res.stdout)
    assert run_id, res.stdout
    # no --tasks/--size: the last run's, said on stderr; nothing is asked, nothing is missing
    res = cli("rescore", "-m", "scripted/refuse", "--profile", "official", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    said = [line for line in res.stderr.splitlines() if line.startswith("rescore:")]
    assert said == [
        f"rescore: tasks, data, size, seed, limit as in run {run_id.group(1)}: "
        "T.5,P.1 · synth · size 4 · seed 0"
    ], res.stderr
    assert "requests 0 " in res.stdout and "errors 0 " in res.stdout
    assert "scored 8 " in res.stdout and "profile official" in res.stdout
    assert "T.1 " not in res.stdout
    # what is given wins; the rest still comes from the run
    res = cli("rescore", "-m", "scripted/refuse", "-t", "T.5", "--size", "3", cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "rescore: data, seed, limit as in run" in res.stderr
    assert "scored 3 " in res.stdout and "P.1 " not in res.stdout


def test_rescore_without_a_stored_run_of_the_model_is_one_line(tmp_path: Path) -> None:
    res = cli("rescore", "-m", "scripted/refuse", cwd=tmp_path)
    assert res.returncode == 2
    assert "no store at" in one_line_error(res)
    assert not (tmp_path / "multitrust.db").exists()  # a read: nothing created
    assert cli("eval", "-m", "scripted/refuse", "-t", "T.5", "--size", "2", "-q", cwd=tmp_path)
    res = cli("rescore", "-m", "scripted/comply", cwd=tmp_path)
    assert res.returncode == 2
    line = one_line_error(res)
    assert "no run of scripted/comply" in line and "multitrust eval -m scripted/comply" in line


# ------------------------------------------------------------------ progress (#18.12)


def test_without_a_terminal_progress_is_plain_lines(tmp_path: Path) -> None:
    res = cli(
        "eval", "-m", "scripted/oracle", "-t", "T.6", "--size", "3", cwd=tmp_path,
        MULTITRUST_PROGRESS_EVERY="0",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    lines = [line for line in res.stderr.splitlines() if "items" in line]
    assert lines, res.stderr
    assert re.search(r"scripted/oracle: \d+/\d+ items .* eta ", lines[-1]), lines[-1]


def test_a_local_hf_path_that_does_not_exist_says_so(tmp_path: Path) -> None:
    pytest.importorskip("transformers")  # the hf extra: without it the error is the install line
    res = cli("eval", "-m", "hf/./nope", "-t", "T.6", "--size", "2", "-q", cwd=tmp_path)
    assert res.returncode == 2
    line = one_line_error(res)
    assert "no such directory" in line and "Repo id" not in line
