"""A fresh plugin state per test: the registries read the entry points again, and whatever a
test's plugins added is removed afterwards."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from multitrust import _plugins
from multitrust.models import base as model_base
from multitrust.models import registry as model_registry
from multitrust.scoring import registry as scorer_registry
from multitrust.tasks import base as task_base
from multitrust.tasks import plugins as task_plugins


@pytest.fixture
def fresh_plugins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Plugin loading as in a new process; yields a folder put on sys.path for fake dists."""
    tasks = dict(task_base._REGISTRY)
    providers = dict(model_base._PROVIDERS)
    for key in [k for k, s in task_base._REGISTRY.items() if s.plugin is not None]:
        del task_base._REGISTRY[key]
    for key in model_registry._PLUGINS:
        model_base._PROVIDERS.pop(key, None)
    monkeypatch.setattr(task_plugins, "_loaded", [])
    monkeypatch.setattr(model_registry, "_loaded", [])
    monkeypatch.setattr(model_registry, "_PLUGINS", {})
    monkeypatch.setattr(scorer_registry, "_loaded", [])
    monkeypatch.setattr(scorer_registry, "_PLUGINS", {})
    monkeypatch.setattr(_plugins, "_PROBLEMS", [])
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(str(site)):
            del sys.modules[name]
    task_base._REGISTRY.clear()
    task_base._REGISTRY.update(tasks)
    # a built-in provider first imported during the test stays (its module is imported now)
    for key in model_registry._PLUGINS:
        model_base._PROVIDERS.pop(key, None)
    model_base._PROVIDERS.update(providers)
