"""``multitrust data attack``: the benchmark's R.4 / R.5 adversarial images for any labelled
images (docs/attack.md)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from multitrust.cli import _render as render
from multitrust.errors import ConfigError

if TYPE_CHECKING:
    from multitrust.data.attack import Item


def _surrogate_help() -> str:
    return (
        "A surrogate: hf:<hub id or dir>, open_clip:<name> (hf-hub:org/repo, local-dir:/path, "
        "arch/tag), a directory, or one of the paper's six (openai-vit-l-14, laion-vit-b-32, "
        "laion-vit-bigg-14, siglip-so400m, laion-vit-b-16, laion-convnext-l); repeatable. "
        "Default: the paper's six."
    )


def data_attack(
    out: Annotated[
        Path, typer.Argument(help="Where to write the attacked images (official layout).")
    ],
    official: Annotated[
        Path | None,
        typer.Option(
            "--official", metavar="DIR", help="Attack the clean images of an official data folder."
        ),
    ] = None,
    images: Annotated[
        Path | None, typer.Option("--images", metavar="DIR", help="A folder of images to attack.")
    ] = None,
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels",
            metavar="FILE",
            help="With --images: CSV (image,label[,target]), JSON or JSONL labels.",
        ),
    ] = None,
    classes: Annotated[
        Path | None,
        typer.Option(
            "--classes",
            metavar="FILE",
            help="The class names (one a line, or a JSON list): labels must be among them, "
            "and missing targets are drawn from them.",
        ),
    ] = None,
    surrogate: Annotated[
        list[str] | None,
        typer.Option("--surrogate", "-s", metavar="SPEC", help=_surrogate_help()),
    ] = None,
    mode: Annotated[
        Literal["both", "untargeted", "targeted"],
        typer.Option("--mode", help="R.4 untargeted, R.5 targeted, or both."),
    ] = "both",
    epsilon: Annotated[
        float, typer.Option("--epsilon", metavar="LEVELS", help="L∞ budget in 1/255 steps.")
    ] = 16.0,
    step: Annotated[
        float, typer.Option("--step", metavar="LEVELS", help="Outer step in 1/255 steps.")
    ] = 1.0,
    steps: Annotated[int, typer.Option("--steps", metavar="N", min=1, help="Iterations.")] = 50,
    spectrum_samples: Annotated[
        int,
        typer.Option(
            "--spectrum-samples", metavar="N", min=0, help="SSA spectrum views per gradient."
        ),
    ] = 20,
    reverse_step: Annotated[
        float,
        typer.Option(
            "--reverse-step",
            metavar="LEVELS",
            min=0,
            help="CWA sharpness-aware reverse step in 1/255 steps (0: off, as the toolbox).",
        ),
    ] = 0.0,
    reference: Annotated[
        Literal["label", "image"],
        typer.Option(
            "--reference",
            help="Untargeted: push away from the true label's text, or from the clean image's "
            "embedding (what the toolbox's code does).",
        ),
    ] = "label",
    template: Annotated[
        str,
        typer.Option("--template", metavar="TEXT", help="Text embedded for a class ({} = name)."),
    ] = "{}",
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            metavar="N",
            min=1,
            help="Images at once (default 8 on a GPU, 1 on CPU).",
        ),
    ] = None,
    device: Annotated[
        str | None,
        typer.Option("--device", metavar="DEV", help="cuda, cuda:1, mps or cpu (default: best)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="Random seed.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Attack images with SSA-CommonWeakness against CLIP-family surrogates and write them in
    the official R.4 / R.5 layout (run them with: multitrust eval --data OUT --tasks R.4,R.5).
    Resumable: rerun the same command to continue after an interruption."""
    from multitrust.data.attack import (
        PAPER_SURROGATES,
        AttackJob,
        AttackSettings,
        check_images,
        check_output,
        folder_items,
        load_surrogate,
        official_items,
        read_classes,
        run_attack,
        spec_name,
    )
    from multitrust.models._hf_setup import is_gpu, resolve_device

    if (official is None) == (images is None):
        raise ConfigError("give either --official DIR or --images DIR --labels FILE")
    if images is not None and labels is None:
        raise ConfigError("--images needs --labels FILE")
    settings = AttackSettings(
        epsilon=epsilon / 255,
        step=step / 255,
        steps=steps,
        spectrum_samples=spectrum_samples,
        reverse_step=reverse_step / 255,
    )
    class_list = read_classes(classes) if classes is not None else None
    if official is not None:
        items = official_items(official)
    else:
        assert images is not None and labels is not None
        items = folder_items(images, labels, classes=class_list, seed=seed)
    check_images(items)  # an unreadable image fails now, before any surrogate loads
    dev = resolve_device(device)
    job = AttackJob(
        settings=settings,
        modes={"both": ("untarget", "target"), "untargeted": ("untarget",)}.get(mode, ("target",)),  # type: ignore[arg-type]
        seed=seed,
        reference=reference,
        template=template,
        batch_size=batch_size or (8 if is_gpu(dev) else 1),
    )
    specs = surrogate or list(PAPER_SURROGATES)
    check_output(out, job.identity([spec_name(s) for s in specs]))  # before any model loads
    with contextlib.suppress(ImportError):  # our bar, not one per checkpoint from transformers
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    surrogates = [load_surrogate(s, device=dev) for s in specs]
    with render.RunProgress(quiet) as progress:
        bar = progress.progress.add_task("attack", total=len(items), info="")
        counts = {"skipped": 0}

        def on_image(item: Item, skipped: bool) -> None:
            counts["skipped"] += skipped
            counts["n"] = counts.get("n", 0) + 1
            progress.progress.update(bar, advance=1, info=f"already done {counts['skipped']}")
            if progress.plain and not skipped:  # a log line per image when not on a terminal
                render.say(f"attacked {item.name} ({counts['n']}/{len(items)})", err=True)

        summary = run_attack(items, out, surrogates, job, device=dev, on_image=on_image)
    render.say(
        f"{summary.attacked} images attacked, {summary.done_before} already done, with "
        f"{len(surrogates)} surrogate(s) on {dev}; run them with: "
        f"multitrust eval --data {out} --tasks R.4,R.5"
    )
