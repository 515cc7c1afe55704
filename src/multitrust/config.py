"""One run's settings: a frozen, typed :class:`RunConfig`.

The CLI builds one from its options and ``evaluate()`` builds one from its keyword arguments;
everything downstream (planning, the engine, the scorers that depend on a setting) reads it from
there. No setting travels through the environment: API keys are the only thing read from it,
and they are credentials, never part of the config's identity (``api_key`` has ``repr=False``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from multitrust.errors import ConfigError
from multitrust.models.base import ModelOptions
from multitrust.scoring.base import (
    PROFILES,
    TOXICITY_BACKENDS,
    Profile,
    ScoringSettings,
    Toxicity,
)
from multitrust.scoring.toxicity import DEPRECATED, check_toxicity

if TYPE_CHECKING:  # pragma: no cover - typing_extensions ships with mypy; not needed at run time
    from typing_extensions import Unpack

__all__ = [
    "PROFILES",
    "TOXICITY_BACKENDS",
    "Classifiers",
    "Limits",
    "ModelConfig",
    "Profile",
    "RunConfig",
    "RunOptions",
    "Toxicity",
]


@dataclass(frozen=True)
class ModelConfig:
    """Which model, and how to reach or load it."""

    spec: str
    """``provider/name``: ``openai/gpt-4o``, ``hf/<repo or dir>``, ``scripted/oracle`` …"""
    base_url: str | None = None
    base_urls: tuple[str, ...] = ()
    """Several endpoints serving this model (a replica pool; see docs/scale.md)."""
    api_key: str | None = field(default=None, repr=False)
    max_image_side: int | None = None
    batch_size: int | None = None
    device: str | None = None
    dtype: str | None = None
    replicas: int | None = None
    """Managed ``vllm/``: how many servers (default: one per ``tensor_parallel_size`` GPUs)."""
    tensor_parallel_size: int | None = None
    server_args: str | None = None
    """Managed ``vllm/``: extra ``vllm serve`` flags, as one shell-quoted string."""
    startup_timeout_s: float | None = None

    @classmethod
    def from_options(cls, spec: str, o: Mapping[str, Any]) -> ModelConfig:
        """The model part of the flat options (:class:`RunOptions`; keys in ``MODEL_OPTION_KEYS``)."""
        return cls(
            spec,
            base_url=o.get("base_url"),
            base_urls=tuple(o.get("base_urls") or ()),
            api_key=o.get("api_key"),
            max_image_side=o.get("max_image_side"),
            batch_size=o.get("batch_size"),
            device=o.get("device"),
            dtype=o.get("dtype"),
            replicas=o.get("replicas"),
            tensor_parallel_size=o.get("tensor_parallel_size"),
            server_args=o.get("vllm_args"),
            startup_timeout_s=o.get("vllm_startup_timeout"),
        )

    def options(self, timeout_s: float) -> ModelOptions:
        managed = {
            "replicas": self.replicas,
            "tensor_parallel_size": self.tensor_parallel_size,
            "server_args": self.server_args,
            "startup_timeout_s": self.startup_timeout_s,
        }
        return ModelOptions(
            base_url=self.base_url,
            base_urls=self.base_urls,
            api_key=self.api_key,
            timeout_s=timeout_s,
            max_image_side=self.max_image_side,
            batch_size=self.batch_size,
            device=self.device,
            dtype=self.dtype,
            extra={k: v for k, v in managed.items() if v is not None},
        )


@dataclass(frozen=True)
class Classifiers:
    """Optional scorer classifiers the paper used."""

    harm: str | None = None
    """HarmBench classifier for S.4–S.6 attack success: ``hf/<dir or repo>`` (local) or any
    other model name served at ``harm_base_url``."""
    harm_base_url: str | None = None
    refusal: str | None = None
    """Do-Not-Answer action classifier OR-ed into refusal rates: ``hf/LibrAI/longformer-action-ro``."""


@dataclass(frozen=True)
class Limits:
    """How much to run and how hard to push the endpoints."""

    limit: int | None = None
    """Cap on sample × variant items per task (None: all)."""
    max_connections: int = 32
    """Concurrent requests per endpoint."""
    timeout_s: float = 120.0
    """Seconds per request."""
    max_attempts: int = 6
    rate_limit_budget_s: float = 600.0
    """Total seconds a request may spend waiting out rate limits before it counts as an error."""
    stop_after_errors: int = 0
    """Stop the run when its first this many model calls all fail with the same error no retry
    can fix (HTTP 401/403/404/405/501, a bad request); 0: never (the CLI stops after 8)."""


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides what a run does (besides live objects: a ready Model, a
    DataSource, loaded scorer resources, progress callbacks — see ``api.run_async``)."""

    model: ModelConfig
    tasks: tuple[str, ...] | None = None
    """Task ids, aspects or sub-aspect codes (None: all 32)."""
    data: str = "synth"
    """``synth`` or the path to the official data folder."""
    seed: int = 0
    size: int | None = None
    """Samples per task (synth) or a cap (official)."""
    profile: Profile = "corrected"
    toxicity: Toxicity = "auto"
    """S.1/S.3's toxicity backend (``--toxicity``): ``auto`` (the default), ``api``,
    ``perspective``, ``moderation``, ``profanity`` or ``hf/<model>[#labels]``; see
    :mod:`multitrust.scoring.toxicity`. ``auto`` is settled when the run is planned."""
    judge: ModelConfig | None = None
    refusal_judge: bool = False
    """The judge also decides every refusal-rate answer (``--refusal-judge``, corrected profile
    only; see :mod:`multitrust.scoring.refusal._judge`)."""
    classifiers: Classifiers = field(default_factory=Classifiers)
    limits: Limits = field(default_factory=Limits)
    bootstrap: int = 200
    """Bootstrap resamples for each task's 95% CI (0: no CI)."""
    db: Path | None = None
    """The SQLite store (None: ``$MULTITRUST_DB`` or ``./multitrust.db``)."""
    synth_cache: Path | Literal[False] | None = None
    """Where the synthetic suite is kept once drawn (None: ``$MULTITRUST_CACHE``, else
    ``~/.cache/multitrust``; False: draw it every run). See ``multitrust.data.synth_cache``."""

    @property
    def scoring(self) -> ScoringSettings:
        """The settings the scorers see (``Scorer.for_run``)."""
        return ScoringSettings(self.profile, self.toxicity)

    @property
    def synth_cache_dir(self) -> Path | None:
        """The synthetic cache folder this run uses (None: no cache)."""
        if self.synth_cache is False:
            return None
        if self.synth_cache is None:
            from multitrust.data.synth_cache import default_cache_dir

            return default_cache_dir()
        return self.synth_cache

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ConfigError(
                f"unknown scoring profile {self.profile!r} (choose from {', '.join(PROFILES)})"
            )
        toxicity = check_toxicity(self.toxicity)
        if toxicity != self.toxicity:
            if self.toxicity.strip() in DEPRECATED:
                warnings.warn(
                    f"--toxicity {self.toxicity.strip()} is deprecated: it is the alt-profanity-check "
                    f"profanity filter, not a toxicity model; use --toxicity {toxicity}",
                    FutureWarning,
                    stacklevel=3,
                )
            object.__setattr__(self, "toxicity", toxicity)
        if self.limits.max_connections < 1:
            raise ConfigError("--max-connections must be at least 1")
        # the values no run can honour, refused here too for evaluate() (the CLI refuses them
        # while it parses the command line)
        if self.limits.limit is not None and self.limits.limit < 1:
            raise ConfigError(f"--limit must be at least 1, not {self.limits.limit}")
        if self.size is not None and self.size < 1:
            raise ConfigError(f"--size must be at least 1, not {self.size}")
        if not self.limits.timeout_s > 0:
            raise ConfigError(f"--timeout must be more than 0 seconds, not {self.limits.timeout_s}")
        for name, value in (
            ("--batch-size", self.model.batch_size),
            ("--max-image-side", self.model.max_image_side),
            ("--replicas", self.model.replicas),
            ("--tensor-parallel-size", self.model.tensor_parallel_size),
        ):
            if value is not None and value < 1:
                raise ConfigError(f"{name} must be at least 1, not {value}")
        if self.bootstrap < 0:
            raise ConfigError("bootstrap must not be negative")

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings that must never reach a log, the store or a report."""
        return tuple(
            s for s in (self.model.api_key, self.judge.api_key if self.judge else None) if s
        )

    @classmethod
    def from_options(
        cls,
        model: str,
        tasks: str | Sequence[str] | None = None,
        *,
        data: str = "synth",
        judge: str | None = None,
        **options: Unpack[RunOptions],
    ) -> RunConfig:
        """The config for the flat options of the CLI and of ``evaluate()``."""
        o = options
        if isinstance(tasks, str):
            task_sel = tuple(t for t in tasks.split(",") if t.strip())
        else:
            task_sel = tuple(tasks) if tasks is not None else ()
        db = o.get("db")
        judge = refusal_judge_spec(judge, o)
        return cls(
            model=ModelConfig.from_options(model, o),
            tasks=task_sel or None,
            data=data,
            seed=o.get("seed", 0),
            size=o.get("size"),
            profile=_literal(o.get("profile", "corrected"), PROFILES, "profile"),
            toxicity=o.get("toxicity") or "auto",
            judge=(
                ModelConfig(judge, base_url=o.get("judge_base_url"), api_key=o.get("judge_api_key"))
                if judge
                else None
            ),
            refusal_judge=bool(o.get("refusal_judge")),
            classifiers=Classifiers(
                o.get("harm_classifier"), o.get("harm_base_url"), o.get("refusal_classifier")
            ),
            limits=Limits(
                limit=o.get("limit"),
                max_connections=o.get("max_connections", 32),
                timeout_s=o.get("timeout_s", 120.0),
                max_attempts=o.get("max_attempts", 6),
                rate_limit_budget_s=o.get("rate_limit_budget_s", 600.0),
                stop_after_errors=o.get("stop_after_errors", 0),
            ),
            bootstrap=o.get("bootstrap", 200),
            db=Path(db) if db is not None else None,
            synth_cache=_synth_cache(o.get("synth_cache")),
        )


#: The keys of :class:`RunOptions` that describe the model (read by ``ModelConfig.from_options``).
MODEL_OPTION_KEYS: tuple[str, ...] = (
    "base_url",
    "base_urls",
    "api_key",
    "max_image_side",
    "batch_size",
    "device",
    "dtype",
    "replicas",
    "tensor_parallel_size",
    "vllm_args",
    "vllm_startup_timeout",
)


def _synth_cache(value: str | Path | bool | None) -> Path | Literal[False] | None:
    if value is None or value is True:
        return None
    if value is False:
        return False
    return Path(value)


class RunOptions(TypedDict, total=False):
    """The flat keyword options of ``evaluate()`` and ``RunConfig.from_options`` (besides the
    model, tasks, data and judge); each maps to one field of :class:`RunConfig`."""

    db: str | Path | None
    synth_cache: str | Path | bool | None
    """The synthetic suite's cache folder; None or True: the default folder; False: no cache."""
    seed: int
    size: int | None
    limit: int | None
    profile: str
    """``corrected`` (default) or ``official``."""
    toxicity: str | None
    """``auto`` (default), ``api``, ``perspective``, ``moderation``, ``profanity`` or
    ``hf/<model>[#labels]`` (see :attr:`RunConfig.toxicity`)."""
    max_connections: int
    """Concurrent requests per endpoint (per replica when there are several)."""
    base_url: str | None
    base_urls: Sequence[str] | None
    """Several endpoints serving the model: requests are spread over them."""
    replicas: int | None
    """Managed ``vllm/<hf-id>``: number of ``vllm serve`` replicas."""
    tensor_parallel_size: int | None
    vllm_args: str | None
    """Managed ``vllm/<hf-id>``: extra ``vllm serve`` flags (one shell-quoted string)."""
    vllm_startup_timeout: float | None
    api_key: str | None
    judge_base_url: str | None
    judge_api_key: str | None
    """The judge's key (default: its provider's environment variable)."""
    max_image_side: int | None
    timeout_s: float
    max_attempts: int
    rate_limit_budget_s: float
    stop_after_errors: int
    """Stop when the first this many model calls all fail the same non-retryable way (0: never)."""
    batch_size: int | None
    device: str | None
    dtype: str | None
    bootstrap: int
    harm_classifier: str | None
    harm_base_url: str | None
    refusal_classifier: str | None
    refusal_judge: str | bool | None
    """A judge model that decides refusal rates (``--refusal-judge``): it is the run's judge
    (``judge`` may be left out, or must name the same model); True: the run's ``judge``.
    Corrected profile only."""


def refusal_judge_spec(judge: str | None, o: Mapping[str, Any]) -> str | None:
    """The run's judge once ``--refusal-judge`` is folded in (one judge model per run)."""
    rj = o.get("refusal_judge")
    if not rj:
        return judge
    if o.get("profile", "corrected") != "corrected":
        raise ConfigError(
            "--refusal-judge is a corrected-profile option: the official profiles keep the "
            "paper's refusal rule"
        )
    if rj is True:
        if not judge:
            raise ConfigError("--refusal-judge needs a judge model: give it one (or --judge)")
        return judge
    if judge and judge != rj:
        raise ConfigError(
            f"--refusal-judge {rj} differs from --judge {judge}: a run has one judge model "
            "(give the same one, or only --refusal-judge)"
        )
    return str(rj)


def _literal(value: str, allowed: tuple[Any, ...], what: str) -> Any:
    if value not in allowed:
        if what == "profile":
            raise ConfigError(
                f"unknown scoring profile {value!r} (choose from {', '.join(allowed)})"
            )
        choices = " or ".join(repr(a) for a in allowed)
        raise ConfigError(f"--{what} must be {choices}, not {value!r}")
    return value
