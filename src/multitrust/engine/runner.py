"""The evaluation engine: stream samples of many tasks through a model, score, and store.

One producer walks the selected tasks and their sample streams, skipping what this run has
already scored (resume). A pool of workers takes items from a bounded queue, so memory stays
flat however many samples there are. Each worker looks the generation up in the cache, calls the
model through its endpoint's adaptive limiter and the retry policy when needed, scores the
answer (a judge goes through the same machinery), and hands rows to the writer, which commits
them in small batches. Local models get micro-batched by a :class:`Batcher` instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from multitrust.engine.batcher import Batcher
from multitrust.engine.limiter import LimiterRegistry
from multitrust.engine.retry import RetryPolicy, call_with_retry
from multitrust.errors import MultitrustError, RunAborted, StoreWriteError
from multitrust.models.base import Model
from multitrust.scoring.base import JudgeError, ScoreContext
from multitrust.store import ResultRow, Store
from multitrust.tasks.base import Task, TaskSpec
from multitrust.types import GenerateConfig, Generation, Image, Message, Sample, Score


def cache_key(
    model: Model, messages: Sequence[Message], config: GenerateConfig, sample: Sample | None = None
) -> str:
    """Hash of model identity + messages (image hashes, not pixels) + generation config."""
    parts: list[Any] = [model.cache_identity(), [m.key() for m in messages], config.key()]
    if model.needs_sample and sample is not None:
        parts.append([sample.target, sample.meta.get("ideal")])
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


_HOPELESS_HTTP = re.compile(r"HTTP (404|405|501)\b")
"""Statuses no retry can fix, whatever error class a backend gives them: no such path or model,
a method the server does not have, a server that does not implement the API."""


@dataclass
class Counters:
    requests: int = 0
    cached: int = 0
    skipped: int = 0
    scored: int = 0
    errors: int = 0
    judge_requests: int = 0
    retries: int = 0
    by_task: dict[str, int] = field(default_factory=dict)
    queued: int = 0
    """Items handed to the workers so far (resumed ones are not: they are ``skipped``)."""
    all_queued: bool = False
    """Every item is queued: ``queued`` is the run's total (progress displays show an ETA)."""


@dataclass
class WorkItem:
    spec: TaskSpec
    task: Task
    sample: Sample


