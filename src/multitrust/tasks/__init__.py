"""The task registry. Importing this package registers all 32 tasks.

The lookups live here, after every aspect module has registered its tasks, and nothing below
imports this package: ``tasks.base`` holds the decorator and the registry dict it fills. The
tasks of installed plugins (entry-point group ``multitrust.tasks``, :mod:`.plugins`) join on
the first lookup.
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
    TaskData,
    TaskSpec,
    task,
)
from multitrust.tasks.plugins import define_task, jsonl_samples, load_task_plugins

__all__ = [
    "ASPECTS",
    "SUB_ASPECT_NAMES",
    "Results",
    "Row",
    "Task",
    "TaskData",
    "TaskSpec",
    "all_tasks",
    "define_task",
    "get_task",
    "jsonl_samples",
    "plugin_tasks",
    "select_tasks",
    "task",
]


def _order(spec: TaskSpec) -> tuple[tuple[int, int], str]:
    return (spec.number, spec.id)


def all_tasks(*, plugins: bool = False) -> list[TaskSpec]:
    """The registered tasks in the paper's order: the paper's (and any registered in-process);
    ``plugins=True`` adds the installed plugins' tasks after them."""
    if plugins:
        load_task_plugins()
    return sorted((s for s in _REGISTRY.values() if plugins or s.plugin is None), key=_order)


def plugin_tasks() -> list[TaskSpec]:
    """The tasks that installed plugins added."""
    return [s for s in all_tasks(plugins=True) if s.plugin is not None]


def get_task(task_id: str) -> TaskSpec:
    try:
        return _REGISTRY[task_id]
    except KeyError:
        pass
    load_task_plugins()
    try:
        return _REGISTRY[task_id]
    except KeyError:
        raise ConfigError(f"unknown task {task_id!r} (see `multitrust list`)") from None


_ID_RE = re.compile(r"^[TSRFP]\.\d+$")


def select_tasks(spec: str | Iterable[str] | None) -> list[TaskSpec]:
    """Resolve ``T.6,P.6,privacy,S.J`` (ids, aspects or sub-aspect codes) to task specs.

    ``all`` (the default), aspects and sub-aspects select the paper's tasks; a plugin's task is
    selected by its id (``example.shapes``), all of them by ``plugins``."""
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
        elif item.lower() == "plugins":
            for t in plugin_tasks():
                chosen[t.id] = t
        elif (found := _plugin_task(item)) is not None:
            chosen[found.id] = found
        else:
            raise ConfigError(
                f"unknown task {item!r}: use ids like T.6, aspects like privacy, sub-aspects "
                "like P.L, or a plugin's task id (see `multitrust list`)"
            )
    return sorted(chosen.values(), key=_order)


def _plugin_task(item: str) -> TaskSpec | None:
    load_task_plugins()
    spec = _REGISTRY.get(item.lower())
    return spec if spec is not None and spec.plugin is not None else None
