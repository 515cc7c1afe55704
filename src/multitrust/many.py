"""Many models in one command: local ones one at a time, API ones side by side.

``evaluate_many`` builds every model first (so a typo or a missing key shows before anything
runs), then runs the models that use this machine's accelerator (``hf/``, a managed ``vllm/``
fleet) one after another while the API models (and servers the user runs) run concurrently
with them and with each other. All runs write to the same store, so the judge's answers are
cached once for all of them and each model resumes on its own. A model that fails to start is
recorded as failed and the others go on.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multitrust._listfile import list_file_lines
from multitrust.errors import ConfigError, MultitrustError, StoreWriteError
from multitrust.models.base import Model, ModelOptions
from multitrust.models.registry import get_model


@dataclass(frozen=True)
class ModelEntry:
    """One model of a multi-model run: its name and, optionally, its own endpoints."""

    spec: str
    base_urls: tuple[str, ...] = ()


@dataclass
class ModelOutcome:
    spec: str
    report: Any | None = None
    """The RunReport when the run finished."""
    error: str | None = None
    local: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def read_models_file(path: str | Path) -> list[ModelEntry]:
    """Models from a file: one per line, ``provider/name [--base-url URL]... [--base-urls FILE]``.

    Blank lines and ``#`` comments are ignored; a relative ``--base-urls`` file is read relative
    to the models file.
    """
    from multitrust.models.replicas import read_url_file

    p = Path(path)
    out: list[ModelEntry] = []
    for n, line in list_file_lines(p, "models"):
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise ConfigError(f"{p}:{n}: {exc}") from None
        spec, rest = words[0], words[1:]
        urls: list[str] = []
        while rest:
            flag = rest.pop(0)
            if flag not in ("--base-url", "--base-urls") or not rest:
                raise ConfigError(
                    f"{p}:{n}: expected 'provider/name [--base-url URL]... [--base-urls FILE]', "
                    f"got {line!r}"
                )
            value = rest.pop(0)
            if flag == "--base-url":
                urls.append(value)
            else:
                f = Path(value) if Path(value).is_absolute() else p.parent / value
                urls.extend(read_url_file(f))
        out.append(ModelEntry(spec, tuple(urls)))
    if not out:
        raise ConfigError(f"the models file {p} lists no models")
    specs = [e.spec for e in out]
    dupes = sorted({s for s in specs if specs.count(s) > 1})
    if dupes:
        raise ConfigError(f"{p}: models listed twice: {', '.join(dupes)}")
    return out


def is_local(model: Model) -> bool:
    """Whether the model runs on this machine's accelerator (so not beside another such one)."""
    return not model.concurrent or bool(getattr(model, "local_device", False))


class _SharedJudge(Model):
    """One judge for every run: each run's end must not close it (the last one does)."""

    def __init__(self, inner: Model) -> None:
        super().__init__(inner.name, inner.options)
        self.inner = inner
        self.provider = inner.provider
        self.concurrent = inner.concurrent
        self.max_batch_size = inner.max_batch_size
        self._public_url = inner._public_url

    @property
    def endpoint(self) -> str:
        return self.inner.endpoint

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def cache_identity(self) -> dict[str, Any]:
        return self.inner.cache_identity()

    def replica_pool(self) -> Any:
        return self.inner.replica_pool()

    async def generate(self, messages: Any, config: Any, *, sample: Any = None) -> Any:
        return await self.inner.generate(messages, config, sample=sample)

    async def generate_batch(self, batch: Any, config: Any, *, samples: Any = None) -> Any:
        return await self.inner.generate_batch(batch, config, samples=samples)

    async def preflight(self) -> None:
        await self.inner.preflight()

    async def aclose(self) -> None:  # closed once, by evaluate_many
        pass


async def evaluate_many_async(
    entries: Sequence[ModelEntry | str | Model],
    tasks: str | Sequence[str] | None = None,
    *,
    model_options: ModelOptions | None = None,
    data: str | None = "synth",
    judge: str | Model | None = None,
    judge_base_url: str | None = None,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[ModelOutcome], None] | None = None,
    progress: Callable[[str], Callable[[str, Any], None] | None] | None = None,
    **options: Any,
) -> list[ModelOutcome]:
    """Evaluate several models; one ``ModelOutcome`` per model, in the order given.

    ``options`` are ``evaluate_async``'s keyword options, shared by every run. ``model_options``
    are the options every model is built with (a model's own ``base_urls`` are added).
    """
    from dataclasses import replace

    from multitrust.api import check_options, evaluate_async

    check_options(options, "evaluate_many()")
    items = [e if isinstance(e, (ModelEntry, Model)) else ModelEntry(e) for e in entries]
    specs = [e.model_id if isinstance(e, Model) else e.spec for e in items]
    if len(set(specs)) != len(specs):
        raise ConfigError(f"a model is listed twice: {specs}")
    base = model_options or ModelOptions(timeout_s=options.get("timeout_s", 120.0))
    outcomes: list[ModelOutcome] = []
    models: list[Model | None] = []
    for e, spec in zip(items, specs, strict=True):
        out = ModelOutcome(spec)
        try:
            if isinstance(e, Model):
                m = e
            else:
                opts = replace(base, base_urls=e.base_urls) if e.base_urls else base
                m = get_model(e.spec, opts)
            out.local = is_local(m)
            models.append(m)
        except MultitrustError as exc:
            out.error = str(exc)
            models.append(None)
        outcomes.append(out)

    shared: Model | None = None
    if isinstance(judge, str):
        shared = _SharedJudge(
            get_model(judge, ModelOptions(base_url=judge_base_url, timeout_s=base.timeout_s))
        )
    elif judge is not None:
        shared = _SharedJudge(judge)

    async def one(out: ModelOutcome, model: Model) -> None:
        if on_start:
            on_start(out.spec)
        try:
            out.report = await evaluate_async(
                model,
                tasks,
                data=data,
                judge=shared,
                on_progress=progress(out.spec) if progress else None,
                **options,
            )
        except StoreWriteError:
            raise  # the store all models share cannot be written: the whole call stops
        except MultitrustError as exc:
            out.error = str(exc)
        if on_done:
            on_done(out)

    async def locals_in_turn(pairs: list[tuple[ModelOutcome, Model]]) -> None:
        for out, model in pairs:
            await one(out, model)

    runnable = [(o, m) for o, m in zip(outcomes, models, strict=True) if m is not None]
    for o in outcomes:
        if o.error is not None and on_done:
            on_done(o)
    local = [(o, m) for o, m in runnable if o.local]
    remote = [(o, m) for o, m in runnable if not o.local]
    try:
        await asyncio.gather(locals_in_turn(local), *(one(o, m) for o, m in remote))
    finally:
        if isinstance(shared, _SharedJudge):
            await shared.inner.aclose()
    return outcomes


def evaluate_many(*args: Any, **kwargs: Any) -> list[ModelOutcome]:
    """``evaluate_many_async`` run to completion on its own event loop (for the CLI, scripts
    and notebooks: inside a running loop it runs in a worker thread)."""
    from multitrust.api import run_sync

    return run_sync(lambda: evaluate_many_async(*args, **kwargs))
