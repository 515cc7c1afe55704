"""Downloading one image over HTTP for ``fetch-images`` (P.4), safely: a total deadline,
a size cap while streaming, same-origin redirects only, a body that must decode as an image,
and a fresh file that is never written through a link."""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from multitrust.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    import httpx

#: Refuse responses larger than this (an image, not a video or an error page loop).
MAX_FETCH_BYTES = 20 * 1024 * 1024
#: Redirects followed per image (same host and port only).
MAX_REDIRECTS = 5


class FetchFailed(Exception):
    """One image could not be fetched; the message is the reason shown in the report."""


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    """Whether a redirect from ``a`` to ``b`` stays on the same host and port (an upgrade
    from http to https on the default ports is allowed)."""
    if a.host != b.host:
        return False
    if a.scheme == b.scheme:
        return a.port == b.port
    return a.scheme == "http" and b.scheme == "https" and a.port is None and b.port is None


def _download(http: httpx.Client, url: str, deadline: float, cancelled: threading.Event) -> bytes:
    """The body at ``url``, streamed: at most :data:`MAX_FETCH_BYTES`, before ``deadline``
    (a monotonic time, for the whole exchange), following same-origin redirects only."""
    import httpx

    current = httpx.URL(url)
    for _ in range(MAX_REDIRECTS + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchFailed("timed out")
        request = http.build_request("GET", current, timeout=httpx.Timeout(left))
        resp = http.send(request, stream=True, follow_redirects=False)
        try:
            if resp.is_redirect:
                nxt = current.join(resp.headers.get("location", ""))
                if not _same_origin(current, nxt):
                    raise FetchFailed(
                        f"redirect to another host or port refused ({nxt.host}:{nxt.port or nxt.scheme})"
                    )
                current = nxt
                continue
            resp.raise_for_status()
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > MAX_FETCH_BYTES:
                raise FetchFailed(f"response too large ({declared} bytes)")
            chunks: list[bytes] = []
            size = 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > MAX_FETCH_BYTES:
                    raise FetchFailed(f"response too large (over {MAX_FETCH_BYTES} bytes)")
                if cancelled.is_set() or time.monotonic() > deadline:
                    raise FetchFailed("timed out")
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            resp.close()
    raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")


def fetch_one(http: httpx.Client, url: str, timeout: float) -> bytes:
    """:func:`_download` in a daemon thread, waited on for ``timeout`` seconds in all: a server
    that drips bytes or stalls costs this row ``timeout`` seconds, never the command a hang."""
    import httpx

    done: dict[str, Any] = {}
    cancelled = threading.Event()

    def work() -> None:
        try:
            done["body"] = _download(http, url, time.monotonic() + timeout, cancelled)
        except FetchFailed as exc:
            done["error"] = str(exc)
        except httpx.HTTPError as exc:
            done["error"] = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # a transport bug: this row fails, the others go on
            done["error"] = f"{type(exc).__name__}: {exc}"

    worker = threading.Thread(target=work, name="fetch-image", daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    if worker.is_alive():
        cancelled.set()
        raise FetchFailed(f"no complete response within {timeout:g}s")
    if "error" in done:
        raise FetchFailed(done["error"])
    body: bytes = done["body"]
    return body


def check_image(body: bytes) -> None:
    """Refuse a body that is not a whole, decodable image (Pillow decodes it, bomb-checked)."""
    from multitrust.types import Image as ImageRef
    from multitrust.types import sniff_mime

    if not sniff_mime(body, "").startswith("image/"):
        raise FetchFailed("response is not an image")
    try:
        ImageRef.from_bytes(body).load()
    except DataError as exc:
        raise FetchFailed(
            f"response is not a valid image ({str(exc).split(': ', 1)[-1]})"
        ) from None


def place(folder: Path, name: str, body: bytes) -> None:
    """Write ``folder/name`` atomically through a fresh temporary file in the same folder
    (created exclusively, never through an existing link), then renamed over the name (a
    rename replaces a link itself, never the file it points to)."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".fetch-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, folder / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
