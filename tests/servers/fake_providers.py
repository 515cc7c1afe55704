"""A scriptable local stand-in for the Anthropic and Google APIs, for SDK backend tests.

The real SDKs are pointed at it through their ``base_url`` options, so the tests exercise
the SDKs' own request building, response parsing and exception classes, with no network.

By default it answers ``"echo: <last user text>"`` in each provider's format. A test can
queue replies with :meth:`FakeProviders.push` (a status and JSON body, headers, a delay
for timeouts, or a connection reset); every request is recorded in ``requests``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    """JSON body; None: the default echo answer for the route."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False
    raw: bytes | None = None
    """Bytes sent as-is (malformed bodies)."""


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    json: Any


def _last_user_text_anthropic(payload: dict[str, Any]) -> str:
    text = ""
    for m in payload.get("messages", []):
        if m.get("role") != "user":
            continue
        content = m.get("content")
        if isinstance(content, str):
            text = content
        else:
            text = "".join(b.get("text", "") for b in content if b.get("type") == "text")
    return text


def _last_user_text_google(payload: dict[str, Any]) -> str:
    text = ""
    for c in payload.get("contents", []):
        if c.get("role", "user") == "user":
            text = "".join(p.get("text", "") for p in c.get("parts", []) if "text" in p)
    return text


def anthropic_message(text: str, *, stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [{"type": "text", "text": text}] if text else [],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": len(text.split())},
    }


def google_response(text: str | None, *, finish_reason: str = "STOP") -> dict[str, Any]:
    content = {"role": "model", "parts": [{"text": text}] if text is not None else []}
    return {
        "candidates": [{"content": content, "finishReason": finish_reason, "index": 0}],
        "usageMetadata": {"promptTokenCount": 7, "candidatesTokenCount": 3, "totalTokenCount": 10},
        "modelVersion": "gemini-test",
    }


class FakeProviders:
    def __init__(self) -> None:
        self.queue: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.url = ""
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app.add_routes(
            [
                web.post("/v1/messages", self.anthropic),
                web.post(r"/{version}/models/{rest:.+}", self.google),
            ]
        )

    def push(self, *replies: Reply) -> None:
        self.queue.extend(replies)

    async def _handle(self, request: web.Request, default: Any) -> web.StreamResponse:
        payload = await request.json()
        self.requests.append(Recorded(request.path, dict(request.headers), payload))
        reply = self.queue.popleft() if self.queue else Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.reset:
            transport = request.transport
            if transport is not None:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                transport.abort()
            raise asyncio.CancelledError
        if reply.raw is not None:
            return web.Response(
                body=reply.raw,
                status=reply.status,
                headers=reply.headers,
                content_type="application/json",
            )
        body = reply.body if reply.body is not None else default(payload)
        return web.json_response(body, status=reply.status, headers=reply.headers)

    async def anthropic(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(
            request, lambda p: anthropic_message("echo: " + _last_user_text_anthropic(p))
        )

    async def google(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(
            request, lambda p: google_response("echo: " + _last_user_text_google(p))
        )


@contextlib.contextmanager
def fake_providers() -> Iterator[FakeProviders]:
    """Run the fake APIs on a free port in a background thread for one ``with`` block."""
    fake = FakeProviders()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state: dict[str, Any] = {}

    async def start() -> None:
        runner = web.AppRunner(
            fake.app, access_log=None, shutdown_timeout=0.1, handler_cancellation=True
        )
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state["runner"] = runner
        state["port"] = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop() -> None:
        await state["runner"].cleanup()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for t in others:
            t.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="fake-providers", daemon=True)
    thread.start()
    started.wait(10)
    fake.url = f"http://127.0.0.1:{state['port']}"
    try:
        yield fake
    finally:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        with contextlib.suppress(Exception):
            loop.close()
