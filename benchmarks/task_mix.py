"""Client cost on the real task mix: every synthetic task and every official-layout task.

Starts two fake OpenAI-compatible servers (``tests/servers/openai_server.py``, each in its own
process so they do not share the client's GIL): the model under test and the judge, both with
latency ``L``. Then runs ``multitrust.evaluate`` once per task, on a fresh store each time:

- every task of the synthetic suite at ``--size`` samples per task, and
- every task of the official-layout test fixture (``tests/fixtures/official``),

and prints, per task: model requests/s, the share of the bound ``C / L`` (and of the ideal
time for that many requests, ``ceil(requests / C) * L``, which counts the last partial wave),
client CPU ms per sample (all threads of this process, from ``time.process_time``; the servers
are other processes), and where that CPU goes:

- ``build``: building samples (data loading, synthetic drawing, text rendering, hashing);
- ``encode``: image encoding (PNG of drawn images, validation and base64 for the payload,
  the store's JPEG thumbnails of up to 24 failed samples per task);
- ``request``: request bodies and response parsing (JSON);
- ``scoring``: scorers (their own CPU; a judge's request is counted under ``request``);
- ``aggregate``: task formulas, metrics and bootstrap CIs;
- ``store``: SQLite reads and writes;
- ``other``: the rest (event loop, HTTP client, engine, limiter, retries).

Each part is measured by wrapping the functions that do it with a per-thread CPU clock
(``time.thread_time``), self time only (a nested part is subtracted from its caller), and
coroutines step by step, so time spent suspended in ``await`` is never counted.

Then, with ``--mix``, the whole synthetic suite in a single run (the way a user runs it), and
the scoring pass of a judge-scored task: the official task with the most judge requests is
rescored with a second judge, so every model answer comes from the cache and the run is
nothing but judge requests and scoring.

    python benchmarks/task_mix.py --size 300 --concurrency 32
    python benchmarks/task_mix.py --size 300 --concurrency 128 --mix --no-per-task
    python benchmarks/task_mix.py --tasks P.6 --size 300 --no-official

It prints (and writes JSON with ``--json PATH``); it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import sys
import tempfile
import threading
import time
import types as pytypes
from collections import defaultdict
from collections.abc import Callable, Coroutine, Generator, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # for `tests.servers` when run as a script
    sys.path.insert(0, str(ROOT))

from tests.fixtures.official import build_official_fixture  # noqa: E402
from tests.servers.openai_server import serve  # noqa: E402

from multitrust import aggregate, api, evaluate, store, types  # noqa: E402
from multitrust.data.base import open_data  # noqa: E402
from multitrust.engine import runner  # noqa: E402
from multitrust.models import images, openai_compat  # noqa: E402
from multitrust.scoring.base import Scorer  # noqa: E402
from multitrust.tasks import all_tasks  # noqa: E402

PARTS = ("build", "encode", "request", "scoring", "aggregate", "store")


# --------------------------------------------------------------------------- CPU attribution


class Parts:
    """Self CPU time per part, per thread, with nesting (a callee's time leaves its caller)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self._local = threading.local()
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.totals.clear()

    def _stack(self) -> list[list[Any]]:
        st = getattr(self._local, "stack", None)
        if st is None:
            st = self._local.stack = []
        return st

    @contextlib.contextmanager
    def part(self, name: str) -> Iterator[None]:
        stack = self._stack()
        frame = [name, time.thread_time(), 0.0]
        stack.append(frame)
        try:
            yield
        finally:
            stack.pop()
            elapsed = time.thread_time() - frame[1]
            with self._lock:
                self.totals[name] += elapsed - frame[2]
            if stack:
                stack[-1][2] += elapsed

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        if asyncio.iscoroutinefunction(fn):

            async def awrapper(*a: Any, **k: Any) -> Any:
                return await _Stepped(fn(*a, **k), self, name)

            return awrapper

        def wrapper(*a: Any, **k: Any) -> Any:
            with self.part(name):
                return fn(*a, **k)

        return wrapper

    def wrap_gen(self, name: str, fn: Callable[..., Iterator[Any]]) -> Callable[..., Any]:
        def gen(*a: Any, **k: Any) -> Iterator[Any]:
            it = fn(*a, **k)
            while True:
                with self.part(name):
                    try:
                        item = next(it)
                    except StopIteration:
                        return
                yield item

        return gen


class _Stepped:
    """Awaits a coroutine, timing each of its steps (never the time it spends suspended)."""

    def __init__(self, coro: Coroutine[Any, Any, Any], parts: Parts, name: str) -> None:
        self.coro, self.parts, self.name = coro, parts, name

    def __await__(self) -> Generator[Any, Any, Any]:
        send: Any = None
        throw: BaseException | None = None
        while True:
            with self.parts.part(self.name):
                try:
                    if throw is not None:
                        out = self.coro.throw(throw)
                    else:
                        out = self.coro.send(send)
                except StopIteration as stop:
                    return stop.value
            try:
                send, throw = (yield out), None
            except BaseException as exc:  # cancellation and errors go into the coroutine
                send, throw = None, exc


def instrument(parts: Parts) -> None:
    """Wrap the functions that do each part (this process only; for the benchmark)."""
    # build: the sample stream, run in the engine's worker thread
    orig_iter = runner.Task.iter_samples
    runner.Task.iter_samples = parts.wrap_gen("build", orig_iter)  # type: ignore[method-assign]
    # encode
    types.png_bytes = parts.wrap("encode", types.png_bytes)  # type: ignore[assignment]
    images.encode_image = parts.wrap("encode", images.encode_image)  # type: ignore[assignment]
    openai_compat.data_url = parts.wrap("encode", openai_compat.data_url)  # type: ignore[assignment]
    runner.thumbnail = parts.wrap("encode", runner.thumbnail)  # type: ignore[attr-defined]
    # request: payload, body JSON, response parsing
    openai_compat.build_payload = parts.wrap("request", openai_compat.build_payload)  # type: ignore[assignment]
    openai_compat.parse_completion = parts.wrap("request", openai_compat.parse_completion)  # type: ignore[assignment]
    shim = pytypes.SimpleNamespace(**vars(json))
    shim.dumps = parts.wrap("request", json.dumps)
    openai_compat.json = shim  # type: ignore[assignment]
    # scoring
    Scorer.__call__ = parts.wrap("scoring", Scorer.__call__)  # type: ignore[method-assign]
    # aggregation
    api.compute_task = parts.wrap("aggregate", aggregate.compute_task)  # type: ignore[attr-defined]
    # store
    for name in (
        "write_batch",
        "iter_results",
        "done_keys",
        "count_results",
        "set_task_result",
        "open_run",
        "error_causes",
        "get_generation",
        "get_generations",
    ):
        fn = getattr(store.Store, name, None)
        if fn is not None:
            setattr(store.Store, name, parts.wrap("store", fn))


# --------------------------------------------------------------------------- runs


def run_one(
    parts: Parts,
    url: str,
    judge_url: str,
    task_ids: list[str] | None,
    data: str,
    size: int | None,
    db: Path,
    args: argparse.Namespace,
    *,
    judge: str = "openai/judge",
    cache: Path | bool = False,
) -> dict[str, Any]:
    parts.reset()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    rep = evaluate(
        "openai/model",
        task_ids,
        data=data,
        size=size,
        db=db,
        base_url=url,
        api_key="bench",
        judge=judge,
        judge_base_url=judge_url,
        max_connections=args.concurrency,
        bootstrap=args.bootstrap,
        synth_cache=cache,
    )
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    c = rep.counters
    samples = c.scored + c.errors
    bound = args.concurrency / args.latency
    per = 1000 / max(samples, 1)
    row: dict[str, Any] = {
        "tasks": ",".join(task_ids) if task_ids else "all",
        "samples": samples,
        "requests": c.requests,
        "judge_requests": c.judge_requests,
        "cached": c.cached,
        "errors": c.errors,
        "wall_s": wall,
        "req_per_s": c.requests / wall,
        "of_bound": c.requests / wall / bound,
        "of_ideal": math.ceil(c.requests / args.concurrency) * args.latency / wall
        if c.requests
        else float("nan"),
        "cpu_ms_per_sample": cpu * per,
        "parts_ms_per_sample": {p: parts.totals.get(p, 0.0) * per for p in PARTS},
        "status": {t: oc.status for t, oc in rep.tasks.items()},
    }
    row["parts_ms_per_sample"]["other"] = row["cpu_ms_per_sample"] - sum(
        row["parts_ms_per_sample"].values()
    )
    if c.judge_requests:
        jb = args.concurrency / args.latency
        row["judge_req_per_s"] = c.judge_requests / wall
        row["judge_of_bound"] = c.judge_requests / wall / jb
    return row


def header() -> str:
    cols = "task src samples req jreq wall_s req/s bound ideal cpu_ms " + " ".join(PARTS) + " other"
    return cols


def fmt(src: str, row: dict[str, Any]) -> str:
    p = row["parts_ms_per_sample"]
    return (
        f"{row['tasks']:<5} {src:<4} {row['samples']:>6} {row['requests']:>6} "
        f"{row['judge_requests']:>5} {row['wall_s']:>7.2f} {row['req_per_s']:>6.0f} "
        f"{row['of_bound']:>5.2f} {row['of_ideal']:>5.2f} {row['cpu_ms_per_sample']:>6.2f} "
        + " ".join(f"{p[k]:>6.2f}" for k in (*PARTS, "other"))
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--size", type=int, default=300, help="samples per synthetic task")
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--bootstrap", type=int, default=200)
    ap.add_argument("--tasks", default=None, help="comma-separated task ids (default: all)")
    ap.add_argument("--no-official", action="store_true", help="skip the official fixture")
    ap.add_argument("--no-synth", action="store_true", help="skip the synthetic suite")
    ap.add_argument("--no-per-task", action="store_true", help="only the --mix run")
    ap.add_argument("--mix", action="store_true", help="also the whole synth suite in one run")
    ap.add_argument("--no-judge-pass", action="store_true")
    ap.add_argument(
        "--synth-cache",
        choices=("warm", "cold", "off"),
        default="warm",
        help="warm: the synthetic suite drawn once before the timed runs (a user's second run "
        "onwards); cold: an empty cache for each run (the first run: drawn and written); "
        "off: drawn every run, no cache",
    )
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    parts = Parts()
    instrument(parts)
    wanted = set(args.tasks.split(",")) if args.tasks else None
    out: dict[str, Any] = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "load": os.getloadavg(),
        "per_task": [],
    }
    print(f"load average {os.getloadavg()[0]:.2f}; bound {args.concurrency / args.latency:.0f}/s")
    with (
        serve(mode="process", latency=args.latency) as url,
        serve(mode="process", latency=args.latency) as judge_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        root = Path(tmp)
        official = build_official_fixture(root / "official")
        # warm-up (imports, fonts, first connections): not measured
        run_one(parts, url, judge_url, ["T.5"], "synth", 4, root / "warm.db", args)
        runs = itertools.count()

        def cache_for(data: str) -> Path | bool:
            if data != "synth" or args.synth_cache == "off":
                return False
            if args.synth_cache == "cold":
                return root / f"cache-{next(runs)}"
            return root / "cache"

        if args.synth_cache == "warm" and not args.no_synth:
            t0 = time.perf_counter()
            src = open_data("synth", size=args.size, synth_cache=root / "cache")
            for spec in all_tasks():
                if "synth" in spec.sources and (not wanted or spec.id in wanted):
                    for _ in spec.build(src).iter_samples():
                        pass
            print(f"synthetic suite drawn into the cache in {time.perf_counter() - t0:.1f} s")
        sources: list[tuple[str, str, int | None]] = []
        if not args.no_synth:
            sources.append(("syn", "synth", args.size))
        if not args.no_official:
            sources.append(("off", str(official), None))
        if not args.no_per_task:
            print(header())
            for src, data, size in sources:
                kind = "synth" if src == "syn" else "official"
                for spec in all_tasks():
                    if kind not in spec.sources or (wanted and spec.id not in wanted):
                        continue
                    db = root / f"{src}-{spec.id}.db"
                    row = run_one(
                        parts,
                        url,
                        judge_url,
                        [spec.id],
                        data,
                        size,
                        db,
                        args,
                        cache=cache_for(data),
                    )
                    row["source"] = kind
                    if row["status"].get(spec.id) != "ok":
                        row["note"] = row["status"].get(spec.id)
                    out["per_task"].append(row)
                    print(fmt(src, row), flush=True)
            rows = [r for r in out["per_task"] if r["samples"]]
            samples = sum(r["samples"] for r in rows)
            cpu = sum(r["cpu_ms_per_sample"] * r["samples"] for r in rows)
            parts_sum = {
                p: sum(r["parts_ms_per_sample"][p] * r["samples"] for r in rows) / samples
                for p in (*PARTS, "other")
            }
            out["mix_average"] = {
                "samples": samples,
                "cpu_ms_per_sample": cpu / samples,
                "parts_ms_per_sample": parts_sum,
                "min_of_bound": min(r["of_bound"] for r in rows if r["requests"]),
                "min_of_ideal": min(r["of_ideal"] for r in rows if r["requests"]),
            }
            m = out["mix_average"]
            print(
                f"mix average over {samples} samples: {m['cpu_ms_per_sample']:.2f} ms CPU/sample "
                f"({', '.join(f'{k} {v:.2f}' for k, v in parts_sum.items())}); "
                f"lowest share of bound {m['min_of_bound']:.2f}, of ideal {m['min_of_ideal']:.2f}"
            )
        if args.mix:
            ids = sorted(wanted) if wanted else None
            row = run_one(
                parts,
                url,
                judge_url,
                ids,
                "synth",
                args.size,
                root / "mix.db",
                args,
                cache=cache_for("synth"),
            )
            out["mix_run"] = row
            print("whole synthetic suite in one run:")
            print(header())
            print(fmt("syn", {**row, "tasks": "mix"}))
        if not args.no_judge_pass:
            judged = [r for r in out["per_task"] if r["judge_requests"]]
            if judged:
                best = max(judged, key=lambda r: r["judge_requests"])
                tid = best["tasks"]
                data = str(official) if best["source"] == "official" else "synth"
                size = None if best["source"] == "official" else args.size
                src = "off" if best["source"] == "official" else "syn"
                db = root / f"{src}-{tid}.db"
                # a second judge: every model answer comes from the cache, every judge call is new
                row = run_one(
                    parts,
                    url,
                    judge_url,
                    [tid],
                    data,
                    size,
                    db,
                    args,
                    judge="openai/judge-2",
                    cache=cache_for(data),
                )
                out["judge_pass"] = row
                print(f"scoring pass of {tid} ({best['source']}) with a new judge:")
                print(header())
                print(fmt(src, row))
                print(
                    f"  judge requests/s {row.get('judge_req_per_s', 0):.0f}, "
                    f"share of the judge's bound {row.get('judge_of_bound', 0):.2f}"
                )
    out["load_after"] = os.getloadavg()
    print(f"load average after {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
