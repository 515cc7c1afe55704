"""A toy task registered for engine tests (id T.90, never shipped)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from multitrust.data.base import DataSource
from multitrust.formula import Results, mean_over
from multitrust.scoring.yesno import yes_no
from multitrust.tasks import base as task_base
from multitrust.tasks.base import Task, TaskData, TaskSpec
from multitrust.types import GenerateConfig, Sample


def toy_samples(data: DataSource, n: int) -> Iterator[Sample]:
    rng = data.rng("toy")
    for i in range(n):
        ans = rng.random() < 0.5
        yield Sample(
            id=f"toy-{i}", text=f"Is {i} even? answer {i}", target=ans, meta={"kind": "ab"[i % 2]}
        )


def load_toy(data: DataSource) -> Iterator[Sample]:
    return data.with_unrelated(toy_samples(data, data.size or 10), "T.90", pools=("color",))


def build_toy(data: TaskData) -> Task:
    return Task(
        prompt="{text} Please answer [Yes] or [No].",
        scorer=yes_no(),
        formula=lambda r: 100 * mean_over(r, "correct", "kind"),
        config=GenerateConfig(max_tokens=16),
    )


def toy_spec() -> TaskSpec:
    return TaskSpec(
        "T.90", "Toy yes/no", "truthfulness", "T.M", build_toy, (load_toy,), (load_toy,)
    )


@pytest.fixture
def toy_task() -> Iterator[str]:
    spec = toy_spec()
    task_base._REGISTRY["T.90"] = spec
    yield "T.90"
    task_base._REGISTRY.pop("T.90", None)


def results_of(r: Results) -> float:
    return r.mean("correct")
