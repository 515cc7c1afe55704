"""Bridged tasks run through ``inspect_ai.eval`` with ``mockllm/model``: the eval log holds
the multitrust scorer's per-sample values, and the task's metric is the task's own formula.

The mock model answers from what it was sent (the question's wording, whether an image came
with it), so the scores are not all alike and a sample that lost its image shows.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import sys
from pathlib import Path

import pytest

if sys.version_info < (3, 11):  # pragma: no cover
    pytest.skip("inspect_ai needs Python 3.11+", allow_module_level=True)

import inspect_ai
from inspect_ai.log import EvalLog, read_eval_log
from inspect_ai.model import ContentImage, ModelOutput, get_model

from multitrust.data.base import SynthData
from multitrust.formula import Results, Row
from multitrust.inspect_bridge import multitrust_task
from multitrust.inspect_bridge._scoring import multitrust_scorer
from multitrust.scoring.base import ScoreContext
from multitrust.tasks import get_task

# inspect_ai leaves one anyio stream per sample unclosed at the end of an eval (its own, not the
# bridge's); they are collected inside the test that ran the eval (gc in _run), never later
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in. <function MemoryObjectReceiveStream.__del__"
        ":pytest.PytestUnraisableExceptionWarning"
    ),
    pytest.mark.filterwarnings("ignore:Unclosed <MemoryObjectReceiveStream:ResourceWarning"),
]

REFUSAL = "I'm sorry, but I can't help with that."


def _images(messages) -> int:
    content = messages[-1].content
    return sum(isinstance(p, ContentImage) for p in content) if isinstance(content, list) else 0


def _text(messages) -> str:
    content = messages[-1].content
    return (
        content if isinstance(content, str) else " ".join(getattr(p, "text", "") for p in content)
    )


def _yes_or_no(messages, tools, tool_choice, config) -> ModelOutput:
    digit = hashlib.sha256(_text(messages).encode()).digest()[0]
    return ModelOutput.from_content("mockllm/model", "Yes." if digit % 3 else "No, it is not.")


def _refuse_with_an_image(messages, tools, tool_choice, config) -> ModelOutput:
    answer = REFUSAL if _images(messages) else "Sure: people of that group are like that."
    return ModelOutput.from_content("mockllm/model", answer)


def _run(task, tmp_path: Path, outputs, **kwargs) -> EvalLog:
    model = get_model("mockllm/model", custom_outputs=outputs)
    (log,) = inspect_ai.eval(task, model=model, log_dir=str(tmp_path), display="none", **kwargs)
    gc.collect()
    assert log.status == "success", log.error
    return read_eval_log(log.location)  # what `inspect view` shows: the log on disk


def _rows(log: EvalLog) -> list[Row]:
    """The per-sample values as multitrust's formula reads them, taken from the log's samples
    (their metadata and score values) without the bridge's own conversion."""
    rows = []
    for s in log.samples:
        (score,) = s.scores.values()
        md = s.metadata
        rows.append(Row(md["id"], md["variant"], md["meta"], score.value, score.metadata["label"]))
    return rows


def _metrics(log: EvalLog) -> dict[str, float]:
    (scores,) = log.results.scores
    return {k: m.value for k, m in scores.metrics.items()}


def _expected_values(task_id: str, size: int, log: EvalLog) -> dict[str, dict]:
    """multitrust's own scorer on the original synthetic samples and the logged answers."""
    task = get_task(task_id).build(SynthData(size=size))
    originals = {s.uid: s for s in task.iter_samples()}
    out = {}
    for s in log.samples:
        score = asyncio.run(task.scorer(originals[s.id], s.output.completion, ScoreContext()))
        out[s.id] = dict(score.values)
    return out


def test_a_yes_no_task_scores_each_sample_and_applies_the_formula(tmp_path: Path) -> None:
    log = _run(multitrust_task("T.2", size=12), tmp_path, _yes_or_no)
    assert len(log.samples) == 12
    assert {s.id for s in log.samples} == {
        s.uid for s in get_task("T.2").build(SynthData(size=12)).iter_samples()
    }
    expected = _expected_values("T.2", 12, log)
    for s in log.samples:
        (score,) = s.scores.values()
        assert score.value == expected[s.id], s.id
        assert score.answer == s.output.completion
        assert score.metadata["scorer"] == "yes_no"
        assert _images(s.input) == 1  # the picture reached the model
    values = [s.scores["multitrust_scorer"].value["correct"] for s in log.samples]
    assert 0 < sum(values) < len(values)  # some right, some wrong
    formula = get_task("T.2").build(SynthData(size=12)).formula
    metrics = _metrics(log)
    assert metrics["task_score"] == pytest.approx(formula(Results(_rows(log))))
    assert log.results.scores[0].metrics["task_score"].params["task"] == "T.2"
    assert "correct" in metrics  # the task's named metrics come along
    assert log.eval.task == "multitrust/T2"

    # the log alone is enough to score again (`inspect score LOG --scorer …`): no model call
    rescored = inspect_ai.score(
        log, multitrust_scorer(task="T.2", size=12), action="overwrite", display="none"
    )
    for before, after in zip(log.samples, rescored.samples, strict=True):
        assert after.scores["multitrust_scorer"].value == expected[before.id]


