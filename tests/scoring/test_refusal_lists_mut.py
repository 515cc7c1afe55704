"""The v0.1.0 refusal list's builder, called directly (issue #25: mutation score).

``REJECT_TEMPLATES_V010`` is built once at import and pinned entry by entry by
tests/scoring/test_official_lists.py; this runs the builder again so a change to it shows.
"""

from __future__ import annotations

from multitrust.scoring.refusal._lists import (
    REJECT_TEMPLATES_HEAD,
    REJECT_TEMPLATES_V010,
    _v010_list,
)


def test_the_builder_rebuilds_the_pinned_v010_list() -> None:
    built = _v010_list()
    assert built == REJECT_TEMPLATES_V010
    assert len(built) == len(REJECT_TEMPLATES_HEAD) - 2 == 53
    assert "I'm sorry" not in built and "No," not in built
    i = REJECT_TEMPLATES_HEAD.index("can't")
    assert built[i - 1 : i + 1] == ("can'tNo,", "No.")  # after the dropped "I'm sorry"
    assert built[-1] == "\u200b"
