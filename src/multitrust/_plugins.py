"""Entry-point plugins: discovery, where each came from, and one-line reports of broken ones.

An installed distribution extends multitrust through three entry-point groups (``pyproject.toml``
``[project.entry-points."multitrust.tasks"]`` …): :data:`TASKS`, :data:`MODELS` (model providers)
and :data:`SCORERS`. Each registry (``tasks``, ``models.registry``, ``scoring.registry``) reads
its own group once, on first use, through :func:`entry_points` and :func:`load`. A plugin that
cannot be used (its import fails, it names the wrong kind of object, it would replace a built-in)
is reported by :func:`report` as one line, logged on ``multitrust.plugins`` (stderr when logging
is not configured) and kept in :func:`problems`; everything else keeps working.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import metadata
from typing import Any

__all__ = [
    "FAILED",
    "MODELS",
    "SCORERS",
    "TASKS",
    "Origin",
    "Problem",
    "entry_points",
    "failure",
    "load",
    "one_line",
    "problems",
    "report",
]

TASKS = "multitrust.tasks"
MODELS = "multitrust.models"
SCORERS = "multitrust.scorers"

log = logging.getLogger("multitrust.plugins")


@dataclass(frozen=True)
class Origin:
    """Where a plugin's object comes from: its distribution and its entry point."""

    dist: str
    """The distribution's name (``multitrust-plugin-example``), ``?`` when unknown."""
    version: str
    group: str
    name: str
    """The entry point's name (a task, provider or scorer name, as the group defines)."""
    value: str
    """What the entry point names: ``module:attribute``."""

    def __str__(self) -> str:
        return f"plugin {self.dist} {self.version}"

    @property
    def label(self) -> str:
        """``multitrust-plugin-example 0.1.0``: the origin column of ``multitrust list``."""
        return f"{self.dist} {self.version}"

    @property
    def where(self) -> str:
        return f"entry point {self.name!r} in {self.group} ({self.value})"


@dataclass(frozen=True)
class Problem:
    """A plugin that was left out, and why."""

    origin: Origin
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.origin.where}: {self.reason}"


_PROBLEMS: list[Problem] = []


def one_line(text: object, limit: int = 300) -> str:
    """``text`` on one line (whitespace runs joined), at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def failure(exc: BaseException) -> str:
    """An exception as a reason: ``ModuleNotFoundError: No module named 'x'``."""
    text = one_line(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def report(origin: Origin, reason: str) -> None:
    """Record and log, on one line, that a plugin's entry point was left out."""
    problem = Problem(origin, one_line(reason, 500))
    _PROBLEMS.append(problem)
    log.warning("%s (left out)", problem)


def problems(group: str | None = None) -> list[Problem]:
    """The plugins left out so far (of one group, or all), in the order they were found."""
    return [p for p in _PROBLEMS if group is None or p.origin.group == group]


def _dist_of(ep: metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "?", "?"
    try:
        name = dist.metadata["Name"] or "?"
        version = dist.version or "?"
    except Exception:  # a distribution whose METADATA is unreadable
        return "?", "?"
    return str(name), str(version)


def entry_points(group: str) -> list[tuple[Origin, metadata.EntryPoint]]:
    """The installed entry points of ``group``, each with its origin, in a stable order."""
    try:
        found = list(metadata.entry_points(group=group))
    except Exception as exc:  # a malformed entry_points.txt somewhere on the path
        unknown = Origin("?", "?", group, "?", "?")
        report(unknown, f"the installed entry points could not be read: {failure(exc)}")
        return []
    out = []
    for ep in found:
        dist, version = _dist_of(ep)
        out.append((Origin(dist, version, group, ep.name, ep.value), ep))
    out.sort(key=lambda pair: (pair[0].dist.lower(), pair[0].name))
    return out


class _Failed:
    """What :func:`load` returns for an entry point it could not load (already reported)."""


FAILED: Any = _Failed()


def load(origin: Origin, ep: metadata.EntryPoint) -> Any:
    """The object the entry point names, or :data:`FAILED` (reported) when importing it fails."""
    try:
        return ep.load()
    except (Exception, SystemExit) as exc:
        report(origin, f"import failed: {failure(exc)}")
        return FAILED
