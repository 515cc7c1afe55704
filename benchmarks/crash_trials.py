"""Crash trials: kill -9 a run against the HTTP test server at random moments, then resume.

Extends ``tests/engine/test_crash.py`` (an in-process toy model) to the real HTTP path: the
``openai/`` backend, aiohttp, the adaptive limiter and batched store writes, optionally with
injected faults. For each trial a child process evaluates the toy task; the parent kills it
with SIGKILL after a random delay, checks the SQLite file, reruns to completion and checks:

- integrity: ``PRAGMA integrity_check`` is ok after the kill and after the rerun;
- nothing lost or doubled: exactly one results row per (sample, variant) at the end;
- nothing redone: the rerun asks the server only for items without a committed answer
  (without faults: requests == items - answers committed before the kill);
- same answers: every output equals the server's deterministic answer to its prompt;
- paid calls lost (without faults): answers the server sent before the kill that the store did
  not hold after it, so the rerun asked for them again. Group commit bounds them by the
  requests in flight (up to C = 32) plus 50 ms of answers (C / L per second: 32 at L = 0.05 s).

    python benchmarks/crash_trials.py --trials 20 --n 600
    python benchmarks/crash_trials.py --trials 10 --faults 0.1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import sys
sys.path.insert(0, {root!r})
from multitrust import evaluate
from multitrust.tasks import base as tb
from tests.reliability.conftest import make_toy
spec = make_toy(0); tb._REGISTRY[spec.id] = spec
evaluate("openai/test-model", spec.id, db=sys.argv[1], size=int(sys.argv[2]), base_url=sys.argv[3],
         max_connections=32, timeout_s=0.5, max_attempts=4, bootstrap=0)
"""


def _get(url: str, path: str, method: str = "GET") -> dict[str, Any]:
    req = urllib.request.Request(
        url.removesuffix("/v1") + path, method=method, data=b"" if method == "POST" else None
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        out: dict[str, Any] = json.load(resp)
    return out


def run(db: Path, n: int, url: str, kill_after: float | None) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(root=str(ROOT)), str(db), str(n), url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if kill_after is None:
        _, err = proc.communicate(timeout=300)
        if proc.returncode != 0:
            raise SystemExit(f"resume run failed:\n{err.decode()[-2000:]}")
        return
    time.sleep(kill_after)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    if proc.stderr is not None:
        proc.stderr.close()


def snapshot(db: Path) -> tuple[str, int, int]:
    """(integrity, answers committed, scored rows)."""
    con = sqlite3.connect(db)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        if "generations" not in tables:  # killed before the store was set up (a loaded machine)
            return integrity, 0, 0
        answers = con.execute("SELECT COUNT(*) FROM generations WHERE error IS NULL").fetchone()[0]
        scored = con.execute("SELECT COUNT(*) FROM results WHERE error IS NULL").fetchone()[0]
    finally:
        con.close()
    return integrity, answers, scored


def trial(i: int, rng: random.Random, n: int, url: str, faults: bool, tmp: Path) -> dict[str, Any]:
    from tests.servers.openai_server import answer_for

    db = tmp / f"trial{i}.db"
    kill_after = rng.uniform(0.8, 3.5)  # imports take ~0.7 s; a run takes ~3-4 s
    _get(url, "/reset", "POST")  # count this run's answers only
    run(db, n, url, kill_after)
    integrity, answers, scored = snapshot(db) if db.exists() else ("ok", 0, 0)
    assert integrity == "ok", f"trial {i}: integrity {integrity} after kill"
    time.sleep(0.5)  # the server finishes the requests in flight at the kill (into a dead socket)
    sent = _get(url, "/stats")["by_status"].get("200", 0)
    _get(url, "/reset", "POST")
    for _ in range(5):  # with faults a rerun may leave errors: rerun until clean
        run(db, n, url, None)
        con = sqlite3.connect(db)
        left = con.execute("SELECT COUNT(*) FROM results WHERE error IS NOT NULL").fetchone()[0]
        con.close()
        if not left:
            break
    requested = _get(url, "/stats")["distinct_bodies"]
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = con.execute(
            "SELECT sample_id, variant, COUNT(*) FROM results GROUP BY 1, 2"
        ).fetchall()
        assert len(rows) == 2 * n, f"trial {i}: {len(rows)} result rows, want {2 * n}"
        assert all(c == 1 for _, _, c in rows), f"trial {i}: duplicated rows"
        errors = con.execute("SELECT COUNT(*) FROM results WHERE error IS NOT NULL").fetchone()[0]
        assert errors == 0, f"trial {i}: {errors} errors left"
        for prompt, output in con.execute("SELECT prompt, output FROM results"):
            assert output == answer_for(prompt, "yesno"), f"trial {i}: wrong answer for {prompt!r}"
    finally:
        con.close()
    if not faults:
        assert requested == 2 * n - answers, (
            f"trial {i}: rerun asked {requested}, want {2 * n - answers}"
        )
    return {
        "kill_after_s": round(kill_after, 2),
        "answers_at_kill": answers,
        "scored_at_kill": scored,
        "rerun_requests": requested,
        "lost": sent - answers if not faults else None,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--n", type=int, default=600, help="questions per trial (x2 variants)")
    p.add_argument("--latency", type=float, default=0.05)
    p.add_argument("--faults", type=float, default=0.0, help="fault rate at the server (0..1)")
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    from tests.servers.openai_server import serve

    kinds = ("rate_limit", "server_error", "reset", "malformed", "empty_choices")
    faults = {k: a.faults / len(kinds) for k in kinds} if a.faults else {}
    rng = random.Random(a.seed)
    results = []
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as d,
        serve(mode="process", latency=a.latency, faults=faults, seed=a.seed) as url,
    ):
        for i in range(a.trials):
            r = trial(i, rng, a.n, url, bool(faults), Path(d))
            results.append(r)
            print(
                f"trial {i:>2}: killed at {r['kill_after_s']:.2f}s with {r['answers_at_kill']:>4} answers committed; "
                f"rerun requested {r['rerun_requests']:>4}"
                + (f" ({r['lost']} answers asked again)" if r["lost"] is not None else "")
                + f"; final: {2 * a.n} rows, 0 lost, 0 doubled, 0 errors"
            )
    mid = sum(1 for r in results if 0 < r["answers_at_kill"] < 2 * a.n)
    lost = [
        r["lost"] for r in results if r["lost"] is not None and 0 < r["answers_at_kill"] < 2 * a.n
    ]
    if lost:
        bound = 32 + 32 / a.latency * 0.05
        print(
            f"answers asked again after a mid-run kill: max {max(lost)}, mean "
            f"{sum(lost) / len(lost):.1f} (bound: 32 in flight + 50 ms of answers = {bound:.0f})"
        )
    print(
        f"{a.trials} trials ({mid} killed mid-run) in {time.perf_counter() - started:.0f}s: all passed "
        f"(faults {a.faults:.0%}, n={2 * a.n} items per trial)"
    )


if __name__ == "__main__":
    main()
