"""A stand-in for the ``vllm`` executable: ``vllm serve MODEL --host H --port P ...``.

It behaves the way the managed backend needs to be tested against: it takes a while to become
ready, serves the fake OpenAI-compatible API (:mod:`tests.servers.openai_server`) plus
``/health``, and starts a worker child process that, like vLLM's engine and tensor-parallel
workers, does not watch its parent (so only a process-group kill removes it). It does NOT clean
up its worker on SIGTERM: the test proves that multitrust stops the whole group.

Environment knobs:

- ``FAKE_VLLM_RECORD``: a directory; each start writes ``<pid>.json`` there with its pid, its
  worker's pid, its argv and its ``CUDA_VISIBLE_DEVICES``.
- ``FAKE_VLLM_DELAY``: seconds before the server binds (default 0.3).
- ``FAKE_VLLM_MODE``: ``ok`` (default), ``hang`` (never binds) or ``crash`` (prints an error,
  exits 1).
- ``FAKE_VLLM_LATENCY``: seconds per chat request (default 0).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aiohttp import web

from tests.servers.openai_server import ChatServer, ServerOptions, _start

WORKER = "import time\nwhile True:\n    time.sleep(1)\n"


def _leave(signum: int, frame: Any) -> None:
    # say why in the log, then go, leaving the worker to whoever stops the process group
    print(f"fake vllm: got signal {signum}, exiting", flush=True)
    os._exit(128 + signum)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] != "serve":
        print("fake vllm: only 'serve' is supported", file=sys.stderr)
        sys.exit(2)
    p = argparse.ArgumentParser(prog="vllm serve")
    p.add_argument("model")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--tensor-parallel-size", type=int, default=1)
    args, extra = p.parse_known_args(sys.argv[2:])
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _leave)
    worker = subprocess.Popen([sys.executable, "-c", WORKER])
    record = os.environ.get("FAKE_VLLM_RECORD")
    if record:
        Path(record).mkdir(parents=True, exist_ok=True)
        (Path(record) / f"{os.getpid()}.json").write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "worker_pid": worker.pid,
                    "argv": sys.argv[1:],
                    "extra": extra,
                    "tp": args.tensor_parallel_size,
                    "port": args.port,
                    "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
                }
            )
        )
    print(f"fake vllm: loading {args.model}", flush=True)
    mode = os.environ.get("FAKE_VLLM_MODE", "ok")
    if mode == "crash":
        print("fake vllm: CUDA out of memory while loading the weights", flush=True)
        sys.exit(1)
    time.sleep(float(os.environ.get("FAKE_VLLM_DELAY", "0.3")))
    if mode == "hang":
        while True:
            time.sleep(1)
    asyncio.run(serve(args.host, args.port, float(os.environ.get("FAKE_VLLM_LATENCY", "0"))))


async def serve(host: str, port: int, latency: float) -> None:

    server = ChatServer(ServerOptions(host=host, port=port, latency=latency))

    async def health(request: Any) -> Any:
        return web.Response(text="")

    server.app.router.add_get("/health", health)
    await _start(server)
    print(f"fake vllm: serving on http://{host}:{port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    main()
