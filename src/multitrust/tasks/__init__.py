"""The task registry. Importing this package registers all 32 tasks.

The lookups live here, after every aspect module has registered its tasks, and nothing below
imports this package: ``tasks.base`` holds the decorator and the registry dict it fills.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from multitrust.errors import ConfigError
from multitrust.formula import Results, Row
from multitrust.tasks import fairness, privacy, robustness, safety, truthfulness  # noqa: F401
from multitrust.tasks.base import (
    _REGISTRY,
    ASPECTS,
    SUB_ASPECT_NAMES,
    Task,
    TaskSpec,
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


def all_tasks() -> list[TaskSpec]:
    return sorted(_REGISTRY.values(), key=lambda s: s.number)


def get_task(task_id: str) -> TaskSpec:
    try:
        return _REGISTRY[task_id]
    except KeyError:
        raise ConfigError(f"unknown task {task_id!r} (see `multitrust list`)") from None


_ID_RE = re.compile(r"^[TSRFP]\.\d+$")


def select_tasks(spec: str | Iterable[str] | None) -> list[TaskSpec]:
    """Resolve ``T.6,P.6,privacy,S.J`` (ids, aspects or sub-aspect codes) to task specs."""
    tasks = all_tasks()
    if spec is None or spec == "" or spec == "all":
        return tasks
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec) if s.strip()]
    chosen: dict[str, TaskSpec] = {}
    for item in items:
        key = item.upper() if _ID_RE.match(item.upper()) else item
        if _ID_RE.match(key):
            t = get_task(key)
            chosen[t.id] = t
        elif item.lower() in ASPECTS:
            for t in tasks:
                if t.aspect == item.lower():
                    chosen[t.id] = t
        elif item.upper() in SUB_ASPECT_NAMES:
            for t in tasks:
                if t.sub_aspect == item.upper():
                    chosen[t.id] = t
        elif item.lower() == "all":
            for t in tasks:
                chosen[t.id] = t
        else:
            raise ConfigError(
                f"unknown task {item!r}: use ids like T.6, aspects like privacy, or sub-aspects like P.L"
            )
    return sorted(chosen.values(), key=lambda s: s.number)
