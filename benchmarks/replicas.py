"""Throughput against 1, 2 and 4 replicas of one model, each replica at a fixed concurrency.

Starts ``max(--replicas)`` fake OpenAI-compatible servers (``tests/servers/openai_server.py``),
each in its own process, with latency ``L`` (default 0.1 s) and a server-side cap of ``C``
concurrent requests (default 32: more get 429). For each replica count ``k`` it runs
``multitrust.evaluate`` over a replica pool of the first ``k`` servers with
``--max-connections C`` (per replica), on ``k * --n-per-replica`` samples (each with its own
64x64 PNG, scored with the yes/no rule scorer, written to a fresh store), and reports:

- items/s, against the ideal ``k * C / L``, and the speed-up over one replica;
- client CPU: milliseconds per item and the share of one core the client used during the run
  (a share near 1.0 means the client, one Python process, is the limit);
- what each server saw (requests, 429s, highest concurrency);
- the machine: core count and load average before and after (a shared machine is noisy).

Run from the repository root::

    python benchmarks/replicas.py                      # k = 1, 2, 4; L = 0.1; C = 32
    python benchmarks/replicas.py --replicas 1,2,4,8 --n-per-replica 500 --json out.json

A benchmark prints figures; it asserts nothing except that every sample was scored.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "benchmarks"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from tests.servers.openai_server import serve  # noqa: E402

from multitrust import evaluate  # noqa: E402
from multitrust.data.base import SynthData  # noqa: E402
from multitrust.models import ModelOptions, get_model  # noqa: E402
from throughput import (  # noqa: E402
    TASK_ID,
    make_images,
    make_samples,
    register_task,
    server_reset,
    server_stats,
)


def run_once(urls: list[str], n: int, conc: int, timeout: float, db: Path) -> dict[str, Any]:
    for u in urls:
        server_reset(u)
    model = get_model("openai/bench-model", ModelOptions(base_urls=tuple(urls), timeout_s=timeout))
    load0 = os.getloadavg()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    rep = evaluate(
        model,
        TASK_ID,
        data=SynthData(size=n),
        db=db,
        max_connections=conc,
        timeout_s=timeout,
        bootstrap=0,
    )
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    stats = [server_stats(u) for u in urls]
    out = rep.tasks[TASK_ID]
    if out.n != n or out.n_errors:
        raise SystemExit(f"not every sample was scored: n={out.n} errors={out.n_errors}")
    return {
        "replicas": len(urls),
        "n": n,
        "wall_s": wall,
        "items_per_s": n / wall,
        "cpu_ms_per_item": 1000 * cpu / n,
        "client_core_share": cpu / wall,
        "per_replica_200": [s["by_status"].get("200", 0) for s in stats],
        "per_replica_429": [s["by_status"].get("429", 0) for s in stats],
        "per_replica_max_concurrent": [s["max_concurrent"] for s in stats],
        "server_cpu_ms_per_request": [
            round(1000 * s["cpu_s"] / max(1, s["requests"]), 3) for s in stats
        ],
        "retries": rep.counters.retries,
        "loadavg_before": load0,
        "loadavg_after": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--replicas", default="1,2,4", help="replica counts to measure")
    ap.add_argument("--latency", type=float, default=0.1, help="seconds per request")
    ap.add_argument("--concurrency", type=int, default=32, help="per replica (client and server)")
    ap.add_argument("--n-per-replica", type=int, default=800)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    counts = [int(x) for x in args.replicas.split(",")]
    n_max = max(counts) * args.n_per_replica
    samples = make_samples(make_images(n_max))
    register_task(samples)
    rows: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        urls = [
            stack.enter_context(
                serve(mode="process", latency=args.latency, max_concurrency=args.concurrency)
            )
            for _ in range(max(counts))
        ]
        for k in counts:
            n = k * args.n_per_replica
            register_task(samples[:n])
            with tempfile.TemporaryDirectory() as tmp:
                row = run_once(urls[:k], n, args.concurrency, args.timeout, Path(tmp) / "s.db")
            row["ideal_items_per_s"] = k * args.concurrency / args.latency
            rows.append(row)
            print_row(row, rows[0])
    print(f"machine: {os.cpu_count()} cores; load average now {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return rows


def print_row(row: dict[str, Any], base: dict[str, Any]) -> None:
    print(
        f"replicas {row['replicas']}: {row['items_per_s']:7.1f} items/s "
        f"(ideal {row['ideal_items_per_s']:.0f}, {row['items_per_s'] / row['ideal_items_per_s']:.0%}; "
        f"x{row['items_per_s'] / base['items_per_s']:.2f} vs 1 replica) · "
        f"client CPU {row['cpu_ms_per_item']:.2f} ms/item, {row['client_core_share']:.2f} of a core · "
        f"served {row['per_replica_200']} · 429s {row['per_replica_429']} · "
        f"max concurrent {row['per_replica_max_concurrent']} · "
        f"load {row['loadavg_before'][0]:.1f} -> {row['loadavg_after'][0]:.1f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
