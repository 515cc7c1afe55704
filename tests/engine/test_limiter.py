"""The adaptive limiter and the retry policy."""

from __future__ import annotations

import asyncio
import random
import time

from multitrust.engine.limiter import AdaptiveLimiter
from multitrust.engine.retry import RetryPolicy, call_with_retry
from multitrust.errors import AuthError, CallTimeout, RateLimited
from multitrust.types import Generation


def _age_window(lim: AdaptiveLimiter) -> None:
    """Pretend a round trip has passed, so the next answer closes the window."""
    lim._win_start -= 1.0


def test_slow_start_then_cut_when_push_back_is_a_real_share() -> None:
    async def go() -> None:
        lim = AdaptiveLimiter(64, initial=4)
        for _ in range(20):
            await lim.acquire()
            await lim.release(ok=True, latency=0.01)
        assert lim.limit == 24  # +1 per success while in slow start
        for _ in range(20):
            await lim.acquire()
        # 4 of the round trip's 20 answers were refusals: a real share, so one cut (to BETA x)
        for _ in range(4):
            await lim.release(overloaded=True)
        assert lim.limit == 24  # push-back ends slow start at once, the cut waits for the window
        for _ in range(15):
            await lim.release(ok=True, latency=0.01)
        _age_window(lim)
        await lim.release(ok=True, latency=0.01)
        assert lim.backoffs == 1
        assert 24 * lim.BETA <= lim.limit < 24 * lim.BETA + 1.5 and lim.BETA < 1
        before = lim.limit
        for _ in range(int(before)):  # one round trip of successes: about +1
            await lim.acquire()
            await lim.release(ok=True, latency=0.01)
        assert before + 0.5 < lim.limit < before + 1.5

    asyncio.run(go())


def test_sporadic_429s_do_not_cut_the_limit() -> None:
    async def go() -> None:
        lim = AdaptiveLimiter(32, initial=32)
        for i in range(200):
            await lim.acquire()
            await lim.release(ok=i % 25 != 0, overloaded=i % 25 == 0, latency=0.01)
            if i % 20 == 19:
                _age_window(lim)
        assert lim.backoffs == 0 and lim.limit == 32

    asyncio.run(go())


def test_retry_after_pauses_only_when_nothing_succeeds() -> None:
    async def go() -> None:
        lim = AdaptiveLimiter(8, initial=8)
        # a round trip where the server refused everything, asking for 30 s
        for _ in range(8):
            await lim.acquire()
        for _ in range(7):
            await lim.release(overloaded=True, retry_after=30.0)
        _age_window(lim)
        before = time.monotonic()
        await lim.release(overloaded=True, retry_after=30.0)
        after = time.monotonic()
        # new calls pause until the server's Retry-After, counted from the window's end
        assert before + 30.0 <= lim.paused_until <= after + 30.0
        waiting = asyncio.create_task(lim.acquire())
        for _ in range(5):
            await asyncio.sleep(0)
        assert not waiting.done()  # slots are free (the refused calls' cool down ends) ...
        await asyncio.gather(*lim._cooling)
        assert lim.in_flight == 0
        await asyncio.sleep(0.01)
        assert not waiting.done()  # ... but the pause holds every new call back
        lim.paused_until = 0.0  # the pause is over
        async with lim._cond:
            lim._cond.notify_all()
        await asyncio.wait_for(waiting, timeout=10)
        assert lim.in_flight == 1

        # a round trip where it refused only some: no endpoint-wide pause
        lim2 = AdaptiveLimiter(8, initial=8)
        for _ in range(8):
            await lim2.acquire()
        for _ in range(4):
            await lim2.release(overloaded=True, retry_after=30.0)
        for _ in range(3):
            await lim2.release(ok=True, latency=0.01)
        _age_window(lim2)
        await lim2.release(ok=True, latency=0.01)
        assert lim2.backoffs == 1  # the limit is cut ...
        assert lim2.paused_until == 0.0  # ... but nothing pauses
        await asyncio.wait_for(lim2.acquire(), timeout=10)  # a free slot is taken at once

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

    policy = RetryPolicy(max_attempts=3, base_delay_s=0, rate_limit_budget_s=0.0)
    gen = asyncio.run(call_with_retry(fn, limiter=None, policy=policy))
    assert gen.error_kind == "rate_limit" and "after 3 attempts" in (gen.error or "")


def test_attempts_that_failed_differently_keep_the_first_cause() -> None:
    # a bad answer, then the connection the server had closed: the row names both, so the
    # cause to fix (the bad answer) is not hidden behind the last attempt's
    from multitrust.errors import BadResponse, ConnectionFailed

    errors = iter(
        [
            BadResponse("response is not JSON: 'sk-secret-9 <html>'"),
            ConnectionFailed("server closed the connection"),
            ConnectionFailed("server closed the connection without answering"),
        ]
    )

    async def fn() -> Generation:
        raise next(errors)

    policy = RetryPolicy(max_attempts=3, base_delay_s=0)
    gen = asyncio.run(call_with_retry(fn, limiter=None, policy=policy, secrets=("sk-secret-9",)))
    assert gen.error_kind == "connection"
    assert gen.error == (
        "connection: server closed the connection without answering (after 3 attempts); "
        "first attempt: bad_response: response is not JSON: '*** <html>'"
    ), gen.error


def test_attempts_that_failed_alike_name_the_cause_once() -> None:
    from multitrust.errors import ConnectionFailed

    async def fn() -> Generation:
        raise ConnectionFailed("refused")

    policy = RetryPolicy(max_attempts=2, base_delay_s=0)
    gen = asyncio.run(call_with_retry(fn, limiter=None, policy=policy))
    assert gen.error == "connection: refused (after 2 attempts)"


def test_rate_limits_are_retried_beyond_max_attempts_within_the_budget() -> None:
    calls = 0

    async def fn() -> Generation:
        nonlocal calls
        calls += 1
        if calls < 9:
            raise RateLimited("429 too many", retry_after=0.001)
        return Generation("ok")

    gen = asyncio.run(
        call_with_retry(fn, limiter=None, policy=RetryPolicy(max_attempts=3, base_delay_s=0))
    )
    assert gen.ok and calls == 9


def test_timeout_is_enforced() -> None:
    async def fn() -> Generation:
        await asyncio.sleep(5)
        return Generation("late")

    gen = asyncio.run(
        call_with_retry(fn, limiter=None, policy=RetryPolicy(max_attempts=1, timeout_s=0.05))
    )
    assert gen.error_kind == CallTimeout.kind
