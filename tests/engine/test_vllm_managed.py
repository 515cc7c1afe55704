"""The managed vLLM backend against a fake ``vllm`` executable on PATH.

Start, readiness (and its failures), evaluation through the replicas, and teardown on a
normal end, SIGINT, SIGTERM, an unhandled exception and SIGKILL, checking in /proc that no
server or worker process is left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.data.base import DataSource
from multitrust.errors import ConfigError
from multitrust.models import ModelOptions, get_model
from multitrust.models.base import Model
from multitrust.models.replicas import ReplicaPool
from multitrust.models.vllm_server import ManagedVLLM, VLLMModel, plan_replicas
from multitrust.scoring.judge import judge_yes_no
from multitrust.tasks import base as task_base
from multitrust.tasks.base import Task, TaskData, TaskSpec
from multitrust.types import GenerateConfig, Generation, Message, Sample

pytestmark = pytest.mark.slow  # real server processes started, signalled and reaped

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "tests" / "servers" / "fake_vllm.py"


def alive(pid: int) -> bool:
    """A live process (a zombie waiting for its reaper does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def recorded(rec: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted(rec.glob("*.json"))]


def all_pids(rec: Path) -> list[int]:
    pids: list[int] = []
    for r in recorded(rec):
        pids += [int(str(r["pid"])), int(str(r["worker_pid"]))]
    return pids


def wait_gone(pids: list[int], timeout_s: float) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


@pytest.fixture
def fake_vllm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``vllm`` on PATH is the fake; yields the directory where each start records its pids."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "vllm"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE}" "$@"\n')
    exe.chmod(0o755)
    rec = tmp_path / "rec"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_VLLM_RECORD", str(rec))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    monkeypatch.setenv("MULTITRUST_REAPER_GRACE_S", "3")
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # server logs go under the test's folder
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    yield rec
    left = [p for p in all_pids(rec) if alive(p)]
    for p in left:  # never leave a stray process behind a failed test
        os.kill(p, signal.SIGKILL)
    assert not left, f"processes left behind: {left}"


# -- planning and configuration ----------------------------------------------------------------


def test_replica_plan_follows_gpus_and_tensor_parallel() -> None:
    gpus = ["0", "1", "2", "3"]
    assert plan_replicas(gpus, replicas=None, tensor_parallel_size=1) == [
        ["0"],
        ["1"],
        ["2"],
        ["3"],
    ]
    assert plan_replicas(gpus, replicas=None, tensor_parallel_size=2) == [["0", "1"], ["2", "3"]]
    assert plan_replicas(gpus, replicas=1, tensor_parallel_size=2) == [["0", "1"]]
    assert plan_replicas(["4", "6"], replicas=None, tensor_parallel_size=1) == [["4"], ["6"]]
    with pytest.raises(ConfigError, match="needs 6 GPUs, 4 visible"):
        plan_replicas(gpus, replicas=3, tensor_parallel_size=2)
    assert plan_replicas([], replicas=None, tensor_parallel_size=1) == [[]]
    assert plan_replicas([], replicas=2, tensor_parallel_size=1) == [[], []]
    with pytest.raises(ConfigError, match="at least 1"):
        plan_replicas(gpus, replicas=0, tensor_parallel_size=1)


def test_missing_vllm_is_one_line_with_the_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError) as err:
        get_model("vllm/Qwen/Qwen2-VL-2B-Instruct")
    assert "pip install 'multitrust[vllm]'" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_base_url_still_means_a_server_the_user_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no vllm needed for that
    m = get_model("vllm/Qwen/Qwen2-VL-2B", ModelOptions(base_url="http://gpu1:8000"))
    assert isinstance(m, VLLMModel) and m.endpoint == "http://gpu1:8000/v1"
    pool = get_model(
        "vllm/Qwen/Qwen2-VL-2B", ModelOptions(base_urls=("http://gpu1:8000", "http://gpu2:8000"))
    )
    assert isinstance(pool, ReplicaPool) and pool.width == 2


def test_flags_multitrust_sets_itself_are_refused(fake_vllm: Path) -> None:
    with pytest.raises(ConfigError, match="--port is set by multitrust"):
        get_model("vllm/m", ModelOptions(extra={"server_args": "--port 9000"}))


# -- start, serve, stop ------------------------------------------------------------------------


def test_managed_fleet_serves_a_run_and_leaves_nothing(
    fake_vllm: Path, tmp_path: Path, toy_task: str
) -> None:
    model = get_model(
        "vllm/test-model",
        ModelOptions(extra={"server_args": "--max-model-len 4096 --enforce-eager"}),
    )
    assert isinstance(model, ManagedVLLM) and model.width == 2
    assert "--max-model-len" in json.dumps(model.cache_identity())
    rep = evaluate(model, toy_task, db=tmp_path / "s.db", size=30, max_connections=4)
    assert rep.counters.errors == 0 and rep.tasks[toy_task].n == 60
    records = recorded(fake_vllm)
    assert sorted(str(r["cuda_visible_devices"]) for r in records) == ["0", "1"]
    for r in records:
        assert r["extra"] == ["--max-model-len", "4096", "--enforce-eager"]
        assert r["argv"][:2] == ["serve", "test-model"]  # type: ignore[index]
    # both replicas answered, and the run was recorded with the fleet's settings
    assert model.describe()["managed"]["replicas"] == 2
    # servers and their workers are gone once evaluate() returns
    assert wait_gone(all_pids(fake_vllm), 5) == []


