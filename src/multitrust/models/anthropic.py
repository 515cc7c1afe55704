"""Anthropic Messages API backend: ``anthropic/<model>`` through the official SDK.

The SDK is imported on first use (it is in the ``api`` extra). Its own retries are off
(``max_retries=0``): the engine owns the retry policy, so every failure is mapped to a
:mod:`multitrust.errors` class here. System messages become the ``system`` parameter;
images are base64 ``image`` blocks placed before the text, as for every backend.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any

from multitrust.errors import (
    BadResponse,
    CallTimeout,
    ConfigError,
    ConnectionFailed,
    ModelCallError,
)
from multitrust.models._http import (
    error_for_status,
    normalize_base_url,
    parse_retry_after,
)
from multitrust.models._sdk import SdkModel
from multitrust.models.base import Model, ModelOptions, provider
from multitrust.models.images import OPENAI_MIMES, encode_image
from multitrust.types import GenerateConfig, Message


def split_system(messages: Sequence[Message]) -> tuple[str | None, list[Message]]:
    """System texts (joined) and the remaining conversation."""
    system = [m.text for m in messages if m.role == "system"]
    rest = [m for m in messages if m.role != "system"]
    return ("\n\n".join(system) if system else None), rest


def content_blocks(message: Message, max_side: int | None) -> str | list[dict[str, Any]]:
    """A message's content: a plain string, or image blocks followed by a text block."""
    if not message.images:
        return message.text
    blocks: list[dict[str, Any]] = []
    for img in message.images:
        enc = encode_image(img, max_side=max_side, accepted=OPENAI_MIMES)
        blocks.append(
            {"type": "image", "source": {"type": "base64", "media_type": enc.mime, "data": enc.b64}}
        )
    if message.text:  # the API rejects empty text blocks
        blocks.append({"type": "text", "text": message.text})
    return blocks


@functools.lru_cache(maxsize=1)
def sdk_accepts_sampling() -> bool:
    """Whether the installed SDK still takes ``temperature`` (recent ones dropped it, as
    current Claude models fix their sampling; sending it there would fail every call)."""
    from anthropic.resources.messages import AsyncMessages

    return "temperature" in inspect.signature(AsyncMessages.create).parameters


def request_params(
    model: str,
    messages: Sequence[Message],
    config: GenerateConfig,
    max_side: int | None,
    *,
    sampling: bool = True,
) -> dict[str, Any]:
    system, turns = split_system(messages)
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": config.max_tokens,
        "messages": [{"role": m.role, "content": content_blocks(m, max_side)} for m in turns],
    }
    if system is not None:
        params["system"] = system
    if sampling:
        params["temperature"] = config.temperature
        if config.top_p is not None:
            params["top_p"] = config.top_p
    if config.stop:
        params["stop_sequences"] = list(config.stop)
    return params


def map_error(exc: Exception) -> ModelCallError | None:
    """Our error for an SDK exception (None: not an SDK error, let it propagate)."""
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return CallTimeout("request timed out")
    if isinstance(exc, anthropic.APIConnectionError):
        return ConnectionFailed(f"connection failed: {exc}")
    if isinstance(exc, anthropic.APIStatusError):
        detail = getattr(exc, "api_message", None) or str(exc)
        retry_after = parse_retry_after(exc.response.headers)
        return error_for_status(exc.status_code, str(detail), retry_after=retry_after)
    if isinstance(exc, anthropic.AnthropicError):
        return BadResponse(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, ValueError):  # the SDK lets JSON decoding errors of a bad body through
        return BadResponse(f"malformed response: {type(exc).__name__}")
    return None


def parse_message(resp: Any) -> tuple[str, int | None, int | None]:
    content = getattr(resp, "content", None)
    if not isinstance(content, list):
        raise BadResponse("response has no content list")
    # an empty list is a real (empty) answer, e.g. a model stopped by its refusal classifier
    text = "".join(
        getattr(b, "text", "") or "" for b in content if getattr(b, "type", None) == "text"
    )
    usage = getattr(resp, "usage", None)
    return text, getattr(usage, "input_tokens", None), getattr(usage, "output_tokens", None)


class AnthropicModel(SdkModel):
    """Claude models through ``anthropic.AsyncAnthropic``."""

    provider = "anthropic"
    key_env = ("ANTHROPIC_API_KEY",)

    def _base_url(self, url: str) -> str:
        return normalize_base_url(url).removesuffix("/v1")

    def _new_client(self) -> Any:
        try:
            import anthropic
        except ImportError:
            raise ConfigError("anthropic/ models need: pip install 'multitrust[api]'") from None
        return anthropic.AsyncAnthropic(
            api_key=self._key,
            base_url=self.base_url,
            timeout=self.options.timeout_s,
            max_retries=0,
        )

    def _request(self, messages: Sequence[Message], config: GenerateConfig) -> Any:
        return request_params(
            self.name,
            messages,
            config,
            self.options.max_image_side,
            sampling=sdk_accepts_sampling(),
        )

    async def _send(self, client: Any, request: Any) -> Any:
        return await client.messages.create(**request)

    def _parse(self, resp: Any) -> tuple[str, int | None, int | None]:
        return parse_message(resp)

    def _map_error(self, exc: Exception) -> ModelCallError | None:
        return map_error(exc)


@provider("anthropic")
def _make(name: str, options: ModelOptions) -> Model:
    return AnthropicModel(name, options)
