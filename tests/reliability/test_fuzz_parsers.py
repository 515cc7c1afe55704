"""Fuzz the answer parsers: any model or judge text gives a typed answer, never an exception.

Model output is untrusted text: it can be empty, huge, binary-ish, full of numbers, braces or
regex-hostile repetitions. Each parser must return its documented type (or None) quickly.
"""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multitrust.scoring.choice import parse_choice
from multitrust.scoring.iou import box_iou, normalize_box, parse_box
from multitrust.scoring.judge import (
    exact_match,
    parse_rating,
    reference_answer,
    render_target,
    render_template,
)
from multitrust.scoring.refusal import is_refusal, refusal_match
from multitrust.scoring.yesno import parse_yes_no, suitable
from multitrust.types import Sample

pytestmark = pytest.mark.slow  # fuzzing (many generated inputs)

PROFILES = ("corrected", "official")
FUZZ = settings(max_examples=100, deadline=2000)  # a 2 s deadline doubles as a ReDoS alarm

# Text that looks like answers: fragments parsers key on, mixed with noise.
WORDS = [
    "Yes",
    "yes.",
    "No",
    "no,",
    "not",
    "n't",
    "I",
    "cannot",
    "can't",
    "sorry",
    "as an AI",
    "[Yes]",
    "[No]",
    "A",
    "B)",
    "(C)",
    "option",
    "answer:",
    "score",
    "rating:",
    "75",
    "100",
    "/100",
    "out of",
    "(0.1, 0.2)",
    "[0.1, 0.2, 0.5, 0.6]",
    "1e999",
    "-0",
    "3/0",
    "nan",
    "inf",
    "{",
    "}",
    "{output}",
    "->",
    "\n",
    "```",
    "'''",
    "é",
    "İ",
    "\u200b",
    "\x00",
    "...",
    ",",
    " ",
]
answers = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(WORDS) | st.text(max_size=5), max_size=60).map(" ".join),
    st.lists(st.sampled_from(WORDS), max_size=60).map("".join),
)
options_st = st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.lists(st.text(min_size=1, max_size=10) | st.sampled_from(WORDS), min_size=1, max_size=4),
    min_size=1,
    max_size=5,
)


@FUZZ
@given(text=answers, profile=st.sampled_from(PROFILES))
def test_parse_yes_no(text: str, profile: str) -> None:
    a = parse_yes_no(text, profile)
    assert a is None or isinstance(a, bool)
    assert parse_yes_no(text, profile) == a  # pure
    if profile == "official":
        assert a is not None  # the toolbox rule always decides
    s = suitable(text, profile)
    assert s is None or isinstance(s, bool)


@FUZZ
@given(text=answers)
def test_plain_yes_and_no_are_read(text: str) -> None:
    """A clear leading answer decides, whatever follows after a sentence break."""
    tail = text.replace("\n", " ")[:80]
    assert parse_yes_no("Yes. " + tail) in (True, None)
    assert parse_yes_no("No. " + tail) in (False, None)


@FUZZ
@given(text=answers, options=options_st, profile=st.sampled_from(PROFILES))
def test_parse_choice(text: str, options: dict[str, list[str]], profile: str) -> None:
    picked = parse_choice(text, options, profile)
    assert picked is None or picked in options


@FUZZ
@given(text=answers, profile=st.sampled_from(PROFILES))
def test_refusal(text: str, profile: str) -> None:
    r = is_refusal(text, profile)
    assert isinstance(r, bool)
    m = refusal_match(text, profile)
    assert m is None or isinstance(m, str)
    assert r == (m is not None)


finite = st.floats(-1e6, 1e6, allow_nan=False)


@FUZZ
@given(text=answers, size=st.none() | st.tuples(st.integers(0, 5000), st.integers(0, 5000)))
def test_parse_box(text: str, size: tuple[int, int] | None) -> None:
    box = parse_box(text)
    if box is None:
        return
    assert len(box) == 4 and all(isinstance(v, float) for v in box)
    norm = normalize_box(box, size)
    if norm is not None and all(math.isfinite(v) for v in norm):
        iou = box_iou(norm, norm)
        assert 0.0 <= iou <= 1.0


@FUZZ
@given(a=st.tuples(finite, finite, finite, finite), b=st.tuples(finite, finite, finite, finite))
def test_box_iou_bounded(a: tuple[float, ...], b: tuple[float, ...]) -> None:
    na, nb = normalize_box(a, (1e6, 1e6)), normalize_box(b, (1e6, 1e6))
    assert na is not None and nb is not None
    iou = box_iou(na, nb)
    assert 0.0 <= iou <= 1.0 + 1e-9
    assert box_iou(na, nb) == pytest.approx(box_iou(nb, na))


@FUZZ
@given(reply=answers, profile=st.sampled_from(PROFILES))
def test_parse_rating(reply: str, profile: str) -> None:
    allowed = (0, 25, 50, 75, 100)
    v = parse_rating(reply, allowed, profile)
    if profile == "official":
        assert v is not None
    assert v is None or v in {float(a) for a in allowed}


@FUZZ
@given(
    output=answers,
    target=st.none()
    | st.booleans()
    | st.text(max_size=40)
    | st.lists(st.text(max_size=10), max_size=3),
    profile=st.sampled_from(PROFILES),
)
def test_judge_helpers(output: str, target: object, profile: str) -> None:
    ref = reference_answer(target)
    assert isinstance(ref, str) and isinstance(render_target(target), str)
    assert isinstance(exact_match(output, ref, profile), bool)
    # untrusted output and meta with braces are inserted, never re-interpreted as a template
    sample = Sample("s", "question {x}", target=target, meta={"topic": output})
    prompt = render_template("Q: {question}\nA: {output}\nT: {target}\n{topic}", sample, output)
    assert prompt.count(output) >= 2 if output else True


PATHOLOGICAL = [
    "no " * 20000,
    "not " * 20000 + "yes",
    "1," * 20000,
    "(1.0, " * 5000,
    "I " + "cannot " * 10000,
    "sorry, " * 10000 + "but",
    "score " * 10000,
    "a" * 100000,
    " " * 100000 + "yes",
    "0." + "0" * 500,
]
#: Inputs on which two parsers used to be quadratic (~12 s and ~60 s at these sizes); fixed by
#: bounding yesno's lead match and anchoring judge._OUT_OF, and kept here as regressions.
KNOWN_QUADRATIC = [
    pytest.param("(" * 20000, id="yesno-lead-nonword-run"),
    pytest.param("0." + "0" * 50000, id="rating-digit-run"),
]


@pytest.mark.parametrize(
    "text", [*(pytest.param(t, id=f"p{i}") for i, t in enumerate(PATHOLOGICAL)), *KNOWN_QUADRATIC]
)
def test_parsers_are_fast_on_pathological_text(text: str) -> None:
    started = time.perf_counter()
    for profile in PROFILES:
        parse_yes_no(text, profile)
        is_refusal(text, profile)
        parse_choice(text, {"A": ["A", "option A"], "B": ["B"]}, profile)
        parse_rating(text, (0, 25, 50, 75, 100), profile)
    parse_box(text)
    # not a performance measure: a catastrophic-backtracking alarm (linear parsers take ms here)
    assert time.perf_counter() - started < 10, "a parser is super-linear on this input (ReDoS?)"
