"""A small HTTP/1.1 client for plain-HTTP endpoints on the local network (vLLM, SGLang, Ollama).

aiohttp's client path costs ~0.15 ms of CPU per request in Python; against a fast local
server at high concurrency that is a third of multitrust's whole per-sample cost, and the
client, not the model, sets the pace. This transport does only what a Chat Completions call
needs: ``POST`` (and ``GET`` for the preflight) with a ``Content-Length`` body over kept-alive
connections. Responses are framed by ``httptools`` (llhttp, the parser behind Node.js and
uvicorn), in its strict mode: any number of interim ``1xx`` responses before the final one
(RFC 9110 §15.2), ``Content-Length``, chunked transfer coding with extensions and trailers,
HTTP/1.0 and close-delimited bodies. Framing errors (a bad status line, a negative or ``0x``
chunk size, a bad or duplicated ``Content-Length``, ``Content-Length`` with
``Transfer-Encoding``, a 101 nobody asked for) end the exchange as a ``ConnectionFailed``
naming the cause, and the connection is closed. ``Content-Encoding: gzip``/``deflate`` bodies
are decoded; any other coding is a ``BadResponse`` naming it. It handles ``http://`` URLs
only; HTTPS, proxies and anything unusual go through aiohttp (see ``make_transport``).

One deadline, ``timeout_s``, covers the whole exchange (connect, send, every byte of the
answer): a server that drips its answer a byte at a time cannot hold a request longer.

A connection is reused only after a complete, well-framed answer with nothing after it. One
that receives a byte while idle (an answer nobody asked for), or the server has closed, is
never used again. A request is sent once: if the connection fails under it, that is a
``ConnectionFailed`` the engine retries, with backoff, as an attempt it counts (the transport
never resends on its own, since the server may have received the request).
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Mapping
from urllib.parse import urlsplit

import httptools

from multitrust._aio import within
from multitrust.errors import BadRequest, BadResponse, CallTimeout, ConnectionFailed
from multitrust.models._transport.base import MAX_BODY

_MAX_HEAD = 64 * 1024
_MAX_BODY = MAX_BODY


class _Connection(asyncio.Protocol):
    """One kept-alive connection: the protocol and httptools' parser callbacks in one object.

    Per-response state is reset at each message's start, so interim (1xx) responses before
    the final one leave nothing behind.
    """

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[tuple[int, dict[str, str], bytes]] | None = None
        self.closed = False
        self.got_bytes = False
        self.parser = httptools.HttpResponseParser(self)
        # RFC 9112 §2.2: a recipient MAY take a bare LF as a line end
        self.parser.set_dangerous_leniencies(lenient_optional_cr_before_lf=True)
        self._reset()

    def _reset(self) -> None:
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.body_size = 0
        self.head_size = 0  # bytes received while the head is incomplete
        self.head_fields = 0  # bytes of header fields parsed
        self.in_head = True
        self.keep_alive = False
        self.final = False  # the final (non-1xx) response is complete

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done() or self.final:
            self._close()  # bytes nobody asked for: this connection is not reusable
            return
        self.got_bytes = True
        if self.in_head:
            self.head_size += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(ConnectionFailed("server switched protocols (101), which was not asked for"))
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__ if exc.__context__ is not None else exc
            self._fail(cause if isinstance(cause, ConnectionFailed) else ConnectionFailed(str(exc)))
        except ConnectionFailed as exc:
            self._fail(exc)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionFailed(f"malformed HTTP response: {exc}"))
        else:
            if self.in_head and self.head_size > _MAX_HEAD:
                self._fail(ConnectionFailed(f"response head over {_MAX_HEAD // 1024} KiB"))

    def eof_received(self) -> bool | None:
        self._ended(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._ended(exc)

    # -- httptools callbacks -------------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self.final:  # a second answer right behind ours: ours stands, the connection goes
            self.keep_alive = False
            raise _Stray("bytes after the answer")
        self._reset()

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.in_head:  # trailers (after a chunked body) never replace header fields
            self.head_fields += len(name) + len(value) + 4
            if self.head_fields > _MAX_HEAD:
                raise ConnectionFailed(f"response head over {_MAX_HEAD // 1024} KiB")
            key = name.decode("latin-1").lower()
            text = value.decode("latin-1")
            old = self.headers.get(key)
            self.headers[key] = text if old is None else f"{old}, {text}"

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.keep_alive = self.parser.should_keep_alive()
        te = self.headers.get("transfer-encoding")
        if te is not None and te.strip().lower() != "chunked":
            raise ConnectionFailed(f"unsupported transfer coding {te!r}")

    def on_body(self, body: bytes) -> None:
        self.body_size += len(body)
        if self.body_size > _MAX_BODY:
            raise ConnectionFailed(f"response body over {_MAX_BODY // 2**20} MiB")
        self.body.append(body)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # interim: the final answer is still to come
            self._reset()
            return
        self.final = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result((status, self.headers, b"".join(self.body)))

    # -- endings -------------------------------------------------------------------------------

    def _close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, exc: Exception) -> None:
        self._close()
        if isinstance(exc, _Stray):
            return
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def _ended(self, exc: Exception | None) -> None:
        self.closed = True
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if not self.got_bytes:
            waiter.set_exception(ConnectionFailed("server closed the connection without answering"))
        elif not self.in_head and not self.final and self._close_delimited():
            self.final = True  # RFC 9112 §6.3: the body ends where the connection does
            waiter.set_result((self.parser.get_status_code(), self.headers, b"".join(self.body)))
        else:
            detail = f": {exc}" if exc else ""
            waiter.set_exception(ConnectionFailed(f"connection closed mid-response{detail}"))

    def _close_delimited(self) -> bool:
        return "content-length" not in self.headers and "transfer-encoding" not in self.headers


class _Stray(ConnectionFailed):
    """Bytes after the final answer: the answer stands, the connection is not reused."""


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

    async def _connect(self, host: str, port: int, deadline: float) -> _Connection:
        loop = asyncio.get_running_loop()
        left = deadline - loop.time()
        try:
            _, conn = await within(
                loop.create_connection(_Connection, host, port), max(0.0, min(left, 30.0))
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
        deadline = loop.time() + self._timeout_s
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
            conn = await self._connect(host, port, deadline)
        transport = conn.transport
        if transport is None or conn.closed:
            raise ConnectionFailed("connection lost before the request was sent")
        waiter: asyncio.Future[tuple[int, dict[str, str], bytes]] = loop.create_future()
        conn.waiter, conn.got_bytes, conn.final = waiter, False, False
        conn._reset()
        if body is not None and len(body) < 4096:
            transport.write(request + body)
        else:
            transport.write(request)
            if body is not None:
                transport.write(body)
        timer = loop.call_at(deadline, _expire, waiter, self._timeout_s)
        try:
            status, headers, raw = await waiter
        except BaseException:
            conn._close()  # a failure, timeout or cancellation leaves the answer half read
            raise
        finally:
            timer.cancel()
            conn.waiter = None
        if not conn.keep_alive or conn.closed:
            conn._close()
        else:
            pool = self._idle.setdefault((host, port), [])
            if len(pool) < self._max_idle:
                pool.append(conn)
            else:
                conn._close()
        coding = headers.get("content-encoding")
        if coding is not None and raw:
            raw = decode_body(raw, coding)
        return status, headers, raw

    async def post(self, url: str, body: bytes) -> tuple[int, Mapping[str, str], bytes]:
        return await self._exchange("POST", url, body)

    async def get(self, url: str) -> int:
        status, _, _ = await self._exchange("GET", url, None)
        return status

    async def aclose(self) -> None:
        idle, self._idle = self._idle, {}
        for pool in idle.values():
            for conn in pool:
                conn._close()


def decode_body(raw: bytes, coding: str) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate, identity; several in order of application).

    Decoded output is capped like a body; an unknown coding is a BadResponse naming it.
    """
    for name in reversed([c.strip().lower() for c in coding.split(",") if c.strip()]):
        if name == "identity":
            continue
        if name in ("gzip", "x-gzip"):
            raw = _inflate(raw, 16 + zlib.MAX_WBITS, name)
        elif name == "deflate":  # zlib-wrapped per RFC 9110; some servers send it raw
            try:
                raw = _inflate(raw, zlib.MAX_WBITS, name)
            except BadResponse:
                raw = _inflate(raw, -zlib.MAX_WBITS, name)
        else:
            raise BadResponse(f"response body has Content-Encoding {name!r}, which is not decoded")
    return raw


def _inflate(raw: bytes, wbits: int, name: str) -> bytes:
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(raw, _MAX_BODY)
    except zlib.error as exc:
        raise BadResponse(f"response body is not valid {name}: {exc}") from None
    if d.unconsumed_tail:
        raise BadResponse(f"response body decodes to over {_MAX_BODY // 2**20} MiB")
    if not d.eof:
        raise BadResponse(f"response body is truncated {name}")
    return out


def _expire(waiter: asyncio.Future[tuple[int, dict[str, str], bytes]], timeout_s: float) -> None:
    if not waiter.done():
        waiter.set_exception(CallTimeout(f"no complete response within {timeout_s:g}s"))
