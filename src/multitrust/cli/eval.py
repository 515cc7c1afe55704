"""``multitrust list``, ``eval`` and ``rescore``: what can run, and running it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from multitrust.cli import _options as opt
from multitrust.cli import _render as render

if TYPE_CHECKING:
    from pathlib import Path

    from multitrust.api import RunReport
    from multitrust.config import RunConfig, RunOptions
    from multitrust.many import ModelEntry, ModelOutcome
    from multitrust.models.base import Model
    from multitrust.store import RunInfo


def list_tasks(
    tasks: Annotated[
        list[str] | None,
        typer.Option(
            "--tasks", "-t", metavar="IDS", help="Filter: ids, aspects or sub-aspects; repeatable."
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            metavar="synth|DIR",
            help="Show scorer needs on this data: 'synth' or the official data folder (default: the official layout).",
        ),
    ] = None,
) -> None:
    """List the tasks (with aspect, sub-aspect, data sources, scorer needs, synth coverage and
    where each comes from), then the model providers and the scorers that plugins add."""
    import tempfile

    from multitrust.data.base import OfficialData, open_data
    from multitrust.errors import MultitrustError
    from multitrust.tasks import all_tasks, select_tasks
    from multitrust.tasks.base import SUB_ASPECT_NAMES

    selection = opt.tasks(tasks)
    specs = select_tasks(selection) if selection else all_tasks(plugins=True)
    needs: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as empty:
        # a task's needs are its scorer's ``requires``, the list the planner enforces; building a
        # task reads no data, so an empty folder stands in for the official layout
        src = open_data(data) if data else OfficialData(empty)
        for s in specs:
            try:
                need = s.requires(src)
            except MultitrustError as exc:  # a plugin's task that cannot be built
                needs[s.id] = f"broken: {exc}"
                continue
            needs[s.id] = "not available" if need is None else ", ".join(need) or "rules"
    headers = (
        "id",
        "task",
        "aspect",
        "sub-aspect",
        "data",
        f"scorer needs ({'official data' if data is None else src.kind})",
        "synth coverage",
        "origin",
    )
    rows: list[tuple[str, ...]] = []
    for s in specs:
        note = s.synth_note or ""
        if "synth" in s.sources:
            synth = "yes"
        elif note.lower().startswith("official data only"):
            synth = note
        else:
            synth = f"official data only: {note}".strip()
        rows.append(
            (
                s.id,
                s.name,
                s.aspect,
                f"{s.sub_aspect} {SUB_ASPECT_NAMES[s.sub_aspect]}",
                "own data"
                if s.plugin is not None and s.official == s.synth
                else ", ".join(s.sources),
                needs[s.id],
                synth,
                s.origin,
            )
        )
    render.print_task_list(rows, headers)
    from_plugins = sum(1 for s in specs if s.plugin is not None)
    own = len(specs) - from_plugins
    counts = [f"{own} tasks"] if own or not from_plugins else []
    counts += [f"{from_plugins} from plugins"] if from_plugins else []
    render.say(" + ".join(counts))
    _list_plugins()


def _list_plugins() -> None:
    """The providers and scorers by origin, and how many plugin entry points were left out."""
    from multitrust import _plugins
    from multitrust.models.registry import known_providers, provider_origin
    from multitrust.scoring.registry import scorer_names, scorer_origin

    for what, names, origin in (
        ("model providers", known_providers(), provider_origin),
        ("scorers by name", scorer_names(), scorer_origin),
    ):
        by_origin: dict[str, list[str]] = {}
        for name in names:
            by_origin.setdefault(origin(name), []).append(name)
        ordered = sorted(by_origin.items(), key=lambda kv: (kv[0] != "built-in", kv[0]))
        parts = [f"{', '.join(n)} ({o})" for o, n in ordered]
        render.console.print(render.text(f"{what}: {'; '.join(parts)}"))  # wrapped at words
    left_out = _plugins.problems()
    if left_out:
        render.say(f"plugins left out: {len(left_out)} (each reported on stderr)")


def eval_cmd(
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            metavar="PROVIDER/NAME",
            help="provider/name, e.g. openai/gpt-4o, hf/<repo>, scripted/oracle. Repeat for several models.",
        ),
    ] = None,
    models: opt.Models = None,
    tasks: opt.Tasks = None,
    data: opt.Data = "synth",
    size: opt.Size = None,
    limit: opt.Limit = None,
    seed: opt.Seed = 0,
    judge: opt.Judge = None,
    judge_api_key: opt.JudgeApiKey = None,
    judge_base_url: opt.JudgeBaseUrl = None,
    profile: opt.Profile = "corrected",
    max_connections: opt.MaxConnections = 32,
    urls: opt.BaseUrl = None,
    urls_file: opt.BaseUrlsFile = None,
    replicas: Annotated[
        int | None,
        typer.Option(
            "--replicas",
            metavar="N",
            min=1,
            help="Managed vllm/<hf-id>: servers to start (default: one per GPU).",
        ),
    ] = None,
    tensor_parallel_size: Annotated[
        int | None,
        typer.Option(
            "--tensor-parallel-size",
            metavar="N",
            min=1,
            help="Managed vllm/<hf-id>: GPUs per server.",
        ),
    ] = None,
    vllm_args: Annotated[
        str | None,
        typer.Option(
            "--vllm-args",
            metavar="FLAGS",
            help="Managed vllm/<hf-id>: extra 'vllm serve' flags, quoted.",
        ),
    ] = None,
    vllm_startup_timeout: Annotated[
        float | None,
        typer.Option(
            "--vllm-startup-timeout",
            metavar="SECONDS",
            callback=opt._positive,
            help="Managed vllm/<hf-id>: seconds to wait for the servers (1200).",
        ),
    ] = None,
    api_key: opt.ApiKey = None,
    max_image_side: Annotated[
        int | None,
        typer.Option(
            "--max-image-side",
            metavar="PIXELS",
            min=1,
            help="Downscale images sent to API models.",
        ),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option("--batch-size", metavar="N", min=1, help="Micro-batch size for local models."),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option(
            "--device", metavar="DEVICE", help="Local models: cuda, cuda:1, mps, cpu or auto."
        ),
    ] = None,
    dtype: Annotated[
        str | None,
        typer.Option(
            "--dtype", metavar="DTYPE", help="Local models: bfloat16, float16 or float32."
        ),
    ] = None,
    timeout_s: opt.Timeout = 120.0,
    stop_after_errors: opt.StopAfterErrors = 8,
    toxicity: opt.Toxicity = None,
    harm_classifier: opt.HarmClassifier = None,
    refusal_classifier: opt.RefusalClassifier = None,
    refusal_judge: opt.RefusalJudge = None,
    harm_base_url: opt.HarmBaseUrl = None,
    db: opt.Db = None,
    synth_cache: opt.SynthCache = None,
    no_synth_cache: opt.NoSynthCache = False,
    quiet: opt.Quiet = False,
) -> None:
    """Run tasks against a model; results stream into the store. Rerun to resume."""
    shared = opt.run_options(locals())
    from multitrust.api import run
    from multitrust.config import RunConfig
    from multitrust.errors import ConfigError
    from multitrust.many import ModelEntry
    from multitrust.models.replicas import read_url_file

    entries = [ModelEntry(m) for m in model or []] + opt.model_entries(models)
    if not entries:
        raise ConfigError("no model: give --model provider/name (repeatable) or --models FILE|IDS")
    selection = opt.tasks(tasks)
    all_urls = list(urls or [])
    if urls_file is not None:
        all_urls += [u for u in read_url_file(urls_file) if u not in all_urls]
    if len(entries) > 1:
        if all_urls:
            raise ConfigError(
                "with several models, give each model its URLs in the --models file "
                "(provider/name --base-url URL ...)"
            )
        _eval_many(entries, selection, data, judge, shared, quiet)
        return
    (entry,) = entries
    all_urls = [*entry.base_urls, *(u for u in all_urls if u not in entry.base_urls)]
    single: RunOptions = {
        **shared,
        "base_url": all_urls[0] if len(all_urls) == 1 else None,
        "base_urls": all_urls if len(all_urls) > 1 else None,
    }
    config = RunConfig.from_options(entry.spec, selection, data=data, judge=judge, **single)
    with render.RunProgress(quiet) as progress:
        report = run(config, on_progress=progress.bar(entry.spec))
    finish(report, config)


def finish(report: RunReport, config: RunConfig) -> None:
    """Print a run's report and end with its exit code: 0 when every selected task that can
    run here was scored without errors; 3 when samples failed or a task failed; 2 when no
    selected task could run at all (each one's reason is in the table)."""
    from multitrust.errors import ConfigError
    from multitrust.store import Store

    causes: list[tuple[str, str, int]] = []
    if report.counters.errors:
        with Store(report.db, read_only=True) as store:
            causes = render.run_causes(store, report.run_id, report.tasks)
    render.print_report(report, causes)
    if report.tasks and all(oc.status == "skipped" for oc in report.tasks.values()):
        why = "; ".join(f"{k}: {oc.reason}" for k, oc in list(report.tasks.items())[:3])
        raise ConfigError(f"nothing ran: every selected task was skipped ({why})")
    failed = any(oc.status == "failed" for oc in report.tasks.values())
    if report.counters.errors or failed or report.task_errors:
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
    if o.get("refusal_judge"):  # the refusal judge is the judge every run shares
        from multitrust.config import refusal_judge_spec

        judge = refusal_judge_spec(judge, o)
        o["refusal_judge"] = True
    model_options = ModelConfig.from_options("*", o).options(o["timeout_s"])
    for key in MODEL_OPTION_KEYS:
        o.pop(key, None)
    judge_base_url = o.pop("judge_base_url")
    judge_api_key = o.pop("judge_api_key", None)
    the_judge: Model | None = None
    if judge is not None:
        from multitrust.api import open_judge

        the_judge = open_judge(
            ModelConfig(judge, base_url=judge_base_url, api_key=judge_api_key), o["timeout_s"]
        )

    def done(out: ModelOutcome) -> None:
        if out.error is not None:
            render.say(f"{out.spec}: failed: {out.error}", err=True, style="red")
        elif out.report is not None:
            r = out.report
            overall = "–" if r.overall is None else f"{r.overall:.2f}"
            render.say(
                f"{out.spec}: done · overall {overall} · {r.counters.requests} requests · "
                f"{r.counters.errors} errors · run {r.run_id}",
                err=True,
            )

    with render.RunProgress(quiet) as progress:
        outs = evaluate_many(
            entries,
            tasks,
            data=data,
            model_options=model_options,
            judge=the_judge,
            progress=lambda spec: progress.bar(spec, "waiting"),
            on_done=done,
            **o,
        )
    finished = [out.report.model for out in outs if out.report is not None]
    if finished:
        render.print_leaderboard(shared.get("db"), finished)
    failed = [out.spec for out in outs if out.error is not None]
    if failed:
        render.say(f"{len(failed)} of {len(outs)} models failed: {', '.join(failed)}", err=True)
        raise typer.Exit(code=1)
    if any(
        out.report is not None
        and (
            out.report.counters.errors
            or any(v.status == "failed" for v in out.report.tasks.values())
        )
        for out in outs
    ):
        raise typer.Exit(code=3)


def _last_run(db: Path | None, model: str) -> RunInfo:
    """The model's last stored run (the samples rescore takes by default); a one-line error
    when the store holds none, since every output would then be missing."""
    from multitrust.errors import ConfigError
    from multitrust.store import Store, default_db_path

    with Store(db, read_only=True) as store:
        runs = store.runs(model)
    if not runs:
        raise ConfigError(
            f"no run of {model} in {db or default_db_path()}: rescore reads stored outputs, "
            f"so run `multitrust eval -m {model} ...` first (or give its --db)"
        )
    return runs[-1]


def rescore_cmd(
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            metavar="PROVIDER/NAME",
            help="The model whose stored outputs to re-score (as given to eval).",
        ),
    ],
    judge: opt.Judge = None,
    judge_api_key: opt.JudgeApiKey = None,
    judge_base_url: opt.JudgeBaseUrl = None,
    profile: opt.Profile = "corrected",
    tasks: opt.StoredTasks = None,
    data: opt.StoredData = None,
    size: opt.StoredSize = None,
    limit: opt.StoredLimit = None,
    seed: opt.StoredSeed = None,
    max_connections: opt.MaxConnections = 32,
    timeout_s: opt.Timeout = 120.0,
    urls: opt.BaseUrl = None,
    urls_file: opt.BaseUrlsFile = None,
    max_image_side: Annotated[
        int | None,
        typer.Option(
            "--max-image-side",
            metavar="PIXELS",
            min=1,
            help="As given to eval (part of the stored outputs' identity).",
        ),
    ] = None,
    toxicity: opt.Toxicity = None,
    harm_classifier: opt.HarmClassifier = None,
    refusal_classifier: opt.RefusalClassifier = None,
    refusal_judge: opt.RefusalJudge = None,
    harm_base_url: opt.HarmBaseUrl = None,
    db: opt.Db = None,
    synth_cache: opt.SynthCache = None,
    no_synth_cache: opt.NoSynthCache = False,
    quiet: opt.Quiet = False,
) -> None:
    """Re-score stored outputs with another judge, classifier or profile, offline: the model is
    never called (no server or key needed); only the judge/classifiers are. The samples are
    those of the model's last stored run unless --tasks, --data, --size, --limit or --seed say
    otherwise. Give the model options eval had (--base-url, --max-image-side) so its stored
    outputs are found; an output that is not stored is an error. The rescored run is recorded
    separately."""
    last = _last_run(db, model)
    given = {"tasks": tasks, "data": data, "size": size, "seed": seed, "limit": limit}
    taken = [name for name, value in given.items() if value is None]
    tasks = tasks if tasks is not None else [",".join(last.tasks)]
    if data is None:
        data = str(last.data["root"]) if last.data.get("kind") == "official" else "synth"
    size = size if size is not None else last.data.get("size")
    seed = seed if seed is not None else int(last.data.get("seed") or 0)
    limit = limit if limit is not None else last.settings.get("limit")
    if taken and not quiet:
        render.say(
            f"rescore: {', '.join(taken)} as in run {last.run_id}: {opt.tasks(tasks)} · {data}"
            f" · size {size or 'default'} · seed {seed}" + (f" · limit {limit}" if limit else ""),
            err=True,
        )
    options = opt.run_options(locals())
    from multitrust.api import run
    from multitrust.cli._stored import StoredOutputs
    from multitrust.config import RunConfig
    from multitrust.models.registry import get_model
    from multitrust.models.replicas import read_url_file

    all_urls = list(urls or [])
    if urls_file is not None:
        all_urls += [u for u in read_url_file(urls_file) if u not in all_urls]
    options["base_url"] = all_urls[0] if len(all_urls) == 1 else None
    options["base_urls"] = all_urls if len(all_urls) > 1 else None
    # the key is never sent (the model is not called); a placeholder lets an API model that
    # insists on one be built, so its identity (and the stored outputs' keys) are the same
    options["api_key"] = "rescore-sends-no-requests"
    config = RunConfig.from_options(model, opt.tasks(tasks), data=data, judge=judge, **options)
    stored = StoredOutputs(get_model(config.model.spec, config.model.options(timeout_s)))
    with render.RunProgress(quiet) as progress:
        report = run(config, model=stored, on_progress=progress.bar(f"rescore {model}"))
    finish(report, config)
