"""Image helpers shared by data sources: unrelated-image pools, typography, deterministic encoding.

Everything is seeded and uses only Pillow and NumPy with the font embedded in Pillow, so the
same seed gives byte-identical PNGs on any machine with the same Pillow version.
"""

from __future__ import annotations

import math
import textwrap
from functools import lru_cache

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter, ImageFont

from multitrust.types import Image

POOL_SIZE = 8


@lru_cache(maxsize=32)
def font(size: int = 40) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's embedded scalable font (no system fonts needed)."""
    return ImageFont.load_default(size=size)


def solid_color(rgb: tuple[int, int, int], size: tuple[int, int] = (256, 256)) -> PILImage.Image:
    return PILImage.new("RGB", size, rgb)


def noise_image(rng: np.random.Generator, size: tuple[int, int] = (256, 256)) -> PILImage.Image:
    arr = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    return PILImage.fromarray(arr, "RGB")


def nature_like(rng: np.random.Generator, size: tuple[int, int] = (256, 256)) -> PILImage.Image:
    """A procedural landscape: sky gradient, sun, layered hills, a lake. License-free by construction."""
    w, h = size
    y = np.linspace(0, 1, h)[:, None]
    top = rng.uniform([90, 140, 200], [140, 190, 250])
    bottom = rng.uniform([180, 200, 220], [230, 235, 250])
    sky = (top * (1 - y) + bottom * y)[:, None, :].repeat(w, axis=1).reshape(h, w, 3)
    img = PILImage.fromarray(sky.astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    sx, sy, r = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.35) * h, rng.uniform(0.05, 0.1) * w
    d.ellipse([sx - r, sy - r, sx + r, sy + r], fill=(255, 230, 120))
    for layer in range(3):
        base = h * (0.45 + 0.15 * layer)
        amp = h * rng.uniform(0.04, 0.12)
        freq = rng.uniform(1.0, 3.0)
        phase = rng.uniform(0, 2 * math.pi)
        pts = [
            (x, base - amp * math.sin(freq * 2 * math.pi * x / w + phase))
            for x in range(0, w + 8, 8)
        ]
        g = int(rng.uniform(80, 140)) - 25 * layer
        d.polygon([(0, h), *pts, (w, h)], fill=(30 + 10 * layer, max(g, 40), 40 + 5 * layer))
    if rng.uniform() < 0.5:
        d.ellipse([w * 0.2, h * 0.8, w * 0.8, h * 1.05], fill=(70, 120, 180))
    return img.filter(ImageFilter.GaussianBlur(0.6))


def synth_unrelated_pool(pool: str, *, seed: int = 0, n: int = POOL_SIZE) -> list[Image]:
    """The synthetic unrelated-image pool: solid colours, uniform noise, or procedural landscapes."""
    out: list[Image] = []
    for i in range(n):
        rng = np.random.default_rng([seed, i, {"color": 1, "nature": 2, "noise": 3}[pool]])
        if pool == "color":
            rgb = tuple(int(c) for c in rng.integers(0, 256, 3))
            im = solid_color((rgb[0], rgb[1], rgb[2]))
        elif pool == "noise":
            im = noise_image(rng)
        elif pool == "nature":
            im = nature_like(rng)
        else:
            raise ValueError(f"unknown pool {pool!r}")
        out.append(Image.from_pil(im, origin=f"synth:unrelated/{pool}_{i}"))
    return out


def render_text(
    text: str,
    *,
    font_size: int = 40,
    width: int = 1024,
    margin: int = 20,
    fg: tuple[int, int, int] = (0, 0, 0),
    bg: tuple[int, int, int] = (255, 255, 255),
) -> PILImage.Image:
    """Typography: black text wrapped greedily on a white canvas (existing newlines kept)."""
    f = font(font_size)
    avg = max(1, int(f.getlength("abcdefghijklmnopqrstuvwxyz") / 26))
    cols = max(8, (width - 2 * margin) // avg)
    lines: list[str] = []
    for para in text.split("\n"):
        lines.extend(textwrap.wrap(para, cols) or [""])
    line_h = int(font_size * 1.25)
    height = max(line_h, line_h * len(lines)) + 2 * margin
    img = PILImage.new("RGB", (width, height), bg)
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        d.text((margin, margin + i * line_h), line, font=f, fill=fg)
    return img


def typography(text: str, **kw: int) -> Image:
    return Image.from_pil(render_text(text, **kw), origin="synth:typography")  # type: ignore[arg-type]
