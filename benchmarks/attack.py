"""Seconds per image per surrogate of ``multitrust data attack`` (SSA-CommonWeakness).

Random-init surrogates built in memory (no weights needed): a tiny CLIP at 32 px and a
ViT-B/32-shaped CLIP (transformers' default ``CLIPConfig``: the LAION ViT-B/32's architecture)
at 224 px. For each, one surrogate attacks a batch for a few iterations; the time per
forward + backward pass is measured and scaled to the benchmark's defaults (50 iterations ×
20 SSA spectrum views = 1,000 passes per image and surrogate). On the CPU always; on a GPU too
when one is present (batch 8).

    python benchmarks/attack.py
    python benchmarks/attack.py --steps 2 --spectrum-samples 2 --only tiny
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

FULL_PASSES = 50 * 20  # the defaults: iterations x SSA views


def _tokenizer() -> Any:
    from tests.attack.tiny import _tokenizer as make

    return make(77)[0]


def build(kind: str) -> Any:
    """A random-init surrogate: ``tiny`` (32 px) or ``vit-b-32`` (224 px, ~150 M parameters)."""
    import torch
    from transformers import CLIPConfig, CLIPModel

    from multitrust.data.attack.surrogates import HFSurrogate

    torch.manual_seed(0)
    if kind == "tiny":
        text = dict(
            vocab_size=12,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            max_position_embeddings=77,
        )
        vision = dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            patch_size=8,
        )
        cfg = CLIPConfig(text_config=text, vision_config=vision, projection_dim=16)
    else:  # transformers' defaults are OpenAI's ViT-B/32 (also the LAION ViT-B/32's shape)
        cfg = CLIPConfig(text_config={"vocab_size": 12})
    model = CLIPModel(cfg)
    return HFSurrogate.from_model(f"random-{kind}", model, _tokenizer())


def measure(
    surrogate: Any, size: int, device: str, batch: int, steps: int, views: int
) -> tuple[float, float]:
    """Wall and CPU seconds per forward + backward pass per image (one surrogate)."""
    import torch

    from multitrust.data.attack import AttackJob, AttackSettings, attack_batch

    surrogate.model.to(device)
    surrogate.device = device
    x = torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(0)).to(device)
    job = AttackJob(settings=AttackSettings(steps=steps, spectrum_samples=views))
    names = [f"i{k}" for k in range(batch)]
    attack_batch(x, ["cat"] * batch, names, [surrogate], job, "target")  # warm-up
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    started, cpu = time.perf_counter(), time.process_time()
    attack_batch(x, ["cat"] * batch, names, [surrogate], job, "target")
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    passes = steps * max(views, 1) * batch
    return (time.perf_counter() - started) / passes, (time.process_time() - cpu) / passes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=2, help="iterations measured (default 2)")
    ap.add_argument("--spectrum-samples", type=int, default=2, help="SSA views measured")
    ap.add_argument("--only", choices=["tiny", "vit-b-32"], help="one model only")
    ap.add_argument("--cpu-batch", type=int, default=1, help="images per batch on the CPU")
    ap.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's own)")
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    devices = [("cpu", args.cpu_batch)]
    if torch.cuda.is_available():
        devices.append(("cuda", 8))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        "| surrogate | px | device | batch | wall s / pass / image | CPU s / pass / image "
        "| wall s / image / surrogate (50 x 20) |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind, size in (("tiny", 32), ("vit-b-32", 224)):
        if args.only and kind != args.only:
            continue
        s = build(kind)
        for device, batch in devices:
            wall, cpu = measure(s, size, device, batch, args.steps, args.spectrum_samples)
            print(
                f"| {kind} | {size} | {device} | {batch} | {wall:.4f} | {cpu:.4f} | "
                f"{wall * FULL_PASSES:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
