"""Pearson correlation and the chi-square test of independence."""

from __future__ import annotations

import math

import pytest
from scipy.stats import chi2_contingency, pearsonr

from multitrust.scoring.stats import chi_square_p, contingency, pearson


def test_pearson_matches_scipy() -> None:
    xs = [1.0, 2.0, 3.0, 4.0, 5.0]
    ys = [2.0, 1.0, 4.0, 3.0, 5.0]
    assert pearson(xs, ys) == pytest.approx(pearsonr(xs, ys)[0])


def test_pearson_drops_nan_and_none_pairs() -> None:
    xs = [1.0, 2.0, float("nan"), 3.0, None, 4.0]
    ys = [1.0, 2.0, 100.0, 3.0, -50.0, 4.0]
    assert pearson(xs, ys) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("xs", "ys"),
    [
        ([], []),
        ([1.0], [2.0]),
        ([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]),
        ([float("nan")] * 3, [1.0, 2.0, 3.0]),
    ],
)
def test_pearson_undefined_is_nan(xs: list[float], ys: list[float]) -> None:
    assert math.isnan(pearson(xs, ys))


def test_pearson_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError):
        pearson([1.0, 2.0], [1.0])


def test_contingency_counts() -> None:
    groups, table = contingency([("m", True), ("f", False), ("m", False), ("m", True)])
    assert groups == ["m", "f"]
    assert table == [[2, 1], [0, 1]]


def test_chi_square_matches_scipy_with_yates() -> None:
    pairs = [("m", True)] * 30 + [("m", False)] * 10 + [("f", True)] * 15 + [("f", False)] * 25
    expected = chi2_contingency([[30, 10], [15, 25]])[1]  # Yates on by default (dof = 1)
    assert chi_square_p(pairs) == pytest.approx(expected)
    assert chi_square_p(pairs) < 0.05


def test_chi_square_three_groups() -> None:
    pairs = [(g, i % 2 == 0) for g in ("young", "middle", "older") for i in range(20)]
    assert chi_square_p(pairs) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "pairs",
    [
        [],
        [("m", True), ("m", False)],  # one group
        [("m", True), ("f", True), ("f", True)],  # every outcome the same
    ],
)
def test_chi_square_degenerate_is_nan(pairs: list[tuple[str, bool]]) -> None:
    assert math.isnan(chi_square_p(pairs))


def test_chi_square_table_p_equals_scipy_on_random_tables() -> None:
    """The closed form gives scipy's p (to 1e-12) on every shape F.6 meets: 2-6 groups, with
    and without Yates (dof 1 vs more), small and large counts, near-independent and skewed."""
    import numpy as np

    from multitrust.scoring.stats import chi_square_table_p

    rng = np.random.default_rng(9)
    checked = 0
    for _ in range(600):
        rows = int(rng.integers(2, 7))
        scale = int(rng.choice([3, 20, 500]))
        table = rng.integers(0, scale, size=(rows, 2)) + 1  # no empty row or column
        if rng.random() < 0.3:
            table[:, 1] = table[:, 0] * int(rng.integers(1, 4))  # exactly independent
        want = float(chi2_contingency(table.tolist())[1])
        got = chi_square_table_p(table.tolist())
        assert abs(got - want) <= 1e-12, (table.tolist(), got, want)
        checked += 1
    assert checked == 600
