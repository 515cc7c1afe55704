"""The same small model through ``hf/`` (transformers generate) and ``vllm/`` (managed vLLM).

No weights can be downloaded on the GPU machines, so, like ``gpu_eval_check.py``, this builds a
LLaVA-shaped model with random weights (CLIP ViT-L/14-336 tower, a ``--hidden`` x ``--layers``
Llama; 1.28 B parameters in bf16 by default) and saves it as a transformers checkpoint. It then
runs the synthetic T.6 + F.2 + P.6 slice through ``evaluate()`` twice, each on a fresh store:

1. ``hf/<dir>`` at micro-batch ``--batch-size`` (32 by default), peak memory from
   ``torch.cuda.max_memory_allocated`` (this process);
2. ``vllm/<dir>``: multitrust starts ``vllm serve <dir>`` itself (``--replicas``, default 1),
   evaluates through it and stops it; peak memory is the highest ``memory.used`` nvidia-smi
   reports while it runs (vLLM reserves ``--gpu-memory-utilization`` of the GPU up front, so
   this measures the reservation, not the need).

Random weights never emit EOS, so every answer runs to ``max_tokens`` in both: the comparison
is of generation engines, not of answers. Prints one JSON row per backend and writes them to
``$OUT/gpu_hf_vs_vllm.json`` when ``OUT`` is set.

    python benchmarks/gpu_hf_vs_vllm.py --size 24 --batch-size 32
    python benchmarks/gpu_hf_vs_vllm.py --skip-hf --replicas 1 --vllm-args "--max-model-len 4096"

Needs a CUDA GPU, torch + transformers (``multitrust[hf]``) and vLLM (``multitrust[vllm]``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "benchmarks")]


class GpuMemoryPeak:
    """Highest total ``memory.used`` (MiB) over all GPUs, sampled by nvidia-smi every 0.5 s."""

    def __init__(self) -> None:
        self.peak_mib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        smi = shutil.which("nvidia-smi")
        if smi is None:
            return 0
        out = subprocess.run(
            [smi, "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            check=False,
        )
        return sum(int(x) for x in out.stdout.split() if x.strip().isdigit())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_mib = max(self.peak_mib, self._sample())
            self._stop.wait(0.5)

    def __enter__(self) -> GpuMemoryPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def run(spec: Any, args: argparse.Namespace, db: Path, **kw: Any) -> dict[str, Any]:
    from multitrust import evaluate

    t = time.perf_counter()
    rep = evaluate(spec, args.tasks, data="synth", size=args.size, db=db, bootstrap=0, **kw)
    wall = time.perf_counter() - t
    c = rep.counters
    n = c.scored + c.errors
    return {
        "items": n,
        "errors": c.errors,
        "wall_s": round(wall, 2),
        "items_per_s": round(n / wall, 2),
        "scores": {k: v.score for k, v in rep.tasks.items()},
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=24, help="synth base items per task")
    ap.add_argument("--tasks", default="T.6,F.2,P.6")
    ap.add_argument("--batch-size", type=int, default=32, help="hf/ micro-batch")
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--replicas", type=int, default=1, help="vllm/ replicas (one GPU each)")
    ap.add_argument("--max-connections", type=int, default=64, help="vllm/ requests per replica")
    ap.add_argument(
        "--vllm-args",
        default="--gpu-memory-utilization 0.5 --max-model-len 4096",
        help="extra vllm serve flags",
    )
    ap.add_argument("--startup-timeout", type=float, default=900.0)
    ap.add_argument("--skip-hf", action="store_true")
    ap.add_argument("--skip-vllm", action="store_true")
    args = ap.parse_args()
    import torch

    from gpu_eval_check import build_model
    from multitrust.models import ModelOptions, get_model

    work = Path(tempfile.mkdtemp())
    model_dir = build_model(
        work / "llava-random", hidden=args.hidden, layers=args.layers, device="cuda"
    )
    torch.cuda.empty_cache()
    rows: list[dict[str, Any]] = []
    if not args.skip_hf:
        torch.cuda.reset_peak_memory_stats()
        row = run(f"hf/{model_dir}", args, work / "hf.db", batch_size=args.batch_size)
        row.update(
            backend="hf",
            batch_size=args.batch_size,
            peak_gpu_gib=round(torch.cuda.max_memory_allocated() / 2**30, 2),
        )
        rows.append(row)
        print(json.dumps(row), flush=True)
        torch.cuda.empty_cache()
    if not args.skip_vllm:
        model = get_model(
            f"vllm/{model_dir}",
            ModelOptions(
                extra={
                    "replicas": args.replicas,
                    "server_args": args.vllm_args,
                    "startup_timeout_s": args.startup_timeout,
                }
            ),
        )
        t0 = time.perf_counter()
        with GpuMemoryPeak() as mem:
            row = run(model, args, work / "vllm.db", max_connections=args.max_connections)
        row.update(
            backend="vllm",
            replicas=args.replicas,
            server_args=args.vllm_args,
            wall_with_startup_s=round(time.perf_counter() - t0, 2),
            peak_gpu_gib_nvidia_smi=round(mem.peak_mib / 1024, 2),
        )
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = os.environ.get("OUT")
    if out:
        Path(out, "gpu_hf_vs_vllm.json").write_text(
            json.dumps({"device": torch.cuda.get_device_name(), "rows": rows}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
