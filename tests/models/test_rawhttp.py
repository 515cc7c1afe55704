"""The plain-HTTP transport against servers that frame, close and misbehave in every way HTTP/1.1
allows (and some it does not)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from multitrust.errors import BadRequest, CallTimeout, ConnectionFailed
from multitrust.models._transport import make_transport
from multitrust.models._transport.aiohttp import AiohttpTransport
from multitrust.models._transport.raw import RawHttpTransport

Reply = Callable[[int, bytes], bytes | None]
"""(request number on this server, request body) -> the raw bytes to answer (None: close)."""


@contextmanager
def raw_server(
    reply: Reply, *, close_after_each: bool = False
) -> Iterator[tuple[str, dict[str, int]]]:
    """A socket server speaking whatever bytes ``reply`` returns; counts connections."""
    stats = {"connections": 0, "requests": 0}
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    stop = threading.Event()

    def read_request(conn: socket.socket, buf: bytearray) -> bytes | None:
        while b"\r\n\r\n" not in buf:
            data = conn.recv(65536)
            if not data:
                return None
            buf += data
        head, _, rest = bytes(buf).partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = bytearray(rest)
        while len(body) < length:
            data = conn.recv(65536)
            if not data:
                return None
            body += data
        buf[:] = body[length:]
        return bytes(body[:length])

    def handle(conn: socket.socket) -> None:
        buf = bytearray()
        with conn:
            while not stop.is_set():
                body = read_request(conn, buf)
                if body is None:
                    return
                stats["requests"] += 1
                out = reply(stats["requests"], body)
                if out is None:
                    return
                conn.sendall(out)
                if close_after_each:
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            stats["connections"] += 1
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1/chat/completions", stats
    finally:
        stop.set()
        sock.close()


def ok(body: bytes, *extra: str) -> bytes:
    head = ["HTTP/1.1 200 OK", "Content-Type: application/json", *extra]
    if not any(h.lower().startswith(("transfer-encoding", "content-length")) for h in extra):
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def chunked(body: bytes, size: int = 7) -> bytes:
    parts = [
        f"{len(body[i : i + size]):x};ext=1\r\n".encode() + body[i : i + size] + b"\r\n"
        for i in range(0, len(body), size)
    ]
    return b"".join(parts) + b"0\r\nX-Trailer: t\r\n\r\n"


def post_many(
    url: str, bodies: list[bytes], timeout_s: float = 5.0, pause_s: float = 0.0
) -> list[Any]:
    async def go() -> list[Any]:
        t = RawHttpTransport({"Content-Type": "application/json"}, timeout_s, 8)
        out: list[Any] = []
        try:
            for b in bodies:
                await asyncio.sleep(pause_s)
                try:
                    out.append(await t.post(url, b))
                except Exception as exc:
                    out.append(exc)
        finally:
            await t.aclose()
        return out

    return asyncio.run(go())


ANSWER = json.dumps({"choices": [{"message": {"content": "hi"}}]}).encode()


def test_content_length_keep_alive_reuses_one_connection() -> None:
    with raw_server(lambda n, b: ok(ANSWER)) as (url, stats):
        got = post_many(url, [b"{}"] * 5)
    assert [g[0] for g in got] == [200] * 5 and all(g[2] == ANSWER for g in got)
    assert stats["connections"] == 1


def test_chunked_answer_with_extensions_and_trailers() -> None:
    with raw_server(lambda n, b: ok(chunked(ANSWER), "Transfer-Encoding: chunked")) as (url, stats):
        got = post_many(url, [b"{}"] * 3)
    assert all(g[2] == ANSWER for g in got)
    assert stats["connections"] == 1


def test_close_delimited_and_http10_answers() -> None:
    def reply(n: int, b: bytes) -> bytes:
        return b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + ANSWER

    with raw_server(reply, close_after_each=True) as (url, stats):
        got = post_many(url, [b"{}"] * 3)
    assert all(not isinstance(g, Exception) and g[2] == ANSWER for g in got), got
    assert stats["connections"] == 3


def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    # keep-alive promised, then the connection closed after each answer (as servers with a
    # short idle timeout do): the next request goes out on a new connection
    with raw_server(lambda n, b: ok(ANSWER), close_after_each=True) as (url, stats):
        got = post_many(url, [b"{}"] * 4, pause_s=0.05)
    assert all(not isinstance(g, Exception) and g[0] == 200 for g in got), got
    assert stats["requests"] == 4 and stats["connections"] == 4


def test_a_reset_under_a_request_is_an_error_not_a_silent_resend() -> None:
    # the server read the second request on a kept-alive connection and dropped it: the
    # engine, not the transport, decides whether to ask again (and counts the attempt)
    with raw_server(lambda n, b: ok(ANSWER) if n == 1 else None) as (url, stats):
        got = post_many(url, [b"{}", b"{}"])
    assert got[0][2] == ANSWER
    assert isinstance(got[1], ConnectionFailed)
    assert stats["requests"] == 2 and stats["connections"] == 1


def test_header_names_are_read_lower_cased() -> None:
    def reply(n: int, b: bytes) -> bytes:
        body = b'{"error": {"message": "slow down"}}'
        return (
            b"HTTP/1.1 429 Too Many Requests\r\nRETRY-AFTER: 3\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )

    with raw_server(reply) as (url, _):
        ((status, headers, _),) = post_many(url, [b"{}"])
    assert status == 429 and headers.get("retry-after") == "3"


def test_the_body_arrives_whole_at_any_size() -> None:
    seen: list[int] = []

    def reply(n: int, b: bytes) -> bytes:
        seen.append(len(b))
        return ok(json.dumps({"n": len(b)}).encode())

    bodies = [b"x" * 10, b"y" * 4096, b"z" * 3_000_000]
    with raw_server(reply) as (url, _):
        got = post_many(url, bodies)
    assert seen == [10, 4096, 3_000_000]
    assert [json.loads(g[2])["n"] for g in got] == seen


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"SMTP ready\r\n\r\n", "malformed HTTP response"),
        (b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"partial', "closed mid-response"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported transfer coding"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "Invalid character in Content-Length"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "Invalid character in chunk size",
        ),
    ],
)
def test_broken_answers_are_connection_failures(answer: bytes, message: str) -> None:
    def reply(n: int, b: bytes) -> bytes | None:
        return answer

    with raw_server(reply, close_after_each=True) as (url, _):
        (got,) = post_many(url, [b"{}"])
    assert isinstance(got, ConnectionFailed) and message in str(got), got


def test_no_answer_in_time_is_a_timeout_and_the_connection_is_not_reused() -> None:
    calls: list[int] = []

    def reply(n: int, b: bytes) -> bytes | None:
        calls.append(n)
        if n == 1:
            threading.Event().wait(0.6)  # answers, but too late
        return ok(ANSWER)

    with raw_server(reply) as (url, stats):
        got = post_many(url, [b"{}", b"{}"], timeout_s=0.3)
    assert isinstance(got[0], CallTimeout)
    assert not isinstance(got[1], Exception) and got[1][2] == ANSWER  # not the late answer
    assert stats["connections"] == 2


def test_a_server_that_closes_without_answering_fails_cleanly() -> None:
    with raw_server(lambda n, b: None) as (url, stats):
        (got,) = post_many(url, [b"{}"])
    assert isinstance(got, ConnectionFailed)
    assert stats["requests"] == 1  # a fresh connection is not retried


def test_auto_picks_raw_only_for_plain_http_without_a_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    args: tuple[dict[str, str], float, int] = ({}, 5.0, 8)
    assert isinstance(make_transport("auto", *args, "http://127.0.0.1:8000/v1"), RawHttpTransport)
    assert isinstance(make_transport("auto", *args, "https://api.openai.com/v1"), AiohttpTransport)
    monkeypatch.setenv("http_proxy", "http://proxy.local:3128")
    assert isinstance(make_transport("auto", *args, "http://10.0.0.5:8000/v1"), AiohttpTransport)
    monkeypatch.setenv("no_proxy", "10.0.0.5")
    assert isinstance(make_transport("auto", *args, "http://10.0.0.5:8000/v1"), RawHttpTransport)


def test_credentials_in_the_url_go_through_aiohttp_and_are_never_quoted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.delenv(var, raising=False)
    url = "http://user:s3cret@127.0.0.1:8000/v1"
    assert isinstance(make_transport("auto", {}, 5.0, 8, url), AiohttpTransport)
    (got,) = post_many(url + "/chat/completions", [b"{}"])
    assert isinstance(got, BadRequest) and "s3cret" not in str(got)


def test_content_codings_are_undone_and_a_bomb_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip
    import zlib

    from multitrust.errors import BadResponse
    from multitrust.models._transport import raw

    assert raw.decode_body(gzip.compress(ANSWER), "gzip") == ANSWER
    assert raw.decode_body(zlib.compress(ANSWER), "deflate") == ANSWER
    raw_deflate = zlib.compressobj(wbits=-15)
    assert raw.decode_body(raw_deflate.compress(ANSWER) + raw_deflate.flush(), "deflate") == ANSWER
    assert raw.decode_body(gzip.compress(zlib.compress(ANSWER)), "deflate, gzip") == ANSWER
    assert raw.decode_body(ANSWER, "identity") == ANSWER
    with pytest.raises(BadResponse, match="'br'"):
        raw.decode_body(ANSWER, "br")
    with pytest.raises(BadResponse, match="truncated"):
        raw.decode_body(gzip.compress(ANSWER)[:-12], "gzip")
    monkeypatch.setattr(raw, "_MAX_BODY", 1 << 20)
    with pytest.raises(BadResponse, match="decodes to over"):
        raw.decode_body(gzip.compress(b"\0" * (4 << 20)), "gzip")
