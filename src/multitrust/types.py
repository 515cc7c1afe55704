"""Core value types: Image, Sample, Message, GenerateConfig, Generation, Score.

Everything here is immutable and JSON-describable, so it can be hashed into cache keys
and written to the store. Pixels are never held by a Sample for the whole dataset: an
``Image`` is a content-addressed reference that loads its bytes on demand.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import mimetypes
import os
import re
import stat
import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from multitrust.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image as PILImage

#: Largest image (in pixels) we agree to decode: a decompression-bomb guard.
MAX_IMAGE_PIXELS = 64_000_000
#: Largest image file we agree to read.
MAX_IMAGE_BYTES = 64 * 1024 * 1024

_SNIFF = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def sniff_mime(data: bytes, fallback: str = "application/octet-stream") -> str:
    """Guess an image MIME type from its magic bytes."""
    for magic, mime in _SNIFF:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return fallback


def open_regular(path: str | Path, *, follow: bool = True) -> io.BufferedReader:
    """Open ``path`` for reading in binary, refusing anything that is not a regular file.

    The file is opened without blocking and checked on the open descriptor, so a FIFO, a
    device or a socket planted at a data path is an error, never a hang, and the check cannot
    be raced by swapping the file after it. ``follow=False`` refuses a symbolic link as the
    last path component (callers that resolved the path pass it). A NUL byte or an over-long
    name is a :class:`DataError` naming the path, never a ``ValueError``.
    """
    name = str(path)
    if "\x00" in name:
        raise DataError(f"NUL byte in file name: {name!r}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(name, flags)
    except FileNotFoundError:
        raise DataError(f"file not found: {name}") from None
    except OSError as exc:
        if not follow and os.path.islink(name):
            raise DataError(f"refusing a symbolic link: {name}") from None
        raise DataError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise DataError(f"{name}: {what}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | Path, *, limit: int | None = None, follow: bool = True) -> bytes:
    """The bytes of a regular file (see :func:`open_regular`), refusing more than ``limit``."""
    with open_regular(path, follow=follow) as f:
        if limit is None:
            return f.read()
        if os.fstat(f.fileno()).st_size > limit:  # refused before a byte is read
            raise DataError(f"file too large (over {limit} bytes): {path}")
        data = f.read(limit + 1)
    if len(data) > limit:
        raise DataError(f"file too large (over {limit} bytes): {path}")
    return data


_OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")


@contextlib.contextmanager
def replace_when_done(out: Path, tag: str = "part") -> Iterator[Path]:
    """A temporary path beside ``out`` to write (``.<name>.<tag>-<pid>-<random>``); it becomes
    ``out`` (one rename) only when the block ends normally. An error or Ctrl-C inside leaves
    ``out`` as it was (absent, or the previous file) and no half-written file anywhere."""
    tmp = out.with_name(f".{out.name}.{tag}-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def usv(text: str) -> str:
    """``text`` as Unicode scalar values: each unpaired surrogate (valid in JSON's ``\\ud800``
    escapes and in a Python str, but not encodable as UTF-8) becomes U+FFFD, as a UTF-8 decoder
    does with a bad byte; a split pair is joined. Anything else is returned as is."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text


def clean_exc(exc: BaseException) -> str:
    """An exception's message without object reprs such as ``<_io.BytesIO object at 0x…>``."""
    text = " ".join(_OBJECT_REPR.sub("", str(exc)).split())
    return text or type(exc).__name__


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: PNG colour types of the 8-bit modes :func:`png_bytes` writes itself.
_PNG_COLOR = {"L": 0, "RGB": 2, "RGBA": 6}
#: Sizes of images this process encoded from pixels (so valid by construction), by sha256:
#: the API encoder need not decode them again to check them. Bounded; cleared when full.
GENERATED_SIZES: dict[str, tuple[int, int]] = {}
_GENERATED_MAX = 200_000


def remember_generated_size(sha256: str, size: tuple[int, int]) -> None:
    """Record that the image with this hash was encoded from pixels by us (valid, this size)."""
    if len(GENERATED_SIZES) >= _GENERATED_MAX:
        GENERATED_SIZES.clear()
    GENERATED_SIZES[sha256] = size


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _deflate(raw: bytes, mode: str) -> bytes:
    # greyscale here is text and line art: run-length matching is faster and smaller there
    # (measured on P.6 typography); on RGB drawings and photos it is much larger
    strategy = zlib.Z_RLE if mode == "L" else zlib.Z_DEFAULT_STRATEGY
    packer = zlib.compressobj(1, zlib.DEFLATED, 15, 8, strategy)
    return packer.compress(raw) + packer.flush()


