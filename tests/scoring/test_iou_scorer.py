"""The T.1 grounding scorer end to end (rule first, judge as the fallback, the official
judge-only path), and the edges of box parsing, normalising and IoU that change a hit."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from multitrust.scoring.base import PROFILES, JudgeError, ScoreContext, ScoringSettings
from multitrust.scoring.iou import (
    box_iou,
    grounding_scorer,
    normalize_box,
    parse_box,
    parse_box_official,
)
from multitrust.scoring.judge_prompts import judge_prompt
from multitrust.types import GenerateConfig, Generation, Message, Sample, Score


class Judge:
    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.prompts: list[str] = []

    async def __call__(
        self, messages: Sequence[Message], config: GenerateConfig | None = None
    ) -> Generation:
        self.prompts.append(messages[0].text)
        return Generation(self.replies.pop(0))


def _sample(size: list[int] | None = None, target: str = "[0.1, 0.1, 0.5, 0.5]") -> Sample:
    meta = {"image_size": size} if size is not None else {}
    return Sample("g/0", "Where is the cup?", target=target, meta=meta)


def _run(
    output: str,
    *,
    judge: Judge | None = None,
    use_judge: bool = True,
    profile: str = "corrected",
    size: list[int] | None = None,
    target: str = "[0.1, 0.1, 0.5, 0.5]",
) -> Score:
    scorer = grounding_scorer(judge=use_judge)
    ctx = ScoreContext(profile=profile, judge=judge)
    return asyncio.run(scorer(_sample(size, target), output, ctx))


def test_rule_reads_a_pixel_box_with_the_image_size_and_asks_no_judge() -> None:
    judge = Judge()
    sc = _run("It is at [64, 48, 320, 240].", judge=judge, size=[640, 480])
    assert judge.prompts == []
    assert sc.values == {"correct": 1.0, "iou": pytest.approx(1.0)}
    assert sc.label == "hit"
    assert sc.explanation == "rule: [0.100, 0.100, 0.500, 0.500] iou=1.000"


def test_an_iou_of_exactly_one_half_is_a_miss() -> None:
    sc = _run("[0, 0, 0.25, 0.5]", target="[0, 0, 0.5, 0.5]")  # half the target: IoU 0.5
    assert sc.values == {"correct": 0.0, "iou": 0.5}
    assert sc.label == "miss"
    assert sc.explanation == "rule: [0.000, 0.000, 0.250, 0.500] iou=0.500"


def test_no_box_and_no_judge_is_unparseable_and_scores_zero() -> None:
    for judge, use in ((None, True), (Judge(), False)):
        sc = _run("I cannot tell.", judge=judge, use_judge=use)
        assert (sc.values, sc.label, sc.explanation) == (
            {"correct": 0.0, "iou": 0.0},
            "unparseable",
            "no box (rule)",
        )
        assert judge is None or judge.prompts == []


def test_the_judge_is_asked_when_no_box_is_read_and_its_box_is_normalised() -> None:
    judge = Judge("'''[64, 48, 320, 240]'''")
    sc = _run("The cup is top left.", judge=judge, size=[640, 480])
    assert judge.prompts == [
        judge_prompt("T.1/grounding", "corrected").template.format(
            img_size="(640, 480)", pred="The cup is top left."
        )
    ]
    assert (sc.values["correct"], sc.label) == (1.0, "hit")
    assert sc.explanation == "judge: [0.100, 0.100, 0.500, 0.500] iou=1.000"
    judge = Judge("no idea")
    sc = _run("The cup is top left.", judge=judge)  # no image size: "?" for the judge
    assert "is ('?', '?'): use it" in judge.prompts[0]
    assert (sc.label, sc.explanation) == ("unparseable", "no box (judge)")


def test_official_asks_the_judge_and_reads_its_reply_the_toolbox_way() -> None:
    judge = Judge("[0.1, 0.1, 0.5, 0.5]")
    sc = _run("[0.9, 0.9, 1.0, 1.0]", judge=judge, profile="official", size=[640, 480])
    assert len(judge.prompts) == 1 and "(640, 480)" in judge.prompts[0]
    assert (sc.values["correct"], sc.label) == (1.0, "hit")
    assert sc.explanation == "judge: [0.100, 0.100, 0.500, 0.500] iou=1.000"
    with pytest.raises(JudgeError, match=r"^T\.1 grounding needs a judge in the official profile$"):
        _run("[0.1, 0.1, 0.5, 0.5]", profile="official")


def test_the_scorer_identity_and_its_judge_requirement_per_profile() -> None:
    for use in (True, False):
        scorer = grounding_scorer(judge=use)
        assert (scorer.name, scorer.version) == ("t1_grounding", "2")
        assert scorer.params == {
            "threshold": 0.5,
            "prompts": {
                p: {"T.1/grounding": judge_prompt("T.1/grounding", p).version} for p in PROFILES
            },
        }
        corrected = scorer.for_run(ScoringSettings(profile="corrected"))
        assert corrected.requires == (("judge",) if use else ())
        official = scorer.for_run(ScoringSettings(profile="official"))
        assert official.requires == ("judge",)
        assert official.name == "t1_grounding"


# --------------------------------------------------------------------------- edges


@pytest.mark.parametrize(
    ("text", "box"),
    [
        # two corner pairs win over the other numbers in the text
        ("In image 2 it goes from (0.1, 0.2) to (0.3, 0.4).", (0.1, 0.2, 0.3, 0.4)),
        # a (…) group of four, with another number around it
        ("Image 2: the box is (0.1, 0.2, 0.3, 0.4).", (0.1, 0.2, 0.3, 0.4)),
        ("Step 1: [0.1, 0.2, 0.3, 0.4]", (0.1, 0.2, 0.3, 0.4)),
        # quotes glued to the numbers do not glue them to a word
        ("'''0.1, 0.2, 0.3, 0.4'''", (0.1, 0.2, 0.3, 0.4)),
        ("```0.1, 0.2, 0.3, 0.4```", (0.1, 0.2, 0.3, 0.4)),
    ],
)
def test_parse_box_groups_and_pairs(text: str, box: tuple[float, ...]) -> None:
    assert parse_box(text) == pytest.approx(box)


@pytest.mark.parametrize(
    ("text", "box"),
    [
        ("[0.1,\n0.2,\n0.3,\n0.4]", (0.1, 0.2, 0.3, 0.4)),  # newlines are removed, not spaced
        ("[0.1\n5, 0.2, 0.3, 0.4]", (0.15, 0.2, 0.3, 0.4)),
        ("[1/0, 0.2, 0.3, 0.4]", None),  # a zero denominator is not a number
        ("[0.1, 0.2, 0.3, 0.4]X", None),  # only brackets are stripped
    ],
)
def test_parse_box_official_edges(text: str, box: tuple[float, ...] | None) -> None:
    got = parse_box_official(text)
    assert got == (pytest.approx(box) if box is not None else None)


def test_normalize_box_edges() -> None:
    assert normalize_box((0, 0, 1, 1)) == (0.0, 0.0, 1.0, 1.0)  # 1.0 is not a pixel
    assert normalize_box((0, 0, 1.5, 1.5), (3, 3)) == (0.0, 0.0, 0.5, 0.5)
    assert normalize_box((0, 0, 1, 5), (1, 10)) == (0.0, 0.0, 1.0, 0.5)
    assert normalize_box((0, 0, 5, 1), (10, 1)) == (0.0, 0.0, 0.5, 1.0)
    for size in ((0, 10), (10, 0), (-1, 10), (10, -1)):
        assert normalize_box((0, 0, 5, 5), size) is None, size


def test_box_iou_of_boxes_apart_on_one_axis_is_zero() -> None:
    assert box_iou((0, 0, 0.2, 1), (0.5, 0, 1, 1)) == 0.0  # overlap in y only
    assert box_iou((0, 0, 1, 0.2), (0, 0.5, 1, 1)) == 0.0  # overlap in x only
