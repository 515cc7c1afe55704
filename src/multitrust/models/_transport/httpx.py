"""The httpx transport: the fallback, sharded over several clients (see ``HTTPX_SHARDS``)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from multitrust._aio import within
from multitrust.errors import BadRequest, CallTimeout, ConnectionFailed
from multitrust.models._transport.base import MAX_BODY, read_capped

#: httpx clients per model: one httpx pool scans all its connections on every request and
#: stalls past a few dozen concurrent requests (measured in ``docs/performance.md``).
HTTPX_SHARDS = 16

#: the body cap (tests lower it)
_MAX_BODY = MAX_BODY


class HttpxTransport:
    """Several ``httpx.AsyncClient`` shards per event loop, used round-robin."""

    name = "httpx"

    def __init__(self, headers: dict[str, str], timeout_s: float, max_connections: int) -> None:
        self._headers = headers
        self._timeout_s = timeout_s
        self._max_connections = max_connections
        self._clients: list[Any] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._next = 0

    def __repr__(self) -> str:
        return f"HttpxTransport(timeout_s={self._timeout_s})"

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        if not self._clients or self._loop is not loop:
            import httpx

            timeout = httpx.Timeout(self._timeout_s, connect=min(self._timeout_s, 30.0), pool=None)
            limits = httpx.Limits(
                max_connections=self._max_connections,
                max_keepalive_connections=self._max_connections,
            )
            ssl_context = (
                httpx.create_ssl_context()
            )  # one for all shards: each costs ~20 ms to build
            self._clients = [
                httpx.AsyncClient(
                    headers=self._headers, timeout=timeout, limits=limits, verify=ssl_context
                )
                for _ in range(HTTPX_SHARDS)
            ]
            self._loop = loop
        self._next = (self._next + 1) % len(self._clients)
        return self._clients[self._next]

    async def post(self, url: str, body: bytes) -> tuple[int, Mapping[str, str], bytes]:
        import httpx

        client = self._client()

        async def exchange() -> tuple[int, Mapping[str, str], bytes]:
            async with client.stream("POST", url, content=body) as resp:
                data = await read_capped(resp.aiter_bytes(), _MAX_BODY)
                return resp.status_code, resp.headers, data

        try:  # httpx's timeouts are per read: one deadline covers the whole exchange
            return await within(exchange(), self._timeout_s)
        except httpx.ConnectTimeout as exc:
            raise ConnectionFailed(f"connect timeout after {self._timeout_s:g}s: {exc}") from None
        except (httpx.TimeoutException, asyncio.TimeoutError):
            raise CallTimeout(f"no complete response within {self._timeout_s:g}s") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise BadRequest(f"invalid URL: {exc}") from None
        except (httpx.HTTPError, OSError) as exc:
            raise ConnectionFailed(f"{type(exc).__name__}: {exc or 'connection lost'}") from None

    async def get(self, url: str) -> int:
        import httpx

        try:
            resp = await within(self._client().get(url), self._timeout_s)
        except (httpx.TimeoutException, asyncio.TimeoutError):
            raise CallTimeout(f"no complete response within {self._timeout_s:g}s") from None
        except (httpx.HTTPError, OSError) as exc:
            raise ConnectionFailed(f"{type(exc).__name__}: {exc or 'connection lost'}") from None
        return int(resp.status_code)

    async def aclose(self) -> None:
        clients, self._clients = self._clients, []
        if self._loop is asyncio.get_running_loop():
            for c in clients:
                await c.aclose()
