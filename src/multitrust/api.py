"""The Python API: ``evaluate()`` runs tasks against a model and returns a RunReport."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from multitrust import __version__
from multitrust.aggregate import (
    SubAspectScore,
    TaskOutcome,
    compute_task,
    overall_score,
    rows_from_store,
    sub_aspect_scores,
)
from multitrust.data.base import DataSource, open_data
from multitrust.engine.retry import RetryPolicy
from multitrust.engine.runner import Counters, Engine, EngineConfig
from multitrust.errors import ConfigError, MultitrustError, Unavailable
from multitrust.models.base import Model, ModelOptions, get_model
from multitrust.scoring.base import PROFILES
from multitrust.store import Store
from multitrust.tasks.base import Task, TaskSpec, select_tasks

P = ParamSpec("P")
R = TypeVar("R")


@dataclass
class RunReport:
    run_id: str
    model: str
    judge: str | None
    profile: str
    data: dict[str, Any]
    tasks: dict[str, TaskOutcome]
    sub_aspects: dict[str, SubAspectScore]
    overall: float | None
    overall_partial: bool
    counters: Counters
    elapsed_s: float
    db: str
    task_errors: dict[str, str] = field(default_factory=dict)

    def scores(self) -> dict[str, float | None]:
        return {k: v.score for k, v in self.tasks.items()}


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def run_id_for(
    model: Model,
    data: DataSource,
    profile: str,
    judge: Model | None,
    limit: int | None,
    resources: dict[str, Any] | None = None,
) -> str:
    ident = {
        # which scorer resources were configured changes what gets scored (names only: no secrets)
        "resources": {
            k: (v.describe() if hasattr(v, "describe") else True)
            for k, v in sorted((resources or {}).items())
            if v is not None
        },
        "model": model.cache_identity(),
        "data": data.describe(),
        "profile": profile,
        "judge": judge.cache_identity() if judge else None,
        "limit": limit,
    }
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _default_resources(given: dict[str, Any] | None) -> dict[str, Any]:
    """Scorer resources: what the caller gave, plus the toxicity APIs whose keys are set.

    Only markers go in (the scorers read the keys from the environment themselves), so nothing
    secret is ever part of a run's identity or settings.
    """
    res = dict(given or {})
    if os.environ.get("PERSPECTIVE_API_KEY"):
        res.setdefault("perspective", True)
    if os.environ.get("OPENAI_API_KEY"):
        res.setdefault("moderation", True)
    return res


def _harm_classifier(spec: str, base_url: str | None, timeout_s: float) -> Any:
    """The HarmBench classifier: ``hf/<dir or repo>`` runs it locally, any other model name
    (e.g. ``openai/cais/HarmBench-Llama-2-13b-cls`` with a vLLM ``base_url``) through that backend."""
    from multitrust.scoring.classifiers import HarmBenchClassifier

    if spec.startswith("hf/"):
        return HarmBenchClassifier(spec[3:])
    return HarmBenchClassifier(
        get_model(spec, ModelOptions(base_url=base_url, timeout_s=timeout_s))
    )


def _action_classifier(spec: str, *, device: str | None) -> Any:
    """The Do-Not-Answer action classifier, run locally: ``hf/LibrAI/longformer-action-ro`` or a dir."""
    from multitrust.scoring.classifiers import ActionClassifier

    if not spec.startswith("hf/"):
        raise ConfigError(
            f"--refusal-classifier must be a local hf/ checkpoint, e.g. hf/LibrAI/longformer-action-ro (got {spec!r})"
        )
    return ActionClassifier(spec[3:], device=device)


def _needs_scoring_pass(model: Model, judge: Model | None, resources: dict[str, Any]) -> bool:
    """A local model under test and a local judge/classifier must not share the device."""
    if model.concurrent:
        return False
    if judge is not None and not judge.concurrent:
        return True
    from multitrust.scoring.classifiers import ActionClassifier

    return any(
        getattr(r, "remote", True) is None or isinstance(r, ActionClassifier)
        for r in resources.values()
    )


def _requirements_met(
    spec: TaskSpec, task: Task, judge: Model | None, resources: dict[str, Any]
) -> None:
    for need in task.scorer.requires:
        if need == "judge":
            if judge is None:
                raise Unavailable(f"needs a judge model (--judge), scorer {task.scorer.name}")
        elif need not in resources:
            raise Unavailable(f"scorer {task.scorer.name} needs {need!r}, which is not configured")


async def evaluate_async(
    model: str | Model,
    tasks: str | Sequence[str] | None = None,
    *,
    data: str | DataSource | None = "synth",
    db: str | Path | None = None,
    seed: int = 0,
    size: int | None = None,
    limit: int | None = None,
    judge: str | Model | None = None,
    profile: str = "corrected",
    max_connections: int = 32,
    base_url: str | None = None,
    api_key: str | None = None,
    judge_base_url: str | None = None,
    max_image_side: int | None = None,
    timeout_s: float = 120.0,
    max_attempts: int = 6,
    rate_limit_budget_s: float = 600.0,
    batch_size: int | None = None,
    device: str | None = None,
    dtype: str | None = None,
    bootstrap: int = 200,
    resources: dict[str, Any] | None = None,
    harm_classifier: str | None = None,
    harm_base_url: str | None = None,
    refusal_classifier: str | None = None,
    on_progress: Callable[[str, Counters], None] | None = None,
    on_task_start: Callable[[TaskSpec], None] | None = None,
) -> RunReport:
    """Evaluate ``model`` on ``tasks`` (ids, aspects or sub-aspect codes; None = all 32).

    Results are written to the store ``db`` as they arrive; rerunning the same call resumes
    (zero model calls when everything is done). Returns task, sub-aspect and overall scores.
    """
    if profile not in PROFILES:
        raise ConfigError(
            f"unknown scoring profile {profile!r} (choose from {', '.join(PROFILES)})"
        )
    if max_connections < 1:
        raise ConfigError("--max-connections must be at least 1")
    specs = select_tasks(tasks)
    src = data if isinstance(data, DataSource) else open_data(data, seed=seed, size=size)
    opts = ModelOptions(
        base_url=base_url,
        api_key=api_key,
        timeout_s=timeout_s,
        max_image_side=max_image_side,
        batch_size=batch_size,
        device=device,
        dtype=dtype,
    )
    the_model = model if isinstance(model, Model) else get_model(model, opts)
    the_judge: Model | None
    if judge is None or isinstance(judge, Model):
        the_judge = judge
    else:
        the_judge = get_model(judge, ModelOptions(base_url=judge_base_url, timeout_s=timeout_s))
    secrets = tuple(s for s in (api_key,) if s)
    resources = _default_resources(resources)
    if harm_classifier:
        resources["harmbench"] = _harm_classifier(harm_classifier, harm_base_url, timeout_s)
    if refusal_classifier:
        resources["action"] = _action_classifier(refusal_classifier, device=device)
    run_id = run_id_for(the_model, src, profile, the_judge, limit, resources)
    store = Store(db)
    started = time.perf_counter()
    settings = {
        "resources": {
            k: (v.describe() if hasattr(v, "describe") else bool(v)) for k, v in resources.items()
        },
        "limit": limit,
        "max_connections": max_connections,
        "timeout_s": timeout_s,
        "max_attempts": max_attempts,
        "model": the_model.describe(),
        "judge": the_judge.describe() if the_judge else None,
    }
    try:
        store.open_run(
            run_id,
            model=the_model.model_id,
            judge=the_judge.model_id if the_judge else None,
            profile=profile,
            tasks=[s.id for s in specs],
            data=src.describe(),
            settings=settings,
            package_version=__version__,
            git_commit=git_commit(),
        )
        res = resources
        built: list[tuple[TaskSpec, Task]] = []
        outcomes: dict[str, TaskOutcome] = {}
        for spec in specs:
            try:
                if src.kind not in spec.sources:
                    raise Unavailable(spec.synth_note or f"no {src.kind} data for this task")
                t = spec.build(src)
                _requirements_met(spec, t, the_judge, res)
                built.append((spec, t))
            except Unavailable as exc:
                outcomes[spec.id] = TaskOutcome(
                    spec.id, spec.name, spec.aspect, spec.sub_aspect, "skipped", exc.reason
                )
                store.set_task_result(run_id, spec.id, status="skipped", reason=exc.reason)
            except MultitrustError as exc:
                outcomes[spec.id] = TaskOutcome(
                    spec.id, spec.name, spec.aspect, spec.sub_aspect, "failed", str(exc)
                )
                store.set_task_result(run_id, spec.id, status="failed", reason=str(exc))
        engine = Engine(
            the_model,
            store,
            EngineConfig(
                run_id=run_id,
                profile=profile,
                limit=limit,
                max_connections=max_connections,
                policy=RetryPolicy(
                    max_attempts=max_attempts,
                    timeout_s=timeout_s,
                    rate_limit_budget_s=rate_limit_budget_s,
                ),
                secrets=secrets,
                defer_scoring=_needs_scoring_pass(the_model, the_judge, res),
            ),
            judge=the_judge,
            resources=res,
            on_progress=on_progress,
        )
        if on_task_start:
            for spec, _ in built:
                on_task_start(spec)
        try:
            if built:
                await the_model.preflight()
                if the_judge is not None:
                    await the_judge.preflight()
            await engine.run(built)
        finally:
            await the_model.aclose()
            if the_judge is not None:
                await the_judge.aclose()
        comparable = src.kind == "official"
        for spec, t in built:
            rows = rows_from_store(store.iter_results(run_id, spec.id))
            _, n_err = store.count_results(run_id, spec.id)
            oc = compute_task(
                spec,
                t,
                rows,
                n_errors=n_err,
                bootstrap=bootstrap,
                comparable=comparable,
                classifier_applied="action" in resources,
            )
            if spec.id in engine.task_errors:
                oc.status = "failed" if not rows else oc.status
                oc.reason = f"data error: {engine.task_errors[spec.id]}"
            if n_err and oc.status == "ok":
                causes = store.error_causes(run_id, spec.id, limit=1)
                oc.reason = f"{n_err} samples not scored (errors: {causes[0][0]}: {causes[0][1][:120]}); rerun to retry"
            outcomes[spec.id] = oc
            store.set_task_result(
                run_id,
                spec.id,
                status=oc.status,
                reason=oc.reason,
                score=oc.score,
                ci=oc.ci,
                metrics=oc.metrics,
                n=oc.n,
                n_errors=oc.n_errors,
                scorer=oc.scorer,
                deviation=oc.deviation,
                comparable=oc.comparable,
            )
        store.finish_run(run_id, "done")
    except BaseException:
        with contextlib.suppress(Exception):
            store.finish_run(run_id, "interrupted")
        store.close()
        raise
    scores = {k: v.score for k, v in outcomes.items()}
    subs = sub_aspect_scores(scores)
    overall = overall_score({k: v.score for k, v in subs.items()})
    partial = any(v.score is None or v.partial for v in subs.values())
    report = RunReport(
        run_id=run_id,
        model=the_model.model_id,
        judge=the_judge.model_id if the_judge else None,
        profile=profile,
        data=src.describe(),
        tasks=dict(sorted(outcomes.items(), key=lambda kv: _order(kv[0]))),
        sub_aspects=subs,
        overall=overall,
        overall_partial=partial,
        counters=engine.counters,
        elapsed_s=time.perf_counter() - started,
        db=str(store.path),
        task_errors=engine.task_errors,
    )
    store.close()
    return report


def _blocking(fn: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
    """The same call, run to completion on a fresh event loop (for scripts and notebooks)."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        return asyncio.run(fn(*args, **kwargs))

    return run


#: ``evaluate_async`` for callers without an event loop: the CLI, scripts, notebooks.
evaluate = _blocking(evaluate_async)


def _order(task_id: str) -> tuple[int, int]:
    return ("TSRFP".index(task_id[0]), int(task_id.split(".")[1]))
