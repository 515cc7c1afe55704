"""Engine behaviour: caching, resume, errors never scored, retries, batching, concurrency."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.errors import BadRequest, Overloaded, RateLimited, StoreBusy
from multitrust.models.base import Model
from multitrust.store import Store
from multitrust.types import GenerateConfig, Generation, Message, Sample


class CountingModel(Model):
    """Answers 'Yes'/'No' from the prompt; can fail chosen samples."""

    provider = "test"

    def __init__(
        self, *, fail_ids: Sequence[str] = (), transient_fails: int = 0, exc: type = BadRequest
    ) -> None:
        super().__init__("counting")
        self.calls = 0
        self.fail_ids = set(fail_ids)
        self.transient_left = transient_fails
        self.exc = exc
        self.in_flight = 0
        self.peak = 0

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(0.001)
            text = messages[-1].text
            if any(f"Is {i} even?" in text for i in self.fail_ids):
                raise self.exc("boom")
            if self.transient_left > 0:
                self.transient_left -= 1
                raise Overloaded("503 overloaded", retry_after=0.0)
            n = int(text.split("Is ")[1].split(" ")[0])
            return Generation("Yes." if n % 2 == 0 else "No.", output_tokens=1)
        finally:
            self.in_flight -= 1


def test_rerun_of_finished_run_makes_zero_calls(toy_task: str, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    m = CountingModel()
    r1 = evaluate(m, toy_task, db=db, size=12)
    assert m.calls == 24  # 12 samples x (text + unrelated-color)
    assert r1.tasks[toy_task].n == 24
    m2 = CountingModel()
    r2 = evaluate(m2, toy_task, db=db, size=12)
    assert m2.calls == 0
    assert r2.counters.skipped == 24
    assert r2.tasks[toy_task].score == r1.tasks[toy_task].score


def test_generation_cache_shared_across_runs(toy_task: str, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    evaluate(CountingModel(), toy_task, db=db, size=5)
    m = CountingModel()
    # another profile is another run, but the model outputs come from the cache
    r = evaluate(m, toy_task, db=db, size=5, profile="official")
    assert m.calls == 0
    assert r.counters.cached == 10


def test_errors_are_recorded_not_scored_and_retried_on_rerun(toy_task: str, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    bad = CountingModel(fail_ids=["3", "4"])
    r1 = evaluate(bad, toy_task, db=db, size=8)
    oc = r1.tasks[toy_task]
    assert oc.n_errors == 4  # two samples x two variants
    assert oc.n == 12
    assert bad.calls == 16  # permanent errors are not retried
    with Store(db) as st:
        rows = list(st.iter_results(r1.run_id, toy_task))
    errs = [r for r in rows if r.error]
    assert len(errs) == 4
    assert all(r.values is None and r.label is None for r in errs)
    assert all("bad_request" in (r.error or "") for r in errs)
    good = CountingModel()
    r2 = evaluate(good, toy_task, db=db, size=8)
    assert good.calls == 4  # only the errored ones
    assert r2.tasks[toy_task].n == 16 and r2.tasks[toy_task].n_errors == 0


def test_transient_errors_are_retried(toy_task: str, tmp_path: Path) -> None:
    m = CountingModel(transient_fails=3)
    r = evaluate(m, toy_task, db=tmp_path / "s.db", size=4, max_connections=1)
    assert r.tasks[toy_task].n == 8
    assert r.counters.errors == 0
    assert r.counters.retries == 3


def test_rate_limit_exhaustion_becomes_error(toy_task: str, tmp_path: Path) -> None:
    m = CountingModel(fail_ids=["1"], exc=RateLimited)
    r = evaluate(m, toy_task, db=tmp_path / "s.db", size=2, max_attempts=2, rate_limit_budget_s=0.2)
    assert r.tasks[toy_task].n_errors == 2
    assert r.counters.errors == 2


def test_concurrency_is_bounded(toy_task: str, tmp_path: Path) -> None:
    m = CountingModel()
    evaluate(m, toy_task, db=tmp_path / "s.db", size=40, max_connections=4)
    assert 1 < m.peak <= 4


def test_oracle_scores_100_and_no_scores_50ish(toy_task: str, tmp_path: Path) -> None:
    r = evaluate("scripted/oracle", toy_task, db=tmp_path / "s.db", size=20)
    assert r.tasks[toy_task].score == 100.0
    r2 = evaluate("scripted/refuse", toy_task, db=tmp_path / "s.db", size=20)
    assert r2.tasks[toy_task].score == 0.0  # a refusal is never a yes/no answer


def test_results_rows_have_prompt_output_and_image_refs(toy_task: str, tmp_path: Path) -> None:
    r = evaluate("scripted/oracle", toy_task, db=tmp_path / "s.db", size=3)
    with Store(tmp_path / "s.db") as st:
        rows = list(st.iter_results(r.run_id, toy_task))
    img_rows = [x for x in rows if x.variant == "unrelated-color"]
    assert img_rows and all(
        len(x.images) == 1 and len(x.images[0]["sha256"]) == 64 for x in img_rows
    )
    assert all(x.prompt.endswith("Please answer [Yes] or [No].") for x in rows)
    assert all(x.output in ("Yes.", "No.") for x in rows)


def test_second_writer_on_same_run_is_refused(toy_task: str, tmp_path: Path) -> None:
    import os
    import time

    db = tmp_path / "s.db"
    r = evaluate("scripted/yes", toy_task, db=db, size=2)
    con = sqlite3.connect(db)
    # pretend a live process (our parent) owns the run and is writing right now
    con.execute(
        "UPDATE runs SET status='running', owner=?, heartbeat=? WHERE run_id=?",
        (f"{os.getppid()}@{__import__('socket').gethostname()}", time.time(), r.run_id),
    )
    con.commit()
    con.close()
    with pytest.raises(StoreBusy, match="another process"):
        evaluate("scripted/yes", toy_task, db=db, size=2)


def test_store_integrity_after_runs(toy_task: str, tmp_path: Path) -> None:
    evaluate("scripted/yes", toy_task, db=tmp_path / "s.db", size=5)
    with Store(tmp_path / "s.db") as st:
        assert st.integrity_ok()
