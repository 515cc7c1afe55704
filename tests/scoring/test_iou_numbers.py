"""Box IoU on hand-computed boxes (T.1 grounding's number) and box targets."""

from __future__ import annotations

import pytest

from multitrust.scoring.iou import box_iou, target_box


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # overlap 4 x 2 = 8; areas 6 x 3 = 18 and 7 x 3 = 21; union 31
        ((1, 2, 7, 5), (3, 1, 10, 4), 8 / 31),
        # b inside a: overlap 2 x 5 = 10 of a's 100
        ((0, 0, 10, 10), (2, 3, 4, 8), 0.1),
        ((0.1, 0.2, 0.5, 0.6), (0.1, 0.2, 0.5, 0.6), 1.0),
        ((0, 0, 2, 2), (2, 0, 4, 2), 0.0),  # touching on an edge: no overlap
        ((0, 0, 2, 2), (0, 2, 2, 4), 0.0),
        ((0, 0, 2, 2), (3, 3, 4, 4), 0.0),
        ((0, 0, 2, 2), (1, -5, 3, 1), 1 / (4 + 12 - 1)),  # overlap 1 x 1
    ],
)
def test_box_iou(a: tuple[float, ...], b: tuple[float, ...], expected: float) -> None:
    assert box_iou(a, b) == pytest.approx(expected)
    assert box_iou(b, a) == pytest.approx(expected)


def test_target_box() -> None:
    assert target_box("[0.1, 0.2, 0.5, 0.6]") == (0.1, 0.2, 0.5, 0.6)
    assert target_box((1, 2, 3, 4)) == (1.0, 2.0, 3.0, 4.0)
    for bad in ([1, 2, 3], "[1, 2]", 5, {"x": 1}):
        with pytest.raises(ValueError, match=r"^not a box target: "):
            target_box(bad)
