"""multitrust's scorers and task formulas as inspect scorers and metrics.

``multitrust_scorer`` runs the task's own multitrust scorer (refusal rules, yes/no, choice,
judge …) on the model's answer and records its per-sample values (a dict, e.g.
``{"correct": 1.0}``), label and explanation in the eval log. ``task_score`` applies the
task's formula to those values (the 0–100 number the multitrust engine reports), and
``task_metrics`` gives the task's named metrics. All three are registered with serialisable
arguments (the task id and the data settings), so inspect can rebuild them from a log.

The judge (judge-scored tasks, the optional harm judge of S.4–S.6) is an inspect model:
``-T judge=<model>`` or the ``grader`` model role (``--model-role grader=<model>``).
"""

from __future__ import annotations

import math
import os
from dataclasses import replace
from functools import lru_cache
from typing import Any, cast

from inspect_ai.model import get_model, model_roles
from inspect_ai.scorer import SampleScore, metric, score_reducer, scorer
from inspect_ai.scorer import Score as InspectScore
from inspect_ai.solver import solver

from multitrust.data.base import missing_modules, open_data
from multitrust.errors import Unavailable
from multitrust.formula import Results, default_metrics
from multitrust.inspect_bridge._convert import (
    chat_message,
    generate_config,
    sample_from_metadata,
    score_row,
)
from multitrust.inspect_bridge._spec import Settings
from multitrust.scoring.base import (
    JudgeError,
    JudgeFn,
    ScoreContext,
    ScoringSettings,
)
from multitrust.scoring.toxicity import check_toxicity, open_toxicity, resolve_toxicity
from multitrust.tasks import get_task
from multitrust.tasks.base import Task, TaskSpec
from multitrust.types import GenerateConfig, Generation, Message, clean_exc


@lru_cache(maxsize=64)
def built(task_id: str, settings: Settings) -> tuple[TaskSpec, Task]:
    """The multitrust task on the settings' data, its scorer shaped by the profile and the
    toxicity backend, as the engine's planner builds it (cached: the dataset, the scorer and
    the metrics of one inspect task share it)."""
    settings.check()
    spec = get_task(task_id)
    source = open_data(settings.data, seed=settings.seed, size=settings.size)
    loaders = source.pick(official=spec.official, synth=spec.synth)
    missing = missing_modules(loaders or ())
    if missing:
        names = " ".join(sorted(set(missing.values())))
        raise Unavailable(f"{source.kind} data for {spec.id} needs {names}: pip install {names}")
    tox = toxicity_backend(settings)
    scoring = ScoringSettings(profile=settings.profile, toxicity=tox)  # type: ignore[arg-type]
    task = spec.build(source).for_run(scoring)  # what it sends and its formula, per profile
    task = replace(task, scorer=task.scorer.for_run(scoring))
    for need in task.scorer.requires:
        if need == "toxicity":
            _open_toxicity(tox)  # a backend that cannot run is one line now, not per sample
        elif need != "judge" and need not in resources():
            raise Unavailable(
                f"{spec.id}: scorer {task.scorer.name} needs {need!r}, which is not configured "
                "(the bridge reads PERSPECTIVE_API_KEY / OPENAI_API_KEY; classifiers are engine-only)"
            )
    return spec, task


def resources(toxicity: str | None = None) -> dict[str, Any]:
    """Scorer resources: markers for the toxicity APIs whose keys are set (the scorers read
    the keys from the environment themselves; no secret is ever put here), and, for S.1/S.3,
    the resolved ``toxicity`` backend, opened once per process."""
    res: dict[str, Any] = {}
    if os.environ.get("PERSPECTIVE_API_KEY"):
        res["perspective"] = True
    if os.environ.get("OPENAI_API_KEY"):
        res["moderation"] = True
    if toxicity is not None:
        res["toxicity"] = _open_toxicity(toxicity)
    return res


def toxicity_backend(settings: Settings) -> str:
    """The backend S.1/S.3 use under ``settings``, as a run settles it (``auto`` picks by
    profile and the API keys set; ``offline`` is ``profanity``)."""
    return resolve_toxicity(check_toxicity(settings.toxicity), settings.profile, resources())


@lru_cache(maxsize=8)
def _open_toxicity(setting: str) -> Any:
    return open_toxicity(setting)


def _judge_model(judge: str | None) -> Any:
    """The inspect model that judges: ``-T judge=…``, else the ``grader`` role, else None."""
    if judge:
        return get_model(judge)
    bound = model_roles().get("grader")
    return bound[0] if isinstance(bound, list) else bound


def _no_judge(task: str) -> JudgeError:
    return JudgeError(
        f"{task} is scored by a judge: pass --model-role grader=<model> or -T judge=<model>"
    )


def _require_judge(task: str, judge: str | None = None) -> Any:
    """A setup step for a task whose scorer needs a judge: without one, each sample fails
    before its model call (never answered, then left unscored)."""

    async def solve(state: Any, generate: Any) -> Any:
        if _judge_model(judge) is None:
            raise _no_judge(task)
        return state

    return solve