def png_bytes(img: PILImage.Image) -> bytes:
    """A deterministic PNG of ``img``, written fast: no row filters, zlib level 1.

    Pillow's encoder tries five filters per row and deflates at level 6: ~11 ms for a
    1024x1000 greyscale typography image, most of a synthetic sample's cost. This writes the
    same pixels (lossless) in a third to a fifth of the time, at up to a quarter more bytes. 8-bit
    L/RGB/RGBA only; other modes go through Pillow at level 1.
    """
    color = _PNG_COLOR.get(img.mode)
    if color is None:
        buf = io.BytesIO()
        img.save(buf, format="PNG", optimize=False, compress_level=1)
        return buf.getvalue()
    import numpy as np

    width, height = img.size
    pixels = np.asarray(img, dtype=np.uint8).reshape(height, -1)
    scan = np.zeros((height, pixels.shape[1] + 1), dtype=np.uint8)  # filter byte 0: None
    scan[:, 1:] = pixels
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", ihdr),
            _png_chunk(b"IDAT", _deflate(scan.tobytes(), img.mode)),
            _png_chunk(b"IEND", b""),
        )
    )


@dataclass(frozen=True, slots=True)
class Image:
    """A content-addressed image reference.

    Either ``path`` (a file, read lazily) or ``data`` (bytes held inline: generated images)
    is set. ``sha256`` identifies the content and is what cache keys use, so two copies of
    the same picture share cache entries.
    """

    sha256: str
    """Hex sha256 of the encoded file bytes."""
    mime: str
    """MIME type, e.g. ``image/png``."""
    path: str | None = None
    """Where to read the bytes from (absolute or relative to the process)."""
    data: bytes | None = field(default=None, repr=False, compare=False)
    """Inline bytes, for images generated in memory."""
    origin: str | None = None
    """Human-readable provenance, e.g. ``synth:illusion/mirror`` or a data-relative path."""
    no_follow: bool = field(default=False, compare=False, repr=False)
    """Refuse a link at ``path`` when reading (set for paths resolved and checked at load)."""

    @classmethod
    def from_bytes(
        cls, data: bytes, mime: str | None = None, *, origin: str | None = None
    ) -> Image:
        return cls(_sha256(data), mime or sniff_mime(data), None, data, origin)

    @classmethod
    def from_path(
        cls, path: str | Path, *, origin: str | None = None, follow: bool = True
    ) -> Image:
        """Reference a file. Its bytes are hashed now (one read) but not kept; a later read
        must find the same bytes. ``follow=False``: a link as the last component is refused
        (for paths already resolved and checked, e.g. against a data root)."""
        p = Path(path)
        try:
            data = read_regular(p, limit=MAX_IMAGE_BYTES, follow=follow)
        except DataError as exc:
            msg = str(exc)
            if msg.startswith("file not found"):
                raise DataError(f"image not found: {p}") from None
            if msg.startswith("file too large"):
                raise DataError(f"image too large (over {MAX_IMAGE_BYTES} bytes): {p}") from None
            raise
        if not data:
            raise DataError(f"image is empty: {p}")
        guessed = mimetypes.guess_type(p.name)[0] or "application/octet-stream"
        mime = sniff_mime(data, guessed)
        return cls(_sha256(data), mime, str(p), None, origin or str(p), no_follow=not follow)

    @classmethod
    def from_pil(cls, img: PILImage.Image, *, fmt: str = "PNG", origin: str | None = None) -> Image:
        """Encode a PIL image deterministically (no timestamps or metadata).

        PNG goes through :func:`png_bytes` (fast, lossless). The image is remembered as
        valid with its size, so sending it later needs no decode to check it.
        """
        if fmt.upper() == "PNG":
            data = png_bytes(img)
        else:
            buf = io.BytesIO()
            img.convert("RGB").save(buf, format=fmt, quality=90)
            data = buf.getvalue()
        image = cls.from_bytes(data, f"image/{fmt.lower()}", origin=origin)
        remember_generated_size(image.sha256, img.size)
        return image

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.path is None:
            raise DataError(f"image {self.sha256[:12]} has neither bytes nor a path")
        data = read_regular(self.path, limit=MAX_IMAGE_BYTES, follow=not self.no_follow)
        # the file is read again when sent: bytes other than those hashed when it was loaded
        # (a file replaced since, or a link swapped in) are never returned
        if _sha256(data) != self.sha256:
            raise DataError(f"image changed since it was loaded: {self.path}")
        return data

    def load(self) -> PILImage.Image:
        """Decode to an RGB PIL image, refusing decompression bombs and corrupt files."""
        from PIL import Image as PILImageMod

        PILImageMod.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
        where = self.path or self.origin or self.sha256[:12]
        try:
            with PILImageMod.open(io.BytesIO(self.read_bytes())) as im:
                w, h = im.size
                if w * h > MAX_IMAGE_PIXELS:
                    raise DataError(f"image too large to decode ({w}x{h}): {where}")
                im.load()
                rgb: PILImage.Image = im.convert("RGB")
                return rgb
        except DataError:
            raise
        except (PILImageMod.DecompressionBombError, PILImageMod.DecompressionBombWarning):
            raise DataError(f"image refused as a decompression bomb: {where}") from None
        except Exception as exc:  # PIL raises many types for corrupt files
            raise DataError(f"corrupt or unreadable image {where}: {clean_exc(exc)}") from None

    def ref(self) -> dict[str, Any]:
        """JSON description (no pixels) for the store and cache keys."""
        return {"sha256": self.sha256, "mime": self.mime, "origin": self.origin}


Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    """One chat turn. Images (if any) are shown to the model before the text."""

    role: Role
    text: str
    images: tuple[Image, ...] = ()

    def __post_init__(self) -> None:
        # what a model is sent is UTF-8: a dataset's unpaired surrogate becomes U+FFFD here, so
        # every backend can encode the request (the cache key sees the same text)
        if not self.text.isascii():
            object.__setattr__(self, "text", usv(self.text))

    def key(self) -> dict[str, Any]:
        return {"role": self.role, "text": self.text, "images": [i.sha256 for i in self.images]}


