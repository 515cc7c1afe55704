"""Streaming as behaviour: generating 2000 synth items needs no more memory than 200.

Memory, not time: tracemalloc counts the Python allocations alive at the peak while a task's
samples are iterated and dropped one by one. A generator that built its whole dataset (or cached
every image) would grow ten-fold between the two sizes.
"""

from __future__ import annotations

import tracemalloc

import pytest

from multitrust.data.base import SynthData
from multitrust.tasks import get_task
from tests.synth._synth import synth_ids

SMALL, LARGE = 200, 2000
# drawn pictures, typography with image pools, and statements expanded with unrelated variants
# (R.1, the slowest to generate, is covered by benchmarks/synth_memory.py)
TASKS = [t for t in ("T.6", "S.6", "F.2") if t in synth_ids()]


def _peak_while_streaming(task_id: str, size: int) -> tuple[int, int]:
    """(samples seen, peak traced bytes) for one pass over the task's samples."""
    spec = get_task(task_id)
    tracemalloc.start()
    try:
        task = spec.build(SynthData(seed=0, size=size))
        n = 0
        for sample in task.iter_samples():
            n += 1
            task.render(sample)
            for img in sample.images:
                img.read_bytes()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return n, peak


@pytest.mark.slow
@pytest.mark.parametrize("task_id", TASKS)
def test_memory_stays_flat_from_200_to_2000(task_id: str) -> None:
    # warm the process-wide caches (fonts, bundled photos, unrelated pools) outside the measurement
    _peak_while_streaming(task_id, 5)
    n_small, small = _peak_while_streaming(task_id, SMALL)
    n_large, large = _peak_while_streaming(task_id, LARGE)
    assert n_large >= 10 * n_small * 0.99, (n_small, n_large)
    assert large < 3 * small, (
        f"{task_id}: peak {large / 1e6:.1f} MB for {n_large} samples vs {small / 1e6:.1f} MB for "
        f"{n_small}: samples are being held"
    )
