"""The scorer protocol.

A scorer turns (sample, model output) into a :class:`~multitrust.types.Score`. Rule scorers are
pure functions wrapped with :func:`rule`; judge scorers call ``ctx.judge`` — another model, run
through the same engine (cached, rate-limited). Scorers are named and versioned so a result
records exactly what scored it, and a run can be re-scored later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, get_args

from multitrust.types import GenerateConfig, Generation, Message, Sample, Score

Profile = Literal["corrected", "official", "official-a067801"]
"""``corrected`` (the defects fixed), ``official`` (the paper-era toolbox release v0.1.0) or
``official-a067801`` (its current release); ``scoring/releases.py`` says what each follows."""
PROFILES: tuple[str, ...] = get_args(Profile)

Toxicity = str
"""S.1/S.3 toxicity: ``api`` (Perspective + OpenAI Moderation, as the paper), ``perspective`` or
``moderation`` alone, ``hf/<model>[#labels]`` (a local model), ``profanity`` (a profanity
filter; ``offline`` is its deprecated name) or ``auto`` (chosen when the run is planned); see
:mod:`multitrust.scoring.toxicity`. Every choice but ``api`` is a deviation, not comparable."""
TOXICITY_BACKENDS: tuple[str, ...] = ("auto", "api", "perspective", "moderation", "profanity")
"""The named ``--toxicity`` choices (besides ``hf/<model>``)."""


@dataclass(frozen=True)
class ScoringSettings:
    """The run settings a scorer may depend on: the scoring floor's own settings type.
    ``RunConfig.scoring`` gives a run's; ``Scorer.for_run`` takes it."""

    profile: Profile = "corrected"
    toxicity: Toxicity = "api"


class JudgeFn(Protocol):
    async def __call__(
        self, messages: Sequence[Message], config: GenerateConfig | None = None
    ) -> Generation: ...


@dataclass
class ScoreContext:
    """What a scorer may use besides the sample and the output."""

    profile: str = "corrected"
    judge: JudgeFn | None = None
    """Calls the judge model through the engine (cache + limiter). None when no judge was given."""
    judge_id: str | None = None
    resources: dict[str, Any] = field(default_factory=dict)
    """Lazily loaded scorer resources (classifiers, keys), shared across samples."""


class JudgeError(Exception):
    """The judge call failed: the sample is left unscored (retried on rerun), never guessed."""


@dataclass
class Scorer:
    """A named, versioned scorer.

    ``fn`` is async ``(sample, output, ctx) -> Score``. ``requires`` lists what must be
    configured for it to run: ``"judge"``, ``"perspective"``, ``"moderation"``, ``"harmbench"`` …
    ``deviation`` says how it differs from the paper's scorer (shown in reports), if it does.
    ``configure``, when set, returns the scorer to use under a run's settings (S.1/S.3 pick
    their toxicity backend from ``ScoringSettings.toxicity`` this way); the planner applies it to a
    task's top-level scorer before checking ``requires``.
    """

    name: str
    fn: Callable[[Sample, str, ScoreContext], Awaitable[Score]]
    version: str = "1"
    requires: tuple[str, ...] = ()
    deviation: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    configure: Callable[[ScoringSettings], Scorer] | None = None

    def for_run(self, settings: ScoringSettings) -> Scorer:
        """This scorer as the run's settings shape it (itself when nothing depends on them)."""
        return self if self.configure is None else self.configure(settings)

    async def __call__(self, sample: Sample, output: str, ctx: ScoreContext) -> Score:
        score = await self.fn(sample, output, ctx)
        if score.scorer is None:
            return Score(score.values, score.label, score.explanation, self.name)
        return score

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"


def rule(
    name: str,
    *,
    version: str = "1",
    deviation: str | None = None,
    params: dict[str, Any] | None = None,
) -> Callable[[Callable[[Sample, str, ScoreContext], Score]], Scorer]:
    """Wrap a synchronous rule ``(sample, output, ctx) -> Score`` as a Scorer."""

    def deco(fn: Callable[[Sample, str, ScoreContext], Score]) -> Scorer:
        async def run(sample: Sample, output: str, ctx: ScoreContext) -> Score:
            return fn(sample, output, ctx)

        return Scorer(name, run, version=version, deviation=deviation, params=dict(params or {}))

    return deco


def combine(
    name: str, *scorers: Scorer, version: str = "1", deviation: str | None = None
) -> Scorer:
    """Run several scorers on one output and merge their values (later ones win on key clashes).

    The label names each part (``perspective:low refusal:answer``); ``deviation`` is this
    combination's own note, joined to the parts' notes.
    """
    requires = tuple(sorted({r for s in scorers for r in s.requires}))
    deviations = [d for d in (deviation, *(s.deviation for s in scorers)) if d]

    async def run(sample: Sample, output: str, ctx: ScoreContext) -> Score:
        values: dict[str, float | None] = {}
        labels: list[str] = []
        expl: list[str] = []
        for s in scorers:
            sc = await s(sample, output, ctx)
            values.update(sc.values)
            if sc.label:
                labels.append(f"{s.name}:{sc.label}")
            if sc.explanation:
                expl.append(sc.explanation)
        return Score(values, " ".join(labels) or None, "; ".join(expl) or None, name)

    return Scorer(
        name,
        run,
        version=version,
        requires=requires,
        deviation="; ".join(deviations) or None,
        params=_member_prompts(scorers),
    )


def _member_prompts(scorers: Iterable[Scorer]) -> dict[str, Any]:
    """The judge prompts the members record (``params["prompts"]``: profile -> {id: version}),
    merged in order, so that a composed scorer still says which prompts it sends."""
    merged: dict[str, dict[str, str]] = {}
    for s in scorers:
        for profile, versions in s.params.get("prompts", {}).items():
            merged.setdefault(profile, {}).update(versions)
    return {"prompts": merged} if merged else {}


def by_meta(name: str, key: str, scorers: Mapping[str, Scorer]) -> Scorer:
    """Dispatch to a scorer chosen by ``sample.meta[key]`` (T.1 subsets, T.3 datasets)."""
    requires = tuple(sorted({r for s in scorers.values() for r in s.requires}))

    async def run(sample: Sample, output: str, ctx: ScoreContext) -> Score:
        chosen = scorers.get(str(sample.meta.get(key)))
        if chosen is None:
            raise ValueError(
                f"{name}: sample {sample.id} has {key}={sample.meta.get(key)!r}, expected one of {sorted(scorers)}"
            )
        return await chosen(sample, output, ctx)

    deviations = sorted({s.deviation for s in scorers.values() if s.deviation})

    def configure(settings: ScoringSettings) -> Scorer:
        # what a member needs under the run's settings is what the dispatcher needs
        return by_meta(name, key, {k: s.for_run(settings) for k, s in scorers.items()})

    return Scorer(
        name,
        run,
        version="1",
        requires=requires,
        deviation="; ".join(deviations) or None,
        params={key: {k: s.id for k, s in scorers.items()}, **_member_prompts(scorers.values())},
        configure=configure if any(s.configure for s in scorers.values()) else None,
    )
