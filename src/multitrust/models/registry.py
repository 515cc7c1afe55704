"""The provider registry's lookups: ``provider/name`` -> a model (or a pool of them).

Backends register a factory with :func:`multitrust.models.base.provider` when their module is
imported; the modules of the providers shipped with multitrust are imported on first use
(:data:`_LAZY`), so heavy optional dependencies stay optional. Several base URLs become a
:class:`~multitrust.models.replicas.ReplicaPool`. This module sits above ``base`` and
``replicas`` and nothing in ``models`` imports it.

Installed plugins add providers under the entry-point group ``multitrust.models``: the entry
point's name is the provider prefix, its object a :class:`Model` subclass or a factory
``(name, options) -> Model``. They are read once, on the first lookup; one that cannot be used
(its import fails, the object is not callable, its name is a built-in provider's or another
plugin's) is left out with one line, and never replaces a built-in.
"""

from __future__ import annotations

import re
from typing import Any

from multitrust import _plugins
from multitrust._plugins import Origin
from multitrust.errors import ConfigError, MultitrustError
from multitrust.models.base import _PROVIDERS, Model, ModelFactory, ModelOptions
from multitrust.models.replicas import replica_pool

_LAZY: dict[str, str] = {
    # provider -> module that registers it (imported on first use, so heavy deps stay optional)
    "scripted": "multitrust.models.scripted",
    "openai": "multitrust.models.openai_compat",
    "vllm": "multitrust.models.vllm_server",
    "anthropic": "multitrust.models.anthropic",
    "google": "multitrust.models.google",
    "hf": "multitrust.models.hf",
}


_PLUGINS: dict[str, Origin] = {}
"""provider -> the plugin that added it."""
_loaded: list[bool] = []
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def _plugin_factory(prov: str, origin: Origin, factory: ModelFactory) -> ModelFactory:
    """``factory`` whose failures and wrong results are one-line ConfigErrors naming the plugin."""

    def build(name: str, options: ModelOptions) -> Model:
        try:
            model = factory(name, options)
        except MultitrustError:
            raise
        except Exception as exc:
            raise ConfigError(
                f"provider {prov!r} ({origin}) could not build {prov}/{name}: {_plugins.failure(exc)}"
            ) from None
        if not isinstance(model, Model):
            raise ConfigError(
                f"provider {prov!r} ({origin}) returned a {type(model).__name__}, "
                "not a multitrust.models.Model"
            )
        model.provider = prov  # the model's id is what was asked for: prov/name
        return model

    return build


def _factory_of(origin: Origin, obj: Any) -> ModelFactory | None:
    if isinstance(obj, type) and not issubclass(obj, Model):
        _plugins.report(origin, f"class {obj.__name__} is not a multitrust.models.Model subclass")
        return None
    if not callable(obj):
        _plugins.report(
            origin,
            f"is a {type(obj).__name__}, not a provider "
            "(a Model subclass or a function (name, options) -> Model)",
        )
        return None
    return obj  # type: ignore[no-any-return]


def load_provider_plugins() -> None:
    """Read the installed ``multitrust.models`` entry points into the registry (once)."""
    if _loaded:
        return
    _loaded.append(True)
    for origin, ep in _plugins.entry_points(_plugins.MODELS):
        prov = ep.name
        if prov in _LAZY:
            _plugins.report(origin, f"provider {prov!r} is built in (not replaced)")
            continue
        if prov in _PLUGINS:
            _plugins.report(origin, f"provider {prov!r} is already added by {_PLUGINS[prov]}")
            continue
        if prov in _PROVIDERS:
            _plugins.report(origin, f"provider {prov!r} is already registered (not replaced)")
            continue
        if not _NAME.match(prov):
            _plugins.report(origin, f"{prov!r} is not a provider name (lower case, no '/')")
            continue
        before = dict(_PROVIDERS)
        obj = _plugins.load(origin, ep)
        touched = sorted(k for k in before if _PROVIDERS.get(k) is not before[k])
        if touched:  # the import re-registered an existing provider: undone
            _PROVIDERS.update(before)
            _plugins.report(origin, f"replaced provider(s) {', '.join(touched)} at import (undone)")
            continue
        factory = None if obj is _plugins.FAILED else _factory_of(origin, obj)
        if factory is not None:
            _PROVIDERS[prov] = _plugin_factory(prov, origin, factory)
            _PLUGINS[prov] = origin


def provider_origin(prov: str) -> str:
    """``built-in`` or the plugin (distribution and version) that added provider ``prov``."""
    load_provider_plugins()
    origin = _PLUGINS.get(prov)
    return "built-in" if origin is None else origin.label


def known_providers() -> list[str]:
    load_provider_plugins()
    return sorted(set(_PROVIDERS) | set(_LAZY))


def parse_model_name(spec: str) -> tuple[str, str]:
    spec = spec.strip()
    if "/" not in spec:
        raise ConfigError(
            f"bad model name {spec!r}: expected provider/name, e.g. openai/gpt-4o "
            f"(providers: {', '.join(known_providers())})"
        )
    prov, name = spec.split("/", 1)
    if not prov or not name:
        raise ConfigError(f"bad model name {spec!r}: expected provider/name")
    if prov not in _PROVIDERS and prov not in _LAZY:
        load_provider_plugins()
    if prov not in _PROVIDERS and prov not in _LAZY:
        for problem in _plugins.problems(_plugins.MODELS):
            if problem.origin.name == prov:
                raise ConfigError(f"model provider {prov!r} could not be loaded: {problem}")
        raise ConfigError(
            f"unknown model provider {prov!r} in {spec!r} (known: {', '.join(known_providers())})"
        )
    return prov, name


def get_model(spec: str, options: ModelOptions | None = None) -> Model:
    """Build a model from its ``provider/name``. Raises ConfigError with a one-line reason."""
    prov, name = parse_model_name(spec)
    if prov not in _PROVIDERS:
        import importlib

        try:
            importlib.import_module(_LAZY[prov])
        except ImportError as exc:
            extra = "hf" if prov == "hf" else "api"
            raise ConfigError(
                f"provider {prov!r} needs optional dependencies: pip install 'multitrust[{extra}]' ({exc})"
            ) from None
    if prov not in _PROVIDERS:
        raise ConfigError(f"provider {prov!r} is not available")
    factory = _PROVIDERS[prov]
    opts = options or ModelOptions()
    if opts.base_urls:
        urls = list(opts.base_urls)
        if opts.base_url and opts.base_url not in urls:
            urls.insert(0, opts.base_url)
        return replica_pool(lambda o: factory(name, o), opts, urls)
    return factory(name, opts)
