"""The command line: ``multitrust eval | list | runs | report | leaderboard | export | data | rescore``."""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from multitrust.errors import MultitrustError

app = typer.Typer(
    name="multitrust",
    help="Measure how trustworthy a multimodal (image + text) chat model is: the 32 MultiTrust tasks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(
    help="Get and check the official MultiTrust data; draw the synthetic suite ahead of a run.",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")

# wide output when piped (CI logs, files); the terminal's width otherwise
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True)

DbOpt = Annotated[
    Path | None,
    typer.Option("--db", help="SQLite store (default: $MULTITRUST_DB or ./multitrust.db)."),
]
SynthCacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--synth-cache",
        help="Where the synthetic suite is kept once drawn (default: $MULTITRUST_CACHE or ~/.cache/multitrust).",
    ),
]
NoSynthCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-synth-cache", help="Draw the synthetic suite again instead of reading it back."
    ),
]


def _fmt(x: float | None, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:.{digits}f}"


@app.command("list")
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
    from multitrust.tasks.base import SUB_ASPECT_NAMES, select_tasks

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
    console.print(table)
    console.print(f"{len(specs)} tasks")


@app.command("eval")
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
    tasks: Annotated[
        str | None,
        typer.Option(
            "--tasks", "-t", help="T.6,P.6 or aspects (privacy) or sub-aspects (P.L). Default: all."
        ),
    ] = None,
    data: Annotated[
        str, typer.Option("--data", help="'synth' or the path to the official data folder.")
    ] = "synth",
    size: Annotated[
        int | None,
        typer.Option("--size", help="Samples per task (synth; default 20) or a cap (official)."),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Cap on sample×variant items per task.")
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed for synthetic data and image pairing.")
    ] = 0,
    judge: Annotated[
        str | None,
        typer.Option("--judge", help="Judge model for judge-scored tasks, e.g. openai/gpt-4o."),
    ] = None,
    profile: Annotated[
        str, typer.Option("--profile", help="Scoring profile: corrected (default) or official.")
    ] = "corrected",
    max_connections: Annotated[
        int, typer.Option("--max-connections", help="Max concurrent requests per endpoint.")
    ] = 32,
    base_url: Annotated[
        list[str] | None,
        typer.Option(
            "--base-url",
            help="OpenAI-compatible server URL (vLLM, SGLang, Ollama…). Repeat for replicas of one model.",
        ),
    ] = None,
    base_urls_file: Annotated[
        Path | None,
        typer.Option("--base-urls", help="A file of replica URLs for the model, one per line."),
    ] = None,
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
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="API key (prefer the provider's environment variable).",
            show_default=False,
        ),
    ] = None,
    judge_base_url: Annotated[
        str | None, typer.Option("--judge-base-url", help="Base URL for the judge model.")
    ] = None,
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
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per request.")] = 120.0,
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
    db: DbOpt = None,
    synth_cache: SynthCacheOpt = None,
    no_synth_cache: NoSynthCacheOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run tasks against a model; results stream into the store. Rerun to resume."""
    from multitrust.api import run
    from multitrust.config import RunConfig, RunOptions
    from multitrust.errors import ConfigError
    from multitrust.many import ModelEntry, read_models_file
    from multitrust.models.replicas import read_url_file

    entries = [ModelEntry(m) for m in model or []]
    if models_file is not None:
        entries += read_models_file(models_file)
    if not entries:
        raise ConfigError("no model: give --model provider/name (repeatable) or --models FILE")
    urls = list(base_url or [])
    if base_urls_file is not None:
        urls += [u for u in read_url_file(base_urls_file) if u not in urls]
    shared: RunOptions = {
        "db": db,
        "synth_cache": False if no_synth_cache else synth_cache,
        "seed": seed,
        "size": size,
        "limit": limit,
        "profile": profile,
        "toxicity": toxicity,
        "max_connections": max_connections,
        "api_key": api_key,
        "judge_base_url": judge_base_url,
        "max_image_side": max_image_side,
        "timeout_s": timeout,
        "batch_size": batch_size,
        "device": device,
        "dtype": dtype,
        "harm_classifier": harm_classifier,
        "refusal_classifier": refusal_classifier,
        "harm_base_url": harm_base_url,
        "replicas": replicas,
        "tensor_parallel_size": tensor_parallel_size,
        "vllm_args": vllm_args,
        "vllm_startup_timeout": vllm_startup_timeout,
    }
    if len(entries) > 1:
        if urls:
            raise ConfigError(
                "with several models, give each model its URLs in the --models file "
                "(provider/name --base-url URL ...)"
            )
        _eval_many(entries, tasks, data, judge, shared, quiet)
        return
    (entry,) = entries
    urls = [*entry.base_urls, *(u for u in urls if u not in entry.base_urls)]
    single: RunOptions = {
        **shared,
        "base_url": urls[0] if len(urls) == 1 else None,
        "base_urls": urls if len(urls) > 1 else None,
    }
    config = RunConfig.from_options(entry.spec, tasks, data=data, judge=judge, **single)
    model_label = entry.spec

    progress = _progress(quiet)
    on_progress = _bar_updater(progress, progress.add_task(model_label, total=None, info=""))
    with progress:
        report = run(config, on_progress=on_progress)
    _print_report(report)
    if report.counters.errors:
        raise typer.Exit(code=3)


def _progress(quiet: bool) -> Progress:
    """The run's progress display on stderr (off with --quiet or when stderr is not a terminal)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet or not err_console.is_terminal,
        transient=False,
    )


