"""A time limit on an awaitable that never loses a cancellation.

``asyncio.wait_for`` before Python 3.12 returns the inner result when the inner call finishes in
the same loop turn as the caller is cancelled, and the cancellation is gone: a worker cancelled
by Ctrl-C that way went on taking items from the queue, and the run never ended (gh-86296). Every
time limit in the package goes through ``within``: on 3.11+ ``asyncio.timeout`` (the limit is a
cancellation of the caller's own task, told apart from any other by ``Task.uncancel``), on 3.10
an ``asyncio.wait`` on the call's own task, which raises the caller's cancellation whatever the
call did meanwhile."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def within(aw: Awaitable[T], timeout: float | None) -> T:
    """``await aw``, raising ``asyncio.TimeoutError`` after ``timeout`` seconds (None: no limit).
    A cancellation of the caller always propagates, even when ``aw`` has just finished."""
    if timeout is None:
        return await aw
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(timeout):
            return await aw
    return await within_by_wait(aw, timeout)


async def within_by_wait(aw: Awaitable[T], timeout: float) -> T:
    """``within`` for Python 3.10 (no ``asyncio.timeout``): the call runs as its own task."""
    inner = asyncio.ensure_future(aw)
    try:
        done, _ = await asyncio.wait({inner}, timeout=timeout)
    except BaseException:  # the caller was cancelled: so is the call, and the caller hears it
        inner.cancel()
        await asyncio.gather(inner, return_exceptions=True)
        raise
    if not done:
        inner.cancel()
        await asyncio.gather(inner, return_exceptions=True)
        raise asyncio.TimeoutError
    return inner.result()
