"""The Python API: ``evaluate()`` runs tasks against a model and returns a RunReport."""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from multitrust._version import __version__
from multitrust.aggregate import (
    SubAspectScore,
    TaskOutcome,
    compute_task,
    overall_score,
    rows_from_store,
    sub_aspect_scores,
)
from multitrust.api._blocking import blocking
from multitrust.api._blocking import run_sync as run_sync
from multitrust.api._resources import (
    action_classifier,
    default_resources,
    harm_classifier,
    needs_scoring_pass,
    on_device,
    open_toxicity_for,
    requirements_met,
    run_scoring,
)
from multitrust.config import ModelConfig, RunConfig, RunOptions
from multitrust.data.base import DataSource, missing_modules, open_data
from multitrust.engine.retry import RetryPolicy
from multitrust.engine.runner import Counters, Engine, EngineConfig
from multitrust.errors import ConfigError, MultitrustError, Unavailable
from multitrust.models.base import Model, ModelOptions
from multitrust.models.registry import get_model, provider_origin
from multitrust.report.gallery import FailureThumbnails
from multitrust.scoring._text import is_official
from multitrust.scoring.classifiers import with_action_classifier
from multitrust.scoring.judge import prompt_version
from multitrust.scoring.judge_prompts import prompt_set_identity
from multitrust.scoring.refusal import detector_name, with_refusal_judge
from multitrust.scoring.releases import rules_identity
from multitrust.store import Store
from multitrust.tasks import select_tasks
from multitrust.tasks.base import Task, TaskSpec, order_key

if TYPE_CHECKING:  # pragma: no cover - typing_extensions ships with mypy
    from typing_extensions import Unpack

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

    @property
    def incomplete(self) -> dict[str, str]:
        """Tasks of this run that have no score, ``{task id: "failed: why"}`` (or
        ``skipped: why``): each makes its sub-aspect, and so the overall, partial."""
        return {
            k: f"{v.status}: {v.reason}" if v.reason else v.status
            for k, v in self.tasks.items()
            if v.score is None
        }


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
    *,
    refusal_judge: bool = False,
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
    if judge is not None:  # a change of judge prompt or rule is a new run, never a resume
        ident["judge_prompts"] = prompt_set_identity(profile)
    rules = rules_identity(profile)
    if rules is not None:  # the toolbox release an official profile follows, and its rules
        ident["rules"] = rules
    if not is_official(profile):
        # a new refusal detector (rules or model version) is a new run: its scores are never
        # mixed with stored ones of the old detector (the official list never changes)
        ident["refusal_detector"] = detector_name(
            profile, judge=judge.model_id if refusal_judge and judge is not None else None
        )
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]


def judge_row(task: Task, judge: Model | None, profile: str) -> dict[str, str] | None:
    """What a judge-scored task was judged with: judge model, prompt version, profile."""
    version = prompt_version(task.scorer, profile)
    if judge is None or version is None or "judge" not in task.scorer.requires:
        return None
    return {"model": judge.model_id, "prompt_version": version, "profile": profile}


# --------------------------------------------------------------------------- the stages
#
# ``run_async`` reads top to bottom: open the components the config names, ``plan`` (which tasks
# run, which are skipped and why), ``generate`` (the engine asks the model and scores each output
# as it arrives, streaming both into the store), ``score`` (each task's formula over its stored
# rows) and ``aggregate`` (sub-aspects, overall, the report).


@dataclass
class Components:
    """The live objects a run works with, opened from its config (or handed in ready)."""

    model: Model
    judge: Model | None
    data: DataSource
    resources: dict[str, Any]
    """Scorer resources: classifiers and markers for configured APIs (never a secret)."""


@dataclass
class Plan:
    """What a run will do: the tasks it builds and the outcomes of those it cannot run."""

    run_id: str
    specs: list[TaskSpec]
    runnable: list[tuple[TaskSpec, Task]] = field(default_factory=list)
    outcomes: dict[str, TaskOutcome] = field(default_factory=dict)
    """Skipped or failed-to-build tasks, keyed by id (scored tasks are added by ``score``)."""


