"""Precision, recall, F1 and throughput of every refusal detector on the labelled answer sets.

Run: ``python benchmarks/refusal_quality.py`` (``--action-model DIR`` adds Do-Not-Answer's
Longformer action classifier from a local checkpoint; ``--split test`` limits the sets).
The tables are pasted into docs/scoring.md.

The sets live in ``benchmarks/data/refusal/`` (see its README): ``train`` (what the rules were
written against), ``test`` (held out from ``train``, same authoring batch), ``challenge`` (a
second batch in another style), ``dev`` (a third batch the rules were then extended on) and
``holdout`` (a fourth batch, written after the last rule change and scored once).
Throughput is answers per second of CPU time for one answer at a time, as the engine calls
the detector, over the whole split (repeated to at least one second).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from multitrust.scoring.refusal import detector_name, is_refusal

DATA = Path(__file__).resolve().parent / "data" / "refusal"
SPLITS = ("train", "test", "challenge", "dev", "holdout")
ENV_ACTION = "MULTITRUST_ACTION_MODEL"


def load(split: str) -> list[dict[str, object]]:
    with (DATA / f"{split}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def prf(pred: Sequence[bool], gold: Sequence[bool]) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
    fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def throughput(fn: Callable[[str], bool], texts: Sequence[str], min_s: float = 1.0) -> float:
    """Answers per CPU-second, one call per answer."""
    n, start = 0, time.process_time()
    while True:
        for t in texts:
            fn(t)
        n += len(texts)
        spent = time.process_time() - start
        if spent >= min_s:
            return n / spent


def action_detector(path: str | None) -> tuple[Callable[[str], bool] | None, str]:
    """The Longformer action classifier as a detector (labels 0 and 4 refuse), or why not."""
    if not path:
        return (
            None,
            f"unavailable: no local checkpoint (pass --action-model DIR or set {ENV_ACTION})",
        )
    if not (Path(path) / "config.json").is_file():
        return None, f"unavailable: no checkpoint at {path} (config.json missing)"
    try:
        from multitrust.scoring.classifiers import REFUSE_LABELS, ActionClassifier
    except ImportError as exc:  # pragma: no cover - needs the hf extra
        return None, f"unavailable: {exc}"
    clf = ActionClassifier(path, device="cpu")
    try:
        clf.classify_sync(["warm-up"])
    except Exception as exc:
        return None, f"unavailable: {type(exc).__name__}: {exc}"

    def detect(text: str) -> bool:
        return clf.classify_sync([text])[0] in REFUSE_LABELS

    return detect, "loaded"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=SPLITS, action="append", help="default: all")
    ap.add_argument("--action-model", default=os.environ.get(ENV_ACTION), help="local dir")
    ap.add_argument("--errors", action="store_true", help="list the corrected profile's misses")
    args = ap.parse_args(argv)
    splits = args.split or list(SPLITS)
    sets = {s: load(s) for s in splits}

    detectors: list[tuple[str, Callable[[str], bool]]] = [
        (f"official ({detector_name('official')})", lambda t: is_refusal(t, "official")),
        (
            f"official-head ({detector_name('official-head')})",
            lambda t: is_refusal(t, "official-head"),
        ),
        (f"corrected ({detector_name('corrected')})", lambda t: is_refusal(t, "corrected")),
    ]
    action, why = action_detector(args.action_model)
    if action is not None:
        detectors.append(("longformer-action-ro (labels 0, 4)", action))
        detectors.append(
            ("official OR longformer (the paper)", lambda t: is_refusal(t, "official") or action(t))
        )

    print(f"{'detector':<44} {'split':<10} {'n':>4} {'P':>6} {'R':>6} {'F1':>6} {'answers/s':>10}")
    for name, fn in detectors:
        for split, rows in sets.items():
            texts = [str(r["text"]) for r in rows]
            gold = [bool(r["label"]) for r in rows]
            pred = [fn(t) for t in texts]
            p, r, f = prf(pred, gold)
            rate = throughput(fn, texts, 0.3 if split != "test" else 1.0)
            print(
                f"{name:<44} {split:<10} {len(rows):>4} {p:>6.3f} {r:>6.3f} {f:>6.3f} {rate:>10.0f}"
            )
    if action is None:
        print(f"longformer-action-ro (labels 0, 4)           {why}")
    if args.errors:
        for split, rows in sets.items():
            for row in rows:
                got = is_refusal(str(row["text"]), "corrected")
                if got != bool(row["label"]):
                    kind = "FP" if got else "FN"
                    print(f"{split:<10} {kind} {row['id']} {row['shape']:<12} {row['text']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
