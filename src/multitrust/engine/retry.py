"""The retry policy, in one place: which failures are retried, how long to wait, how often.

Transient failures (rate limits, overload, timeouts, dropped connections, malformed bodies)
are retried with exponential backoff and full jitter, honouring Retry-After. Permanent ones
(bad request, auth, a corrupt input image) are not. The final failure is returned as an error
Generation carrying its cause: never as model text.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from multitrust._aio import within
from multitrust.engine.limiter import AdaptiveLimiter
from multitrust.errors import CallTimeout, DataError, ModelCallError, Overloaded, RateLimited
from multitrust.models._http import redact
from multitrust.types import Generation

if TYPE_CHECKING:
    from multitrust.models.base import Attempt


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    """Attempts for transient failures other than rate limits."""
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    timeout_s: float = 120.0
    rate_limit_budget_s: float = 600.0
    """A 429 is the server asking us to come back later, not a fault: rate-limited calls are
    retried for up to this long (and at least ``max_attempts`` times)."""

    def delay(
        self,
        attempt: int,
        retry_after: float | None,
        rng: random.Random,
        *,
        rate_limited: bool = False,
    ) -> float:
        if retry_after is not None and retry_after > 0:
            return min(retry_after, self.max_delay_s * 2) + rng.uniform(0, 0.05)
        if rate_limited:
            # the limiter already lowers concurrency; a short, jittered wait lets a refused call
            # take the next free slot instead of idling for seconds at the end of a run
            cap = min(2.0, self.base_delay_s * 0.5 * (2**attempt))
            return rng.uniform(cap / 4, cap)
        cap = min(self.max_delay_s, self.base_delay_s * (2**attempt))
        return rng.uniform(cap / 2, cap)


_rng = random.Random()


def _redact(msg: str, secrets: tuple[str, ...]) -> str:
    """Every secret out of ``msg``, including any run of 8+ of its characters."""
    return redact(msg, *secrets)


async def call_with_retry(
    fn: Callable[[], Awaitable[Generation]] | None,
    *,
    limiter: AdaptiveLimiter | None,
    policy: RetryPolicy,
    secrets: tuple[str, ...] = (),
    on_retry: Callable[[ModelCallError], None] | None = None,
    route: Callable[[], Awaitable[Attempt]] | None = None,
) -> Generation:
    """Run ``fn`` under the limiter with retries; always returns a Generation (text or error).

    With ``route`` (a replica pool), each attempt asks it for the replica to use: the call and
    the limiter come from the route, and the route is told how the attempt ended.
    """
    last: ModelCallError | None = None
    first: ModelCallError | None = None
    started = time.perf_counter()
    attempt = 0  # failures other than rate limits
    tries = 0
    while True:
        tries += 1
        att: Attempt | None = None
        if route is not None:
            try:
                att = await route()
            except ModelCallError as exc:  # no replica to send it to
                last = exc
        lim = att.limiter if att is not None else (None if route else limiter)
        call = att.call if att is not None else (None if route else fn)
        outcome: BaseException | None = None
        if lim is not None:
            await lim.acquire()
        ok = False
        overloaded = False
        retry_after: float | None = None
        t_attempt = time.perf_counter()
        try:
            if call is None:
                assert last is not None
                raise last
            gen = await within(call(), policy.timeout_s)
            ok = True
            return gen
        except asyncio.TimeoutError:
            last = CallTimeout(f"no answer within {policy.timeout_s:g}s")
            outcome = last
        except (RateLimited, Overloaded) as exc:
            last = outcome = exc
            overloaded = True
            retry_after = exc.retry_after
        except ModelCallError as exc:
            last = outcome = exc
        except DataError as exc:
            outcome = exc
            return Generation.failure(
                _redact(str(exc), secrets), "input", time.perf_counter() - started
            )
        except Exception as exc:  # an unexpected backend bug: record it, do not crash the run
            outcome = exc
            return Generation.failure(
                _redact(f"{type(exc).__name__}: {exc}", secrets),
                "other",
                time.perf_counter() - started,
            )
        except BaseException as exc:  # cancelled: the route must still hear of it
            outcome = exc
            raise
        finally:
            if att is not None:
                att.finish(outcome)
            if lim is not None:
                await lim.release(
                    ok=ok,
                    overloaded=overloaded,
                    retry_after=retry_after,
                    latency=time.perf_counter() - t_attempt,
                )
        assert last is not None
        if first is None:
            first = last
        if not last.transient:
            break
        if isinstance(last, RateLimited):
            elapsed = time.perf_counter() - started
            if tries >= policy.max_attempts and elapsed >= policy.rate_limit_budget_s:
                break
            backoff_step = min(tries - 1, 6)
        else:
            attempt += 1
            if attempt >= policy.max_attempts:
                break
            backoff_step = attempt - 1
        if on_retry is not None:
            on_retry(last)
        await asyncio.sleep(
            policy.delay(
                backoff_step, last.retry_after, _rng, rate_limited=isinstance(last, RateLimited)
            )
        )
    assert last is not None
    detail = _redact(str(last), secrets)
    message = f"{last.kind}: {detail} (after {tries} attempt{'s' if tries > 1 else ''})"
    if first is not None and (first.kind, str(first)) != (last.kind, str(last)):
        # the attempts failed in different ways (a bad answer, then a connection the server
        # had closed): the first cause is often the one to fix, so both are kept
        message += f"; first attempt: {first.kind}: {_redact(str(first), secrets)}"
    return Generation.failure(message, last.kind, time.perf_counter() - started)
