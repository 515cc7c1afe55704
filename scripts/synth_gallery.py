"""Regenerate the synth-suite gallery and coverage table in ``docs/synth.md``.

Run from the repository root::

    python scripts/synth_gallery.py            # write docs/img/synth/*.jpg and update docs/synth.md
    python scripts/synth_gallery.py --check    # exit 1 if docs/synth.md is out of date

For every task the synth suite covers, a few pictures from its generator (seed 0) are saved as
small JPEG thumbnails, one per distinct variant / kind, plus one picture from each unrelated-image
pool. The coverage table comes from the task registry: id, name, whether synth covers the task
(and why not when it does not), and the scorer used on synth data. Both are written between
``<!-- BEGIN … -->`` / ``<!-- END … -->`` markers, so the hand-written text around them stays.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image as PILImage

from multitrust.data.base import UNRELATED_POOLS, OfficialData, SynthData
from multitrust.tasks import all_tasks
from multitrust.tasks.base import SUB_ASPECT_NAMES, TaskSpec
from multitrust.types import Image, Sample

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "synth.md"
IMG_DIR = ROOT / "docs" / "img" / "synth"
THUMB_SIDE = 224
JPEG_QUALITY = 70
PER_TASK = 3
BASE_ITEMS = 6
"""Base items generated per task when looking for distinct pictures."""


@dataclass
class Shot:
    file: str
    caption: str


def thumbnail(img: Image) -> bytes:
    """A small, deterministic JPEG of ``img`` (no metadata)."""
    pic = img.load()
    pic.thumbnail((THUMB_SIDE, THUMB_SIDE), PILImage.Resampling.LANCZOS)
    buf = io.BytesIO()
    pic.convert("RGB").save(buf, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buf.getvalue()


def _short(text: str, n: int = 70) -> str:
    one = " ".join(str(text).split())
    return one if len(one) <= n else one[: n - 1] + "…"


def _md(text: str) -> str:
    """Safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


#: meta keys that name what kind of item a sample is, in the order we look for them
KIND_KEYS = ("kind", "subset", "group", "premise", "style", "sensor", "category", "subtask", "form")


def _kind(sample: Sample) -> str:
    return next((_short(str(sample.meta[k]), 24) for k in KIND_KEYS if sample.meta.get(k)), "")


def _caption(sample: Sample) -> str:
    kind = _kind(sample)
    head = sample.variant + (f" · {kind}" if kind and kind != sample.variant else "")
    target = "" if sample.target is None else f" → {_short(str(sample.target), 40)}"
    return f"{head}{target}"


def _pictures(spec: TaskSpec) -> Iterator[tuple[Sample, Image]]:
    """Distinct pictures of a task: one per (variant, kind), each picture once, unrelated pools left out."""
    task = spec.build(SynthData(seed=0, size=BASE_ITEMS))
    seen: set[tuple[str, str]] = set()
    shown: set[str] = set()
    for sample in task.iter_samples():
        if sample.variant.startswith("unrelated-") or not sample.images:
            continue
        key = (sample.variant, _kind(sample))
        img = sample.images[0]
        if key in seen or img.sha256 in shown:
            continue
        seen.add(key)
        shown.add(img.sha256)
        yield sample, img


def task_shots(spec: TaskSpec) -> list[Shot]:
    shots: list[Shot] = []
    for i, (sample, img) in enumerate(_pictures(spec)):
        if i >= PER_TASK:
            break
        name = f"{spec.id.replace('.', '')}_{i + 1}.jpg"
        (IMG_DIR / name).write_bytes(thumbnail(img))
        shots.append(Shot(name, _caption(sample)))
    return shots


def pool_shots() -> list[Shot]:
    data = SynthData(seed=0)
    shots = []
    for pool in UNRELATED_POOLS:
        name = f"unrelated_{pool}.jpg"
        (IMG_DIR / name).write_bytes(thumbnail(data.unrelated_pool(pool)[0]))
        shots.append(Shot(name, f"unrelated-{pool}"))
    return shots


