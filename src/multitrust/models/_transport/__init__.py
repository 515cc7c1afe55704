"""HTTP transports for the OpenAI-compatible client, and the choice between them.

For a plain ``http://`` endpoint with no proxy set for it (a local vLLM, SGLang or Ollama
server), ``raw`` (:mod:`.raw`, a small HTTP/1.1 client framed by httptools) costs
0.04–0.11 ms of CPU per request against aiohttp's 0.15–0.30 (``benchmarks/http_transports.py``),
which matters when a fast local server lets the client set the pace. Otherwise ``aiohttp``
(the default for HTTPS and proxies) is used; ``httpx`` is the fallback, sharded over several
clients (measured in ``docs/performance.md``). Choose with
``ModelOptions(extra={"transport": "aiohttp"})``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

from multitrust.errors import BadRequest, ConfigError
from multitrust.models._transport.base import Transport
from multitrust.models.base import public_url

__all__ = ["MAX_REDIRECTS", "Transport", "make_transport", "post_following"]


def _plain_http_without_proxy(url: str | None) -> bool:
    """A plain-HTTP URL, without credentials in it, that no proxy setting applies to."""
    parts = urlsplit(url) if url is not None else None
    if parts is None or parts.scheme != "http" or parts.username is not None:
        return False
    import urllib.request

    if not urllib.request.getproxies_environment().get("http"):
        return True
    return bool(urllib.request.proxy_bypass(parts.hostname or ""))  # NO_PROXY


def make_transport(
    kind: str,
    headers: dict[str, str],
    timeout_s: float,
    max_connections: int,
    url: str | None = None,
) -> Transport:
    """``auto``: ``raw`` for a plain-HTTP ``url`` reached without a proxy, else ``aiohttp``
    (``httpx`` when aiohttp is not installed)."""
    if kind == "auto":
        if _plain_http_without_proxy(url):
            kind = "raw"
        else:
            try:
                import aiohttp  # noqa: F401
            except ImportError:
                kind = "httpx"
            else:
                kind = "aiohttp"
    if kind == "raw":
        from multitrust.models._transport.raw import RawHttpTransport

        return RawHttpTransport(headers, timeout_s, max_connections)
    if kind == "aiohttp":
        from multitrust.models._transport.aiohttp import AiohttpTransport

        return AiohttpTransport(headers, timeout_s, max_connections)
    if kind == "httpx":
        from multitrust.models._transport.httpx import HttpxTransport

        return HttpxTransport(headers, timeout_s, max_connections)
    raise ConfigError(f"unknown transport {kind!r} (choose auto, raw, aiohttp or httpx)")


#: 307/308 hops followed within one origin before giving up.
MAX_REDIRECTS = 5


async def post_following(
    transport: Transport, url: str, body: bytes
) -> tuple[int, Mapping[str, str], bytes]:
    """POST, following 307/308 (which keep the method and body) within the same origin, the
    same on every transport (none of them follows redirects itself). A redirect to another
    origin (which would carry the key there) or a 301/302/303 is a BadRequest naming the
    target; a redirect without a Location comes back as it is."""
    for _ in range(MAX_REDIRECTS + 1):
        status, headers, raw = await transport.post(url, body)
        if status not in (301, 302, 303, 307, 308) or not headers.get("location"):
            return status, headers, raw
        target = urljoin(url, headers.get("location") or "")
        a, b = urlsplit(url), urlsplit(target)
        if status < 307:  # these turn a POST into a GET: never what an API means
            raise BadRequest(
                f"HTTP {status}: redirected to {public_url(target)}, which is not followed "
                "for a POST: use that URL as the base URL"
            )
        if (a.scheme, a.hostname, a.port) != (b.scheme, b.hostname, b.port):
            raise BadRequest(
                f"HTTP {status}: redirected to another origin ({public_url(target)}), "
                "which is not followed: use that URL as the base URL"
            )
        url = target
    raise BadRequest(f"HTTP {status}: more than {MAX_REDIRECTS} redirects")