def _bar_updater(progress: Progress, bar: Any) -> Callable[[str, Any], None]:
    """An engine progress callback that moves one bar of ``progress``."""

    def on_progress(task_id: str, c: Any) -> None:
        progress.update(
            bar,
            completed=c.scored + c.errors,
            info=f"{task_id} · requests {c.requests} · cached {c.cached} · errors {c.errors}",
        )

    return on_progress


def _eval_many(
    entries: list[Any],
    tasks: str | None,
    data: str,
    judge: str | None,
    shared: Any,
    quiet: bool,
) -> None:
    """Several models: local ones in turn, API ones together; ends with their leaderboard."""
    from multitrust.config import MODEL_OPTION_KEYS, ModelConfig
    from multitrust.many import evaluate_many

    o = dict(shared)
    model_options = ModelConfig.from_options("*", o).options(o["timeout_s"])
    for key in MODEL_OPTION_KEYS:
        o.pop(key, None)
    judge_base_url = o.pop("judge_base_url")
    progress = _progress(quiet)

    def bar_for(spec: str) -> Any:
        return _bar_updater(progress, progress.add_task(spec, total=None, info="waiting"))

    def done(out: Any) -> None:
        if out.error is not None:
            err_console.print(f"[red]{out.spec}: failed: {out.error}[/red]")
        else:
            r = out.report
            overall = "–" if r.overall is None else f"{r.overall:.2f}"
            err_console.print(
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
        _print_leaderboard(shared.get("db"), finished)
    failed = [out.spec for out in outs if out.error is not None]
    if failed:
        err_console.print(f"{len(failed)} of {len(outs)} models failed: {', '.join(failed)}")
        raise typer.Exit(code=1)
    if any(out.report is not None and out.report.counters.errors for out in outs):
        raise typer.Exit(code=3)


def _print_report(report: Any) -> None:
    from multitrust.tasks.base import SUB_ASPECT_NAMES

    table = Table(
        title=f"{report.model} · data {report.data.get('kind')} · profile {report.profile} · run {report.run_id}"
    )
    for col in ("task", "name", "score", "95% CI", "n", "errors", "status"):
        table.add_column(
            col, justify="right" if col in ("score", "n", "errors") else "left", overflow="fold"
        )
    for oc in report.tasks.values():
        ci = f"{oc.ci[0]:.1f}–{oc.ci[1]:.1f}" if oc.ci else ""
        status = oc.status if not oc.reason else f"{oc.status}: {oc.reason}"
        table.add_row(oc.task_id, oc.name, _fmt(oc.score), ci, str(oc.n), str(oc.n_errors), status)
    console.print(table)
    judged: dict[tuple[str, str, str], list[str]] = {}
    for oc in report.tasks.values():
        j = getattr(oc, "judge", None)
        if j:
            judged.setdefault((j["model"], j["prompt_version"], j["profile"]), []).append(
                oc.task_id
            )
    for (model, version, profile), ids in judged.items():
        console.print(f"judge {model} · prompts {version} · profile {profile}: {', '.join(ids)}")
    sub = Table(title="Sub-aspects")
    sub.add_column("code")
    sub.add_column("name")
    sub.add_column("score", justify="right")
    sub.add_column("tasks")
    for code, s in report.sub_aspects.items():
        if s.score is None and not s.tasks:
            continue
        sub.add_row(
            code,
            SUB_ASPECT_NAMES[code],
            _fmt(s.score),
            ", ".join(s.tasks) + (" (partial)" if s.partial else ""),
        )
    console.print(sub)
    label = "overall (partial: not all 32 tasks)" if report.overall_partial else "overall"
    console.print(f"[bold]{label}: {_fmt(report.overall, 2)}[/bold]")
    c = report.counters
    console.print(
        f"requests {c.requests} · judge requests {c.judge_requests} · cached {c.cached} · resumed {c.skipped} · "
        f"scored {c.scored} · errors {c.errors} · {report.elapsed_s:.1f}s · store {report.db}"
    )
    if c.errors:
        err_console.print(
            f"{c.errors} samples failed and were not scored; rerun the same command to retry them."
        )


@app.command("runs")
def runs_cmd(db: DbOpt = None) -> None:
    """Runs in the store with their task scores and error counts."""
    from multitrust.store import Store

    store = Store(db)
    runs = store.runs()
    if not runs:
        console.print(f"no runs in {store.path}")
        return
    for r in runs:
        table = Table(
            title=f"run {r.run_id} · {r.model} · {r.data.get('kind')} · profile {r.profile} · {r.status}"
        )
        for col in ("task", "score", "n", "errors", "status"):
            table.add_column(col)
        for tr in sorted(store.task_results(r.run_id), key=lambda t: _paper_order(t["task_id"])):
            table.add_row(
                tr["task_id"],
                _fmt(tr["score"]),
                str(tr["n"] or 0),
                str(tr["n_errors"] or 0),
                tr["status"] + (f": {tr['reason']}" if tr["reason"] else ""),
            )
        console.print(table)
    store.close()


@app.command("rescore")
def rescore_cmd(
    model: Annotated[
        str, typer.Option("--model", "-m", help="The model whose stored outputs to re-score.")
    ],
    judge: Annotated[str | None, typer.Option("--judge", help="Judge model to score with.")] = None,
    profile: Annotated[str, typer.Option("--profile")] = "corrected",
    tasks: Annotated[str | None, typer.Option("--tasks", "-t")] = None,
    data: Annotated[str, typer.Option("--data")] = "synth",
    size: Annotated[int | None, typer.Option("--size")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    base_url: Annotated[str | None, typer.Option("--base-url")] = None,
    judge_base_url: Annotated[str | None, typer.Option("--judge-base-url")] = None,
    db: DbOpt = None,
    synth_cache: SynthCacheOpt = None,
    no_synth_cache: NoSynthCacheOpt = False,
) -> None:
    """Re-score stored outputs with another judge or profile: no generation requests are made
    for outputs already in the store's cache (the run is recorded separately)."""
    from multitrust.api import run
    from multitrust.config import RunConfig

    config = RunConfig.from_options(
        model,
        tasks,
        data=data,
        db=db,
        synth_cache=False if no_synth_cache else synth_cache,
        seed=seed,
        size=size,
        judge=judge,
        profile=profile,
        base_url=base_url,
        judge_base_url=judge_base_url,
    )
    _print_report(run(config))


@app.command("report")
def report_cmd(
    out: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")] = Path(
        "multitrust-report.html"
    ),
    models: Annotated[
        str | None, typer.Option("--models", help="Comma-separated model ids (default: all).")
    ] = None,
    db: DbOpt = None,
) -> None:
    """Write one self-contained HTML report (charts embedded; opens with no network)."""
    from multitrust.report.html import write_report

    path = write_report(db, out, models=_split(models))
    console.print(f"report written to {path}")


@app.command("leaderboard")
def leaderboard_cmd(
    models: Annotated[
        str | None, typer.Option("--models", help="Comma-separated model ids (default: all).")
    ] = None,
    reference: Annotated[
        bool, typer.Option("--reference/--no-reference", help="Show the published rows.")
    ] = True,
    db: DbOpt = None,
) -> None:
    """The ranking in the terminal: your runs beside the published MultiTrust leaderboard."""
    _print_leaderboard(db, _split(models), reference=reference)


def _print_leaderboard(db: Any, models: list[str] | None, *, reference: bool = True) -> None:
    """The leaderboard table: the runs of ``models`` (None: all) beside the published rows."""
    from multitrust.aggregate import SUB_ASPECTS
    from multitrust.report.data import gather, reference_rows

    entries = gather(db, models)
    rows: list[tuple[float, str, str, list[str], str]] = []
    for e in entries:
        note = (
            "calibration"
            if e.calibration
            else ("comparable" if e.comparable and not e.overall_partial else "not comparable")
        )
        rows.append(
            (
                e.overall if e.overall is not None else -1.0,
                e.label,
                "run",
                [_fmt(e.sub_aspects.get(c)) for c in SUB_ASPECTS],
                note,
            )
        )
    if reference:
        for r in reference_rows():
            rows.append(
                (r["overall"], r["model"], "published", [_fmt(r[c]) for c in SUB_ASPECTS], "")
            )
    rows.sort(key=lambda x: -x[0])
    table = Table(title="MultiTrust leaderboard (0–100)")
    table.add_column("#", justify="right")
    table.add_column("model")
    table.add_column("source")
    table.add_column("overall", justify="right")
    for c in SUB_ASPECTS:
        table.add_column(c, justify="right")
    table.add_column("note")
    for i, (overall, name, source, subs, note) in enumerate(rows, 1):
        style = "bold cyan" if source == "run" else None
        table.add_row(
            str(i),
            name,
            source,
            _fmt(overall if overall >= 0 else None, 2),
            *subs,
            note,
            style=style,
        )
    console.print(table)
    if any(r[2] == "run" and r[4] != "comparable" for r in rows):
        console.print(
            "note: runs on synthetic data, with the corrected profile's fixes, another judge or a subset of tasks "
            "are not directly comparable with the published rows"
        )


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--output", "-o", help="File to write.")] = Path(
        "multitrust-results.parquet"
    ),
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="parquet, csv or jsonl (default: from the file suffix)."),
    ] = None,
    models: Annotated[str | None, typer.Option("--models")] = None,
    db: DbOpt = None,
) -> None:
    """Export per-sample results (one row per sample × variant)."""
    from multitrust.results import export

    path = export(db, out, fmt, models=_split(models))
    console.print(f"results written to {path}")


