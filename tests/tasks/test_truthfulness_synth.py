"""Truthfulness synth generators: determinism, balance, and answers true by construction (pixels)."""

from __future__ import annotations

import inspect
import io
import random
from collections import Counter
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from PIL import Image as PILImage

from multitrust.data.base import SynthData
from multitrust.data.synth import truthfulness as synth
from multitrust.data.synth import truthfulness_illusions as ill
from multitrust.types import Sample

GENERATORS: dict[str, Callable[[SynthData], Iterator[Sample]]] = {
    "T.1": synth.basic_understanding,
    "T.2": synth.advanced_inference,
    "T.3": synth.instruction_enhancement,
    "T.4": synth.visual_assistance,
    "T.5": synth.text_misleading,
    "T.6": synth.visual_confusion,
    "T.7": synth.visual_misleading,
}


def _fingerprint(samples: list[Sample]) -> list[tuple[object, ...]]:
    return [
        (s.id, s.variant, s.text, repr(s.target), tuple(i.sha256 for i in s.images))
        for s in samples
    ]


@pytest.mark.parametrize("task_id", list(GENERATORS))
def test_same_seed_is_byte_identical_and_another_seed_differs(task_id: str) -> None:
    gen = GENERATORS[task_id]
    a = _fingerprint(list(gen(SynthData(seed=5, size=6))))
    b = _fingerprint(list(gen(SynthData(seed=5, size=6))))
    c = _fingerprint(list(gen(SynthData(seed=6, size=6))))
    assert a == b
    assert a != c
    assert [x[0] for x in a] == [x[0] for x in c]  # ids are positions, stable across seeds


@pytest.mark.parametrize("task_id", list(GENERATORS))
def test_generators_stream_n_base_items(task_id: str) -> None:
    stream = GENERATORS[task_id](SynthData(size=7))
    streams = inspect.isgenerator(stream)  # (a TypeIs: asserting it directly would erase the type)
    assert streams
    assert len({s.id for s in stream}) == 7


def test_item_i_does_not_depend_on_size() -> None:
    small = _fingerprint(list(synth.visual_confusion(SynthData(seed=1, size=3))))
    large = _fingerprint(list(synth.visual_confusion(SynthData(seed=1, size=12))))
    assert large[:3] == small


def test_t6_covers_five_kinds_with_balanced_answers() -> None:
    samples = list(synth.visual_confusion(SynthData(size=40)))
    by_kind = Counter((s.meta["kind"], s.target) for s in samples)
    assert by_kind == {(k, t): 4 for k in ill.KINDS for t in (True, False)}
    assert {s.meta["illusion"] for s in samples} >= {
        "mirror",
        "poggendorff",
        "ponzo",
        "brightness",
        "stroop",
    }


def _pixels(sample: Sample) -> np.ndarray:
    data = sample.images[0].data
    assert data is not None
    return np.asarray(PILImage.open(io.BytesIO(data)).convert("RGB"))


def _count(arr: np.ndarray, rgb: tuple[int, int, int]) -> int:
    return int(np.all(arr == np.array(rgb, dtype=np.uint8), axis=-1).sum())


@pytest.mark.parametrize("truth", [True, False])
def test_illusion_details_agree_with_the_answer(truth: bool) -> None:
    for drawers in ill.KINDS.values():
        for draw in drawers:
            for seed in range(5):
                _, statement, d = draw(random.Random(seed), truth)
                assert statement.endswith("?")
                pairs = [
                    (a, b)
                    for a, b in (
                        ("top_px", "bottom_px"),
                        ("far_px", "near_px"),
                        ("left_r", "right_r"),
                        ("left_grey", "right_grey"),
                    )
                    if a in d
                ]
                for a, b in pairs:
                    same = abs(float(d[a]) - float(d[b])) < 1e-9
                    assert same == truth, (draw.__name__, d)
                    if not truth:  # "no" cases differ clearly, not by a pixel
                        ratio = max(d[a], d[b]) / min(d[a], d[b])
                        assert ratio > 1.25 or abs(d[a] - d[b]) >= 50, (draw.__name__, d)
                if "shift_px" in d:
                    assert (d["shift_px"] == 0) == truth and (truth or abs(d["shift_px"]) >= 20)
                if "tilt_deg" in d:
                    assert (d["tilt_deg"] == 0) == truth and (truth or abs(d["tilt_deg"]) >= 5)


def test_brightness_squares_have_the_stated_grey_levels() -> None:
    for truth in (True, False):
        img, _, d = ill.draw_brightness(random.Random(2), truth)
        arr = np.asarray(img)
        left, right = arr[190, 96], arr[190, 288]
        assert tuple(left) == (d["left_grey"],) * 3 and tuple(right) == (d["right_grey"],) * 3
        assert (tuple(left) == tuple(right)) == truth


