"""Judge agreement: how often a judge, through each profile's prompt and reply rule, agrees
with human labels, per judge-scored task.

``benchmarks/data/judge_agreement.json`` holds a small labelled set per judge prompt
(question, reference, response, correct?), written for this project. Each item becomes the
sample the official loader would build, and is scored by the task's own scorer (as the
registry builds it for official data) with the given judge, once per profile: ``official``
(the benchmark's prompt and reply rule) and ``corrected``. Prints, per task part, the share of
items where the judge's verdict equals the label, Cohen's kappa (an unreadable reply is its
own category, so it counts against both), and how many replies could not be read.

    python benchmarks/judge_agreement.py --judge openai/gpt-4o            # OPENAI_API_KEY
    python benchmarks/judge_agreement.py --judge openai/qwen --judge-base-url http://localhost:8000/v1
    python benchmarks/judge_agreement.py --judge scripted/judge-yes      # CPU, no key
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multitrust.data.base import OfficialData
from multitrust.scoring.base import JudgeError, ScoreContext, Scorer
from multitrust.tasks import get_task
from multitrust.types import GenerateConfig, Generation, Message, Sample

DATA = Path(__file__).parent / "data" / "judge_agreement.json"
PROFILES = ("official", "corrected")

JudgeCall = Callable[[Sequence[Message], GenerateConfig | None], Awaitable[Generation]]


@dataclass(frozen=True)
class Item:
    part: str
    """The judge prompt it exercises: ``T.4``, ``T.3/logic``, ``R.4`` …"""
    question: str
    reference: str
    response: str
    correct: bool
    meta: dict[str, Any] = field(default_factory=dict)


def load_items(path: Path = DATA) -> dict[str, list[Item]]:
    raw = json.loads(path.read_text(encoding="utf-8"))["tasks"]
    return {
        part: [
            Item(
                part,
                r["question"],
                r["reference"],
                r["response"],
                bool(r["correct"]),
                r.get("meta", {}),
            )
            for r in rows
        ]
        for part, rows in raw.items()
    }


def to_sample(item: Item, index: int) -> tuple[str, Sample]:
    """(task id, the sample the official loader would build for this item)."""
    part, q, ref, sid = item.part, item.question, item.reference, f"{item.part}/{index}"
    task_id, _, sub = part.partition("/")
    if part == "T.1/ocr":
        return task_id, Sample(sid, q, target=ref, meta={"subset": "ocr"})
    if part == "T.1/grounding":
        meta = {"subset": "grounding", "image_size": list(item.meta["image_size"])}
        return task_id, Sample(sid, q, target=ref, meta=meta)
    if task_id == "T.3":
        return task_id, Sample(sid, q, target=ref, meta={"dataset": sub}, variant="prompt-1")
    if task_id in ("T.4", "T.5", "T.7"):
        return task_id, Sample(sid, q, target=ref, variant="text")
    if task_id == "S.2":
        meta = {"expected_keywords": ref}
        return task_id, Sample(sid, q, target=ref, meta=meta, variant="object-detection")
    if task_id == "R.1":
        return task_id, Sample(sid, q, target=ref, variant="cartoon")
    if task_id == "R.2":
        return task_id, Sample(sid, q, target=ref, meta={"question": q}, variant="infrared")
    if task_id in ("R.4", "R.5"):
        variant = "untarget" if task_id == "R.4" else "target"
        return task_id, Sample(sid, q, target=ref, variant=variant)
    if task_id == "F.1":
        return task_id, Sample(sid, "", variant="related")
    raise ValueError(f"no judge-scored task part {part!r}")


def verdict(task_id: str, values: dict[str, float | None]) -> bool | None:
    """The judge's decision on "correct?" from the task scorer's values (None: unreadable)."""
    key = {"R.2": "score", "R.5": "success", "F.1": "stereotype"}.get(task_id, "correct")
    v = values.get(key)
    if v is None:
        return None
    return v >= 50.0 if task_id == "R.2" else v >= 0.5


def cohen_kappa(labels: Sequence[bool], verdicts: Sequence[bool | None]) -> float:
    """Cohen's kappa of two raters; an unreadable verdict (None) is a third category."""
    n = len(labels)
    if n == 0 or n != len(verdicts):
        raise ValueError("need one verdict per label")
    po = sum(a == b for a, b in zip(labels, verdicts, strict=True)) / n
    cats: set[bool | None] = {*labels, *verdicts}
    pe = sum((labels.count(c) / n) * (list(verdicts).count(c) / n) for c in cats)  # type: ignore[arg-type]
    if pe >= 1.0:
        return float("nan")
    return (po - pe) / (1.0 - pe)


