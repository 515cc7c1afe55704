"""The percentile bootstrap CI, checked exactly on a dataset small enough to redo by hand.

The golden snapshot pins CIs too, but a CI is only a check of the percentile rule when there
are enough resamples for the 2.5th/97.5th percentiles to differ from the extremes: these use
200 and 1000 resamples of 50 samples.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

from multitrust.formula import Results, Row, bootstrap_ci

N_SAMPLES = 50
# 50 distinct values (37 is coprime to 50), so resample means are almost all distinct and an
# off-by-one percentile index gives another number
VALUES = [(i * 37 % N_SAMPLES) / (N_SAMPLES - 1) for i in range(N_SAMPLES)]


def _rows(values: list[float]) -> list[Row]:
    return [Row(f"s{i:02d}", "text", {}, {"x": v}) for i, v in enumerate(values)]


def _mean_x(r: Results) -> float:
    return r.mean("x")


def _by_hand(values: list[float], n: int, seed: int, alpha: float) -> tuple[float, float]:
    """What the docstring promises: resample the samples with ``random.Random(seed).randrange``,
    one resample after the other, then take the alpha/2 and 1-alpha/2 order statistics."""
    stats = sorted(_means(values, n, seed))
    return stats[math.floor(alpha / 2 * (n - 1))], stats[math.ceil((1 - alpha / 2) * (n - 1))]


@pytest.mark.parametrize(("n", "seed", "alpha"), [(200, 0, 0.05), (200, 7, 0.05), (101, 3, 0.2)])
def test_ci_is_the_percentile_rule_on_seeded_resamples(n: int, seed: int, alpha: float) -> None:
    got = bootstrap_ci(Results(_rows(VALUES)), _mean_x, n=n, seed=seed, alpha=alpha)
    want = _by_hand(VALUES, n, seed, alpha)
    assert got == pytest.approx(want, abs=1e-12)
    # the percentile rule, not the range of the resamples: both ends lie strictly inside
    means = _means(VALUES, n, seed)
    assert min(means) < got[0] < got[1] < max(means)


def test_ci_of_a_proportion_matches_the_normal_approximation() -> None:
    # 25 of 50 right: the CI of the mean is about 0.5 ± 1.96·sqrt(0.25/50) = [0.361, 0.639]
    rows = _rows([float(i % 2) for i in range(N_SAMPLES)])
    lo, hi = bootstrap_ci(Results(rows), _mean_x, n=1000, seed=0)
    half = 1.96 * math.sqrt(0.25 / N_SAMPLES)
    assert lo == pytest.approx(0.5 - half, abs=0.03)
    assert hi == pytest.approx(0.5 + half, abs=0.03)


def test_variants_of_a_sample_are_resampled_together() -> None:
    # each sample has a text and an image row with the same value: a resample keeps the pair
    rows = [Row(f"s{i:02d}", v, {}, {"x": x}) for i, x in enumerate(VALUES) for v in ("t", "i")]
    r = Results(rows)
    assert bootstrap_ci(r, _mean_x, n=200, seed=0) == pytest.approx(
        _by_hand(VALUES, 200, 0, 0.05), abs=1e-12
    )


def test_a_different_seed_gives_a_different_ci_and_the_same_seed_the_same() -> None:
    r = Results(_rows(VALUES))
    assert bootstrap_ci(r, _mean_x, seed=1) == bootstrap_ci(r, _mean_x, seed=1)
    assert bootstrap_ci(r, _mean_x, seed=1) != bootstrap_ci(r, _mean_x, seed=2)


def test_undefined_resamples_are_dropped_and_too_many_make_the_ci_undefined() -> None:
    r = Results(_rows(VALUES))

    def nan_below(t: float) -> Callable[[Results], float]:
        def formula(res: Results) -> float:
            m = res.mean("x")
            return math.nan if m < t else m

        return formula

    # 179 of the 200 resample means are >= 0.45: the CI is the percentiles of those 179
    kept = sorted(m for m in _means(VALUES, 200, 0) if m >= 0.45)
    assert len(kept) == 179
    assert bootstrap_ci(r, nan_below(0.45), n=200, seed=0) == pytest.approx(
        (kept[math.floor(0.025 * 178)], kept[math.ceil(0.975 * 178)]), abs=1e-12
    )
    # 112 are >= 0.5 (at least n // 2 = 100 left: defined); 64 are >= 0.52 (undefined)
    assert not any(math.isnan(x) for x in bootstrap_ci(r, nan_below(0.5), n=200, seed=0))
    assert all(math.isnan(x) for x in bootstrap_ci(r, nan_below(0.52), n=200, seed=0))

    def fails(res: Results) -> float:
        raise ZeroDivisionError

    assert all(math.isnan(x) for x in bootstrap_ci(r, fails, n=20))
    assert all(math.isnan(x) for x in bootstrap_ci(Results(_rows([1.0])), _mean_x))


def test_a_formula_bug_raises_instead_of_narrowing_the_ci() -> None:
    r = Results(_rows(VALUES))

    def empty_group(res: Results) -> float:
        if res.mean("x") < 0.45:
            raise ValueError("no samples in a group")  # undefined here: left out, as NaN is
        return res.mean("x")

    kept = sorted(m for m in _means(VALUES, 200, 0) if m >= 0.45)
    assert bootstrap_ci(r, empty_group, n=200, seed=0) == pytest.approx(
        (kept[math.floor(0.025 * 178)], kept[math.ceil(0.975 * 178)]), abs=1e-12
    )

    def buggy(res: Results) -> float:
        if res.mean("x") < 0.45:  # a bug only some resamples reach
            return {"a": 1.0}["b"]
        return res.mean("x")

    with pytest.raises(KeyError):
        bootstrap_ci(r, buggy, n=200, seed=0)


def test_a_task_whose_formula_fails_on_a_resample_is_failed_not_narrowed() -> None:
    from multitrust.aggregate import compute_task
    from multitrust.data.base import SynthData
    from multitrust.tasks import get_task

    spec = get_task("T.5")
    task = spec.build(SynthData(size=1))
    rows = _rows(VALUES)

    def buggy(res: Results) -> float:
        m = res.mean("x")
        if len(res) == len(rows) and res.mean("x") == pytest.approx(sum(VALUES) / len(VALUES)):
            return 100 * m  # the full results score fine
        raise TypeError("bad operand")

    task.formula = buggy
    out = compute_task(spec, task, rows, bootstrap=50)
    assert out.status == "failed" and out.score is None
    assert out.reason == "formula failed on a bootstrap resample: TypeError: bad operand"


def _means(values: list[float], n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    k = len(values)
    return [sum(values[rng.randrange(k)] for _ in range(k)) / k for _ in range(n)]
