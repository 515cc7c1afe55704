"""Crash safety: kill -9 in the middle of a run, rerun, and check nothing is lost or repeated."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = r"""
import asyncio, sys
sys.path.insert(0, {root!r})
from tests.engine.conftest import toy_spec
from multitrust.tasks import base as tb
from multitrust.tasks.base import TaskSpec
from multitrust.models.base import Model
from multitrust.types import Generation
from multitrust import evaluate

tb._REGISTRY["T.90"] = toy_spec()
log = open(sys.argv[2], "a", buffering=1)

class Slow(Model):
    provider = "test"
    async def generate(self, messages, config, *, sample=None):
        await asyncio.sleep(0.004)
        text = messages[-1].text
        log.write(text.replace("\n", " ") + "|" + ",".join(i.sha256[:8] for i in messages[-1].images) + "\n")
        n = int(text.split("Is ")[1].split(" ")[0])
        return Generation("Yes." if n % 2 == 0 else "No.")

evaluate(Slow("slow"), "T.90", db=sys.argv[1], size=int(sys.argv[3]), max_connections=8, bootstrap=0)
"""


def _run(db: Path, log: Path, n: int, root: str, kill_after: float | None) -> int:
    with subprocess.Popen(  # the with block closes the pipe (no ResourceWarning)
        [sys.executable, "-c", SCRIPT.format(root=root), str(db), str(log), str(n)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as proc:
        if kill_after is None:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err.decode()[-2000:]
            return 0
        # count the delay from the first answer, not from the start: imports take seconds on a
        # loaded machine, and a kill before the store exists would test nothing
        deadline = time.monotonic() + 120
        while not (log.exists() and log.stat().st_size) and proc.poll() is None:
            assert time.monotonic() < deadline, "the run never started"
            time.sleep(0.01)
        time.sleep(kill_after)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        return proc.returncode


@pytest.mark.slow
def test_kill_dash_nine_then_resume(tmp_path: Path) -> None:
    root = str(Path(__file__).resolve().parents[2])
    rng = random.Random(1234)
    n = 300  # 600 items
    trials = 10
    interrupted = 0
    for trial in range(trials):
        db = tmp_path / f"t{trial}.db"
        log1 = tmp_path / f"t{trial}-1.log"
        log2 = tmp_path / f"t{trial}-2.log"
        _run(db, log1, n, root, kill_after=rng.uniform(0.0, 1.0))
        # what the store holds after the crash
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        committed = con.execute("SELECT COUNT(*) FROM generations WHERE error IS NULL").fetchone()[
            0
        ]
        committed_prompts = {
            r[0].replace("\n", " ") + "|" + ",".join(i["sha256"][:8] for i in json.loads(r[1]))
            for r in con.execute("SELECT prompt, images FROM results WHERE error IS NULL")
        }
        con.close()
        _run(db, log2, n, root, kill_after=None)
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = con.execute(
            "SELECT sample_id, variant, COUNT(*) FROM results GROUP BY 1, 2"
        ).fetchall()
        assert len(rows) == 2 * n, f"trial {trial}: {len(rows)} rows"
        assert all(c == 1 for _, _, c in rows)
        assert (
            con.execute("SELECT COUNT(*) FROM results WHERE error IS NOT NULL").fetchone()[0] == 0
        )
        con.close()
        second = log2.read_text().splitlines() if log2.exists() else []
        # nothing whose generation was committed before the kill is requested again
        again = [line for line in second if line in committed_prompts]
        assert not again, f"trial {trial}: re-requested {len(again)} completed generations"
        assert len(second) <= 2 * n - committed + 0  # only the missing ones
        interrupted += committed < 2 * n
    assert interrupted, "no trial was killed mid-run: the test exercised no crash"
