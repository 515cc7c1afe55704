"""The transport interface: what the OpenAI-compatible client needs from an HTTP client.

Implementations, one per module: :mod:`.raw` (a small HTTP/1.1 client on httptools, for
plain ``http://`` endpoints), :mod:`.aiohttp` (HTTPS and proxies) and :mod:`.httpx` (the
fallback); :func:`multitrust.models._transport.make_transport` picks one. Every one keeps the
same promises: one deadline for a whole exchange, redirects never followed on their own, a
kept-alive connection that received bytes while idle never reused, and failures raised as
:mod:`multitrust.errors` classes (never a library's own exception).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Protocol

from multitrust.errors import BadResponse

#: The most a response body may hold, after decoding (gzip/deflate): a chat completion is
#: kilobytes; a server sending more is broken or hostile (a small gzip body can decode to GBs).
MAX_BODY = 256 * 1024 * 1024


async def read_capped(chunks: AsyncIterator[bytes], cap: int) -> bytes:
    """The body from a client's stream of decoded chunks, refused once it passes ``cap`` bytes
    (before the rest is read or decoded)."""
    buf = bytearray()
    async for chunk in chunks:
        buf += chunk
        if len(buf) > cap:
            raise BadResponse(f"response body over {cap // 2**20} MiB (after decoding)")
    return bytes(buf)


class Transport(Protocol):
    """POST bytes, get (status, headers, body). Network failures raise ModelCallError."""

    name: str

    async def post(self, url: str, body: bytes) -> tuple[int, Mapping[str, str], bytes]: ...

    async def get(self, url: str) -> int: ...

    async def aclose(self) -> None: ...
