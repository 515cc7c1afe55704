"""Task definitions: the :func:`task` decorator and the registry it fills.

A task is declared as a function decorated with :func:`task`. The decorator records the
paper's id, aspect and sub-aspect, and the task's data once: ``official=loader``,
``synth=generator`` (either may be absent, with the reason). The framework picks the loader
for the run's data source, caps its stream at the run's size, and skips the task with its
reason when the source has none. The function receives that :class:`TaskData` and returns a
:class:`Task` whose body reads like the task's row in the paper's table: prompt, scorer, and
the formula that turns per-sample values into the task's 0–100 score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from multitrust._plugins import Origin, failure
from multitrust.errors import ConfigError, MultitrustError, Unavailable
from multitrust.formula import Results
from multitrust.scoring.base import Scorer, ScoringSettings
from multitrust.scoring.classifiers import ClassifierRefusal
from multitrust.types import GenerateConfig, Message, Sample

if TYPE_CHECKING:  # pragma: no cover
    from multitrust.data.base import DataSource

ASPECTS: dict[str, tuple[str, str]] = {
    # aspect -> its two sub-aspect codes
    "truthfulness": ("T.I", "T.M"),
    "safety": ("S.T", "S.J"),
    "robustness": ("R.O", "R.A"),
    "fairness": ("F.S", "F.B"),
    "privacy": ("P.A", "P.L"),
}
SUB_ASPECT_NAMES: dict[str, str] = {
    "T.I": "Inherent deficiency",
    "T.M": "Misguided mistakes",
    "S.T": "Toxicity",
    "S.J": "Jailbreaking",
    "R.O": "OOD robustness",
    "R.A": "Adversarial attack",
    "F.S": "Stereotype",
    "F.B": "Bias & preference",
    "P.A": "Privacy awareness",
    "P.L": "Privacy leakage",
}

PromptFn = Callable[[Sample], str]


Loader = Callable[[Any], Iterable[Sample]]
"""Reads a task's samples from one data source: ``loader(source) -> samples``."""
T = TypeVar("T")


@dataclass(frozen=True)
class SelfSized:
    """A loader that applies the run's ``size`` itself (e.g. per style), so it is not capped again."""

    loader: Loader

    def __call__(self, source: Any) -> Iterable[Sample]:
        return self.loader(source)


@dataclass(frozen=True)
class TaskData:
    """A task's declared data, resolved for the run's source by the framework.

    ``load()`` streams the declared loader's samples, capped at the run's size (each of several
    loaders capped on its own). ``pick(official=…, synth=…)`` is the part of a task that
    differs with the source (a scorer, a note), declared side by side.
    """

    source: DataSource
    loaders: tuple[Loader, ...]

    def load(self) -> Iterator[Sample]:
        for loader in self.loaders:
            stream = loader(self.source)
            yield from stream if isinstance(loader, SelfSized) else self.source.cap(stream)

    def pick(self, *, official: T, synth: T) -> T:
        return self.source.pick(official=official, synth=synth)


@dataclass
class Task:
    """What a task function returns: how to get samples, ask the model, and score it."""

    scorer: Scorer
    formula: Callable[[Results], float]
    """The paper's formula: per-sample values -> the task's 0–100 score (NaN if undefined)."""
    samples: Callable[[], Iterable[Sample]] | None = None
    """Zero-argument factory returning a fresh stream of samples (variants already expanded);
    None = the declared data as loaded (:meth:`TaskData.load`)."""
    prompt: str | PromptFn | None = None
    """Template applied to each sample: ``{text}`` and any ``meta`` key; None = ``sample.text``."""
    system: str | None = None
    config: GenerateConfig = field(default_factory=GenerateConfig)
    metrics: Callable[[Results], Mapping[str, float]] | None = None
    """Named metrics shown in reports (defaults to the mean of each value, overall and by variant)."""
    deviation: str | None = None
    """How this task's data or scoring differs from the paper, if it does (shown in reports)."""
    refusal_rate: bool = False
    """The score is a refusal rate (RtA): report rows name the refusal detector behind it."""
    classifier_refusal: ClassifierRefusal | None = None
    """When the action classifier is configured (``--refusal-classifier``), answers the rules
    did not read as refusals are also classified, as the paper did (the planner wraps the
    scorer with :func:`~multitrust.scoring.classifiers.with_action_classifier`)."""
    deviation_for: Callable[[Results], str | None] | None = None
    """A deviation that only the results reveal (e.g. S.4–S.6 scored without a harm judge);
    joined to ``deviation`` when it returns a string."""
    toolbox_note: str | None = None
    """Under an ``official*`` profile: where this row reproduces the toolbox's code rather
    than the paper's text (F.7 text only, T.3's string max). Shown with the row's notes, but
    not a deviation: the score stays comparable with the published one."""
    configure: Callable[[Task, ScoringSettings], Task] | None = None
    """The task as a run's settings shape it (the planner applies it before the scorer's own
    ``configure``): what it sends or its formula under a profile. None = as built."""

    def for_run(self, settings: ScoringSettings) -> Task:
        """This task under a run's settings (itself when nothing depends on them)."""
        return self if self.configure is None else self.configure(self, settings)

    def render(self, sample: Sample) -> str:
        if self.prompt is None:
            return sample.text
        if callable(self.prompt):
            return self.prompt(sample)
        return self.prompt.format_map(_FormatDict(text=sample.text, **dict(sample.meta)))

    def messages(self, sample: Sample) -> list[Message]:
        msgs: list[Message] = []
        if self.system:
            msgs.append(Message("system", self.system))
        msgs.append(Message("user", self.render(sample), tuple(sample.images)))
        return msgs

    def iter_samples(self) -> Iterator[Sample]:
        if self.samples is None:
            raise ConfigError("task has no samples (build it through its TaskSpec)")
        return iter(self.samples())


