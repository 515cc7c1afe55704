"""Per-sample results as task formulas see them, and the small named pieces formulas reuse.

A formula is a function ``Results -> float`` (0–100). Results are a light, immutable list of
rows (sample id, variant, meta, values); helpers select rows and average values, so the
paper's formulas read as one line each, e.g. ``100 * mean_over(r, "correct", "kind")``.
Bootstrap confidence intervals re-run the same formula on resampled rows.

Under the hood a :class:`Results` is a view: an index array into one shared table of rows,
whose columns (a meta key as integer codes, a value key as a float array with NaN for
missing) are built once, on first use, and shared by every selection and every bootstrap
resample of it. ``where``/``mean``/``groups`` are numpy operations on those columns, so a
formula costs O(rows) in C rather than in Python, and the bootstrap draws its whole
resample matrix in one go (the same numbers, in the same order, as ``random.Random``'s
``randrange``), so a seed gives exactly the CIs it gave when every resample was a Python
loop. Anything the columns cannot represent faithfully (an unhashable meta value, a NaN
key, a non-numeric value) falls back to the plain row-by-row path with identical semantics.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

UNRELATED = ("unrelated-color", "unrelated-nature", "unrelated-noise")
NAN = float("nan")

_Index = npt.NDArray[np.intp]
_EMPTY: _Index = np.empty(0, dtype=np.intp)


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


def _seq_mean(x: npt.NDArray[np.float64]) -> float:
    """``sum(x) / len(x)`` of the non-NaN entries, summed left to right as Python's ``sum``
    does (``cumsum`` is sequential; ``np.sum`` is pairwise and may differ in the last bit)."""
    x = x[~np.isnan(x)]
    if not x.size:
        return NAN
    return float(np.cumsum(x)[-1]) / x.size


class _KeyColumn:
    """One meta key (or ``variant``) over the table's rows, as integer codes."""

    __slots__ = ("codes", "index", "values")

    def __init__(self, codes: _Index, index: dict[Any, int], values: list[Any]) -> None:
        self.codes = codes
        self.index = index
        self.values = values

    @classmethod
    def build(cls, values: list[Any]) -> _KeyColumn | None:
        index: dict[Any, int] = {}
        codes = np.empty(len(values), dtype=np.intp)
        for i, v in enumerate(values):
            if isinstance(v, float) and v != v:
                return None  # NaN never equals itself: keep Python's semantics
            try:
                codes[i] = index.setdefault(v, len(index))
            except TypeError:  # unhashable (a list in meta)
                return None
        return cls(codes, index, values)


class _Groups:
    """Rows grouped by a key, groups in order of first appearance (for resampling)."""

    __slots__ = ("lens", "members", "starts")

    def __init__(self, members: _Index, starts: _Index, lens: _Index) -> None:
        self.members = members  # table row indices, group after group
        self.starts = starts
        self.lens = lens

    def __len__(self) -> int:
        return len(self.starts)

    def gather(self, draws: _Index) -> _Index:
        """Table row indices of the groups ``draws`` (with repeats), in draw order."""
        lens = self.lens[draws]
        total = int(lens.sum())
        if not total:
            return _EMPTY
        ends = np.cumsum(lens)
        offsets = np.repeat(self.starts[draws] - (ends - lens), lens)
        return self.members[offsets + np.arange(total, dtype=np.intp)]


def _segments(codes: _Index) -> tuple[_Index, _Index, _Index]:
    """For ``codes``: a stable order that puts equal codes together, and per group (in order
    of first appearance) its start and length in that order."""
    order = np.argsort(codes, kind="stable")
    if not len(order):
        return order, _EMPTY, _EMPTY
    sc = codes[order]
    cuts = np.flatnonzero(sc[1:] != sc[:-1]) + 1
    starts = np.concatenate(([0], cuts)).astype(np.intp)
    lens = np.diff(np.concatenate((starts, [len(order)]))).astype(np.intp)
    first = order[starts]  # stable: the first position of each group
    by_first = np.argsort(first, kind="stable")
    return order, starts[by_first], lens[by_first]


class _Table:
    """The rows every view of one :class:`Results` shares, with lazily built columns."""

    __slots__ = ("_keys", "_metrics", "rows")

    def __init__(self, rows: tuple[Row, ...]) -> None:
        self.rows = rows
        self._keys: dict[str, _KeyColumn | None] = {}
        self._metrics: dict[str, npt.NDArray[np.float64] | None] = {}

    def key(self, key: str) -> _KeyColumn | None:
        try:
            return self._keys[key]
        except KeyError:
            col = _KeyColumn.build([r.get(key) for r in self.rows])
            self._keys[key] = col
            return col

    def resample_key(self, by: str | None) -> _KeyColumn:
        name = "\0sample" if by is None else f"\0str:{by}"
        col = self._keys.get(name)
        if col is None:
            vals = [r.sample_id if by is None else str(r.get(by)) for r in self.rows]
            col = _KeyColumn.build(vals)
            assert col is not None  # strings are hashable and never NaN
            self._keys[name] = col
        return col

    def metric(self, metric: str) -> npt.NDArray[np.float64] | None:
        try:
            return self._metrics[metric]
        except KeyError:
            pass
        out: npt.NDArray[np.float64] | None = np.empty(len(self.rows), dtype=np.float64)
        assert out is not None
        for i, r in enumerate(self.rows):
            v = r.values.get(metric)
            if v is None:
                out[i] = NAN
                continue
            try:
                f = float(v)
            except (TypeError, ValueError):
                out = None  # the row-by-row path raises exactly as before
                break
            if f != f and not isinstance(v, float):
                out = None  # a NaN that is not a Python float is kept (and poisons) there
                break
            out[i] = f
        self._metrics[metric] = out
        return out


