"""Memory of the synth suite at scale: does ``--size 2000`` stay as flat as ``--size 200``?

Run from the repository root::

    python benchmarks/synth_memory.py                         # T.6, R.1, S.6 streamed; T.6 evaluated
    python benchmarks/synth_memory.py --tasks P.6 --size 5000 --eval-task R.3
    python benchmarks/synth_memory.py --no-eval               # streaming only

Two measurements, each in a fresh child process so one does not inherit the other's peak:

1. **Streaming** — build a synth task and iterate its samples (touching every image's bytes),
   keeping nothing. Reports samples, seconds, the tracemalloc peak (Python allocations above the
   baseline after import) and the process's peak RSS.
2. **End to end** — ``evaluate("scripted/oracle", task, data="synth", size=N)`` into a temporary
   store, reporting the same figures plus the score (which must be 100).

A streaming pipeline shows a large-size peak close to the small-size one; the ratio is printed.
Figures go to stdout and, when ``$OUT`` is set, to ``$OUT/synth_memory.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

MB = 1024 * 1024


def _rss_peak_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (MB if sys.platform == "darwin" else 1024)


def stream(task_id: str, size: int, seed: int = 0) -> dict[str, Any]:
    """Iterate every sample of a synth task once, holding none; measure peak memory."""
    from multitrust.data.base import SynthData
    from multitrust.tasks import get_task

    spec = get_task(task_id)
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    started = time.perf_counter()
    task = spec.build(SynthData(seed=seed, size=size))
    n = images = nbytes = 0
    for sample in task.iter_samples():
        n += 1
        task.render(sample)
        for img in sample.images:
            images += 1
            nbytes += len(img.read_bytes())
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "mode": "stream",
        "task": task_id,
        "size": size,
        "samples": n,
        "images": images,
        "image_mb": round(nbytes / MB, 1),
        "seconds": round(elapsed, 2),
        "tracemalloc_peak_mb": round((peak - base) / MB, 2),
        "rss_peak_mb": round(_rss_peak_mb(), 1),
    }


def run_eval(task_id: str, size: int, seed: int = 0) -> dict[str, Any]:
    """A full oracle evaluation of one synth task (generation, scoring, store writes)."""
    from multitrust import evaluate

    with tempfile.TemporaryDirectory() as tmp:
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        started = time.perf_counter()
        rep = evaluate(
            "scripted/oracle",
            task_id,
            data="synth",
            size=size,
            seed=seed,
            db=Path(tmp) / "bench.db",
            bootstrap=0,
        )
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    out = rep.tasks[task_id]
    return {
        "mode": "evaluate",
        "task": task_id,
        "size": size,
        "samples": out.n,
        "errors": out.n_errors,
        "score": out.score,
        "seconds": round(elapsed, 2),
        "tracemalloc_peak_mb": round((peak - base) / MB, 2),
        "rss_peak_mb": round(_rss_peak_mb(), 1),
    }


def _child(mode: str, task_id: str, size: int) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter (clean peak RSS)."""
    cmd = [sys.executable, __file__, "--child", mode, task_id, str(size)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"mode": mode, "task": task_id, "size": size, "error": out.stderr.strip()[-500:]}
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


COLS = ("mode", "task", "size", "samples", "seconds", "tracemalloc_peak_mb", "rss_peak_mb", "score")


def _print_row(r: dict[str, Any]) -> None:
    if "error" in r:
        print(f"{r['mode']:>19}  {r['task']:>19}  {r['size']:>19}  ERROR {r['error']}")
    else:
        print("  ".join(f"{r.get(c, ''):>19}" for c in COLS), flush=True)


def _ratios(rows: list[dict[str, Any]], small: int, large: int) -> list[dict[str, Any]]:
    by = {(r["mode"], r["task"], r["size"]): r for r in rows if "error" not in r}
    out = []
    for (mode, task, size), r in by.items():
        if size != large or (mode, task, small) not in by:
            continue
        s = by[(mode, task, small)]
        out.append(
            {
                "mode": mode,
                "task": task,
                "tracemalloc_ratio": round(
                    r["tracemalloc_peak_mb"] / max(s["tracemalloc_peak_mb"], 1e-6), 2
                ),
                "rss_ratio": round(r["rss_peak_mb"] / max(s["rss_peak_mb"], 1e-6), 2),
                "samples_ratio": round(r["samples"] / max(s["samples"], 1), 1),
            }
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--tasks", default="T.6,R.1,S.6", help="Synth tasks to stream (comma-separated)."
    )
    ap.add_argument("--size", type=int, default=2000, help="Large size (base items per task).")
    ap.add_argument("--small", type=int, default=200, help="Small size to compare against.")
    ap.add_argument("--eval-task", default="T.6", help="Task for the end-to-end oracle evaluation.")
    ap.add_argument("--no-eval", action="store_true", help="Skip the end-to-end evaluation.")
    ap.add_argument("--child", nargs=3, metavar=("MODE", "TASK", "SIZE"), help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        mode, task_id, size = args.child[0], args.child[1], int(args.child[2])
        result = stream(task_id, size) if mode == "stream" else run_eval(task_id, size)
        print(json.dumps(result))
        return

    rows: list[dict[str, Any]] = []
    print("  ".join(f"{c:>19}" for c in COLS))
    for task_id in [t.strip() for t in args.tasks.split(",") if t.strip()]:
        for size in (args.small, args.size):
            rows.append(_child("stream", task_id, size))
            _print_row(rows[-1])
    if not args.no_eval:
        for size in (args.small, args.size):
            rows.append(_child("evaluate", args.eval_task, size))
            _print_row(rows[-1])
    ratios = _ratios(rows, args.small, args.size)
    print(f"\npeak at size {args.size} relative to size {args.small} (1.0 = perfectly flat):")
    for r in ratios:
        print(
            f"  {r['mode']:>8} {r['task']}: tracemalloc x{r['tracemalloc_ratio']}, RSS x{r['rss_ratio']} "
            f"for x{r['samples_ratio']} samples"
        )
    if os.environ.get("OUT"):
        path = Path(os.environ["OUT"]) / "synth_memory.json"
        path.write_text(json.dumps({"rows": rows, "ratios": ratios}, indent=2))
        print(f"written to {path}")


if __name__ == "__main__":
    main()
