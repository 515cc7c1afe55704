"""A small OpenAI-compatible chat server for tests and benchmarks, with fault injection.

It answers ``POST /v1/chat/completions`` deterministically from the prompt, so a run that
meets faults and a clean run end with the same answers. Knobs:

- ``latency``: seconds each admitted request takes (an ``asyncio.sleep``: costs no CPU).
- ``max_concurrency``: requests beyond this many in flight get 429 at once, with a
  ``Retry-After`` header when ``limit_retry_after`` is set.
- ``faults``: ``{kind: rate}``. Whether a request meets a fault is a pure function of
  (seed, sha256 of the request body, attempt number of that body), so reruns meet the same
  faults and a retried request eventually gets through. Kinds: see :data:`FAULT_KINDS`.
- A prompt containing ``[[fault:KIND]]`` always meets that fault; ``[[fault:KIND:N]]`` only on
  its first N attempts. Tests use this to provoke one error class on one request.
- ``answer``: ``yesno`` ("Yes."/"No." from a hash of the last user text), ``echo`` (the last
  user text) or ``fixed:<text>``.

``GET /stats`` reports totals, counts per status, faults and the highest concurrency seen;
``POST /reset`` clears them (and the attempt counters); ``GET /last`` returns the last
request body that was admitted; with ``record``, ``GET /received`` returns every admitted
request's messages, token limit and temperature (a judge endpoint's record of what it was sent).

The module depends only on the standard library and aiohttp, so it can be started as a
script in a separate process (``python tests/servers/openai_server.py --port 0``) or as
``python -m tests.servers.openai_server``; in-process tests use :func:`serve` with
``mode="thread"``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

from aiohttp import web

FAULT_KINDS = (
    "rate_limit",  # 429 with Retry-After (and retry-after-ms)
    "rate_limit_bare",  # 429 without any retry header
    "server_error",  # 500
    "bad_gateway",  # 502
    "unavailable",  # 503
    "overloaded",  # 529 (Anthropic-style overload)
    "reset",  # the socket is reset before any response
    "hang",  # no answer for ``hang_s`` seconds (past any sane client timeout)
    "malformed",  # 200 with a body that is not JSON
    "empty_choices",  # 200 with "choices": []
    "null_content",  # 200 with message.content null
    "bad_request",  # 400
    "auth",  # 401
)
_STATUS = {
    "rate_limit": 429,
    "rate_limit_bare": 429,
    "server_error": 500,
    "bad_gateway": 502,
    "unavailable": 503,
    "overloaded": 529,
    "bad_request": 400,
    "auth": 401,
}
_FORCED = re.compile(r"\[\[fault:([a-z_]+)(?::(\d+))?\]\]")


@dataclass
class ServerOptions:
    """Everything the server can be told; also the CLI flags (``--max-concurrency`` …)."""

    host: str = "127.0.0.1"
    port: int = 0
    latency: float = 0.0
    max_concurrency: int | None = None
    limit_retry_after: float | None = None
    """Retry-After (seconds) sent with the 429s of the concurrency limit; None: no header."""
    faults: dict[str, float] = field(default_factory=dict)
    retry_after: float = 0.05
    """Retry-After (seconds) sent with injected ``rate_limit`` faults."""
    retry_after_format: str = "seconds"
    """``seconds`` (plus retry-after-ms), ``date`` (an HTTP date) or ``ms`` (only retry-after-ms)."""
    hang_s: float = 3600.0
    seed: int = 0
    answer: str = "yesno"
    api_key: str | None = None
    """When set, requests must carry ``Authorization: Bearer <api_key>`` (else 401)."""
    echo_auth: bool = False
    """A badly behaved server: 401 messages quote the Authorization header they got."""
    record: bool = False
    """Keep every admitted request's messages and settings, for ``GET /received``."""

    def __post_init__(self) -> None:
        unknown = set(self.faults) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)} (known: {FAULT_KINDS})")
        if sum(self.faults.values()) > 1.0:
            raise ValueError("fault rates add up to more than 1")


