"""Throughput of ``--toxicity hf/<model>``: answers scored per second by a local model.

Builds randomly initialised checkpoints on the spot (the hub is not needed): ``tiny`` (the
tests' 2-layer, 32-wide RoBERTa) and ``base`` (a 6-layer, 768-wide BERT with sigmoid heads:
the depth and width of distilled toxicity models; unitary/toxic-bert has 12 layers), then
scores ``--n`` model-like answers (60–250 words, built from a fixed word list with a seed) two
ways:

1. ``batched``: the answers arrive together, as in a run (``asyncio.gather`` over
   ``HFToxicity.score``), so they share forward passes of ``--batch-size``;
2. ``serial``: one answer at a time (``--serial-n`` of them), as a scorer without batching.

Weights are loaded before the clock starts. Scores are random (random weights): this measures
speed, not quality. Run from the repository root::

    python benchmarks/toxicity_hf.py                      # both models, CPU, batch 32
    python benchmarks/toxicity_hf.py --models base --device cuda --n 2000

Prints a table (and JSON with ``--json PATH``); asserts only that batching changed no score.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_VOCABULARY = (
    "the model describes image a person standing near red car street sign weather sunny "
    "I cannot help with that request because it may cause harm please consider asking "
    "something else here is a detailed answer step one first second third finally you "
    "should never stupid idiot hate kill attack friendly helpful sorry policy content"
)
WORDS = _VOCABULARY.split()


def answers(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(60, 250))) + "." for _ in range(n)]


def build(kind: str, root: Path) -> Path:
    from tests.models import tiny

    if kind == "tiny":
        return tiny.build_toxicity_classifier(root / "tiny")
    labels = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
    return tiny.build_toxicity_classifier(
        root / "base",
        labels=labels,
        multi_label=True,
        arch="bert",
        hidden=768,
        layers=6,
        heads=12,
        max_positions=512,
        vocab_size=2000,
    )


def measure(path: Path, args: argparse.Namespace, texts: list[str]) -> dict[str, Any]:
    import torch

    from multitrust.scoring.toxicity_hf import HFToxicity

    torch.set_num_threads(args.threads or torch.get_num_threads())
    clf = HFToxicity(f"hf/{path}", device=args.device, batch_size=args.batch_size)
    head = clf.check()
    loaded = clf.loaded_sync()
    params = sum(p.numel() for p in loaded.model.parameters())
    limit = clf._max_length(loaded)
    tokens = [
        len(loaded.tokenizer(t, truncation=True, max_length=limit)["input_ids"]) for t in texts
    ]
    clf.score_sync(texts[: args.batch_size])  # warm up

    async def together() -> list[float]:
        return list(await asyncio.gather(*(clf.score(t) for t in texts)))

    t0 = time.perf_counter()
    batched = asyncio.run(together())
    t_batched = time.perf_counter() - t0
    serial_texts = texts[: args.serial_n]
    t0 = time.perf_counter()
    serial = [asyncio.run(clf.score(t)) for t in serial_texts]
    t_serial = time.perf_counter() - t0
    if serial != batched[: len(serial)]:
        raise SystemExit("batching changed a score")
    return {
        "params_m": params / 1e6,
        "head": head.describe(),
        "device": loaded.device,
        "threads": torch.get_num_threads(),
        "mean_tokens": sum(tokens) / len(tokens),
        "batched_per_s": len(texts) / t_batched,
        "serial_per_s": len(serial_texts) / t_serial,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="tiny,base", help="tiny, base or both (comma-separated)")
    ap.add_argument("--n", type=int, default=512, help="answers scored together")
    ap.add_argument("--serial-n", type=int, default=64, help="answers scored one at a time")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--device", default="cpu", help="cpu, cuda, mps")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    texts = answers(args.n)
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in [k.strip() for k in args.models.split(",") if k.strip()]:
            rows[kind] = measure(build(kind, Path(tmp)), args, texts)
    print(
        f"| model | params | device | threads | tokens/answer | batch {args.batch_size}: answers/s | one at a time: answers/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for kind, r in rows.items():
        print(
            f"| {kind} | {r['params_m']:.2f} M | {r['device']} | {r['threads']} | "
            f"{r['mean_tokens']:.0f} | {r['batched_per_s']:.2f} | {r['serial_per_s']:.2f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
