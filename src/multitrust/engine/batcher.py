"""Micro-batching for local models: single requests grouped into ``generate_batch`` calls."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from multitrust._aio import within
from multitrust.models.base import Model
from multitrust.types import GenerateConfig, Generation, Message, Sample


class Batcher:
    """Groups single requests into ``generate_batch`` calls for local models."""

    def __init__(self, model: Model, max_batch: int, *, max_wait_s: float = 0.005) -> None:
        self.model = model
        self.max_batch = max(1, max_batch)
        self.max_wait_s = max_wait_s
        self.queue: asyncio.Queue[
            tuple[list[Message], GenerateConfig, Sample | None, asyncio.Future[Generation]]
        ] = asyncio.Queue()
        self.batches = 0

    async def submit(
        self, messages: list[Message], config: GenerateConfig, sample: Sample | None
    ) -> Generation:
        fut: asyncio.Future[Generation] = asyncio.get_running_loop().create_future()
        await self.queue.put((messages, config, sample, fut))
        return await fut

    async def run(self) -> None:
        while True:
            first = await self.queue.get()
            items = [first]
            deadline = time.monotonic() + self.max_wait_s
            while len(items) < self.max_batch:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
                try:
                    items.append(await within(self.queue.get(), timeout))
                except asyncio.TimeoutError:
                    break
            by_cfg: dict[GenerateConfig, list[Any]] = {}
            for it in items:
                by_cfg.setdefault(it[1], []).append(it)
            for cfg, group in by_cfg.items():
                self.batches += 1
                started = time.perf_counter()
                try:
                    outs = await self.model.generate_batch(
                        [g[0] for g in group], cfg, samples=[g[2] for g in group]
                    )
                except Exception as exc:
                    outs = [exc] * len(group)
                per = (time.perf_counter() - started) / max(1, len(group))
                for g, out in zip(group, outs, strict=True):
                    if isinstance(out, Generation):
                        res = out
                    else:
                        kind = getattr(out, "kind", "other")
                        res = Generation.failure(f"{kind}: {out}", kind, per)
                    if not g[3].done():
                        g[3].set_result(res)