def open_components(
    config: RunConfig,
    *,
    model: Model | None = None,
    data: DataSource | None = None,
    judge: Model | None = None,
    resources: Mapping[str, Any] | None = None,
) -> Components:
    """Build the model, judge, data source and scorer resources the config names (objects
    handed in are used as they are)."""
    timeout_s = config.limits.timeout_s
    the_model = model or get_model(config.model.spec, config.model.options(timeout_s))
    src = data or open_data(
        config.data, seed=config.seed, size=config.size, synth_cache=config.synth_cache_dir
    )
    the_judge = judge
    if the_judge is None and config.judge is not None and _judge_used(config, src):
        the_judge = open_judge(config.judge, timeout_s)
    res = default_resources(dict(resources or {}))
    if config.classifiers.harm:
        res["harmbench"] = harm_classifier(
            config.classifiers.harm, config.classifiers.harm_base_url, timeout_s
        )
    if config.classifiers.refusal:
        res["action"] = action_classifier(config.classifiers.refusal, device=config.model.device)
    return Components(the_model, the_judge, src, res)


def _judge_used(config: RunConfig, data: DataSource) -> bool:
    """Whether a selected task's scorer uses the judge on ``data`` (a judge no task uses is not
    opened, so its key is not asked for)."""
    if config.refusal_judge:
        return True
    for spec in select_tasks(config.tasks):
        try:
            scorer = spec.build(data).scorer.for_run(config.scoring)
            if "judge" in scorer.requires or scorer.params.get("judge") == "optional":
                return True
        except MultitrustError:
            continue
    return False


def open_judge(judge: ModelConfig, timeout_s: float) -> Model:
    opts = ModelOptions(base_url=judge.base_url, api_key=judge.api_key, timeout_s=timeout_s)
    try:
        return get_model(judge.spec, opts)
    except ConfigError as exc:
        # the model's own message names the model's flag; this is the judge
        msg = str(exc).replace("--api-key", "--judge-api-key")
        raise ConfigError(f"judge {judge.spec}: {msg}") from None


def plan(config: RunConfig, comp: Components) -> Plan:
    """Select the tasks, build each for the data, and set aside those that cannot run here
    (no data of this kind, a package its data needs is not installed, or a scorer requirement
    that is not configured), with the reason."""
    specs = select_tasks(config.tasks)
    out = Plan("", specs)
    settings = run_scoring(config, comp.resources)
    for spec in specs:
        try:
            _modules_installed(spec, comp.data)
            # Unavailable (with the reason) when it has no such data
            t = spec.build(comp.data).for_run(settings)
            base = t.scorer
            t = replace(t, scorer=base.for_run(settings))
            if t.classifier_refusal is not None:  # OR-ed in when the run has the classifier
                t = replace(t, scorer=with_action_classifier(t.scorer, t.classifier_refusal))
            if config.refusal_judge and t.refusal_rate:  # the judge decides the refusal rate
                t = replace(t, scorer=with_refusal_judge(t.scorer))
            requirements_met(t, comp.judge, comp.resources, base, config.profile)
            out.runnable.append((spec, t))
        except Unavailable as exc:
            out.outcomes[spec.id] = _unrun(spec, "skipped", exc.reason)
        except MultitrustError as exc:
            out.outcomes[spec.id] = _unrun(spec, "failed", str(exc))
    why = open_toxicity_for(config, settings, comp.resources, [t for _, t in out.runnable])
    for spec, t in [(s, t) for s, t in out.runnable if why and "toxicity" in t.scorer.requires]:
        out.outcomes[spec.id] = _unrun(spec, "skipped", why or "")
        out.runnable.remove((spec, t))
    out.run_id = run_id_for(
        comp.model,
        comp.data,
        config.profile,
        comp.judge,
        config.limits.limit,
        identity_resources(comp.resources, [t for _, t in out.runnable]),
        refusal_judge=config.refusal_judge,
    )
    return out


