"""What a run's scorers may use besides the model: the resources (classifiers, API markers)
and the judge, whether the planned tasks have what they require, and whether scoring must wait
until the model under test has left the device."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from multitrust.config import RunConfig
from multitrust.errors import ConfigError, Unavailable
from multitrust.models.base import Model, ModelOptions
from multitrust.models.registry import get_model
from multitrust.scoring.base import Scorer, ScoringSettings
from multitrust.scoring.toxicity import open_toxicity, resolve_toxicity
from multitrust.tasks.base import Task


def default_resources(given: dict[str, Any] | None) -> dict[str, Any]:
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


def harm_classifier(spec: str, base_url: str | None, timeout_s: float) -> Any:
    """The HarmBench classifier: ``hf/<dir or repo>`` runs it locally, any other model name
    (e.g. ``openai/cais/HarmBench-Llama-2-13b-cls`` with a vLLM ``base_url``) through that backend."""
    from multitrust.scoring.classifiers import HarmBenchClassifier

    if spec.startswith("hf/"):
        return HarmBenchClassifier(spec[3:])
    return HarmBenchClassifier(
        get_model(spec, ModelOptions(base_url=base_url, timeout_s=timeout_s))
    )


def action_classifier(spec: str, *, device: str | None) -> Any:
    """The Do-Not-Answer action classifier, run locally: ``hf/LibrAI/longformer-action-ro`` or a dir."""
    from multitrust.scoring.classifiers import ActionClassifier

    if not spec.startswith("hf/"):
        raise ConfigError(
            f"--refusal-classifier must be a local hf/ checkpoint, e.g. hf/LibrAI/longformer-action-ro (got {spec!r})"
        )
    return ActionClassifier(spec[3:], device=device)


def run_scoring(config: RunConfig, resources: Mapping[str, Any]) -> ScoringSettings:
    """The scoring settings of a run, with ``--toxicity auto`` settled from the configured
    API markers in ``resources`` (see :func:`multitrust.scoring.toxicity.resolve_toxicity`)."""
    s = config.scoring
    return replace(s, toxicity=resolve_toxicity(s.toxicity, s.profile, resources))


def open_toxicity_for(
    config: RunConfig,
    settings: ScoringSettings,
    resources: dict[str, Any],
    runnable: Sequence[Task],
) -> str | None:
    """Open the run's toxicity backend once, into ``resources["toxicity"]``, when a task that
    will run needs it (S.1/S.3 scored by one backend): checked now, and, describing itself, part
    of the run's identity. Returns why those tasks are skipped when ``auto``'s local model
    cannot be loaded; a backend the user named that cannot run is a ConfigError (the run stops
    before any work, in one line)."""
    if "toxicity" in resources or not any("toxicity" in t.scorer.requires for t in runnable):
        return None
    try:
        resources["toxicity"] = open_toxicity(settings.toxicity, device=config.model.device)
    except ConfigError as exc:
        if config.toxicity != "auto":
            raise
        return (
            "no toxicity backend: no OPENAI_API_KEY or PERSPECTIVE_API_KEY, and the default "
            f"local model is not available ({exc}); choose one with --toxicity"
        )
    return None


def on_device(model: Model) -> bool:
    """Whether ``model`` runs on this machine's accelerator: an in-process checkpoint (not
    concurrent) or a managed ``vllm/`` fleet this process started (``local_device``)."""
    return not model.concurrent or bool(getattr(model, "local_device", False))


def needs_scoring_pass(model: Model, judge: Model | None, resources: dict[str, Any]) -> bool:
    """A model under test on this machine's accelerator (a local checkpoint or a managed vLLM
    fleet) and a local judge/classifier must not share the device: score after the model (or
    its servers) is stopped."""
    if not on_device(model):
        return False
    if judge is not None and on_device(judge):
        return True
    from multitrust.scoring.classifiers import ActionClassifier

    return any(
        getattr(r, "remote", True) is None or isinstance(r, ActionClassifier)
        for r in resources.values()
    )


def requirements_met(
    task: Task,
    judge: Model | None,
    resources: Mapping[str, Any],
    base: Scorer | None = None,
    profile: str | None = None,
) -> None:
    """Raise Unavailable unless everything the task's scorer requires is configured.

    ``base``: the scorer before the run's settings shaped it; a requirement only the settings
    add (the official profile's judge for T.1 grounding) is named with the profile."""
    for need in task.scorer.requires:
        why = ""
        if base is not None and need not in base.requires and profile is not None:
            why = f" under --profile {profile}"
        if need == "toxicity":
            continue  # the run's toxicity backend: the planner opens it once a task needs it
        if need == "judge":
            if judge is None:
                raise Unavailable(f"needs a judge model (--judge){why}, scorer {task.scorer.name}")
        elif need not in resources:
            raise Unavailable(
                f"scorer {task.scorer.name} needs {need!r}{why}, which is not configured"
            )
