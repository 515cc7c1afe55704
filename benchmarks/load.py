"""Load and adaptive-concurrency benchmarks against the OpenAI-compatible test server.

Scenarios (figures are printed; docs/reliability.md records a run):

- ``load``: N samples (default 10,000) against a server with latency L=0.1 s and no limit,
  client ``max_connections`` C=128. The bound is N·L/C seconds; we report throughput against
  it, and the peak RSS of a fresh client process at 1,000 and at N samples (growth target
  < 30%: memory must stay flat as the run grows).
- ``adaptive``: N samples (default 2,000) against a server that answers 429 above 16
  concurrent requests (with and without Retry-After), client ``max_connections`` 64. Ideal
  time is N·L/16; we report the ratio, where the limiter settled, backoffs and 429s.

Each measured run happens in a fresh child process (peak RSS is per process and only grows);
the server runs in its own process so it does not compete with the client for the GIL.

    python benchmarks/load.py                      # both scenarios
    python benchmarks/load.py --scenario load --n 10000
    python benchmarks/load.py --scenario adaptive --n 2000 --latency 0.1
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.servers / tests.reliability live beside src


def stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url.removesuffix("/v1") + "/stats", timeout=10) as resp:
        out: dict[str, Any] = json.load(resp)
    return out


def reset(url: str) -> None:
    req = urllib.request.Request(url.removesuffix("/v1") + "/reset", method="POST", data=b"")
    urllib.request.urlopen(req, timeout=10).close()


# -- the child: one measured run -------------------------------------------------------------


def child(url: str, n: int, max_connections: int, db: str) -> dict[str, Any]:
    from tests.reliability.conftest import make_toy

    import multitrust.api as api
    from multitrust import evaluate
    from multitrust.tasks import base as task_base

    spec = make_toy(0)
    task_base._REGISTRY[spec.id] = spec
    engines: list[Any] = []

    class Recording(api.Engine):
        def __init__(self, *a: Any, **k: Any) -> None:
            super().__init__(*a, **k)
            engines.append(self)

    api.Engine = Recording  # type: ignore[misc]
    started = time.perf_counter()
    rep = evaluate(
        "openai/test-model",
        spec.id,
        db=db,
        size=n // 2,
        base_url=url,
        max_connections=max_connections,
        timeout_s=30,
        bootstrap=0,
    )
    elapsed = time.perf_counter() - started
    engine = engines[0]
    lim = engine.limiters.get(engine.model.endpoint)
    return {
        "n": rep.counters.scored + rep.counters.errors,
        "scored": rep.counters.scored,
        "errors": rep.counters.errors,
        "retries": rep.counters.retries,
        "elapsed_s": elapsed,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "limit": lim.limit,
        "backoffs": lim.backoffs,
        "client_peak_in_flight": lim.peak_in_flight,
    }


def run_child(url: str, n: int, max_connections: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                url,
                "--n",
                str(n),
                "--max-connections",
                str(max_connections),
                "--db",
                str(Path(d) / "bench.db"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# -- scenarios -------------------------------------------------------------------------------


def scenario_load(n: int, latency: float, conns: int) -> None:
    from tests.servers.openai_server import serve

    print(f"== load: N={n}, L={latency}s, C={conns} (bound N·L/C = {n * latency / conns:.2f}s)")
    with serve(mode="process", latency=latency) as url:
        small = run_child(url, 1000, conns)
        reset(url)
        big = run_child(url, n, conns)
        st = stats(url)
    for r, size in ((small, 1000), (big, n)):
        bound = size * latency / conns
        print(
            f"  {size:>6} samples: {r['elapsed_s']:.2f}s (bound {bound:.2f}s, {bound / r['elapsed_s']:.0%} of bound), "
            f"{r['n'] / r['elapsed_s']:.0f} samples/s (bound {conns / latency:.0f}/s), errors {r['errors']}, "
            f"peak RSS {r['peak_rss_mb']:.0f} MiB"
        )
    growth = big["peak_rss_mb"] / small["peak_rss_mb"] - 1
    print(f"  peak RSS growth 1,000 -> {n}: {growth:+.1%} (target < 30%)")
    print(f"  server: {st['requests']} requests, max concurrency seen {st['max_concurrent']}")


def scenario_adaptive(n: int, latency: float, limit: int, conns: int) -> None:
    from tests.servers.openai_server import serve

    ideal = n * latency / limit
    print(
        f"== adaptive: N={n}, L={latency}s, server 429 above {limit}, max_connections={conns} (ideal {ideal:.2f}s)"
    )
    for label, opts in (
        ("fixed limit (no 429s)", {"max_concurrency": None}),
        ("429 without Retry-After", {"max_concurrency": limit}),
        ("429 with Retry-After 1s", {"max_concurrency": limit, "limit_retry_after": 1.0}),
    ):
        c = limit if opts["max_concurrency"] is None else conns
        with serve(mode="process", latency=latency, **opts) as url:
            r = run_child(url, n, c)
            st = stats(url)
        print(
            f"  {label:<26} {r['elapsed_s']:.2f}s = {r['elapsed_s'] / ideal:.2f}x ideal; limiter settled at "
            f"{r['limit']:.1f} (client peak {r['client_peak_in_flight']}, {r['backoffs']} backoffs); "
            f"429s {st['by_status'].get('429', 0)}; server max concurrency {st['max_concurrent']}; "
            f"errors {r['errors']}"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--scenario", choices=("load", "adaptive", "all"), default="all")
    p.add_argument("--n", type=int, default=None, help="samples (load: 10000, adaptive: 2000)")
    p.add_argument("--latency", type=float, default=0.1)
    p.add_argument("--max-connections", type=int, default=None)
    p.add_argument("--limit", type=int, default=16, help="server concurrency limit (adaptive)")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--db", default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        print(json.dumps(child(a.child, a.n, a.max_connections, a.db)))
        return
    if a.scenario in ("load", "all"):
        scenario_load(a.n or 10_000, a.latency, a.max_connections or 128)
    if a.scenario in ("adaptive", "all"):
        scenario_adaptive(a.n or 2_000, a.latency, a.limit, a.max_connections or 64)


if __name__ == "__main__":
    main()
