"""Adaptive concurrency limiting, one limiter per endpoint.

AIMD as in TCP congestion control: the limit starts small, doubles per round trip while every
call succeeds ("slow start"), then grows by about one per round trip; a rate-limit or overload
answer halves it and, when the server says Retry-After, pauses new calls until then. The limit
never exceeds ``max_limit`` (the user's ``--max-connections``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time


class AdaptiveLimiter:
    def __init__(self, max_limit: int, *, initial: int | None = None, min_limit: int = 1) -> None:
        if max_limit < 1:
            raise ValueError("max_limit must be >= 1")
        self.max_limit = max_limit
        self.min_limit = min_limit
        self.limit: float = float(
            min(max_limit, initial if initial is not None else max(min_limit, 8))
        )
        self.ssthresh: float = float(max_limit)
        self.in_flight = 0
        self.paused_until = 0.0
        self._cond = asyncio.Condition()
        self.backoffs = 0
        self.peak_in_flight = 0
        self._last_cut = 0.0
        self.latency_ewma: float | None = None

    async def acquire(self) -> None:
        async with self._cond:
            while True:
                wait = self.paused_until - time.monotonic()
                if wait > 0:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await asyncio.wait_for(self._cond.wait(), timeout=wait)
                    continue
                if self.in_flight < int(self.limit):
                    self.in_flight += 1
                    self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
                    return
                await self._cond.wait()

    async def release(
        self,
        *,
        ok: bool = True,
        overloaded: bool = False,
        retry_after: float | None = None,
        latency: float | None = None,
    ) -> None:
        async with self._cond:
            self.in_flight -= 1
            if ok and latency is not None:
                prev = self.latency_ewma
                self.latency_ewma = latency if prev is None else 0.8 * prev + 0.2 * latency
            if overloaded:
                self._on_overload(retry_after)
            elif ok:
                if self.limit < self.ssthresh:
                    self.limit = min(self.limit + 1.0, float(self.max_limit))
                else:
                    self.limit = min(self.limit + 1.0 / self.limit, float(self.max_limit))
            self._cond.notify_all()

    def _on_overload(self, retry_after: float | None) -> None:
        now = time.monotonic()
        # one cut per round trip: the 429s of one burst should halve the limit once, not repeatedly
        rtt = max(0.05, self.latency_ewma or 0.0)
        if now - self._last_cut > rtt:
            self.backoffs += 1
            self.limit = max(
                float(self.min_limit), min(self.limit, float(self.in_flight + 1)) / 2.0
            )
            self.ssthresh = max(float(self.min_limit), self.limit)
            self._last_cut = now
        if retry_after is not None and retry_after > 0:
            self.paused_until = max(self.paused_until, now + min(retry_after, 60.0))


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
