"""The adaptive limiter and the retry policy."""

from __future__ import annotations

import asyncio
import random

from multitrust.engine.limiter import AdaptiveLimiter
from multitrust.engine.retry import RetryPolicy, call_with_retry
from multitrust.errors import AuthError, CallTimeout, RateLimited
from multitrust.types import Generation


def test_slow_start_then_halving() -> None:
    async def go() -> None:
        lim = AdaptiveLimiter(64, initial=4)
        for _ in range(20):
            await lim.acquire()
            await lim.release(ok=True)
        assert lim.limit == 24  # +1 per success while in slow start
        for _ in range(20):
            await lim.acquire()
        await lim.release(overloaded=True)  # 20 were in flight when the server pushed back
        assert lim.limit == 10 and lim.backoffs == 1
        for _ in range(19):
            await lim.release(ok=True)
        # additive increase after a cut: about +1 per round trip of `limit` successes
        assert 11 < lim.limit < 12.5

    asyncio.run(go())


def test_never_exceeds_max_and_blocks_at_limit() -> None:
    async def go() -> None:
        lim = AdaptiveLimiter(3, initial=3)
        for _ in range(3):
            await lim.acquire()
        blocked = asyncio.create_task(lim.acquire())
        await asyncio.sleep(0.01)
        assert not blocked.done()
        await lim.release(ok=True)
        await asyncio.wait_for(blocked, 1)
        assert lim.in_flight == 3 and lim.limit <= 3

    asyncio.run(go())


def test_retry_after_pauses_new_calls() -> None:
    async def go() -> float:
        lim = AdaptiveLimiter(8, initial=8)
        await lim.acquire()
        await lim.release(overloaded=True, retry_after=0.2)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await lim.acquire()
        return loop.time() - t0

    assert asyncio.run(go()) >= 0.15


def test_backoff_delay_is_exponential_with_jitter() -> None:
    p = RetryPolicy(base_delay_s=1, max_delay_s=8)
    rng = random.Random(0)
    d = [p.delay(a, None, rng) for a in range(6)]
    assert 0.5 <= d[0] <= 1 and 1 <= d[1] <= 2 and 2 <= d[2] <= 4
    assert all(x <= 8 for x in d)
    assert p.delay(0, 3.0, rng) >= 3.0


def test_permanent_errors_are_not_retried_and_secret_is_redacted() -> None:
    calls = 0

    async def fn() -> Generation:
        nonlocal calls
        calls += 1
        raise AuthError("bad key sk-secret-123")

    gen = asyncio.run(
        call_with_retry(
            fn, limiter=None, policy=RetryPolicy(base_delay_s=0), secrets=("sk-secret-123",)
        )
    )
    assert calls == 1 and not gen.ok and gen.error_kind == "auth"
    assert "sk-secret-123" not in (gen.error or "")


def test_transient_exhaustion_reports_cause_and_attempts() -> None:
    async def fn() -> Generation:
        raise RateLimited("429 too many", retry_after=0.0)

    gen = asyncio.run(
        call_with_retry(fn, limiter=None, policy=RetryPolicy(max_attempts=3, base_delay_s=0))
    )
    assert gen.error_kind == "rate_limit" and "after 3 attempts" in (gen.error or "")


def test_timeout_is_enforced() -> None:
    async def fn() -> Generation:
        await asyncio.sleep(5)
        return Generation("late")

    gen = asyncio.run(
        call_with_retry(fn, limiter=None, policy=RetryPolicy(max_attempts=1, timeout_s=0.05))
    )
    assert gen.error_kind == CallTimeout.kind
