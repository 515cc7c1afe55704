"""The synthetic suite, built once and kept on disk.

Drawing the synthetic suite is most of a synthetic run's client CPU: R.1's pictures take
~45 ms each, P.1/P.2's documents ~10 ms, S.5's typography ~7 ms (see docs/performance.md),
while the model call they feed may take far less on a fast local server. The suite is a pure
function of (task, seed, size) and of the code and libraries that draw it, so a run keeps each
task's finished sample stream under the cache folder, and the next run with the same
(task, seed, size) and the same build reads it back instead of drawing it again: the same
samples, field for field, and the same image bytes (each checked against its sha256 as it is
read).

Layout under the folder (``$MULTITRUST_CACHE``, else ``$XDG_CACHE_HOME/multitrust``, else
``~/.cache/multitrust``; ``--synth-cache DIR`` or ``RunConfig.synth_cache`` chooses another,
``--no-synth-cache`` turns it off)::

    synth/streams/<task>-seed<seed>-n<size>-<build>.jsonl   one JSON line per sample, then
                                                             {"end": <count>}
    synth/images/<sha256[:2]>/<sha256>.<ext>                 content-addressed image bytes

``<build>`` hashes this package's source, its version, and the versions of Pillow, FreeType,
NumPy, zlib, Faker and scikit-image (all of which decide the drawn bytes), so a change to any
of them starts a new stream instead of reading a stale one. A stream is written to a temporary file as the run
consumes it and renamed into place only once it is complete, so an interrupted run, a run
capped by ``--limit`` or two runs at once never leave half a stream. The writer holds an
exclusive ``flock`` on its temporary file while drawing; a temporary file left by a writer that
died (``kill -9``) holds no lock, and the next draw in that folder removes it once it is
:data:`STALE_TMP_S` old (a live writer's file is never touched). A stream that cannot be
read back (an edited line, a missing or altered image) is removed and the task's samples are
drawn again from where reading stopped; the run goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # no flock (Windows): temporary files are neither locked nor cleaned
    fcntl = None  # type: ignore[assignment]

from multitrust.types import GENERATED_SIZES, Image, Sample, remember_generated_size

log = logging.getLogger(__name__)

FORMAT = 1
"""The on-disk layout's version (part of every stream's key)."""
STALE_TMP_S = 60.0
"""A temporary stream whose writer holds no lock is removed once it is this old (seconds): the
age covers the moment between creating the file and locking it."""
_EXT = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def default_cache_dir() -> Path:
    """``$MULTITRUST_CACHE``, else ``$XDG_CACHE_HOME/multitrust``, else ``~/.cache/multitrust``."""
    if os.environ.get("MULTITRUST_CACHE"):
        return Path(os.environ["MULTITRUST_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "multitrust"


#: Distributions whose version decides drawn bytes without being imported here: Faker writes
#: the names, addresses and numbers of the privacy and fairness texts, scikit-image draws R.1/R.2.
DRAWING_DISTRIBUTIONS = ("faker", "scikit-image")


def _dist_version(name: str) -> str:
    """The installed version of distribution ``name``, or ``absent``."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def library_versions() -> tuple[str, ...]:
    """``name=version`` of everything outside this package that decides the drawn bytes."""
    import numpy
    import PIL
    from PIL import features

    from multitrust._version import __version__

    return (
        f"format={FORMAT}",
        f"multitrust={__version__}",
        f"pillow={PIL.__version__}",
        f"freetype={features.version('freetype2')}",
        f"numpy={numpy.__version__}",
        f"zlib={zlib.ZLIB_RUNTIME_VERSION}",
        f"python={sys.version_info[0]}.{sys.version_info[1]}",
        *(f"{name}={_dist_version(name)}" for name in DRAWING_DISTRIBUTIONS),
    )


@lru_cache(maxsize=1)
def build_identity() -> str:
    """A hash of everything that decides the drawn samples' bytes: :func:`library_versions`
    and this package's source."""
    h = hashlib.sha256()
    h.update("\n".join(library_versions()).encode())
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    # synthetic R.4 / R.5 are attacked with the surrogates these name (data/attack/synth.py);
    # unset, they change nothing
    for var in ("MULTITRUST_ATTACK_SURROGATES", "MULTITRUST_ATTACK_STEPS"):
        if os.environ.get(var):
            h.update(f"{var}={os.environ[var]}\0".encode())
    return h.hexdigest()[:16]


class _Unreadable(Exception):
    """A cached stream or image that is not what was written."""


def _image_record(image: Image) -> dict[str, Any]:
    size = GENERATED_SIZES.get(image.sha256)
    return {
        "sha256": image.sha256,
        "mime": image.mime,
        "origin": image.origin,
        "size": list(size) if size is not None else None,
    }


def _record(sample: Sample) -> dict[str, Any]:
    return {
        "id": sample.id,
        "text": sample.text,
        "images": [_image_record(i) for i in sample.images],
        "target": sample.target,
        "meta": dict(sample.meta),
        "variant": sample.variant,
    }


