"""Image payload encoding: pass-through, downscaling, format conversion, the LRU cache."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image as PILImage

from multitrust.errors import InputError
from multitrust.models import images
from multitrust.models.images import _LRU, COMMON_MIMES, EncodedImage, data_url, encode_image
from multitrust.types import Image


def pil_image(w: int, h: int, fmt: str = "PNG") -> Image:
    im = PILImage.new("RGB", (w, h), (10, 200, 40))
    if fmt == "PNG":
        return Image.from_pil(im)
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    return Image.from_bytes(buf.getvalue())


def decoded_size(enc: EncodedImage) -> tuple[int, int]:
    with PILImage.open(io.BytesIO(enc.data)) as im:
        size: tuple[int, int] = im.size
        return size


def test_small_png_passes_through_unchanged() -> None:
    img = pil_image(30, 20)
    enc = encode_image(img, max_side=64)
    assert enc.mime == "image/png" and enc.data == img.data
    url = data_url(img)
    assert url == "data:image/png;base64," + base64.b64encode(img.data).decode()


def test_downscale_keeps_aspect_ratio() -> None:
    enc = encode_image(pil_image(400, 100), max_side=100)
    assert decoded_size(enc) == (100, 25) and enc.mime == "image/png"
    jpeg = encode_image(pil_image(300, 300, "JPEG"), max_side=60)
    assert jpeg.mime == "image/jpeg" and decoded_size(jpeg) == (60, 60)


def test_unaccepted_format_is_converted() -> None:
    bmp = pil_image(10, 10, "BMP")
    assert bmp.mime == "image/bmp"
    enc = encode_image(bmp)
    assert enc.mime == "image/png" and decoded_size(enc) == (10, 10)
    gif = pil_image(6, 6, "GIF")
    assert encode_image(gif).mime == "image/gif"  # OpenAI takes GIF …
    assert encode_image(gif, accepted=COMMON_MIMES).mime == "image/png"  # … Google does not


TRUNCATED = pil_image(40, 40).read_bytes()[:-30]


@pytest.mark.parametrize(
    "data", [b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, TRUNCATED]
)
@pytest.mark.parametrize("max_side", [None, 32])
def test_unreadable_image_is_an_input_error(data: bytes, max_side: int | None) -> None:
    # checked even when the bytes could be passed through untouched
    with pytest.raises(InputError):
        encode_image(Image.from_bytes(data, "image/png"), max_side=max_side)


def test_each_image_is_encoded_once() -> None:
    images.clear_cache()
    img = pil_image(50, 50)
    first = encode_image(img, max_side=20)
    assert encode_image(img, max_side=20) is first
    assert images.cache_info()["hits"] == 1 and images.cache_info()["misses"] == 1
    assert encode_image(img, max_side=30) is not first  # another setting, another entry


def test_lru_is_bounded() -> None:
    lru = _LRU(max_bytes=10_000, max_items=3)
    for i in range(5):
        lru.put((i,), EncodedImage("image/png", b"x" * 100))
    assert len(lru) == 3 and lru.get((0,)) is None and lru.get((4,)) is not None
    lru.put(("big",), EncodedImage("image/png", b"x" * 5000))  # ~18 kB counted: evicts the rest
    assert len(lru) <= 1
