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

import csv
import functools
import hashlib
import importlib.util
import inspect
import io
import json
import os
import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from multitrust.errors import DataError
from multitrust.types import Image, Sample, open_regular, read_regular

if TYPE_CHECKING:  # pragma: no cover
    from multitrust.data.synth_cache import SynthCache

UNRELATED_POOLS = ("color", "nature", "noise")
#: File name endings the loaders treat as images when they list a folder.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")


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


# --------------------------------------------------------------------------- safe file reading


def open_text(path: Path, *, encoding: str = "utf-8", newline: str | None = None) -> TextIO:
    """Open a regular file as text without following a link at its last component (the path
    was resolved and checked against the data root by :meth:`OfficialData.file`)."""
    return io.TextIOWrapper(
        open_regular(path, follow=False), encoding=encoding, errors="strict", newline=newline
    )


#: Largest annotation file read whole (JSON, text); the official release's are a few MB.
MAX_DATA_FILE_BYTES = 256 * 1024 * 1024


def read_text(path: Path) -> str:
    """The text of a checked regular file read whole (UTF-8; a byte-order mark is dropped;
    over :data:`MAX_DATA_FILE_BYTES` is refused before reading)."""
    raw = read_regular(path, limit=MAX_DATA_FILE_BYTES, follow=False)
    return raw.decode("utf-8-sig")


def _dup_key_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


