"""``multitrust list``, ``eval`` and ``rescore``: what can run, and running it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from multitrust.cli import _options as opt
from multitrust.cli import _render as render

if TYPE_CHECKING:
    from multitrust.config import RunOptions
    from multitrust.many import ModelEntry, ModelOutcome


def list_tasks(
    tasks: Annotated[
        str | None, typer.Option("--tasks", "-t", help="Filter: ids, aspects or sub-aspects.")
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Show scorer needs on this data: 'synth' or the official data folder (default: the official layout).",
        ),
    ] = None,
) -> None:
    """List the tasks with aspect, sub-aspect, data sources, scorer needs and synth coverage."""
    import tempfile

    from multitrust.data.base import OfficialData, open_data
    from multitrust.tasks import select_tasks
    from multitrust.tasks.base import SUB_ASPECT_NAMES

    with tempfile.TemporaryDirectory() as empty:
        # a task's needs are its scorer's ``requires``, the list the planner enforces; building a
        # task reads no data, so an empty folder stands in for the official layout
        src = open_data(data) if data else OfficialData(empty)
        needs = {s.id: s.requires(src) for s in select_tasks(tasks)}
    table = Table(title="MultiTrust tasks")
    for col in (
        "id",
        "task",
        "aspect",
        "sub-aspect",
        "data",
        f"scorer needs ({'official data' if data is None else src.kind})",
        "synth coverage",
    ):
        table.add_column(col, overflow="fold")
    specs = select_tasks(tasks)
    for s in specs:
        note = s.synth_note or ""
        if "synth" in s.sources:
            synth = "yes"
        elif note.lower().startswith("official data only"):
            synth = note
        else:
            synth = f"official data only: {note}".strip()
        table.add_row(
            s.id,
            s.name,
            s.aspect,
            f"{s.sub_aspect} {SUB_ASPECT_NAMES[s.sub_aspect]}",
            ", ".join(s.sources),
            "not available" if (need := needs[s.id]) is None else ", ".join(need) or "rules",
            synth,
        )
    render.console.print(table)
    render.console.print(f"{len(specs)} tasks")


def eval_cmd(
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="provider/name, e.g. openai/gpt-4o, hf/<repo>, scripted/oracle. Repeat for several models.",
        ),
    ] = None,
    models_file: Annotated[
        Path | None,
        typer.Option(
            "--models",
            help="A file of models, one per line: provider/name [--base-url URL]... (see docs/scale.md).",
        ),
    ] = None,
    tasks: opt.Tasks = None,
    data: opt.Data = "synth",
    size: opt.Size = None,
    limit: opt.Limit = None,
    seed: opt.Seed = 0,
    judge: opt.Judge = None,
    profile: opt.Profile = "corrected",
    max_connections: opt.MaxConnections = 32,
    urls: opt.BaseUrl = None,
    urls_file: opt.BaseUrlsFile = None,
    replicas: Annotated[
        int | None,
        typer.Option(
            "--replicas", help="Managed vllm/<hf-id>: servers to start (default: one per GPU)."
        ),
    ] = None,
    tensor_parallel_size: Annotated[
        int | None,
        typer.Option("--tensor-parallel-size", help="Managed vllm/<hf-id>: GPUs per server."),
    ] = None,
    vllm_args: Annotated[
        str | None,
        typer.Option("--vllm-args", help="Managed vllm/<hf-id>: extra 'vllm serve' flags, quoted."),
    ] = None,
    vllm_startup_timeout: Annotated[
        float | None,
        typer.Option(
            "--vllm-startup-timeout",
            help="Managed vllm/<hf-id>: seconds to wait for the servers (1200).",
        ),
    ] = None,
    api_key: opt.ApiKey = None,
    judge_base_url: opt.JudgeBaseUrl = None,
    max_image_side: Annotated[
        int | None, typer.Option("--max-image-side", help="Downscale images sent to API models.")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="Micro-batch size for local models.")
    ] = None,
    device: Annotated[
        str | None, typer.Option("--device", help="Local models: cuda, cuda:1, mps, cpu or auto.")
    ] = None,
    dtype: Annotated[
        str | None, typer.Option("--dtype", help="Local models: bfloat16, float16 or float32.")
    ] = None,
    timeout_s: opt.Timeout = 120.0,
    toxicity: Annotated[
        str | None,
        typer.Option(
            "--toxicity",
            help="S.1/S.3 toxicity: 'api' (Perspective + OpenAI moderation keys) or 'offline' (a local classifier; not comparable).",
        ),
    ] = None,
    harm_classifier: Annotated[
        str | None,
        typer.Option(
            "--harm-classifier",
            help="HarmBench classifier for S.4-S.6 attack success: hf/cais/HarmBench-Llama-2-13b-cls, or openai/<name> with --harm-base-url.",
        ),
    ] = None,
    refusal_classifier: Annotated[
        str | None,
        typer.Option(
            "--refusal-classifier",
            help="OR the Do-Not-Answer action classifier into refusal rates, as the paper did: hf/LibrAI/longformer-action-ro.",
        ),
    ] = None,
    harm_base_url: Annotated[
        str | None,
        typer.Option(
            "--harm-base-url", help="OpenAI-compatible server serving the harm classifier."
        ),
    ] = None,
    db: opt.Db = None,
    synth_cache: opt.SynthCache = None,
    no_synth_cache: opt.NoSynthCache = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run tasks against a model; results stream into the store. Rerun to resume."""
    shared = opt.run_options(locals())
    from multitrust.api import run
    from multitrust.config import RunConfig
    from multitrust.errors import ConfigError
    from multitrust.many import ModelEntry, read_models_file
    from multitrust.models.replicas import read_url_file

    entries = [ModelEntry(m) for m in model or []]
    if models_file is not None:
        entries += read_models_file(models_file)
    if not entries:
        raise ConfigError("no model: give --model provider/name (repeatable) or --models FILE")
    all_urls = list(urls or [])
    if urls_file is not None:
        all_urls += [u for u in read_url_file(urls_file) if u not in all_urls]
    if len(entries) > 1:
        if all_urls:
            raise ConfigError(
                "with several models, give each model its URLs in the --models file "
                "(provider/name --base-url URL ...)"
            )
        _eval_many(entries, tasks, data, judge, shared, quiet)
        return
    (entry,) = entries
    all_urls = [*entry.base_urls, *(u for u in all_urls if u not in entry.base_urls)]
    single: RunOptions = {
        **shared,
        "base_url": all_urls[0] if len(all_urls) == 1 else None,
        "base_urls": all_urls if len(all_urls) > 1 else None,
    }
    config = RunConfig.from_options(entry.spec, tasks, data=data, judge=judge, **single)

    progress = render.progress(quiet)
    on_progress = render.bar_updater(progress, progress.add_task(entry.spec, total=None, info=""))
    with progress:
        report = run(config, on_progress=on_progress)
    render.print_report(report)
    if report.counters.errors:
        raise typer.Exit(code=3)


