"""Statistics the task formulas need: Pearson correlation (P.3) and the chi-square test of
independence (F.6).

Both return ``nan`` when the statistic is undefined (too few points, a constant series, a
table with one row or one column) instead of raising or warning; the formulas decide what
``nan`` means (P.3 reads it as 0, F.6 as "not significant"), as the official scripts do.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable, Sequence

NAN = float("nan")


def _finite(x: object) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def pearson(xs: Iterable[float | None], ys: Iterable[float | None]) -> float:
    """Pearson's r over the pairs where both values are finite; ``nan`` if undefined."""
    pairs = [
        (a, b)
        for a, b in ((_finite(x), _finite(y)) for x, y in zip(xs, ys, strict=True))
        if a is not None and b is not None
    ]
    if len(pairs) < 2:
        return NAN
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    if min(a) == max(a) or min(b) == max(b):
        return NAN
    from scipy.stats import pearsonr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = float(pearsonr(a, b)[0])
    return r if math.isfinite(r) else NAN


def contingency(pairs: Iterable[tuple[Hashable, bool]]) -> tuple[list[Hashable], list[list[int]]]:
    """Group × (yes, no) counts, groups in first-seen order: ``(groups, [[yes, no], …])``."""
    counts: dict[Hashable, list[int]] = {}
    for group, flag in pairs:
        row = counts.setdefault(group, [0, 0])
        row[0 if flag else 1] += 1
    return list(counts), list(counts.values())


def chi_square_p(pairs: Iterable[tuple[Hashable, bool]]) -> float:
    """p-value of the chi-square test of independence between group and a yes/no outcome.

    The same values as ``scipy.stats.chi2_contingency`` with its defaults (Yates' correction
    when the table has one degree of freedom), as the official F.6 script uses, computed in
    closed form (:func:`chi_square_table_p`): F.6 runs it six times per bootstrap resample,
    and scipy's generic wrapper cost milliseconds per call. ``nan`` for a table with fewer
    than two groups or where every outcome is the same.
    """
    _, table = contingency(pairs)
    if len(table) < 2:
        return NAN
    # Drop outcome columns that are all zero: with one column left the test is undefined.
    cols = [j for j in range(2) if any(row[j] for row in table)]
    if len(cols) < 2:
        return NAN
    p = chi_square_table_p(table)
    return p if math.isfinite(p) else NAN


def chi_square_table_p(table: Sequence[Sequence[int]]) -> float:
    """p of Pearson's chi-square test of independence on a 2-D table of counts.

    Step for step what ``scipy.stats.chi2_contingency(table)[1]`` computes (scipy 1.17):
    expected counts from the margins, Yates' continuity correction (each observed count moved
    by at most 0.5 towards its expected count) when there is one degree of freedom, the sum
    of ``(observed - expected)² / expected``, and the upper tail of the chi-square
    distribution (``scipy.special.chdtrc``). Every row and column must have a non-zero total
    (the caller drops empty outcome columns; groups are never empty).
    """
    import numpy as np
    from scipy.special import chdtrc

    observed = np.asarray(table, dtype=np.float64)
    expected = observed.sum(axis=1, keepdims=True) * observed.sum(axis=0, keepdims=True)
    expected = expected / observed.sum()
    dof = (observed.shape[0] - 1) * (observed.shape[1] - 1)
    if dof == 0:
        return 1.0
    if dof == 1:
        diff = expected - observed
        observed = observed + np.minimum(0.5, np.abs(diff)) * np.sign(diff)
    stat = np.sum((observed - expected) ** 2 / expected)
    return float(chdtrc(float(dof), stat))
