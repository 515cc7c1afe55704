"""Adaptive concurrency limiting, one limiter per endpoint.

AIMD as in TCP congestion control: the limit starts at min(max, 32), grows by one per success
while no load signal has been seen ("slow start"), then by about one per round trip. Once per
round trip, if load signals (429, 503, 529) were at least 10% of its answers, the limit is cut
to 0.85x and, when the server sent Retry-After, new calls pause until then. Every retried
request also waits its own Retry-After (see ``engine/retry.py``). The limit never exceeds
``max_limit`` (the user's ``--max-connections``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from multitrust._aio import within


class AdaptiveLimiter:
    #: Multiplicative decrease on a real share of push-back: 0.85 keeps the saw-tooth close to
    #: the server's capacity (halving left ~25% of it idle; 0.7 measured 1.15-1.27x ideal,
    #: 0.85 1.18-1.21x, see docs/reliability.md).
    BETA = 0.85
    #: Share of load signals (429 / 503 / 529) among a round trip's answers that triggers a cut.
    LOAD_SHARE = 0.1
    #: Fewest answers a window needs before it can justify a cut (sporadic faults are noise).
    MIN_WINDOW = 16

    def __init__(self, max_limit: int, *, initial: int | None = None, min_limit: int = 1) -> None:
        if max_limit < 1:
            raise ValueError("max_limit must be >= 1")
        self.max_limit = max_limit
        self.min_limit = min_limit
        # start at min(max, 32): a short run should not spend its first round trips ramping up
        self.limit: float = float(
            min(max_limit, initial if initial is not None else max(min_limit, 32))
        )
        self.ssthresh: float = float(max_limit)
        self.in_flight = 0
        self.paused_until = 0.0
        self._cond = asyncio.Condition()
        self.backoffs = 0
        self.peak_in_flight = 0
        self.latency_ewma: float | None = None
        self._win_start = time.monotonic()
        self._win_ok = 0
        self._win_load = 0
        self._win_retry_after = 0.0
        self._cooling: set[asyncio.Task[None]] = set()

    async def acquire(self) -> None:
        async with self._cond:
            while True:
                wait = self.paused_until - time.monotonic()
                if wait > 0:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await within(self._cond.wait(), wait)
                    continue
                if self.in_flight < int(self.limit):
                    self.in_flight += 1
                    self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                    return
                await self._cond.wait()

    def try_acquire(self) -> bool:
        """Take a slot now if one is free (no pause, under the limit); never waits. A hedged
        duplicate request uses this: it is worth sending only where there is room."""
        if self.paused_until > time.monotonic() or self.in_flight >= int(self.limit):
            return False
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return True

    async def release(
        self,
        *,
        ok: bool = True,
        overloaded: bool = False,
        retry_after: float | None = None,
        latency: float | None = None,
    ) -> None:
        if overloaded:
            # the refused call's slot stays taken for about a round trip: released at once, the
            # slot over the server's capacity would be re-used at once and draw a 429 storm
            task = asyncio.create_task(self._free_later(min(self.latency_ewma or 0.05, 1.0)))
            self._cooling.add(task)
            task.add_done_callback(self._cooling.discard)
            async with self._cond:
                self._record_load(retry_after)
                self._end_window(time.monotonic())
            return
        async with self._cond:
            self.in_flight -= 1
            now = time.monotonic()
            if ok and latency is not None:
                prev = self.latency_ewma
                self.latency_ewma = latency if prev is None else 0.8 * prev + 0.2 * latency
            if overloaded:
                self._record_load(retry_after)
            elif ok:
                self._win_ok += 1
                if self.limit < self.ssthresh:
                    self.limit = min(self.limit + 1.0, float(self.max_limit))
                else:
                    self.limit = min(self.limit + 1.0 / self.limit, float(self.max_limit))
            self._end_window(now)
            self._wake()

    def _wake(self) -> None:
        """Wake as many waiters as there are free slots (not all of them: a thundering herd of
        hundreds of workers re-checking the limit on every answer cost more CPU than the HTTP)."""
        free = int(self.limit) - self.in_flight
        if free > 0:
            self._cond.notify(free)

    def _record_load(self, retry_after: float | None) -> None:
        self._win_load += 1
        self.ssthresh = min(self.ssthresh, self.limit)  # any push-back ends slow start
        if retry_after is not None and retry_after > 0:
            self._win_retry_after = max(self._win_retry_after, retry_after)

    async def _free_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        async with self._cond:
            self.in_flight -= 1
            self._wake()

    def _end_window(self, now: float) -> None:
        """Once per round trip, cut the limit if load signals were a real share of the answers.

        A share threshold (not "any 429") keeps sporadic 429s / 503s, which say little about
        our concurrency, from collapsing throughput, while a server that turns away everything
        above its limit produces a large share and gets a prompt cut.
        """
        rtt = max(0.05, self.latency_ewma or 0.0)
        if now - self._win_start < rtt or self._win_ok + self._win_load < min(
            self.MIN_WINDOW, max(2, int(self.limit))
        ):
            return
        total = self._win_ok + self._win_load
        if self._win_load and self._win_load >= self.LOAD_SHARE * total:
            self.backoffs += 1
            self.limit = max(float(self.min_limit), self.limit * self.BETA)
            self.ssthresh = self.limit
            # a server refusing everything (an exhausted rate limit) gets a full pause; one that
            # refuses only what is over its capacity still serves the rest, so no pause there
            if self._win_retry_after > 0 and self._win_ok == 0:
                self.paused_until = max(self.paused_until, now + min(self._win_retry_after, 60.0))
        self._win_start = now
        self._win_ok = 0
        self._win_load = 0
        self._win_retry_after = 0.0


class LimiterRegistry:
    """One limiter per endpoint key, shared by the model under test and any judge on it."""

    def __init__(self, max_limit: int, *, initial: int | None = None) -> None:
        self.max_limit = max_limit
        self.initial = initial
        self._limiters: dict[str, AdaptiveLimiter] = {}

    def get(self, endpoint: str) -> AdaptiveLimiter:
        lim = self._limiters.get(endpoint)
        if lim is None:
            lim = self._limiters[endpoint] = AdaptiveLimiter(self.max_limit, initial=self.initial)
        return lim
