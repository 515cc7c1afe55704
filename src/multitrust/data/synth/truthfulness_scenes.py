"""Drawn pictures for the truthfulness synth suite: shape scenes, scene types, text cards, clocks, signs.

Each function takes a seeded ``random.Random`` and returns a PIL picture plus the facts that
were drawn (which shapes, colours, boxes, what time), so questions are generated from those
facts and their answers are true by construction.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from PIL import Image as PILImage
from PIL import ImageDraw

from multitrust.data.images import font, render_text
from multitrust.data.synth.truthfulness_illusions import COLOURS, SHAPES, draw_shape

W, H = 384, 384
BG = (245, 245, 240)


@dataclass(frozen=True)
class Shape:
    """One drawn shape: its name, colour name and pixel box ``[x0, y0, x1, y1]``."""

    shape: str
    colour: str
    box: tuple[float, float, float, float]


def shape_scene(
    rng: random.Random,
    count: int,
    *,
    shapes: list[str] | None = None,
    colours: list[str] | None = None,
) -> tuple[PILImage.Image, list[Shape]]:
    """``count`` shapes in separate grid cells (no overlaps), distinct shape names unless given."""
    img = PILImage.new("RGB", (W, H), BG)
    d = ImageDraw.Draw(img)
    names = shapes if shapes is not None else rng.sample(SHAPES, count)
    cols = colours if colours is not None else [rng.choice(list(COLOURS)) for _ in range(count)]
    cells = rng.sample(range(9), count)
    drawn: list[Shape] = []
    for name, colour, cell in zip(names, cols, cells, strict=True):
        cx = (cell % 3) * 128 + 64 + rng.uniform(-12, 12)
        cy = (cell // 3) * 128 + 64 + rng.uniform(-12, 12)
        r = rng.uniform(30, 44)
        box = draw_shape(d, name, cx, cy, r, COLOURS[colour])
        drawn.append(Shape(name, colour, (box[0], box[1], box[2], box[3])))
    return img, drawn


# --------------------------------------------------------------------------- scene types

SCENE_TYPES = {
    # scene kind -> how questions name it
    "night": "a night sky",
    "city": "a city skyline",
    "underwater": "an underwater scene",
    "countryside": "a sunny countryside landscape",
}


def scene_picture(rng: random.Random, kind: str) -> PILImage.Image:
    """A simple, recognisable drawing of one scene type."""
    img = PILImage.new("RGB", (W, H), BG)
    d = ImageDraw.Draw(img)
    if kind == "night":
        d.rectangle([0, 0, W, H], fill=(10, 15, 45))
        for _ in range(60):
            x, y, s = rng.uniform(0, W), rng.uniform(0, H * 0.8), rng.uniform(1, 2.5)
            d.ellipse([x - s, y - s, x + s, y + s], fill=(255, 255, 220))
        d.ellipse([280, 40, 340, 100], fill=(240, 240, 210))
        d.ellipse([265, 35, 325, 95], fill=(10, 15, 45))  # crescent moon
        d.rectangle([0, 330, W, H], fill=(20, 30, 20))
    elif kind == "city":
        d.rectangle([0, 0, W, H], fill=(180, 210, 235))
        x = 0.0
        while x < W:
            bw, bh = rng.uniform(35, 70), rng.uniform(120, 300)
            d.rectangle([x, H - bh, x + bw, H], fill=(80, 85, 95))
            for wy in range(int(H - bh) + 10, H - 10, 18):
                for wx in range(int(x) + 6, int(x + bw) - 8, 14):
                    d.rectangle([wx, wy, wx + 6, wy + 8], fill=(250, 220, 120))
            x += bw + rng.uniform(2, 8)
    elif kind == "underwater":
        for y in range(H):
            t = y / H
            d.line([(0, y), (W, y)], fill=(int(20 + 20 * t), int(120 - 60 * t), int(200 - 80 * t)))
        for _ in range(4):
            fx, fy = rng.uniform(40, 320), rng.uniform(60, 300)
            colour = COLOURS[rng.choice(["orange", "red", "purple"])]
            d.ellipse([fx, fy, fx + 50, fy + 24], fill=colour)
            d.polygon([(fx, fy + 12), (fx - 18, fy), (fx - 18, fy + 24)], fill=colour)
        for _ in range(12):
            bx, by, s = rng.uniform(0, W), rng.uniform(0, H), rng.uniform(3, 7)
            d.ellipse([bx - s, by - s, bx + s, by + s], outline=(220, 240, 255), width=2)
        d.rectangle([0, 350, W, H], fill=(200, 180, 120))
    elif kind == "countryside":
        d.rectangle([0, 0, W, H], fill=(140, 195, 245))
        d.ellipse([40, 30, 100, 90], fill=(255, 220, 60))
        d.polygon([(0, 230), (120, 170), (260, 220), (W, 180), (W, H), (0, H)], fill=(90, 170, 70))
        for _ in range(3):
            tx = rng.uniform(160, 340)
            d.rectangle([tx, 240, tx + 10, 290], fill=(110, 70, 40))
            d.ellipse([tx - 22, 200, tx + 32, 250], fill=(40, 120, 40))
    else:
        raise ValueError(f"unknown scene kind {kind!r}")
    return img


# --------------------------------------------------------------------------- text and symbols


def text_card(text: str, *, size: int = 48) -> PILImage.Image:
    """Dark text on a light card (OCR words, equations, code, foreign words, fact cards)."""
    return render_text(text, font_size=size, width=512, margin=24)


def clock(hour: int, minute: int) -> PILImage.Image:
    """An analogue clock face showing hour:minute."""
    img = PILImage.new("RGB", (W, H), BG)
    d = ImageDraw.Draw(img)
    cx, cy, r = W / 2, H / 2, 160
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 255, 255), outline=(20, 20, 20), width=6)
    f = font(28)
    for k in range(1, 13):
        a = math.radians(k * 30 - 90)
        label = str(k)
        tx, ty = cx + 128 * math.cos(a), cy + 128 * math.sin(a)
        d.text((tx - f.getlength(label) / 2, ty - 16), label, font=f, fill=(20, 20, 20))
    for length, angle, width in (
        (80, (hour % 12 + minute / 60) * 30, 10),
        (125, minute * 6, 5),
    ):
        a = math.radians(angle - 90)
        d.line(
            [(cx, cy), (cx + length * math.cos(a), cy + length * math.sin(a))],
            fill=(20, 20, 20),
            width=width,
        )
    d.ellipse([cx - 8, cy - 8, cx + 8, cy + 8], fill=(20, 20, 20))
    return img


TRAFFIC_SIGNS = {
    # sign -> what it means
    "stop": "vehicles must stop",
    "no-entry": "vehicles must not enter",
    "give-way": "drivers must give way to other traffic",
    "speed-limit": "the maximum speed is {n} km/h",
}


def traffic_sign(kind: str, number: int = 50) -> PILImage.Image:
    """A stylised European-style road sign."""
    img = PILImage.new("RGB", (W, H), (200, 220, 235))
    d = ImageDraw.Draw(img)
    cx, cy, r = W / 2, H / 2, 140
    red, white = (200, 30, 30), (250, 250, 250)
    if kind == "stop":
        pts = [
            (
                cx + r * math.cos(math.radians(22.5 + 45 * k)),
                cy + r * math.sin(math.radians(22.5 + 45 * k)),
            )
            for k in range(8)
        ]
        d.polygon(pts, fill=red)
        f = font(72)
        d.text((cx - f.getlength("STOP") / 2, cy - 40), "STOP", font=f, fill=white)
    elif kind == "no-entry":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=red)
        d.rectangle([cx - 100, cy - 22, cx + 100, cy + 22], fill=white)
    elif kind == "give-way":
        d.polygon([(cx - r, cy - r * 0.8), (cx + r, cy - r * 0.8), (cx, cy + r)], fill=red)
        d.polygon(
            [(cx - r * 0.62, cy - r * 0.58), (cx + r * 0.62, cy - r * 0.58), (cx, cy + r * 0.55)],
            fill=white,
        )
    elif kind == "speed-limit":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=red)
        d.ellipse([cx - r * 0.78, cy - r * 0.78, cx + r * 0.78, cy + r * 0.78], fill=white)
        f = font(96)
        d.text((cx - f.getlength(str(number)) / 2, cy - 56), str(number), font=f, fill=(20, 20, 20))
    else:
        raise ValueError(f"unknown sign {kind!r}")
    return img


def dots(rng: random.Random, counts: dict[str, int]) -> PILImage.Image:
    """Non-overlapping dots: ``counts`` maps a colour name to how many dots of that colour."""
    img = PILImage.new("RGB", (W, H), BG)
    d = ImageDraw.Draw(img)
    cells = rng.sample(range(64), sum(counts.values()))
    k = 0
    for colour, n in counts.items():
        for _ in range(n):
            cell = cells[k]
            k += 1
            cx, cy = (cell % 8) * 48 + 24, (cell // 8) * 48 + 24
            d.ellipse([cx - 14, cy - 14, cx + 14, cy + 14], fill=COLOURS[colour])
    return img
