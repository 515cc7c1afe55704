"""Box parsing, IoU and the grounding scorer."""

from __future__ import annotations

import pytest

from multitrust.scoring.iou import (
    box_iou,
    normalize_box,
    parse_box,
    parse_box_official,
    target_box,
)


@pytest.mark.parametrize(
    ("text", "box"),
    [
        ("[0.1, 0.2, 0.5, 0.6]", (0.1, 0.2, 0.5, 0.6)),
        ("0.1, 0.2, 0.5, 0.6", (0.1, 0.2, 0.5, 0.6)),
        ("'''[0.1, 0.2, 0.5, 0.6]'''", (0.1, 0.2, 0.5, 0.6)),
        ("The dog is at [0.1,0.2,0.5,0.6] in this 640x480 image.", (0.1, 0.2, 0.5, 0.6)),
        ("(12, 30), (200, 180)", (12.0, 30.0, 200.0, 180.0)),
        ("The box goes from (12, 30) to (200, 180).", (12.0, 30.0, 200.0, 180.0)),
        ("xmin=0.1, ymin=0.2, xmax=0.5, ymax=0.6", (0.1, 0.2, 0.5, 0.6)),
        ("x1: 0.1, y1: 0.2, x2: 0.5, y2: 0.6", (0.1, 0.2, 0.5, 0.6)),
        ("[1/4, 0.2, 3/4, .6]", (0.25, 0.2, 0.75, 0.6)),
        ("There are 3 dogs.", None),
        ("[0.1, 0.2, 0.5] and 0.7, 0.8", None),
        ("I cannot see any object.", None),
        ("", None),
    ],
)
def test_parse_box(text: str, box: tuple[float, ...] | None) -> None:
    got = parse_box(text)
    if box is None:
        assert got is None
    else:
        assert got == pytest.approx(box)


def test_parse_box_official() -> None:
    assert parse_box_official("'''[0.1, 0.2, 0.5, 0.6]'''") == (0.1, 0.2, 0.5, 0.6)
    assert parse_box_official("[1/2, 0.2, x, 0.5, 0.6]") == (0.5, 0.2, 0.5, 0.6)  # "x" skipped
    # Free text around the box defeats the comma split: a miss.
    assert parse_box_official("The dog is at [0.1, 0.2, 0.5, 0.6].") is None


def test_box_iou() -> None:
    assert box_iou((0, 0, 1, 1), (0, 0, 1, 1)) == 1.0
    assert box_iou((0, 0, 0.5, 1), (0, 0, 1, 1)) == pytest.approx(0.5)
    assert box_iou((0, 0, 0.5, 0.5), (0.5, 0.5, 1, 1)) == 0.0
    assert box_iou((0.2, 0.2, 0.2, 0.9), (0, 0, 1, 1)) == 0.0  # degenerate
    assert box_iou((0.6, 0.6, 0.4, 0.4), (0, 0, 1, 1)) == 0.0  # reversed corners: empty


def test_normalize_box() -> None:
    assert normalize_box((0.5, 0.6, 0.1, 0.2)) == (0.1, 0.2, 0.5, 0.6)
    assert normalize_box((64, 48, 320, 240), (640, 480)) == pytest.approx((0.1, 0.1, 0.5, 0.5))
    assert normalize_box((64, 48, 320, 240)) is None


def test_target_box() -> None:
    assert target_box("[0.1, 0.2, 0.5, 0.6]") == (0.1, 0.2, 0.5, 0.6)
    assert target_box([0, 0, 1, 1]) == (0.0, 0.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        target_box([1, 2, 3])
