"""The model under test as the store knows it, for ``multitrust rescore``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from multitrust.errors import ModelCallError
from multitrust.models.base import Model
from multitrust.types import GenerateConfig, Generation, Message, Sample


class NotStored(ModelCallError):
    """An output rescore needs is not in the store's cache (rescore never asks the model)."""

    kind = "not_stored"
    transient = False


class StoredOutputs(Model):
    """``inner``'s identity (its cache keys, its part of the run id) without ever calling it:
    every output is served from the store's response cache by the engine, and a request that
    reaches :meth:`generate` (an output not stored) fails as :class:`NotStored`."""

    def __init__(self, inner: Model) -> None:
        super().__init__(inner.name, inner.options)
        self.inner = inner
        self.provider = inner.provider
        self.needs_sample = inner.needs_sample
        self._public_url = inner._public_url

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def endpoint(self) -> str:
        return self.inner.endpoint

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def cache_identity(self) -> dict[str, Any]:
        return self.inner.cache_identity()

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        raise NotStored(
            f"no stored output of {self.model_id} for this request (rescore never calls the "
            "model: run eval with the same model options first)"
        )
