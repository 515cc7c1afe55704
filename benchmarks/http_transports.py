"""Client CPU per request of each HTTP transport, against the fake OpenAI-compatible server.

The server runs in its own process (``tests/servers/openai_server.py``, latency ``L``). Each
transport (``raw``, ``aiohttp``, ``httpx``) POSTs ``--requests`` bodies of ``--body-bytes``
at ``--concurrency`` after a warm-up, twice (alternating), and the benchmark prints requests/s,
the share of the bound ``C / L`` and this process's CPU per request (``time.process_time``).

    python benchmarks/http_transports.py --requests 4000 --concurrency 128 --body-bytes 100
    python benchmarks/http_transports.py --requests 2000 --concurrency 64 --body-bytes 60000

It prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.servers.openai_server import serve  # noqa: E402

from multitrust.models._transport import Transport, make_transport  # noqa: E402


async def measure(t: Transport, url: str, body: bytes, n: int, c: int) -> tuple[float, float]:
    sem = asyncio.Semaphore(c)

    async def one() -> None:
        async with sem:
            status, _, raw = await t.post(url, body)
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {raw[:200]!r}")

    await asyncio.gather(*(one() for _ in range(min(n, 2 * c))))  # warm-up: connections
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    await t.aclose()
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--concurrency", type=int, default=128)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--body-bytes", type=int, default=100)
    ap.add_argument("--transports", default="raw,aiohttp,httpx")
    args = ap.parse_args(argv)
    message = {"role": "user", "content": "x" * args.body_bytes}
    body = json.dumps({"model": "m", "messages": [message], "max_tokens": 8}).encode()
    headers = {"Authorization": "Bearer bench", "Content-Type": "application/json"}
    bound = args.concurrency / args.latency
    print(
        f"{args.requests} requests of {len(body)} bytes at C={args.concurrency}, L={args.latency}"
    )
    with serve(mode="process", latency=args.latency) as base:
        url = base + "/chat/completions"
        for _ in range(2):
            for kind in args.transports.split(","):
                t = make_transport(kind, headers, 30.0, args.concurrency, url)
                wall, cpu = asyncio.run(measure(t, url, body, args.requests, args.concurrency))
                rps = args.requests / wall
                print(
                    f"{kind:8} {rps:7.0f} requests/s  {rps / bound:5.2f} of bound  "
                    f"{cpu / args.requests * 1e3:.3f} ms CPU/request"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
