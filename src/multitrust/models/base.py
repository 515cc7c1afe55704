"""The model protocol and the provider registry.

A model is named ``provider/name`` (``openai/gpt-4o``, ``hf/HuggingFaceTB/SmolVLM-256M-Instruct``,
``scripted/refuse``). Providers register a factory with :func:`provider`; :func:`get_model`
parses the name and builds the model. Constructing a model never needs the network: clients
are created lazily and keys are checked at construction time with a clear message.

Backends raise subclasses of :class:`multitrust.errors.ModelCallError` on failure; the engine
owns retries, concurrency limits and turning final failures into error Generations.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from multitrust.errors import ConfigError
from multitrust.types import GenerateConfig, Generation, Message, Sample

if TYPE_CHECKING:
    from multitrust.models.replicas import ReplicaPool


@dataclass
class ModelOptions:
    """Options common to all providers. Secrets live only in memory, never in ``describe()``."""

    base_url: str | None = None
    base_urls: tuple[str, ...] = ()
    """Several endpoints serving the same model: requests are spread over them (a pool)."""
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 120.0
    max_image_side: int | None = None
    """Downscale images so their longest side is at most this (recorded in the run)."""
    device: str | None = None
    dtype: str | None = None
    batch_size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def public_url(url: str) -> str:
    """A URL safe to record: no user:password and no query string (keys hide in both)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class Model:
    """Base class for every backend.

    Subclasses implement :meth:`generate` (one conversation) and may override
    :meth:`generate_batch` when they can do better than a loop (local models).
    """

    #: Provider prefix, e.g. ``openai``.
    provider: str = ""
    #: How many conversations the engine should group into one ``generate_batch`` call.
    max_batch_size: int = 1
    #: Whether the engine may run calls concurrently (API models) or must serialise them.
    concurrent: bool = True
    #: Whether the output depends on the Sample itself (scripted oracle), not only the messages;
    #: the engine then passes ``sample=`` and folds the target into the cache key.
    needs_sample: bool = False

    def __init__(self, name: str, options: ModelOptions | None = None) -> None:
        self.name = name
        self.options = options or ModelOptions()
        #: The base URL as it may be recorded (credentials and query stripped). Backends that
        #: normalise the URL reassign it; describe(), cache_identity() and endpoint use only this.
        self._public_url: str | None = (
            public_url(self.options.base_url) if self.options.base_url else None
        )

    @property
    def model_id(self) -> str:
        return f"{self.provider}/{self.name}"

    @property
    def endpoint(self) -> str:
        """Key of the concurrency limiter: calls to one endpoint share one limit."""
        return self._public_url or self.provider

    def describe(self) -> dict[str, Any]:
        """Settings recorded in the run. Must never contain secrets."""
        o = self.options
        return {
            "model": self.model_id,
            "base_url": self._public_url,
            "max_image_side": o.max_image_side,
            "timeout_s": o.timeout_s,
            "device": o.device,
            "dtype": o.dtype,
        }

    def cache_identity(self) -> dict[str, Any]:
        """What, besides the messages and config, determines the output (for cache keys)."""
        return {
            "model": self.model_id,
            "base_url": self._public_url,
            "max_image_side": self.options.max_image_side,
        }

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        raise NotImplementedError

    async def generate_batch(
        self,
        batch: Sequence[Sequence[Message]],
        config: GenerateConfig,
        *,
        samples: Sequence[Sample | None] | None = None,
    ) -> list[Generation | BaseException]:
        """Generate for several conversations; a failure is returned in its slot, not raised."""
        out: list[Generation | BaseException] = []
        for i, msgs in enumerate(batch):
            try:
                out.append(
                    await self.generate(msgs, config, sample=samples[i] if samples else None)
                )
            except Exception as exc:
                out.append(exc)
        return out

    def replica_pool(self) -> ReplicaPool | None:
        """The pool of endpoints the engine routes each attempt through (None: just this model)."""
        return None

    async def preflight(self) -> None:
        """Fail fast with a ConfigError when the model cannot work at all (unreachable endpoint,
        rejected key). Called once before a run; the default does nothing."""

    async def aclose(self) -> None:
        """Release clients / memory. Called once at the end of a run."""


ModelFactory = Callable[[str, ModelOptions], Model]
_PROVIDERS: dict[str, ModelFactory] = {}
_LAZY: dict[str, str] = {
    # provider -> module that registers it (imported on first use, so heavy deps stay optional)
    "scripted": "multitrust.models.scripted",
    "openai": "multitrust.models.openai_compat",
    "vllm": "multitrust.models.vllm_server",
    "anthropic": "multitrust.models.anthropic",
    "google": "multitrust.models.google",
    "hf": "multitrust.models.hf",
}


def provider(name: str) -> Callable[[ModelFactory], ModelFactory]:
    """Register a model factory under a provider prefix."""

    def deco(factory: ModelFactory) -> ModelFactory:
        _PROVIDERS[name] = factory
        return factory

    return deco


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
        from multitrust.models.replicas import replica_pool

        return replica_pool(lambda o: factory(name, o), opts, urls)
    return factory(name, opts)


def env_key(*names: str) -> str | None:
    """First non-empty environment variable among ``names``."""
    for n in names:
        v = os.environ.get(n)
        if v:
            return v
    return None