def remove_stale_temporaries(folder: Path, *, older_than_s: float | None = None) -> list[Path]:
    """Remove the ``.draw-*.tmp`` files in ``folder`` whose writer is gone: no process holds
    their lock and they are at least ``older_than_s`` (default :data:`STALE_TMP_S`) old.
    Returns what was removed. Never raises: a file that vanishes or cannot be opened is left."""
    if fcntl is None:
        return []
    age = STALE_TMP_S if older_than_s is None else older_than_s
    removed: list[Path] = []
    now = time.time()
    for tmp in folder.glob(".draw-*.tmp"):
        try:
            if now - tmp.stat().st_mtime < age:
                continue
            fd = os.open(tmp, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while its writer lives
            tmp.unlink()
            removed.append(tmp)
        except OSError:
            pass
        finally:
            os.close(fd)
    if removed:
        log.info("synthetic cache: removed %d temporary files left by dead writers", len(removed))
    return removed


class SynthCache:
    """Finished synthetic sample streams under ``root`` (see the module doc)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root) / "synth"
        self.hits = 0
        """Streams read back from disk by this object."""
        self.writes = 0
        """Streams drawn and written by this object."""

    def stream_path(self, task_id: str, seed: int, size: int) -> Path:
        name = f"{task_id}-seed{seed}-n{size}-{build_identity()}.jsonl"
        return self.root / "streams" / name

    def image_path(self, sha256: str, mime: str) -> Path:
        return self.root / "images" / sha256[:2] / f"{sha256}.{_EXT.get(mime, 'bin')}"

    def samples(
        self, task_id: str, seed: int, size: int, make: Callable[[], Iterable[Sample]]
    ) -> Iterator[Sample]:
        """The task's samples: read back when a finished stream exists, else drawn by ``make``
        (and kept once the stream has been drawn to its end)."""
        path = self.stream_path(task_id, seed, size)
        if not path.is_file():
            yield from self._draw(path, make)
            return
        read = 0
        try:
            for sample in self._read(path):
                yield sample
                read += 1
            self.hits += 1
            return
        except (_Unreadable, OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("synthetic cache %s is unreadable (%s): drawing it again", path, exc)
            path.unlink(missing_ok=True)
        for i, sample in enumerate(self._draw(path, make)):
            if i >= read:
                yield sample

    # ------------------------------------------------------------------ reading

    def _read(self, path: Path) -> Iterator[Sample]:
        seen: dict[str, Image] = {}
        count = 0
        with path.open("r", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if "end" in rec:  # the trailer: a stream is whole only with it
                    if rec["end"] != count:
                        raise _Unreadable(f"{count} samples, the trailer says {rec['end']}")
                    return
                images = tuple(self._image(r, seen) for r in rec["images"])
                yield Sample(
                    rec["id"], rec["text"], images, rec["target"], rec["meta"], rec["variant"]
                )
                count += 1
        raise _Unreadable(f"the stream ends after {count} samples, without its trailer")

    def _image(self, rec: dict[str, Any], seen: dict[str, Image]) -> Image:
        sha = rec["sha256"]
        hit = seen.get(sha)
        if hit is not None and hit.origin == rec["origin"]:
            return hit
        where = self.image_path(sha, rec["mime"])
        data = where.read_bytes()
        if hashlib.sha256(data).hexdigest() != sha:
            where.unlink(missing_ok=True)  # drawn again, and written again, below
            raise _Unreadable(f"image {sha[:12]} does not match its hash")
        image = Image(sha, rec["mime"], None, data, rec["origin"])
        if rec["size"] is not None:  # drawn by us and unchanged: valid without a decode
            remember_generated_size(sha, (int(rec["size"][0]), int(rec["size"][1])))
        if len(seen) > 4096:
            seen.clear()
        seen[sha] = image
        return image

    # ------------------------------------------------------------------ drawing

    def _draw(self, path: Path, make: Callable[[], Iterable[Sample]]) -> Iterator[Sample]:
        """Yield ``make()``'s samples, writing them to a temporary stream that becomes
        ``path`` only when the last one has been drawn (and every one reads back equal)."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(path.parent)
            fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".draw-", suffix=".tmp")
            if fcntl is not None:  # held until the file is closed: "a live writer draws this"
                fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            log.warning("synthetic cache %s cannot be written (%s): not caching", path, exc)
            yield from make()
            return
        tmp = Path(tmp_name)
        fh = os.fdopen(fd, "w", encoding="utf-8")
        keep = True
        written: set[str] = set()
        try:
            count = 0
            for sample in make():
                if keep:
                    keep = self._write_one(fh, sample, written)
                count += 1
                yield sample
            if keep:
                try:  # a full disk here costs the cache, never the run
                    fh.write(json.dumps({"end": count}) + "\n")
                    fh.close()
                    os.replace(tmp, path)
                    self.writes += 1
                except OSError as exc:
                    log.warning("synthetic cache %s not kept (%s)", path, exc)
        finally:
            with contextlib.suppress(OSError):
                fh.close()
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    def _write_one(self, fh: Any, sample: Sample, written: set[str]) -> bool:
        """Append one sample; False (stop caching this stream) if it would not read back equal."""
        try:
            rec = _record(sample)
            line = json.dumps(rec, ensure_ascii=False, allow_nan=True)
            back = json.loads(line)
            if (
                back["target"] != sample.target
                or back["meta"] != dict(sample.meta)
                or type(back["target"]) is not type(sample.target)
            ):
                raise _Unreadable("a value does not survive JSON")
            for image in sample.images:
                if image.data is None:  # a file of the user's: not ours to copy
                    raise _Unreadable(f"image {image.origin or image.sha256[:12]} is a file")
                if image.sha256 not in written:
                    self._put_image(image)
                    written.add(image.sha256)
            fh.write(line + "\n")
            return True
        except (_Unreadable, TypeError, ValueError, OSError) as exc:
            log.info("synthetic sample %s not cacheable (%s): stream not cached", sample.uid, exc)
            return False

    def _put_image(self, image: Image) -> None:
        dest = self.image_path(image.sha256, image.mime)
        if dest.is_file():
            return
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".img-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(image.read_bytes())
            os.replace(tmp, dest)
        finally:
            Path(tmp).unlink(missing_ok=True)
