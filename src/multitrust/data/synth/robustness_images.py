"""Pictures for the synthetic robustness tasks: known objects, artistic styles, sensor looks.

Base objects are either real photos that scikit-image ships (``skimage.data``: astronaut,
chelsea the cat, coffee, rocket, horse, cameraman, coins; the bundled clock photo
is too blurred to count as a known object) or simple scenes drawn with
Pillow (house, tree, car, boat, fish, flower), so the object in every picture is known by
construction. :data:`STYLES` turn a picture into the six COCO-O style families (R.1);
:data:`SENSOR_LOOKS` imitate the BenchLMM sensors (R.2). Every function is a pure function of
its inputs and a seeded ``numpy.random.Generator``, so a seed gives byte-identical PNGs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter, ImageOps

Rng = np.random.Generator
SIZE = (320, 240)
MAX_SIDE = 320


@dataclass(frozen=True)
class ObjectKind:
    """An object whose presence a caption can be checked for."""

    label: str
    synonyms: tuple[str, ...]
    source: str
    """``photo:<skimage name>`` or ``drawn``."""


OBJECTS: tuple[ObjectKind, ...] = (
    ObjectKind(
        "person",
        ("person", "man", "woman", "astronaut", "human", "people", "spaceman"),
        "photo:astronaut",
    ),
    ObjectKind("cat", ("cat", "kitten", "kitty", "feline"), "photo:chelsea"),
    ObjectKind("cup", ("cup", "mug", "teacup"), "photo:coffee"),
    ObjectKind("rocket", ("rocket", "spacecraft", "space shuttle", "missile"), "photo:rocket"),
    ObjectKind("horse", ("horse", "pony", "stallion", "mare", "foal"), "photo:horse"),
    ObjectKind(
        "person", ("person", "man", "cameraman", "photographer", "human", "people"), "photo:camera"
    ),
    ObjectKind("coin", ("coin", "money", "currency"), "photo:coins"),
    ObjectKind("house", ("house", "home", "cottage", "hut", "building"), "drawn"),
    ObjectKind("tree", ("tree",), "drawn"),
    ObjectKind("car", ("car", "automobile", "vehicle"), "drawn"),
    ObjectKind("boat", ("boat", "sailboat", "ship", "yacht"), "drawn"),
    ObjectKind("fish", ("fish",), "drawn"),
    ObjectKind("flower", ("flower", "blossom", "daisy", "tulip"), "drawn"),
)


# --------------------------------------------------------------------------- base pictures


def _fit(img: PILImage.Image, max_side: int = MAX_SIDE) -> PILImage.Image:
    w, h = img.size
    scale = max_side / max(w, h)
    if scale >= 1:
        return img
    return img.resize(
        (max(1, round(w * scale)), max(1, round(h * scale))), PILImage.Resampling.LANCZOS
    )


@lru_cache(maxsize=16)
def photo(name: str) -> PILImage.Image:
    """A bundled scikit-image photo as an RGB image, at most 320 px on its longest side."""
    import skimage.data

    arr = getattr(skimage.data, name)()
    if arr.dtype == bool:  # the horse is a silhouette mask: paint it as a brown horse in a field
        mask = ~arr
        rgb = np.empty((*arr.shape, 3), dtype=np.uint8)
        rgb[:] = (150, 200, 235)
        rgb[arr.shape[0] * 2 // 3 :] = (90, 150, 70)
        rgb[mask] = (120, 72, 40)
        arr = rgb
    img = PILImage.fromarray(np.asarray(arr, dtype=np.uint8))
    return _fit(img.convert("RGB"))


def _rgb(rng: Rng, lo: int = 30, hi: int = 230) -> tuple[int, int, int]:
    c = rng.integers(lo, hi, 3)
    return (int(c[0]), int(c[1]), int(c[2]))


def _backdrop(rng: Rng) -> tuple[PILImage.Image, ImageDraw.ImageDraw, float]:
    """Sky over grass; returns the image, a drawer and the horizon height."""
    w, h = SIZE
    horizon = h * float(rng.uniform(0.55, 0.7))
    img = PILImage.new("RGB", SIZE, (int(rng.integers(120, 170)), int(rng.integers(180, 215)), 240))
    d = ImageDraw.Draw(img)
    d.rectangle([0, horizon, w, h], fill=(70, int(rng.integers(130, 170)), 60))
    return img, d, horizon


def _draw_house(rng: Rng, d: ImageDraw.ImageDraw, base: float) -> None:
    x0 = float(rng.uniform(60, 130))
    size = float(rng.uniform(90, 120))
    top = base - size * 0.8
    d.rectangle([x0, top, x0 + size, base], fill=_rgb(rng, 150, 240), outline=(40, 30, 30), width=2)
    d.polygon(
        [(x0 - 12, top), (x0 + size / 2, top - size * 0.55), (x0 + size + 12, top)],
        fill=(160, 40, 35),
    )
    d.rectangle([x0 + size * 0.4, base - size * 0.4, x0 + size * 0.6, base], fill=(90, 55, 30))
    d.rectangle(
        [x0 + size * 0.12, top + 12, x0 + size * 0.32, top + 32],
        fill=(170, 210, 240),
        outline=(40, 30, 30),
    )


def _draw_tree(rng: Rng, d: ImageDraw.ImageDraw, base: float) -> None:
    x = float(rng.uniform(120, 200))
    d.rectangle([x - 9, base - 75, x + 9, base], fill=(100, 65, 35))
    r = float(rng.uniform(45, 60))
    for dx, dy in ((0, -95), (-30, -70), (30, -70)):
        d.ellipse(
            [x + dx - r, base + dy - r, x + dx + r, base + dy + r],
            fill=(35, int(rng.integers(110, 150)), 45),
        )


def _draw_car(rng: Rng, d: ImageDraw.ImageDraw, base: float) -> None:
    x0 = float(rng.uniform(50, 110))
    color = _rgb(rng, 40, 220)
    d.rounded_rectangle([x0, base - 55, x0 + 170, base - 15], radius=10, fill=color)
    d.polygon(
        [(x0 + 40, base - 55), (x0 + 60, base - 85), (x0 + 120, base - 85), (x0 + 140, base - 55)],
        fill=color,
    )
    d.polygon(
        [(x0 + 50, base - 57), (x0 + 65, base - 80), (x0 + 115, base - 80), (x0 + 130, base - 57)],
        fill=(190, 220, 240),
    )
    for cx in (x0 + 38, x0 + 132):
        d.ellipse([cx - 20, base - 38, cx + 20, base + 2], fill=(25, 25, 25))
        d.ellipse([cx - 8, base - 26, cx + 8, base - 10], fill=(170, 170, 170))


def _draw_boat(rng: Rng, d: ImageDraw.ImageDraw, base: float) -> None:
    w, h = SIZE
    d.rectangle([0, base - 10, w, h], fill=(50, 100, int(rng.integers(160, 210))))
    x0 = float(rng.uniform(60, 120))
    d.polygon(
        [(x0, base - 20), (x0 + 160, base - 20), (x0 + 135, base + 12), (x0 + 25, base + 12)],
        fill=_rgb(rng, 90, 200),
    )
    d.line([(x0 + 80, base - 20), (x0 + 80, base - 130)], fill=(70, 50, 30), width=4)
    d.polygon(
        [(x0 + 84, base - 128), (x0 + 84, base - 28), (x0 + 150, base - 28)], fill=(245, 245, 235)
    )


def _draw_fish(rng: Rng, d: ImageDraw.ImageDraw, base: float) -> None:
    w, h = SIZE
    d.rectangle([0, 0, w, h], fill=(40, 90, int(rng.integers(150, 200))))
    cx, cy = float(rng.uniform(130, 190)), float(rng.uniform(100, 140))
    color = _rgb(rng, 150, 255)
    d.ellipse([cx - 70, cy - 35, cx + 50, cy + 35], fill=color)
    d.polygon([(cx + 40, cy), (cx + 95, cy - 38), (cx + 95, cy + 38)], fill=color)
    d.ellipse([cx - 48, cy - 12, cx - 34, cy + 2], fill=(255, 255, 255))
    d.ellipse([cx - 44, cy - 8, cx - 38, cy - 2], fill=(0, 0, 0))


def _draw_flower(rng: Rng, d: ImageDraw.ImageDraw, base: float) -> None:
    cx, cy = float(rng.uniform(130, 190)), base - 110
    d.line([(cx, cy), (cx, base + 20)], fill=(40, 120, 40), width=6)
    d.ellipse([cx, cy + 50, cx + 40, cy + 70], fill=(50, 140, 50))
    petal = _rgb(rng, 150, 255)
    for k in range(8):
        a = k * math.pi / 4
        px, py = cx + 34 * math.cos(a), cy + 34 * math.sin(a)
        d.ellipse([px - 20, py - 20, px + 20, py + 20], fill=petal)
    d.ellipse([cx - 18, cy - 18, cx + 18, cy + 18], fill=(240, 200, 40))


_DRAWERS: dict[str, Callable[[Rng, ImageDraw.ImageDraw, float], None]] = {
    "house": _draw_house,
    "tree": _draw_tree,
    "car": _draw_car,
    "boat": _draw_boat,
    "fish": _draw_fish,
    "flower": _draw_flower,
}


def object_picture(obj: ObjectKind, rng: Rng) -> PILImage.Image:
    """The base picture of ``obj``: a bundled photo (lightly jittered) or a drawn scene."""
    if obj.source.startswith("photo:"):
        img = photo(obj.source.split(":", 1)[1]).copy()
        if rng.uniform() < 0.5:  # a mirror keeps the object and varies the picture per seed
            img = ImageOps.mirror(img)
        return img
    img, d, horizon = _backdrop(rng)
    _DRAWERS[obj.label](rng, d, horizon + float(rng.uniform(10, 30)))
    return img


# --------------------------------------------------------------------------- helpers


def _gray(img: PILImage.Image) -> np.ndarray:
    return np.asarray(img.convert("L"), dtype=np.float32) / 255.0


def _edges(img: PILImage.Image) -> np.ndarray:
    """Edge strength in [0, 1] (Sobel on a slightly blurred grey image)."""
    from skimage.filters import sobel

    g = _gray(img.filter(ImageFilter.GaussianBlur(1.0)))
    e: np.ndarray = sobel(g)
    clipped: np.ndarray = np.clip(e / max(float(e.max()), 1e-6), 0.0, 1.0)
    return clipped


#: Above this many distinct values in a band, :func:`median_filter` leaves the work to Pillow.
_FEW_VALUES = 16


def median_filter(img: PILImage.Image, size: int) -> PILImage.Image:
    """Exactly ``img.filter(ImageFilter.MedianFilter(size))``, fast on few-colour images.

    Pillow ranks every window of every band (~80 ms for a 320x320 RGB image at size 7). On a
    band with at most :data:`_FEW_VALUES` distinct values (a quantized picture) the median
    is found by counting instead: for each value ``v`` in ascending order, a box sum gives
    how many pixels of each window are ``<= v``; the median is the first ``v`` where that
    count exceeds half the window. Edges are replicated, as Pillow does.
    """
    bands = np.asarray(img)
    if bands.ndim == 2:
        bands = bands[..., None]
    if bands.dtype != np.uint8 or any(
        len(np.unique(bands[..., c])) > _FEW_VALUES for c in range(bands.shape[2])
    ):
        return img.filter(ImageFilter.MedianFilter(size))
    r, need = size // 2, size * size // 2 + 1
    out = np.empty_like(bands)
    for c in range(bands.shape[2]):
        band = bands[..., c]
        padded = np.pad(band, r, mode="edge")
        values = np.unique(band)
        result = np.full(band.shape, values[-1], np.uint8)
        decided = np.zeros(band.shape, bool)
        for v in values[:-1]:
            sums = np.zeros((padded.shape[0] + 1, padded.shape[1] + 1), np.int32)
            sums[1:, 1:] = (padded <= v).cumsum(0, dtype=np.int32).cumsum(1, dtype=np.int32)
            window = sums[size:, size:] - sums[:-size, size:] - sums[size:, :-size]
            window += sums[:-size, :-size]
            hit = (window >= need) & ~decided
            result[hit] = v
            decided |= hit
        out[..., c] = result
    return PILImage.fromarray(out if img.mode != "L" else out[..., 0], img.mode)


def _to_img(arr: np.ndarray) -> PILImage.Image:
    a = np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return PILImage.fromarray(a, "L" if a.ndim == 2 else "RGB")


def _paper(shape: tuple[int, int], rng: Rng, strength: float) -> np.ndarray:
    """Blurred fibre noise, mean 0, for paper or canvas texture."""
    n = rng.normal(0.0, 1.0, shape).astype(np.float32)
    n = (
        np.asarray(
            _to_img(np.clip(0.5 + n * 0.15, 0, 1)).filter(ImageFilter.GaussianBlur(1.2)), np.float32
        )
        / 255.0
    )
    return (n - 0.5) * strength


# --------------------------------------------------------------------------- R.1 styles


def sketch(img: PILImage.Image, rng: Rng) -> PILImage.Image:
    """Pencil sketch: inverted edges, darkened by a gamma, on paper texture."""
    e = _edges(img)
    lines = 1.0 - np.power(e, 0.6) * float(rng.uniform(0.8, 1.0))
    out = np.clip(lines + _paper(e.shape, rng, 0.12), 0.0, 1.0)
    return _to_img(out).convert("RGB")


def cartoon(img: PILImage.Image, rng: Rng) -> PILImage.Image:
    """Cartoon / comic: flattened colours with bold dark outlines."""
    flat = (
        img.filter(ImageFilter.MedianFilter(5))
        .quantize(colors=int(rng.integers(6, 10)))
        .convert("RGB")
    )
    flat = ImageOps.posterize(flat, 3)
    ink = (_edges(img) > float(rng.uniform(0.18, 0.28)))[..., None]
    arr = np.asarray(flat, np.float32) / 255.0
    return _to_img(np.where(ink, 0.05, arr))


def painting(img: PILImage.Image, rng: Rng) -> PILImage.Image:
    """Oil painting: mode-filtered brush patches, fewer colours, canvas weave."""
    brush = img.filter(ImageFilter.ModeFilter(int(rng.choice([5, 7])))).filter(
        ImageFilter.SMOOTH_MORE
    )
    brush = brush.quantize(colors=24).convert("RGB")
    arr = np.asarray(brush, np.float32) / 255.0
    weave = _paper(arr.shape[:2], rng, 0.18)[..., None]
    return _to_img(np.clip(arr * 1.05 + weave, 0, 1))


def handmake(img: PILImage.Image, rng: Rng) -> PILImage.Image:
    """Handmade craft (paper cut-out / felt): a few flat colours, embossed edges, fibres."""
    flat = img.quantize(colors=int(rng.integers(4, 7))).convert("RGB")
    flat = median_filter(flat, 7)
    relief = np.asarray(flat.convert("L").filter(ImageFilter.EMBOSS), np.float32) / 255.0 - 0.5
    arr = np.asarray(flat, np.float32) / 255.0
    arr = arr + relief[..., None] * 0.5 + _paper(arr.shape[:2], rng, 0.2)[..., None]
    out = _to_img(np.clip(arr, 0, 1))
    return ImageOps.expand(ImageOps.crop(out, 6), border=6, fill=(235, 225, 200))


def tattoo(img: PILImage.Image, rng: Rng) -> PILImage.Image:
    """Tattoo: blue-black ink line work, slightly bled, on skin."""
    e = _edges(img)
    dark = 1.0 - _gray(img)
    ink = np.clip(np.power(e, 0.5) * 0.9 + (dark > 0.75) * 0.5, 0, 1)
    ink_img = _to_img(ink).filter(ImageFilter.GaussianBlur(0.8))
    a = (np.asarray(ink_img, np.float32) / 255.0)[..., None]
    skin = np.array(
        [rng.uniform(0.8, 0.93), rng.uniform(0.62, 0.75), rng.uniform(0.52, 0.62)], np.float32
    )
    base = skin + _paper(e.shape, rng, 0.08)[..., None]
    inkc = np.array([0.08, 0.1, 0.2], np.float32)
    return _to_img(np.clip(base * (1 - a) + inkc * a, 0, 1))


def weather(img: PILImage.Image, rng: Rng) -> PILImage.Image:
    """Rain, snow or fog over the picture."""
    kind = str(rng.choice(["rain", "snow", "fog"]))
    w, h = img.size
    if kind == "fog":
        arr = np.asarray(img.filter(ImageFilter.GaussianBlur(2)), np.float32) / 255.0
        fade = np.linspace(0.45, 0.8, h, dtype=np.float32)[:, None, None]
        return _to_img(arr * (1 - fade) + 0.9 * fade)
    layer = PILImage.new("L", (w, h), 0)
    d = ImageDraw.Draw(layer)
    if kind == "rain":
        for _ in range(int(w * h / 180)):
            x, y = float(rng.uniform(0, w)), float(rng.uniform(0, h))
            d.line([(x, y), (x - 4, y + 16)], fill=int(rng.integers(120, 220)), width=1)
        dim = 0.75
    else:
        for _ in range(int(w * h / 250)):
            x, y, r = (
                float(rng.uniform(0, w)),
                float(rng.uniform(0, h)),
                float(rng.uniform(0.8, 2.8)),
            )
            d.ellipse([x - r, y - r, x + r, y + r], fill=255)
        dim = 0.9
    a = np.asarray(layer.filter(ImageFilter.GaussianBlur(0.6)), np.float32)[..., None] / 255.0
    arr = np.asarray(img, np.float32) / 255.0 * dim
    return _to_img(arr * (1 - a) + 0.95 * a)


STYLES: dict[str, Callable[[PILImage.Image, Rng], PILImage.Image]] = {
    "cartoon": cartoon,
    "handmake": handmake,
    "painting": painting,
    "sketch": sketch,
    "tattoo": tattoo,
    "weather": weather,
}


# --------------------------------------------------------------------------- R.2 sensor looks

_THERMAL = (
    np.array(
        [[0, 0, 0], [40, 0, 90], [150, 0, 140], [230, 60, 40], [255, 170, 0], [255, 255, 200]],
        np.float32,
    )
    / 255.0
)


def thermal(img: PILImage.Image, rng: Rng) -> PILImage.Image:
    """Infrared: grey level read as temperature and mapped through a false-colour palette."""
    g = _gray(img.filter(ImageFilter.GaussianBlur(1.5)))
    xs = np.linspace(0.0, 1.0, len(_THERMAL))
    rgb = np.stack([np.interp(g, xs, _THERMAL[:, c]) for c in range(3)], axis=-1)
    return _to_img(rgb + rng.normal(0, 0.015, rgb.shape))


def xray(img: PILImage.Image, rng: Rng, *, high: bool = False) -> PILImage.Image:
    """X-ray: inverted greyscale (dense = bright); ``high`` adds the baggage-scanner palette."""
    inv = 1.0 - _gray(img.filter(ImageFilter.GaussianBlur(0.8)))
    if not high:
        return _to_img(np.clip(inv * 0.9 + rng.normal(0, 0.02, inv.shape), 0, 1)).convert("RGB")
    dense = np.clip((inv - 0.3) / 0.7, 0, 1)[..., None]
    orange, blue = np.array([0.95, 0.6, 0.2], np.float32), np.array([0.2, 0.45, 0.9], np.float32)
    rgb = (orange * (1 - dense) + blue * dense) * (0.35 + 0.65 * (1 - dense * 0.5))
    light = (inv < 0.15)[..., None]
    return _to_img(np.where(light, 0.97, rgb))


def scan(img: PILImage.Image, rng: Rng, *, ct: bool = False) -> PILImage.Image:
    """MRI / CT: a grey cross-section inside a circular field of view on black; CT adds a bright ring."""
    w, h = img.size
    g = _gray(img.filter(ImageFilter.GaussianBlur(1.2)))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = np.hypot((xx - w / 2) / (w * 0.46), (yy - h / 2) / (h * 0.46))
    out = np.where(r < 1.0, g * 0.85, 0.0)
    if ct:
        out = np.where((r > 0.93) & (r < 1.0), 0.97, out)
    out = out + rng.normal(0, 0.025, out.shape) * (r < 1.0)
    return _to_img(np.clip(out, 0, 1)).convert("RGB")


def blobs_scene(rng: Rng, count: int, *, bright: bool = True) -> PILImage.Image:
    """A grey body-like ellipse with ``count`` well separated round spots (for counting)."""
    w, h = SIZE
    img = PILImage.new("L", (w, h), 20)
    d = ImageDraw.Draw(img)
    d.ellipse([w * 0.12, h * 0.1, w * 0.88, h * 0.9], fill=110)
    centres: list[tuple[float, float]] = []
    while len(centres) < count:
        x, y = float(rng.uniform(w * 0.28, w * 0.72)), float(rng.uniform(h * 0.28, h * 0.72))
        if all(math.hypot(x - a, y - b) > 46 for a, b in centres):
            centres.append((x, y))
    for x, y in centres:
        r = float(rng.uniform(10, 15))
        d.ellipse([x - r, y - r, x + r, y + r], fill=235 if bright else 5)
    return img.convert("RGB")


def aerial_scene(rng: Rng, buildings: int) -> PILImage.Image:
    """Remote sensing: a top-down view with a road, trees and ``buildings`` red-roofed houses."""
    w, h = SIZE
    img = PILImage.new("RGB", SIZE, (95, int(rng.integers(125, 150)), 70))
    d = ImageDraw.Draw(img)
    road_y = float(rng.uniform(h * 0.4, h * 0.6))
    d.rectangle([0, road_y - 12, w, road_y + 12], fill=(120, 120, 120))
    for dash in range(0, w, 30):
        d.line([(dash, road_y), (dash + 14, road_y)], fill=(240, 240, 240), width=2)
    boxes: list[tuple[float, float]] = []
    while len(boxes) < buildings:
        x = float(rng.uniform(15, w - 55))
        y = float(rng.choice([rng.uniform(10, road_y - 60), rng.uniform(road_y + 22, h - 45)]))
        if all(abs(x - a) > 50 or abs(y - b) > 45 for a, b in boxes):
            boxes.append((x, y))
    for x, y in boxes:
        d.rectangle([x, y, x + 40, y + 32], fill=(185, 55, 45), outline=(90, 30, 25), width=2)
        d.line([(x, y + 16), (x + 40, y + 16)], fill=(130, 40, 35), width=2)
    for _ in range(6):
        x, y = float(rng.uniform(0, w)), float(rng.uniform(0, h))
        if abs(y - road_y) > 20 and all(
            abs(x + 5 - a - 20) > 30 or abs(y - b - 16) > 28 for a, b in boxes
        ):
            d.ellipse([x - 7, y - 7, x + 7, y + 7], fill=(30, 85, 35))
    return img


LIGHTS = ("red", "yellow", "green")


def road_scene(rng: Rng, cars: int, light: str) -> PILImage.Image:
    """Driving: a road in perspective, ``cars`` cars ahead and one traffic light showing ``light``."""
    w, h = SIZE
    img = PILImage.new("RGB", SIZE, (150, 190, 230))
    d = ImageDraw.Draw(img)
    hy = h * 0.42
    d.rectangle([0, hy, w, h], fill=(80, 140, 70))
    d.polygon([(w * 0.44, hy), (w * 0.56, hy), (w * 0.98, h), (w * 0.02, h)], fill=(70, 70, 75))
    for k in range(6):
        t0, t1 = k / 6 + 0.02, k / 6 + 0.09
        y0, y1 = hy + (h - hy) * t0, hy + (h - hy) * t1
        d.polygon(
            [
                (w / 2 - 1 - 3 * t0, y0),
                (w / 2 + 1 + 3 * t0, y0),
                (w / 2 + 1 + 3 * t1, y1),
                (w / 2 - 1 - 3 * t1, y1),
            ],
            fill=(240, 240, 240),
        )
    slots = list(rng.permutation(6))[:cars]
    for s in sorted(slots):
        t = 0.2 + 0.13 * (int(s) // 2)
        lane = -1 if int(s) % 2 == 0 else 1
        y = hy + (h - hy) * t
        half = (w * 0.06 + w * 0.42 * t) / 2
        cx = w / 2 + lane * half * 0.55
        cw, ch = half * 0.6, half * 0.42
        d.rectangle(
            [cx - cw / 2, y - ch, cx + cw / 2, y], fill=_rgb(rng, 40, 230), outline=(20, 20, 20)
        )
        d.rectangle(
            [cx - cw / 2 + 2, y - ch * 0.8, cx + cw / 2 - 2, y - ch * 0.45], fill=(40, 50, 60)
        )
    px = w * 0.88
    d.rectangle([px - 2, h * 0.2, px + 2, hy + 30], fill=(50, 50, 50))
    d.rectangle([px - 11, h * 0.05, px + 11, h * 0.3], fill=(25, 25, 25))
    for k, name in enumerate(LIGHTS):
        cy = h * 0.085 + k * h * 0.075
        on = {"red": (255, 40, 30), "yellow": (255, 210, 0), "green": (40, 230, 80)}[name]
        d.ellipse([px - 7, cy - 7, px + 7, cy + 7], fill=on if name == light else (60, 60, 60))
    return img
