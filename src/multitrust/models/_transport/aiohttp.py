"""The aiohttp transport: the default for HTTPS and proxied endpoints."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from typing import Any

from multitrust.errors import BadRequest, CallTimeout, ConnectionFailed
from multitrust.models._transport.base import MAX_BODY, read_capped

#: the body cap (tests lower it)
_MAX_BODY = MAX_BODY


def guarded_connector(**kwargs: Any) -> Any:
    """An ``aiohttp.TCPConnector`` that never hands out a connection which received bytes
    while it sat idle in the pool.

    aiohttp parses whatever arrives on a kept-alive connection and gives it to the next
    request sent on it: a server that sends an answer nobody asked for would have it taken
    as the next sample's answer. Here a connection is marked idle when it goes back to the
    pool and unmarked when a request takes it; a byte that arrives while it is idle closes it
    (aiohttp's pool skips closed connections). Bytes that come with the end of an answer are
    already aiohttp's own reason not to reuse a connection (``ResponseHandler.should_close``).
    If aiohttp's pool ever stops offering these hooks, every connection is closed after its
    answer instead (``force_close``): slower, never wrong.
    """
    import aiohttp
    from aiohttp.client_proto import ResponseHandler

    hooks = hasattr(aiohttp.TCPConnector, "_release") and hasattr(
        ResponseHandler, "set_response_params"
    )
    if not hooks:
        return aiohttp.TCPConnector(force_close=True, **kwargs)

    class _Handler(ResponseHandler):
        idle = False

        def set_response_params(self, *args: Any, **kw: Any) -> None:
            self.idle = False
            super().set_response_params(*args, **kw)

        def data_received(self, data: bytes) -> None:
            if self.idle and data:  # an answer nobody asked for: drop the connection
                self._drop()
                return
            super().data_received(data)
            if self.idle and self.should_close:  # released mid-feed, more bytes behind it
                self._drop()

        def _drop(self) -> None:
            self.force_close()
            if self.transport is not None:
                self.transport.close()

    class _Connector(aiohttp.TCPConnector):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            factory = getattr(self, "_factory", None)
            if isinstance(factory, functools.partial) and factory.func is ResponseHandler:
                guarded: Any = functools.partial(_Handler, *factory.args, **factory.keywords)
                self._factory = guarded
            else:  # the pool changed shape: be safe rather than fast
                self._force_close = True

        def _release(self, key: Any, protocol: Any, **kw: Any) -> None:
            if isinstance(protocol, _Handler):
                protocol.idle = True
            super()._release(key, protocol, **kw)

    return _Connector(**kwargs)


class AiohttpTransport:
    """One ``aiohttp.ClientSession`` per event loop (the engine uses one loop per run)."""

    name = "aiohttp"

    def __init__(self, headers: dict[str, str], timeout_s: float, max_connections: int) -> None:
        self._headers = headers
        self._timeout_s = timeout_s
        self._max_connections = max_connections
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._proxy: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"AiohttpTransport(timeout_s={self._timeout_s})"

    @staticmethod
    def _env_proxy(url: str) -> dict[str, Any]:
        """HTTP(S)_PROXY / NO_PROXY for ``url``, looked up once rather than per request.

        (``trust_env=True`` would do it on every request, with two thread-pool hops.)
        """
        from aiohttp.helpers import get_env_proxy_for_url
        from yarl import URL

        try:
            proxy, proxy_auth = get_env_proxy_for_url(URL(url))
        except LookupError:
            return {}
        return {"proxy": proxy, "proxy_auth": proxy_auth}

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop:
            import aiohttp

            # one deadline for the whole exchange: a server dripping bytes cannot outlast it
            timeout = aiohttp.ClientTimeout(
                total=self._timeout_s, sock_connect=min(self._timeout_s, 30.0)
            )
            connector = guarded_connector(
                limit=self._max_connections, limit_per_host=0, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers=self._headers,
                timeout=timeout,
                cookie_jar=aiohttp.DummyCookieJar(),  # APIs need no cookies; skip the jar's work
            )
            self._loop = loop
        return self._session

    async def post(self, url: str, body: bytes) -> tuple[int, Mapping[str, str], bytes]:
        import aiohttp

        session = self._client()
        if url not in self._proxy:
            self._proxy[url] = self._env_proxy(url)
        try:
            async with session.post(
                url, data=body, allow_redirects=False, **self._proxy[url]
            ) as resp:
                data = await read_capped(resp.content.iter_any(), _MAX_BODY)
                return resp.status, resp.headers, data
        except aiohttp.ConnectionTimeoutError as exc:
            raise ConnectionFailed(f"connect timeout after {self._timeout_s:g}s: {exc}") from None
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            raise CallTimeout(f"no complete response within {self._timeout_s:g}s") from None
        except aiohttp.InvalidURL as exc:
            raise BadRequest(f"invalid URL: {exc}") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectionFailed(f"{type(exc).__name__}: {exc or 'connection lost'}") from None

    async def get(self, url: str) -> int:
        import aiohttp

        session = self._client()
        try:
            async with session.get(url, allow_redirects=False, **self._env_proxy(url)) as resp:
                return int(resp.status)
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            raise CallTimeout(f"no complete response within {self._timeout_s:g}s") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectionFailed(f"{type(exc).__name__}: {exc or 'connection lost'}") from None

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed and self._loop is asyncio.get_running_loop():
            await session.close()
