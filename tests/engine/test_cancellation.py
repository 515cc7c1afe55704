"""A cancellation (Ctrl-C, SIGTERM, a notebook's stop button) always ends the run.

Python 3.10/3.11's ``asyncio.wait_for`` returned the inner result when the inner call finished in
the same loop turn as the caller was cancelled, losing the cancellation; an engine worker hit that
way went on taking items and a Ctrl-C'd run never ended (seen under load in the managed-vLLM
SIGINT test). ``within`` replaces every time limit, and the worker loop ends on a cancellation a
backend swallowed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from multitrust._aio import within, within_by_wait
from multitrust.api import evaluate_async
from multitrust.models.base import Model
from multitrust.store import Store
from multitrust.types import GenerateConfig, Generation, Message, Sample

WITHIN = pytest.mark.parametrize("limit", [within, within_by_wait], ids=["within", "by_wait"])


@WITHIN
def test_within_raises_the_callers_cancellation_when_the_call_finishes_in_the_same_turn(
    limit: Any,
) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        inner: asyncio.Future[int] = loop.create_future()
        outer = asyncio.create_task(limit(inner, 10))
        await asyncio.sleep(0)  # outer now waits on inner
        inner.set_result(1)  # the call finishes ...
        outer.cancel()  # ... in the very turn the caller is cancelled
        with pytest.raises(asyncio.CancelledError):
            await outer

    asyncio.run(main())


@WITHIN
def test_within_times_out_cancels_the_call_and_passes_results(limit: Any) -> None:
    async def main() -> None:
        cancelled = asyncio.Event()

        async def slow() -> int:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                cancelled.set()
                raise
            return 0

        with pytest.raises(asyncio.TimeoutError):
            await limit(slow(), 0.05)
        assert cancelled.is_set()

        async def quick() -> int:
            await asyncio.sleep(0)
            return 7

        assert await limit(quick(), 5) == 7
        assert await within(quick(), None) == 7

    asyncio.run(main())


class SwallowingModel(Model):
    """A backend bug: it catches the cancellation and answers anyway."""

    provider = "test"

    def __init__(self) -> None:
        super().__init__("swallower")
        self.calls = 0
        self.started = asyncio.Event()

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        self.calls += 1
        self.started.set()
        with contextlib.suppress(asyncio.CancelledError):  # swallowed
            await asyncio.sleep(0.05)
        return Generation(text="Yes", latency_s=0.05)


def test_a_cancelled_run_ends_even_when_the_backend_swallows_the_cancellation(
    toy_task: str, tmp_path: Path
) -> None:
    model = SwallowingModel()

    async def main() -> None:
        run = asyncio.create_task(
            evaluate_async(model, toy_task, db=tmp_path / "s.db", size=400, max_connections=2)
        )
        await model.started.wait()
        await asyncio.sleep(0.2)
        run.cancel()
        # without the worker's check the swallowing workers take the next item, forever
        done, _ = await asyncio.wait({run}, timeout=20)
        assert done, "the cancelled run is still going"
        with pytest.raises(asyncio.CancelledError):
            run.result()

    asyncio.run(main())
    calls = model.calls
    assert 0 < calls < 100  # 400 items (+ unrelated ones) queued: it stopped early
    with Store(tmp_path / "s.db", read_only=True) as store:
        (info,) = store.runs()
        assert info.status == "interrupted"
