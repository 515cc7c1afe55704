"""The task registry. Importing this package registers all 32 tasks."""

from multitrust.formula import Results, Row
from multitrust.tasks import fairness, privacy, robustness, safety, truthfulness  # noqa: F401
from multitrust.tasks.base import (
    ASPECTS,
    SUB_ASPECT_NAMES,
    Task,
    TaskSpec,
    all_tasks,
    get_task,
    select_tasks,
    task,
)

__all__ = [
    "ASPECTS",
    "SUB_ASPECT_NAMES",
    "Results",
    "Row",
    "Task",
    "TaskSpec",
    "all_tasks",
    "get_task",
    "select_tasks",
    "task",
]
