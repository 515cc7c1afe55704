"""A small HTTP/1.1 client for plain-HTTP endpoints on the local network (vLLM, SGLang, Ollama).

aiohttp's client path costs ~0.2 ms of CPU per request in Python; against a fast local
server at high concurrency that is a third of multitrust's whole per-sample cost, and the
client, not the model, sets the pace. This transport does only what a Chat Completions call
needs: ``POST`` (and ``GET`` for the preflight) with a ``Content-Length`` body over kept-alive
connections, responses framed by ``Content-Length``, chunked transfer coding, or the
connection's close. It handles ``http://`` URLs only; HTTPS, proxies and anything unusual go
through aiohttp (see ``make_transport``).

A kept-alive connection the server has closed is never used again (its close is seen before
the next request is written). A request is sent once: if the connection fails under it, that
is a ``ConnectionFailed`` the engine retries, with backoff, as an attempt it counts (the
transport never resends on its own, since the server may have received the request).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import urlsplit

from multitrust.errors import BadRequest, CallTimeout, ConnectionFailed

_MAX_HEAD = 64 * 1024
_MAX_BODY = 256 * 1024 * 1024


class _Response:
    """Incremental parser of one HTTP/1.1 response."""

    __slots__ = ("body", "buf", "chunked", "done", "headers", "length", "status", "to_close")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.status = 0
        self.headers: dict[str, str] = {}
        self.length: int | None = None
        self.chunked = False
        self.body = bytearray()
        self.done = False
        self.to_close = False

    def feed(self, data: bytes) -> None:
        self.buf += data
        if not self.status:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > _MAX_HEAD:
                    raise ConnectionFailed("response head too large")
                return
            self._head(bytes(self.buf[:end]).decode("latin-1"))
            del self.buf[: end + 4]
            if self.status in (204, 304) or 100 <= self.status < 200:
                self.length = 0
        if self.chunked:
            self._chunks()
        elif self.length is not None and len(self.buf) >= self.length:
            if len(self.buf) > self.length:  # bytes past the answer: do not reuse
                self.to_close = True
            self.body = self.buf[: self.length]
            self.done = True
        if len(self.buf) > _MAX_BODY:
            raise ConnectionFailed("response body too large")

    def eof(self) -> None:
        """The server closed the connection: the end of a close-delimited body."""
        if self.status and self.length is None and not self.chunked:
            self.body = self.buf
            self.done = True
            self.to_close = True

    def _head(self, head: str) -> None:
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise ConnectionFailed(f"not an HTTP/1.x response: {lines[0][:80]!r}")
        self.status = int(parts[1])
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                self.headers[name.strip().lower()] = value.strip()
        te = self.headers.get("transfer-encoding", "").lower()
        if te:
            if te != "chunked":
                raise ConnectionFailed(f"unsupported transfer coding {te!r}")
            self.chunked = True
        elif "content-length" in self.headers:
            try:
                self.length = int(self.headers["content-length"])
            except ValueError:
                raise ConnectionFailed("bad Content-Length") from None
        conn = self.headers.get("connection", "").lower()
        self.to_close = conn == "close" or (parts[0] == "HTTP/1.0" and conn != "keep-alive")

    def _chunks(self) -> None:
        while True:
            line_end = self.buf.find(b"\r\n")
            if line_end < 0:
                return
            size_text = bytes(self.buf[:line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ConnectionFailed("bad chunk size") from None
            if size == 0:  # the last chunk, then trailers (if any) and an empty line
                if self.buf.find(b"\r\n\r\n", line_end) < 0:
                    return
                self.done = True
                return
            start = line_end + 2
            if len(self.buf) < start + size + 2:
                return
            self.body += self.buf[start : start + size]
            del self.buf[: start + size + 2]


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.response: _Response | None = None
        self.waiter: asyncio.Future[_Response] | None = None
        self.closed = False
        self.got_bytes = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.response is None or self.waiter is None or self.waiter.done():
            self.closed = True  # bytes nobody asked for: this connection is not reusable
            if self.transport is not None:
                self.transport.close()
            return
        self.got_bytes = True
        try:
            self.response.feed(data)
        except ConnectionFailed as exc:
            self.waiter.set_exception(exc)
            self.closed = True
            if self.transport is not None:
                self.transport.close()
            return
        if self.response.done:
            self.waiter.set_result(self.response)

    def eof_received(self) -> bool | None:
        self._ended(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended(exc)

    def _ended(self, exc: Exception | None) -> None:
        self.closed = True
        waiter, response = self.waiter, self.response
        if waiter is None or waiter.done() or response is None:
            return
        response.eof()
        if response.done:
            waiter.set_result(response)
        elif not self.got_bytes:
            waiter.set_exception(ConnectionFailed("server closed the connection without answering"))
        else:
            detail = f": {exc}" if exc else ""
            waiter.set_exception(ConnectionFailed(f"connection closed mid-response{detail}"))


class RawHttpTransport:
    """Kept-alive HTTP/1.1 connections per (host, port), for ``http://`` URLs."""

    name = "raw"

    def __init__(self, headers: dict[str, str], timeout_s: float, max_connections: int) -> None:
        self._headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._timeout_s = timeout_s
        self._max_idle = max_connections
        self._idle: dict[tuple[str, int], list[_Connection]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._targets: dict[str, tuple[str, int, str, str]] = {}

    def __repr__(self) -> str:
        return f"RawHttpTransport(timeout_s={self._timeout_s})"

    def _target(self, url: str) -> tuple[str, int, str, str]:
        hit = self._targets.get(url)
        if hit is None:
            parts = urlsplit(url)
            if parts.scheme != "http" or not parts.hostname or parts.username is not None:
                # the URL is not quoted back: it may carry credentials
                raise BadRequest(
                    "the plain-HTTP transport takes http:// URLs without credentials only"
                )
            port = parts.port or 80
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            hit = self._targets[url] = (parts.hostname, port, path, parts.netloc)
        return hit

    async def _connect(self, host: str, port: int) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(_Connection, host, port), min(self._timeout_s, 30.0)
            )
        except asyncio.TimeoutError:
            raise ConnectionFailed(f"connect timeout to {host}:{port}") from None
        except OSError as exc:
            raise ConnectionFailed(f"{type(exc).__name__}: {exc}") from None
        return conn

    async def _exchange(
        self, method: str, url: str, body: bytes | None
    ) -> tuple[int, Mapping[str, str], bytes]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # connections belong to the loop that made them
            self._idle = {}
            self._loop = loop
        host, port, path, host_header = self._target(url)
        head = f"{method} {path} HTTP/1.1\r\nHost: {host_header}\r\n{self._headers}"
        if body is not None:
            head += f"Content-Length: {len(body)}\r\n"
        request = (head + "\r\n").encode("latin-1")
        idle = self._idle.get((host, port))
        conn = None
        while idle:
            candidate = idle.pop()
            if not candidate.closed and candidate.transport is not None:
                conn = candidate
                break
        if conn is None:
            conn = await self._connect(host, port)
        transport = conn.transport
        if transport is None or conn.closed:
            raise ConnectionFailed("connection lost before the request was sent")
        response = _Response()
        waiter: asyncio.Future[_Response] = loop.create_future()
        conn.response, conn.waiter, conn.got_bytes = response, waiter, False
        if body is not None and len(body) < 4096:
            transport.write(request + body)
        else:
            transport.write(request)
            if body is not None:
                transport.write(body)
        timer = loop.call_later(self._timeout_s, _expire, waiter, self._timeout_s)
        try:
            done = await waiter
        except BaseException:
            transport.close()  # a failure, timeout or cancellation leaves the answer half read
            raise
        finally:
            timer.cancel()
            conn.response = conn.waiter = None
        if done.to_close or conn.closed:
            transport.close()
        else:
            pool = self._idle.setdefault((host, port), [])
            if len(pool) < self._max_idle:
                pool.append(conn)
            else:
                transport.close()
        return done.status, done.headers, bytes(done.body)

    async def post(self, url: str, body: bytes) -> tuple[int, Mapping[str, str], bytes]:
        return await self._exchange("POST", url, body)

    async def get(self, url: str) -> int:
        status, _, _ = await self._exchange("GET", url, None)
        return status

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for pool in idle.values():
            for conn in pool:
                if conn.transport is not None:
                    conn.transport.close()


def _expire(waiter: asyncio.Future[_Response], timeout_s: float) -> None:
    if not waiter.done():
        waiter.set_exception(CallTimeout(f"no response within {timeout_s:g}s"))
