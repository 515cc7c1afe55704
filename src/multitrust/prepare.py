"""Ahead-of-time preparation: draw tasks' synthetic streams into the cache before a run, or
export them as a dataset.

Behind ``multitrust data synth`` (and its ``--export DIR``). It sits above ``tasks`` because the stream it stores is the
*task's* (variants expanded, capped and built by the task), not a generator's raw output; the
cache it fills (:mod:`multitrust.data.synth_cache`) stays below, knowing nothing of tasks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from multitrust.data.base import SynthData
from multitrust.data.synth_cache import SynthCache
from multitrust.tasks import SUB_ASPECT_NAMES, get_task

if TYPE_CHECKING:  # pragma: no cover
    from multitrust.data.dataset_export import TaskExport


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
    out = _in_processes(_draw_task, work, jobs, lambda r: on_done(*r) if on_done else None)
    return sorted(out, key=lambda r: -r[3])


J = TypeVar("J")
R = TypeVar("R")


def _in_processes(
    fn: Callable[[J], R], work: list[J], jobs: int, on_done: Callable[[R], None]
) -> list[R]:
    """``fn`` over ``work``, ``jobs`` at a time in separate processes (in this one when 1)."""
    out: list[R] = []
    if jobs <= 1 or len(work) <= 1:
        for job in work:
            out.append(fn(job))
            on_done(out[-1])
        return out
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn: a clean interpreter per worker, never a fork of a process with threads
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = [pool.submit(fn, job) for job in work]
        for fut in as_completed(futures):
            out.append(fut.result())
            on_done(out[-1])
    return out


# --------------------------------------------------------------------------- the dataset


def _export_task(job: tuple[str, int, int, str | None, str]) -> TaskExport:
    """Write one task's rows under the export folder (run in a worker process): its samples
    as the engine gets them (through the synthetic cache when there is one) and its messages
    as ``Task.messages`` builds them for a run."""
    from multitrust.data.dataset_export import TaskInfo, sample_row, write_task

    task_id, seed, size, root, folder = job
    spec = get_task(task_id)
    cache = SynthCache(root) if root is not None else None
    task = spec.build(SynthData(seed=seed, size=size, cache=cache))
    info = TaskInfo(
        spec.id, spec.name, spec.aspect, spec.sub_aspect, SUB_ASPECT_NAMES[spec.sub_aspect]
    )
    config = task.config.key()
    rows = (sample_row(info, s, task.messages(s), config) for s in task.iter_samples())
    return write_task(Path(folder), info, rows)


def export(
    task_ids: Iterable[str],
    dest: Path,
    *,
    seed: int,
    size: int,
    root: str | Path | None,
    jobs: int = 1,
    left_out: Mapping[str, str] | None = None,
    selection: str | None = None,
    on_done: Callable[[TaskExport], None] | None = None,
) -> list[TaskExport]:
    """Export the tasks' synthetic samples to ``dest`` as a dataset (Parquet shards and a card;
    see :mod:`multitrust.data.dataset_export`), ``jobs`` tasks at a time. ``dest`` appears only
    once complete. ``left_out``: tasks not exported, with why (named in the card)."""
    from multitrust._version import __version__
    from multitrust.data.dataset_export import card, staging
    from multitrust.data.synth_cache import build_identity, library_versions

    ids = list(task_ids)
    order = {t: get_task(t).number for t in ids}
    with staging(dest) as folder:
        work = [(t, seed, size, str(root) if root is not None else None, str(folder)) for t in ids]
        done = _in_processes(_export_task, work, jobs, on_done or (lambda _: None))
        done.sort(key=lambda e: order[e.task.id])
        import pyarrow

        generator: dict[str, Any] = {
            "multitrust": __version__,
            "build": build_identity(),
            # the Parquet bytes are pyarrow's (its version is in every file's created_by)
            "writer": f"pyarrow {pyarrow.__version__}",
            "libraries": list(library_versions()),
        }
        text = card(
            done,
            seed=seed,
            size=size,
            generator=generator,
            left_out=dict(left_out or {}),
            selection=selection,
        )
        (folder / "README.md").write_text(text, encoding="utf-8")
    return done
