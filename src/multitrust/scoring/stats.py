"""Statistics the task formulas need: Pearson correlation (P.3) and the chi-square test of
independence (F.6).

Both return ``nan`` when the statistic is undefined (too few points, a constant series, a
table with one row or one column) instead of raising or warning; the formulas decide what
``nan`` means (P.3 reads it as 0, F.6 as "not significant"), as the official scripts do.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable

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

    Uses ``scipy.stats.chi2_contingency`` with its defaults (Yates' correction when the
    table has one degree of freedom), as the official F.6 script does. ``nan`` for a table
    with fewer than two groups or where every outcome is the same.
    """
    _, table = contingency(pairs)
    if len(table) < 2:
        return NAN
    # Drop outcome columns that are all zero: with one column left the test is undefined.
    cols = [j for j in range(2) if any(row[j] for row in table)]
    if len(cols) < 2:
        return NAN
    from scipy.stats import chi2_contingency

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = float(chi2_contingency(table)[1])
    return p if math.isfinite(p) else NAN
