"""The 32 MultiTrust tasks as inspect tasks, registered under the ``multitrust`` namespace.

inspect imports this module through the package's ``inspect_ai`` entry point when a
``multitrust/…`` name is asked for (``inspect eval multitrust/T2``). Each task takes the same
arguments (``-T data=/path/to/official -T size=50 …``, see :class:`Settings`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inspect_ai import Epochs
from inspect_ai import Task as InspectTask
from inspect_ai import task as inspect_task
from inspect_ai.dataset import MemoryDataset
from inspect_ai.solver import generate

from multitrust._version import __version__
from multitrust.errors import MultitrustError
from multitrust.inspect_bridge._convert import generate_config, to_inspect_sample
from multitrust.inspect_bridge._scoring import (
    built,
    mean_over_epochs,
    multitrust_scorer,
    require_judge,
    task_metrics,
    task_score,
)
from multitrust.inspect_bridge._spec import Settings, inspect_name
from multitrust.tasks import all_tasks


def prerequisite_error() -> type[Exception]:
    """inspect's ``PrerequisiteError`` (printed as one line, no traceback). It is not in
    inspect's public API: when a release moves it, a plain RuntimeError takes its place, so the
    bridge keeps working and only the error's presentation changes."""
    try:
        from inspect_ai._util.error import PrerequisiteError
    except ImportError:
        return RuntimeError
    error: type[Exception] = PrerequisiteError
    return error


def build(task_id: str, settings: Settings) -> Any:
    """The inspect Task for multitrust task ``task_id``: its samples (variants expanded) on the
    settings' data, its generation settings, its scorer and its formula as the headline metric.
    A bad argument or unusable data is inspect's one-line prerequisite error, not a traceback."""
    try:
        spec, mt_task = built(task_id, settings)
        samples = [to_inspect_sample(mt_task, s) for s in mt_task.iter_samples()]
    except MultitrustError as exc:
        raise prerequisite_error()(f"multitrust {task_id}: {exc}") from None
    if not samples:
        raise prerequisite_error()(f"multitrust {task_id}: no samples in {settings.data}")
    needs_judge = "judge" in mt_task.scorer.requires
    data_args = {
        "task": task_id,
        "data": settings.data,
        "size": settings.size,
        "seed": settings.seed,
        "profile": settings.profile,
        "toxicity": settings.toxicity,
    }
    return InspectTask(
        dataset=MemoryDataset(samples, name=f"multitrust-{inspect_name(task_id)}"),
        setup=[require_judge(task_id, settings.judge)] if needs_judge else None,
        solver=[generate()],
        scorer=multitrust_scorer(**data_args, judge=settings.judge),
        metrics=[task_score(**data_args), task_metrics(**data_args)],
        config=generate_config(mt_task.config),
        # one greedy epoch, as the paper ran; --epochs N reduces with multitrust's mean
        epochs=Epochs(1, [mean_over_epochs()]),
        version=__version__,
        metadata={
            "multitrust_task": spec.id,
            "name": spec.name,
            "aspect": spec.aspect,
            "sub_aspect": spec.sub_aspect,
            "data": "synth" if settings.data == "synth" else "official",
            "profile": settings.profile,
            "scorer": mt_task.scorer.id,
            "refusal_rate": mt_task.refusal_rate,
            "deviation": "; ".join(d for d in (mt_task.deviation, mt_task.scorer.deviation) if d)
            or None,
        },
    )


def _factory(task_id: str, title: str) -> Callable[..., Any]:
    def make(
        data: str = "synth",
        size: int | None = None,
        seed: int = 0,
        profile: str = "corrected",
        toxicity: str = "auto",
        judge: str | None = None,
    ) -> Any:
        return build(task_id, Settings(str(data), size, seed, profile, toxicity, judge))

    name = inspect_name(task_id)
    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"MultiTrust {task_id}: {title}."
    return make


#: inspect task name (``T2``) -> the registered task function.
TASKS: dict[str, Callable[..., Any]] = {
    inspect_name(spec.id): inspect_task(name=inspect_name(spec.id))(_factory(spec.id, spec.name))
    for spec in all_tasks()
}
