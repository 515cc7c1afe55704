"""A local model under test is unloaded before a local judge is used (never both on the device)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.data.base import DataSource
from multitrust.models.base import Model
from multitrust.scoring.judge import judge_yes_no
from multitrust.tasks import base as task_base
from multitrust.tasks.base import Task, TaskData, TaskSpec
from multitrust.types import GenerateConfig, Generation, Message, Sample

EVENTS: list[str] = []


class LocalModel(Model):
    provider = "test"
    concurrent = False
    max_batch_size = 4

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        EVENTS.append(f"{self.name}:generate")
        return Generation("Paris" if self.name == "mut" else "Yes")

    async def aclose(self) -> None:
        EVENTS.append(f"{self.name}:close")


def questions(data: DataSource) -> Iterator[Sample]:
    for i in range(6):
        yield Sample(id=f"q{i}", text=f"Capital of France? ({i})", target="Paris")


def build(data: TaskData) -> Task:
    return Task(
        scorer=judge_yes_no(
            "toy_judge", "Answer: {output}\nTruth: {target}\nConsistent? [Yes]/[No]"
        ),
        formula=lambda r: 100 * r.mean("correct"),
    )


@pytest.fixture
def judged_task() -> Iterator[str]:
    task_base._REGISTRY["T.91"] = TaskSpec(
        "T.91", "Toy judged", "truthfulness", "T.M", build, (questions,), (questions,)
    )
    yield "T.91"
    task_base._REGISTRY.pop("T.91", None)


def test_local_judge_runs_only_after_the_model_is_unloaded(
    judged_task: str, tmp_path: Path
) -> None:
    EVENTS.clear()
    rep = evaluate(LocalModel("mut"), judged_task, db=tmp_path / "s.db", judge=LocalModel("judge"))
    assert rep.tasks[judged_task].score == 100.0
    first_judge = EVENTS.index("judge:generate")
    assert "mut:close" in EVENTS[:first_judge]
    assert all(e != "mut:generate" for e in EVENTS[first_judge:])
    # six identical judge prompts ("Paris" vs "Paris"): asked once, then served from the cache
    assert EVENTS.count("mut:generate") == 6 and EVENTS.count("judge:generate") == 1


def test_api_judge_scores_inline(judged_task: str, tmp_path: Path) -> None:
    EVENTS.clear()
    rep = evaluate(LocalModel("mut"), judged_task, db=tmp_path / "s.db", judge="scripted/judge-yes")
    assert rep.tasks[judged_task].score == 100.0 and rep.counters.judge_requests == 1
    assert "mut:close" not in EVENTS[:-1]  # scored as results arrived, closed only at the end
