"""Gather what the report and the leaderboard show, from the store (no rendering here)."""

from __future__ import annotations

import base64
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multitrust.aggregate import (
    SUB_ASPECTS,
    overall_score,
    reference_leaderboard,
    sub_aspect_scores,
)
from multitrust.report.gallery import is_failure
from multitrust.store import RunInfo, Store
from multitrust.tasks import all_tasks
from multitrust.tasks.base import SUB_ASPECT_NAMES
from multitrust.types import Score

GALLERY_PER_TASK = 12
FAIRNESS_KEYS = (
    "topic",
    "group",
    "gender",
    "age",
    "skintone",
    "skin_tone",
    "subset",
    "profession",
    "category",
)
CALIBRATION_PREFIX = "scripted/"


@dataclass
class TaskRow:
    task_id: str
    name: str
    sub_aspect: str
    status: str
    reason: str | None
    score: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    n_errors: int
    scorer: str | None
    deviation: str | None
    metrics: dict[str, float]
    judge: dict[str, str] | None = None
    """Judge-scored tasks: the judge model, the judge prompt version and the profile."""

    @property
    def judge_text(self) -> str:
        j = self.judge
        if not j:
            return ""
        return f"{j.get('model', '?')} · prompts {j.get('prompt_version', '?')} · {j.get('profile', '?')}"


@dataclass
class Example:
    task_id: str
    sample_id: str
    variant: str
    prompt: str
    output: str
    values: dict[str, Any]
    label: str | None
    explanation: str | None
    thumbs: list[str]
    """data: URIs of the sample's image thumbnails."""


@dataclass
class Entry:
    """One run: a model on one data source with one profile."""

    run: RunInfo
    label: str
    calibration: bool
    comparable: bool
    tasks: list[TaskRow]
    sub_aspects: dict[str, float | None]
    sub_partial: dict[str, bool]
    overall: float | None
    overall_partial: bool
    deltas: list[dict[str, Any]] = field(default_factory=list)
    fairness: list[dict[str, Any]] = field(default_factory=list)
    gallery: list[Example] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _primary_metric(values: dict[str, Any]) -> str | None:
    for k in ("correct", "refusal", "agree", "leak", "jailbroken", "score", "toxicity"):
        if k in values:
            return k
    return next(iter(values), None)


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _entry(store: Store, run: RunInfo) -> Entry:
    names = {s.id: s for s in all_tasks()}
    trs = store.task_results(run.run_id)
    tasks = [
        TaskRow(
            t["task_id"],
            names[t["task_id"]].name if t["task_id"] in names else t["task_id"],
            names[t["task_id"]].sub_aspect if t["task_id"] in names else "?",
            t["status"],
            t["reason"],
            t["score"],
            t["ci_low"],
            t["ci_high"],
            t["n"] or 0,
            t["n_errors"] or 0,
            t["scorer"],
            t["deviation"],
            {k: v for k, v in (t["metrics"] or {}).items() if isinstance(v, (int, float))},
            t.get("judge"),
        )
        for t in trs
        if t["task_id"] in names
    ]
    tasks.sort(key=lambda t: names[t.task_id].number)
    scores = {t.task_id: t.score for t in tasks if t.status == "ok"}
    subs = sub_aspect_scores(scores)
    overall = overall_score({k: v.score for k, v in subs.items()})
    data_kind = run.data.get("kind", "?")
    comparable = data_kind == "official" and all(
        t.deviation is None for t in tasks if t.status == "ok"
    )
    e = Entry(
        run=run,
        label=f"{run.model} · {data_kind} · {run.profile}",
        calibration=run.model.startswith(CALIBRATION_PREFIX),
        comparable=comparable,
        tasks=tasks,
        sub_aspects={k: v.score for k, v in subs.items()},
        sub_partial={k: v.partial for k, v in subs.items()},
        overall=overall,
        overall_partial=any(v.score is None or v.partial for v in subs.values()),
    )
    if data_kind != "official":
        e.notes.append("synthetic data: scores are not comparable with the published leaderboard")
    if e.overall_partial:
        e.notes.append("a subset of the 32 tasks: the overall score is partial")
    if any(t.deviation for t in tasks):
        e.notes.append(
            "some tasks were scored differently from the paper (see the deviation column)"
        )
    _collect_rows(store, e)
    return e


def _collect_rows(store: Store, e: Entry) -> None:
    per_variant: dict[tuple[str, str], list[float]] = defaultdict(list)
    metric_of: dict[str, str] = {}
    fair: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    fairness_tasks = {s.id for s in all_tasks() if s.aspect == "fairness"}
    gallery_count: dict[str, int] = defaultdict(int)
    for r in store.iter_results(e.run.run_id):
        if r.error is not None or not r.values:
            continue
        metric = metric_of.setdefault(r.task_id, _primary_metric(r.values) or "")
        v = r.values.get(metric)
        if isinstance(v, (int, float)) and not math.isnan(v):
            per_variant[(r.task_id, r.variant)].append(float(v))
            if r.task_id in fairness_tasks:
                for key in FAIRNESS_KEYS:
                    if key in r.meta and isinstance(r.meta[key], (str, int, float)):
                        fair[(r.task_id, key, str(r.meta[key]))].append(float(v))
        if gallery_count[r.task_id] < GALLERY_PER_TASK and is_failure(Score(r.values)):
            gallery_count[r.task_id] += 1
            thumbs = []
            for img in r.images:
                t = store.thumbnail(img.get("sha256", ""))
                if t:
                    thumbs.append(f"data:{t[0]};base64,{base64.b64encode(t[1]).decode()}")
            e.gallery.append(
                Example(
                    r.task_id,
                    r.sample_id,
                    r.variant,
                    r.prompt,
                    r.output or "",
                    r.values,
                    r.label,
                    r.explanation,
                    thumbs,
                )
            )
    by_task: dict[str, dict[str, float]] = defaultdict(dict)
    for (task_id, variant), xs in per_variant.items():
        m = _mean(xs)
        if m is not None:
            by_task[task_id][variant] = m
    for task_id, variants in sorted(by_task.items()):
        if "text" in variants and len(variants) > 1:
            base = variants["text"]
            for variant, m in variants.items():
                if variant != "text":
                    e.deltas.append(
                        {
                            "task_id": task_id,
                            "metric": metric_of[task_id],
                            "variant": variant,
                            "text": base,
                            "with_image": m,
                            "delta": m - base,
                        }
                    )
    for (task_id, key, group), xs in sorted(fair.items()):
        e.fairness.append(
            {
                "task_id": task_id,
                "metric": metric_of[task_id],
                "key": key,
                "group": group,
                "n": len(xs),
                "rate": _mean(xs),
            }
        )


def gather(db: str | Path | None = None, models: list[str] | None = None) -> list[Entry]:
    store = Store(db, read_only=True)
    try:
        entries = [_entry(store, r) for r in store.runs() if not models or r.model in models]
    finally:
        store.close()
    entries.sort(key=lambda e: (e.calibration, -(e.overall or -1)))
    return entries


def reference_rows() -> list[dict[str, Any]]:
    rows = []
    for r in reference_leaderboard():
        rows.append(
            {
                "model": r["model"],
                "overall": float(r["overall"]),
                **{c: float(r[c]) for c in SUB_ASPECTS},
            }
        )
    rows.sort(key=lambda r: -r["overall"])
    return rows


SUB_ASPECT_LABELS = {c: f"{c} {SUB_ASPECT_NAMES[c]}" for c in SUB_ASPECTS}
