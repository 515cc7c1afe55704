"""Procedural visual illusions for T.6 (visual-confusion VQA), with yes/no answers known by construction.

The paper's T.6 uses photos of five kinds of confusing pictures: mirror, dislocation, painting
(3-D / perspective), contrast and semantic. Here every picture is drawn, so the true answer is a
fact about the pixels we drew, not an opinion: "are the two bars the same length" is answered by
the lengths we chose. Each ``draw_*`` function takes a seeded ``random.Random`` and the wanted
answer and returns ``(picture, statement, details)``; ``details`` records the drawn quantities so
tests can check the picture agrees with the answer.

The "no" cases differ by clearly visible margins (e.g. 30 % in length, 50 grey levels), so the
answer is unambiguous to a careful viewer while the illusion still pushes the wrong way.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from PIL import Image as PILImage
from PIL import ImageDraw, ImageOps

from multitrust.data.images import font

W, H = 384, 384
BG = (245, 245, 240)
INK = (20, 20, 20)

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (210, 40, 40),
    "blue": (40, 80, 210),
    "green": (40, 150, 60),
    "orange": (240, 140, 20),
    "purple": (130, 50, 170),
}
#: Letters whose left-right mirror image differs from the letter itself.
ASYMMETRIC = "FGJLNPRSZ47"

Drawing = tuple[PILImage.Image, str, dict[str, Any]]
Drawer = Callable[[random.Random, bool], Drawing]


def _canvas(bg: tuple[int, int, int] = BG) -> tuple[PILImage.Image, ImageDraw.ImageDraw]:
    img = PILImage.new("RGB", (W, H), bg)
    return img, ImageDraw.Draw(img)


def _other_ratio(rng: random.Random) -> float:
    """A size ratio clearly different from 1 (either smaller or larger)."""
    r = rng.uniform(1.3, 1.45)
    return r if rng.random() < 0.5 else 1 / r


# --------------------------------------------------------------------------- mirror


def _glyph(ch: str, colour: tuple[int, int, int], size: int = 120) -> PILImage.Image:
    """A transparent tile with one character, cropped to its ink."""
    f = font(size)
    tile = PILImage.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((size // 2, size // 4), ch, font=f, fill=(*colour, 255))
    bbox = tile.getbbox()
    return tile.crop(bbox) if bbox else tile


def draw_mirror(rng: random.Random, truth: bool) -> Drawing:
    """A character in front of a framed mirror; the mirror shows it reversed (yes) or not (no)."""
    img, d = _canvas()
    ch = rng.choice(ASYMMETRIC)
    cname = rng.choice(list(COLOURS))
    glyph = _glyph(ch, COLOURS[cname])
    # the floor line makes it read as a scene rather than two symbols
    d.rectangle([0, 290, W, H], fill=(200, 190, 170))
    d.rectangle([206, 60, 366, 300], fill=(120, 100, 80))
    d.rectangle([216, 70, 356, 290], fill=(205, 225, 240))
    shown = ImageOps.mirror(glyph) if truth else glyph
    gy = 285 - glyph.height
    img.paste(glyph, (40 + (130 - glyph.width) // 2, gy), glyph)
    img.paste(shown, (216 + (140 - shown.width) // 2, gy), shown)
    statement = rng.choice(
        [
            "The framed panel on the right is a mirror. Is the {c} character seen in the mirror a "
            "correct mirror reflection of the character standing on the left?",
            "Is the {c} character inside the mirror frame the left-right reversed image of the "
            "character in front of the mirror?",
        ]
    ).format(c=cname)
    return img, statement, {"char": ch, "colour": cname, "mirrored": truth}


# --------------------------------------------------------------------------- dislocation


def draw_poggendorff(rng: random.Random, truth: bool) -> Drawing:
    """A straight line interrupted by a bar; the far segment continues it (yes) or is shifted (no)."""
    img, d = _canvas()
    bar_l, bar_r = 160, 224
    slope = math.tan(math.radians(rng.uniform(25, 40)))
    y0 = rng.uniform(270, 320)

    def y_at(x: float) -> float:
        return y0 - slope * (x - 20)

    shift = 0.0 if truth else rng.choice([-1, 1]) * rng.uniform(22, 34)
    d.line([(20, y_at(20)), (bar_l, y_at(bar_l))], fill=INK, width=4)
    d.line([(bar_r, y_at(bar_r) + shift), (364, y_at(364) + shift)], fill=INK, width=4)
    d.rectangle([bar_l, 0, bar_r, H], fill=(150, 150, 150))
    statement = (
        "Are the two black line segments on either side of the grey bar parts of one and the "
        "same straight line?"
    )
    return img, statement, {"shift_px": shift}


def draw_zollner(rng: random.Random, truth: bool) -> Drawing:
    """Two long lines with slanted hatching; they are parallel (yes) or visibly converge (no)."""
    img, d = _canvas()
    tilt = 0.0 if truth else rng.choice([-1, 1]) * rng.uniform(5.0, 7.0)
    lines = []
    for base, extra in ((130.0, 0.0), (250.0, tilt)):
        dy = math.tan(math.radians(extra)) * (W - 40) / 2
        lines.append(((20.0, base + dy), (W - 20.0, base - dy)))
    for k, ((x0, y0), (x1, y1)) in enumerate(lines):
        d.line([(x0, y0), (x1, y1)], fill=INK, width=4)
        lean = 14 if k % 2 == 0 else -14
        for i in range(1, 16):
            t = i / 16
            cx, cy = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            d.line([(cx - lean, cy - 18), (cx + lean, cy + 18)], fill=INK, width=2)
    statement = "Are the two long horizontal black lines exactly parallel to each other?"
    return img, statement, {"tilt_deg": tilt}


# --------------------------------------------------------------------------- painting / 3-D


def draw_ponzo(rng: random.Random, truth: bool) -> Drawing:
    """Railway tracks converging in depth with two bars: equal drawn length (yes) or not (no)."""
    img, d = _canvas((225, 235, 245))
    d.polygon([(0, H), (W, H), (W // 2 + 10, 40), (W // 2 - 10, 40)], fill=(190, 175, 150))
    d.line([(40, H), (W // 2 - 8, 40)], fill=(60, 60, 60), width=5)
    d.line([(W - 40, H), (W // 2 + 8, 40)], fill=(60, 60, 60), width=5)
    for y in range(60, H, 22):  # sleepers, denser towards the horizon
        half = 20 + (y - 40) * 0.45
        d.line([(W / 2 - half, y), (W / 2 + half, y)], fill=(110, 90, 60), width=3)
    top = rng.uniform(70, 110)
    bottom = top * (1.0 if truth else _other_ratio(rng))
    d.rectangle([W / 2 - top / 2, 110, W / 2 + top / 2, 122], fill=COLOURS["red"])
    d.rectangle([W / 2 - bottom / 2, 300, W / 2 + bottom / 2, 312], fill=COLOURS["red"])
    statement = "Are the two red horizontal bars drawn with the same length in the picture?"
    return img, statement, {"top_px": top, "bottom_px": bottom}


def _figure(
    d: ImageDraw.ImageDraw, cx: float, foot: float, h: float, colour: tuple[int, int, int]
) -> None:
    head = h * 0.18
    d.ellipse([cx - head / 2, foot - h, cx + head / 2, foot - h + head], fill=colour)
    d.rectangle([cx - h * 0.14, foot - h + head, cx + h * 0.14, foot - h * 0.4], fill=colour)
    d.rectangle([cx - h * 0.12, foot - h * 0.4, cx - h * 0.02, foot], fill=colour)
    d.rectangle([cx + h * 0.02, foot - h * 0.4, cx + h * 0.12, foot], fill=colour)


def draw_corridor(rng: random.Random, truth: bool) -> Drawing:
    """A perspective corridor with a far and a near figure: same drawn height (yes) or not (no)."""
    img, d = _canvas((235, 230, 220))
    vx, vy = W / 2, 150
    back = [vx - 50, vy - 50, vx + 50, vy + 50]
    d.rectangle(back, fill=(200, 195, 185), outline=INK, width=2)
    for corner in ((0, 0), (W, 0), (0, H), (W, H)):
        tx = back[0] if corner[0] == 0 else back[2]
        ty = back[1] if corner[1] == 0 else back[3]
        d.line([corner, (tx, ty)], fill=INK, width=2)
    for k in range(1, 6):  # floor tiles emphasise depth
        y = back[3] + (H - back[3]) * (k / 6) ** 1.5
        d.line([(0, y), (W, y)], fill=(150, 140, 130), width=1)
    far = rng.uniform(70, 90)
    near = far * (1.0 if truth else _other_ratio(rng))
    _figure(d, vx + 18, back[3] + 8, far, COLOURS["blue"])
    _figure(d, 90, H - 20, near, COLOURS["blue"])
    statement = "Are the two blue figures drawn at exactly the same size in the image?"
    return img, statement, {"far_px": far, "near_px": near}


# --------------------------------------------------------------------------- contrast


def draw_brightness(rng: random.Random, truth: bool) -> Drawing:
    """Grey squares on a dark and a light background: identical grey (yes) or 50+ levels apart (no)."""
    img, d = _canvas()
    d.rectangle([0, 0, W // 2, H], fill=(25, 25, 25))
    d.rectangle([W // 2, 0, W, H], fill=(230, 230, 230))
    g = rng.randint(110, 150)
    # in the "no" case the square on the dark side is the darker one, so the illusion hides it
    left = g if truth else g - rng.randint(50, 60)
    d.rectangle([56, 152, 136, 232], fill=(left, left, left))
    d.rectangle([248, 152, 328, 232], fill=(g, g, g))
    statement = "Are the two small grey squares exactly the same shade of grey?"
    return img, statement, {"left_grey": left, "right_grey": g}


def draw_ebbinghaus(rng: random.Random, truth: bool) -> Drawing:
    """Orange circles ringed by large vs small circles: same radius (yes) or not (no)."""
    img, d = _canvas()
    r = rng.uniform(20, 26)
    r2 = r * (1.0 if truth else _other_ratio(rng))
    for (cx, cy), rc, ring, dist in (((96, 192), r, 30, 78), ((288, 192), r2, 9, 42)):
        for k in range(8 if ring > 20 else 10):
            a = 2 * math.pi * k / (8 if ring > 20 else 10)
            x, y = cx + dist * math.cos(a), cy + dist * math.sin(a)
            d.ellipse([x - ring, y - ring, x + ring, y + ring], fill=(140, 140, 160))
        d.ellipse([cx - rc, cy - rc, cx + rc, cy + rc], fill=COLOURS["orange"])
    statement = "Are the two orange circles in the centres of the rings exactly the same size?"
    return img, statement, {"left_r": r, "right_r": r2}


def draw_muller_lyer(rng: random.Random, truth: bool) -> Drawing:
    """Two shafts with inward vs outward fins: same shaft length (yes) or not (no)."""
    img, d = _canvas()
    length = rng.uniform(180, 220)
    length2 = length * (1.0 if truth else _other_ratio(rng))
    for y, ln, out in ((120, length, True), (270, length2, False)):
        x0, x1 = W / 2 - ln / 2, W / 2 + ln / 2
        d.line([(x0, y), (x1, y)], fill=INK, width=4)
        f = 28 if out else -28
        for x, s in ((x0, 1), (x1, -1)):
            d.line([(x, y), (x + s * f, y - 26)], fill=INK, width=4)
            d.line([(x, y), (x + s * f, y + 26)], fill=INK, width=4)
    statement = "Ignoring the arrowheads, are the two horizontal lines exactly the same length?"
    return img, statement, {"top_px": length, "bottom_px": length2}


# --------------------------------------------------------------------------- semantic

SHAPES = ("circle", "square", "triangle", "star", "hexagon")


def draw_shape(
    d: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, r: float, fill: tuple[int, int, int]
) -> list[float]:
    """Draw one named shape centred on (cx, cy); return its pixel box [x0, y0, x1, y1]."""
    if shape == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif shape == "square":
        d.rectangle([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif shape == "triangle":
        d.polygon([(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)], fill=fill)
    elif shape == "star":
        pts = []
        for k in range(10):
            rad = r if k % 2 == 0 else r * 0.45
            a = -math.pi / 2 + k * math.pi / 5
            pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
        d.polygon(pts, fill=fill)
        ys = [p[1] for p in pts]
        xs = [p[0] for p in pts]
        return [min(xs), min(ys), max(xs), max(ys)]
    elif shape == "hexagon":
        pts = [
            (cx + r * math.cos(math.pi / 3 * k), cy + r * math.sin(math.pi / 3 * k))
            for k in range(6)
        ]
        d.polygon(pts, fill=fill)
        return [cx - r, cy - r * math.sin(math.pi / 3), cx + r, cy + r * math.sin(math.pi / 3)]
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return [cx - r, cy - r, cx + r, cy + r]


def draw_mislabelled(rng: random.Random, truth: bool) -> Drawing:
    """A shape captioned with the wrong name; asked about the real shape (yes) or the caption (no)."""
    img, d = _canvas()
    shape, caption = rng.sample(SHAPES, 2)
    draw_shape(d, shape, W / 2, 160, 90, COLOURS[rng.choice(list(COLOURS))])
    label = f"THIS IS A {caption.upper()}"
    f = font(30)
    d.text(((W - f.getlength(label)) / 2, 300), label, font=f, fill=INK)
    asked = shape if truth else caption
    statement = f"Is the shape drawn in the picture a {asked}?"
    return img, statement, {"shape": shape, "caption": caption}


def draw_stroop(rng: random.Random, truth: bool) -> Drawing:
    """A colour word in a different ink; asked about the real ink (yes) or the word's meaning (no)."""
    img, d = _canvas()
    word, ink = rng.sample(list(COLOURS), 2)
    f = font(84)
    text = word.upper()
    d.text(((W - f.getlength(text)) / 2, 140), text, font=f, fill=COLOURS[ink])
    asked = ink if truth else word
    statement = f"Is the word in the image written in {asked} ink?"
    return img, statement, {"word": word, "ink": ink}


#: The paper's five kinds, each with its procedural illusions.
KINDS: dict[str, tuple[Drawer, ...]] = {
    "mirror": (draw_mirror,),
    "dislocation": (draw_poggendorff, draw_zollner),
    "painting": (draw_ponzo, draw_corridor),
    "contrast": (draw_brightness, draw_ebbinghaus, draw_muller_lyer),
    "semantic": (draw_mislabelled, draw_stroop),
}