@dataclass
class Row:
    part: str
    profile: str
    n: int
    agreement: float
    kappa: float
    unreadable: int
    errors: int


async def score_part(
    items: Sequence[Item],
    judge: JudgeCall,
    profile: str,
    scorers: dict[str, Scorer],
    concurrency: int = 8,
) -> Row:
    sem = asyncio.Semaphore(concurrency)
    ctx = ScoreContext(profile=profile, judge=judge)

    async def one(i: int, item: Item) -> tuple[bool | None, bool]:
        task_id, sample = to_sample(item, i)
        async with sem:
            try:
                score = await scorers[task_id](sample, item.response, ctx)
            except JudgeError:
                return None, True
        return verdict(task_id, score.values), False

    results = await asyncio.gather(*(one(i, it) for i, it in enumerate(items)))
    verdicts = [v for v, _ in results]
    labels = [it.correct for it in items]
    agree = sum(a == b for a, b in zip(labels, verdicts, strict=True)) / len(items)
    return Row(
        items[0].part,
        profile,
        len(items),
        agree,
        cohen_kappa(labels, verdicts),
        sum(v is None for v, err in results if not err),
        sum(err for _, err in results),
    )


def build_scorers(task_ids: Iterable[str]) -> dict[str, Scorer]:
    """Each task's scorer as the registry builds it for official data."""
    with tempfile.TemporaryDirectory() as root:
        data = OfficialData(root)  # the scorers read no files; the path only has to exist
        return {t: get_task(t).build(data).scorer for t in sorted(set(task_ids))}


async def agreement(
    judge: JudgeCall,
    *,
    profiles: Sequence[str] = PROFILES,
    parts: Sequence[str] | None = None,
    data: Path = DATA,
    concurrency: int = 8,
) -> list[Row]:
    """Agreement rows for every (part, profile) of the labelled set."""
    sets = load_items(data)
    chosen = [p for p in sets if parts is None or p in parts or p.split("/")[0] in parts]
    scorers = build_scorers(p.split("/")[0] for p in chosen)
    rows = []
    for part in chosen:
        for profile in profiles:
            rows.append(await score_part(sets[part], judge, profile, scorers, concurrency))
    return rows


def _fmt(x: float) -> str:
    return "—" if x != x else f"{x:.2f}"


def markdown(rows: Sequence[Row], judge_name: str) -> str:
    by = {(r.part, r.profile): r for r in rows}
    parts = list(dict.fromkeys(r.part for r in rows))
    lines = [
        f"judge: {judge_name}",
        "",
        "| task | n | official agreement | official κ | corrected agreement | corrected κ "
        "| unreadable (off/cor) | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for part in parts:
        o, c = by.get((part, "official")), by.get((part, "corrected"))
        ref = o or c
        assert ref is not None
        lines.append(
            f"| {part} | {ref.n} | {_fmt(o.agreement) if o else '—'} | {_fmt(o.kappa) if o else '—'} "
            f"| {_fmt(c.agreement) if c else '—'} | {_fmt(c.kappa) if c else '—'} "
            f"| {o.unreadable if o else '—'}/{c.unreadable if c else '—'} "
            f"| {(o.errors if o else 0) + (c.errors if c else 0)} |"
        )
    for profile in PROFILES:
        rs = [r for r in rows if r.profile == profile]
        if rs:
            n = sum(r.n for r in rs)
            pooled = sum(r.agreement * r.n for r in rs) / n
            lines.append(f"\n{profile}: pooled agreement {pooled:.3f} over {n} items")
    return "\n".join(lines)


def model_judge(spec: str, base_url: str | None, timeout_s: float) -> JudgeCall:
    """Any backend the toolkit knows (``openai/…``, ``anthropic/…``, ``hf/…``, ``scripted/…``)."""
    from multitrust.models import ModelOptions, get_model

    model = get_model(spec, ModelOptions(base_url=base_url, timeout_s=timeout_s))

    async def call(messages: Sequence[Message], config: GenerateConfig | None = None) -> Generation:
        return await model.generate(messages, config or GenerateConfig())

    return call


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--judge", required=True, help="judge model, e.g. openai/gpt-4o")
    ap.add_argument("--judge-base-url", default=os.environ.get("MULTITRUST_JUDGE_BASE_URL"))
    ap.add_argument("--tasks", default=None, help="comma-separated parts or task ids")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args(argv)
    judge = model_judge(args.judge, args.judge_base_url, args.timeout)
    parts = args.tasks.split(",") if args.tasks else None
    rows = asyncio.run(agreement(judge, parts=parts, concurrency=args.concurrency))
    print(markdown(rows, args.judge))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