def _paper_order(task_id: str) -> tuple[int, int]:
    """T, S, R, F, P and then the number, as in the paper's tables."""
    try:
        return ("TSRFP".index(task_id[0]), int(task_id.split(".")[1]))
    except (ValueError, IndexError):
        return (9, 0)


def _split(s: str | None) -> list[str] | None:
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


@data_app.command("verify")
def data_verify(
    root: Annotated[Path, typer.Argument(help="The official data folder.")],
    tasks: Annotated[str | None, typer.Option("--tasks", "-t")] = None,
    images: Annotated[
        bool, typer.Option("--images/--no-images", help="Also decode every image.")
    ] = True,
) -> None:
    """Check that each task's files exist and parse: ok / missing / malformed (file and line)."""
    from multitrust.data.verify import verify

    rows = verify(root, tasks, decode_images=images)
    table = Table(title=f"official data at {root}")
    for col in ("task", "status", "samples", "detail"):
        table.add_column(col, overflow="fold")
    bad = 0
    for r in rows:
        style = {"ok": "green", "skipped": "yellow"}.get(r.status, "red")
        table.add_row(r.task_id, f"[{style}]{r.status}[/{style}]", str(r.samples), r.detail or "")
        bad += r.status not in ("ok", "skipped")
    console.print(table)
    if bad:
        raise typer.Exit(code=1)


