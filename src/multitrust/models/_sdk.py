"""The base of the backends that call a provider's official async SDK (Anthropic, Google).

What they share lives here: the key (from the options or the provider's environment
variables; a custom base URL may go without one), one SDK client per event loop, the timing
of a call, mapping the SDK's exceptions to :mod:`multitrust.errors` classes, and keeping the
key out of every message. A subclass says how to build its client, send one request, read
the reply and map its SDK's exceptions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from multitrust.errors import ConfigError, ModelCallError
from multitrust.models._http import prefixed_error
from multitrust.models.base import Model, ModelOptions, env_key, public_url
from multitrust.types import GenerateConfig, Generation, Message, Sample


class SdkModel(Model):
    """A model reached through a provider SDK's async client (created lazily, per loop)."""

    key_env: tuple[str, ...] = ()
    """Environment variables that may hold the key, in order of preference."""

    def __init__(self, name: str, options: ModelOptions | None = None) -> None:
        super().__init__(name, options)
        o = self.options
        self.base_url = self._base_url(o.base_url) if o.base_url else None
        self._key = o.api_key or env_key(*self.key_env)
        if not self._key:
            if self.base_url is None:
                names = " (or ".join(self.key_env) + ")" * (len(self.key_env) - 1)
                raise ConfigError(
                    f"{self.model_id} needs an API key: set {names} or pass --api-key"
                )
            self._key = "EMPTY"
        self._public_url = public_url(self.base_url) if self.base_url else None
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_id!r})"

    # ---------------------------------------------------------------- what a subclass says
    def _base_url(self, url: str) -> str:
        """The base URL as the SDK wants it."""
        return url.rstrip("/")

    def _new_client(self) -> Any:
        """A new async SDK client (ConfigError when the SDK is not installed)."""
        raise NotImplementedError

    def _request(self, messages: Sequence[Message], config: GenerateConfig) -> Any:
        """The request for ``messages`` (images encoded); InputError for what cannot be sent."""
        raise NotImplementedError

    async def _send(self, client: Any, request: Any) -> Any:
        """Send one request; returns the SDK's response object."""
        raise NotImplementedError

    def _parse(self, resp: Any) -> tuple[str, int | None, int | None]:
        """(text, input tokens, output tokens) from a response; BadResponse if malformed."""
        raise NotImplementedError

    def _map_error(self, exc: Exception) -> ModelCallError | None:
        """Our error for an SDK exception (None: not an SDK error, let it propagate)."""
        raise NotImplementedError

    async def _close_client(self, client: Any) -> None:
        await client.close()

    # ---------------------------------------------------------------- shared
    def _sdk(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = self._new_client()
            self._loop = loop
        return self._client

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        try:
            client = self._sdk()
            request = self._request(messages, config)
            loop = asyncio.get_running_loop()
            start = loop.time()
            try:
                resp = await self._send(client, request)
            except Exception as exc:
                mapped = self._map_error(exc)
                if mapped is None:
                    raise
                raise mapped from None
            latency = loop.time() - start
            text, tokens_in, tokens_out = self._parse(resp)
        except ModelCallError as exc:
            raise prefixed_error(exc, self.model_id, self._key) from None
        return Generation(
            text=text, input_tokens=tokens_in, output_tokens=tokens_out, latency_s=latency
        )

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await self._close_client(client)