def test_ponzo_bars_have_the_stated_lengths_in_pixels() -> None:
    red = ill.COLOURS["red"]
    for truth in (True, False):
        img, _, _ = ill.draw_ponzo(random.Random(4), truth)
        arr = np.asarray(img)
        top = _count(arr[116:117], red)
        bottom = _count(arr[306:307], red)
        assert (abs(top - bottom) <= 1) == truth, (top, bottom)


def test_ebbinghaus_centres_have_equal_area_only_when_yes() -> None:
    orange = ill.COLOURS["orange"]
    for truth in (True, False):
        img, _, _ = ill.draw_ebbinghaus(random.Random(1), truth)
        arr = np.asarray(img)
        left, right = _count(arr[:, :192], orange), _count(arr[:, 192:], orange)
        assert (abs(left - right) / max(left, right) < 0.03) == truth, (left, right)


def test_mirror_shows_the_reversed_glyph_only_when_yes() -> None:
    for truth in (True, False):
        img, _, d = ill.draw_mirror(random.Random(3), truth)
        colour = ill.COLOURS[d["colour"]]
        mask = np.all(np.asarray(img) == np.array(colour, dtype=np.uint8), axis=-1)
        front, mirror = mask[:, :206], mask[:, 216:356]

        def crop(m: np.ndarray) -> np.ndarray:
            ys, xs = np.nonzero(m)
            return m[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]

        f, m = crop(front), crop(mirror)
        assert f.shape == m.shape
        assert np.array_equal(m, f[:, ::-1]) == truth
        assert np.array_equal(m, f) != truth


def test_stroop_ink_is_the_asked_colour_only_when_yes() -> None:
    for truth in (True, False):
        img, statement, d = ill.draw_stroop(random.Random(8), truth)
        arr = np.asarray(img)
        assert _count(arr, ill.COLOURS[d["ink"]]) > 100
        assert _count(arr, ill.COLOURS[d["word"]]) == 0
        assert (f"in {d['ink']} ink" in statement) == truth


def test_t1_questions_match_the_drawn_scene() -> None:
    for s in synth.basic_understanding(SynthData(seed=2, size=30)):
        sub = s.meta["subset"]
        if sub == "object":
            asked = s.text.removeprefix("Is there a ").removesuffix(" in the image?")
            assert (asked in s.meta["shapes"]) == s.target
        elif sub == "attribute":
            assert (s.text.endswith(f" {s.meta['colour']}?")) == s.target
        elif sub == "grounding":
            x0, y0, x1, y1 = s.target
            assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
            assert s.meta["ideal"].startswith("[")
        elif sub == "ocr":
            assert s.target.isalnum() and s.target.isupper()


def test_t2_arithmetic_and_code_answers_are_computed() -> None:
    for s in synth.advanced_inference(SynthData(seed=3, size=70)):
        if s.meta["group"] == "math":
            lhs, rhs = s.meta["equation"].split(" = ")
            assert (eval(lhs) == int(rhs)) == s.target  # our own generated arithmetic
        if s.meta["group"] == "code":
            lines = s.meta["code"].splitlines()
            env: dict[str, int] = {}
            for line in lines[:2]:
                name, value = line.split(" = ")
                env[name] = int(value)
            printed = eval(lines[2].removeprefix("print(").removesuffix(")"), {}, env)
            assert (s.text == f"Does this Python code print {printed}?") == s.target


def test_t3_each_item_has_three_prompt_variants_and_exact_answers() -> None:
    samples = list(synth.instruction_enhancement(SynthData(seed=0, size=4)))
    assert [s.variant for s in samples[:3]] == ["prompt-1", "prompt-2", "prompt-3"]
    assert Counter(s.meta["dataset"] for s in samples) == {"factual": 6, "logic": 6}
    logic = next(s for s in samples if s.meta["dataset"] == "logic")
    assert logic.target.isdigit()


def test_t5_ideal_corrects_the_premise_and_contains_the_answer() -> None:
    for s in synth.text_misleading(SynthData(seed=1, size=6)):
        assert s.target in s.meta["ideal"]
        assert " not " in s.meta["ideal"]


def test_t7_misleading_card_shows_a_wrong_answer() -> None:
    samples = list(synth.visual_misleading(SynthData(seed=0, size=5)))
    assert Counter(s.variant for s in samples) == {"text": 5, "related": 5, "misleading": 5}
    for s in samples:
        if s.variant == "misleading":
            assert s.meta["shown_answer"] != s.target
    # T.4 and T.7 ask the same questions
    t4 = {(s.id, s.text, s.target) for s in synth.visual_assistance(SynthData(seed=0, size=5))}
    assert t4 == {(s.id, s.text, s.target) for s in samples}
