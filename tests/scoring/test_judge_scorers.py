"""Every judge scorer's whole Score (values, label, explanation), the prompts it sends, when
it asks the judge at all, and what it records about itself (name, version, prompt versions)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from multitrust.scoring.base import JudgeError, ScoreContext, Scorer
from multitrust.scoring.judge import (
    ask_judge,
    benchlmm_fields,
    caption_judge,
    exact_match,
    judge_rating,
    judge_yes_no,
    prompt_judge,
    prompt_version,
    prompt_versions,
    rating_judge,
    reference_answer,
    render_judge_prompt,
    render_target,
)
from multitrust.scoring.judge_prompts import judge_prompt
from multitrust.types import GenerateConfig, Generation, Message, Sample, Score

OUT = "A goldfish in a bowl."


class Judge:
    def __init__(self, *replies: str | Generation) -> None:
        self.replies = list(replies)
        self.prompts: list[str] = []

    async def __call__(
        self, messages: Sequence[Message], config: GenerateConfig | None = None
    ) -> Generation:
        self.prompts.append(messages[0].text)
        r = self.replies.pop(0)
        return r if isinstance(r, Generation) else Generation(r)


def _run(scorer: Scorer, sample: Sample, judge: Judge, profile: str, output: str = OUT) -> Score:
    return asyncio.run(scorer(sample, output, ScoreContext(profile=profile, judge=judge)))


def _whole(sc: Score) -> tuple[dict[str, Any], str | None, str | None]:
    return dict(sc.values), sc.label, sc.explanation


def _prompts(ids: Sequence[str]) -> dict[str, dict[str, str]]:
    return {p: {i: judge_prompt(i, p).version for i in ids} for p in ("official", "corrected")}


CAPTION = Sample("0001.png", "Describe.", target="goldfish")
R4, R5 = "R.4", "R.5"


@pytest.mark.parametrize(
    ("task", "profile", "replies", "want", "asked_noise"),
    [
        # R.1: one question, no noise
        ("R.1", "corrected", ["Yes."], ({"correct": 1.0}, "yes", "Yes."), False),
        ("R.1", "corrected", ["No."], ({"correct": 0.0}, "no", "No."), False),
        ("R.1", "corrected", ["Hm."], ({"correct": None}, "unparseable", "Hm."), False),
        ("R.1", "official", ["Yes."], ({"correct": 1.0}, "yes", "Yes."), False),
        ("R.1", "official", ["No."], ({"correct": 0.0}, "no", "No."), False),
        # R.4 corrected: a "yes" cannot be changed by the noise answer, so it is not asked
        (R4, "corrected", ["Yes."], ({"correct": 1.0, "noise": None}, "yes", None), False),
        (
            R4,
            "corrected",
            ["No.", "Yes."],
            ({"correct": 1.0, "noise": 1.0}, "noise", "No. | noise: Yes."),
            True,
        ),
        (
            R4,
            "corrected",
            ["No.", "No."],
            ({"correct": 0.0, "noise": 0.0}, "no", "No. | noise: No."),
            True,
        ),
        (
            R4,
            "corrected",
            ["Hm.", "No."],
            ({"correct": None, "noise": 0.0}, "unparseable", "Hm. | noise: No."),
            True,
        ),
        (
            R4,
            "corrected",
            ["No.", "Hm."],
            ({"correct": None, "noise": None}, "unparseable", "No. | noise: Hm."),
            True,
        ),
        # R.5 corrected (full score "No."): a "no" is final; noise turns a "yes" into a failure
        (R5, "corrected", ["No."], ({"success": 0.0, "noise": None}, "no", None), False),
        (
            R5,
            "corrected",
            ["Yes.", "Yes."],
            ({"success": 0.0, "noise": 1.0}, "noise", "Yes. | noise: Yes."),
            True,
        ),
        (
            R5,
            "corrected",
            ["Yes.", "No."],
            ({"success": 1.0, "noise": 0.0}, "yes", "Yes. | noise: No."),
            True,
        ),
        # official: both questions always
        (
            R4,
            "official",
            ["No.", "No."],
            ({"correct": 0.0, "noise": 0.0}, "no", "No. | noise: No."),
            True,
        ),
        (
            R4,
            "official",
            ["Yes.", "No."],
            ({"correct": 1.0, "noise": 0.0}, "yes", "Yes. | noise: No."),
            True,
        ),
        (
            R4,
            "official",
            ["No.", "yes"],
            ({"correct": 1.0, "noise": 1.0}, "noise", "No. | noise: yes"),
            True,
        ),
        (
            R5,
            "official",
            ["Yes.", "Yes"],
            ({"success": 0.0, "noise": 1.0}, "noise", "Yes. | noise: Yes"),
            True,
        ),
    ],
)
def test_caption_judge(
    task: str,
    profile: str,
    replies: list[str],
    want: tuple[dict[str, Any], str, str | None],
    asked_noise: bool,
) -> None:
    noise = task != "R.1"
    key = "success" if task == R5 else "correct"
    scorer = caption_judge("cap", task, key=key, noise=noise) if noise else caption_judge("c", task)
    judge = Judge(*replies)
    assert _whole(_run(scorer, CAPTION, judge, profile)) == want
    sent = [render_judge_prompt(judge_prompt(task, profile), CAPTION, OUT)]
    if asked_noise:
        sent.append(render_judge_prompt(judge_prompt(f"{task}/noise", profile), CAPTION, OUT))
    assert judge.prompts == sent


def test_caption_judge_records_itself() -> None:
    s = caption_judge("adv", R4, noise=True)
    assert (s.name, s.version, s.requires) == ("adv", "2", ("judge",))
    assert s.params == {"key": "correct", "noise": True, "prompts": _prompts([R4, "R.4/noise"])}
    s = caption_judge("obj", "R.1", key="k")
    assert s.params == {"key": "k", "noise": False, "prompts": _prompts(["R.1"])}


def test_prompt_judge_whole_scores_and_cues() -> None:
    s = Sample("q/0", "Which city?", target="Paris")
    scorer = prompt_judge("pj", "T.4")
    for reply, want in (
        ("Yes.", ({"correct": 1.0}, "yes", "Yes.")),
        ("No.", ({"correct": 0.0}, "no", "No.")),
        ("Hm.", ({"correct": None}, "unparseable", "Hm.")),
        ("It agrees.", ({"correct": None}, "unparseable", "It agrees.")),
    ):
        judge = Judge(reply)
        assert _whole(_run(scorer, s, judge, "corrected")) == want
        assert judge.prompts == [render_judge_prompt(judge_prompt("T.4", "corrected"), s, OUT)]
    cued = prompt_judge("pj", "T.4", key="k", yes_value=0.0, cues=["agrees"])
    got = _run(cued, s, Judge("It agrees."), "corrected")
    assert _whole(got) == ({"k": 0.0}, "yes", "It agrees.")
    assert (cued.name, cued.version, cued.requires) == ("pj", "2", ("judge",))
    assert cued.params == {"key": "k", "yes_value": 0.0, "prompts": _prompts(["T.4"])}


def test_a_long_reply_is_cut_in_the_explanation() -> None:
    s = Sample("q/0", "Which city?", target="Paris")
    scorer = prompt_judge("pj", "T.4")
    full = "Yes. " + "x" * 3995
    assert _run(scorer, s, Judge(full), "corrected").explanation == full  # 4000: kept
    longer = full + "y"
    assert _run(scorer, s, Judge(longer), "corrected").explanation == full + "…"


def test_judge_yes_no_template_question_and_keywords() -> None:
    tpl = "Q: {question} | A: {output} | T: {target} | {extra}"
    s = Sample("q/0", "the text", target=True, meta={"extra": "E"})
    scorer = judge_yes_no("jy", tpl, question=lambda smp: f"asked {smp.id}")
    judge = Judge("No.")
    assert _whole(_run(scorer, s, judge, "corrected")) == ({"correct": 0.0}, "no", "No.")
    assert judge.prompts == [f"Q: asked q/0 | A: {OUT} | T: Yes | E"]
    assert _whole(_run(scorer, s, Judge("Hm."), "corrected")) == (
        {"correct": None},
        "unparseable",
        "Hm.",
    )
    kw = judge_yes_no("jy", "{output}", key="k", yes_value=0.0, yes_keywords=["agrees"])
    assert _whole(_run(kw, s, Judge("It agrees."), "corrected")) == (
        {"k": 0.0},
        "yes",
        "It agrees.",
    )
    assert (kw.name, kw.version, kw.requires) == ("jy", "1", ("judge",))
    assert kw.params == {"key": "k", "yes_value": 0.0}


def test_judge_rating_exact_answer_prompt_and_reading() -> None:
    s = Sample("r/0", "How many?", target="q->3")
    scorer = judge_rating("jr", "{question} / {output}", allowed=(0, 50, 100))
    judge = Judge()
    sc = _run(scorer, s, judge, "corrected", output="3.")
    assert _whole(sc) == ({"score": 100.0}, "exact-match", None) and judge.prompts == []
    # official compares without trimming spaces: " 3" is not exact there, so the judge is asked
    judge = Judge("50")
    sc = _run(scorer, s, judge, "official", output=" 3")
    assert _whole(sc) == ({"score": 50.0}, "50", "50")
    assert judge.prompts == ["How many? /  3"]
    got = _run(scorer, s, Judge("great"), "corrected", output="four")
    assert _whole(got) == ({"score": None}, "unparseable", "great")
    assert (scorer.name, scorer.version, scorer.requires) == ("jr", "1", ("judge",))
    assert scorer.params == {"key": "score", "allowed": [0, 50, 100]}
    asked = judge_rating("jr", "{question}", version="7", question=lambda smp: "own question")
    judge = Judge("100")
    assert _run(asked, s, judge, "corrected", output="four").values == {"score": 100.0}
    assert judge.prompts == ["own question"] and asked.version == "7"


def test_rating_judge_exact_answers_skip_the_judge_per_profile() -> None:
    s = Sample("r/0", "How many?", target="3")
    scorer = rating_judge("rj")
    for profile, out in (("corrected", "3.\n"), ("official", "3")):
        judge = Judge()
        assert _whole(_run(scorer, s, judge, profile, output=out)) == (
            {"score": 100.0},
            "exact-match",
            None,
        )
        assert judge.prompts == []
    judge = Judge("25")
    assert _run(scorer, s, judge, "corrected", output="three").values == {"score": 25.0}
    prompt = judge_prompt("R.2", "corrected")
    assert judge.prompts == [render_judge_prompt(prompt, s, "three", benchlmm_fields)]
    assert (scorer.name, scorer.version, scorer.requires) == ("rj", "2", ("judge",))
    assert scorer.params == {
        "key": "score",
        "allowed": [0, 25, 50, 75, 100],
        "prompts": _prompts(["R.2"]),
    }


def test_benchlmm_fields_question_from_meta_or_text() -> None:
    assert benchlmm_fields(Sample("a", "Text?", target="3")) == ("Text?->3", {})
    meta = {"question": "Meta?"}
    assert benchlmm_fields(Sample("a", "Text?", target="3", meta=meta)) == ("Meta?->3", meta)


def test_exact_match_clean_up_rules() -> None:
    assert exact_match("3.", "3", "official")
    assert not exact_match("3X", "3", "official")  # only newlines are stripped
    assert exact_match("1\n2", "12")
    assert exact_match("3<\\s>", "3")
    assert exact_match("3", "3.")
    assert not exact_match("", "")


def test_reference_and_target_rendering() -> None:
    assert reference_answer("q->a->b") == "b"
    assert render_target(None) == ""
    assert (render_target(True), render_target(False)) == ("Yes", "No")
    assert render_target(["a", 2]) == "a, 2"


def test_ask_judge_failures_are_errors_with_their_cause() -> None:
    with pytest.raises(JudgeError, match=r"^this scorer needs a judge model, and none is"):
        asyncio.run(ask_judge(ScoreContext(), "p"))
    cut = Generation("partial", error="cut short", error_kind="timeout")
    ctx = ScoreContext(judge=Judge(cut))
    with pytest.raises(JudgeError, match=r"^judge call failed \(timeout\): cut short$"):
        asyncio.run(ask_judge(ctx, "p"))
    ctx = ScoreContext(judge=Judge(Generation(None, error="boom")))
    with pytest.raises(JudgeError, match=r"^judge call failed \(error\): boom$"):
        asyncio.run(ask_judge(ctx, "p"))


def test_prompt_versions_as_recorded() -> None:
    pj = prompt_judge("pj", "T.4")
    for profile in ("official", "official-a067801", "corrected"):
        key = "corrected" if profile == "corrected" else "official"
        want = judge_prompt("T.4", key).version
        assert prompt_versions(pj, profile) == {"T.4": want}
        assert prompt_version(pj, profile) == want
    bare = Scorer("x", pj.fn)
    assert prompt_versions(bare, "official") == {} and prompt_version(bare, "official") is None
    mixed = Scorer(
        "m", pj.fn, params={"prompts": {"corrected": {"A/x": "1", "B/y/z": "2", "C": "3"}}}
    )
    assert prompt_version(mixed, "corrected") == "x=1; y/z=2; C=3"
    assert prompt_versions(mixed, "official") == {}
    same = Scorer("s", pj.fn, params={"prompts": {"official": {"A/x": "1", "B": "1"}}})
    assert prompt_version(same, "official") == "1"
