"""A call that runs past the timeout is an error: recorded with its cause, never scored (not an
empty answer, which a yes/no rule would read as "no"), and asked again on rerun."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from multitrust import evaluate
from multitrust.errors import CallTimeout
from multitrust.store import Store
from multitrust.types import GenerateConfig, Generation, Message, Sample
from tests.engine.test_engine import CountingModel


class HangingModel(CountingModel):
    """Answers like CountingModel but never answers "Is 3 even?" (or raises CallTimeout for
    "Is 5 even?", as the HTTP backends do when their own read times out)."""

    def __init__(self) -> None:
        super().__init__()
        self.cancelled = 0

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        text = messages[-1].text
        if "Is 3 even?" in text:
            self.calls += 1
            try:
                await asyncio.Event().wait()  # never set: only the engine's timeout ends this
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        if "Is 5 even?" in text:
            self.calls += 1
            raise CallTimeout("read timed out")
        return await super().generate(messages, config, sample=sample)


def test_a_timeout_is_an_error_not_an_empty_answer(toy_task: str, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    hang = HangingModel()
    r1 = evaluate(hang, toy_task, db=db, size=8, timeout_s=0.2, max_attempts=1, bootstrap=0)
    assert hang.cancelled == 2  # the two variants of sample 3 were cut off, not left running
    oc = r1.tasks[toy_task]
    assert oc.n_errors == 4  # samples 3 and 5, two variants each
    assert oc.n == 12  # only the 12 answers are scored
    with Store(db) as st:
        rows = {(r.sample_id, r.variant): r for r in st.iter_results(r1.run_id, toy_task)}
    failed = [r for r in rows.values() if r.error is not None]
    assert sorted({r.sample_id for r in failed}) == ["toy-3", "toy-5"]
    for r in failed:
        assert r.error_kind == "timeout"
        assert r.values is None and r.label is None and r.output is None
    # the score is the formula over the answered samples only
    good = CountingModel()
    r2 = evaluate(good, toy_task, db=db, size=8, bootstrap=0)
    assert good.calls == 4  # only the timed-out ones are asked again
    assert r2.tasks[toy_task].n == 16 and r2.tasks[toy_task].n_errors == 0
    clean = evaluate(CountingModel(), toy_task, db=tmp_path / "clean.db", size=8, bootstrap=0)
    assert r2.tasks[toy_task].score == clean.tasks[toy_task].score
