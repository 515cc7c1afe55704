"""Formula selections at their edges: empty selections on both paths, a selection that
leaves out the rows that forced the row-by-row path, NaN that is not a Python float,
resampling by sample and by key on the same rows, and bulk draws that need a second block."""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np

from multitrust.formula import Results, Row, randrange_many


def _r(*rows: tuple[str, str, dict[str, Any], dict[str, Any]]) -> Results:
    return Results([Row(s, v, m, x) for s, v, m, x in rows])


def test_an_empty_selection_has_no_values_and_a_nan_mean() -> None:
    r = _r(
        ("a", "text", {"tags": [1]}, {"m": 1.0}),
        ("b", "text", {"tags": [2]}, {"m": 0.0}),
    )
    for empty in (r.where(lambda row: False), r.where(tags=[9])):  # column / row-by-row path
        assert len(empty) == 0
        assert empty.values("m") == []
        assert math.isnan(empty.mean("m"))
        assert empty.groups("variant") == {}


def test_a_selection_without_the_rows_that_break_the_column() -> None:
    r = _r(
        ("a", "text", {}, {"m": 1.0}),
        ("b", "text", {}, {"m": 0.0}),
        ("c", "image", {}, {"m": "not a number"}),  # no float column for "m"
    )
    text = r.where(variant="text")
    assert text.values("m") == [1.0, 0.0]
    assert text.mean("m") == 0.5


def test_a_nan_that_is_not_a_python_float_is_kept() -> None:
    r = _r(("a", "text", {}, {"m": 1.0}), ("b", "text", {}, {"m": np.float32("nan")}))
    vals = r.values("m")
    assert len(vals) == 2 and vals[0] == 1.0 and math.isnan(vals[1])  # as the row path reads it


def test_resampling_by_sample_then_by_key_on_the_same_rows() -> None:
    r = _r(
        ("s1", "text", {"g": "x"}, {"m": 1.0}),
        ("s2", "text", {"g": "x"}, {"m": 1.0}),
        ("s3", "text", {"g": "y"}, {"m": 0.0}),
    )
    r.resample(random.Random(0))  # builds and keeps the per-sample grouping
    for seed in range(20):
        got = r.resample(random.Random(seed), by="g")
        means = [row.values["m"] for row in got]
        # whole groups move: x brings two rows of 1.0, y one row of 0.0
        assert means.count(1.0) % 2 == 0, means
        assert sorted({row.meta["g"] for row in got}) in (["x"], ["y"], ["x", "y"])


def test_randrange_many_across_a_second_block_of_draws() -> None:
    n, count = 2**16 + 1, 3000  # acceptance just over 1/2: the first block falls short
    rng = random.Random(4)
    want = [rng.randrange(n) for _ in range(count)]
    got = randrange_many(random.Random(4), n, count)
    assert got.tolist() == want