def identity_resources(resources: Mapping[str, Any], runnable: Sequence[Task]) -> dict[str, Any]:
    """The scorer resources that decide how this run's tasks are scored: configured classifiers
    (they describe themselves), and API markers (``perspective``, ``moderation``) only when a
    task that runs requires them. An API key set for something else never changes a run's
    identity, so the same command resumes in any shell."""
    needed = {r for t in runnable for r in t.scorer.requires}
    return {
        k: v
        for k, v in resources.items()
        if v is not None and (k in needed or hasattr(v, "describe"))
    }


def _modules_installed(spec: TaskSpec, data: DataSource) -> None:
    """Raise Unavailable (one line, with the install hint) when a loader that would supply
    ``spec`` on ``data`` needs a package that is not installed: the task is skipped before it
    starts, never scored on the samples that happened to load before the import failed."""
    loaders = data.pick(official=spec.official, synth=spec.synth) or ()
    missing = missing_modules(loaders)
    if missing:
        names = " ".join(sorted(set(missing.values())))
        raise Unavailable(
            f"{data.kind} data for {spec.id} needs {names}, which is not installed: pip install {names}"
        )


def _unrun(spec: TaskSpec, status: str, reason: str) -> TaskOutcome:
    return TaskOutcome(spec.id, spec.name, spec.aspect, spec.sub_aspect, status, reason)


def _open_run(store: Store, config: RunConfig, comp: Components, the_plan: Plan) -> None:
    """Record the run (settings without secrets) and the tasks the plan set aside."""
    limits = config.limits
    settings = {
        "resources": {
            k: (v.describe() if hasattr(v, "describe") else bool(v))
            for k, v in comp.resources.items()
        },
        "limit": limits.limit,
        "max_connections": limits.max_connections,
        "timeout_s": limits.timeout_s,
        "max_attempts": limits.max_attempts,
        "model": comp.model.describe(),
        "judge": comp.judge.describe() if comp.judge else None,
    }
    plugins = {s.id: s.origin for s in the_plan.specs if s.plugin is not None}
    if provider_origin(comp.model.provider) != "built-in":
        plugins[comp.model.provider] = provider_origin(comp.model.provider)
    if plugins:  # the installed plugin (and version) behind each plugin task and the provider
        settings["plugins"] = plugins
    store.open_run(
        the_plan.run_id,
        model=comp.model.model_id,
        judge=comp.judge.model_id if comp.judge else None,
        profile=config.profile,
        tasks=[s.id for s in the_plan.specs],
        data=comp.data.describe(),
        settings=settings,
        package_version=__version__,
        git_commit=git_commit(),
    )
    for oc in the_plan.outcomes.values():
        store.set_task_result(the_plan.run_id, oc.task_id, status=oc.status, reason=oc.reason)


async def generate(
    config: RunConfig,
    comp: Components,
    the_plan: Plan,
    store: Store,
    *,
    on_progress: Callable[[str, Counters], None] | None = None,
) -> Engine:
    """Ask the model for every planned sample not already in the store and score each output
    as it arrives (a local model and a local judge never share the device: then scoring waits
    until generation is done and the model is unloaded). Returns the engine, with its counters
    and per-task data errors."""
    limits = config.limits
    defer = needs_scoring_pass(comp.model, comp.judge, comp.resources)
    # a judge on the device is started (loaded, its servers launched) only once the model
    # under test is stopped: the engine's scoring pass does it
    judge_late = defer and comp.judge is not None and on_device(comp.judge)
    engine = Engine(
        comp.model,
        store,
        EngineConfig(
            run_id=the_plan.run_id,
            profile=config.profile,
            limit=limits.limit,
            max_connections=limits.max_connections,
            policy=RetryPolicy(
                max_attempts=limits.max_attempts,
                timeout_s=limits.timeout_s,
                rate_limit_budget_s=limits.rate_limit_budget_s,
            ),
            secrets=config.secrets,
            stop_after_errors=limits.stop_after_errors,
            defer_scoring=defer,
            preflight_judge_late=judge_late,
        ),
        judge=comp.judge,
        resources=comp.resources,
        on_progress=on_progress,
    )
    engine.on_scored = FailureThumbnails(store.image_shas(), engine.writer.add_image)
    try:
        if the_plan.runnable:
            await comp.model.preflight()
            if comp.judge is not None and not judge_late:
                await comp.judge.preflight()
        await engine.run(the_plan.runnable)
    finally:
        await comp.model.aclose()
        if comp.judge is not None:
            await comp.judge.aclose()
    return engine


