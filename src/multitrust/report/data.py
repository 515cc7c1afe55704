"""Gather what the report and the leaderboard show, from the store (no rendering here).

Everything a page or a terminal table shows is decided here: which runs rank with the published
rows and which are marked and ranked apart (:func:`leaderboard`), the notes each row refers to
(:class:`Footnotes`), the CIs of cross-modal deltas and per-group rates (the same seeded
percentile bootstrap over samples as task CIs), the errored samples' causes, and how much of
each failing sample the report embeds (:data:`TEXT_CAP`, :data:`GALLERY_BUDGET`).
"""

from __future__ import annotations

import base64
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multitrust.aggregate import (
    SUB_ASPECTS,
    deviates,
    overall_score,
    reference_leaderboard,
    split_notes,
    sub_aspect_scores,
)
from multitrust.formula import Results, Row, bootstrap_ci
from multitrust.report.gallery import is_failure
from multitrust.scoring.releases import profile_label
from multitrust.store import ResultRow, RunInfo, Store, cause_text
from multitrust.tasks import all_tasks
from multitrust.tasks.base import SUB_ASPECT_NAMES
from multitrust.types import Score

GALLERY_PER_TASK = 12
"""Failing samples shown per task and run."""
TEXT_CAP = 2000
"""Characters of a prompt, answer, explanation or error message the report embeds."""
GALLERY_BUDGET = 24_000_000
"""Bytes of failing samples (text and images) one report embeds, over all its runs; past it,
further failures are counted, not shown (``multitrust export`` has every row)."""
CAUSES_PER_TASK = 5
EXAMPLES_PER_CAUSE = 3
BOOTSTRAP = 200
"""Resamples for the CIs of deltas and group rates: the run default (``RunConfig.bootstrap``)."""
BOOTSTRAP_SEED = 0
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
SUB_ASPECT_LABELS = {c: f"{c} {SUB_ASPECT_NAMES[c]}" for c in SUB_ASPECTS}


def clip(text: str | None, cap: int = TEXT_CAP) -> str:
    """``text`` cut to ``cap`` characters, saying how much was left out."""
    if not text:
        return ""
    if len(text) <= cap:
        return text
    return f"{text[:cap]}… ({len(text) - cap:,} more chars)"


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

    @property
    def deviation_notes(self) -> list[str]:
        """Each distinct note of the deviation once (stores written before notes were
        de-duplicated hold some twice)."""
        return split_notes(self.deviation)


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
class ErrorCause:
    """Samples of one task that failed the same way: how many, and which."""

    task_id: str
    kind: str
    message: str
    count: int
    examples: list[str]
    """``sample_id (variant)`` of the first few."""


@dataclass
class Note:
    tag: str
    """A word or two shown in the row; the text is a footnote, shown once."""
    text: str


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
    gallery_omitted: int = 0
    """Failures not shown because the report's size budget was spent."""
    errors: list[ErrorCause] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def data_kind(self) -> str:
        return str(self.run.data.get("kind", "?"))

    @property
    def data_text(self) -> str:
        return data_text(self.run)

    @property
    def judged(self) -> bool:
        """Whether any task was scored by a judge (the per-task table's judge column)."""
        return any(t.judge for t in self.tasks)

    @property
    def missing_sub_aspects(self) -> list[str]:
        return [c for c in SUB_ASPECTS if self.sub_aspects.get(c) is None]

    @property
    def tasks_ok(self) -> int:
        return sum(t.status == "ok" for t in self.tasks)

    @property
    def n_errors(self) -> int:
        return sum(t.n_errors for t in self.tasks)

    def top_causes(self, k: int = CAUSES_PER_TASK) -> list[tuple[str, str, int]]:
        """The run's most frequent error causes over all tasks: (kind, message, count)."""
        total: Counter[tuple[str, str]] = Counter()
        for c in self.errors:
            total[(c.kind, c.message)] += c.count
        return [(kind, msg, n) for (kind, msg), n in total.most_common(k)]