@data_app.command("synth")
def data_synth(
    tasks: Annotated[str | None, typer.Option("--tasks", "-t")] = None,
    size: Annotated[
        int | None, typer.Option("--size", help="Samples per task (default 20).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Tasks drawn at once, each in its own process.")
    ] = max(1, min(8, os.cpu_count() or 1)),
    synth_cache: SynthCacheOpt = None,
) -> None:
    """Draw the synthetic suite into its cache now, several tasks at once, so that the runs
    that follow (with the same --seed and --size) read it instead of drawing it."""
    from multitrust.data.base import SynthData
    from multitrust.data.synth_cache import default_cache_dir, prepare
    from multitrust.tasks import select_tasks

    root = synth_cache or default_cache_dir()
    ids = [s.id for s in select_tasks(tasks) if "synth" in s.sources]
    n = size if size is not None else SynthData.QUICK
    started = time.perf_counter()

    def done(task_id: str, samples: int, cached: bool, cpu: float) -> None:
        how = "already cached" if cached else f"drawn in {cpu:.1f} s of CPU"
        console.print(f"{task_id:5} {samples:6d} samples  {how}")

    results = prepare(ids, seed=seed, size=n, root=root, jobs=jobs, on_done=done)
    total = sum(r[1] for r in results)
    console.print(
        f"{len(results)} synthetic tasks, {total} samples (seed {seed}, size {n}) in "
        f"{root}: {time.perf_counter() - started:.1f} s with {jobs} job(s)"
    )