class Results:
    """An immutable selection of scored rows with helpers for formulas."""

    __slots__ = ("_codes", "_idx", "_rows", "_table")

    def __init__(self, rows: Sequence[Row]) -> None:
        tup = tuple(rows)
        self._table = _Table(tup)
        self._idx: _Index = np.arange(len(tup), dtype=np.intp)
        self._rows: tuple[Row, ...] | None = tup
        self._codes: dict[str, _Index] = {}

    @classmethod
    def _view(cls, table: _Table, idx: _Index) -> Results:
        obj = cls.__new__(cls)
        obj._table = table
        obj._idx = idx
        obj._rows = None
        obj._codes = {}
        return obj

    @property
    def rows(self) -> tuple[Row, ...]:
        if self._rows is None:
            base = self._table.rows
            self._rows = tuple([base[i] for i in self._idx.tolist()])
        return self._rows

    def __len__(self) -> int:
        return len(self._idx)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def _key_codes(self, key: str) -> tuple[_KeyColumn, _Index] | None:
        col = self._table.key(key)
        if col is None:
            return None
        codes = self._codes.get(key)
        if codes is None:
            codes = self._codes[key] = col.codes[self._idx]
        return col, codes

    def where(self, predicate: Callable[[Row], bool] | None = None, **equals: Any) -> Results:
        """Rows matching every ``key=value`` (``variant`` or a meta key; a tuple means any of)."""
        mask: npt.NDArray[np.bool_] | None = None
        for k, v in equals.items():
            kc = self._key_codes(k)
            if kc is None:
                return self._where_rows(predicate, equals)
            col, codes = kc
            try:
                if isinstance(v, (tuple, list, set, frozenset)):
                    wanted = {col.index[x] for x in v if x in col.index}
                    m = np.zeros(len(codes), dtype=np.bool_)
                    for code in wanted:
                        m |= codes == code
                else:
                    one = col.index.get(v)
                    m = codes == one if one is not None else np.zeros(len(codes), dtype=np.bool_)
            except TypeError:  # an unhashable value asked for: compare row by row
                return self._where_rows(predicate, equals)
            mask = m if mask is None else mask & m
        idx = self._idx if mask is None else self._idx[mask]
        if predicate is not None:
            base = self._table.rows
            idx = np.array([i for i in idx.tolist() if predicate(base[i])], dtype=np.intp)
        return Results._view(self._table, idx)

    def _where_rows(
        self, predicate: Callable[[Row], bool] | None, equals: Mapping[str, Any]
    ) -> Results:
        def ok(r: Row) -> bool:
            for k, v in equals.items():
                got = r.get(k)
                if isinstance(v, (tuple, list, set, frozenset)):
                    if got not in v:
                        return False
                elif got != v:
                    return False
            return predicate(r) if predicate else True

        keep = [i for i, r in zip(self._idx.tolist(), self.rows, strict=True) if ok(r)]
        return Results._view(self._table, np.array(keep, dtype=np.intp))

    def values(self, metric: str) -> list[float]:
        col = self._table.metric(metric)
        if col is None:
            return [
                float(v)
                for r in self.rows
                if (v := r.values.get(metric)) is not None
                and not (isinstance(v, float) and math.isnan(v))
            ]
        x = col[self._idx]
        return x[~np.isnan(x)].tolist()  # type: ignore[no-any-return]

    def mean(self, metric: str, **equals: Any) -> float:
        sel = self.where(**equals) if equals else self
        col = sel._table.metric(metric)
        if col is None:
            return nanmean(sel.values(metric))
        return _seq_mean(col[sel._idx])

    def groups(self, key: str) -> dict[Any, Results]:
        """Split rows by ``variant`` or a meta key (insertion order of first appearance)."""
        kc = self._key_codes(key)
        if kc is None:
            out: dict[Any, list[int]] = {}
            for i, r in zip(self._idx.tolist(), self.rows, strict=True):
                out.setdefault(r.get(key), []).append(i)
            return {
                k: Results._view(self._table, np.array(v, dtype=np.intp)) for k, v in out.items()
            }
        col, codes = kc
        order, starts, lens = _segments(codes)
        groups: dict[Any, Results] = {}
        for s, n in zip(starts.tolist(), lens.tolist(), strict=True):
            pos = order[s : s + n]  # ascending: the stable sort keeps row order
            groups[col.values[int(self._idx[pos[0]])]] = Results._view(self._table, self._idx[pos])
        return groups

    def mean_by(self, metric: str, key: str) -> dict[Any, float]:
        return {k: g.mean(metric) for k, g in self.groups(key).items()}

    def variants(self) -> list[str]:
        return [str(v) for v in self.groups("variant")]

    def _sample_groups(self, by: str | None) -> _Groups:
        col = self._table.resample_key(by)
        order, starts, lens = _segments(col.codes[self._idx])
        return _Groups(self._idx[order], starts, lens)

    def resample(self, rng: random.Random, by: str | None = None) -> Results:
        """A bootstrap resample of the underlying samples (all variants of a sample move together)."""
        if not len(self._idx):
            return self
        groups = self._sample_groups(by)
        k = len(groups)
        draws = np.array([rng.randrange(k) for _ in range(k)], dtype=np.intp)
        return Results._view(self._table, groups.gather(draws))