class Writer:
    """Group commit: buffered rows are committed, one transaction per batch, as soon as the
    oldest of them is ``max_delay_s`` old or ``max_rows`` are waiting, whichever comes first.

    So a hard kill loses at most the answers of the last ``max_delay_s`` (plus what was in
    flight), while a busy run still writes few, large transactions. The delay is a timer on the
    running event loop; without one (a plain call) rows wait for ``max_rows`` or :meth:`flush`.

    A failed write (:class:`StoreWriteError`: a full disk …) is final: it is kept in
    :attr:`failed`, every later add or flush raises it again, and ``on_failure`` is called when
    it happened in the timer, where no caller would see it, so the engine stops the run.
    """

    def __init__(
        self, store: Store, run_id: str, *, max_rows: int = 256, max_delay_s: float = 0.05
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.max_rows = max_rows
        self.max_delay_s = max_delay_s
        self.gens: list[tuple[str, str, Generation]] = []
        self.results: list[ResultRow] = []
        self.images: list[tuple[str, str, str | None, bytes | None]] = []
        self.pending: dict[str, Generation] = {}
        self.failed: StoreWriteError | None = None
        self.on_failure: Callable[[StoreWriteError], None] | None = None
        self.commits = 0
        self._timer: asyncio.TimerHandle | None = None

    def add_generation(self, key: str, model_id: str, gen: Generation) -> None:
        self.check()
        self.gens.append((key, model_id, gen))
        if gen.ok:
            self.pending[key] = gen
        self._added()

    def add_result(self, row: ResultRow) -> None:
        self.check()
        self.results.append(row)
        self._added()

    def add_image(self, sha: str, mime: str, origin: str | None, thumb: bytes | None) -> None:
        self.check()
        self.images.append((sha, mime, origin, thumb))
        self._added()

    def check(self) -> None:
        """Raise the write failure, if there was one."""
        if self.failed is not None:
            raise self.failed

    def _added(self) -> None:
        if len(self.results) + len(self.gens) >= self.max_rows:
            self.flush()
        elif self._timer is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            self._timer = loop.call_later(self.max_delay_s, self._timed_flush)

    def _timed_flush(self) -> None:
        self._timer = None
        try:
            self.flush()
        except StoreWriteError as exc:
            if self.on_failure is not None:
                self.on_failure(exc)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.check()
        if self.gens or self.results or self.images:
            try:
                self.store.write_batch(
                    self.gens, self.results, self.images, heartbeat_run=self.run_id
                )
            except StoreWriteError as exc:
                self.failed = exc
                raise
            self.commits += 1
            self.gens, self.results, self.images = [], [], []
            self.pending.clear()


def _retrieve(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled():
        fut.exception()


async def _cancel_all(tasks: Sequence[asyncio.Task[None] | None]) -> None:
    """Cancel ``tasks`` and wait for them, collecting their outcomes (a task that failed at the
    same moment as another must not be reported later as "exception never retrieved")."""
    live = [t for t in tasks if t is not None]
    for t in live:
        t.cancel()
    await asyncio.gather(*live, return_exceptions=True)


OnScored = Callable[[str, Sample, Score], Awaitable[None]]
"""Called with (task id, sample, score) for each scored sample before its row is written (the
API keeps the failure gallery's thumbnails this way)."""

#: Samples built per worker-thread step (and how far ahead of the queue building runs).
PREFETCH = 32


@dataclass
class EngineConfig:
    run_id: str
    profile: str = "corrected"
    limit: int | None = None
    max_connections: int = 32
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    secrets: tuple[str, ...] = ()
    defer_scoring: bool = False
    """Generate everything first, unload the model, then score (local models: a judge or
    classifier is never loaded alongside the model under test)."""
    stop_after_errors: int = 0
    """Stop the run (RunAborted) when its first this many model calls all fail with the same
    error no retry can fix (0: never; the CLI's --stop-after-errors)."""
    preflight_judge_late: bool = False
    """The judge runs on the device too: start it (``preflight``) in the scoring pass, after
    the model under test is stopped, not before the run."""


class Engine:
    def __init__(
        self,
        model: Model,
        store: Store,
        config: EngineConfig,
        *,
        judge: Model | None = None,
        resources: dict[str, Any] | None = None,
        on_progress: Callable[[str, Counters], None] | None = None,
        on_scored: OnScored | None = None,
    ) -> None:
        self.model = model
        self.judge = judge
        self.store = store
        self.cfg = config
        self.counters = Counters()
        self._first_errors: list[str] | None = []
        """The first model-call errors while no call has succeeded (None after a success)."""
        self.writer = Writer(store, config.run_id)
        self.limiters = LimiterRegistry(config.max_connections)
        self.on_progress = on_progress
        self.on_scored = on_scored
        self.inflight: dict[str, asyncio.Future[Generation]] = {}
        self.task_errors: dict[str, str] = {}
        self.ctx = ScoreContext(
            profile=config.profile,
            judge=self._judge_call if judge is not None else None,
            judge_id=judge.model_id if judge is not None else None,
            resources=resources or {},
        )
        self.batcher: Batcher | None = None
        self.judge_batcher: Batcher | None = None
        self.deferred: list[tuple[WorkItem, str, str, str]] = []

    # ---------------------------------------------------------------- generation
    async def _generate(
        self,
        model: Model,
        messages: list[Message],
        config: GenerateConfig,
        sample: Sample | None,
        *,
        judge: bool,
        key: str | None = None,
    ) -> Generation:
        key = key or cache_key(model, messages, config, sample)
        gen = self.writer.pending.get(key) or self.store.get_generation(key)
        if gen is not None:
            self.counters.cached += 1
            return gen
        fut = self.inflight.get(key)
        if fut is not None:  # the same request is already on its way: share it
            self.counters.cached += 1
            return await asyncio.shield(fut)
        fut = asyncio.get_running_loop().create_future()
        self.inflight[key] = fut
        try:
            batcher = self.judge_batcher if judge else self.batcher
            if judge:
                self.counters.judge_requests += 1
            else:
                self.counters.requests += 1
            if batcher is not None:
                gen = await batcher.submit(messages, config, sample)
            elif (pool := model.replica_pool()) is not None:
                # each attempt on the best replica, through that replica's own limiter
                smp = sample if model.needs_sample else None
                gen = await call_with_retry(
                    None,
                    limiter=None,
                    route=pool.router(
                        self.limiters, lambda m: m.generate(messages, config, sample=smp)
                    ),
                    policy=self.cfg.policy,
                    secrets=self.cfg.secrets,
                    on_retry=self._retried,
                )
            else:
                limiter = self.limiters.get(model.endpoint)

                def call() -> Any:
                    return model.generate(
                        messages, config, sample=sample if model.needs_sample else None
                    )

                gen = await call_with_retry(
                    call,
                    limiter=limiter,
                    policy=self.cfg.policy,
                    secrets=self.cfg.secrets,
                    on_retry=self._retried,
                )
            self.writer.add_generation(key, model.model_id, gen)
            fut.set_result(gen)
            return gen
        except BaseException as exc:
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()  # mark retrieved
            raise
        finally:
            self.inflight.pop(key, None)

    def _stop_if_hopeless(self, gen: Generation) -> None:
        """Stop the run (RunAborted) when its first ``stop_after_errors`` model calls all failed with
        the same error that retrying cannot fix, instead of failing every item the same way."""
        n = self.cfg.stop_after_errors
        if self._first_errors is None or n < 1:
            return
        error = gen.error or ""
        if gen.error_kind not in ("auth", "bad_request") and not _HOPELESS_HTTP.match(error):
            self._first_errors = None  # a transient failure first: leave it to the retries
            return
        self._first_errors.append(error)
        if len(set(self._first_errors)) > 1:
            self._first_errors = None
        elif len(self._first_errors) >= n:
            raise RunAborted(
                f"stopped: the first {n} requests all failed with {error[:300]} "
                f"(retrying cannot fix this: check the model name, --base-url and the key)"
            )

    def _retried(self, exc: Exception) -> None:
        self.counters.retries += 1

    async def _judge_call(
        self, messages: Sequence[Message], config: GenerateConfig | None = None
    ) -> Generation:
        assert self.judge is not None
        cfg = config or GenerateConfig(max_tokens=512)
        return await self._generate(self.judge, list(messages), cfg, None, judge=True)

    # ---------------------------------------------------------------- one item
    async def process(self, item: WorkItem) -> None:
        task, sample = item.task, item.sample
        try:
            messages = task.messages(sample)
            prompt = messages[-1].text
        except MultitrustError as exc:
            self._record_error(item, "", None, str(exc), "input")
            return
        key = cache_key(self.model, messages, task.config, sample)
        gen = await self._generate(self.model, messages, task.config, sample, judge=False, key=key)
        if not gen.ok:
            self._record_error(
                item, prompt, key, gen.error or "unknown error", gen.error_kind or "other"
            )
            self._stop_if_hopeless(gen)
            return
        self._first_errors = None  # one answer: the endpoint works
        text = gen.text or ""
        if self.cfg.defer_scoring:
            # local model: score after the generation pass, once the model has been unloaded;
            # keep no pixels meanwhile (scorers read text, target and meta)
            light = replace(
                sample,
                images=tuple(
                    Image(i.sha256, i.mime, i.path, None, i.origin) for i in sample.images
                ),
            )
            self.deferred.append((WorkItem(item.spec, task, light), prompt, key, text))
            return
        await self.score_item(item, prompt, key, text)

    async def score_item(self, item: WorkItem, prompt: str, key: str, text: str) -> None:
        """Score one answer and write its row; a scorer that fails leaves an error row (the
        sample is retried on a rerun), never a score."""
        spec, task, sample = item.spec, item.task, item.sample
        try:
            score = await task.scorer(sample, text, self.ctx)
        except JudgeError as exc:
            self._record_error(item, prompt, key, f"judge: {exc}", "judge", output=text)
            return
        except MultitrustError as exc:
            self._record_error(item, prompt, key, f"scorer: {exc}", "scorer", output=text)
            return
        except Exception as exc:
            self._record_error(
                item,
                prompt,
                key,
                f"scorer {task.scorer.name}: {type(exc).__name__}: {exc}",
                "scorer",
                output=text,
            )
            return
        if self.on_scored is not None:
            await self.on_scored(spec.id, sample, score)
        self.writer.add_result(
            ResultRow.asked(self.cfg.run_id, spec.id, sample, gen_key=key, prompt=prompt).scored(
                text, score, task.scorer.name
            )
        )
        self.counters.scored += 1
        self.counters.by_task[spec.id] = self.counters.by_task.get(spec.id, 0) + 1
        if self.on_progress:
            self.on_progress(spec.id, self.counters)

    def _record_error(
        self,
        item: WorkItem,
        prompt: str,
        key: str | None,
        error: str,
        kind: str,
        *,
        output: str | None = None,
    ) -> None:
        self.writer.add_result(
            ResultRow.asked(
                self.cfg.run_id, item.spec.id, item.sample, gen_key=key, prompt=prompt
            ).failed(error, kind, output)
        )
        self.counters.errors += 1
        if self.on_progress:
            self.on_progress(item.spec.id, self.counters)

    # ---------------------------------------------------------------- the run
    async def run(self, tasks: Sequence[tuple[TaskSpec, Task]]) -> None:
        # more workers than connections: a worker sleeping in retry backoff must not idle a slot
        workers_n = 2 * self.cfg.max_connections
        pool = self.model.replica_pool()
        if pool is not None:  # --max-connections is per replica
            workers_n *= pool.width
        batch_task: asyncio.Task[None] | None = None
        judge_batch_task: asyncio.Task[None] | None = None
        if not self.model.concurrent or self.model.max_batch_size > 1:
            self.batcher = Batcher(self.model, self.model.max_batch_size)
            batch_task = asyncio.create_task(self.batcher.run())
            workers_n = max(2, 2 * self.model.max_batch_size)
        if self.judge is not None and (not self.judge.concurrent or self.judge.max_batch_size > 1):
            self.judge_batcher = Batcher(self.judge, self.judge.max_batch_size)
            judge_batch_task = asyncio.create_task(self.judge_batcher.run())
        queue: asyncio.Queue[WorkItem | None] = asyncio.Queue(maxsize=max(64, 2 * workers_n))

        async def worker() -> None:
            me = asyncio.current_task()
            while True:
                # a cancellation a backend swallowed (it caught CancelledError, or a 3.10/3.11
                # wait_for lost it) still ends the worker: it must not go on taking items
                if me is not None and getattr(me, "cancelling", lambda: 0)():
                    raise asyncio.CancelledError
                item = await queue.get()
                if item is None:
                    return
                try:
                    await self.process(item)
                except (StoreWriteError, RunAborted):
                    raise  # the store cannot keep anything more: the run stops
                except Exception as exc:  # never lose the run to one bad item
                    self._record_error(
                        item, "", None, f"internal: {type(exc).__name__}: {exc}", "other"
                    )

        async def produce() -> None:
            for spec, task in tasks:
                await self._produce(spec, task, queue)
            self.counters.all_queued = True
            if self.on_progress and tasks:
                self.on_progress(tasks[-1][0].id, self.counters)
            for _ in workers:
                await queue.put(None)

        workers = [asyncio.create_task(worker()) for _ in range(workers_n)]
        producer = asyncio.create_task(produce())
        try:
            await self._until_done([producer, *workers])
            if self.deferred:
                await self._scoring_pass()
        finally:
            await _cancel_all([producer, *workers, batch_task, judge_batch_task])
            if self.writer.failed is None:
                self.writer.flush()
        self.writer.check()  # a timed write that failed while the tasks were being wound up

    async def _until_done(self, tasks: Sequence[asyncio.Task[None]]) -> None:
        """Wait for ``tasks``; if one fails, or the writer fails in its timer, raise at once
        (the caller cancels the rest). Without this a failed store would leave the producer
        waiting forever on a queue that no worker drains."""
        loop = asyncio.get_running_loop()
        stop: asyncio.Future[None] = loop.create_future()

        def writer_failed(exc: StoreWriteError) -> None:
            if not stop.done():
                stop.set_result(None)

        self.writer.on_failure = writer_failed
        # one future for all of them (gather fails as soon as one does), so a scoring pass of
        # thousands of tasks is not re-registered with asyncio.wait after every completion
        together = asyncio.gather(*tasks)
        try:
            self.writer.check()
            either: set[asyncio.Future[Any]] = {together, stop}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            self.writer.check()
            together.result()  # raises the first task's failure
        finally:
            self.writer.on_failure = None
            if not stop.done():
                stop.cancel()
            if not together.done():
                together.cancel()
            # its outcome is the tasks' (the caller collects those): never "never retrieved"
            together.add_done_callback(_retrieve)

    async def _scoring_pass(self) -> None:
        """Score what the generation pass left, after freeing the model under test."""
        self.writer.flush()
        await self.model.aclose()
        if self.judge is not None and self.cfg.preflight_judge_late:
            await self.judge.preflight()
        pending = self.deferred
        self.deferred = []
        sem = asyncio.Semaphore(max(4, self.cfg.max_connections))

        async def one(entry: tuple[WorkItem, str, str, str]) -> None:
            async with sem:
                try:
                    await self.score_item(*entry)
                except (StoreWriteError, RunAborted):
                    raise
                except Exception as exc:  # never lose the run to one bad item
                    self._record_error(
                        entry[0],
                        entry[1],
                        entry[2],
                        f"internal: {type(exc).__name__}: {exc}",
                        "other",
                    )

        scorers = [asyncio.create_task(one(e)) for e in pending]
        try:
            await self._until_done(scorers)
        finally:
            await _cancel_all(scorers)

    async def _produce(
        self, spec: TaskSpec, task: Task, queue: asyncio.Queue[WorkItem | None]
    ) -> None:
        """Queue the task's samples. They are built in a worker thread, a batch ahead of the
        requests that need them, so rendering and encoding synthetic images (PIL and zlib
        release the GIL) never stall the event loop that drives the requests."""
        done = self.store.done_keys(self.cfg.run_id, spec.id)
        limit = self.cfg.limit
        taken = 0
        samples: Iterator[Sample] | None = None

        def take(n: int) -> tuple[list[Sample], BaseException | None]:
            nonlocal samples
            got: list[Sample] = []
            try:
                if samples is None:
                    samples = iter(task.iter_samples())
                got.extend(itertools.islice(samples, n))
            except Exception as exc:  # the samples before it are still queued, as before
                return got, exc
            return got, None

        def prefetch() -> asyncio.Future[tuple[list[Sample], BaseException | None]] | None:
            nonlocal taken
            n = PREFETCH if limit is None else min(PREFETCH, limit - taken)
            if n <= 0:
                return None
            taken += n
            return asyncio.ensure_future(asyncio.to_thread(take, n))

        try:
            pending = prefetch()
            while pending is not None:
                batch, failure = await pending
                full = failure is None and len(batch) == PREFETCH
                pending = prefetch() if full else None
                for sample in batch:
                    if (sample.id, sample.variant) in done:
                        self.counters.skipped += 1
                        continue
                    await queue.put(WorkItem(spec, task, sample))
                    self.counters.queued += 1
                if failure is not None:
                    raise failure
        except MultitrustError as exc:
            self.task_errors[spec.id] = str(exc)
        except (
            Exception
        ) as exc:  # a loader bug or an undecodable file: fail this task, keep the run
            self.task_errors[spec.id] = f"{type(exc).__name__} while reading the data: {exc}"