def _eval_many(
    entries: list[ModelEntry],
    tasks: str | None,
    data: str,
    judge: str | None,
    shared: RunOptions,
    quiet: bool,
) -> None:
    """Several models: local ones in turn, API ones together; ends with their leaderboard."""
    from multitrust.config import MODEL_OPTION_KEYS, ModelConfig
    from multitrust.many import evaluate_many

    o: dict[str, Any] = dict(shared)
    model_options = ModelConfig.from_options("*", o).options(o["timeout_s"])
    for key in MODEL_OPTION_KEYS:
        o.pop(key, None)
    judge_base_url = o.pop("judge_base_url")
    progress = render.progress(quiet)

    def bar_for(spec: str) -> Any:
        return render.bar_updater(progress, progress.add_task(spec, total=None, info="waiting"))

    def done(out: ModelOutcome) -> None:
        if out.error is not None:
            render.err_console.print(f"[red]{out.spec}: failed: {out.error}[/red]")
        elif out.report is not None:
            r = out.report
            overall = "–" if r.overall is None else f"{r.overall:.2f}"
            render.err_console.print(
                f"{out.spec}: done · overall {overall} · {r.counters.requests} requests · "
                f"{r.counters.errors} errors · run {r.run_id}"
            )

    with progress:
        outs = evaluate_many(
            entries,
            tasks,
            data=data,
            model_options=model_options,
            judge=judge,
            judge_base_url=judge_base_url,
            progress=bar_for,
            on_done=done,
            **o,
        )
    finished = [out.report.model for out in outs if out.report is not None]
    if finished:
        render.print_leaderboard(shared.get("db"), finished)
    failed = [out.spec for out in outs if out.error is not None]
    if failed:
        render.err_console.print(f"{len(failed)} of {len(outs)} models failed: {', '.join(failed)}")
        raise typer.Exit(code=1)
    if any(out.report is not None and out.report.counters.errors for out in outs):
        raise typer.Exit(code=3)


def rescore_cmd(
    model: Annotated[
        str, typer.Option("--model", "-m", help="The model whose stored outputs to re-score.")
    ],
    judge: Annotated[str | None, typer.Option("--judge", help="Judge model to score with.")] = None,
    profile: opt.Profile = "corrected",
    tasks: opt.Tasks = None,
    data: opt.Data = "synth",
    size: opt.Size = None,
    seed: opt.Seed = 0,
    base_url: Annotated[str | None, typer.Option("--base-url")] = None,
    judge_base_url: opt.JudgeBaseUrl = None,
    db: opt.Db = None,
    synth_cache: opt.SynthCache = None,
    no_synth_cache: opt.NoSynthCache = False,
) -> None:
    """Re-score stored outputs with another judge or profile: no generation requests are made
    for outputs already in the store's cache (the run is recorded separately)."""
    options = opt.run_options(locals())
    from multitrust.api import run
    from multitrust.config import RunConfig

    config = RunConfig.from_options(model, tasks, data=data, judge=judge, **options)
    render.print_report(run(config))
