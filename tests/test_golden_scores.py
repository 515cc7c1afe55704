"""Every task's score, CI and metrics equal the stored golden snapshot (before/after refactors).

The snapshot covers the synthetic suite and the official-layout fixture under several scripted
models and judges (``tests/golden``). A change that moves any score fails here; a named bug fix
that must move one regenerates the snapshot (``python scripts/regen_golden_scores.py``) in the
same commit and says why in the message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden import (
    OFFICIAL_FILE,
    SYNTH_FILE,
    differences,
    snapshot_official,
    snapshot_synth,
)


@pytest.mark.parametrize(
    ("path", "make"),
    [(SYNTH_FILE, snapshot_synth), (OFFICIAL_FILE, snapshot_official)],
    ids=["synth", "official"],
)
def test_scores_equal_the_golden_snapshot(path: Path, make: object) -> None:
    expected = json.loads(path.read_text())
    actual = json.loads(json.dumps(make()))  # type: ignore[operator]
    diffs = differences(expected, actual)
    assert not diffs, f"{len(diffs)} differences from {path.name}:\n" + "\n".join(diffs[:40])


def test_the_comparison_catches_a_moved_score() -> None:
    base = {"m": {"T.1": {"score": 50.0, "ci": [40.0, 60.0], "metrics": {"a": float("nan")}}}}
    assert differences(base, json.loads(json.dumps(base))) == []
    moved = {
        "m": {"T.1": {"score": 50.0 + 1e-9, "ci": [40.0, 60.0], "metrics": {"a": float("nan")}}}
    }
    assert differences(base, moved) == ["/m/T.1/score: 50.0 -> 50.000000001"]
    gone: dict[str, dict[str, object]] = {"m": {}}
    assert differences(base, gone) == ["/m/T.1: missing now"]
    status = {"m": {"T.1": {**base["m"]["T.1"], "score": None}}}
    assert differences(base, status) == ["/m/T.1/score: 50.0 -> None"]
