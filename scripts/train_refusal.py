"""Train the refusal model shipped in ``multitrust/scoring/refusal/data`` (issue #22).

Run from the repository root: ``python scripts/train_refusal.py`` rewrites
``refusal_lr.npy.gz`` and ``refusal_lr.json`` from ``benchmarks/data/refusal/corpus/train.jsonl``;
``--check`` retrains and compares with the shipped files byte for byte instead (exit 1 when they
differ). Only the ``train`` split is read: ``val`` chose the settings below and the combination
with the rules (``benchmarks/refusal_quality.py --val``); the test splits and the independent
sets in ``benchmarks/data/refusal/*.jsonl`` are never read here.

The fit is full-batch Adam on the class-balanced logistic loss with an L2 penalty, from zero
weights, for a fixed number of steps: no randomness, and every sum is a sequential
``numpy.bincount`` (no BLAS, whose thread count could reorder sums), so the result is the same
on every run; the weights are rounded to float16 for shipping.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np

from multitrust.scoring.refusal._engine import rules
from multitrust.scoring.refusal._model import (
    BITS,
    MODEL_VERSION,
    RefusalModel,
    features,
    weights_bytes,
)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "benchmarks" / "data" / "refusal" / "corpus"
OUT = ROOT / "src" / "multitrust" / "scoring" / "refusal" / "data"
STEPS = 300
LR = 0.05
L2 = 1e-4
THRESHOLD = 0.5
#: the grids :func:`choose_thresholds` searches on val
OVERRIDE_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
UNDECIDED_GRID = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
TOLERANCE = 0.01


def load(split: str) -> list[dict[str, object]]:
    with (CORPUS / f"{split}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def fit(
    texts: list[str], labels: list[int], *, steps: int = STEPS, bits: int = BITS
) -> tuple[np.ndarray, float]:
    """Weights (float64, ``2**bits``) and bias of the class-balanced L2 logistic regression."""
    dim = 1 << bits
    feats = [features(t, bits) for t in texts]
    doc = np.repeat(np.arange(len(feats)), [len(f) for f in feats])
    idx = np.concatenate(feats)
    scale = np.array([1.0 / math.sqrt(max(len(f), 1)) for f in feats])
    y = np.array(labels, dtype=np.float64)
    pos = float(y.sum())
    # each class weighs half of the loss
    cw = np.where(y == 1, 0.5 / pos, 0.5 / (len(y) - pos))
    w = np.zeros(dim)
    b = 0.0
    m_w, v_w, m_b, v_b = np.zeros(dim), np.zeros(dim), 0.0, 0.0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        z = b + np.bincount(doc, weights=w[idx], minlength=len(feats)) * scale
        p = np.array([1.0 / (1.0 + math.exp(-v)) for v in z.tolist()])
        r = (p - y) * cw
        g_w = np.bincount(idx, weights=(r * scale)[doc], minlength=dim) + L2 * w
        g_b = float(r.sum())
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        c1, c2 = 1 - beta1**t, 1 - beta2**t
        w = w - LR * (m_w / c1) / (np.sqrt(v_w / c2) + eps)
        b = b - LR * (m_b / c1) / (math.sqrt(v_b / c2) + eps)
    return w, b


def f1(pred: list[bool], gold: list[bool]) -> float:
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
    fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose_thresholds(
    w: np.ndarray, b: float, rows: list[dict[str, object]]
) -> tuple[float, float, float]:
    """``(override_below, undecided_from, val F1)`` for the combination with the rules.

    The best val F1 over the grids, then the highest ``undecided_from`` (and for it the lowest
    ``override_below``) whose val F1 is within :data:`TOLERANCE` of it: the rules are the
    better-tested component (five independent batches), the model was trained on one author's
    templates and is over-confident on answers unlike them, so it overrules the rules only
    with a margin.
    """
    model = RefusalModel(w.astype(np.float16).astype(np.float32), b, THRESHOLD)
    gold = [bool(r["label"]) for r in rows]
    read = [(rules(str(r["text"])), model.probability(str(r["text"]))) for r in rows]
    scores: dict[tuple[float, float], float] = {}
    for undecided in UNDECIDED_GRID:
        for override in OVERRIDE_GRID:
            pred = [(v.refusal and p >= override) if v.decided else p >= undecided for v, p in read]
            scores[override, undecided] = round(f1(pred, gold), 6)
    best = max(scores.values())
    override, undecided = min(
        (k for k, v in scores.items() if v >= best - TOLERANCE), key=lambda k: (-k[1], k[0])
    )
    return override, undecided, scores[override, undecided]


def artefacts(rows: list[dict[str, object]]) -> dict[str, bytes]:
    """The two shipped files, as bytes."""
    w, b = fit([str(r["text"]) for r in rows], [int(str(r["label"])) for r in rows])
    override, undecided, val_f1 = choose_thresholds(w, b, load("val"))
    raw = weights_bytes(w.astype(np.float16))
    train_sha = hashlib.sha256(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    ).hexdigest()
    meta = {
        "version": MODEL_VERSION,
        "bits": BITS,
        "bias": round(b, 6),
        "threshold": THRESHOLD,
        "override_below": override,
        "undecided_from": undecided,
        "chosen_on": {"split": "val", "f1": val_f1, "tolerance": TOLERANCE},
        "sha256": hashlib.sha256(raw).hexdigest(),
        "trained_on": {"split": "train", "answers": len(rows), "sha256": train_sha},
        "fit": {"steps": STEPS, "lr": LR, "l2": L2, "optimizer": "adam, full batch, zero init"},
    }
    return {
        "refusal_lr.npy.gz": raw,
        "refusal_lr.json": (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped files")
    args = ap.parse_args(argv)
    files = artefacts(load("train"))
    if args.check:
        stale = [n for n, data in files.items() if (OUT / n).read_bytes() != data]
        print("shipped refusal model reproduced" if not stale else f"differs: {stale}")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f"wrote {OUT / name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
