"""Throughput of the engine + OpenAI-compatible client against a local server.

Starts ``tests/servers/openai_server.py`` in a separate process (so it does not share the GIL
with the client) with latency ``L`` and a server-side concurrency limit ``C``, then measures:

1. ``engine``: ``multitrust.evaluate`` on a benchmark task of ``N`` samples, each with its own
   64x64 PNG, scored with the yes/no rule scorer and written to a fresh store. Reports
   samples/s against the bound ``C / L``, process CPU time per sample, and what the server saw.
2. ``rerun``: the same call again. Every sample is already scored (resume): 0 requests.
   ``rescore``: the same with the ``official`` scoring profile, a new run whose answers all
   come from the generation cache: 0 requests too.
3. ``client``: the bare model client (``asyncio.gather`` under a semaphore of ``C``), no
   engine, store or scorer: the difference to (1) is the engine's overhead.
4. ``serial``: one request at a time (the way the official toolbox runs), on ``--serial-n``
   samples, extrapolated to samples/s.

Run from the repository root::

    python benchmarks/throughput.py --latency 0.1 --concurrency 32 --n 1000
    python benchmarks/throughput.py --latency 0.1 --concurrency 128 --n 1000
    python benchmarks/throughput.py --faults rate_limit=0.05,server_error=0.05,reset=0.02
    python benchmarks/throughput.py --profile 25     # cProfile of the engine run, top 25

Figures are printed as a table (and as JSON with ``--json PATH``). A benchmark prints; it
asserts nothing except the zero-request rerun, which is a correctness property.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # for `tests.servers` when run as a script
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image as PILImage  # noqa: E402
from tests.servers.openai_server import answer_for, serve  # noqa: E402

from multitrust import evaluate  # noqa: E402
from multitrust.data.base import DataSource, SynthData  # noqa: E402
from multitrust.errors import ModelCallError  # noqa: E402
from multitrust.formula import Results  # noqa: E402
from multitrust.models import Model, ModelOptions, get_model  # noqa: E402
from multitrust.scoring.yesno import yes_no  # noqa: E402
from multitrust.tasks import base as task_base  # noqa: E402
from multitrust.tasks.base import Task, TaskData, TaskSpec  # noqa: E402
from multitrust.types import GenerateConfig, Image, Message, Sample  # noqa: E402

TASK_ID = "T.98"  # never shipped: registered only for the duration of this benchmark
PROMPT = "{text} Please answer [Yes] or [No]."


def make_images(n: int, seed: int = 0) -> list[Image]:
    """``n`` distinct 64x64 noise PNGs (built before timing starts)."""
    rng = np.random.default_rng(seed)
    return [
        Image.from_pil(PILImage.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)))
        for _ in range(n)
    ]


def make_samples(images: list[Image]) -> list[Sample]:
    out = []
    for i, img in enumerate(images):
        text = f"Question {i}: is the picture mostly noise?"
        # the server answers from a hash of the prompt: know it, so every answer is "correct"
        expected = answer_for(PROMPT.format(text=text), "yesno") == "Yes."
        out.append(Sample(id=f"bench-{i}", text=text, images=(img,), target=expected))
    return out


def register_task(samples: list[Sample]) -> None:
    def stream(data: DataSource) -> Iterator[Sample]:
        return iter(samples)

    def build(data: TaskData) -> Task:
        return Task(
            prompt=PROMPT,
            scorer=yes_no(),
            formula=lambda r: 100 * Results.mean(r, "correct"),
            config=GenerateConfig(max_tokens=16),
        )

    task_base._REGISTRY[TASK_ID] = TaskSpec(
        TASK_ID, "Throughput benchmark", "truthfulness", "T.M", build, (stream,), (stream,)
    )


def server_stats(url: str) -> dict[str, Any]:
    return httpx.get(url.removesuffix("/v1") + "/stats").json()


def server_reset(url: str) -> None:
    httpx.post(url.removesuffix("/v1") + "/reset")


def timed_evaluate(
    url: str, db: Path, args: argparse.Namespace, profile: bool, scoring: str = "corrected"
) -> dict[str, Any]:
    server_reset(url)
    prof = cProfile.Profile() if profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if prof:
        prof.enable()
    rep = evaluate(
        "openai/bench-model",
        TASK_ID,
        data=SynthData(size=args.n),
        db=db,
        base_url=url,
        max_connections=args.max_connections or args.concurrency,
        timeout_s=args.timeout,
        bootstrap=0,
        profile=scoring,
    )
    if prof:
        prof.disable()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    st = server_stats(url)
    out = rep.tasks[TASK_ID]
    row: dict[str, Any] = {
        "wall_s": wall,
        "samples_per_s": args.n / wall,
        "cpu_ms_per_sample": 1000 * cpu / args.n,
        "requests": st["requests"],
        "status": st["by_status"],
        "max_concurrent": st["max_concurrent"],
        "server_cpu_ms_per_request": 1000 * st["cpu_s"] / max(1, st["requests"]),
        "score": out.score,
        "n": out.n,
        "n_errors": out.n_errors,
        "retries": rep.counters.retries,
    }
    if prof:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(args.profile)
        row["profile"] = buf.getvalue()
    return row


async def ask_until_answered(model: Model, sample: Sample) -> None:
    """A naive retry loop for the engine-less baselines (injected faults are transient)."""
    messages = [Message("user", PROMPT.format(text=sample.text), sample.images)]
    for _ in range(50):
        try:
            await model.generate(messages, GenerateConfig(max_tokens=16))
            return
        except ModelCallError:
            await asyncio.sleep(0.01)


async def bare_client(url: str, samples: list[Sample], concurrency: int, timeout: float) -> float:
    model = get_model("openai/bench-model", ModelOptions(base_url=url, timeout_s=timeout))
    sem = asyncio.Semaphore(concurrency)

    async def one(s: Sample) -> None:
        async with sem:
            await ask_until_answered(model, s)

    start = time.perf_counter()
    await asyncio.gather(*(one(s) for s in samples))
    wall = time.perf_counter() - start
    await model.aclose()
    return wall


async def serial_client(url: str, samples: list[Sample], timeout: float) -> float:
    model = get_model("openai/bench-model", ModelOptions(base_url=url, timeout_s=timeout))
    start = time.perf_counter()
    for s in samples:
        await ask_until_answered(model, s)
    wall = time.perf_counter() - start
    await model.aclose()
    return wall


def parse_faults(spec: str | None) -> dict[str, float]:
    if not spec:
        return {}
    out = {}
    for item in spec.split(","):
        kind, _, rate = item.partition("=")
        out[kind.strip()] = float(rate)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--latency", type=float, default=0.1, help="server latency L (s)")
    p.add_argument("--concurrency", type=int, default=32, help="server concurrency limit C")
    p.add_argument("--n", type=int, default=1000, help="samples N")
    p.add_argument("--max-connections", type=int, default=None, help="engine limit (default C)")
    p.add_argument("--serial-n", type=int, default=30, help="samples for the serial loop")
    p.add_argument("--faults", default=None, help="e.g. rate_limit=0.05,server_error=0.05")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--profile", type=int, default=0, help="print the top K cProfile rows")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)

    images = make_images(args.n)
    samples = make_samples(images)
    register_task(samples)
    bound = args.concurrency / args.latency if args.latency > 0 else float("inf")
    figures: dict[str, Any] = {
        "L": args.latency,
        "C": args.concurrency,
        "N": args.n,
        "bound": bound,
    }
    server = {
        "latency": args.latency,
        "max_concurrency": args.concurrency,
        "limit_retry_after": None,
        "faults": parse_faults(args.faults),
    }
    with serve(mode="process", **server) as url, tempfile.TemporaryDirectory() as tmp:
        first = timed_evaluate(url, Path(tmp) / "bench.db", args, profile=args.profile > 0)
        rerun = timed_evaluate(url, Path(tmp) / "bench.db", args, profile=False)
        # another scoring profile is another run: nothing to resume, every answer from the cache
        rescore = timed_evaluate(
            url, Path(tmp) / "bench.db", args, profile=False, scoring="official"
        )
        server_reset(url)
        bare = asyncio.run(bare_client(url, samples, args.concurrency, args.timeout))
        serial_samples = samples[: args.serial_n]
        serial = asyncio.run(serial_client(url, serial_samples, args.timeout))
    figures["engine"] = first
    figures["rerun"] = rerun
    figures["rescore"] = rescore
    figures["client"] = {"wall_s": bare, "samples_per_s": args.n / bare}
    figures["serial"] = {"wall_s": serial, "samples_per_s": len(serial_samples) / serial}
    print_table(figures)
    if first.get("profile"):
        print(first["profile"])
    if args.json:
        figures["engine"].pop("profile", None)
        args.json.write_text(json.dumps(figures, indent=2))
    for name in ("rerun", "rescore"):
        if figures[name]["requests"] != 0:
            raise SystemExit(f"{name} made {figures[name]['requests']} requests (expected 0)")
    return figures


def print_table(f: dict[str, Any]) -> None:
    e, r, rs = f["engine"], f["rerun"], f["rescore"]
    print(f"\nL={f['L']}s  C={f['C']}  N={f['N']}  bound C/L = {f['bound']:.0f} samples/s")
    print(
        f"{'run':<22}{'wall s':>9}{'samples/s':>11}{'of bound':>10}{'CPU ms/sample':>15}{'requests':>10}"
    )
    rows = [
        (
            "engine (evaluate)",
            e["wall_s"],
            e["samples_per_s"],
            e["cpu_ms_per_sample"],
            e["requests"],
        ),
        ("rerun (resume)", r["wall_s"], r["samples_per_s"], r["cpu_ms_per_sample"], r["requests"]),
        (
            "rescore (cache)",
            rs["wall_s"],
            rs["samples_per_s"],
            rs["cpu_ms_per_sample"],
            rs["requests"],
        ),
        ("bare client", f["client"]["wall_s"], f["client"]["samples_per_s"], None, None),
        ("one at a time", f["serial"]["wall_s"], f["serial"]["samples_per_s"], None, None),
    ]
    for name, wall, sps, cpu, req in rows:
        of_bound = f"{100 * sps / f['bound']:.0f}%" if req != 0 else "-"
        cpu_s = f"{cpu:.2f}" if cpu is not None else "-"
        req_s = str(req) if req is not None else "-"
        print(f"{name:<22}{wall:>9.2f}{sps:>11.0f}{of_bound:>10}{cpu_s:>15}{req_s:>10}")
    print(
        f"engine: score {e['score']}, n={e['n']}, errors={e['n_errors']}, retries={e['retries']}, "
        f"server statuses {e['status']}, max concurrent {e['max_concurrent']}, "
        f"server CPU {e['server_cpu_ms_per_request']:.2f} ms/request"
    )


if __name__ == "__main__":
    main()