def test_tensor_parallel_and_replicas_choose_the_layout(
    fake_vllm: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toy_task: str
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3")
    model = get_model("vllm/test-model", ModelOptions(extra={"tensor_parallel_size": 2}))
    rep = evaluate(model, toy_task, db=tmp_path / "s.db", size=5)
    assert rep.counters.errors == 0
    got = sorted((str(r["cuda_visible_devices"]), r["tp"]) for r in recorded(fake_vllm))
    assert got == [("0,1", 2), ("2,3", 2)]


def test_a_server_that_dies_while_loading_is_one_clear_error(
    fake_vllm: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toy_task: str
) -> None:
    monkeypatch.setenv("FAKE_VLLM_MODE", "crash")
    with pytest.raises(ConfigError) as err:
        evaluate("vllm/test-model", toy_task, db=tmp_path / "s.db", size=2)
    msg = str(err.value)
    assert "exited with code 1 before it was ready" in msg
    assert "CUDA out of memory" in msg and "replica-" in msg
    assert wait_gone(all_pids(fake_vllm), 5) == []


def test_readiness_timeout_names_the_replica_and_stops_everything(
    fake_vllm: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toy_task: str
) -> None:
    monkeypatch.setenv("FAKE_VLLM_MODE", "hang")
    model = get_model("vllm/test-model", ModelOptions(extra={"startup_timeout_s": 4}))
    with pytest.raises(ConfigError) as err:
        evaluate(model, toy_task, db=tmp_path / "s.db", size=2)
    msg = str(err.value)
    assert "not ready after 4s" in msg and "--vllm-startup-timeout" in msg
    assert "replica 0 (GPUs 0, port" in msg and "loading test-model" in msg
    assert len(recorded(fake_vllm)) == 2
    assert wait_gone(all_pids(fake_vllm), 5) == []


# -- teardown when multitrust itself is interrupted or dies ------------------------------------

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from multitrust import evaluate
    from multitrust.models import ModelOptions, get_model
    from multitrust.tasks import base as task_base
    from tests.engine.conftest import toy_spec

    task_base._REGISTRY["T.90"] = toy_spec()
    how = sys.argv[2]
    model = get_model("vllm/test-model")
    if how == "exception":
        asyncio.run(model.preflight())
        print("RUNNING", flush=True)
        sys.stdin.readline()
        raise RuntimeError("boom: a bug after the servers started")

    said = []

    def on_progress(task_id, c):
        if not said:
            said.append(1)
            print("RUNNING", flush=True)

    evaluate(model, "T.90", db=sys.argv[1], size=400, max_connections=2, on_progress=on_progress)
    print("FINISHED", flush=True)
    """
)


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL", "exception"])
def test_no_orphans_when_multitrust_is_interrupted_or_crashes(
    fake_vllm: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, how: str
) -> None:
    monkeypatch.setenv("FAKE_VLLM_LATENCY", "0.2")  # the run is still going when we strike
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")
    with subprocess.Popen(  # the with block closes the pipes (no ResourceWarning)
        [sys.executable, str(script), str(tmp_path / "s.db"), how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.strip() == "RUNNING", (line, proc.stderr.read() if proc.stderr else "")
            pids = all_pids(fake_vllm)
            assert len(pids) == 4 and all(alive(p) for p in pids)  # 2 servers, 2 workers
            if how == "exception":
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            else:
                proc.send_signal(getattr(signal, how))
            code = proc.wait(30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        assert code != 0
        out = proc.stdout.read() if proc.stdout else ""
    assert "FINISHED" not in out
    # graceful paths stop everything before exiting; after SIGKILL the watchdog does it
    assert wait_gone(pids, 10 if how == "SIGKILL" else 1) == []


# -- a managed fleet and a local judge never share the GPUs --------------------------------------


class _LocalJudge(Model):
    """An in-process judge (as an hf/ checkpoint is) that notes, at its start and at each
    call, which fake vLLM processes are still alive."""

    provider = "test"
    concurrent = False

    def __init__(self, rec: Path) -> None:
        super().__init__("local-judge")
        self.rec = rec
        self.seen: list[tuple[str, list[int]]] = []

    def _note(self, what: str) -> None:
        self.seen.append((what, [p for p in all_pids(self.rec) if alive(p)]))

    async def preflight(self) -> None:
        self._note("preflight")

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        self._note("generate")
        return Generation("Yes")


def _judged_questions(data: DataSource) -> Iterator[Sample]:
    for i in range(data.size or 6):
        yield Sample(id=f"q{i}", text=f"Capital of France? ({i})", target="Paris")


def _judged(data: TaskData) -> Task:
    return Task(
        scorer=judge_yes_no("toy_judge", "Answer: {output}\nTruth: {target}\nConsistent?"),
        formula=lambda r: 100 * r.mean("correct"),
    )


def test_a_local_judge_starts_only_after_the_managed_fleet_is_stopped(
    fake_vllm: Path, tmp_path: Path
) -> None:
    task_base._REGISTRY["T.93"] = TaskSpec(
        "T.93",
        "Toy judged",
        "truthfulness",
        "T.M",
        _judged,
        (_judged_questions,),
        (_judged_questions,),
    )
    try:
        model = get_model("vllm/test-model")
        judge = _LocalJudge(fake_vllm)
        rep = evaluate(model, "T.93", db=tmp_path / "s.db", size=6, judge=judge)
    finally:
        task_base._REGISTRY.pop("T.93", None)
    assert rep.counters.errors == 0 and rep.tasks["T.93"].n == 6
    assert rep.counters.requests == 6 and rep.counters.judge_requests >= 1
    assert len(recorded(fake_vllm)) == 2  # the fleet did serve the run
    # the judge was started and asked only once every server and worker had exited
    assert judge.seen and judge.seen[0][0] == "preflight"
    assert all(left == [] for _, left in judge.seen), judge.seen
