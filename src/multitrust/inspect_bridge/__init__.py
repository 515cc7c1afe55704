"""MultiTrust tasks for inspect_ai (``pip install 'multitrust[inspect]'``).

``inspect eval multitrust/T2 --model …`` runs a MultiTrust task inside inspect: the task's
samples on synthetic (default) or official data (``-T data=/path``), its multitrust scorer as an
inspect scorer, and its formula as the headline metric (docs/ecosystem.md). The package's
``inspect_ai`` entry point imports :mod:`multitrust.inspect_bridge._tasks`, which registers the
32 tasks; nothing else in multitrust imports this package, and this ``__init__`` imports
inspect_ai only when :func:`multitrust_task` is called, so the core never needs it.
"""

from __future__ import annotations

from typing import Any

from multitrust.inspect_bridge._spec import NAMESPACE, TASK_ARGS, Settings, inspect_name, task_id_of

__all__ = ["NAMESPACE", "TASK_ARGS", "Settings", "inspect_name", "multitrust_task", "task_id_of"]


def multitrust_task(task: str, **args: Any) -> Any:
    """The inspect ``Task`` for a MultiTrust task (``T.2``, ``T2`` or ``multitrust/T2``), with
    the task arguments of :class:`Settings` (``data``, ``size``, ``seed``, ``profile``,
    ``toxicity``, ``judge``)."""
    from multitrust.inspect_bridge._tasks import TASKS

    return TASKS[inspect_name(task_id_of(task))](**args)
