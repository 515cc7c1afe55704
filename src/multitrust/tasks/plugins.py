"""Tasks from installed plugins (entry-point group ``multitrust.tasks``), and the helpers a
plugin defines its tasks with.

A plugin's entry point names a :class:`TaskSpec` (what :func:`define_task` returns), a list of
them, or a function returning either. They are read once, on the first lookup of a task. A task
that cannot be used is left out with one line naming the plugin, the entry point and why: its
module fails to import, the object is not a task, its loader raises, or its id is taken (a
built-in's, a paper-style id such as ``T.40``, an aspect name, or another plugin's). A plugin's
task never replaces a built-in: a module that writes into the registry at import is undone.

A plugin's tasks are named ``namespace.name`` (``example.shapes``); they run when selected by
id (or all of them with ``--tasks plugins``) and are reported on their own, outside the paper's
sub-aspect and overall scores.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from multitrust import _plugins
from multitrust._plugins import Origin
from multitrust.tasks.base import (
    _REGISTRY,
    ASPECTS,
    PAPER_ID,
    SUB_ASPECT_NAMES,
    Loaders,
    SelfSized,
    TaskFn,
    TaskSpec,
    _loaders,
)

__all__ = ["PLUGIN_ID", "define_task", "jsonl_samples", "load_task_plugins"]

PLUGIN_ID = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
"""A plugin task's id: lower case, ``namespace.name`` (``example.shapes``)."""
RESERVED = frozenset({"all", "plugins"})

_loaded: list[bool] = []


def define_task(
    id: str,
    name: str,
    *,
    aspect: str,
    sub_aspect: str,
    data: Loaders = None,
    official: Loaders = None,
    synth: Loaders = None,
    synth_note: str | None = None,
) -> Callable[[TaskFn], TaskSpec]:
    """Declare a plugin's task: the decorated task function becomes the :class:`TaskSpec` that
    the plugin's entry point names (nothing is registered until multitrust reads the entry
    point). ``data``: one loader for every data source (a plugin's own files, e.g.
    :func:`jsonl_samples`); or ``official`` / ``synth`` loaders for each source."""
    bad = id_problem(id)
    if bad:
        raise ValueError(f"task id {id!r}: {bad}")
    if aspect not in ASPECTS or sub_aspect not in ASPECTS[aspect]:
        raise ValueError(f"{id}: bad aspect/sub-aspect {aspect}/{sub_aspect}")
    if data is not None:
        official = official if official is not None else data
        synth = synth if synth is not None else data
    if synth is None and not synth_note:
        raise ValueError(f"{id}: a task without synth data says why (synth_note)")

    def deco(fn: TaskFn) -> TaskSpec:
        return TaskSpec(
            id, name, aspect, sub_aspect, fn, _loaders(official), _loaders(synth), synth_note
        )

    return deco


def jsonl_samples(path: str | Path) -> SelfSized:
    """A loader reading a plugin's own JSONL file (:mod:`multitrust.data.jsonl` gives the
    format), capped at the run's ``--size``: the same samples on every data source."""
    from multitrust.data.jsonl import read_samples

    where = Path(path)

    def load(source: Any) -> Iterator[Any]:
        return iter(source.limit(read_samples(where)))

    return SelfSized(load)


def id_problem(task_id: str, *, taken_by: Origin | None = None) -> str | None:
    """Why ``task_id`` cannot be a plugin's task id (None: it can)."""
    if PAPER_ID.match(task_id.upper()):
        if task_id.upper() in _REGISTRY and _REGISTRY[task_id.upper()].plugin is None:
            return f"collides with the built-in task {task_id.upper()} (not replaced)"
        return "ids like T.6 are reserved for the paper's tasks; use namespace.name"
    if task_id.lower() in ASPECTS or task_id.upper() in SUB_ASPECT_NAMES or task_id in RESERVED:
        return "is an aspect, sub-aspect or selection word; use namespace.name"
    if not PLUGIN_ID.match(task_id):
        return "a plugin task id is lower case, namespace.name (e.g. example.shapes)"
    if taken_by is not None:
        return f"already defined by {taken_by} (entry point {taken_by.name!r})"
    return None


def _specs(origin: Origin, obj: Any) -> list[Any] | None:
    """The entry point's object as a list of candidate specs (None: reported)."""
    if inspect.isroutine(obj):  # a function that returns the tasks
        try:
            obj = obj()
        except (Exception, SystemExit) as exc:
            _plugins.report(origin, f"its loader raised {_plugins.failure(exc)}")
            return None
    if isinstance(obj, TaskSpec):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return list(obj)
    _plugins.report(
        origin,
        f"is a {type(obj).__name__}, not a TaskSpec or a list of them "
        "(declare tasks with multitrust.tasks.define_task)",
    )
    return None


def _add(origin: Origin, candidates: Iterable[Any]) -> None:
    for spec in candidates:
        if not isinstance(spec, TaskSpec):
            _plugins.report(origin, f"gave a {type(spec).__name__}, not a TaskSpec")
            continue
        earlier = _REGISTRY.get(spec.id)
        bad = id_problem(spec.id, taken_by=earlier.plugin if earlier is not None else None)
        if bad is None and earlier is not None:
            bad = "collides with a task registered in this process (not replaced)"
        if bad:
            _plugins.report(origin, f"task {spec.id}: {bad}")
            continue
        _REGISTRY[spec.id] = replace(spec, plugin=origin)


def load_task_plugins() -> None:
    """Read the installed ``multitrust.tasks`` entry points into the registry (once)."""
    if _loaded:
        return
    _loaded.append(True)
    for origin, ep in _plugins.entry_points(_plugins.TASKS):
        before = dict(_REGISTRY)
        obj = _plugins.load(origin, ep)
        candidates = None if obj is _plugins.FAILED else _specs(origin, obj)
        touched = sorted(k for k in {*before, *_REGISTRY} if before.get(k) is not _REGISTRY.get(k))
        if touched:  # the import (or the loader) wrote into the registry itself: undone
            _REGISTRY.clear()
            _REGISTRY.update(before)
            _plugins.report(
                origin,
                f"wrote task(s) {', '.join(touched)} into the registry itself "
                "(undone; a plugin's entry point names its tasks)",
            )
            continue
        if candidates is not None:
            _add(origin, candidates)