class _NotFinite(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _NotFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise _NotFinite(text)
    return value


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _duplicate_key_line(text: str, key: str) -> int | None:
    """The line of the second ``key`` in one JSON object (a small scanner; error path only)."""
    stack: list[set[str]] = []
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == "{":
            stack.append(set())
        elif c == "}":
            if stack:
                stack.pop()
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            raw = text[i : j + 1]
            k = j + 1
            while k < n and text[k] in " \t\r\n":
                k += 1
            if k < n and text[k] == ":" and stack:
                try:
                    name = json.loads(raw)
                except ValueError:
                    name = None
                if name == key and key in stack[-1]:
                    return line
                if isinstance(name, str):
                    stack[-1].add(name)
            line += raw.count("\n")
            i = j
        i += 1
    return None


def parse_json(text: str, where: str | Path, *, one_line: bool = False) -> Any:
    """Parse a data file's JSON strictly: a syntax error names the line, a key repeated in
    one object is an error (it would silently drop a sample), and nesting too deep for the
    parser is a :class:`DataError` naming the file, never a ``RecursionError``. ``one_line``:
    ``where`` already names the line (a JSONL record)."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_dup_key_hook,
            parse_constant=_no_constant,
            parse_float=_finite_float,
        )
    except _NotFinite as exc:
        raise DataError(
            f"{where}: {exc} is not a finite number (JSON has no NaN or infinity)"
        ) from None
    except json.JSONDecodeError as exc:
        at = "" if one_line else f":{exc.lineno}"
        raise DataError(f"{where}{at}: invalid JSON ({exc.msg})") from None
    except _DuplicateKey as exc:
        dup_line = None if one_line else _duplicate_key_line(text, exc.key)
        place = f"{where}:{dup_line}" if dup_line else str(where)
        raise DataError(
            f"{place}: duplicate key {exc.key!r} in one JSON object (one of the two would be lost)"
        ) from None
    except RecursionError:
        raise DataError(f"{where}: JSON nested too deeply to read") from None


def read_csv(
    path: Path, required: Sequence[str], *, where: str | Path | None = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of a checked CSV file, strictly: a byte-order mark is accepted,
    required columns are checked, a row with too few or too many fields is an error, and an
    unclosed quote (which would swallow the rest of the file into one field) is an error
    naming the line where the broken row starts and how many lines the file has."""
    place = where or path
    with open_text(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f, strict=True)
        last = 1
        try:
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise DataError(f"{place}:1: missing column(s) {', '.join(missing)}")
            for row in reader:
                start, last = last + 1, reader.line_num
                if None in row or any(v is None for v in row.values()):
                    raise DataError(f"{place}:{start}: wrong number of fields")
                yield start, row
        except csv.Error as exc:
            lines = _count_lines(path)
            raise DataError(
                f"{place}:{last + 1}: malformed CSV ({exc}); the file has {lines} lines, "
                f"so about {max(0, lines - 1)} rows were expected (an unclosed quote?)"
            ) from None


def _count_lines(path: Path) -> int:
    try:
        with open_regular(path, follow=False) as f:
            data = f.read()
    except DataError:
        return 0
    return len(data.splitlines())


def check_unique(
    samples: Iterable[Sample], task_id: str, where: Callable[[Sample], str] | None = None
) -> Iterator[Sample]:
    """Pass ``samples`` through, refusing a second sample with the same id and variant (its
    result would replace the first one's in the store). ``where`` names a sample's source."""
    seen: dict[tuple[str, str], str] = {}
    for s in samples:
        key = (s.id, s.variant)
        here = where(s) if where else ""
        if key in seen:
            first = f" (first: {seen[key]})" if seen[key] else ""
            at = f"{here}: " if here else ""
            raise DataError(
                f"{at}duplicate sample id {s.id!r} (variant {s.variant}) in {task_id}{first}"
            )
        seen[key] = here
        yield s


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

    def stream(
        self, task_id: str, make: Callable[[], Iterable[Sample]]
    ) -> Callable[[], Iterable[Sample]]:
        """The task's samples, refusing a repeated (id, variant): its result would take the
        place of the first one's in the store."""
        return lambda: check_unique(make(), task_id)

    def path(self, rel: str | Path) -> Path:
        """Resolve ``rel`` inside the data root; refuse anything that escapes it.

        The one root check: links are resolved first, so a link (anywhere on the path) that
        points outside the root is refused like ``../``. A NUL byte, an over-long name or a
        link loop is a :class:`DataError` naming the path.
        """
        rel_s = str(rel)
        if "\x00" in rel_s:
            raise DataError(f"NUL byte in file name: {rel_s!r}")
        if rel_s.startswith("./"):
            rel_s = rel_s[2:]
        if rel_s.startswith("data/"):
            rel_s = rel_s[5:]
        p = Path(rel_s)
        if p.is_absolute():
            raise DataError(f"path escapes the data root (absolute): {rel}")
        if any(len(os.fsencode(part)) > 255 for part in p.parts):
            raise DataError(f"file name longer than 255 bytes: {rel_s[:80]}…")
        try:
            full = (self.root / p).resolve()
        except (OSError, RuntimeError, ValueError) as exc:  # a link loop, a bad name
            raise DataError(f"cannot resolve {rel}: {exc}") from None
        if full != self.root and self.root not in full.parents:
            raise DataError(f"path escapes the data root: {rel}")
        return full

    def file(self, rel: str | Path, *, what: str = "file") -> Path:
        """:meth:`path`, and it must be an existing regular file (not a FIFO, device or
        folder: reading one would hang or fail later)."""
        full = self.path(rel)
        try:
            st = full.stat()
        except FileNotFoundError:
            raise DataError(f"{what} not found: {full}") from None
        except OSError as exc:
            raise DataError(f"cannot read {full}: {exc.strerror or exc}") from None
        import stat as stat_mod

        if not stat_mod.S_ISREG(st.st_mode):
            raise DataError(f"not a regular file: {full}")
        return full

    def exists(self, rel: str | Path) -> bool:
        """Whether ``rel`` names something inside the root (a link outside it is an error)."""
        return self.path(rel).exists()

    def image(self, rel: str | Path) -> Image:
        p = self.file(rel, what="image")
        return Image.from_path(p, origin=str(p.relative_to(self.root)), follow=False)

    def listing(self, rel: str | Path, suffixes: Sequence[str]) -> list[Path]:
        """Entries of a folder whose names end in one of ``suffixes`` (case-insensitive),
        hidden names skipped, sub-folders left out, sorted by name. Anything else with such a
        name (a link out of the root, a FIFO) is kept, so reading it fails with its reason
        instead of the sample silently disappearing."""
        folder = self.path(rel)
        if not folder.is_dir():
            raise DataError(f"folder not found: {folder}")
        out = []
        for entry in folder.iterdir():
            if entry.name.startswith(".") or not entry.name.lower().endswith(tuple(suffixes)):
                continue
            try:
                if entry.is_dir():
                    continue
            except OSError:
                pass
            out.append(entry)
        return sorted(out)

    @cached_property
    def _pools(self) -> dict[str, list[Image]]:
        pools: dict[str, list[Image]] = {p: [] for p in UNRELATED_POOLS}
        if not self.path("unrelated_images").is_dir():
            return pools
        for f in self.listing("unrelated_images", ("",)):
            for p in UNRELATED_POOLS:
                if p in f.name:
                    pools[p].append(self.image(f"unrelated_images/{f.name}"))
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
