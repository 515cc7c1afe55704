"""Ahead-of-time preparation: draw tasks' synthetic streams into the cache before a run.

Behind ``multitrust data synth``. It sits above ``tasks`` because the stream it stores is the
*task's* (variants expanded, capped and built by the task), not a generator's raw output; the
cache it fills (:mod:`multitrust.data.synth_cache`) stays below, knowing nothing of tasks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from multitrust.data.base import SynthData
from multitrust.data.synth_cache import SynthCache
from multitrust.tasks import get_task


def _draw_task(job: tuple[str, int, int, str]) -> tuple[str, int, bool, float]:
    """Draw one task's stream into the cache (run in a worker process)."""
    task_id, seed, size, root = job
    started = time.process_time()
    cache = SynthCache(root)
    spec = get_task(task_id)
    n = sum(1 for _ in spec.build(SynthData(seed=seed, size=size, cache=cache)).iter_samples())
    return task_id, n, cache.hits > 0, time.process_time() - started


def prepare(
    task_ids: Iterable[str],
    *,
    seed: int,
    size: int,
    root: str | Path,
    jobs: int = 1,
    on_done: Callable[[str, int, bool, float], None] | None = None,
) -> list[tuple[str, int, bool, float]]:
    """Draw the tasks' synthetic streams into the cache under ``root`` ahead of a run, ``jobs``
    tasks at a time in separate processes (drawing is CPU-bound Python and Pillow work).
    Returns ``(task, samples, already cached, CPU seconds)`` per task, slowest first."""
    work = [(t, seed, size, str(root)) for t in task_ids]
    out: list[tuple[str, int, bool, float]] = []
    if jobs <= 1 or len(work) <= 1:
        for job in work:
            out.append(_draw_task(job))
            if on_done is not None:
                on_done(*out[-1])
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # spawn: a clean interpreter per worker, never a fork of a process with threads
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
            futures = [pool.submit(_draw_task, job) for job in work]
            for fut in as_completed(futures):
                out.append(fut.result())
                if on_done is not None:
                    on_done(*out[-1])
    return sorted(out, key=lambda r: -r[3])
