"""Google Gemini backend: ``google/<model>`` through the ``google-genai`` SDK (async client).

The SDK is imported on first use (``api`` extra). Its retries are turned off (one attempt)
so the engine's retry policy is the only one. System messages become
``system_instruction``; assistant turns use Gemini's ``model`` role; images are inline
bytes placed before the text. Failures map to :mod:`multitrust.errors` classes.

A response withheld by Google's safety filters (a blocked prompt, or a candidate that
finished with ``SAFETY``-like reasons and no text) raises :class:`BadRequest` naming the
reason: it is recorded as an error with that cause, never invented as model text, and it
is not retried within the run since the same input would be blocked again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from multitrust.errors import (
    BadRequest,
    BadResponse,
    CallTimeout,
    ConfigError,
    ConnectionFailed,
    ModelCallError,
)
from multitrust.models._http import (
    error_for_status,
    parse_retry_after,
)
from multitrust.models._sdk import SdkModel
from multitrust.models.base import Model, ModelOptions, provider
from multitrust.models.images import COMMON_MIMES, encode_image
from multitrust.types import GenerateConfig, Message

#: Finish reasons that mean "withheld by a filter", not "the model chose to say nothing".
BLOCKED_REASONS = frozenset(
    {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY", "LANGUAGE"}
)
_DELAY = re.compile(r"^\s*([0-9.]+)s\s*$")


def _name(value: Any) -> str | None:
    """An SDK enum (or plain string) as its bare name: ``FinishReason.SAFETY`` -> ``SAFETY``."""
    if value is None:
        return None
    return str(getattr(value, "name", None) or getattr(value, "value", None) or value)


def build_request(
    messages: Sequence[Message], config: GenerateConfig, options: ModelOptions
) -> tuple[list[Any], Any]:
    """(contents, GenerateContentConfig) for ``models.generate_content``."""
    from google.genai import types

    system = [m.text for m in messages if m.role == "system"]
    contents = []
    for m in messages:
        if m.role == "system":
            continue
        parts = []
        for img in m.images:
            enc = encode_image(img, max_side=options.max_image_side, accepted=COMMON_MIMES)
            parts.append(types.Part.from_bytes(data=enc.data, mime_type=enc.mime))
        if m.text or not parts:
            parts.append(types.Part.from_text(text=m.text))
        contents.append(
            types.Content(role="model" if m.role == "assistant" else "user", parts=parts)
        )
    kwargs: dict[str, Any] = {
        "max_output_tokens": config.max_tokens,
        "temperature": config.temperature,
    }
    if system:
        kwargs["system_instruction"] = "\n\n".join(system)
    if config.top_p is not None:
        kwargs["top_p"] = config.top_p
    if config.seed is not None:
        kwargs["seed"] = config.seed
    if config.stop:
        kwargs["stop_sequences"] = list(config.stop)
    budget = (options.extra or {}).get("thinking_budget")
    if budget is not None:
        kwargs["thinking_config"] = types.ThinkingConfig(thinking_budget=int(budget))
    return contents, types.GenerateContentConfig(**kwargs)


def parse_response(resp: Any) -> tuple[str, int | None, int | None]:
    usage = getattr(resp, "usage_metadata", None)
    tokens = (
        getattr(usage, "prompt_token_count", None),
        getattr(usage, "candidates_token_count", None),
    )
    candidates = getattr(resp, "candidates", None) or []
    if not candidates:
        feedback = getattr(resp, "prompt_feedback", None)
        reason = _name(getattr(feedback, "block_reason", None))
        if reason:
            raise BadRequest(f"prompt blocked by Google's safety filter ({reason})")
        raise BadResponse("response has no candidates")
    cand = candidates[0]
    parts = getattr(getattr(cand, "content", None), "parts", None) or []
    texts = [
        p.text
        for p in parts
        if isinstance(getattr(p, "text", None), str) and not getattr(p, "thought", False)
    ]
    reason = _name(getattr(cand, "finish_reason", None))
    if not texts and reason in BLOCKED_REASONS:
        raise BadRequest(f"response blocked by Google's safety filter ({reason})")
    if not texts and reason is None:
        raise BadResponse("candidate has no text and no finish reason")
    # no text with STOP / MAX_TOKENS is a real, empty answer (e.g. thinking used the budget)
    return "".join(texts), tokens[0], tokens[1]


def _retry_delay(exc: Any) -> float | None:
    """Gemini sends its back-off hint as ``RetryInfo.retryDelay: "12s"`` in the error details."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        hinted = parse_retry_after(headers)
        if hinted is not None:
            return hinted
    details = getattr(exc, "details", None)
    error = details.get("error", details) if isinstance(details, dict) else None
    for item in (error.get("details") if isinstance(error, dict) else None) or []:
        if isinstance(item, dict) and isinstance(item.get("retryDelay"), str):
            match = _DELAY.match(item["retryDelay"])
            if match:
                return float(match.group(1))
    return None


