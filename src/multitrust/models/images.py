"""Images as API payloads: bytes in a format the provider accepts, optionally downscaled.

API backends send images inline (a base64 data URL for OpenAI-compatible servers, a base64
block for Anthropic, raw bytes for Google). Encoding is done once per image and setting:
results are kept in a bounded LRU keyed by the image's sha256, so an image shown with many
prompts (unrelated-image pools, variants of one item) is read and encoded once per run.

Pixels are only decoded when they must be: an image already in an accepted format and
within ``max_side`` is passed through byte for byte (so what the model sees is exactly the
file that was hashed).
"""

from __future__ import annotations

import base64
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property

from multitrust.errors import DataError, InputError
from multitrust.types import GENERATED_SIZES, MAX_IMAGE_PIXELS, Image, clean_exc, sniff_mime

#: Formats every provider we talk to accepts (OpenAI, Anthropic, Google share these three).
COMMON_MIMES: frozenset[str] = frozenset({"image/png", "image/jpeg", "image/webp"})
#: Formats OpenAI-compatible servers and Anthropic accept.
OPENAI_MIMES: frozenset[str] = COMMON_MIMES | {"image/gif"}

#: Bound of the encoding cache, in bytes of encoded payload (base64 included).
CACHE_MAX_BYTES = 256 * 1024 * 1024
CACHE_MAX_ITEMS = 4096


_MIME = re.compile(r"[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+")


class DataURL(str):
    """A ``data:<mime>;base64,<base64>`` URL built by :class:`EncodedImage`: ASCII with nothing
    JSON escapes, so a request body may copy it in as it is (``openai_compat.payload_bytes``)."""

    __slots__ = ()


@dataclass(frozen=True)
class EncodedImage:
    """An image ready to send: its MIME type, bytes and (lazily) base64 text."""

    mime: str
    data: bytes = field(repr=False)
    width: int | None = None
    height: int | None = None

    # cached_property writes the instance __dict__ directly, which a frozen dataclass allows;
    # a race between threads at worst encodes the same bytes twice
    @cached_property
    def b64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    @cached_property
    def data_url(self) -> str:
        url = f"data:{self.mime};base64,{self.b64}"
        return DataURL(url) if _MIME.fullmatch(self.mime) else url

    @property
    def size(self) -> int:
        return len(self.data) * 11 // 3  # raw bytes + base64 + data URL, roughly


class _LRU:
    """A thread-safe LRU bounded by item count and total payload bytes."""

    def __init__(self, max_bytes: int, max_items: int) -> None:
        self.max_bytes = max_bytes
        self.max_items = max_items
        self._items: OrderedDict[tuple[object, ...], EncodedImage] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[object, ...]) -> EncodedImage | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item

    def put(self, key: tuple[object, ...], item: EncodedImage) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._items[key] = item
            self._bytes += item.size
            while self._items and (
                self._bytes > self.max_bytes or len(self._items) > self.max_items
            ):
                _, evicted = self._items.popitem(last=False)
                self._bytes -= evicted.size

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)


_CACHE = _LRU(CACHE_MAX_BYTES, CACHE_MAX_ITEMS)


def cache_info() -> dict[str, int]:
    """Hits, misses and size of the encoding cache (for tests and benchmarks)."""
    return {
        "hits": _CACHE.hits,
        "misses": _CACHE.misses,
        "items": len(_CACHE),
        "bytes": _CACHE._bytes,
    }


def clear_cache() -> None:
    _CACHE.clear()


def encode_image(
    image: Image, *, max_side: int | None = None, accepted: Collection[str] = OPENAI_MIMES
) -> EncodedImage:
    """The image as a provider accepts it, downscaled so its longest side is <= ``max_side``.

    Raises :class:`InputError` (not retried) when the image cannot be read or decoded.
    """
    key = (image.sha256, max_side, tuple(sorted(accepted)))
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    try:
        encoded = _encode(image, max_side, accepted)
    except DataError as exc:
        raise InputError(str(exc)) from None
    _CACHE.put(key, encoded)
    return encoded


def _encode(image: Image, max_side: int | None, accepted: Collection[str]) -> EncodedImage:
    raw = image.read_bytes()
    mime = sniff_mime(raw, image.mime)
    if not mime.startswith("image/"):
        raise DataError(f"not an image file: {image.origin or image.sha256[:12]}")
    known = GENERATED_SIZES.get(image.sha256) if image.data is not None else None
    # encoded from pixels by this process: valid by construction, no decode to check it
    width, height = known if known is not None else _validated_size(raw, image)
    if mime in accepted and (max_side is None or max(width, height) <= max_side):
        return EncodedImage(mime, raw, width, height)  # pass-through, byte for byte
    return _reencode(image, mime, max_side, accepted)


def _validated_size(raw: bytes, image: Image) -> tuple[int, int]:
    """Width and height, after a full decode: a corrupt, truncated or bomb image fails here,
    as an input error of its own sample, instead of being sent (and perhaps answered).
    Done once per image per run thanks to the cache (~0.05 ms for a 64x64 PNG)."""
    from PIL import Image as PILImage

    where = image.origin or image.sha256[:12]
    try:
        with PILImage.open(io.BytesIO(raw)) as im:
            w, h = im.size
            if w * h > MAX_IMAGE_PIXELS:
                raise DataError(f"image too large to decode ({w}x{h}): {where}")
            im.load()
    except DataError:
        raise
    except Exception as exc:  # PIL raises many types (and bomb warnings) for bad files
        raise DataError(f"corrupt or unreadable image {where}: {clean_exc(exc)}") from None
    return w, h


def _reencode(
    image: Image, mime: str, max_side: int | None, accepted: Collection[str]
) -> EncodedImage:
    from PIL import Image as PILImage

    pil = image.load()  # RGB, with bomb and corruption checks
    if max_side is not None and max(pil.size) > max_side:
        scale = max_side / max(pil.size)
        size = (max(1, round(pil.width * scale)), max(1, round(pil.height * scale)))
        pil = pil.resize(size, PILImage.Resampling.LANCZOS)
    # photos stay JPEG (smaller); everything else becomes lossless PNG
    fmt = "JPEG" if mime == "image/jpeg" and "image/jpeg" in accepted else "PNG"
    buf = io.BytesIO()
    if fmt == "JPEG":
        pil.save(buf, format="JPEG", quality=90)
    else:
        pil.save(buf, format="PNG", compress_level=6)
    return EncodedImage(f"image/{fmt.lower()}", buf.getvalue(), pil.width, pil.height)


def data_url(image: Image, *, max_side: int | None = None) -> str:
    """A ``data:<mime>;base64,…`` URL for OpenAI-style ``image_url`` parts."""
    return encode_image(image, max_side=max_side, accepted=OPENAI_MIMES).data_url
