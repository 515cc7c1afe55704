"""The official judge prompts are the benchmark's, byte for byte, with its settings and rules."""

from __future__ import annotations

import pytest

from multitrust.scoring import judge_prompts as jp
from multitrust.scoring.base import by_meta
from multitrust.scoring.judge import prompt_judge, prompt_version
from multitrust.scoring.yesno import yes_no
from tests.scoring.judge_reference import (
    CONFIG_PROMPT_IDS,
    hod_eval_prompt,
    noise_prompt,
    read_reference,
)
from tests.tasks.test_task_facts import JUDGE_PROMPTS

REF = read_reference()


def test_reference_has_every_judge_config() -> None:
    assert set(REF) == set(CONFIG_PROMPT_IDS.values())
    # every judge-scored task's prompts are in the package, under both profiles
    for ids in JUDGE_PROMPTS.values():
        for i in ids:
            assert i in jp.OFFICIAL_PROMPTS and i in jp.CORRECTED_PROMPTS


@pytest.mark.parametrize("prompt_id", sorted(CONFIG_PROMPT_IDS.values()))
def test_official_prompt_is_the_configs(prompt_id: str) -> None:
    ref = REF[prompt_id]
    p = jp.OFFICIAL_PROMPTS[prompt_id]
    assert p.template == ref.template  # byte-identical, whitespace included
    assert p.max_tokens == ref.generation["max_new_tokens"]
    assert ref.generation["do_sample"] is False and p.config.temperature == 0.0
    assert p.config.max_tokens == ref.generation["max_new_tokens"]
    assert ref.judge_model == jp.OFFICIAL_JUDGE_MODEL
    assert p.fill == ("named" if ref.evaluator == "chatmodel_eval" else "positional")
    assert p.yes_template == (tuple(ref.yes_template) if ref.yes_template else None)
    assert p.version == jp.OFFICIAL_VERSION


def test_f1_yes_template_keeps_the_yaml_quirk() -> None:
    assert REF["F.1"].yes_template is not None
    assert '\\ "includes a stereotype"' in REF["F.1"].yes_template
    assert tuple(REF["F.1"].yes_template) == jp.F1_YES_TEMPLATE
    assert "includes a stereotype" not in jp.F1_YES_TEMPLATE


def test_noise_prompt_is_the_toolboxs() -> None:
    ref = noise_prompt()
    for pid in ("R.4/noise", "R.5/noise"):
        p = jp.OFFICIAL_PROMPTS[pid]
        assert p.template == ref
        assert p.max_tokens == REF[pid.split("/")[0]].generation["max_new_tokens"]
    assert jp.NOISE_FULL_SCORE == {"R.4": "Yes.", "R.5": "No."}


def test_hod_dataset_prompt_is_kept_verbatim() -> None:
    assert hod_eval_prompt() == jp.HOD_EVAL_PROMPT
    assert "{pre}" in jp.HOD_EVAL_PROMPT  # not a field chatmodel_eval can fill: never sent


# ----------------------------------------------------------------- rendering a fixed sample

RESPONSE = "The answer is {not a field} 42.\nSecond line."
LABEL = "42"


def _by_replace(template: str, **fields: str) -> str:
    """The reference way of filling a template, written independently of str.format."""
    out = template
    for k, v in fields.items():
        out = out.replace("{" + k + "}", v)
    return out


def _positional_by_replace(template: str, *values: str) -> str:
    parts = template.split("{}")
    assert len(parts) == len(values) + 1
    return "".join(p + v for p, v in zip(parts, [*values, ""], strict=True))


@pytest.mark.parametrize(
    "prompt_id", ["T.1/ocr", "T.3/factual", "T.3/logic", "T.4", "T.5", "T.7", "F.1"]
)
def test_render_named_pred_label(prompt_id: str) -> None:
    got = jp.render_named(jp.OFFICIAL_PROMPTS[prompt_id], RESPONSE, LABEL, {})
    assert got == _by_replace(REF[prompt_id].template, pred=RESPONSE, label=LABEL)


def test_render_grounding_formats_the_size_tuple() -> None:
    got = jp.render_named(
        jp.OFFICIAL_PROMPTS["T.1/grounding"], "[10, 20, 30, 40]", None, {"img_size": (640, 480)}
    )
    assert got == _by_replace(
        REF["T.1/grounding"].template, pred="[10, 20, 30, 40]", img_size="(640, 480)"
    )


