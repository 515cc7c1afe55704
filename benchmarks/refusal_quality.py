"""Precision, recall, F1 and throughput of every refusal detector on the labelled answer sets.

Run: ``python benchmarks/refusal_quality.py`` (``--action-model DIR`` adds Do-Not-Answer's
Longformer action classifier from a local checkpoint; ``--split test`` limits the independent
sets; ``--combinations`` prints how each way of combining rules and model reads ``val``;
``--errors`` lists the corrected profile's misses; ``--judge MODEL`` adds the refusal judge's
agreement with the labels, when it is reachable). The tables are pasted into docs/scoring.md.

Two kinds of data:

* the independent sets in ``benchmarks/data/refusal/`` (see its README): ``train`` (what the
  rules were written against), ``test`` (held out from ``train``), ``challenge``, ``dev`` (the
  rules were extended on it) and ``holdout``; the model never trains on any of them;
* the generated corpus in ``benchmarks/data/refusal/corpus/`` (``scripts/refusal_corpus.py``):
  ``corpus:train`` (the model's training data), ``corpus:val`` (chose the thresholds and the
  combination), ``corpus:test-templates`` (phrasings never trained on) and
  ``corpus:test-categories`` (whole categories never trained on).

Throughput is answers per second of CPU time for one answer at a time, as the engine calls the
detector, over the whole split (repeated to at least ``--min-s`` seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from multitrust.scoring.refusal import MODEL_VERSION, RULES_VERSION, detector_name, is_refusal
from multitrust.scoring.refusal._engine import rules
from multitrust.scoring.refusal._model import load_model

DATA = Path(__file__).resolve().parent / "data" / "refusal"
SPLITS = ("train", "test", "challenge", "dev", "holdout")
CORPUS = ("train", "val", "test-templates", "test-categories")
ENV_ACTION = "MULTITRUST_ACTION_MODEL"
Rows = list[dict[str, object]]


def load(split: str) -> Rows:
    path = (
        DATA / "corpus" / f"{split[7:]}.jsonl"
        if split.startswith("corpus:")
        else DATA / f"{split}.jsonl"
    )
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def prf(pred: Sequence[bool], gold: Sequence[bool]) -> tuple[float, float, float]:
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
    fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def throughput(fn: Callable[[str], object], texts: Sequence[str], min_s: float = 1.0) -> float:
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


def judge_agreement(
    spec: str | None,
    sets: dict[str, Rows],
    *,
    base_url: str | None,
    api_key: str | None,
    limit: int,
    width: int = 8,
) -> list[str]:
    """The lines reporting the refusal judge (``--refusal-judge``'s fixed prompt) against the
    labels: P/R/F1 per split over up to ``limit`` answers each (every k-th, in file order), the
    calls that failed left out and counted; or one line saying why this part was skipped."""
    if not spec:
        return ["refusal judge: skipped (no judge given: --judge PROVIDER/NAME)"]
    import asyncio

    from multitrust.models import ModelOptions, get_model
    from multitrust.scoring.refusal._judge import CONFIG, VERSION, judge_messages, read_verdict

    try:
        model = get_model(spec, ModelOptions(base_url=base_url, api_key=api_key, timeout_s=60))
    except Exception as exc:
        return [f"refusal judge: skipped ({spec} unavailable: {exc})"]

    async def verdicts(rows: Rows) -> list[bool | Exception | None]:
        gate = asyncio.Semaphore(width)

        async def one(row: dict[str, object]) -> bool | Exception | None:
            question = f"[not recorded: a {row.get('task', 'chat')} request]"
            async with gate:
                try:
                    gen = await model.generate(judge_messages(question, str(row["text"])), CONFIG)
                except Exception as exc:
                    return exc
            if gen.error is not None:
                return RuntimeError(gen.error)
            return read_verdict(gen.text or "")

        return list(await asyncio.gather(*(one(r) for r in rows)))

    async def probe() -> Exception | None:
        (first,) = await verdicts([{"text": "I'm sorry, but I can't help with that."}])
        return first if isinstance(first, Exception) else None

    failed = asyncio.run(probe())
    if failed is not None:
        return [f"refusal judge: skipped ({spec} unreachable: {failed})"]
    out = [f"\nrefusal judge {spec} ({VERSION}) against the labels"]
    for split, rows in sets.items():
        step = max(1, -(-len(rows) // limit))
        chosen = rows[::step]
        got = asyncio.run(verdicts(chosen))
        ok = [
            (g, bool(r["label"])) for g, r in zip(got, chosen, strict=True) if isinstance(g, bool)
        ]
        errors = sum(isinstance(g, Exception) for g in got)
        unread = sum(g is None for g in got)
        p, r, f = prf([g for g, _ in ok], [y for _, y in ok])
        out.append(
            f"judge {spec:<38} {split:<24} {len(ok):>4} {p:>6.3f} {r:>6.3f} {f:>6.3f}"
            f"   ({errors} failed, {unread} neither yes nor no)"
        )
    return out


def combinations(rows: Rows) -> list[tuple[str, float, float, float]]:
    """How each way of combining the rules and the model reads ``rows`` (P, R, F1)."""
    m = load_model()
    gold = [bool(r["label"]) for r in rows]
    read = [(rules(str(r["text"])), m.probability(str(r["text"]))) for r in rows]
    ways: dict[str, Callable[[object, float], bool]] = {
        "rules alone": lambda v, p: v.refusal,  # type: ignore[attr-defined]
        "model alone (p >= 0.5)": lambda v, p: p >= 0.5,
        "rules OR model": lambda v, p: v.refusal or p >= 0.5,  # type: ignore[attr-defined]
        "rules decide, model where no cue (0.5)": lambda v, p: (
            v.refusal if v.decided else p >= 0.5  # type: ignore[attr-defined]
        ),
        f"shipped (no cue: p >= {m.undecided_from}, rule refusal kept unless p < {m.override_below})": lambda v, p: (
            (v.refusal and p >= m.override_below) if v.decided else p >= m.undecided_from  # type: ignore[attr-defined]
        ),
    }
    out = []
    for name, way in ways.items():
        p, r, f = prf([way(v, q) for v, q in read], gold)
        out.append((name, p, r, f))
    return out


def per_category(rows: Rows, fn: Callable[[str], bool]) -> dict[str, tuple[int, int, float]]:
    """category -> (label, n, share read correctly: recall for refusals, specificity else)."""
    acc: dict[str, list[int]] = {}
    for r in rows:
        a = acc.setdefault(str(r["category"]), [int(str(r["label"])), 0, 0])
        a[1] += 1
        a[2] += fn(str(r["text"])) == bool(r["label"])
    return {k: (v[0], v[1], v[2] / v[1]) for k, v in sorted(acc.items())}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=SPLITS, action="append", help="default: all")
    ap.add_argument("--action-model", default=os.environ.get(ENV_ACTION), help="local dir")
    ap.add_argument("--errors", action="store_true", help="list the corrected profile's misses")
    ap.add_argument("--combinations", action="store_true", help="rules/model combinations on val")
    ap.add_argument("--min-s", type=float, default=0.3, help="CPU seconds per throughput figure")
    ap.add_argument("--judge", help="refusal judge to compare with the labels (PROVIDER/NAME)")
    ap.add_argument("--judge-base-url", help="its OpenAI-compatible server, if any")
    ap.add_argument("--judge-api-key", help="its key (default: the provider's variable)")
    ap.add_argument("--judge-limit", type=int, default=200, help="answers per split (default 200)")
    args = ap.parse_args(argv)
    splits = list(args.split or SPLITS) + [f"corpus:{s}" for s in CORPUS]
    sets = {s: load(s) for s in splits}

    model = load_model()
    detectors: list[tuple[str, Callable[[str], bool]]] = [
        (f"official ({detector_name('official')})", lambda t: is_refusal(t, "official")),
        (
            f"official-head ({detector_name('official-head')})",
            lambda t: is_refusal(t, "official-head"),
        ),
        (f"corrected ({detector_name('corrected')})", lambda t: is_refusal(t, "corrected")),
        (f"{RULES_VERSION} alone", lambda t: rules(t).refusal),
        (f"model {MODEL_VERSION} alone", model.is_refusal),
    ]
    action, why = action_detector(args.action_model)
    if action is not None:
        detectors.append(("longformer-action-ro (labels 0, 4)", action))
        detectors.append(
            ("official OR longformer (the paper)", lambda t: is_refusal(t, "official") or action(t))
        )

    print(f"{'detector':<44} {'split':<24} {'n':>4} {'P':>6} {'R':>6} {'F1':>6} {'answers/s':>10}")
    for name, fn in detectors:
        for split, rows in sets.items():
            texts = [str(r["text"]) for r in rows]
            gold = [bool(r["label"]) for r in rows]
            p, r, f = prf([fn(t) for t in texts], gold)
            rate = throughput(fn, texts, args.min_s)
            print(
                f"{name:<44} {split:<24} {len(rows):>4} {p:>6.3f} {r:>6.3f} {f:>6.3f} {rate:>10.0f}"
            )
    if action is None:
        print(f"longformer-action-ro (labels 0, 4)           {why}")

    corrected = detectors[2][1]
    print("\nper category, corrected profile (refusal categories: recall; answers: specificity)")
    print(f"{'split':<24} {'category':<18} {'label':>5} {'n':>4} {'correct':>8}")
    for split in ("corpus:val", "corpus:test-templates", "corpus:test-categories"):
        for cat, (label, n, share) in per_category(sets[split], corrected).items():
            print(f"{split:<24} {cat:<18} {label:>5} {n:>4} {share:>8.3f}")

    if args.combinations:
        print("\ncombinations of rules and model on corpus:val (chosen there)")
        for name, p, r, f in combinations(sets["corpus:val"]):
            print(f"{name:<92} {p:>6.3f} {r:>6.3f} {f:>6.3f}")
    for line in judge_agreement(
        args.judge,
        sets,
        base_url=args.judge_base_url,
        api_key=args.judge_api_key,
        limit=args.judge_limit,
    ):
        print(line)
    if args.errors:
        for split, rows in sets.items():
            for row in rows:
                got = is_refusal(str(row["text"]), "corrected")
                if got != bool(row["label"]):
                    kind = "FP" if got else "FN"
                    shape = row.get("shape", row.get("category"))
                    print(f"{split:<24} {kind} {row['id']} {shape!s:<16} {row['text']!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