def randrange_many(rng: random.Random, n: int, count: int) -> _Index:
    """``[rng.randrange(n) for _ in range(count)]``, drawn in bulk with numpy.

    Python's ``randrange(n)`` takes ``n.bit_length()`` top bits of successive 32-bit
    Mersenne Twister outputs and rejects values >= n. numpy's MT19937, given the same state,
    yields the same outputs, so the same rejection over a block of them gives the same
    numbers. ``rng`` itself is not advanced.
    """
    if n < 1:
        raise ValueError("empty range for randrange_many()")
    bits = n.bit_length()
    if bits > 32:  # pragma: no cover - more samples than memory holds
        return np.array([rng.randrange(n) for _ in range(count)], dtype=np.intp)
    state = rng.getstate()[1]
    bitgen = np.random.MT19937(0)
    bitgen.state = {
        "bit_generator": "MT19937",
        "state": {"key": np.array(state[:624], dtype=np.uint32), "pos": int(state[624])},
    }
    parts: list[_Index] = []
    have = 0
    while have < count:
        need = count - have
        raw = bitgen.random_raw(need * 2 + 64)  # acceptance is > 1/2
        cand = (raw >> np.uint64(32 - bits)).astype(np.intp)
        ok = cand[cand < n][:need]
        parts.append(ok)
        have += len(ok)
    return np.concatenate(parts) if parts else _EMPTY


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
    """Percentile bootstrap CI of a task formula, resampling samples (not rows).

    All ``n`` resamples are drawn at once (one ``n x samples`` matrix, the numbers
    ``random.Random(seed).randrange`` gives one by one) and gathered with numpy; only the
    formula runs once per resample.

    A resample on which the formula is undefined (NaN, or an ``ArithmeticError``/``ValueError``
    from an empty or degenerate group) is left out; any other exception is a bug in the formula
    and propagates, so it shows as an error instead of a narrower CI.
    """
    if len(r) < 2:
        return (NAN, NAN)
    groups = r._sample_groups(None)
    k = len(groups)
    draws = randrange_many(random.Random(seed), k, n * k).reshape(n, k)
    stats: list[float] = []
    for row in draws:
        try:
            v = formula(Results._view(r._table, groups.gather(row)))
        except (ArithmeticError, ValueError):  # undefined on this resample
            continue
        if not math.isnan(v):
            stats.append(v)
    if len(stats) < n // 2:
        return (NAN, NAN)
    stats.sort()
    lo = stats[math.floor((alpha / 2) * (len(stats) - 1))]
    hi = stats[math.ceil((1 - alpha / 2) * (len(stats) - 1))]
    return (lo, hi)


# --------------------------------------------------------------------------- weighted terms and flips (T.2, T.4, T.7)


def weighted(terms: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """Weighted mean of the terms present (not NaN), weights renormalised over those present.

    Used where synth cannot produce every group of a paper formula (e.g. T.2 commonsense without
    ``daily``/``causality``): the missing groups' weight is shared out in proportion.
    """
    present = {k: v for k, v in terms.items() if not math.isnan(v)}
    total = sum(weights[k] for k in present)
    return sum(weights[k] * v for k, v in present.items()) / total if total else math.nan


def by_variant(r: Results, weights: Mapping[str, float], metric: str = "correct") -> float:
    """``100 · Σ w_v · acc(variant v)`` (T.4: 0.7 text + 0.3 related; T.7: 0.7 text + 0.3 misleading)."""
    return 100 * weighted({v: r.mean(metric, variant=v) for v in weights}, weights)


def flip_rate(r: Results, before: str, after: str, *, from_value: float) -> float:
    """Share of samples scored ``from_value`` in variant ``before`` whose score changed in ``after``.

    Cure rate (T.4): wrong without the image, right with it. Deterioration rate (T.7): right
    without the image, wrong with the misleading one.
    """
    first = {row.sample_id: row.values.get("correct") for row in r.where(variant=before)}
    second = {row.sample_id: row.values.get("correct") for row in r.where(variant=after)}
    pool = [sid for sid, v in first.items() if v == from_value and second.get(sid) is not None]
    return sum(second[sid] != from_value for sid in pool) / len(pool) if pool else math.nan