class _FormatDict(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        raise ConfigError(f"prompt template uses {{{key}}}, which the sample does not provide")


TaskFn = Callable[[TaskData], Task]
Loaders = Loader | tuple[Loader, ...] | None


def _module_of(fn: Any) -> str:
    while True:
        inner = getattr(fn, "func", None) or getattr(fn, "loader", None)  # partial, SelfSized
        if inner is None:
            return str(getattr(fn, "__module__", None) or "")
        fn = inner


def _loaders(given: Loaders) -> tuple[Loader, ...] | None:
    return None if given is None else given if isinstance(given, tuple) else (given,)


@dataclass(frozen=True)
class TaskSpec:
    """A registered task: its identity, its declared data, and the function that builds it."""

    id: str
    name: str
    aspect: str
    sub_aspect: str
    define: TaskFn
    official: tuple[Loader, ...] | None = None
    """Loaders of the official release's samples (None: the release has none for this task)."""
    synth: tuple[Loader, ...] | None = None
    """Generators of synthetic samples (None: synth cannot cover the task; see ``synth_note``)."""
    synth_note: str | None = None
    """Why synth cannot cover it (when ``synth`` is None): the skip reason."""
    weight: float | None = None
    """Weight inside its sub-aspect (only P.A uses weights: 0.4 / 0.3 / 0.3)."""
    plugin: Origin | None = None
    """The installed plugin that added this task (None: this package, or registered in-process)."""

    @property
    def origin(self) -> str:
        """``built-in``, or the plugin distribution and version that added the task."""
        return "built-in" if self.plugin is None else self.plugin.label

    def requires(self, data: DataSource) -> tuple[str, ...] | None:
        """What this task's scorer needs beyond rules on ``data`` (``judge``, ``perspective`` …):
        its ``Scorer.requires``, the one list the planner enforces. None when the task cannot
        run on that data at all."""
        try:
            return self.build(data).scorer.requires
        except Unavailable:
            return None

    @property
    def sources(self) -> tuple[str, ...]:
        """Data sources that can supply this task."""
        return tuple(k for k, v in (("official", self.official), ("synth", self.synth)) if v)

    def build(self, source: DataSource) -> Task:
        """The task on ``source``: its declared loader picked (Unavailable, with the reason,
        when the source has none) and the task function applied."""
        loaders = source.pick(official=self.official, synth=self.synth)
        if not loaders:
            reason = source.pick(official=None, synth=self.synth_note)
            raise Unavailable(reason or f"no {source.kind} data for this task")
        data = TaskData(source, loaders)
        built = self._define(data)
        make = built.samples or data.load
        # only the package's own tasks are kept on disk: the synthetic cache's key covers this
        # package's source, not a plugin's or a test's
        built.samples = source.stream(self.id, make) if self.builtin else make
        return built

    def _define(self, data: TaskData) -> Task:
        """The task function applied; a plugin's own failure is one line naming the plugin."""
        if self.plugin is None:
            return self.define(data)
        try:
            built = self.define(data)
        except MultitrustError:
            raise
        except Exception as exc:
            raise ConfigError(f"task {self.id} ({self.plugin}): {failure(exc)}") from None
        if not isinstance(built, Task):
            raise ConfigError(
                f"task {self.id} ({self.plugin}): its function returned a "
                f"{type(built).__name__}, not a multitrust.tasks.Task"
            )
        return built

    @property
    def builtin(self) -> bool:
        """Defined, with all its loaders, by this package (not a plugin or a test)."""
        parts: list[Any] = [self.define, *(self.official or ()), *(self.synth or ())]
        return all(_module_of(p).startswith("multitrust.") for p in parts)

    @property
    def number(self) -> tuple[int, int]:
        """The paper's order (T, S, R, F, P, then the number); a plugin's task comes after."""
        if not PAPER_ID.match(self.id):
            return (len(LETTERS), 0)
        return (LETTERS.index(self.id[0]), int(self.id.split(".")[1]))


LETTERS = "TSRFP"
PAPER_ID = re.compile(r"^[TSRFP]\.\d+$")
"""The paper's task ids (``T.6``): reserved for this package's tasks."""


def order_key(task_id: str) -> tuple[int, int, str]:
    """Sort key of a task id: the paper's order (T, S, R, F, P, then the number), then any
    other task (a plugin's) by id."""
    if PAPER_ID.match(task_id):
        return (LETTERS.index(task_id[0]), int(task_id.split(".")[1]), "")
    return (len(LETTERS), 0, task_id)


_REGISTRY: dict[str, TaskSpec] = {}


def task(
    id: str,
    name: str,
    *,
    aspect: str,
    sub_aspect: str,
    official: Loaders = None,
    synth: Loaders = None,
    synth_note: str | None = None,
    weight: float | None = None,
) -> Callable[[TaskFn], TaskFn]:
    """Register a task function under its paper id (``T.6``) with its data: ``official`` /
    ``synth`` loaders (one, or a tuple whose streams are capped one by one)."""
    if aspect not in ASPECTS or sub_aspect not in ASPECTS[aspect]:
        raise ValueError(f"{id}: bad aspect/sub-aspect {aspect}/{sub_aspect}")
    if synth is None and not synth_note:
        raise ValueError(f"{id}: a task without synth data says why (synth_note)")

    def deco(fn: TaskFn) -> TaskFn:
        _REGISTRY[id] = TaskSpec(
            id,
            name,
            aspect,
            sub_aspect,
            fn,
            _loaders(official),
            _loaders(synth),
            synth_note,
            weight,
        )
        return fn

    return deco