@dataclass(frozen=True, slots=True)
class Sample:
    """One evaluation item. Immutable; ``id`` is stable across runs.

    ``text`` is the input the task's prompt template is applied to (for many tasks the full
    user prompt). ``variant`` names the cross-modal condition (see ``multitrust.tasks.variants``).
    """

    id: str
    text: str
    images: tuple[Image, ...] = ()
    target: Any = None
    """Ground truth, JSON-serialisable (a label, a list of PII values, a box …)."""
    meta: Mapping[str, Any] = field(default_factory=dict)
    """JSON-serialisable facts: kind, topic, group, pii_type, subset …"""
    variant: str = "text"

    @property
    def uid(self) -> str:
        return f"{self.id}@{self.variant}"


@dataclass(frozen=True, slots=True)
class GenerateConfig:
    """Generation settings. Greedy by default, as the paper ran every model."""

    max_tokens: int = 256
    temperature: float = 0.0
    top_p: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()

    def key(self) -> dict[str, Any]:
        return {
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": list(self.stop),
        }


ErrorKind = Literal[
    "rate_limit",
    "timeout",
    "connection",
    "server",
    "bad_response",
    "bad_request",
    "auth",
    "input",
    "other",
]


@dataclass(frozen=True, slots=True)
class Generation:
    """The outcome of one model call: text, or an error with its cause. Never both."""

    text: str | None
    error: str | None = None
    error_kind: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_s: float | None = None
    cached: bool = False

    def __post_init__(self) -> None:
        # a server may send an unpaired surrogate (a JSON "\\ud800" escape): the text is kept
        # with U+FFFD in its place, so it can be scored, stored and exported like any other
        if self.text is not None and not self.text.isascii():
            object.__setattr__(self, "text", usv(self.text))
        if self.error is not None and not self.error.isascii():
            object.__setattr__(self, "error", usv(self.error))

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None

    @classmethod
    def failure(cls, error: str, kind: str = "other", latency_s: float | None = None) -> Generation:
        return cls(None, error=error, error_kind=kind, latency_s=latency_s)


@dataclass(frozen=True, slots=True)
class Score:
    """A scorer's verdict on one (sample, output).

    ``values`` holds the named per-sample metrics the task formula aggregates, e.g.
    ``{"correct": 1.0}`` or ``{"refusal": 1.0, "leak": 0.0}``. A value of ``None`` means
    "not applicable / could not be decided" and is left out of means.
    """

    values: Mapping[str, float | None]
    label: str | None = None
    """A short outcome label: ``yes``, ``no``, ``refusal``, ``unparseable`` …"""
    explanation: str | None = None
    """Why: the matched phrase, the judge's rationale …"""
    scorer: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {"values": dict(self.values), "label": self.label, "explanation": self.explanation},
            sort_keys=True,
        )
