"""Data sources: where a task's samples come from.

Two kinds exist. :class:`OfficialData` reads a local copy of the official MultiTrust release
(gated on Hugging Face; see ``multitrust data fetch``). :class:`SynthData` generates seeded,
license-free stand-ins in memory. Tasks ask the source for what they need; a source that cannot
supply a task raises :class:`~multitrust.errors.Unavailable` with the reason.

Both kinds expose the same helpers for seeded randomness and for the cross-modal variants
(text-only, unrelated colour / nature / noise images), so pairings are reproducible: the image
paired with a sample depends only on (seed, task, sample id, pool), not on iteration order.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from multitrust.errors import DataError
from multitrust.types import Image, Sample

if TYPE_CHECKING:  # pragma: no cover
    from multitrust.data.synth_cache import SynthCache

UNRELATED_POOLS = ("color", "nature", "noise")


F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def names_undecodable(fn: F) -> F:
    """Make a loader report a file that is not UTF-8 as a DataError naming the file.

    Works for plain functions and generators (decoding errors surface while iterating). The
    file is the first ``str`` / ``Path`` argument (a path, or a path relative to the data root).
    """

    def where(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        for a in (*args, *kwargs.values()):
            if isinstance(a, (str, Path)):
                return str(a)
        return "a data file"

    def guard(gen: Iterator[Any], place: str) -> Iterator[Any]:
        try:
            yield from gen
        except UnicodeDecodeError as exc:
            raise DataError(f"{place}: not UTF-8 text ({exc.reason})") from None

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        place = where(args, kwargs)
        try:
            result = fn(*args, **kwargs)
        except UnicodeDecodeError as exc:
            raise DataError(f"{place}: not UTF-8 text ({exc.reason})") from None
        return guard(result, place) if inspect.isgenerator(result) else result

    return wrapper  # type: ignore[return-value]


def needs_modules(**modules: str) -> Callable[[F], F]:
    """Declare the optional packages a loader imports, as ``import_name="pip-name"``
    (``skimage="scikit-image"``). The planner checks them before a run: a task whose loader
    lacks one is skipped with the install hint, never scored on what loaded before the import
    failed."""

    def deco(fn: F) -> F:
        fn.__multitrust_needs__ = dict(modules)  # type: ignore[attr-defined]
        return fn

    return deco


def missing_modules(loaders: Iterable[Any]) -> dict[str, str]:
    """The packages ``loaders`` declared (:func:`needs_modules`) that cannot be imported here,
    as ``{import name: pip name}``; wrappers (``functools.partial``, ``SelfSized``) are looked
    through."""
    out: dict[str, str] = {}
    for fn in loaders:
        while fn is not None:
            for mod, pip_name in getattr(fn, "__multitrust_needs__", {}).items():
                try:
                    found = importlib.util.find_spec(mod) is not None
                except (ImportError, ValueError):
                    found = False
                if not found:
                    out[mod] = pip_name
            fn = getattr(fn, "func", None) or getattr(fn, "loader", None)
    return out


def with_ideal(samples: Iterable[Sample], ideal: str | Callable[[Sample], str]) -> Iterator[Sample]:
    """Set ``meta["ideal"]``, what the ideal model answers (``scripted/oracle`` says it)."""
    for s in samples:
        yield replace(s, meta={**s.meta, "ideal": ideal(s) if callable(ideal) else ideal})


def stable_seed(*parts: Any) -> int:
    """A 64-bit seed derived from ``parts`` (stable across processes and machines)."""
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "big")


class DataSource:
    """Base class. ``kind`` is ``official`` or ``synth``; ``seed`` drives every random choice."""

    kind: str = ""

    def __init__(self, *, seed: int = 0, size: int | None = None) -> None:
        self.seed = seed
        self.size = size
        """Samples per task (synth) or a cap per task (official); None = the source's default."""

    def rng(self, *parts: Any) -> random.Random:
        """A private RNG for (seed, *parts)."""
        return random.Random(stable_seed(self.seed, *parts))

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "seed": self.seed, "size": self.size}

    # -- unrelated-image pools -------------------------------------------------------------
    def unrelated_pool(self, pool: str) -> list[Image]:
        """Images of one pool (``color`` / ``nature`` / ``noise``)."""
        raise NotImplementedError

    def unrelated_images(self, pool: str, *key: Any, k: int = 1) -> list[Image]:
        """``k`` distinct images from ``pool``, chosen by a seeded draw keyed on ``key``."""
        images = self.unrelated_pool(pool)
        if not images:
            raise DataError(f"unrelated-image pool {pool!r} is empty")
        rng = self.rng("unrelated", pool, *key)
        if k <= len(images):
            return rng.sample(images, k)
        return [rng.choice(images) for _ in range(k)]

    def with_unrelated(
        self,
        samples: Iterable[Sample],
        task_id: str,
        *,
        pools: tuple[str, ...] = UNRELATED_POOLS,
        per_pool: int = 1,
        keep_text: bool = True,
    ) -> Iterator[Sample]:
        """Yield each text sample, then one copy per unrelated pool with a seeded image.

        ``per_pool > 1`` yields several copies per pool with distinct images (S.6 uses 3);
        their ids get a ``#i`` suffix so each is a separate sample.
        """
        for s in samples:
            if keep_text:
                yield s
            for pool in pools:
                imgs = self.unrelated_images(pool, task_id, s.id, k=per_pool)
                for i, img in enumerate(imgs):
                    sid = s.id if per_pool == 1 else f"{s.id}#{i}"
                    meta = {**s.meta, "unrelated_image": img.origin or img.sha256[:12]}
                    yield replace(s, id=sid, images=(img,), variant=f"unrelated-{pool}", meta=meta)

    def pick(self, *, official: T, synth: T) -> T:
        """The one of two task parts (loaders, scorers, notes) that belongs to this source."""
        raise NotImplementedError

    def cap(self, samples: Iterable[Sample]) -> Iterator[Sample]:
        """A task's stream as the run sizes it (official: capped at ``size``; synth is generated
        at its size already)."""
        raise NotImplementedError

    def stream(
        self, task_id: str, make: Callable[[], Iterable[Sample]]
    ) -> Callable[[], Iterable[Sample]]:
        """The factory a task's samples come from (synth: through the on-disk cache)."""
        return make

    def limit(self, samples: Iterable[Sample], default: int | None = None) -> Iterator[Sample]:
        """Cap a stream at ``size`` distinct base samples (all variants of a kept sample stay)."""
        cap = self.size if self.size is not None else default
        if cap is None:
            yield from samples
            return
        seen: set[str] = set()
        for s in samples:
            base = s.id.split("#", 1)[0]
            if base not in seen:
                if len(seen) >= cap:
                    continue
                seen.add(base)
            yield s


