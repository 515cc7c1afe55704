"""The plugin's tasks: its own JSONL files and images, one scored by the plugin's own scorer and
one by a built-in scorer, both looked up by name."""

from __future__ import annotations

from multitrust.formula import Results
from multitrust.scoring import get_scorer
from multitrust.tasks import Task, TaskData, TaskSpec, define_task, jsonl_samples
from multitrust.types import GenerateConfig
from multitrust_plugin_example import DATA


def percent_correct(results: Results) -> float:
    return 100 * results.mean("correct")


@define_task(
    "example.shapes",
    "Name the shape",
    aspect="truthfulness",
    sub_aspect="T.I",
    data=jsonl_samples(DATA / "shapes.jsonl"),
)
def shapes(data: TaskData) -> Task:
    return Task(
        prompt="{text} Answer with one word.",
        scorer=get_scorer("example.shape_name"),
        formula=percent_correct,
        config=GenerateConfig(max_tokens=16),
    )


@define_task(
    "example.shapes-yesno",
    "Is it this shape? (yes/no)",
    aspect="truthfulness",
    sub_aspect="T.I",
    data=jsonl_samples(DATA / "shapes_yesno.jsonl"),
)
def shapes_yesno(data: TaskData) -> Task:
    return Task(
        prompt="{text} Please answer [Yes] or [No].",
        scorer=get_scorer("yes_no"),
        formula=percent_correct,
        config=GenerateConfig(max_tokens=16),
    )


TASKS: list[TaskSpec] = [shapes, shapes_yesno]
"""What the ``multitrust.tasks`` entry point names."""
