"""The row-by-row ``Results`` and bootstrap as they were before the numpy rewrite (#9).

Kept verbatim as the "before" side of tests/perf/test_identical.py: the rewrite must give
exactly the same scores, metrics and CIs (same seed) on real rows. Original docstring:

Per-sample results as task formulas see them, and the small named pieces formulas reuse.

A formula is a function ``Results -> float`` (0–100). Results are a light, immutable list of
rows (sample id, variant, meta, values); helpers select rows and average values, so the
paper's formulas read as one line each, e.g. ``100 * mean_over(r, "correct", "kind")``.
Bootstrap confidence intervals re-run the same formula on resampled rows.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

UNRELATED = ("unrelated-color", "unrelated-nature", "unrelated-noise")
NAN = float("nan")


@dataclass(frozen=True, slots=True)
class Row:
    sample_id: str
    variant: str
    meta: Mapping[str, Any]
    values: Mapping[str, float | None]
    label: str | None = None

    def get(self, key: str) -> Any:
        if key == "variant":
            return self.variant
        return self.meta.get(key)


def nanmean(xs: Iterable[float | None]) -> float:
    """Mean ignoring None and NaN; NaN if nothing is left."""
    vals = [float(x) for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return sum(vals) / len(vals) if vals else NAN


class Results:
    """An immutable selection of scored rows with helpers for formulas."""

    __slots__ = ("rows",)

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = tuple(rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rows)

    def where(self, predicate: Callable[[Row], bool] | None = None, **equals: Any) -> Results:
        """Rows matching every ``key=value`` (``variant`` or a meta key; a tuple means any of)."""

        def ok(r: Row) -> bool:
            for k, v in equals.items():
                got = r.get(k)
                if isinstance(v, (tuple, list, set, frozenset)):
                    if got not in v:
                        return False
                elif got != v:
                    return False
            return predicate(r) if predicate else True

        return Results([r for r in self.rows if ok(r)])

    def values(self, metric: str) -> list[float]:
        return [
            float(v)
            for r in self.rows
            if (v := r.values.get(metric)) is not None
            and not (isinstance(v, float) and math.isnan(v))
        ]

    def mean(self, metric: str, **equals: Any) -> float:
        sel = self.where(**equals) if equals else self
        return nanmean(sel.values(metric))

    def groups(self, key: str) -> dict[Any, Results]:
        """Split rows by ``variant`` or a meta key (insertion order of first appearance)."""
        out: dict[Any, list[Row]] = {}
        for r in self.rows:
            out.setdefault(r.get(key), []).append(r)
        return {k: Results(v) for k, v in out.items()}

    def mean_by(self, metric: str, key: str) -> dict[Any, float]:
        return {k: g.mean(metric) for k, g in self.groups(key).items()}

    def variants(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.rows:
            seen.setdefault(r.variant, None)
        return list(seen)

    def resample(self, rng: random.Random, by: str | None = None) -> Results:
        """A bootstrap resample of the underlying samples (all variants of a sample move together)."""
        if not self.rows:
            return self
        groups: dict[str, list[Row]] = {}
        for r in self.rows:
            groups.setdefault(r.sample_id if by is None else str(r.get(by)), []).append(r)
        keys = list(groups)
        picked: list[Row] = []
        for _ in range(len(keys)):
            picked.extend(groups[keys[rng.randrange(len(keys))]])
        return Results(picked)


# --------------------------------------------------------------------------- formula pieces


def mean_over(r: Results, metric: str, key: str) -> float:
    """Mean over groups of the per-group mean (e.g. T.6: mean of the five per-kind accuracies)."""
    return nanmean(r.mean_by(metric, key).values())


def unrelated_mean(r: Results, metric: str) -> float:
    """Mean over the three unrelated-image pools of each pool's mean (the paper's ``U(x)``)."""
    return nanmean(r.mean(metric, variant=v) for v in UNRELATED)


def cross_modal(
    r: Results,
    metric: str,
    *,
    text: str = "text",
    image: Sequence[str] = ("related",),
    invert: bool = False,
) -> float:
    """The paper's mean(text, image, U(unrelated)) formula, 0–1, on whatever variants exist.

    ``image`` lists the related-image variants averaged together as the "image" term. Terms
    whose variant has no rows are left out (e.g. a synth task without related images).
    """
    terms = [r.mean(metric, variant=text)]
    img = [r.mean(metric, variant=v) for v in image]
    terms.append(nanmean(img))
    terms.append(unrelated_mean(r, metric))
    m = nanmean(terms)
    return 1.0 - m if invert and not math.isnan(m) else m


def default_metrics(r: Results) -> dict[str, float]:
    """Mean of every value key, overall and per variant (when there is more than one)."""
    keys: dict[str, None] = {}
    for row in r.rows:
        for k in row.values:
            keys.setdefault(k, None)
    out: dict[str, float] = {}
    variants = r.variants()
    for k in keys:
        out[k] = r.mean(k)
        if len(variants) > 1:
            for v in variants:
                out[f"{k}[{v}]"] = r.mean(k, variant=v)
    return out


def bootstrap_ci(
    r: Results,
    formula: Callable[[Results], float],
    *,
    n: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile bootstrap CI of a task formula, resampling samples (not rows)."""
    if len(r) < 2:
        return (NAN, NAN)
    rng = random.Random(seed)
    stats: list[float] = []
    for _ in range(n):
        try:
            v = formula(r.resample(rng))
        except Exception:
            continue
        if not math.isnan(v):
            stats.append(v)
    if len(stats) < n // 2:
        return (NAN, NAN)
    stats.sort()
    lo = stats[math.floor((alpha / 2) * (len(stats) - 1))]
    hi = stats[math.ceil((1 - alpha / 2) * (len(stats) - 1))]
    return (lo, hi)