def data_text(run: RunInfo) -> str:
    """The data a run used, with what tells two runs of one model apart: ``synth · size 5 ·
    seed 1``; official data shows a sample cap only when one was set."""
    d = run.data
    kind = str(d.get("kind", "?"))
    parts = [kind]
    size = d.get("size")
    if kind == "synth":
        parts.append(f"size {size if size is not None else 'default'}")
    elif size is not None:
        parts.append(f"cap {size}")
    if d.get("seed") is not None:
        parts.append(f"seed {d['seed']}")
    return " · ".join(parts)


def _primary_metric(values: dict[str, Any]) -> str | None:
    for k in ("correct", "refusal", "agree", "leak", "jailbroken", "score", "toxicity"):
        if k in values:
            return k
    return next(iter(values), None)


def _mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _ci(rows: Sequence[Row], formula: Callable[[Results], float]) -> tuple[float, float] | None:
    """The percentile bootstrap CI of ``formula`` over ``rows``, resampling samples with the
    seed, count and fixed row order that task CIs use (``aggregate.compute_task``); None
    from fewer than two samples."""
    if len({row.sample_id for row in rows}) < 2:
        return None
    n_boot = BOOTSTRAP if len(rows) <= 5000 else max(50, BOOTSTRAP // 4)
    ordered = Results(sorted(rows, key=lambda row: (row.sample_id, row.variant)))
    lo, hi = bootstrap_ci(ordered, formula, n=n_boot, seed=BOOTSTRAP_SEED)
    if math.isnan(lo) or math.isnan(hi):
        return None
    return (lo, hi)


class _Budget:
    """Bytes of failing samples a report may still embed."""

    def __init__(self, total: int) -> None:
        self.left = total

    def take(self, n: int) -> bool:
        if n > self.left:
            self.left = 0
            return False
        self.left -= n
        return True


def _entry(store: Store, run: RunInfo, budget: _Budget) -> Entry:
    names = {s.id: s for s in all_tasks(plugins=True)}
    trs = store.task_results(run.run_id)
    tasks = [
        TaskRow(
            t["task_id"],
            names[t["task_id"]].name,
            names[t["task_id"]].sub_aspect,
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
    data_kind = str(run.data.get("kind", "?"))
    comparable = data_kind == "official" and all(
        not deviates(t.deviation) for t in tasks if t.status == "ok"
    )
    e = Entry(
        run=run,
        label=f"{run.model} · {data_text(run)} · profile {profile_label(run.profile)}",
        calibration=run.model.startswith(CALIBRATION_PREFIX),
        comparable=comparable,
        tasks=tasks,
        sub_aspects={k: v.score for k, v in subs.items()},
        sub_partial={k: v.partial for k, v in subs.items()},
        overall=overall,
        overall_partial=any(v.score is None or v.partial for v in subs.values()),
    )
    if e.calibration:
        e.notes.append(Note("calibration", CALIBRATION_NOTE))
    if data_kind != "official":
        e.notes.append(Note("synthetic data", SYNTH_NOTE))
    if e.overall_partial:  # of the paper's tasks: a plugin's task is not in the overall
        paper = [s for s in names.values() if s.plugin is None]
        ok = sum(1 for t in tasks if t.status == "ok" and names[t.task_id].plugin is None)
        e.notes.append(Note(f"partial: {ok} of {len(paper)} tasks scored", PARTIAL_NOTE))
    if any(deviates(t.deviation) for t in tasks):
        e.notes.append(Note("deviations", DEVIATION_NOTE))
    if e.n_errors:
        e.notes.append(Note(f"{e.n_errors} errored samples", ERRORS_NOTE))
    _collect_rows(store, e, budget)
    return e


CALIBRATION_NOTE = (
    "Calibration baseline: a scripted model (always refuses, always complies, or answers the "
    "target) that shows what a task's score range is; never ranked with models."
)
SYNTH_NOTE = (
    "Synthetic data: scores measure the same behaviours on generated samples and are not "
    "comparable with the published leaderboard; these runs are ranked apart from it."
)
PARTIAL_NOTE = (
    "Partial: some sub-aspects are computed from a subset of their tasks or are missing; the "
    "overall is the mean of the sub-aspects present, so it is not comparable with a complete "
    "run and is ranked apart."
)
DEVIATION_NOTE = (
    "Some tasks were scored differently from the paper: see the deviation notes of the "
    "per-task table."
)
ERRORS_NOTE = (
    "Some samples failed (a model call error) and were not scored: see 'Errored samples' for "
    "the causes. Errors are never scored as answers."
)


def _rows_of(rs: list[ResultRow]) -> list[Row]:
    return [Row(r.sample_id, r.variant, r.meta, r.values or {}, r.label) for r in rs]


def _example(store: Store, r: ResultRow, thumbs_cache: dict[str, str | None]) -> Example:
    thumbs = []
    for img in r.images:
        sha = str(img.get("sha256", ""))
        if sha not in thumbs_cache:
            t = store.thumbnail(sha)
            thumbs_cache[sha] = (
                f"data:{t[0]};base64,{base64.b64encode(t[1]).decode()}" if t else None
            )
        src = thumbs_cache[sha]
        if src:
            thumbs.append(src)
    return Example(
        r.task_id,
        clip(r.sample_id, 200),
        r.variant,
        clip(r.prompt),
        clip(r.output),
        r.values or {},
        r.label,
        clip(r.explanation) or None,
        thumbs,
    )


def _example_bytes(x: Example) -> int:
    text = x.prompt + x.output + (x.explanation or "")
    return len(text.encode("utf-8")) + sum(len(t) for t in x.thumbs) + 600


def _collect_rows(store: Store, e: Entry, budget: _Budget) -> None:
    fairness_tasks = {s.id for s in all_tasks() if s.aspect == "fairness"}
    scored: dict[str, list[ResultRow]] = defaultdict(list)
    causes: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    gallery_count: dict[str, int] = defaultdict(int)
    thumbs_cache: dict[str, str | None] = {}
    for r in store.iter_results(e.run.run_id):
        if r.error is not None:
            kind = r.error_kind or "other"
            key = (r.task_id, kind, clip(cause_text(kind, r.error), 300))
            causes[key].append(clip(f"{r.sample_id} ({r.variant})", 200))
            continue
        if not r.values:
            continue
        scored[r.task_id].append(r)
        if is_failure(Score(r.values)):
            if gallery_count[r.task_id] >= GALLERY_PER_TASK:
                continue
            x = _example(store, r, thumbs_cache)
            if budget.take(_example_bytes(x)):
                gallery_count[r.task_id] += 1
                e.gallery.append(x)
            else:
                e.gallery_omitted += 1
    order = {s.id: s.number for s in all_tasks(plugins=True)}
    per_task: dict[str, list[ErrorCause]] = defaultdict(list)
    for (task_id, kind, message), samples in causes.items():
        per_task[task_id].append(
            ErrorCause(task_id, kind, message, len(samples), samples[:EXAMPLES_PER_CAUSE])
        )
    for task_id in sorted(per_task, key=lambda t: order.get(t, 0)):
        top = sorted(per_task[task_id], key=lambda c: (-c.count, c.kind, c.message))
        e.errors.extend(top[:CAUSES_PER_TASK])
        rest = top[CAUSES_PER_TASK:]
        if rest:
            e.errors.append(
                ErrorCause(
                    task_id,
                    "other",
                    f"{len(rest)} other causes",
                    sum(c.count for c in rest),
                    [s for c in rest[:1] for s in c.examples],
                )
            )
    for task_id in sorted(scored, key=lambda t: order.get(t, 0)):
        rs = scored[task_id]
        metric = _primary_metric(rs[0].values or {}) or ""
        rows = [
            row
            for row in _rows_of(rs)
            if isinstance(row.values.get(metric), (int, float))
            and not math.isnan(float(row.values[metric] or 0.0))
        ]
        if not rows:
            continue
        _deltas(e, task_id, metric, rows)
        if task_id in fairness_tasks:
            _fairness(e, task_id, metric, rows)


def _rate(metric: str) -> Callable[[Results], float]:
    def f(r: Results) -> float:
        return r.mean(metric)

    return f


def _delta(metric: str, variant: str) -> Callable[[Results], float]:
    def f(r: Results) -> float:
        return r.mean(metric, variant=variant) - r.mean(metric, variant="text")

    return f


def _deltas(e: Entry, task_id: str, metric: str, rows: list[Row]) -> None:
    """Each image variant against text-only, over the samples that have both (paired)."""
    by_sample: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_sample[row.sample_id].add(row.variant)
    variants = sorted({row.variant for row in rows} - {"text"})
    if not any("text" in vs for vs in by_sample.values()):
        return
    for variant in variants:
        paired = {s for s, vs in by_sample.items() if "text" in vs and variant in vs}
        if not paired:
            continue
        sel = [row for row in rows if row.sample_id in paired and row.variant in ("text", variant)]
        res = Results(sel)
        text = res.mean(metric, variant="text")
        with_image = res.mean(metric, variant=variant)
        e.deltas.append(
            {
                "task_id": task_id,
                "metric": metric,
                "variant": variant,
                "n": len(paired),
                "text": text,
                "with_image": with_image,
                "delta": with_image - text,
                "ci": _ci(sel, _delta(metric, variant)),
            }
        )


def _fairness(e: Entry, task_id: str, metric: str, rows: list[Row]) -> None:
    """The metric's rate per group of each grouping key the task's samples carry."""
    for key in FAIRNESS_KEYS:
        groups: dict[str, list[Row]] = defaultdict(list)
        for row in rows:
            v = row.meta.get(key)
            if isinstance(v, (str, int, float)) and not isinstance(v, bool):
                groups[str(v)].append(row)
        for group in sorted(groups):
            sel = groups[group]
            e.fairness.append(
                {
                    "task_id": task_id,
                    "metric": metric,
                    "key": key,
                    "group": clip(group, 200),
                    "n": len({row.sample_id for row in sel}),
                    "rate": _mean([float(row.values[metric] or 0.0) for row in sel]),
                    "ci": _ci(sel, _rate(metric)),
                }
            )


def gather(
    db: str | Path | None = None,
    models: list[str] | None = None,
    *,
    budget: int = GALLERY_BUDGET,
) -> list[Entry]:
    """Every run of ``models`` (None: all) in the store, best first: ranked runs, then runs
    ranked apart (partial or synthetic), then calibration baselines."""
    store = Store(db, read_only=True)
    left = _Budget(budget)
    try:
        runs = [r for r in store.runs() if not models or r.model in models]
        entries = [_entry(store, r, left) for r in runs]
    finally:
        store.close()
    entries.sort(key=lambda e: (group_of(e), -(e.overall if e.overall is not None else -1)))
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


# --------------------------------------------------------------------------- footnotes


class Footnotes:
    """Numbered notes, each text once: rows refer to them by number."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._no: dict[str, int] = {}

    def ref(self, text: str) -> int:
        if text not in self._no:
            self.texts.append(text)
            self._no[text] = len(self.texts)
        return self._no[text]

    @classmethod
    def of(cls, entries: Sequence[Entry]) -> Footnotes:
        """Run notes first, then the tasks' deviation notes, in the order they appear."""
        f = cls()
        for e in entries:
            for n in e.notes:
                f.ref(n.text)
        for e in entries:
            for t in e.tasks:
                for d in t.deviation_notes:
                    f.ref(d)
        return f


# --------------------------------------------------------------------------- leaderboard

RANKED, APART, CALIBRATION = 0, 1, 2


def group_of(e: Entry) -> int:
    if e.calibration:
        return CALIBRATION
    if e.data_kind != "official" or e.overall_partial or e.overall is None:
        return APART
    return RANKED
