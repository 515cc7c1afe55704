"""Every task's score, CI and metrics, every sub-aspect score and the overall score equal the
stored golden snapshot (before/after refactors).

The snapshot covers the synthetic suite and the official-layout fixture under several scripted
models and judges, scored under both profiles (``tests/golden``). A change that moves any score fails here; a named bug fix
that must move one regenerates the snapshot (``python scripts/regen_golden_scores.py``) in the
same commit and says why in the message.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden import (
    OFFICIAL_FILE,
    PROFILES,
    SYNTH_FILE,
    differences,
    snapshot_official,
    snapshot_synth,
)

CASES = [
    pytest.param(path, make, profile, id=f"{data}-data-{profile}-profile")
    for data, path, make in (
        ("synth", SYNTH_FILE, snapshot_synth),
        ("official", OFFICIAL_FILE, snapshot_official),
    )
    for profile in PROFILES
]


@pytest.mark.parametrize(("path", "make", "profile"), CASES)
def test_scores_equal_the_golden_snapshot(path: Path, make: object, profile: str) -> None:
    expected = json.loads(path.read_text())[profile]
    actual = json.loads(json.dumps(make(profile)))  # type: ignore[operator]
    diffs = differences(expected, actual)
    assert not diffs, f"{len(diffs)} differences from {path.name} [{profile}]:\n" + "\n".join(
        diffs[:40]
    )


def test_the_snapshot_holds_sub_aspects_overall_and_both_profiles() -> None:
    for path in (SYNTH_FILE, OFFICIAL_FILE):
        data = json.loads(path.read_text())
        assert sorted(data) == sorted(PROFILES)
        for profile in PROFILES:
            for run in data[profile].values():
                assert len(run["sub_aspects"]) == 10
                assert isinstance(run["overall"]["score"], float)
                scored = [s["score"] for s in run["sub_aspects"].values() if s["score"] is not None]
                assert run["overall"]["score"] == pytest.approx(sum(scored) / len(scored))
    # the profiles differ somewhere (else the official one checks nothing new)
    official = json.loads(OFFICIAL_FILE.read_text())
    assert official["corrected"] != official["official"]


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