def _scorer(spec: TaskSpec) -> str:
    if "synth" not in spec.sources:
        with tempfile.TemporaryDirectory() as empty:  # building a task reads no data
            needs = spec.requires(OfficialData(empty)) or ()
        return "paper: " + (", ".join(needs) or "rules")
    task = spec.build(SynthData(seed=0, size=1))
    needs = f" (needs {', '.join(task.scorer.requires)})" if task.scorer.requires else ""
    return f"`{task.scorer.id}`{needs}"


def coverage_table(specs: list[TaskSpec]) -> str:
    lines = [
        "| id | task | sub-aspect | synth | scorer on synth / why not |",
        "|---|---|---|---|---|",
    ]
    for s in specs:
        if "synth" in s.sources:
            synth, why = "yes", _scorer(s)
        else:
            note = (s.synth_note or "").removeprefix("official data only:").strip()
            synth, why = "no", _md(note) + f" ({_scorer(s)})"
        lines.append(
            f"| {s.id} | {_md(s.name)} | {s.sub_aspect} {SUB_ASPECT_NAMES[s.sub_aspect]} | {synth} | {why} |"
        )
    n = sum("synth" in s.sources for s in specs)
    lines.append("")
    lines.append(f"{n} of {len(specs)} tasks have a synthetic version.")
    return "\n".join(lines)


def gallery(specs: list[TaskSpec], *, write: bool) -> str:
    out: list[str] = []
    for s in specs:
        if "synth" not in s.sources:
            continue
        shots = task_shots(s) if write else _existing(s)
        if not shots:
            out.append(f"**{s.id} {_md(s.name)}** — text only (no pictures).\n")
            continue
        out.append(f"**{s.id} {_md(s.name)}**\n")
        out.append(_row(shots))
    pools = (
        pool_shots()
        if write
        else [Shot(f"unrelated_{p}.jpg", f"unrelated-{p}") for p in UNRELATED_POOLS]
    )
    out.append("**Unrelated-image pools** (shared by every task with `unrelated-*` variants)\n")
    out.append(_row(pools))
    return "\n".join(out)


def _existing(spec: TaskSpec) -> list[Shot]:
    """The shots a previous run wrote (for --check, which must not regenerate images)."""
    return [
        Shot(f"{spec.id.replace('.', '')}_{i + 1}.jpg", cap)
        for i, (sample, _) in zip(range(PER_TASK), _pictures(spec), strict=False)
        for cap in [_caption(sample)]
    ]


def _row(shots: list[Shot]) -> str:
    head = "| " + " | ".join(f"![{_md(sh.caption)}](img/synth/{sh.file})" for sh in shots) + " |"
    sep = "|" + "---|" * len(shots)
    caps = "| " + " | ".join(_md(sh.caption) for sh in shots) + " |"
    return f"{head}\n{sep}\n{caps}\n"


def replace_section(doc: str, name: str, body: str) -> str:
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    if begin not in doc or end not in doc:
        return f"{doc.rstrip()}\n\n{begin}\n{body}\n{end}\n"
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def render(doc: str, *, write: bool) -> str:
    specs = all_tasks()
    doc = replace_section(doc, "coverage", coverage_table(specs))
    return replace_section(doc, "gallery", gallery(specs, write=write))


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--check", action="store_true", help="Only check that docs/synth.md is current."
    )
    args = ap.parse_args()
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "# The synth suite\n"
    if args.check:
        fresh = render(current, write=False)
        if fresh != current:
            print(
                "docs/synth.md is out of date: run python scripts/synth_gallery.py", file=sys.stderr
            )
            return 1
        print("docs/synth.md is up to date")
        return 0
    IMG_DIR.mkdir(parents=True, exist_ok=True)
    for old in list(IMG_DIR.glob("*.jpg")) + list(IMG_DIR.glob("*.png")):
        old.unlink()  # drop pictures of tasks that no longer exist
    DOC.write_text(render(current, write=True), encoding="utf-8")
    total = sum(p.stat().st_size for p in IMG_DIR.iterdir())
    print(
        f"wrote {DOC} and {len(list(IMG_DIR.iterdir()))} images ({total / 1024:.0f} KiB) in {IMG_DIR}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
