"""HTTP helpers shared by the API backends (OpenAI-compatible, Anthropic, Google).

Base URLs, ``Retry-After`` parsing, mapping an HTTP status to :mod:`multitrust.errors`
classes, and keeping keys out of messages (:func:`redact`, :func:`prefixed_error`).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
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


#: A secret this long or longer is also hidden in part: no run of this many of its characters
#: may appear in a message (a server that echoes a cut-down key, a message cut mid-key).
PARTIAL = 8


def redact(text: str, *secrets: str | None) -> str:
    """Remove secrets from a message: every occurrence, and for a secret of ``PARTIAL``
    characters or more, every run of ``PARTIAL`` or more of its characters (so a key cut by a
    server or by a length limit still never shows). Hidden runs become ``***``."""
    for secret in secrets:
        if not secret or secret == "EMPTY":
            continue
        if len(secret) < PARTIAL:
            if len(secret) >= 4:
                text = text.replace(secret, "***")
            continue
        if secret in text:
            text = text.replace(secret, "***")
        grams = {secret[i : i + PARTIAL] for i in range(len(secret) - PARTIAL + 1)}
        hidden = bytearray(len(text))
        found = False
        for i in range(len(text) - PARTIAL + 1):
            if text[i : i + PARTIAL] in grams:
                hidden[i : i + PARTIAL] = b"\x01" * PARTIAL
                found = True
        if found:
            out: list[str] = []
            for i, ch in enumerate(text):
                if not hidden[i]:
                    out.append(ch)
                elif i == 0 or not hidden[i - 1]:
                    out.append("***")
            text = "".join(out)
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


def prefixed_error(exc: ModelCallError, model_id: str, *secrets: str | None) -> ModelCallError:
    """The same error class, its message prefixed with the model id and stripped of the keys."""
    return type(exc)(redact(f"{model_id}: {exc}", *secrets), retry_after=exc.retry_after)


def snippet(raw: bytes, secrets: Sequence[str | None] = ()) -> str:
    """The start of a body for a message: secrets removed first, then cut to ``SNIPPET``."""
    room = SNIPPET * 4 + 2 * max((len(x) for x in secrets if x), default=0)
    text = raw[:room].decode("utf-8", "replace")
    return clip(text, secrets, SNIPPET, cut=len(raw) > room).replace("\n", " ")


def clip(text: str, secrets: Sequence[str | None], limit: int, *, cut: bool = False) -> str:
    """``text`` redacted, then cut to ``limit`` characters (``…`` marks a cut). ``cut``: the
    text is already the start of something longer, so its last characters, which may hold
    the start of a key, are dropped."""
    room = limit * 4 + 2 * max((len(x) for x in secrets if x), default=0)
    if len(text) > room:
        text, cut = text[:room], True
    text = redact(text, *secrets)
    if cut:
        text = text[:-PARTIAL]
    return text[:limit] + ("…" if cut or len(text) > limit else "")


#: Characters of a server's own error message kept in an error.
DETAIL = 1000


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


def status_error(
    status: int, headers: Mapping[str, str], raw: bytes, secrets: Sequence[str | None] = ()
) -> ModelCallError:
    """The exception for a non-2xx response (``secrets`` removed before the body is cut)."""
    try:
        data: Any = json.loads(raw)
    except ValueError:
        data = None
    detail = error_detail(data)
    detail = clip(detail, secrets, DETAIL) if detail else snippet(raw, secrets) or "no body"
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
