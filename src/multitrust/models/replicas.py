"""One model served by several endpoints: a pool of replicas.

``--base-url`` given several times (or ``--base-urls FILE``) builds a :class:`ReplicaPool`: one
backend per URL, all serving the same weights under the same name. The engine asks the pool for
a replica on every attempt (:meth:`ReplicaPool.router`); the pool answers with the healthy
replica that has the fewest outstanding requests relative to its current concurrency limit, and
the engine sends the call through that replica's own adaptive limiter (the engine's limiter
registry is keyed by endpoint, so each replica gets one).

Health, in two ways:

- passive: ``eject_after`` consecutive replica faults (connection refused or reset, timeout,
  5xx other than overload, malformed body) take a replica out; 429 / 503 / 529 are load
  signals that its limiter handles, not faults;
- active: a monitor probes every replica (``GET <base>/models``) every ``check_interval_s``; a
  failed probe takes a replica out, and an ejected one is probed again after its cooldown
  (doubling from ``cooldown_s`` up to ``max_cooldown_s``) and readmitted once it answers.

A failed attempt is retried by the engine's retry policy on another replica when there is one
(the replica that just failed is avoided).

Stragglers are hedged: once the pool has seen ``hedge_min_samples`` answers, an attempt still
unanswered after ``hedge_factor`` x the 90th percentile of recent latencies (at least
``hedge_min_s``) is sent once more to another healthy replica that has a free slot; the first
answer wins and the other call is cancelled. Either answer is the answer to the same request,
so nothing else changes; the straggling replica is charged a fault, so a hung replica is taken
out instead of being rescued forever. When every replica is out, an attempt waits up to
``all_down_wait_s`` for one to come back, then fails as a transient connection error.

The cache key does not depend on the replicas: :meth:`ReplicaPool.cache_identity` leaves the
URLs out, so any replica's answer (and a rerun with more, fewer or other replicas) shares one
cache and one run.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from multitrust._aio import within
from multitrust._listfile import list_file_lines
from multitrust.errors import (
    BadResponse,
    CallTimeout,
    ConfigError,
    ConnectionFailed,
    Overloaded,
    RateLimited,
    ServerError,
)
from multitrust.models.base import Attempt, Model, ModelOptions
from multitrust.types import GenerateConfig, Generation, Message, Sample

if TYPE_CHECKING:
    from multitrust._limiter import AdaptiveLimiter, LimiterRegistry

#: Failures that say something is wrong with the replica itself (not with the request, and
#: not load: 429 / 503 / 529 go to the limiter).
REPLICA_FAULTS: tuple[type[BaseException], ...] = (
    ConnectionFailed,
    CallTimeout,
    ServerError,
    BadResponse,
    asyncio.TimeoutError,
)


def read_url_file(path: str | Path) -> list[str]:
    """Base URLs from a file: one per line; blank lines and ``#`` comments are ignored.

    A line may carry a trailing comment (``http://gpu3:8000/v1  # node 3``). Duplicates are
    an error (they would double one replica's share without anyone noticing).
    """
    p = Path(path)
    urls: list[str] = []
    for n, line in list_file_lines(p, "URL"):
        if " " in line or "\t" in line:
            raise ConfigError(f"{p}:{n}: expected one URL per line, got {line!r}")
        if not line.startswith(("http://", "https://")):
            raise ConfigError(f"{p}:{n}: not an http(s) URL: {line!r}")
        if line in urls:
            raise ConfigError(f"{p}:{n}: duplicate URL {line!r}")
        urls.append(line)
    if not urls:
        raise ConfigError(f"the URL file {p} lists no URLs")
    return urls


@dataclass(eq=False)
class Replica:
    """One endpoint of a pool and what the pool knows about it."""

    model: Model
    outstanding: int = 0
    """Requests routed here and not finished yet (waiting for its limiter or in flight)."""
    requests: int = 0
    ok: int = 0
    faults: int = 0
    consecutive_faults: int = 0
    healthy: bool = True
    down_until: float = 0.0
    cooldown_s: float = 0.0
    ejections: int = 0
    last_error: str | None = None
    hedged_from: int = 0
    """Attempts here that were still unanswered when a duplicate went to another replica."""
    limiter: AdaptiveLimiter | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.model.endpoint

    def stats(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "requests": self.requests,
            "ok": self.ok,
            "faults": self.faults,
            "ejections": self.ejections,
            "hedged_from": self.hedged_from,
            "healthy": self.healthy,
            "last_error": self.last_error,
        }


class ReplicaPool(Model):
    """Several endpoints serving one model; see the module docstring."""

    #: the engine scales its worker pool by this (each replica has its own concurrency limit)
    concurrent = True

    def __init__(
        self,
        replicas: Sequence[Model],
        *,
        eject_after: int = 3,
        cooldown_s: float = 2.0,
        max_cooldown_s: float = 60.0,
        check_interval_s: float = 5.0,
        probe_timeout_s: float = 5.0,
        all_down_wait_s: float = 30.0,
        hedge_factor: float | None = 3.0,
        hedge_min_s: float = 1.0,
        hedge_min_samples: int = 20,
    ) -> None:
        if not replicas:
            raise ConfigError("a replica pool needs at least one endpoint")
        first = replicas[0]
        ids = {r.model_id for r in replicas}
        if len(ids) > 1:
            raise ConfigError(f"replicas must serve one model, got {sorted(ids)}")
        urls = [r.endpoint for r in replicas]
        if len(set(urls)) != len(urls):
            raise ConfigError(f"duplicate replica URLs: {urls}")
        super().__init__(first.name, first.options)
        self.provider = first.provider
        self.needs_sample = first.needs_sample
        self._public_url = None
        self.replicas = [Replica(m, cooldown_s=cooldown_s) for m in replicas]
        self.eject_after = max(1, eject_after)
        self.base_cooldown_s = cooldown_s
        self.max_cooldown_s = max_cooldown_s
        self.check_interval_s = check_interval_s
        self.probe_timeout_s = probe_timeout_s
        self.all_down_wait_s = all_down_wait_s
        self.hedge_factor = hedge_factor
        self.hedge_min_s = hedge_min_s
        self.hedge_min_samples = max(1, hedge_min_samples)
        self.hedges = 0
        self.hedge_wins = 0
        self._latencies: deque[float] = deque(maxlen=256)
        self._hedge_after: float | None = None
        self._rr = itertools.count()
        self._changed: asyncio.Event | None = None
        self._monitor: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"ReplicaPool({self.model_id!r}, {len(self.replicas)} replicas)"

    def replica_pool(self) -> ReplicaPool:
        return self

    # -- identity ------------------------------------------------------------------------------
    @property
    def width(self) -> int:
        """How many endpoints the pool spreads over (the engine sizes its workers by it)."""
        return len(self.replicas)

    @property
    def endpoint(self) -> str:
        return f"pool:{self.model_id}"

    def describe(self) -> dict[str, Any]:
        d = self.replicas[0].model.describe()
        d["base_url"] = None
        d["replicas"] = [r.url for r in self.replicas]
        return d

    def cache_identity(self) -> dict[str, Any]:
        ident = dict(self.replicas[0].model.cache_identity())
        ident["base_url"] = "replicas"  # any replica's answer is the same answer
        return ident

    # -- routing -------------------------------------------------------------------------------
    def _state(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._changed is None or self._loop is not loop:
            self._loop = loop
            self._changed = asyncio.Event()
            self._monitor = None
        idle = self._monitor is None or self._monitor.done()
        if idle and self.check_interval_s > 0:
            self._monitor = loop.create_task(self._watch())
        return self._changed

    def _pick(self, avoid: Replica | None) -> Replica | None:
        healthy = [r for r in self.replicas if r.healthy]
        if not healthy:
            return None
        if avoid is not None and len(healthy) > 1:
            healthy = [r for r in healthy if r is not avoid]
        # fewest outstanding relative to the replica's current limit; ties in turn
        start = next(self._rr) % len(healthy)
        order = healthy[start:] + healthy[:start]

        def load(r: Replica) -> float:
            cap = r.limiter.limit if r.limiter is not None else 1.0
            return r.outstanding / max(1.0, cap)

        return min(order, key=load)

    async def choose(self, avoid: Replica | None = None) -> Replica:
        """The replica for the next attempt; waits (bounded) while every replica is out."""
        changed = self._state()
        deadline = time.monotonic() + self.all_down_wait_s
        while True:
            r = self._pick(avoid)
            if r is not None:
                return r
            left = deadline - time.monotonic()
            if left <= 0:
                causes = "; ".join(
                    f"{x.url}: {x.last_error or 'failed its health check'}" for x in self.replicas
                )
                raise ConnectionFailed(
                    f"all {len(self.replicas)} replicas are out of service ({causes})"
                )
            changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await within(changed.wait(), min(left, 0.5))

    def router(
        self,
        limiters: LimiterRegistry | None,
        call: Callable[[Model], Awaitable[Generation]],
    ) -> Callable[[], Awaitable[Attempt]]:
        """Attempts for one request: each on the best replica, avoiding the one that just failed."""
        last: list[Replica | None] = [None]

        async def next_attempt() -> Attempt:
            r = await self.choose(avoid=last[0])
            if limiters is not None:
                r.limiter = limiters.get(r.url)
            r.outstanding += 1
            r.requests += 1
            done = [False]
            won_elsewhere = [False]  # answered by a hedge: r was charged as a straggler

            def finish(exc: BaseException | None) -> None:
                if done[0]:
                    return
                done[0] = True
                r.outstanding -= 1
                last[0] = None if exc is None and not won_elsewhere[0] else r
                if not won_elsewhere[0]:
                    self._record(r, exc)

            return Attempt(
                r.limiter, lambda: self._hedged(r, call, limiters, won_elsewhere), finish
            )

        return next_attempt

    # -- hedging -------------------------------------------------------------------------------
    def hedge_after_s(self) -> float | None:
        """How long an attempt may go unanswered before it is hedged (None: not yet known, or
        hedging is off)."""
        if self.hedge_factor is None or len(self._latencies) < self.hedge_min_samples:
            return None
        if self._hedge_after is None:
            ordered = sorted(self._latencies)
            p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
            self._hedge_after = max(self.hedge_min_s, self.hedge_factor * p90)
        return self._hedge_after

    def _note_latency(self, seconds: float) -> None:
        self._latencies.append(seconds)
        if len(self._latencies) % 16 == 0:
            self._hedge_after = None  # recomputed from the window now and then, not per call

    async def _hedged(
        self,
        r: Replica,
        call: Callable[[Model], Awaitable[Generation]],
        limiters: LimiterRegistry | None,
        won_elsewhere: list[bool],
    ) -> Generation:
        """``call`` on ``r``; if it straggles, once more on another replica; the first answer."""
        started = time.monotonic()
        delay = self.hedge_after_s()
        if delay is None or self.width < 2:
            gen = await call(r.model)
            self._note_latency(time.monotonic() - started)
            return gen
        first = asyncio.ensure_future(call(r.model))
        try:
            done, _ = await asyncio.wait({first}, timeout=delay)
            while not done:
                # straggling: hedge on another healthy replica with a free slot; none now
                # (all busy or out): look again shortly, as slots free and replicas return
                other = self._pick(avoid=r)
                lim = None
                if other is not None and other is not r:
                    lim = limiters.get(other.url) if limiters is not None else other.limiter
                    if lim is None or lim.try_acquire():
                        return await self._race(r, first, other, lim, call, delay, won_elsewhere)
                done, _ = await asyncio.wait({first}, timeout=max(0.05, delay / 4))
            gen = first.result()
            self._note_latency(time.monotonic() - started)
            return gen
        finally:
            if not first.done():
                first.cancel()
            await asyncio.gather(first, return_exceptions=True)

    async def _race(
        self,
        r: Replica,
        first: asyncio.Future[Generation],
        other: Replica,
        lim: AdaptiveLimiter | None,
        call: Callable[[Model], Awaitable[Generation]],
        delay: float,
        won_elsewhere: list[bool],
    ) -> Generation:
        self.hedges += 1
        r.hedged_from += 1
        other.outstanding += 1
        other.requests += 1
        t0 = time.monotonic()
        second = asyncio.ensure_future(call(other.model))
        try:
            pending: set[asyncio.Future[Generation]] = {first, second}
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                if first in done and first.exception() is None:
                    return first.result()  # the original's answer first when both are in
                if second in done and second.exception() is None:
                    self.hedge_wins += 1
                    won_elsewhere[0] = True
                    # the straggler is charged, so a hung replica is ejected in time
                    why = first.exception() if first.done() else None
                    self._record(r, why or CallTimeout(f"straggler: no answer after {delay:.1f}s"))
                    return second.result()
            return first.result()  # both failed: the original's failure is the attempt's
        finally:
            if not second.done():
                second.cancel()
            await asyncio.gather(second, return_exceptions=True)
            other.outstanding -= 1
            ok = not second.cancelled() and second.exception() is None
            if not second.cancelled():  # a cancelled duplicate says nothing about its replica
                self._record(other, second.exception())
                if ok:
                    self._note_latency(time.monotonic() - t0)
            if lim is not None:
                await lim.release(ok=ok, latency=time.monotonic() - t0 if ok else None)

    def _record(self, r: Replica, exc: BaseException | None) -> None:
        if exc is None:
            r.ok += 1
            r.consecutive_faults = 0
            r.cooldown_s = self.base_cooldown_s
            return
        if isinstance(exc, (RateLimited, Overloaded)) or not isinstance(exc, REPLICA_FAULTS):
            # load signals go to the limiter; a bad request says nothing about the replica
            return
        r.faults += 1
        r.consecutive_faults += 1
        r.last_error = f"{type(exc).__name__}: {exc}"[:300]
        if r.healthy and r.consecutive_faults >= self.eject_after:
            self._eject(r)

    def _eject(self, r: Replica) -> None:
        r.healthy = False
        r.ejections += 1
        r.down_until = time.monotonic() + r.cooldown_s
        r.cooldown_s = min(self.max_cooldown_s, max(self.base_cooldown_s, r.cooldown_s * 2))
        if self._changed is not None:
            self._changed.set()

    def _readmit(self, r: Replica) -> None:
        r.healthy = True
        r.consecutive_faults = 0  # the cooldown stays doubled until a request succeeds
        if self._changed is not None:
            self._changed.set()

    # -- health --------------------------------------------------------------------------------
    async def _probe(self, r: Replica) -> bool:
        try:
            await within(r.model.preflight(), self.probe_timeout_s)
        except asyncio.TimeoutError:
            r.last_error = f"health check: no answer within {self.probe_timeout_s:g}s"
            return False
        except Exception as exc:
            r.last_error = f"health check: {exc}"[:300]
            return False
        return True

    async def check(self) -> None:
        """Probe every replica once: eject what fails, readmit ejected ones that answer again."""
        now = time.monotonic()
        due = [r for r in self.replicas if r.healthy or now >= r.down_until]
        results = await asyncio.gather(*(self._probe(r) for r in due))
        for r, alive in zip(due, results, strict=True):
            if alive and not r.healthy:
                self._readmit(r)
            elif not alive and r.healthy:
                self._eject(r)
            elif not alive:
                r.down_until = time.monotonic() + r.cooldown_s
                r.cooldown_s = min(self.max_cooldown_s, r.cooldown_s * 2)

    async def _watch(self) -> None:
        while True:
            # ejected replicas are checked as soon as their cooldown ends, healthy ones
            # every check interval
            now = time.monotonic()
            soonest = min(
                (r.down_until - now for r in self.replicas if not r.healthy),
                default=self.check_interval_s,
            )
            await asyncio.sleep(max(0.05, min(self.check_interval_s, soonest)))
            await self.check()

    async def preflight(self) -> None:
        """Probe all replicas: the ones that do not answer start out of service; none: error."""
        await self.check()
        if not any(r.healthy for r in self.replicas):
            causes = "; ".join(f"{r.url}: {r.last_error}" for r in self.replicas)
            raise ConfigError(f"{self.model_id}: no replica answers ({causes})")

    # -- the Model protocol --------------------------------------------------------------------
    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        """One call on the best replica, outside the engine (no limiter, one attempt)."""
        attempt = await self.router(None, lambda m: m.generate(messages, config, sample=sample))()
        try:
            gen = await attempt.call()
        except BaseException as exc:
            attempt.finish(exc)
            raise
        attempt.finish(None)
        return gen

    def stats(self) -> list[dict[str, Any]]:
        return [r.stats() for r in self.replicas]

    async def aclose(self) -> None:
        mon, self._monitor = self._monitor, None
        if mon is not None and not mon.done():
            mon.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await mon
        for r in self.replicas:
            await r.model.aclose()


def replica_pool(
    build: Callable[[ModelOptions], Model], options: ModelOptions, urls: Sequence[str]
) -> Model:
    """One backend per URL (each built with its own ``base_url``), pooled when more than one."""
    from dataclasses import replace

    if len(urls) == 1:
        return build(replace(options, base_url=urls[0], base_urls=()))
    return ReplicaPool([build(replace(options, base_url=u, base_urls=())) for u in urls])
