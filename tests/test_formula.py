"""The formula pieces on hand-checked rows, on the column path and on the row-by-row path
(an unhashable meta value or a non-float value sends a selection there)."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from multitrust.formula import (
    Results,
    Row,
    bootstrap_ci,
    by_variant,
    cross_modal,
    default_metrics,
    flip_rate,
    mean_over,
    nanmean,
    randrange_many,
    unrelated_mean,
    weighted,
)

NAN = math.nan


def _r(*rows: tuple[str, str, dict[str, Any], dict[str, Any]]) -> Results:
    return Results([Row(s, v, m, x) for s, v, m, x in rows])


def _rows(unhashable: bool) -> Results:
    """Six rows; with ``unhashable`` every meta also holds a list (the row-by-row path)."""
    extra: dict[str, Any] = {"tags": [1]} if unhashable else {}
    return _r(
        ("a", "text", {"kind": "x", **extra}, {"ok": 1.0, "s": 2.0}),
        ("a", "related", {"kind": "x", **extra}, {"ok": 0.0, "s": None}),
        ("b", "text", {"kind": "y", **extra}, {"ok": 1.0, "s": NAN}),
        ("b", "related", {"kind": "y", **extra}, {"ok": 1.0, "s": 4.0}),
        ("c", "text", {"kind": "x", **extra}, {"ok": 0.0}),
        ("c", "unrelated-color", {"kind": "z", **extra}, {"ok": 1.0, "s": 6.0}),
    )


def test_nanmean() -> None:
    assert nanmean([1.0, None, NAN, 3.0]) == 2.0
    assert nanmean([2, 4]) == 3.0
    assert math.isnan(nanmean([])) and math.isnan(nanmean([None, NAN]))
    assert nanmean([Decimal(1), Decimal(2)]) == 1.5  # type: ignore[list-item]


@pytest.mark.parametrize("unhashable", [False, True])
def test_where_groups_values_mean(unhashable: bool) -> None:
    r = _rows(unhashable)
    if unhashable:
        r = r.where(tags=([1],))  # an unhashable value asked for: the row-by-row path
        assert len(r) == 6
    assert [x.sample_id for x in r.where(kind="x")] == ["a", "a", "c"]
    assert [x.sample_id for x in r.where(kind=("y", "z"))] == ["b", "b", "c"]
    assert [x.sample_id for x in r.where(kind=["z", "nope"])] == ["c"]
    assert len(r.where(kind="nope")) == 0 and len(r.where(kind=("nope",))) == 0
    assert [(x.sample_id, x.variant) for x in r.where(kind="x", variant="text")] == [
        ("a", "text"),
        ("c", "text"),
    ]
    assert [x.sample_id for x in r.where(lambda row: row.values.get("ok") == 0.0)] == ["a", "c"]
    assert [x.sample_id for x in r.where(lambda row: row.sample_id != "a", kind="x")] == ["c"]
    assert len(r.where()) == 6
    groups = r.groups("kind")
    assert list(groups) == ["x", "y", "z"]  # order of first appearance
    assert [[(x.sample_id, x.variant) for x in g] for g in groups.values()] == [
        [("a", "text"), ("a", "related"), ("c", "text")],
        [("b", "text"), ("b", "related")],
        [("c", "unrelated-color")],
    ]
    assert r.variants() == ["text", "related", "unrelated-color"]
    assert r.values("s") == [2.0, 4.0, 6.0]
    assert r.values("missing") == []
    assert r.mean("ok") == pytest.approx(4 / 6)
    assert r.mean("s", kind="x") == 2.0
    assert r.mean("ok", variant="text") == pytest.approx(2 / 3)
    assert math.isnan(r.mean("s", kind="nope"))
    assert r.mean_by("ok", "kind") == {"x": pytest.approx(1 / 3), "y": 1.0, "z": 1.0}
    assert r.where(kind="x").groups("variant").keys() == {"text", "related"}
    # an unhashable value asked for (a list among the wanted values): compared row by row
    assert [x.sample_id for x in r.where(lambda row: row.sample_id == "c", kind=("x", ["y"]))] == [
        "c"
    ]
    assert [x.variant for x in r.where(kind=("y", ["x"]), variant="text")] == ["text"]


def test_values_that_are_not_floats_take_the_row_by_row_path() -> None:
    r = _r(
        ("a", "t", {}, {"v": Decimal("1.5")}),
        ("b", "t", {}, {"v": Decimal("NaN")}),  # not a Python float: kept, as before
        ("c", "t", {}, {"v": None}),
        ("d", "t", {}, {"v": 2}),
    )
    vals = r.values("v")
    assert vals[0] == 1.5 and math.isnan(vals[1]) and vals[2] == 2.0 and len(vals) == 3
    assert r.mean("v") == 1.75  # the mean drops what is NaN once a float
    s = _r(("a", "t", {}, {"v": "x"}), ("b", "t", {}, {"v": 1.0}))
    with pytest.raises(ValueError):
        s.values("v")
    f = _r(("a", "t", {}, {"v": np.float64(2.0)}), ("b", "t", {}, {"v": NAN}))
    assert f.values("v") == [2.0] and f.mean("v") == 2.0


def test_mean_over_unrelated_mean_and_cross_modal() -> None:
    r = _r(
        ("a", "text", {"k": 1}, {"c": 1.0}),
        ("b", "text", {"k": 1}, {"c": 0.0}),
        ("c", "text", {"k": 2}, {"c": 1.0}),
        ("a", "related", {"k": 1}, {"c": 0.0}),
        ("b", "related2", {"k": 2}, {"c": 1.0}),
        ("a", "unrelated-color", {"k": 1}, {"c": 1.0}),
        ("a", "unrelated-nature", {"k": 1}, {"c": 0.0}),
        ("b", "unrelated-noise", {"k": 1}, {"c": 0.0}),
        ("c", "unrelated-noise", {"k": 1}, {"c": 1.0}),
    )
    assert mean_over(r, "c", "k") == pytest.approx((3 / 7 + 2 / 2) / 2)
    assert unrelated_mean(r, "c") == pytest.approx((1.0 + 0.0 + 0.5) / 3)
    text, image, unrel = 2 / 3, 0.0, 0.5
    assert cross_modal(r, "c") == pytest.approx((text + image + unrel) / 3)
    assert cross_modal(r, "c", invert=True) == pytest.approx(1 - (text + image + unrel) / 3)
    both = (0.0 + 1.0) / 2
    assert cross_modal(r, "c", image=("related", "related2")) == pytest.approx(
        (text + both + unrel) / 3
    )
    assert cross_modal(r, "c", text="related2") == pytest.approx((1.0 + image + unrel) / 3)
    # terms whose variant has no rows are left out
    only_text = r.where(variant="text")
    assert cross_modal(only_text, "c") == pytest.approx(text)
    assert math.isnan(cross_modal(r.where(variant="none"), "c", invert=True))


def test_default_metrics() -> None:
    one = _r(("a", "text", {}, {"x": 1.0, "y": 0.0}), ("b", "text", {}, {"x": 0.0}))
    assert default_metrics(one) == {"x": 0.5, "y": 0.0}
    two = _r(
        ("a", "text", {}, {"x": 1.0}),
        ("a", "img", {}, {"x": 0.0, "z": 1.0}),
        ("b", "text", {}, {"x": 1.0}),
    )
    m = default_metrics(two)
    assert list(m) == ["x", "x[text]", "x[img]", "z", "z[text]", "z[img]"]
    assert (m["x"], m["x[text]"], m["x[img]"], m["z"], m["z[img]"]) == (2 / 3, 1.0, 0.0, 1.0, 1.0)
    assert math.isnan(m["z[text]"])


def test_weighted_and_by_variant() -> None:
    w = {"a": 0.5, "b": 0.3, "c": 0.2}
    assert weighted({"a": 1.0, "b": 0.0, "c": 0.5}, w) == pytest.approx(0.6)
    assert weighted({"a": 1.0, "b": NAN, "c": 0.0}, w) == pytest.approx(0.5 / 0.7)
    assert math.isnan(weighted({"a": NAN}, w)) and math.isnan(weighted({}, w))
    r = _r(
        ("a", "text", {}, {"correct": 1.0, "other": 0.0}),
        ("b", "text", {}, {"correct": 0.0, "other": 0.0}),
        ("a", "related", {}, {"correct": 1.0, "other": 1.0}),
    )
    assert by_variant(r, {"text": 0.7, "related": 0.3}) == pytest.approx(100 * (0.35 + 0.3))
    assert by_variant(r, {"text": 0.7, "related": 0.3}, "other") == pytest.approx(30.0)
    assert by_variant(r, {"text": 0.7, "gone": 0.3}) == pytest.approx(50.0)


def test_flip_rate() -> None:
    r = _r(
        ("a", "text", {}, {"correct": 0.0}),
        ("a", "related", {}, {"correct": 1.0}),  # cured
        ("b", "text", {}, {"correct": 0.0}),
        ("b", "related", {}, {"correct": 0.0}),  # not cured
        ("c", "text", {}, {"correct": 0.0}),  # no pair: left out
        ("d", "text", {}, {"correct": 1.0}),
        ("d", "related", {}, {"correct": 0.0}),  # deteriorated
        ("e", "text", {}, {"correct": 0.0}),
        ("e", "related", {}, {"correct": None}),  # no answer: left out
    )
    assert flip_rate(r, "text", "related", from_value=0.0) == pytest.approx(1 / 2)
    assert flip_rate(r, "text", "related", from_value=1.0) == 1.0
    assert flip_rate(r, "related", "text", from_value=1.0) == 1.0
    assert math.isnan(flip_rate(r, "text", "gone", from_value=0.0))


def test_randrange_many_is_randrange_draw_for_draw() -> None:
    for n, count in ((1, 5), (2, 1), (5, 0), (6, 1000), (2**16 + 1, 50), (2**31 + 7, 40)):
        rng = random.Random(n)
        want = [rng.randrange(n) for _ in range(count)]
        got = randrange_many(random.Random(n), n, count)
        assert got.dtype == np.intp and got.tolist() == want
    rng = random.Random(3)
    rng.random()  # a generator part way through its state
    copy = random.Random()
    copy.setstate(rng.getstate())
    assert randrange_many(rng, 10, 30).tolist() == [copy.randrange(10) for _ in range(30)]
    assert rng.getstate() != copy.getstate()  # rng itself was not advanced
    with pytest.raises(ValueError, match=r"^empty range for randrange_many\(\)$"):
        randrange_many(random.Random(0), 0, 3)


def test_resample_moves_samples_with_all_their_variants() -> None:
    r = _rows(False)
    for by in (None, "kind"):
        res = r.resample(random.Random(1), by=by)
        rng = random.Random(1)
        keys = ["a", "b", "c"] if by is None else ["x", "y", "z"]
        draws = [keys[rng.randrange(3)] for _ in range(3)]
        want = [
            (x.sample_id, x.variant)
            for d in draws
            for x in r
            if (x.sample_id if by is None else x.meta["kind"]) == d
        ]
        assert [(x.sample_id, x.variant) for x in res] == want
    empty = r.where(kind="nope")
    assert empty.resample(random.Random(0)) is empty


def test_bootstrap_ci_defaults_and_edges() -> None:
    rows = [Row(f"s{i:02d}", "t", {}, {"x": float(i % 7)}) for i in range(30)]
    r = Results(rows)

    def f(res: Results) -> float:
        return res.mean("x")

    assert bootstrap_ci(r, f) == bootstrap_ci(r, f, n=200, seed=0)
    assert bootstrap_ci(r, f) != bootstrap_ci(r, f, n=201)
    assert bootstrap_ci(r, f) != bootstrap_ci(r, f, seed=1)
    # two samples are enough to resample; one is not
    two = Results(rows[:2])
    assert not any(math.isnan(v) for v in bootstrap_ci(two, f, n=20))
    assert all(math.isnan(v) for v in bootstrap_ci(Results(rows[:1]), f))
    # a formula failing on some resamples: exactly half of n left is enough, fewer is not
    calls = iter(range(10**6))

    def fail_odd(res: Results) -> float:
        if next(calls) % 2:
            raise ValueError
        return res.mean("x")

    assert not any(math.isnan(v) for v in bootstrap_ci(r, fail_odd, n=10))  # 5 of 10 left
    calls = iter(range(1, 10**6))  # now the even resamples fail: 5 of 11 left, 11 // 2 = 5
    assert not any(math.isnan(v) for v in bootstrap_ci(r, fail_odd, n=11))
    calls = iter(range(10**6))

    def fail_two_of_three(res: Results) -> float:
        if next(calls) % 3:
            raise ValueError
        return res.mean("x")

    assert all(math.isnan(v) for v in bootstrap_ci(r, fail_two_of_three, n=9))  # 3 of 9 < 4


def test_a_nan_key_groups_and_selects_row_by_row() -> None:
    nan = float("nan")  # one object: equal to itself by identity, as dict keys compare
    r = _r(
        ("a", "t", {"k": 1}, {"x": 1.0}),
        ("b", "t", {"k": nan}, {"x": 0.0}),
        ("c", "u", {"k": 1}, {"x": 0.5}),
        ("d", "u", {"k": nan}, {"x": 1.0}),
    )
    groups = r.groups("k")
    assert next(iter(groups)) == 1 and len(groups) == 2
    assert [[x.sample_id for x in g] for g in groups.values()] == [["a", "c"], ["b", "d"]]
    assert [g.mean("x") for g in groups.values()] == [0.75, 0.5]
    assert [x.sample_id for x in r.where(k=1)] == ["a", "c"]
    assert [x.sample_id for x in r.where(lambda row: row.variant == "u", k=1)] == ["c"]
    assert [x.sample_id for x in r.where(k=(1, 2))] == ["a", "c"]
    assert len(r.where(k=2)) == 0
    assert r.where(k=1).mean("x") == 0.75
