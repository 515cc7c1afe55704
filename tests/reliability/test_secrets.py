"""An API key never reaches the store, the logs, stdout/stderr, exceptions or the HTML report.

The key is given both ways (``OPENAI_API_KEY`` and ``api_key=``), to runs that succeed and
runs that fail: 401s from a badly behaved server that quotes the Authorization header back
in its error message, and a refused connection. Then every artefact is searched for the key
(and for a fragment of it, to catch truncated copies).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.errors import ConfigError, ModelCallError
from multitrust.models import ModelOptions, get_model
from multitrust.report.html import write_report
from multitrust.types import GenerateConfig, Message
from tests.reliability.conftest import result_rows
from tests.servers.openai_server import serve

pytestmark = pytest.mark.slow  # real CLI processes and full runs per key source

KEY = "sk-reliability-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e"
FRAGMENTS = (KEY, KEY[-20:], KEY[3:20])
ROOT = Path(__file__).resolve().parents[2]


def assert_clean(blob: bytes | str, where: str) -> None:
    data = blob.encode() if isinstance(blob, str) else blob
    for frag in FRAGMENTS:
        assert frag.encode() not in data, f"API key fragment found in {where}"


def assert_files_clean(folder: Path) -> None:
    """Every file under ``folder`` (store, -wal, -shm, reports, logs)."""
    seen = 0
    for p in folder.rglob("*"):
        if p.is_file():
            assert_clean(p.read_bytes(), str(p))
            seen += 1
    assert seen


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)  # everything any library logs, aiohttp included
    yield caplog


@pytest.mark.parametrize("how", ["env", "argument"])
def test_key_never_stored_logged_or_reported(
    tmp_path: Path,
    toy_task: str,
    how: str,
    monkeypatch: pytest.MonkeyPatch,
    logs: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    store_dir = tmp_path / "store"
    db = store_dir / "s.db"
    kw: dict[str, object] = {}
    if how == "env":
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
    else:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        kw["api_key"] = KEY
    common = {"db": db, "size": 6, "timeout_s": 2, "max_attempts": 2, "bootstrap": 0, **kw}
    # 1. the server requires the key: a successful run
    with serve(api_key=KEY) as url:
        ok = evaluate("openai/test-model", toy_task, base_url=url, **common)  # type: ignore[arg-type]
    assert ok.counters.errors == 0 and ok.tasks[toy_task].n == 12
    # 2. a server that rejects the key and quotes the Authorization header in its 401 message
    with serve(api_key="another-key", echo_auth=True) as url:
        bad = evaluate("openai/test-model", toy_task, base_url=url, **common)  # type: ignore[arg-type]
        assert bad.counters.errors == 12
        rows = result_rows(db)
        auth = [r for r in rows.values() if r["error_kind"] == "auth"]
        assert len(auth) == 12 and all("401" in r["error"] for r in auth)
        assert all("***" in r["error"] for r in auth)  # the quoted key was there, redacted
        # the exception a backend raises is redacted too
        model = get_model("openai/test-model", ModelOptions(base_url=url, api_key=KEY))

        async def call() -> None:
            try:
                await model.generate([Message("user", "hi")], GenerateConfig())
            finally:
                await model.aclose()

        with pytest.raises(ModelCallError) as info:
            asyncio.run(call())
        for text in (
            str(info.value),
            repr(info.value),
            repr(model),
            str(model.describe()),
            repr(model.options),
        ):
            assert_clean(text, "exception / repr")
    # 3. nobody listening: the run refuses to start, with a message that names the URL
    with pytest.raises(ConfigError, match="cannot reach") as refused:
        evaluate(
            "openai/test-model",
            toy_task,
            base_url=f"http://127.0.0.1:{free_port()}/v1",
            **common,  # type: ignore[arg-type]
        )
    assert_clean(str(refused.value), "ConfigError for a refused connection")
    # the store (and any -wal / -shm left), the report, the logs, stdout and stderr
    report = write_report(db, tmp_path / "report.html")
    assert "openai/test-model" in report.read_text()
    assert_files_clean(tmp_path)
    assert_clean(logs.text, "log records")
    for rec in logs.records:
        assert_clean(str(rec.args), "log record args")
    out, err = capfd.readouterr()
    assert_clean(out, "stdout")
    assert_clean(err, "stderr")


def test_key_not_in_wal_while_the_run_is_open(tmp_path: Path, toy_task: str) -> None:
    """Search the -wal file while the run's connection is still open (before checkpointing)."""
    from multitrust.store import Store

    seen: dict[str, bytes] = {}
    real = Store.finish_run

    def spy(self: object, run_id: str, status: str = "done") -> None:
        for p in tmp_path.glob("s.db*"):
            seen[p.name] = p.read_bytes()
        real(self, run_id, status)  # type: ignore[arg-type]

    mp = pytest.MonkeyPatch()
    mp.setattr(Store, "finish_run", spy)
    try:
        with serve(api_key="another-key", echo_auth=True) as url:
            evaluate(
                "openai/test-model",
                toy_task,
                db=tmp_path / "s.db",
                size=10,
                base_url=url,
                api_key=KEY,
                max_attempts=1,
                bootstrap=0,
            )
    finally:
        mp.undo()
    assert seen.get("s.db-wal"), sorted(seen)  # the errors were written, not yet checkpointed
    for name, blob in seen.items():
        assert_clean(blob, f"{name} during the run")


_CLI = (
    "import sys; sys.path.insert(0, {root!r});"
    "from tests.reliability.conftest import make_toy;"
    "from multitrust.tasks import base as tb; s = make_toy(0); tb._REGISTRY[s.id] = s;"
    "from multitrust.cli import main; main()"
)


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CLI.format(root=str(ROOT)), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize("how", ["env", "flag"])
def test_cli_never_prints_the_key(tmp_path: Path, how: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["MULTITRUST_DB"] = str(tmp_path / "cli.db")
    extra: list[str] = []
    if how == "env":
        env["OPENAI_API_KEY"] = KEY
    else:
        extra = ["--api-key", KEY]
    base = [
        "eval",
        "-m",
        "openai/test-model",
        "-t",
        "T.91",
        "--size",
        "4",
        "--timeout",
        "2",
        "--stop-after-errors",  # record every 401 (the key must not leak into any of them)
        "0",
        *extra,
    ]
    outputs = []
    with serve(api_key="another-key", echo_auth=True) as url:
        outputs.append(run_cli([*base, "--base-url", url], env, tmp_path))
    outputs.append(
        run_cli([*base, "--base-url", f"http://127.0.0.1:{free_port()}/v1"], env, tmp_path)
    )
    outputs.append(run_cli(["runs"], env, tmp_path))
    outputs.append(run_cli(["report", "-o", str(tmp_path / "r.html")], env, tmp_path))
    for p in outputs:
        assert_clean(p.stdout, "CLI stdout")
        assert_clean(p.stderr, "CLI stderr")
    assert outputs[0].returncode == 3, outputs[0].stderr  # errors recorded: exit 3
    assert "errors 8" in outputs[0].stdout
    assert (
        outputs[1].returncode == 2 and "cannot reach" in outputs[1].stderr
    )  # fails fast, one line
    assert outputs[-1].returncode == 0, outputs[-1].stderr
    assert_files_clean(tmp_path)
