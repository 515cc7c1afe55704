"""The bridge's vocabulary, free of inspect_ai: task names and task arguments.

Kept apart from the modules that import inspect_ai, so that the docs check and the CLI can
name bridged tasks on an install without the ``inspect`` extra.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from multitrust.errors import ConfigError
from multitrust.scoring.base import PROFILES
from multitrust.scoring.toxicity import check_toxicity

#: The package's namespace in inspect's registry: ``inspect eval multitrust/T2``.
NAMESPACE = "multitrust"

_ID = re.compile(r"^([TSRFP])\.?(\d+)$", re.IGNORECASE)


def inspect_name(task_id: str) -> str:
    """The inspect task name of a paper id: ``T.2`` -> ``T2``.

    inspect loads an extension package's entry point only for a name without a dot
    (``multitrust/T.2`` would be taken for a file), so the id loses its dot; the letter
    stays upper case, as in the paper."""
    m = _ID.match(task_id)
    if m is None:
        raise ValueError(f"not a MultiTrust task id: {task_id!r} (ids look like T.2 or P.10)")
    return f"{m.group(1).upper()}{int(m.group(2))}"


def task_id_of(name: str) -> str:
    """The paper id of an inspect task name: ``multitrust/T2``, ``T2``, ``t2`` or ``T.2`` -> ``T.2``."""
    bare = name.split("/", 1)[1] if name.startswith(f"{NAMESPACE}/") else name
    m = _ID.match(bare)
    if m is None:
        raise ValueError(f"not a MultiTrust task name: {name!r} (names look like multitrust/T2)")
    return f"{m.group(1).upper()}.{int(m.group(2))}"


@dataclass(frozen=True)
class Settings:
    """A bridged task's arguments (``-T name=value``): they pick the data and the scoring."""

    data: str = "synth"
    """``synth`` (generated, no download) or the path of the official MultiTrust data."""
    size: int | None = None
    """Samples per task (synth: 20 when not given) or a cap per task (official: all)."""
    seed: int = 0
    """The synthetic draw's seed."""
    profile: str = "corrected"
    """The scoring profile: ``corrected``, ``official`` or ``official-a067801`` (docs/scoring.md)."""
    toxicity: str = "auto"
    """S.1/S.3's toxicity backend, as ``multitrust eval --toxicity``: ``auto``, ``api``,
    ``perspective``, ``moderation``, ``profanity`` or ``hf/<model>`` (docs/scoring.md)."""
    judge: str | None = None
    """An inspect model name for judge-scored tasks (else the ``grader`` model role)."""

    def check(self) -> None:
        """A one-line ConfigError for an argument no task accepts."""
        if self.profile not in PROFILES:
            raise ConfigError(
                f"profile must be one of {', '.join(PROFILES)} (got {self.profile!r})"
            )
        try:
            check_toxicity(str(self.toxicity))
        except ConfigError as exc:  # the CLI's message, worded for a task argument
            raise ConfigError(str(exc).replace("--toxicity", "toxicity", 1)) from None
        size = self.size
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
            raise ConfigError(f"size must be a positive number of samples (got {size!r})")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ConfigError(f"seed must be a whole number (got {self.seed!r})")


#: The task arguments every bridged task takes (``-T data=… -T size=…``).
TASK_ARGS: tuple[str, ...] = tuple(f.name for f in fields(Settings))