def test_a_refusal_rate_task_sees_text_only_and_image_variants(tmp_path: Path) -> None:
    log = _run(multitrust_task("F.4", size=3), tmp_path, _refuse_with_an_image)
    assert len(log.samples) == 15  # 3 queries x (text, related, 3 unrelated images)
    expected = _expected_values("F.4", 3, log)
    for s in log.samples:
        (score,) = s.scores.values()
        assert score.value == expected[s.id]
        with_image = s.metadata["variant"] != "text"
        assert _images(s.input) == int(with_image)
        assert score.value["refusal"] == float(with_image), s.id
    task = get_task("F.4").build(SynthData(size=3))
    results = Results(_rows(log))
    metrics = _metrics(log)
    assert metrics["task_score"] == pytest.approx(task.formula(results))
    named = task.metrics(results) if task.metrics else {}
    assert named and all(metrics[k] == pytest.approx(v) for k, v in named.items())
    assert metrics["refusal[text]"] == 0.0 and metrics["refusal[unrelated-noise]"] == 1.0


def test_the_judge_is_the_grader_role_and_its_calls_are_logged(tmp_path: Path) -> None:
    graded = _run(
        multitrust_task("S.4", size=1),
        tmp_path / "graded",
        _refuse_with_an_image,
        model_roles={"grader": "mockllm/model"},
        limit=2,
    )
    plain = _run(multitrust_task("S.4", size=1), tmp_path / "plain", _refuse_with_an_image, limit=2)
    named = _run(
        multitrust_task("S.4", size=1, judge="mockllm/model"),
        tmp_path / "named",
        _refuse_with_an_image,
        limit=1,
    )
    (sample,) = named.samples
    assert len([e for e in sample.events if e.event == "model"]) == 2  # the answer, the judge
    assert "via judge" in sample.scores["multitrust_scorer"].metadata["label"]
    for s in graded.samples:
        roles = [e.role for e in s.events if e.event == "model"]
        assert roles == [None, "grader"], s.id
        assert "via judge" in s.scores["multitrust_scorer"].metadata["label"]
    for s in plain.samples:
        assert [e.role for e in s.events if e.event == "model"] == [None]
        assert "not measured" in s.scores["multitrust_scorer"].metadata["label"]
        assert s.scores["multitrust_scorer"].value["jailbroken"] is None
    # "not measured" (None) stays out of the formula: never read as 0
    formula = get_task("S.4").build(SynthData(size=1)).formula
    for log in (graded, plain):
        assert _metrics(log)["task_score"] == pytest.approx(
            formula(Results(_rows(log))), nan_ok=True
        )


def test_epochs_average_each_value_and_keep_not_applicable_out(tmp_path: Path) -> None:
    log = _run(multitrust_task("S.4", size=1), tmp_path, _refuse_with_an_image, epochs=2, limit=3)
    assert len(log.samples) == 6
    formula = get_task("S.4").build(SynthData(size=1)).formula
    rows = {(r.sample_id, r.variant): r for r in _rows(log)}  # both epochs score alike
    assert all(r.values["jailbroken"] is None for r in rows.values())
    assert _metrics(log)["task_score"] == pytest.approx(formula(Results(list(rows.values()))))
    assert _metrics(log)["asr_measured"] == 0.0


def test_a_task_that_needs_a_judge_and_has_none_stops_before_any_model_call(
    tmp_path: Path,
) -> None:
    task = multitrust_task("T.1", size=1, profile="official")  # grounding: the judge reads boxes
    model = get_model("mockllm/model", custom_outputs=_yes_or_no)
    (log,) = inspect_ai.eval(task, model=model, log_dir=str(tmp_path), display="none")
    gc.collect()
    assert log.status == "error"
    assert "T.1 is scored by a judge: pass --model-role grader=<model>" in log.error.message
    assert log.stats.model_usage == {}  # no answer was asked for
    judged = _run(
        multitrust_task("T.1", size=1, profile="official"),
        tmp_path / "judged",
        _yes_or_no,
        model_roles={"grader": "mockllm/model"},
    )
    assert len(judged.samples) == 1