class Stats:
    """Counters behind ``/stats``. Single-threaded (one event loop): no locks needed."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.by_status: dict[str, int] = {}
        self.faults: dict[str, int] = {}
        self.in_flight = 0
        self.max_concurrent = 0
        self.images = 0
        self.attempts: dict[str, int] = {}
        self.last: bytes | None = None
        self.received: list[dict[str, Any]] = []
        self.cpu0 = time.process_time()

    def status(self, code: int) -> None:
        key = str(code)
        self.by_status[key] = self.by_status.get(key, 0) + 1

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_status": dict(self.by_status),
            "faults": dict(self.faults),
            "in_flight": self.in_flight,
            "max_concurrent": self.max_concurrent,
            "images": self.images,
            "distinct_bodies": len(self.attempts),
            # CPU seconds of the server process since reset (benchmarks: is the server the limit?)
            "cpu_s": time.process_time() - self.cpu0,
        }


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from its arguments."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _last_user_text(messages: list[dict[str, Any]]) -> tuple[str, int]:
    """The last user message's text and the number of images in the whole conversation."""
    text, images = "", 0
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            parts = [p.get("text", "") for p in content if p.get("type") == "text"]
            images += sum(1 for p in content if p.get("type") == "image_url")
            content = "".join(parts)
        if m.get("role") == "user":
            text = content or ""
    return text, images


def answer_for(text: str, mode: str) -> str:
    """The server's deterministic reply to a prompt."""
    if mode == "echo":
        return text
    if mode.startswith("fixed:"):
        return mode[len("fixed:") :]
    return "Yes." if _unit("answer", text) < 0.5 else "No."


class ChatServer:
    """The aiohttp application and its state."""

    def __init__(self, options: ServerOptions) -> None:
        self.o = options
        self.stats = Stats()
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app.add_routes(
            [
                web.post("/v1/chat/completions", self.chat),
                web.post("/chat/completions", self.chat),
                web.get("/v1/models", self.models),
                web.get("/stats", self.get_stats),
                web.post("/reset", self.reset),
                web.get("/last", self.last),
                web.get("/received", self.received),
            ]
        )
        self._ids = 0

    # -- bookkeeping endpoints -------------------------------------------------------------
    async def get_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats.to_json())

    async def reset(self, request: web.Request) -> web.Response:
        self.stats.reset()
        return web.json_response({"ok": True})

    async def last(self, request: web.Request) -> web.Response:
        return web.Response(body=self.stats.last or b"null", content_type="application/json")

    async def received(self, request: web.Request) -> web.Response:
        """Every admitted request (with ``record``): messages, token limit, temperature, model."""
        return web.json_response(self.stats.received)

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": "test-model", "object": "model"}]}
        )

    # -- the chat endpoint -----------------------------------------------------------------
    async def chat(self, request: web.Request) -> web.StreamResponse:
        st = self.stats
        st.requests += 1
        limit = self.o.max_concurrency
        if limit is not None and st.in_flight >= limit:
            return self._error(429, "too many concurrent requests", self.o.limit_retry_after)
        st.in_flight += 1
        st.max_concurrent = max(st.max_concurrent, st.in_flight)
        try:
            return await self._admitted(request)
        finally:
            st.in_flight -= 1

    async def _admitted(self, request: web.Request) -> web.StreamResponse:
        st = self.stats
        auth = request.headers.get("Authorization")
        if self.o.api_key is not None and auth != f"Bearer {self.o.api_key}":
            return self._error(
                401, f"invalid api key {auth!r}" if self.o.echo_auth else "invalid api key"
            )
        body = await request.read()
        digest = hashlib.sha256(body).hexdigest()
        attempt = st.attempts.get(digest, 0)
        st.attempts[digest] = attempt + 1
        try:
            payload = json.loads(body)
            messages = payload["messages"]
            model = str(payload["model"])
            text, images = _last_user_text(messages)
        except (ValueError, KeyError, TypeError, AttributeError):
            return self._error(400, "malformed request: need JSON with model and messages")
        st.last = body
        st.images += images
        if self.o.record:
            st.received.append(
                {
                    "model": model,
                    "messages": messages,
                    "max_tokens": payload.get("max_tokens", payload.get("max_completion_tokens")),
                    "temperature": payload.get("temperature"),
                }
            )
        fault = self._fault(digest, attempt, text)
        if fault is not None:
            st.faults[fault] = st.faults.get(fault, 0) + 1
            injected = await self._inject(request, fault)
            if injected is not None:
                return injected
        if self.o.latency > 0:
            await asyncio.sleep(self.o.latency)
        reply = answer_for(text, self.o.answer)
        return self._completion(model, reply, len(body) // 4, images, fault)

    def _fault(self, digest: str, attempt: int, text: str) -> str | None:
        forced = _FORCED.search(text)
        if forced:
            kind, first_n = forced.group(1), forced.group(2)
            if first_n is None or attempt < int(first_n):
                return kind
            return None
        if not self.o.faults:
            return None
        u = _unit(self.o.seed, digest, attempt)
        for kind, rate in self.o.faults.items():
            if u < rate:
                return kind
            u -= rate
        return None

    async def _inject(self, request: web.Request, kind: str) -> web.StreamResponse | None:
        """Return the faulty response, or None for faults that only change the body."""
        if kind == "rate_limit":
            return self._error(429, "rate limited (injected)", self.o.retry_after)
        if kind in _STATUS:
            return self._error(_STATUS[kind], f"{kind} (injected)")
        if kind == "reset":
            self._reset_connection(request)
            raise asyncio.CancelledError  # nothing more may be written on this connection
        if kind == "hang":
            await asyncio.sleep(self.o.hang_s)
            return None
        if kind == "malformed":
            self.stats.status(200)
            return web.Response(text='{"choices": [ {"message": ', content_type="application/json")
        return None  # empty_choices / null_content shape the completion below

    def _reset_connection(self, request: web.Request) -> None:
        transport = request.transport
        if transport is None:
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # linger 0: close() sends a TCP RST, which is what a crashed proxy looks like
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        self.stats.status(0)

    def _error(self, status: int, message: str, retry_after: float | None = None) -> web.Response:
        self.stats.status(status)
        headers: dict[str, str] = {}
        if retry_after is not None:
            fmt = self.o.retry_after_format
            if fmt in ("seconds", "ms"):
                headers["retry-after-ms"] = str(int(retry_after * 1000))
            if fmt == "seconds":
                headers["retry-after"] = f"{retry_after:g}"
            elif fmt == "date":
                headers["retry-after"] = formatdate(time.time() + retry_after, usegmt=True)
        body = {"error": {"message": message, "type": "test_server", "code": status}}
        return web.json_response(body, status=status, headers=headers)

    def _completion(
        self, model: str, reply: str, prompt_tokens: int, images: int, fault: str | None
    ) -> web.Response:
        self._ids += 1
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None if fault == "null_content" else reply,
        }
        choices = (
            []
            if fault == "empty_choices"
            else [{"index": 0, "message": message, "finish_reason": "stop"}]
        )
        body = {
            "id": f"chatcmpl-{self._ids}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens + 85 * images,
                "completion_tokens": len(reply.split()),
                "total_tokens": prompt_tokens + 85 * images + len(reply.split()),
            },
        }
        self.stats.status(200)
        return web.Response(body=json.dumps(body).encode(), content_type="application/json")


