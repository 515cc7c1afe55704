"""The bridge builds a task as the engine's planner does: under an ``official*`` profile F.7
sends no image and T.3 takes the toolbox's string max (docs/scoring.md, issue #21)."""

from __future__ import annotations

import sys

import pytest

if sys.version_info < (3, 11):  # pragma: no cover - the bridge's own floor
    pytest.skip("inspect_ai needs Python 3.11+", allow_module_level=True)

from multitrust.inspect_bridge import Settings
from multitrust.inspect_bridge._scoring import built


@pytest.mark.parametrize(
    ("profile", "with_images"),
    [("corrected", True), ("official", False), ("official-a067801", False)],
)
def test_f7_through_the_bridge_sends_what_the_profile_sends(
    profile: str, with_images: bool
) -> None:
    _, task = built("F.7", Settings(size=1, profile=profile))
    sent = [bool(task.messages(s)[-1].images) for s in task.iter_samples()]
    assert len(sent) == 10 and any(sent) is with_images
    assert (task.toolbox_note is not None) is (not with_images)


def test_t3_through_the_bridge_takes_the_toolbox_max_under_official() -> None:
    _, official = built("T.3", Settings(size=1, profile="official"))
    _, corrected = built("T.3", Settings(size=1, profile="corrected"))
    assert official.toolbox_note is not None and corrected.toolbox_note is None
    assert official.formula is not corrected.formula