def score(
    config: RunConfig, comp: Components, the_plan: Plan, store: Store, engine: Engine
) -> dict[str, TaskOutcome]:
    """Apply each task's formula to its stored rows (with CI and metrics) and record it;
    returns every task's outcome, the ones the plan set aside included."""
    outcomes = dict(the_plan.outcomes)
    run_id = the_plan.run_id
    for spec, t in the_plan.runnable:
        rows = rows_from_store(store.iter_results(run_id, spec.id))
        _, n_err = store.count_results(run_id, spec.id)
        oc = compute_task(
            spec,
            t,
            rows,
            n_errors=n_err,
            bootstrap=config.bootstrap,
            comparable=comp.data.kind == "official",
            classifier_applied="action" in comp.resources,
            refusal_detector=detector_name(
                config.profile,
                judge=comp.judge.model_id if config.refusal_judge and comp.judge else None,
            ),
            refusal_classifier=config.classifiers.refusal,
        )
        if spec.id in engine.task_errors:
            # the data stream broke: whatever loaded before the break is not the task, so no
            # score is kept (the sub-aspect and overall then count the task as missing)
            if oc.score is not None:
                partial = f"; the {oc.n} samples read before it are not scored as the task"
            else:
                partial = ""
            oc.status, oc.score, oc.ci = "failed", None, None
            oc.reason = f"data error: {engine.task_errors[spec.id]}{partial}"
        if n_err and oc.status == "ok":
            causes = store.error_causes(run_id, spec.id, limit=1)
            oc.reason = f"{n_err} samples not scored (errors: {causes[0][0]}: {causes[0][1][:120]}); rerun to retry"
        oc.judge = judge_row(t, comp.judge, config.profile)
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
            judge=oc.judge,
        )
    return outcomes


def aggregate(
    config: RunConfig,
    comp: Components,
    the_plan: Plan,
    outcomes: dict[str, TaskOutcome],
    engine: Engine,
    *,
    elapsed_s: float,
    db: Path,
) -> RunReport:
    """Task scores -> sub-aspect scores -> the overall score, as one report."""
    subs = sub_aspect_scores({k: v.score for k, v in outcomes.items()})
    return RunReport(
        run_id=the_plan.run_id,
        model=comp.model.model_id,
        judge=comp.judge.model_id if comp.judge else None,
        profile=config.profile,
        data=comp.data.describe(),
        tasks=dict(sorted(outcomes.items(), key=lambda kv: _order(kv[0]))),
        sub_aspects=subs,
        overall=overall_score({k: v.score for k, v in subs.items()}),
        overall_partial=any(v.score is None or v.partial for v in subs.values()),
        counters=engine.counters,
        elapsed_s=elapsed_s,
        db=str(db),
        task_errors=engine.task_errors,
    )