def map_error(exc: Exception) -> ModelCallError | None:
    """Our error for an SDK or transport exception (None: let it propagate)."""
    from google.genai import errors

    if isinstance(exc, errors.APIError):
        code = exc.code if isinstance(exc.code, int) else 500
        detail = exc.message or exc.status or "no message"
        return error_for_status(code, str(detail), retry_after=_retry_delay(exc))
    if isinstance(exc, errors.UnknownApiResponseError):
        return BadResponse(f"unexpected response: {exc}")
    if isinstance(exc, TimeoutError):  # asyncio / aiohttp timeouts
        return CallTimeout("request timed out")
    try:
        import httpx
    except ImportError:  # pragma: no cover - google-genai depends on httpx
        httpx = None  # type: ignore[assignment]
    if httpx is not None and isinstance(exc, httpx.TimeoutException):
        return CallTimeout("request timed out")
    if httpx is not None and isinstance(exc, httpx.TransportError):
        return ConnectionFailed(f"{type(exc).__name__}: {exc}")
    try:
        import aiohttp
    except ImportError:
        aiohttp = None  # type: ignore[assignment]
    if aiohttp is not None and isinstance(exc, aiohttp.ClientError):
        return ConnectionFailed(f"{type(exc).__name__}: {exc or 'connection lost'}")
    if isinstance(exc, OSError):
        return ConnectionFailed(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, ValueError):  # pydantic validation / JSON decoding of a bad body
        return BadResponse(f"malformed response: {type(exc).__name__}")
    return None


class GoogleModel(SdkModel):
    """Gemini models through ``google.genai.Client(...).aio``."""

    provider = "google"
    key_env = ("GOOGLE_API_KEY", "GEMINI_API_KEY")

    def _new_client(self) -> Any:
        try:
            from google import genai
            from google.genai import types
        except ImportError:
            raise ConfigError("google/ models need: pip install 'multitrust[api]'") from None
        http = types.HttpOptions(
            base_url=self.base_url,
            timeout=int(self.options.timeout_s * 1000),
            retry_options=types.HttpRetryOptions(attempts=1),  # the engine retries, not the SDK
        )
        return genai.Client(api_key=self._key, http_options=http).aio

    def _request(self, messages: Sequence[Message], config: GenerateConfig) -> Any:
        return build_request(messages, config, self.options)

    async def _send(self, client: Any, request: Any) -> Any:
        contents, gen_config = request
        return await client.models.generate_content(
            model=self.name, contents=contents, config=gen_config
        )

    def _parse(self, resp: Any) -> tuple[str, int | None, int | None]:
        return parse_response(resp)

    def _map_error(self, exc: Exception) -> ModelCallError | None:
        return map_error(exc)

    async def _close_client(self, client: Any) -> None:
        close = getattr(client, "aclose", None)
        if close is not None:
            await close()


@provider("google")
def _make(name: str, options: ModelOptions) -> Model:
    return GoogleModel(name, options)
