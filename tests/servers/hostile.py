"""A loopback HTTP/1.1 server that misbehaves on purpose, for the hostile-server suite.

It speaks raw bytes over asyncio streams (so it can send anything: interim responses, broken
framing, answers nobody asked for, a byte at a time), in its own thread and event loop, bound
to 127.0.0.1. Each connection's requests are read in order; for each one a *case* function
writes whatever it likes and says whether to keep the connection.

Answers are a pure function of the request: the prompt's ``Question N`` and whether the
request carries an image, so a test can tell each stored answer's own request from any other
(:func:`answer_text`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

_QUESTION = re.compile(rb"Question (\d+)")


@dataclass
class Request:
    method: str
    path: str
    body: bytes
    number: int  # 1-based over the server's life
    on_connection: int  # 1-based on its connection
    auth: bytes = b""  # the Authorization header's value

    @property
    def question(self) -> int | None:
        m = _QUESTION.search(self.body)
        return int(m.group(1)) if m else None

    @property
    def image(self) -> bool:
        return b'"image_url"' in self.body

    def answer(self) -> bytes:
        """The completion body that belongs to this request."""
        text = answer_text(self.question, self.image) if self.question is not None else "Hi."
        return json.dumps(
            {"object": "chat.completion", "choices": [{"message": {"content": text}}]}
        ).encode()


def answer_text(question: int | None, image: bool) -> str:
    """``Yes. [Q3 image]``: the yes/no part from a hash, the rest names the request."""
    h = hashlib.sha256(f"{question}".encode()).digest()[0]
    return f"{'Yes' if h % 2 else 'No'}. [Q{question} {'image' if image else 'text'}]"


def response(body: bytes, *head: str, status: str = "200 OK", length: bool = True) -> bytes:
    lines = [f"HTTP/1.1 {status}", "Content-Type: application/json", *head]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(body: bytes, size: int = 16, *, ext: bool = True, trailers: bool = True) -> bytes:
    out = b""
    for i in range(0, len(body), size):
        piece = body[i : i + size]
        out += f"{len(piece):x}{';name=val' if ext else ''}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n" + (b"X-Checksum: abc\r\n" if trailers else b"") + b"\r\n"


#: (request, writer) -> keep the connection open afterwards?
Case = Callable[[Request, asyncio.StreamWriter], Awaitable[bool]]


async def normal(req: Request, w: asyncio.StreamWriter) -> bool:
    if req.method == "GET":
        w.write(response(b'{"object": "list", "data": []}'))
    else:
        w.write(response(req.answer()))
    await w.drain()
    return True


@dataclass
class HostileServer:
    case: Case
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    events: dict[str, threading.Event] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def event(self, name: str) -> threading.Event:
        return self.events.setdefault(name, threading.Event())

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        n = 0
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                length, auth = 0, b""
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                    elif name.strip().lower() == "authorization":
                        auth = value.strip().encode("latin-1")
                body = await reader.readexactly(length) if length else b""
                n += 1
                req = Request(method, path, body, len(self.requests) + 1, n, auth)
                self.requests.append(req)
                if not await self.case(req, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()


@contextlib.contextmanager
def hostile_server(case: Case, ssl: Any = None) -> Iterator[HostileServer]:
    """Run ``case`` on a loopback server in a thread (TLS with an ``ssl`` context); stopped
    (connections dropped) on exit."""
    srv = HostileServer(case)
    loop = asyncio.new_event_loop()

    def quiet(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not isinstance(context.get("exception"), asyncio.CancelledError):  # our own stop
            loop.default_exception_handler(context)

    loop.set_exception_handler(quiet)
    started = threading.Event()
    holder: dict[str, asyncio.base_events.Server] = {}

    async def start() -> None:
        server = await asyncio.start_server(srv._handle, "127.0.0.1", 0, ssl=ssl)
        holder["server"] = server
        srv.port = server.sockets[0].getsockname()[1]
        started.set()

    def run() -> None:
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not started.wait(10):
        raise RuntimeError("hostile server did not start")
    try:
        yield srv
    finally:

        async def stop() -> None:
            server = holder["server"]
            server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