class OfficialData(DataSource):
    """A local copy of the official MultiTrust release (the ``data/`` folder)."""

    kind = "official"

    def pick(self, *, official: T, synth: T) -> T:
        return official

    def cap(self, samples: Iterable[Sample]) -> Iterator[Sample]:
        return self.limit(samples)

    def __init__(self, root: str | Path, *, seed: int = 0, size: int | None = None) -> None:
        super().__init__(seed=seed, size=size)
        self.root = Path(root).expanduser().resolve()
        if not self.root.is_dir():
            raise DataError(f"data directory not found: {root}")

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "root": str(self.root)}

    def path(self, rel: str | Path) -> Path:
        """Resolve ``rel`` inside the data root; refuse anything that escapes it."""
        rel_s = str(rel)
        if rel_s.startswith("./"):
            rel_s = rel_s[2:]
        if rel_s.startswith("data/"):
            rel_s = rel_s[5:]
        p = Path(rel_s)
        if p.is_absolute():
            raise DataError(f"path escapes the data root (absolute): {rel}")
        full = (self.root / p).resolve()
        if full != self.root and self.root not in full.parents:
            raise DataError(f"path escapes the data root: {rel}")
        return full

    def image(self, rel: str | Path) -> Image:
        p = self.path(rel)
        return Image.from_path(p, origin=str(p.relative_to(self.root)))

    @cached_property
    def _pools(self) -> dict[str, list[Image]]:
        folder = self.root / "unrelated_images"
        pools: dict[str, list[Image]] = {p: [] for p in UNRELATED_POOLS}
        if folder.is_dir():
            for f in sorted(folder.iterdir()):
                for p in UNRELATED_POOLS:
                    if p in f.name and f.is_file():
                        pools[p].append(Image.from_path(f, origin=f"unrelated_images/{f.name}"))
        return pools

    def unrelated_pool(self, pool: str) -> list[Image]:
        imgs = self._pools.get(pool, [])
        if not imgs:
            raise DataError(
                f"no '{pool}' images in {self.root / 'unrelated_images'} (expected files named *{pool}*)"
            )
        return imgs


class SynthData(DataSource):
    """Seeded synthetic data generated in memory (no files, no network)."""

    kind = "synth"

    def pick(self, *, official: T, synth: T) -> T:
        return synth

    def cap(self, samples: Iterable[Sample]) -> Iterator[Sample]:
        return iter(samples)

    QUICK = 20

    def __init__(
        self, *, seed: int = 0, size: int | None = None, cache: SynthCache | None = None
    ) -> None:
        super().__init__(seed=seed, size=size)
        self.cache = cache
        """Where finished sample streams are kept (None: drawn every time)."""

    def stream(
        self, task_id: str, make: Callable[[], Iterable[Sample]]
    ) -> Callable[[], Iterable[Sample]]:
        cache = self.cache
        if cache is None:
            return make
        return lambda: cache.samples(task_id, self.seed, self.n, make)

    @property
    def n(self) -> int:
        """Samples per task."""
        return self.size if self.size is not None else self.QUICK

    @cached_property
    def _pools(self) -> dict[str, list[Image]]:
        from multitrust.data.images import synth_unrelated_pool

        return {p: synth_unrelated_pool(p, seed=self.seed) for p in UNRELATED_POOLS}

    def unrelated_pool(self, pool: str) -> list[Image]:
        return self._pools[pool]


def open_data(
    spec: str | None,
    *,
    seed: int = 0,
    size: int | None = None,
    synth_cache: str | Path | None = None,
) -> DataSource:
    """``synth`` (or None) -> SynthData (kept under ``synth_cache`` when given); anything else
    is a path to the official data."""
    if spec is None or spec == "synth":
        from multitrust.data.synth_cache import SynthCache

        cache = SynthCache(synth_cache) if synth_cache is not None else None
        return SynthData(seed=seed, size=size, cache=cache)
    return OfficialData(spec, seed=seed, size=size)
