"""Running the API's coroutines from plain code: scripts, the CLI and notebooks (which already
run an event loop)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def run_sync(make: Callable[[], Coroutine[Any, Any, R]]) -> R:
    """Run the coroutine ``make()`` returns to completion and return its result.

    Without a running event loop (scripts, the CLI) on a fresh loop in this thread. Inside one
    (Jupyter, IPython, an async framework), ``asyncio.run`` cannot be used there: the call runs
    on its own loop in a worker thread while this one waits (``await evaluate_async(...)`` is
    the non-blocking form). Interrupting the wait (Ctrl-C, the notebook's stop button) cancels
    the run in the worker and waits for it to close, as in a script: completed results stay in
    the store and the run is marked interrupted."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    box: dict[str, Any] = {}
    started = threading.Event()

    async def main() -> R:
        box["loop"], box["task"] = asyncio.get_running_loop(), asyncio.current_task()
        started.set()
        return await make()

    def worker() -> None:
        try:
            box["result"] = asyncio.run(main())
        except BaseException as exc:  # handed to the waiting thread
            box["error"] = exc
        finally:
            started.set()

    thread = threading.Thread(target=worker, name="multitrust-run", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.2)  # a bounded wait, so an interrupt reaches this thread
    except BaseException:
        started.wait()
        loop, task = box.get("loop"), box.get("task")
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop may have just closed
                loop.call_soon_threadsafe(task.cancel)
        thread.join()
        raise
    if "error" in box:
        raise box["error"]
    result: R = box["result"]
    return result


def blocking(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
    """The same call, run to completion on its own event loop (for scripts and notebooks)."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return run_sync(lambda: fn(*args, **kwargs))

    return run