# -- running it ------------------------------------------------------------------------------


async def _start(server: ChatServer) -> tuple[web.AppRunner, int]:
    # a short shutdown timeout: hanging requests must not hold up a test's teardown
    # handler_cancellation: a client that gives up (timeout) ends its handler, so in_flight
    # stays true and hanging handlers do not pile up
    runner = web.AppRunner(
        server.app, access_log=None, shutdown_timeout=0.2, handler_cancellation=True
    )
    await runner.setup()
    site = web.TCPSite(runner, server.o.host, server.o.port, backlog=1024)
    await site.start()
    sockets = getattr(site._server, "sockets", None) or []
    port = sockets[0].getsockname()[1] if sockets else server.o.port
    return runner, port


async def _stop(runner: web.AppRunner) -> None:
    await runner.cleanup()
    # cancel what is left (hanging handlers) so the loop closes without pending tasks
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for t in others:
        t.cancel()
    await asyncio.gather(*others, return_exceptions=True)


@contextlib.contextmanager
def _serve_thread(options: ServerOptions) -> Iterator[str]:
    loop = asyncio.new_event_loop()
    server = ChatServer(options)
    ready: dict[str, Any] = {}
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            ready["runner"], ready["port"] = loop.run_until_complete(_start(server))
        except BaseException as exc:  # surface bind errors to the caller
            ready["error"] = exc
            started.set()
            return
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="openai-test-server", daemon=True)
    thread.start()
    started.wait(10)
    if "error" in ready:
        raise RuntimeError(f"test server failed to start: {ready['error']}")
    try:
        yield f"http://{options.host}:{ready['port']}/v1"
    finally:
        fut = asyncio.run_coroutine_threadsafe(_stop(ready["runner"]), loop)
        with contextlib.suppress(Exception):
            fut.result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        with contextlib.suppress(Exception):
            loop.close()


