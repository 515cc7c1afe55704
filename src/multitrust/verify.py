"""``multitrust data verify``: check a local copy of the official data, task by task."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from multitrust.data.base import OfficialData
from multitrust.errors import DataError, MultitrustError, Unavailable
from multitrust.tasks import select_tasks


@dataclass
class VerifyRow:
    task_id: str
    status: str
    """``ok``, ``missing`` (a file or folder is absent), ``malformed`` (a file does not parse), ``skipped``."""
    samples: int
    detail: str | None = None


_MISSING = ("not found", "no such file", "does not exist", "missing file", "images missing")


def _classify(message: str) -> str:
    """``missing`` for an absent file or folder; anything wrong inside a file that is there
    (a missing column, key or field, a duplicate, bad JSON) is ``malformed``."""
    low = message.lower()
    return "missing" if any(m in low for m in _MISSING) else "malformed"


def verify_task(data: OfficialData, task_id: str, *, decode_images: bool = True) -> VerifyRow:
    spec = select_tasks(task_id)[0]
    if "official" not in spec.sources:
        return VerifyRow(task_id, "skipped", 0, "not an official-data task")
    n = 0
    try:
        task = spec.build(data)
        for sample in task.iter_samples():
            n += 1
            if decode_images:
                for img in sample.images:
                    img.load()
    except Unavailable as exc:
        return VerifyRow(task_id, "skipped", n, exc.reason)
    except DataError as exc:
        return VerifyRow(task_id, _classify(str(exc)), n, str(exc))
    except MultitrustError as exc:
        return VerifyRow(task_id, "malformed", n, str(exc))
    except UnicodeDecodeError as exc:
        return VerifyRow(task_id, "malformed", n, f"a file is not UTF-8 text ({exc.reason})")
    except Exception as exc:  # report, never crash the whole check
        return VerifyRow(task_id, "malformed", n, f"{type(exc).__name__}: {exc}")
    if n == 0:
        return VerifyRow(task_id, "missing", 0, "no samples found")
    return VerifyRow(task_id, "ok", n, None)


def verify(
    root: str | Path, tasks: str | None = None, *, decode_images: bool = True
) -> list[VerifyRow]:
    data = OfficialData(root)
    return [verify_task(data, s.id, decode_images=decode_images) for s in select_tasks(tasks)]
