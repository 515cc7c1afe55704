"""The provider registry's lookups: ``provider/name`` -> a model (or a pool of them).

Backends register a factory with :func:`multitrust.models.base.provider` when their module is
imported; the modules of the providers shipped with multitrust are imported on first use
(:data:`_LAZY`), so heavy optional dependencies stay optional. Several base URLs become a
:class:`~multitrust.models.replicas.ReplicaPool`. This module sits above ``base`` and
``replicas`` and nothing in ``models`` imports it.
"""

from __future__ import annotations

from multitrust.errors import ConfigError
from multitrust.models.base import _PROVIDERS, Model, ModelOptions
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


def known_providers() -> list[str]:
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