def _cli_args(options: ServerOptions) -> list[str]:
    args = ["--host", options.host, "--port", str(options.port), "--latency", str(options.latency)]
    if options.max_concurrency is not None:
        args += ["--max-concurrency", str(options.max_concurrency)]
    if options.limit_retry_after is not None:
        args += ["--limit-retry-after", str(options.limit_retry_after)]
    for kind, rate in options.faults.items():
        args += ["--fault", f"{kind}={rate}"]
    args += [
        "--retry-after",
        str(options.retry_after),
        "--retry-after-format",
        options.retry_after_format,
    ]
    args += [
        "--hang-s",
        str(options.hang_s),
        "--seed",
        str(options.seed),
        "--answer",
        options.answer,
    ]
    if options.api_key is not None:
        args += ["--api-key", options.api_key]
    if options.echo_auth:
        args.append("--echo-auth")
    if options.record:
        args.append("--record")
    return args


@contextlib.contextmanager
def _serve_process(options: ServerOptions) -> Iterator[str]:
    cmd = [sys.executable, str(Path(__file__).resolve()), *_cli_args(options)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"test server failed to start (exit {proc.poll()}): {line!r}")
        yield line.split()[1]
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if proc.stdout is not None:
            proc.stdout.close()


@contextlib.contextmanager
def serve(*, mode: str = "thread", **options: Any) -> Iterator[str]:
    """Run the server for the duration of a ``with`` block; yields its base URL (``…/v1``).

    ``mode="thread"`` runs it on its own event loop in a daemon thread (fast to start, shares
    the GIL: fine for functional tests); ``mode="process"`` runs it in a child process, which
    benchmarks need so the server does not compete with the client for the GIL.
    """
    opts = ServerOptions(**options)
    if mode == "thread":
        with _serve_thread(opts) as url:
            yield url
    elif mode == "process":
        with _serve_process(opts) as url:
            yield url
    else:
        raise ValueError(f"mode must be 'thread' or 'process', not {mode!r}")


def parse_args(argv: list[str] | None = None) -> ServerOptions:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    p.add_argument("--max-concurrency", type=int, default=None)
    p.add_argument(
        "--limit-retry-after", type=float, default=None, help="Retry-After with limit 429s"
    )
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND=RATE",
        help=f"kinds: {', '.join(FAULT_KINDS)}",
    )
    p.add_argument("--retry-after", type=float, default=0.05)
    p.add_argument("--retry-after-format", choices=("seconds", "date", "ms"), default="seconds")
    p.add_argument("--hang-s", type=float, default=3600.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--answer", default="yesno", help="yesno | echo | fixed:<text>")
    p.add_argument("--api-key", default=None)
    p.add_argument(
        "--echo-auth", action="store_true", help="quote the Authorization header in 401s"
    )
    p.add_argument("--record", action="store_true", help="keep requests for GET /received")
    a = p.parse_args(argv)
    faults = {}
    for spec in a.fault:
        kind, _, rate = spec.partition("=")
        faults[kind] = float(rate)
    return ServerOptions(
        host=a.host,
        port=a.port,
        latency=a.latency,
        max_concurrency=a.max_concurrency,
        limit_retry_after=a.limit_retry_after,
        faults=faults,
        retry_after=a.retry_after,
        retry_after_format=a.retry_after_format,
        hang_s=a.hang_s,
        seed=a.seed,
        answer=a.answer,
        api_key=a.api_key,
        echo_auth=a.echo_auth,
        record=a.record,
    )


async def _main(options: ServerOptions) -> None:
    server = ChatServer(options)
    runner, port = await _start(server)
    # the parent reads this line to learn the port (``--port 0`` picks a free one)
    print(f"READY http://{options.host}:{port}/v1", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    import signal

    options = parse_args(argv)
    # SIGTERM (from serve()) ends the loop cleanly instead of killing mid-write
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        asyncio.run(_main(options))


if __name__ == "__main__":
    main()
