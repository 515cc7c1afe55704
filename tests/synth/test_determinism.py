"""Every synth task builds, streams, and is a pure function of its seed.

Parametrised over the registry, so a task that lands later is covered without editing this file.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from multitrust.data.base import SynthData
from multitrust.tasks import get_task
from tests.synth._synth import digest, iter_fingerprints, synth_ids

pytestmark = (
    pytest.mark.slow
)  # every synth task built and hashed per seed, and once more in a subprocess

SIZE = 3
SYNTH_IDS = synth_ids()
REPO = Path(__file__).resolve().parents[2]


def _base_ids(task_id: str, size: int) -> set[str]:
    task = get_task(task_id).build(SynthData(seed=0, size=size))
    return {s.id.split("#", 1)[0] for s in task.iter_samples()}


def test_some_tasks_are_synth() -> None:
    # the synth suite is the offline path: most of the 32 tasks must be generated
    assert len(SYNTH_IDS) >= 20, SYNTH_IDS


@pytest.mark.parametrize("task_id", SYNTH_IDS)
def test_builds_and_streams(task_id: str) -> None:
    task = get_task(task_id).build(SynthData(seed=0, size=SIZE))
    stream = task.iter_samples()
    # a factory returning a lazy iterator, not a list: --size 2000 must not materialise anything
    assert isinstance(stream, Iterator), f"{task_id}: samples() returned {type(stream).__name__}"
    uids: set[str] = set()
    n = 0
    for sample in stream:
        n += 1
        assert sample.uid not in uids, f"{task_id}: duplicate sample {sample.uid}"
        uids.add(sample.uid)
        prompt = task.render(sample)
        assert prompt.strip(), f"{task_id}: empty prompt for {sample.uid}"
        json.dumps(sample.target)  # targets and meta go to the store as JSON
        json.dumps(dict(sample.meta))
        for img in sample.images:
            data = img.read_bytes()
            assert hashlib.sha256(data).hexdigest() == img.sha256, (
                f"{task_id}: hash mismatch {sample.uid}"
            )
            assert img.mime.startswith("image/")
            w, h = img.load().size
            assert w >= 16 and h >= 16, f"{task_id}: {w}x{h} image in {sample.uid}"
    assert n >= SIZE, f"{task_id}: only {n} samples at size {SIZE}"


@pytest.mark.parametrize("task_id", SYNTH_IDS)
def test_size_counts_base_items(task_id: str) -> None:
    """``size`` scales the number of base items linearly (variants of one item share its id)."""
    one, three = _base_ids(task_id, 1), _base_ids(task_id, 3)
    assert len(one) >= 1
    assert len(three) == 3 * len(one), (
        f"{task_id}: {len(one)} base items at size 1, {len(three)} at 3"
    )


@pytest.mark.parametrize("task_id", SYNTH_IDS)
def test_same_seed_is_byte_identical(task_id: str) -> None:
    first = list(iter_fingerprints(task_id, seed=0, size=SIZE))
    second = list(iter_fingerprints(task_id, seed=0, size=SIZE))
    assert len(first) == len(second)
    for a, b in zip(first, second, strict=True):
        assert a == b, f"{task_id}: {a['uid']} differs between two builds with seed 0"


@pytest.mark.parametrize("task_id", SYNTH_IDS)
def test_other_seed_differs(task_id: str) -> None:
    zero = list(iter_fingerprints(task_id, seed=0, size=SIZE))
    one = list(iter_fingerprints(task_id, seed=1, size=SIZE))
    assert zero != one, f"{task_id}: seed 1 generated exactly what seed 0 did"
    images0 = [h for fp in zero for h in fp["images"]]
    images1 = [h for fp in one for h in fp["images"]]
    if images0:
        assert images0 != images1, f"{task_id}: seed 1 drew the same pictures as seed 0"


_CHILD = """
import json, sys
from tests.synth._synth import digest
print(json.dumps({t: digest(t, seed=0, size=%d) for t in sys.argv[1:]}))
"""


def test_identical_in_another_process() -> None:
    """A fresh interpreter with another string-hash seed generates the same bytes.

    Catches generators that depend on ``set`` order or on state left by an earlier build.
    """
    env = {**os.environ, "PYTHONHASHSEED": "4242", "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD % SIZE, *SYNTH_IDS],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    mismatched = [t for t in SYNTH_IDS if theirs[t] != digest(t, seed=0, size=SIZE)]
    assert not mismatched, f"differ across processes: {mismatched}"
