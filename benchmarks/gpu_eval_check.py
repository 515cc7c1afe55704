"""End-to-end GPU check: `evaluate()` with the ``hf/`` backend on a realistically sized model.

No weights can be downloaded on the GPU machines, so this builds a LLaVA-shaped model with random
weights directly on the GPU: a CLIP ViT-L/14-336-shaped vision tower (576 image tokens per image)
and a ~1B-parameter Llama-shaped language model, saved as bf16 safetensors. It then runs the
synthetic T.6 / F.2 / P.6 slice through the full engine (store, cache, scoring) at several
micro-batch sizes and prints samples/s, generated tokens/s and peak GPU memory. Random weights
never emit EOS, so every answer runs to max_tokens: a worst case for generation time.

    python benchmarks/gpu_eval_check.py --size 24 --batch-sizes 1,8,32
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]


def build_model(out: Path, *, hidden: int, layers: int, device: str) -> Path:
    """A CLIP ViT-L/14-336-shaped tower and a ``hidden`` x ``layers`` Llama, random bf16 weights."""
    import torch
    from tests.models.tiny import build_llava

    path = build_llava(
        out,
        vision={
            "hidden_size": 1024,
            "intermediate_size": 4096,
            "num_hidden_layers": 24,
            "num_attention_heads": 16,
            "projection_dim": 768,
        },
        text={
            "hidden_size": hidden,
            "intermediate_size": hidden * 4,
            "num_hidden_layers": layers,
            "num_attention_heads": hidden // 128,
            "num_key_value_heads": max(1, hidden // 512),
            "head_dim": 128,
            "max_position_embeddings": 4096,
        },
        image_size=336,
        patch_size=14,
        feature_layer=-2,
        device=device,
        dtype=torch.bfloat16,
    )
    if device == "cuda":
        torch.cuda.empty_cache()
    print(f"built LLaVA-shaped model (hidden {hidden}, {layers} layers) at {path}", flush=True)
    return path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=24, help="synth base items per task")
    ap.add_argument("--tasks", default="T.6,F.2,P.6")
    ap.add_argument("--batch-sizes", default="1,8,32")
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=16)
    ap.add_argument("--device", default="cuda")
    args = ap.parse_args()
    import torch

    from multitrust import evaluate

    cuda = args.device == "cuda"
    work = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    model_dir = build_model(
        work / "llava-random", hidden=args.hidden, layers=args.layers, device=args.device
    )
    print(f"build+save {time.perf_counter() - t0:.1f}s", flush=True)
    rows = []
    for bs in [int(x) for x in args.batch_sizes.split(",")]:
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        db = work / f"bs{bs}.db"
        t = time.perf_counter()
        rep = evaluate(
            f"hf/{model_dir}",
            args.tasks,
            data="synth",
            size=args.size,
            db=db,
            batch_size=bs,
            bootstrap=0,
        )
        wall = time.perf_counter() - t
        c = rep.counters
        n = c.scored + c.errors
        toks = sum((v.n for v in rep.tasks.values()), 0)
        t2 = time.perf_counter()
        rep2 = evaluate(
            f"hf/{model_dir}",
            args.tasks,
            data="synth",
            size=args.size,
            db=db,
            batch_size=bs,
            bootstrap=0,
        )
        rerun = time.perf_counter() - t2
        row = {
            "batch_size": bs,
            "items": n,
            "errors": c.errors,
            "wall_s": round(wall, 2),
            "items_per_s": round(n / wall, 2),
            "rerun_s": round(rerun, 2),
            "rerun_requests": rep2.counters.requests,
            "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None,
            "scores": {k: v.score for k, v in rep.tasks.items()},
            "rows": toks,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = os.environ.get("OUT")
    if out:
        Path(out, "gpu_eval_check.json").write_text(
            json.dumps(
                {"device": torch.cuda.get_device_name() if cuda else "cpu", "rows": rows}, indent=1
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
