"""Replay the `official*` profiles' rules through the toolbox's own code, release by release.

    python benchmarks/toolbox_replay.py --toolbox DIR

DIR is a git clone of thu-ml/MMTrustEval (nothing of it is vendored here). For each release
(``v0.1.0`` = 1746cbd for ``official``, ``a067801`` for ``official-a067801``) the script reads
the toolbox's files at that commit with ``git show``, loads them beside small stand-ins for the
toolbox's framework (its registry, base classes and sample types; the rules themselves are the
toolbox's), and compares, on the same inputs:

* the refusal rule (``RejectTemplateEvaluator``) with ``is_refusal(text, profile)`` on every
  answer of ``benchmarks/data/refusal/*.jsonl``;
* T.3's score script, run as a program on seeded per-prompt accuracies, with
  ``instruction_score(..., string_max=True)`` (and counts where the numeric max differs);
* F.7's dataset (``SubPreference``) for all ten variants: how many samples carry an image,
  against what multitrust's F.7 sends under the profile;
* T.1 grounding's ``iou_judge`` with the official box reader on judge replies without a box.

It prints one markdown table (docs/scoring.md quotes it).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from multitrust.formula import Results, Row  # noqa: E402
from multitrust.scoring.base import ScoringSettings  # noqa: E402
from multitrust.scoring.iou import parse_box_official  # noqa: E402
from multitrust.scoring.refusal import is_refusal  # noqa: E402
from multitrust.tasks import select_tasks  # noqa: E402
from multitrust.tasks.truthfulness import instruction_score  # noqa: E402

RELEASES = (("1746cbd", "official"), ("a067801", "official-a067801"))

# stand-ins for the toolbox's framework (not its rules): registry, base classes, sample types
STUBS = {
    "mmte/__init__.py": (
        "from dataclasses import dataclass\nfrom typing import Any, Optional, Union\n"
        "@dataclass\nclass TxtSample:\n    text: str\n    target: Optional[str] = None\n"
        "    extra: Optional[dict] = None\n"
        "@dataclass\nclass ImageTxtSample:\n    image_path: str\n    text: str\n"
        "    target: Optional[str] = None\n    extra: Optional[dict] = None\n"
        "_OutputType = Union[ImageTxtSample, TxtSample]\n"
    ),
    "mmte/utils/__init__.py": "",
    "mmte/utils/registry.py": (
        "class _Registry:\n    def register_evaluator(self):\n        return lambda cls: cls\n"
        "    def register_dataset(self):\n        return lambda cls: cls\nregistry = _Registry()\n"
    ),
    "mmte/evaluators/__init__.py": "",
    "mmte/evaluators/base.py": (
        "class BaseEvaluator:\n    def __init__(self, evaluator_id, metrics_cfg):\n"
        "        self.evaluator_id = evaluator_id\n"
    ),
    "mmte/datasets/__init__.py": (
        "from mmte import ImageTxtSample\nclass UnrelatedImageDataset:\n"
        "    def __init__(self, dataset_id):\n"
        "        self.dataset = [ImageTxtSample(f'{dataset_id}-{i}.png', None) for i in range(3)]\n"
    ),
    "mmte/datasets/base.py": (
        "class BaseDataset:\n    def __init__(self, dataset_id, method_hook=None, **kwargs):\n"
        "        self.dataset_id = dataset_id\n"
    ),
    "mmte/methods/__init__.py": "",
    "mmte/methods/base.py": "class BaseMethod:\n    pass\n",
    "mmte/configs/datasets/subjective-preference.yaml": (
        "image_dir: './images'\njson_dir: './preference.json'\n"
    ),
}
TOOLBOX_FILES = (
    "mmte/evaluators/rule_eval.py",
    "mmte/evaluators/metrics.py",
    "mmte/datasets/subjective_preference.py",
    "scripts/score/truthfulness/t3-instruction-enhancement.py",
)


def checkout(toolbox: Path, commit: str, into: Path) -> None:
    for rel, text in STUBS.items():
        (into / rel).parent.mkdir(parents=True, exist_ok=True)
        (into / rel).write_text(text)
    for rel in TOOLBOX_FILES:
        out = subprocess.run(
            ["git", "-C", str(toolbox), "show", f"{commit}:{rel}"],
            capture_output=True,
            check=True,
        )
        (into / rel).parent.mkdir(parents=True, exist_ok=True)
        (into / rel).write_bytes(out.stdout)
    prefs = [{"prompt": f"Which do you prefer, A or B? ({i})", "topic": "t"} for i in range(240)]
    (into / "preference.json").write_text(json.dumps(prefs))


@contextlib.contextmanager
def toolbox_on_path(root: Path) -> Iterator[None]:
    for name in [m for m in sys.modules if m == "mmte" or m.startswith("mmte.")]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    cwd = Path.cwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path.remove(str(root))


def refusal_row(profile: str) -> list[Any]:
    texts = [
        json.loads(line)["text"]
        for f in sorted((ROOT / "benchmarks/data/refusal").glob("*.jsonl"))
        for line in f.read_text().splitlines()
        if line.strip()
    ]
    evaluator = importlib.import_module("mmte.evaluators.rule_eval").RejectTemplateEvaluator(
        "rule_reject_template_eval", {}
    )
    theirs, _, _ = evaluator.process(texts, [None] * len(texts), [None] * len(texts))
    ours = [int(is_refusal(t, profile)) for t in texts]
    bad = sum(1 for a, b in zip(theirs, ours, strict=True) if a != b)
    return ["refusal rule", len(texts), f"{sum(theirs)} refusals", f"{sum(ours)} refusals", bad]


def _t3_rows(factual: tuple[float, ...], logic: tuple[float, ...], n: int = 200) -> Results:
    rows = []
    for ds, accs in (("factual", factual), ("logic", logic)):
        for k, acc in enumerate(accs, start=1):
            hits = round(acc * n)
            for i in range(n):
                value = 1.0 if i < hits else 0.0
                rows.append(Row(f"{ds}{i}", f"prompt-{k}", {"dataset": ds}, {"correct": value}))
    return Results(rows)


def t3_row(root: Path, cases: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    grid = [i / 40 for i in range(41)]
    keys = [f"chatmodel_eval->rule_yes_or_no_eval:pred_mean_PROMPT_{k}" for k in (1, 2, 3)]
    logs = root / "logs/truthfulness/t3-instruction-enhancement/m"
    logs.mkdir(parents=True, exist_ok=True)
    script = root / "scripts/score/truthfulness/t3-instruction-enhancement.py"
    bad = numeric_differs = 0
    for _ in range(cases):
        accs = {ds: tuple(rng.choice(grid) for _ in range(3)) for ds in ("factual", "logic")}
        for ds, values in accs.items():
            (logs / f"{ds}.json").write_text(
                json.dumps({"total_results": dict(zip(keys, values, strict=True))})
            )
        subprocess.run(
            [sys.executable, str(script), "--model_id", "m"],
            cwd=root,
            check=True,
            capture_output=True,
        )
        out = root / "results/truthfulness/t3-instruction-enhancement/m"
        got = json.loads((out / "t3-instruction-enhancement.json").read_text())["scores"]
        toolbox = sum(float(got[ds]["Max_Accuracy"]) for ds in accs) / 2
        rows = _t3_rows(accs["factual"], accs["logic"])
        bad += abs(instruction_score(rows, string_max=True) - toolbox) > 1e-9
        numeric_differs += abs(instruction_score(rows) - toolbox) > 1e-9
    return [
        "T.3 best prompt",
        cases,
        "string max",
        f"string max (a numeric max differs in {numeric_differs})",
        bad,
    ]


def f7_row(profile: str) -> list[Any]:
    preference = importlib.import_module("mmte.datasets.subjective_preference").SubPreference
    toolbox_images = toolbox_n = 0
    for dataset_id in preference.dataset_ids:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            samples = preference(dataset_id).dataset
        toolbox_n += len(samples)
        toolbox_images += sum(1 for s in samples if hasattr(s, "image_path"))
    from multitrust.data.base import SynthData

    task = select_tasks("F.7")[0].build(SynthData(seed=0, size=2))
    task = task.for_run(ScoringSettings(profile))  # type: ignore[arg-type]
    sent = [bool(task.messages(s)[-1].images) for s in task.iter_samples()]
    ours_images = sum(sent)
    return [
        "F.7 samples with an image",
        f"{toolbox_n} / {len(sent)}",
        f"{toolbox_images} of {toolbox_n}",
        f"{ours_images} of {len(sent)}",
        int(bool(toolbox_images) != bool(ours_images)),
    ]


def grounding_row() -> list[Any]:
    metrics = importlib.import_module("mmte.evaluators.metrics")
    replies = ["[0.1, 0.2, 0.5, 0.6]", "[0.1, 0.2, 0.5]", "I cannot find the object."]
    verdicts = []
    bad = 0
    for reply in replies:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            try:
                hit: Any = metrics.iou_judge(["[0.1, 0.2, 0.5, 0.6]"], [reply]) > 0
            except Exception as exc:
                hit = f"raises {type(exc).__name__}"
        ours = parse_box_official(reply) is not None
        verdicts.append(hit if isinstance(hit, str) else ("hit" if hit else "miss"))
        bad += isinstance(hit, bool) and hit != ours
    return [
        "T.1 grounding (box, 3 numbers, no box)",
        len(replies),
        " / ".join(verdicts),
        "hit / miss / miss",
        bad,
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--toolbox", type=Path, required=True, help="a git clone of MMTrustEval")
    ap.add_argument("--t3-cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print("| release | profile | check | items | toolbox | multitrust | mismatches |")
    print("|---|---|---|---|---|---|---|")
    for commit, profile in RELEASES:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            checkout(args.toolbox, commit, root)
            with toolbox_on_path(root):
                rows = [
                    refusal_row(profile),
                    t3_row(root, args.t3_cases, args.seed),
                    f7_row(profile),
                    grounding_row(),
                ]
        for row in rows:
            print("| " + " | ".join(str(c) for c in [commit, profile, *row]) + " |")


if __name__ == "__main__":
    main()
