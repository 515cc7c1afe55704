"""``inspect eval multitrust/<task>`` as a user runs it: the installed ``inspect`` command in a
subprocess, found through the package's ``inspect_ai`` entry point, with ``mockllm/model``.
The logs it writes are read back with ``inspect_ai.log.read_eval_log``. Slow (inspect starts
in ~10 s), so one eval of two tasks and one refused argument."""

from __future__ import annotations

import asyncio
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info < (3, 11):  # pragma: no cover
    pytest.skip("inspect_ai needs Python 3.11+", allow_module_level=True)

from inspect_ai.log import read_eval_log

from multitrust.data.base import SynthData
from multitrust.formula import Results, Row
from multitrust.scoring.base import PROFILES, ScoreContext
from multitrust.tasks import get_task

from .conftest import ROOT

pytestmark = pytest.mark.slow

INSPECT = str(Path(sys.executable).with_name("inspect"))


def _inspect(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [INSPECT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def _documented_mock_command() -> list[str]:
    """The page's ``inspect eval … --model mockllm/model`` line, as a reader would paste it."""
    page = (ROOT / "docs" / "ecosystem.md").read_text()
    (line,) = [
        ln for ln in page.splitlines() if ln.startswith("inspect eval") and "mockllm/model" in ln
    ]
    return shlex.split(line.split("#", 1)[0])


def test_the_documented_inspect_eval_runs_multitrust_tasks_by_name(
    inspect_env, tmp_path: Path
) -> None:
    words = _documented_mock_command()
    assert words[:4] == ["inspect", "eval", "multitrust/T2", "multitrust/F4"]
    assert {"--limit", "7", "-T", "size=2", "--log-dir", "logs"} <= set(words)
    proc = _inspect(inspect_env, tmp_path, *words[1:])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    logs = {}
    for path in sorted((tmp_path / "logs").glob("*.eval")):
        log = read_eval_log(str(path))
        logs[log.eval.task] = log
    assert set(logs) == {"multitrust/T2", "multitrust/F4"}
    for name, size, task_id in (("multitrust/T2", 2, "T.2"), ("multitrust/F4", 2, "F.4")):
        log = logs[name]
        assert log.status == "success"
        task = get_task(task_id).build(SynthData(size=size))
        originals = {s.uid: s for s in task.iter_samples()}
        assert len(log.samples) == min(7, len(originals))
        rows = []
        for s in log.samples:
            score = s.scores["multitrust_scorer"]
            own = asyncio.run(task.scorer(originals[s.id], s.output.completion, ScoreContext()))
            assert score.value == dict(own.values), s.id
            assert score.metadata["label"] == own.label
            md = s.metadata
            rows.append(Row(md["id"], md["variant"], md["meta"], score.value, own.label))
        metrics = log.results.scores[0].metrics
        assert metrics["task_score"].value == pytest.approx(task.formula(Results(rows)))
        assert log.eval.task_args["size"] == 2
    # F.4's first seven samples span its text-only and image variants
    variants = {s.metadata["variant"] for s in logs["multitrust/F4"].samples}
    assert {"text", "related"} <= variants


def test_a_bad_task_argument_is_one_line_without_a_traceback(inspect_env, tmp_path: Path) -> None:
    proc = _inspect(
        inspect_env,
        tmp_path,
        "eval",
        "multitrust/T2",
        "--model",
        "mockllm/model",
        "--log-dir",
        "logs",
        "-T",
        "profile=bogus",
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    profiles = ", ".join(PROFILES)
    assert f"multitrust T.2: profile must be one of {profiles} (got 'bogus')" in out
    assert "Traceback" not in out