def test_render_s2_fills_question_and_keywords_by_name() -> None:
    extra = {"QUESTION": "What is shown in the image?", "EXPECTED_KEYWORDS": "knife, blade"}
    got = jp.render_named(jp.OFFICIAL_PROMPTS["S.2"], RESPONSE, None, extra)
    assert got == _by_replace(
        REF["S.2"].template,
        pred=RESPONSE,
        QUESTION=extra["QUESTION"],
        EXPECTED_KEYWORDS=extra["EXPECTED_KEYWORDS"],
    )


def test_render_named_missing_field_is_an_error() -> None:
    with pytest.raises(ValueError, match="QUESTION"):
        jp.render_named(jp.OFFICIAL_PROMPTS["S.2"], RESPONSE, None, {})


@pytest.mark.parametrize("prompt_id", ["R.1", "R.4", "R.5"])
def test_render_positional_response_then_label(prompt_id: str) -> None:
    got = jp.render_positional(jp.OFFICIAL_PROMPTS[prompt_id], "A cat {} on a mat.", "cat")
    assert got == _positional_by_replace(REF[prompt_id].template, "A cat {} on a mat.", "cat")


def test_render_positional_benchlmm_label() -> None:
    label = "How many people?\nAnswer briefly.->3"
    got = jp.render_positional(jp.OFFICIAL_PROMPTS["R.2"], "three", label)
    assert got == _positional_by_replace(REF["R.2"].template, "How many people?", "3", "three")


def test_render_noise_prompt() -> None:
    got = jp.render_named(jp.OFFICIAL_PROMPTS["R.4/noise"], "A noisy dog.", "dog", {})
    assert got == _by_replace(noise_prompt(), pred="A noisy dog.")


# ----------------------------------------------------------------- reply rules


@pytest.mark.parametrize(
    ("pred", "label", "expected"),
    [
        ("3", "q->3", True),
        ("3.\n", "q->3", True),
        ("\n\nThree.", "q->three", True),
        ("Ye.s<\\s>", "q->yes", True),
        (" 3", "q->3", False),  # only newlines are stripped, and only at the ends
        ("3\n3", "q->33", False),
        ("3", "3", False),  # no "->": no short-circuit
        ("b", "q->b->c", True),  # the answer is the part between the first and second "->"
    ],
)
def test_benchlmm_exact_match(pred: str, label: str, expected: bool) -> None:
    assert jp.benchlmm_exact_match(pred, label) is expected


def test_noise_reply_rule_is_any_yes() -> None:
    assert jp.noise_says_yes("No. But eyes are visible.")  # "eyes" contains "yes": the rule
    assert not jp.noise_says_yes("No.")


def test_versions_and_identity() -> None:
    t3 = by_meta(
        "t3",
        "dataset",
        {"f": prompt_judge("f", "T.3/factual"), "l": prompt_judge("l", "T.3/logic")},
    )
    assert prompt_version(prompt_judge("t4", "T.4"), "official") == jp.OFFICIAL_VERSION
    assert prompt_version(t3, "official-head") == jp.OFFICIAL_VERSION
    assert prompt_version(t3, "corrected") == (
        f"factual={jp.CORRECTED_VERSION}; logic={jp.OFFICIAL_VERSION}"
    )
    assert prompt_version(yes_no(), "official") is None
    off, cor = jp.prompt_set_identity("official"), jp.prompt_set_identity("corrected")
    assert off["T.4"] == cor["T.4"] and off["T.3/factual"] != cor["T.3/factual"]
    # only corrected prompts with a documented change differ from the official ones
    changed = {k for k in jp.OFFICIAL_PROMPTS if jp.CORRECTED_PROMPTS[k] != jp.OFFICIAL_PROMPTS[k]}
    assert changed == {"T.3/factual", "T.1/grounding"}
    assert all(jp.CORRECTED_PROMPTS[k].version == jp.CORRECTED_VERSION for k in changed)


def test_prompt_versions_are_part_of_the_run_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from multitrust.api import run_id_for
    from multitrust.data.base import open_data
    from multitrust.models import ModelOptions, get_model

    model = get_model("scripted/oracle", ModelOptions())
    judge = get_model("scripted/judge-yes", ModelOptions())
    data = open_data("synth")
    before = run_id_for(model, data, "official", judge, None)
    unjudged = run_id_for(model, data, "official", None, None)
    bumped = replace(jp.OFFICIAL_PROMPTS["T.4"], version="mmte-next")
    monkeypatch.setitem(jp.OFFICIAL_PROMPTS, "T.4", bumped)  # type: ignore[index]
    assert run_id_for(model, data, "official", judge, None) != before
    assert run_id_for(model, data, "official", None, None) == unjudged
