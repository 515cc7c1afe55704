"""HTTP helpers shared by the API backends (OpenAI-compatible, Anthropic, Google).

Base URLs, ``Retry-After`` parsing, mapping an HTTP status to :mod:`multitrust.errors`
classes, and keeping keys out of messages (:func:`redact`, :func:`prefixed_error`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from multitrust.errors import (
    AuthError,
    BadRequest,
    CallTimeout,
    ConfigError,
    ModelCallError,
    Overloaded,
    RateLimited,
    ServerError,
)
from multitrust.models.base import public_url

#: Bytes of a response body quoted in an error message.
SNIPPET = 200


def normalize_base_url(url: str) -> str:
    """``http://host:8000`` -> ``http://host:8000/v1``; a pasted ``…/chat/completions`` is trimmed."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"bad base URL {public_url(url)!r}: expected http(s)://host[:port][/path]"
        )
    path = parts.path
    if path.endswith("/chat/completions"):
        path = path[: -len("/chat/completions")]
    if not path:
        path = "/v1"  # what every OpenAI-compatible server serves under
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def redact(text: str, secret: str | None) -> str:
    """Remove a secret from a message (any occurrence, including inside echoed bodies)."""
    if secret and len(secret) >= 4 and secret != "EMPTY":
        return text.replace(secret, "***")
    return text


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            value = float(ms) / 1000.0
        except ValueError:
            value = math.nan
        if math.isfinite(value) and value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        value = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        value = when.timestamp() - (time.time() if now is None else now)
        return max(0.0, value)
    return value if math.isfinite(value) and value >= 0 else None


def prefixed_error(exc: ModelCallError, model_id: str, secret: str | None) -> ModelCallError:
    """The same error class, its message prefixed with the model id and stripped of the key."""
    return type(exc)(redact(f"{model_id}: {exc}", secret), retry_after=exc.retry_after)


def snippet(raw: bytes) -> str:
    text = raw[:SNIPPET].decode("utf-8", "replace").replace("\n", " ")
    return text + ("…" if len(raw) > SNIPPET else "")


def error_detail(data: Any) -> str | None:
    """The human message inside an error body (OpenAI ``{"error": {"message"}}`` and variants)."""
    if not isinstance(data, dict):
        return None
    err = data.get("error", data)
    if isinstance(err, dict):
        msg = err.get("message") or err.get("detail")
        return str(msg) if msg else None
    return str(err) if isinstance(err, str) else None


def error_code(data: Any) -> str | None:
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        code = data["error"].get("code") or data["error"].get("type")
        return str(code) if code else None
    return None


def status_error(status: int, headers: Mapping[str, str], raw: bytes) -> ModelCallError:
    """The exception for a non-2xx response."""
    try:
        data: Any = json.loads(raw)
    except ValueError:
        data = None
    detail = error_detail(data) or snippet(raw) or "no body"
    return error_for_status(
        status, detail, retry_after=parse_retry_after(headers), code=error_code(data)
    )


def error_for_status(
    status: int, detail: str, *, retry_after: float | None = None, code: str | None = None
) -> ModelCallError:
    """Map an HTTP status to our error classes (shared by every API backend)."""
    msg = f"HTTP {status}: {detail}"
    if status == 429:
        if code == "insufficient_quota":  # billing, not load: retrying cannot help
            return AuthError(msg)
        return RateLimited(msg, retry_after=retry_after)
    if status in (401, 403):
        return AuthError(msg)
    if status == 408:
        return CallTimeout(msg)
    if status in (503, 529):
        return Overloaded(msg, retry_after=retry_after)
    if status >= 500:
        return ServerError(msg, retry_after=retry_after)
    return BadRequest(msg)
