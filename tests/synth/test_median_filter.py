"""robustness_images.median_filter gives Pillow's MedianFilter pixels exactly (R.1 handmake)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageFilter

from multitrust.data.synth import robustness_images as ri


def _pillow(img: PILImage.Image, size: int) -> np.ndarray:
    return np.asarray(img.filter(ImageFilter.MedianFilter(size)))


@pytest.mark.parametrize("size", [3, 5, 7])
@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_same_pixels_as_pillow_on_few_valued_images(size: int, mode: str) -> None:
    rng = np.random.default_rng(size)
    for trial in range(6):
        h, w = int(rng.integers(5, 60)), int(rng.integers(5, 60))
        palette = rng.integers(0, 256, size=int(rng.integers(1, 9)), dtype=np.uint8)
        shape = (h, w, 3) if mode == "RGB" else (h, w)
        # blocky regions, as a quantized picture has, plus scattered single pixels
        arr = palette[rng.integers(0, len(palette), size=shape)]
        if trial % 2:
            arr = np.repeat(np.repeat(arr[::4, ::4], 4, 0), 4, 1)[:h, :w]
        img = PILImage.fromarray(np.ascontiguousarray(arr), mode)
        got = ri.median_filter(img, size)
        assert got.mode == mode and got.size == img.size
        assert np.array_equal(np.asarray(got), _pillow(img, size)), (trial, h, w)


def test_many_valued_images_go_to_pillow_unchanged() -> None:
    rng = np.random.default_rng(1)
    img = PILImage.fromarray(rng.integers(0, 256, size=(40, 50, 3), dtype=np.uint8), "RGB")
    assert np.array_equal(np.asarray(ri.median_filter(img, 5)), _pillow(img, 5))


def test_handmake_pixels_unchanged_on_real_pictures() -> None:
    """The R.1 handmake step (quantize to 4-6 colours, then the median) on drawn objects."""
    for k, obj in enumerate(ri.OBJECTS[:6]):
        rng = np.random.default_rng(k)
        flat = ri.object_picture(obj, rng).quantize(colors=4 + k % 3).convert("RGB")
        assert np.array_equal(np.asarray(ri.median_filter(flat, 7)), _pillow(flat, 7))
