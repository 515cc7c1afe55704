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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from multitrust.types import GenerateConfig, Generation, Message, Sample

if TYPE_CHECKING:
    from multitrust._limiter import AdaptiveLimiter, LimiterRegistry


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

    def replica_pool(self) -> Router | None:
        """The pool of endpoints the engine routes each attempt through (None: just this model)."""
        return None

    async def preflight(self) -> None:
        """Fail fast with a ConfigError when the model cannot work at all (unreachable endpoint,
        rejected key). Called once before a run; the default does nothing."""

    async def aclose(self) -> None:
        """Release clients / memory. Called once at the end of a run."""


@dataclass
class Attempt:
    """One try of a request: the replica's limiter, the call, and who to tell how it went."""

    limiter: AdaptiveLimiter | None
    call: Callable[[], Awaitable[Generation]]
    finish: Callable[[BaseException | None], None]


class Router(Protocol):
    """What the engine needs of a pool of endpoints (:class:`multitrust.models.replicas.ReplicaPool`)."""

    @property
    def width(self) -> int:
        """How many endpoints the pool spreads over (the engine sizes its workers by it)."""
        ...

    def router(
        self,
        limiters: LimiterRegistry | None,
        call: Callable[[Model], Awaitable[Generation]],
    ) -> Callable[[], Awaitable[Attempt]]:
        """Attempts for one request, each on the best endpoint."""
        ...


ModelFactory = Callable[[str, ModelOptions], Model]
_PROVIDERS: dict[str, ModelFactory] = {}


def provider(name: str) -> Callable[[ModelFactory], ModelFactory]:
    """Register a model factory under a provider prefix."""

    def deco(factory: ModelFactory) -> ModelFactory:
        _PROVIDERS[name] = factory
        return factory

    return deco


def env_key(*names: str) -> str | None:
    """First non-empty environment variable among ``names``."""
    for n in names:
        v = os.environ.get(n)
        if v:
            return v
    return None