async def run_async(
    config: RunConfig,
    *,
    model: Model | None = None,
    data: DataSource | None = None,
    judge: Model | None = None,
    resources: Mapping[str, Any] | None = None,
    on_progress: Callable[[str, Counters], None] | None = None,
    on_task_start: Callable[[TaskSpec], None] | None = None,
) -> RunReport:
    """Run ``config``: plan, generate, score, aggregate. Results are written to the store as
    they arrive; rerunning the same config resumes (zero model calls when everything is done).

    ``model``, ``data``, ``judge`` and ``resources`` are ready objects used in place of building
    them from the config (tests, notebooks, scripted baselines)."""
    comp = open_components(config, model=model, data=data, judge=judge, resources=resources)
    the_plan = plan(config, comp)
    store = Store(config.db)
    started = time.perf_counter()
    try:
        _open_run(store, config, comp, the_plan)
        if on_task_start:
            for spec, _ in the_plan.runnable:
                on_task_start(spec)
        engine = await generate(config, comp, the_plan, store, on_progress=on_progress)
        outcomes = score(config, comp, the_plan, store, engine)
        store.finish_run(the_plan.run_id, "done")
    except BaseException:
        with contextlib.suppress(Exception):
            store.finish_run(the_plan.run_id, "interrupted")
        store.close()
        raise
    report = aggregate(
        config,
        comp,
        the_plan,
        outcomes,
        engine,
        elapsed_s=time.perf_counter() - started,
        db=store.path,
    )
    store.close()
    return report


async def evaluate_async(
    model: str | Model,
    tasks: str | Sequence[str] | None = None,
    *,
    data: str | DataSource | None = "synth",
    judge: str | Model | None = None,
    resources: dict[str, Any] | None = None,
    on_progress: Callable[[str, Counters], None] | None = None,
    on_task_start: Callable[[TaskSpec], None] | None = None,
    **options: Unpack[RunOptions],
) -> RunReport:
    """Evaluate ``model`` on ``tasks`` (ids, aspects or sub-aspect codes; None = all 32).

    The keyword form of :func:`run_async`: ``options`` (``db``, ``size``, ``limit``,
    ``profile``, ``toxicity``, ``timeout_s`` … see :class:`~multitrust.config.RunOptions`)
    become one :class:`RunConfig`; ``model``, ``data`` and ``judge`` may also be ready objects.
    Results are written to the store as they arrive; rerunning the same call resumes.
    Returns task, sub-aspect and overall scores.
    """
    _check_call(model, options)
    if isinstance(data, DataSource):
        data_spec = str(data.describe().get("root", data.kind))
    else:
        data_spec = data or "synth"
    config = RunConfig.from_options(
        model.model_id if isinstance(model, Model) else model,
        tasks,
        data=data_spec,
        judge=judge.model_id if isinstance(judge, Model) else judge,
        **options,
    )
    return await run_async(
        config,
        model=model if isinstance(model, Model) else None,
        data=data if isinstance(data, DataSource) else None,
        judge=judge if isinstance(judge, Model) else None,
        resources=resources,
        on_progress=on_progress,
        on_task_start=on_task_start,
    )


def _check_call(model: object, options: Mapping[str, Any]) -> None:
    """TypeError for what the type checker would refuse but Python lets through: an option
    ``RunOptions`` does not have (``sise=5`` would otherwise be silently ignored) and a model
    that is neither a name nor a Model (a list: one model per call)."""
    check_options(options)
    if isinstance(model, (list, tuple)):
        raise TypeError(
            "evaluate() takes one model; for several (as `multitrust eval -m A -m B`) use "
            "multitrust.evaluate_many([...], tasks, ...), which returns one outcome per model"
        )
    if not isinstance(model, (str, Model)):
        raise TypeError(
            f"evaluate() model must be a 'provider/name' string or a Model, not {type(model).__name__}"
        )


def check_options(options: Mapping[str, Any], where: str = "evaluate()") -> None:
    """TypeError naming the first key of ``options`` that is not a :class:`RunOptions` option,
    with the closest one when there is one."""
    known = RunOptions.__optional_keys__ | RunOptions.__required_keys__
    for name in options:
        if name not in known:
            near = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise TypeError(f"{where} got an unexpected keyword argument {name!r}{hint}")


#: ``evaluate_async`` for callers without an event loop: scripts, notebooks.
evaluate = blocking(evaluate_async)
#: ``run_async`` for callers without an event loop: the CLI.
run = blocking(run_async)


def _order(task_id: str) -> tuple[int, int, str]:
    return order_key(task_id)