@data_app.command("fetch")
def data_fetch(
    dest: Annotated[Path, typer.Option("--dest", help="Where to put the data.")] = Path(
        "data/multitrust"
    ),
    repo: Annotated[
        str, typer.Option("--repo", help="Hugging Face dataset repo.")
    ] = "thu-ml/MultiTrust",
    revision: Annotated[str | None, typer.Option("--revision")] = None,
) -> None:
    """Download the gated official dataset with your Hugging Face token (HF_TOKEN or `hf auth login`)."""
    from multitrust.data.fetch import fetch

    path = fetch(dest, repo=repo, revision=revision)
    console.print(f"data in {path}; check it with: multitrust data verify {path}")


@data_app.command("fetch-images")
def data_fetch_images(
    root: Annotated[Path, typer.Argument(help="The official data folder.")],
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds per image request.")] = 20.0,
) -> None:
    """Download P.4's celebrity images from the URLs in celebrities.csv (a cache: existing files
    are kept; dead links are listed, and P.4 reports any image still missing)."""
    from multitrust.data.base import OfficialData
    from multitrust.data.official.privacy import fetch_celebrity_images

    report = fetch_celebrity_images(OfficialData(root), timeout=timeout)
    console.print(
        f"fetched {len(report.fetched)}, already present {len(report.present)}, failed {len(report.failed)}"
    )
    for path, why in sorted(report.failed.items()):
        console.print(f"  failed: {path}: {why}", markup=False, highlight=False)
    if report.failed:
        raise typer.Exit(code=1)


def main() -> None:
    try:
        # without standalone mode click *returns* a typer.Exit's code instead of exiting
        rc = app(standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except MultitrustError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        err_console.print(
            "interrupted: completed results are in the store; rerun the same command to resume"
        )
        sys.exit(130)
    except Exception as exc:  # click usage errors and the like
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
