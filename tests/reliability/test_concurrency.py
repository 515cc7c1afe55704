"""Adaptive concurrency against a server that answers 429 above 16 concurrent requests.

Only behaviour is asserted here (everything completes, nothing errors, the limiter backed off
and settled near the server's limit, few requests were refused); timings are measured by
``benchmarks/load.py --scenario adaptive`` and reported in docs/reliability.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import multitrust.api as api
from multitrust import evaluate
from multitrust.engine.runner import Engine
from tests.reliability.conftest import result_rows, server_stats
from tests.servers.openai_server import serve

pytestmark = pytest.mark.slow  # load against the fake server

SERVER_LIMIT = 16


@pytest.fixture
def engines(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Engine]]:
    """Capture the Engine that evaluate() builds, to read its limiters afterwards."""
    seen: list[Engine] = []

    class Recording(Engine):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            seen.append(self)

    monkeypatch.setattr(api, "Engine", Recording)
    yield seen


@pytest.mark.parametrize("retry_after", [None, 0.1], ids=["bare-429", "retry-after"])
def test_limiter_settles_near_the_server_limit(
    tmp_path: Path, toy_task: str, engines: list[Engine], retry_after: float | None
) -> None:
    size = 200  # 400 items
    db = tmp_path / "s.db"
    with serve(latency=0.05, max_concurrency=SERVER_LIMIT, limit_retry_after=retry_after) as url:
        rep = evaluate(
            "openai/test-model",
            toy_task,
            db=db,
            size=size,
            base_url=url,
            max_connections=64,
            timeout_s=5,
            max_attempts=8,
            bootstrap=0,
        )
        stats = server_stats(url)
    rows = result_rows(db)
    assert len(rows) == 2 * size
    assert all(r["error"] is None for r in rows.values())
    assert rep.counters.errors == 0 and rep.tasks[toy_task].n == 2 * size
    # the server never admitted more than its limit, and refused only a small share
    assert stats["max_concurrent"] <= SERVER_LIMIT
    refused = stats["by_status"].get("429", 0)
    assert 0 < refused < 0.15 * stats["requests"], stats
    assert stats["by_status"]["200"] == 2 * size
    (engine,) = engines
    limiter = engine.limiters.get(engine.model.endpoint)
    assert limiter.backoffs >= 1  # it did meet the limit and back off
    # settled near 16: never stuck at the user's 64, never collapsed to 1
    assert SERVER_LIMIT / 4 <= limiter.limit <= 2 * SERVER_LIMIT, limiter.limit
    assert limiter.peak_in_flight <= 64
    assert limiter.in_flight == 0  # every acquire was released, faults or not


def test_no_limit_no_backoff(tmp_path: Path, toy_task: str, engines: list[Engine]) -> None:
    """A healthy server: the limiter grows to the user's cap and never backs off."""
    with serve(latency=0.02) as url:
        evaluate(
            "openai/test-model",
            toy_task,
            db=tmp_path / "s.db",
            size=150,
            base_url=url,
            max_connections=24,
            bootstrap=0,
        )
        stats = server_stats(url)
    (engine,) = engines
    limiter = engine.limiters.get(engine.model.endpoint)
    assert limiter.backoffs == 0
    assert limiter.limit == 24
    assert stats["by_status"] == {"200": 300}
    assert stats["max_concurrent"] <= 24
