"""Helpers shared by the scoring tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from multitrust.scoring.base import ScoreContext, Scorer
from multitrust.types import GenerateConfig, Generation, Message, Sample, Score


def sample(target: Any = None, text: str = "q", **meta: Any) -> Sample:
    return Sample(id="s1", text=text, target=target, meta=meta)


def score(
    scorer: Scorer,
    output: str,
    target: Any = None,
    *,
    profile: str = "corrected",
    ctx: ScoreContext | None = None,
    **meta: Any,
) -> Score:
    c = ctx or ScoreContext(profile=profile)
    return asyncio.run(scorer(sample(target, **meta), output, c))


class FakeJudge:
    """Answers every call with a fixed reply (or failure) and records the prompts."""

    def __init__(self, reply: str | None, error: str | None = None) -> None:
        self.reply = reply
        self.error = error
        self.calls: list[Sequence[Message]] = []

    async def __call__(
        self, messages: Sequence[Message], config: GenerateConfig | None = None
    ) -> Generation:
        self.calls.append(list(messages))
        if self.error is not None:
            return Generation.failure(self.error, "server")
        return Generation(self.reply)
