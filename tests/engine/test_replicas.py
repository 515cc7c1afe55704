"""A model served by several endpoints: spreading, health, a replica killed mid-run.

Everything runs against the project's fake OpenAI-compatible server (threads for the
functional tests, child processes where a replica has to die for real).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from multitrust import evaluate
from multitrust.errors import ConfigError
from multitrust.models import ModelOptions, get_model
from multitrust.models.openai_compat import OpenAICompatModel
from multitrust.models.replicas import ReplicaPool, read_url_file
from multitrust.types import GenerateConfig, Message
from tests.reliability.conftest import server_stats
from tests.servers.openai_server import serve

SERVER = Path(__file__).resolve().parents[1] / "servers" / "openai_server.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pool_of(*urls: str, **kw: Any) -> ReplicaPool:
    if kw:
        return ReplicaPool(
            [get_model("openai/test-model", ModelOptions(base_url=u, timeout_s=5)) for u in urls],
            **kw,
        )
    model = get_model("openai/test-model", ModelOptions(base_urls=urls, timeout_s=5))
    assert isinstance(model, ReplicaPool)
    return model


def result_counts(db: Path) -> tuple[int, int, int]:
    """(rows, distinct (task, sample, variant), rows with an error)."""
    con = sqlite3.connect(db)
    try:
        n, distinct, errors = con.execute(
            "SELECT COUNT(*), COUNT(DISTINCT task_id || '|' || sample_id || '|' || variant),"
            " SUM(error IS NOT NULL) FROM results"
        ).fetchone()
    finally:
        con.close()
    return int(n), int(distinct), int(errors or 0)


# -- the URL file and the model identity -------------------------------------------------------


def test_url_file_skips_comments_and_rejects_junk(tmp_path: Path) -> None:
    f = tmp_path / "replicas.txt"
    f.write_text(
        "# two nodes\nhttp://gpu1:8000/v1\n\n  http://gpu2:8000/v1   # node 2\nhttps://h/v1\n"
    )
    assert read_url_file(f) == ["http://gpu1:8000/v1", "http://gpu2:8000/v1", "https://h/v1"]
    f.write_text("http://a:1/v1\nhttp://a:1/v1\n")
    with pytest.raises(ConfigError, match="duplicate"):
        read_url_file(f)
    f.write_text("gpu1:8000\n")
    with pytest.raises(ConfigError, match=r"replicas.txt:1: not an http"):
        read_url_file(f)
    f.write_text("http://a:1/v1 http://b:1/v1\n")
    with pytest.raises(ConfigError, match="one URL per line"):
        read_url_file(f)
    f.write_text("# nothing\n")
    with pytest.raises(ConfigError, match="no URLs"):
        read_url_file(f)
    with pytest.raises(ConfigError, match="cannot read"):
        read_url_file(tmp_path / "missing.txt")


def test_several_urls_make_a_pool_whose_cache_key_ignores_the_replicas() -> None:
    one = get_model("openai/m", ModelOptions(base_urls=("http://a:1/v1",)))
    assert isinstance(one, OpenAICompatModel) and one.endpoint == "http://a:1/v1"
    ab = get_model("openai/m", ModelOptions(base_urls=("http://a:1/v1", "http://b:1/v1")))
    bc = get_model("openai/m", ModelOptions(base_url="http://c:1/v1", base_urls=("http://b:1/v1",)))
    assert isinstance(ab, ReplicaPool) and isinstance(bc, ReplicaPool)
    assert [r.url for r in bc.replicas] == ["http://c:1/v1", "http://b:1/v1"]
    assert ab.cache_identity() == bc.cache_identity()
    assert "http" not in str(ab.cache_identity())
    assert ab.describe()["replicas"] == ["http://a:1/v1", "http://b:1/v1"]
    assert ab.model_id == "openai/m" and ab.width == 2
    # credentials in a replica URL never reach what is recorded
    secret = get_model(
        "openai/m", ModelOptions(base_urls=("http://u:pw@a:1/v1?key=k", "http://b:1/v1"))
    )
    assert "pw" not in str(secret.describe()) and "key=k" not in str(secret.describe())
    with pytest.raises(ConfigError, match="duplicate"):
        ReplicaPool([get_model("openai/m", ModelOptions(base_url="http://a:1/v1"))] * 2)


# -- spreading ---------------------------------------------------------------------------------


def test_requests_spread_over_replicas_each_with_its_own_limit(
    tmp_path: Path, toy_task: str
) -> None:
    with (
        serve(latency=0.05) as u1,
        serve(latency=0.05) as u2,
        serve(latency=0.05) as u3,
    ):
        pool = pool_of(u1, u2, u3)
        rep = evaluate(pool, toy_task, db=tmp_path / "s.db", size=60, max_connections=4)
        stats = [server_stats(u) for u in (u1, u2, u3)]
    assert rep.counters.errors == 0 and rep.tasks[toy_task].n == 120
    served = [s["by_status"].get("200", 0) for s in stats]
    assert sum(served) == 120
    # every replica took a real share, none more than half
    assert all(0.2 * 120 <= n <= 0.5 * 120 for n in served), served
    # each replica's own limiter held it to --max-connections, and they ran side by side
    assert all(s["max_concurrent"] <= 4 for s in stats), stats
    assert sum(s["max_concurrent"] for s in stats) > 4
    assert [r["ok"] for r in pool.stats()] == served


def test_a_slow_replica_gets_fewer_requests(tmp_path: Path, toy_task: str) -> None:
    """Least outstanding requests: a replica that answers 10x slower holds its requests
    longer, so it is picked less often."""
    with serve(latency=0.02) as fast1, serve(latency=0.02) as fast2, serve(latency=0.2) as slow:
        pool = pool_of(fast1, fast2, slow)
        rep = evaluate(pool, toy_task, db=tmp_path / "s.db", size=60, max_connections=4)
        n_fast1, n_fast2, n_slow = (
            server_stats(u)["by_status"].get("200", 0) for u in (fast1, fast2, slow)
        )
    assert rep.counters.errors == 0
    assert n_fast1 + n_fast2 + n_slow == 120
    assert n_slow < 0.5 * min(n_fast1, n_fast2), (n_fast1, n_fast2, n_slow)


# -- health ------------------------------------------------------------------------------------


def test_a_replica_that_fails_its_health_check_is_out_and_comes_back() -> None:
    port = free_port()
    dead = f"http://127.0.0.1:{port}/v1"

    async def scenario(live: str) -> None:
        pool = pool_of(live, dead, cooldown_s=0.0, check_interval_s=0)
        await pool.preflight()
        live_r, dead_r = pool.replicas
        assert live_r.healthy and not dead_r.healthy
        assert "health check" in (dead_r.last_error or "")
        cfg = GenerateConfig(max_tokens=8)
        for i in range(6):
            gen = await pool.generate([Message("user", f"q{i}")], cfg)
            assert gen.text in ("Yes.", "No.")
        assert live_r.ok == 6 and dead_r.requests == 0
        await pool.aclose()

    with serve() as live:
        asyncio.run(scenario(live))

    async def comeback(live: str) -> None:
        pool = pool_of(live, dead, cooldown_s=0.0, check_interval_s=0)
        await pool.preflight()
        assert not pool.replicas[1].healthy
        with serve(port=port) as back:
            assert back == dead
            await pool.check()
            assert pool.replicas[1].healthy
            pool.replicas[0].outstanding = 5  # make the comeback the least loaded
            gen = await pool.generate([Message("user", "q")], GenerateConfig(max_tokens=8))
            assert gen.ok and pool.replicas[1].ok == 1
        await pool.aclose()

    with serve() as live:
        asyncio.run(comeback(live))


def test_no_replica_answering_is_one_clear_error() -> None:
    pool = pool_of(f"http://127.0.0.1:{free_port()}/v1", f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(ConfigError, match="no replica answers"):
        asyncio.run(pool.preflight())


def test_a_replica_that_keeps_erroring_is_taken_out(tmp_path: Path, toy_task: str) -> None:
    """A replica answering 500 to every chat request (its health endpoint is fine) gets
    ejected after a few faults; its requests are retried on the healthy one."""
    with serve(latency=0.01) as good, serve(faults={"server_error": 1.0}) as bad:
        pool = pool_of(good, bad)
        rep = evaluate(pool, toy_task, db=tmp_path / "s.db", size=40, max_connections=4)
        bad_stats = server_stats(bad)
    assert rep.counters.errors == 0 and rep.tasks[toy_task].n == 80
    good_r, bad_r = pool.replicas
    assert bad_r.ejections >= 1 and bad_r.ok == 0
    assert bad_r.faults == bad_stats["by_status"].get("500", 0) >= pool.eject_after
    assert good_r.ok == 80
    # taken out: far fewer attempts on the bad replica than an even share would give it
    assert bad_stats["requests"] < 40, bad_stats


# -- a replica dies mid-run --------------------------------------------------------------------


@pytest.fixture
def server_procs() -> Iterator[list[tuple[subprocess.Popen[str], str]]]:
    procs: list[tuple[subprocess.Popen[str], str]] = []

    def start() -> None:
        proc = subprocess.Popen(
            [sys.executable, str(SERVER), "--port", "0", "--latency", "0.05"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("READY "), line
        procs.append((proc, line.split()[1]))

    for _ in range(3):
        start()
    yield procs
    for proc, _ in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.slow
def test_replica_killed_mid_run_loses_nothing_and_scores_nothing_twice(
    tmp_path: Path, toy_task: str, server_procs: list[tuple[subprocess.Popen[str], str]]
) -> None:
    victim, victim_url = server_procs[0]
    pool = pool_of(*(u for _, u in server_procs))
    killed_at: list[int] = []

    def on_progress(task_id: str, c: Any) -> None:
        if not killed_at and c.scored >= 60:
            os.kill(victim.pid, signal.SIGKILL)  # no goodbye: connections just drop
            killed_at.append(c.scored)

    db = tmp_path / "s.db"
    rep = evaluate(pool, toy_task, db=db, size=150, max_connections=8, on_progress=on_progress)
    assert killed_at, "the run ended before the kill"
    victim.wait(5)
    # nothing lost: every item scored, none an error; nothing twice: one row per item
    assert rep.counters.errors == 0
    assert result_counts(db) == (300, 300, 0)
    assert rep.tasks[toy_task].n == 300
    dead = pool.replicas[0]
    assert dead.url == victim_url.rstrip("/")
    assert not dead.healthy and dead.ejections >= 1
    assert 0 < dead.ok < 300  # it served some before it died
    survivors = [server_stats(u)["by_status"].get("200", 0) for _, u in server_procs[1:]]
    assert sum(survivors) + dead.ok >= 300
    assert all(r.outstanding == 0 for r in pool.replicas)
