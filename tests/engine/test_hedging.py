"""A straggling replica is hedged: the attempt goes once more to an idle replica, the first
answer wins, the loser is cancelled and the straggler is charged (#18.13: a hung replica held a
run for the whole 120 s timeout while a healthy one sat idle)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from multitrust import evaluate
from multitrust._limiter import LimiterRegistry
from multitrust.errors import ServerError
from multitrust.models.base import Model
from multitrust.models.replicas import ReplicaPool
from multitrust.types import GenerateConfig, Generation, Message, Sample

CFG = GenerateConfig(max_tokens=8)


class Replica(Model):
    """An in-process endpoint: answers at once, or hangs / fails while told to."""

    provider = "test"

    def __init__(self, tag: str) -> None:
        super().__init__("same-model")
        self.tag = tag
        self.hang = False
        self.fail = False
        self.cancelled = 0
        self.calls = 0
        self.release = asyncio.Event()

    @property
    def endpoint(self) -> str:
        return f"test://{self.tag}"

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        self.calls += 1
        if self.fail:
            raise ServerError(f"{self.tag}: HTTP 500")
        if self.hang:
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        await asyncio.sleep(0)
        return Generation(text=f"answer from {self.tag}", latency_s=0.0)


def make_pool(**kw: Any) -> tuple[ReplicaPool, Replica, Replica]:
    a, b = Replica("a"), Replica("b")
    kw.setdefault("check_interval_s", 0)
    kw.setdefault("hedge_min_s", 0.05)
    kw.setdefault("hedge_min_samples", 4)
    return ReplicaPool([a, b], **kw), a, b


async def warm_up(pool: ReplicaPool, n: int = 8) -> None:
    for i in range(n):
        gen = await pool.generate([Message("user", f"w{i}")], CFG)
        assert gen.ok


async def hung_on_a(pool: ReplicaPool, a: Replica) -> Generation:
    a.hang = True
    pool.replicas[1].outstanding = 5  # the router picks a first
    try:
        return await asyncio.wait_for(pool.generate([Message("user", "q")], CFG), 30)  # hang guard
    finally:
        pool.replicas[1].outstanding -= 5


def test_a_hung_attempt_is_answered_by_the_other_replica_and_the_straggler_charged() -> None:
    async def main() -> None:
        pool, a, _b = make_pool()
        assert pool.hedge_after_s() is None  # nothing known yet: no hedging
        await warm_up(pool)
        assert pool.hedge_after_s() == pytest.approx(0.05)  # the floor: answers are instant
        ra = pool.replicas[0]
        ok_before = ra.ok
        gen = await hung_on_a(pool, a)
        assert gen.text == "answer from b"
        assert a.cancelled == 1  # the straggling call is not left running
        assert (pool.hedges, pool.hedge_wins, ra.hedged_from) == (1, 1, 1)
        assert ra.faults == 1 and ra.consecutive_faults == 1 and ra.ok == ok_before
        assert "straggler" in (ra.last_error or "")
        assert ra.outstanding == 0 and pool.replicas[1].outstanding == 0
        # two more stragglers in a row take it out (eject_after = 3)
        await hung_on_a(pool, a)
        await hung_on_a(pool, a)
        assert not ra.healthy and ra.ejections == 1
        await pool.aclose()

    asyncio.run(main())


def test_no_hedge_without_another_healthy_replica_or_with_hedging_off() -> None:
    async def main() -> None:
        pool, a, b = make_pool(hedge_factor=None)
        await warm_up(pool)
        a.hang = True
        pool.replicas[1].outstanding = 5
        call = asyncio.ensure_future(pool.generate([Message("user", "q")], CFG))
        await asyncio.sleep(0.3)  # well past the 0.05 s a hedge would wait
        assert not call.done() and pool.hedges == 0 and b.calls == 4
        a.release.set()
        assert (await call).text == "answer from a"
        await pool.aclose()

    asyncio.run(main())


def test_the_original_answer_wins_when_the_hedge_fails_and_both_failing_is_the_originals_error() -> (
    None
):
    async def main() -> None:
        pool, a, b = make_pool()
        await warm_up(pool)
        b.fail = True
        a.hang = True
        pool.replicas[1].outstanding = 5
        call = asyncio.ensure_future(pool.generate([Message("user", "q")], CFG))
        while b.calls < 5:  # the hedge went out and failed
            await asyncio.sleep(0.01)
        a.release.set()
        gen = await asyncio.wait_for(call, 30)
        assert gen.text == "answer from a" and pool.hedge_wins == 0
        assert pool.replicas[1].faults == 1  # the failed duplicate is b's fault
        pool.replicas[1].outstanding -= 5
        # both fail: the original's error is the attempt's
        a.release.clear()
        a.fail = True
        pool.replicas[1].outstanding = 5
        with pytest.raises(ServerError, match="a: HTTP 500"):
            await pool.generate([Message("user", "q2")], CFG)
        await pool.aclose()

    asyncio.run(main())


def test_a_hedge_waits_for_room_in_the_other_replicas_limiter() -> None:
    async def main() -> None:
        pool, a, b = make_pool()
        limiters = LimiterRegistry(1)
        await warm_up(pool)
        full = limiters.get(b.endpoint)
        assert full.try_acquire() and not full.try_acquire()  # b's one slot is taken
        a.hang = True
        pool.replicas[1].outstanding = 5
        attempt = await pool.router(limiters, lambda m: m.generate([Message("user", "q")], CFG))()
        call = asyncio.ensure_future(attempt.call())
        await asyncio.sleep(0.3)
        assert not call.done() and pool.hedges == 0  # no room on b: no duplicate
        await full.release()  # a slot frees on b: the straggler is hedged there after all
        gen = await asyncio.wait_for(call, 30)  # hang guard
        assert gen.text == "answer from b" and pool.hedges == 1
        assert full.in_flight == 0  # the hedge's slot was given back
        attempt.finish(None)
        await pool.aclose()

    asyncio.run(main())


def test_a_run_with_a_hung_replica_finishes_every_item_without_errors(
    tmp_path: Path, toy_task: str
) -> None:
    pool, a, _b = make_pool()

    def hang_a_later(task_id: str, c: Any) -> None:
        if c.scored >= 10:
            a.hang = True  # a hangs for the rest of the run (until its ejection)

    rep = evaluate(
        pool,
        toy_task,
        db=tmp_path / "s.db",
        size=30,
        max_connections=2,
        timeout_s=600,
        on_progress=hang_a_later,
    )
    assert rep.counters.errors == 0 and rep.tasks[toy_task].n == 60
    assert pool.hedge_wins >= 1 and not pool.replicas[0].healthy


def test_when_the_original_answers_first_the_pending_duplicate_is_cancelled_uncharged() -> None:
    async def main() -> None:
        pool, a, b = make_pool()
        await warm_up(pool)
        a.hang = b.hang = True
        pool.replicas[1].outstanding = 5
        call = asyncio.ensure_future(pool.generate([Message("user", "q")], CFG))
        while b.calls < 5:  # the duplicate is out, and hangs too
            await asyncio.sleep(0.01)
        a.release.set()
        gen = await asyncio.wait_for(call, 30)  # hang guard
        assert gen.text == "answer from a"
        assert b.cancelled == 1 and a.cancelled == 0
        rb = pool.replicas[1]
        assert (pool.hedges, pool.hedge_wins) == (1, 0)
        assert rb.faults == 0 and rb.outstanding == 5  # only the test's own 5 remain
        assert pool.replicas[0].faults == 0  # the original answered: not charged
        await pool.aclose()

    asyncio.run(main())
