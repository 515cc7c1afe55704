"""``multitrust data verify | synth | fetch | fetch-images``: the data behind the tasks."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from multitrust.cli import _options as opt
from multitrust.cli import _render as render


def data_verify(
    root: Annotated[Path, typer.Argument(help="The official data folder.")],
    tasks: opt.Tasks = None,
    images: Annotated[
        bool, typer.Option("--images/--no-images", help="Also decode every image.")
    ] = True,
) -> None:
    """Check that each task's files exist and parse: ok / missing / malformed (file and line)."""
    from multitrust.verify import verify

    rows = verify(root, opt.tasks(tasks), decode_images=images)
    table = Table(title=render.text(f"official data at {root}"))
    for col in ("task", "status", "samples", "detail"):
        table.add_column(col, overflow="fold")
    bad = 0
    for r in rows:
        style = {"ok": "green", "skipped": "yellow"}.get(r.status, "red")
        table.add_row(
            r.task_id,
            render.text(r.status, style),
            str(r.samples),
            render.text(r.detail or ""),
        )
        bad += r.status not in ("ok", "skipped")
    render.console.print(table)
    if bad:
        raise typer.Exit(code=1)


def data_synth(
    tasks: opt.Tasks = None,
    size: Annotated[
        int | None,
        typer.Option("--size", metavar="N", min=1, help="Samples per task (default 20)."),
    ] = None,
    seed: opt.Seed = 0,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            metavar="N",
            min=1,
            help="Tasks drawn at once, each in its own process.",
        ),
    ] = max(1, min(8, os.cpu_count() or 1)),
    synth_cache: opt.SynthCache = None,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export",
            metavar="DIR",
            help="Also write the drawn suite to DIR as a dataset: Parquet shards with the "
            "images embedded and a dataset card (load_dataset('parquet', data_dir=DIR)).",
        ),
    ] = None,
) -> None:
    """Draw the synthetic suite into its cache now, several tasks at once, so that the runs
    that follow (with the same --seed and --size) read it instead of drawing it; with
    --export DIR, also write it as a dataset (docs/ecosystem.md)."""
    from multitrust.data.base import SynthData, missing_modules
    from multitrust.data.synth_cache import default_cache_dir
    from multitrust.prepare import prepare
    from multitrust.tasks import select_tasks

    root = synth_cache or default_cache_dir()
    ids = []
    left_out: dict[str, str] = {}
    for spec in select_tasks(opt.tasks(tasks)):
        if "synth" not in spec.sources:
            left_out[spec.id] = spec.synth_note or "no synthetic data"
            continue
        missing = " ".join(sorted(set(missing_modules(spec.synth or ()).values())))
        if missing:  # as eval does: skipped with one line, never a traceback
            render.say(
                f"{spec.id}: skipped, needs {missing}, which is not installed: pip install {missing}",
                err=True,
            )
            left_out[spec.id] = f"needs {missing}, which was not installed"
            continue
        ids.append(spec.id)
    n = size if size is not None else SynthData.QUICK
    started = time.perf_counter()
    if export is not None:
        _export(
            ids, export, seed=seed, size=n, root=root, jobs=jobs, left_out=left_out, tasks=tasks
        )
        return

    def done(task_id: str, samples: int, cached: bool, cpu: float) -> None:
        how = "already cached" if cached else f"drawn in {cpu:.1f} s of CPU"
        render.console.print(f"{task_id:5} {samples:6d} samples  {how}")

    results = prepare(ids, seed=seed, size=n, root=root, jobs=jobs, on_done=done)
    total = sum(r[1] for r in results)
    render.say(
        f"{len(results)} synthetic tasks, {total} samples (seed {seed}, size {n}) in "
        f"{root}: {time.perf_counter() - started:.1f} s with {jobs} job(s)"
    )


def _export(
    ids: list[str],
    dest: Path,
    *,
    seed: int,
    size: int,
    root: Path,
    jobs: int,
    left_out: dict[str, str],
    tasks: list[str] | None,
) -> None:
    """``data synth --export DIR``: the drawn suite as a dataset in DIR."""
    from multitrust.data.dataset_export import TaskExport, check_destination
    from multitrust.errors import ConfigError
    from multitrust.prepare import export

    check_destination(dest)  # before any drawing
    if not ids:
        raise ConfigError("--export: none of the selected tasks has synthetic data")
    started = time.perf_counter()

    def done(e: TaskExport) -> None:
        render.console.print(
            f"{e.task.id:5} {e.samples:6d} samples {e.rows:6d} rows  {e.bytes / 1e6:8.1f} MB"
        )

    selection = (
        ",".join(t for item in tasks for t in item.split(",") if t.strip()) if tasks else None
    )
    out = export(
        ids,
        dest,
        seed=seed,
        size=size,
        root=root,
        jobs=jobs,
        left_out=left_out,
        selection=selection,
        on_done=done,
    )
    rows = sum(e.rows for e in out)
    size_mb = sum(e.bytes for e in out) / 1e6
    render.say(
        f"{len(out)} tasks, {rows} rows, {size_mb:.1f} MB (seed {seed}, size {size}) exported to "
        f"{dest} in {time.perf_counter() - started:.1f} s with {jobs} job(s)"
    )


def data_fetch(
    dest: Annotated[
        Path, typer.Option("--dest", metavar="DIR", help="Where to put the data.")
    ] = Path("data/multitrust"),
    repo: Annotated[
        str, typer.Option("--repo", metavar="REPO", help="Hugging Face dataset repo.")
    ] = "thu-ml/MultiTrust",
    revision: Annotated[
        str | None,
        typer.Option("--revision", metavar="REV", help="Dataset revision (default: the latest)."),
    ] = None,
) -> None:
    """Download the gated official dataset with your Hugging Face token (HF_TOKEN or `hf auth login`)."""
    from multitrust.data.fetch import fetch

    path = fetch(dest, repo=repo, revision=revision)
    render.say(f"data in {path}; check it with: multitrust data verify {path}")


def data_fetch_images(
    root: Annotated[Path, typer.Argument(help="The official data folder.")],
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            callback=opt._positive,
            help="Seconds per image, in all (connect, redirects, whole body).",
        ),
    ] = 20.0,
) -> None:
    """Download P.4's celebrity images from the URLs in celebrities.csv (a cache: existing files
    are kept; dead links are listed, and P.4 reports any image still missing)."""
    from multitrust.data.base import OfficialData
    from multitrust.data.official.privacy import fetch_celebrity_images

    report = fetch_celebrity_images(OfficialData(root), timeout=timeout)
    render.console.print(
        f"fetched {len(report.fetched)}, already present {len(report.present)}, failed {len(report.failed)}"
    )
    for path, why in sorted(report.failed.items()):
        render.say(f"  failed: {path}: {why}")
    if report.failed:
        raise typer.Exit(code=1)