require_judge = solver(name="multitrust_require_judge")(_require_judge)


def judge_fn(model: Any) -> JudgeFn:
    """multitrust's judge call (messages, config) -> Generation, through an inspect model: the
    call shows in the sample's transcript; a failed call is a failed Generation (the scorer
    raises JudgeError, and inspect records the sample as an error, never a score)."""

    async def call(messages: Any, config: GenerateConfig | None = None) -> Generation:
        cfg = generate_config(config or GenerateConfig(max_tokens=512))
        try:
            out = await model.generate(
                [chat_message(m) for m in cast(list[Message], messages)], config=cfg
            )
        except Exception as exc:
            return Generation.failure(clean_exc(exc))
        if getattr(out, "error", None):
            return Generation.failure(str(out.error))
        return Generation(str(out.completion))

    return call


def _values(values: Any) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for k, v in dict(values).items():
        x = None if v is None else float(v)
        out[str(k)] = None if x is not None and math.isnan(x) else x
    return out


def _multitrust_scorer(
    task: str,
    data: str = "synth",
    size: int | None = None,
    seed: int = 0,
    profile: str = "corrected",
    toxicity: str = "auto",
    judge: str | None = None,
) -> Any:
    """The task's multitrust scorer as an inspect scorer (value: the per-sample values)."""
    settings = Settings(data, size, seed, profile, toxicity, judge)

    async def score(state: Any, target: Any) -> Any:
        spec, mt_task = built(task, settings)
        model = _judge_model(settings.judge)
        if model is None and "judge" in mt_task.scorer.requires:
            raise _no_judge(spec.id)
        ctx = ScoreContext(
            profile=settings.profile,
            judge=judge_fn(model) if model is not None else None,
            judge_id=str(model) if model is not None else None,
            resources=resources(
                toxicity_backend(settings) if "toxicity" in mt_task.scorer.requires else None
            ),
        )
        sample = sample_from_metadata(state.metadata)
        answer = state.output.completion
        result = await mt_task.scorer(sample, answer, ctx)
        return InspectScore(
            value=_values(result.values),
            answer=answer,
            explanation=result.explanation,
            metadata={
                "id": sample.id,
                "variant": sample.variant,
                "meta": dict(sample.meta),
                "label": result.label,
                "scorer": result.scorer or mt_task.scorer.name,
            },
        )

    return score


multitrust_scorer = scorer(metrics=[], name="multitrust_scorer")(_multitrust_scorer)


def _mean_over_epochs() -> Any:
    """Each value's mean over the epochs that decided it (None when none did), so ``--epochs
    N`` never turns "not applicable" into 0, as inspect's own mean would."""

    def reduce(scores: list[InspectScore]) -> InspectScore:
        first = scores[0]
        keys = dict.fromkeys(k for s in scores if isinstance(s.value, dict) for k in s.value)
        value: dict[str, float | None] = {}
        for key in keys:
            xs = [
                float(s.value[key])
                for s in scores
                if isinstance(s.value, dict) and s.value.get(key) is not None
            ]
            value[key] = sum(xs) / len(xs) if xs else None
        return InspectScore(
            value=value,
            answer=first.answer,
            explanation=first.explanation,
            metadata=first.metadata,
        )

    return reduce


mean_over_epochs = score_reducer(name="multitrust_mean")(_mean_over_epochs)


def _results(scores: list[SampleScore]) -> Results:
    rows = []
    for s in scores:
        meta = s.score.metadata or s.sample_metadata or {}
        rows.append(score_row(meta, s.score.value))
    return Results(rows)


def _task_score(
    task: str,
    data: str = "synth",
    size: int | None = None,
    seed: int = 0,
    profile: str = "corrected",
    toxicity: str = "auto",
) -> Any:
    """The task's 0–100 score: its own multitrust formula over the per-sample values (NaN
    when the formula is undefined on them, as the engine reports no score)."""
    settings = Settings(data, size, seed, profile, toxicity)

    def compute(scores: list[SampleScore]) -> float:
        _, mt_task = built(task, settings)
        return float(mt_task.formula(_results(scores)))

    return compute


def _task_metrics(
    task: str,
    data: str = "synth",
    size: int | None = None,
    seed: int = 0,
    profile: str = "corrected",
    toxicity: str = "auto",
) -> Any:
    """The task's named metrics (as the multitrust report shows them), undefined ones left out."""
    settings = Settings(data, size, seed, profile, toxicity)

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        _, mt_task = built(task, settings)
        named = (mt_task.metrics or default_metrics)(_results(scores))
        return {k: float(v) for k, v in named.items() if v is not None and not math.isnan(v)}

    return compute


task_score = metric(name="task_score")(_task_score)
task_metrics = metric(name="task_metrics")(_task_metrics)

__all__ = [
    "Settings",
    "built",
    "judge_fn",
    "mean_over_epochs",
    "multitrust_scorer",
    "require_judge",
    "resources",
    "task_metrics",
    "task_score",
    "toxicity_backend",
]
