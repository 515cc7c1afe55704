"""Scorers by name: the built-in scorer factories, and those installed plugins add.

A task (a plugin's especially) can ask for a scorer by name: ``get_scorer("yes_no")`` or
``get_scorer("example.shape_match")``. Installed plugins add scorers under the entry-point group
``multitrust.scorers``: the entry point's name is the scorer's name, its object a
:class:`~multitrust.scoring.base.Scorer` or a factory returning one (called with the keyword
arguments given to :func:`get_scorer`). They are read once, on the first lookup of a name that is
not built in; one that cannot be used is left out with one line and never replaces a built-in.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from multitrust import _plugins
from multitrust._plugins import Origin
from multitrust.errors import ConfigError, MultitrustError
from multitrust.scoring.base import Scorer

__all__ = ["get_scorer", "scorer_names", "scorer_origin"]

BUILTIN: dict[str, str] = {
    # name -> "module:factory" (imported on first use)
    "yes_no": "multitrust.scoring.yesno:yes_no",
    "contains_target": "multitrust.scoring.keywords:contains_target",
    "choice": "multitrust.scoring.choice:choice",
    "refusal": "multitrust.scoring.refusal:refusal",
    "judge_yes_no": "multitrust.scoring.judge:judge_yes_no",
    "judge_rating": "multitrust.scoring.judge:judge_rating",
}

_PLUGINS: dict[str, tuple[Origin, Scorer | Callable[..., Any]]] = {}
_loaded: list[bool] = []


def load_scorer_plugins() -> None:
    """Read the installed ``multitrust.scorers`` entry points (once)."""
    if _loaded:
        return
    _loaded.append(True)
    for origin, ep in _plugins.entry_points(_plugins.SCORERS):
        name = ep.name
        if name in BUILTIN:
            _plugins.report(origin, f"scorer {name!r} is built in (not replaced)")
            continue
        if name in _PLUGINS:
            _plugins.report(origin, f"scorer {name!r} is already added by {_PLUGINS[name][0]}")
            continue
        obj = _plugins.load(origin, ep)
        if obj is _plugins.FAILED:
            continue
        if not isinstance(obj, Scorer) and (isinstance(obj, type) or not callable(obj)):
            _plugins.report(
                origin,
                f"is a {type(obj).__name__ if not isinstance(obj, type) else 'class'}, not a "
                "Scorer or a function returning one",
            )
            continue
        _PLUGINS[name] = (origin, obj)


def scorer_names() -> list[str]:
    """Every scorer name :func:`get_scorer` knows: built-in and from plugins."""
    load_scorer_plugins()
    return sorted({*BUILTIN, *_PLUGINS})


def scorer_origin(name: str) -> str:
    """``built-in`` or the plugin (distribution and version) that added scorer ``name``."""
    load_scorer_plugins()
    return _PLUGINS[name][0].label if name in _PLUGINS else "built-in"


def get_scorer(name: str, /, **params: Any) -> Scorer:
    """The scorer called ``name``, made with ``params`` (the factory's keyword arguments).
    A name nobody defines, or a plugin's scorer that fails, is a one-line ConfigError."""
    if name in BUILTIN:
        module, attr = BUILTIN[name].split(":")
        factory = getattr(importlib.import_module(module), attr)
        try:
            made = factory(**params)
        except TypeError as exc:
            raise ConfigError(f"scorer {name!r}: {exc}") from None
        if not isinstance(made, Scorer):  # pragma: no cover - the table names factories
            raise ConfigError(f"scorer {name!r} did not make a Scorer")
        return made
    load_scorer_plugins()
    if name not in _PLUGINS:
        for problem in _plugins.problems(_plugins.SCORERS):
            if problem.origin.name == name:
                raise ConfigError(f"scorer {name!r} could not be loaded: {problem}")
        raise ConfigError(f"unknown scorer {name!r} (known: {', '.join(scorer_names())})")
    origin, obj = _PLUGINS[name]
    if isinstance(obj, Scorer):
        if params:
            raise ConfigError(f"scorer {name!r} ({origin}) takes no parameters")
        return obj
    try:
        made = obj(**params)
    except MultitrustError:
        raise
    except Exception as exc:
        raise ConfigError(f"scorer {name!r} ({origin}): {_plugins.failure(exc)}") from None
    if not isinstance(made, Scorer):
        raise ConfigError(
            f"scorer {name!r} ({origin}) returned a {type(made).__name__}, not a Scorer"
        )
    return made
