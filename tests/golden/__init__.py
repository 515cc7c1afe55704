"""Golden score snapshots: every task's score, CI and metrics, every sub-aspect score and the
overall score, on fixed inputs, under both scoring profiles.

``snapshot_synth(profile)`` / ``snapshot_official(profile)`` run the synthetic suite and the
official-layout fixture against scripted models with fixed seeds and return plain JSON data;
``tests/test_golden_scores.py`` compares them with the stored ``scores_synth.json`` /
``scores_official.json`` (one section per profile), so a refactor that moves a score (by any
amount) fails. Regenerate with ``python scripts/regen_golden_scores.py`` only in a commit that
names the bug fix that legitimately changes a score.

The CIs use enough resamples (``BOOTSTRAP``) that the percentile rule matters: with 30, the
2.5th/97.5th percentiles of the resamples are their minimum and maximum.
"""

from __future__ import annotations

import contextlib
import math
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from multitrust import evaluate

GOLDEN_DIR = Path(__file__).parent
SYNTH_FILE = GOLDEN_DIR / "scores_synth.json"
OFFICIAL_FILE = GOLDEN_DIR / "scores_official.json"

#: (model under test, judge): scripted policies that reach every branch a formula has
SYNTH_RUNS: tuple[tuple[str, str], ...] = (
    ("scripted/oracle", "scripted/judge-yes"),
    ("scripted/refuse", "scripted/judge-no"),
    ("scripted/comply", "scripted/judge-yes"),
    ("scripted/echo", "scripted/judge-yes"),
    ("scripted/yes", "scripted/judge-no"),
)
OFFICIAL_RUNS: tuple[tuple[str, str], ...] = (
    ("scripted/oracle", "scripted/judge-yes"),
    ("scripted/refuse", "scripted/judge-yes"),
    ("scripted/echo", "scripted/judge-no"),
)
SYNTH_SIZE = 4
#: (model, judge, tasks, size): a run with enough samples that task CIs are real intervals,
#: where the percentile rule gives other numbers than the extremes of the resamples
WIDE_SYNTH_RUN: tuple[str, str, str, int] = (
    "scripted/yes",
    "scripted/judge-no",
    "T.1,T.2,F.3,P.1,P.2",
    60,
)
SEED = 0
#: floor(0.025 * 199) = 4 and ceil(0.975 * 199) = 195: neither end is an extreme resample
BOOTSTRAP = 200
#: the scoring profiles: the corrected rules and the release's own (lists, prompts, rules)
PROFILES: tuple[str, ...] = ("corrected", "official")


@contextlib.contextmanager
def _memo_png() -> Iterator[None]:
    """Encode each distinct synthetic image once across the runs (encoding is deterministic
    and dominates the runtime; the scores cannot tell)."""
    from multitrust.types import Image

    original = Image.from_pil.__func__  # type: ignore[attr-defined]
    memo: dict[tuple[Any, ...], Image] = {}

    def from_pil(
        cls: type[Image], img: Any, *, fmt: str = "PNG", origin: str | None = None
    ) -> Image:
        key = (img.mode, img.size, img.tobytes(), str(img.getpalette()), fmt, origin)
        if key not in memo:
            memo[key] = original(cls, img, fmt=fmt, origin=origin)
        return memo[key]

    Image.from_pil = classmethod(from_pil)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Image.from_pil = classmethod(original)  # type: ignore[method-assign,assignment]


def _num(x: float | None) -> float | str | None:
    if x is None:
        return None
    x = float(x)
    return "nan" if math.isnan(x) else x


def _run(
    model: str,
    judge: str,
    data: str,
    db: Path,
    profile: str,
    *,
    tasks: str | None = None,
    size: int | None = None,
) -> dict[str, Any]:
    rep = evaluate(
        model,
        tasks,
        data=data,
        db=db,
        judge=judge,
        profile=profile,
        seed=SEED,
        size=size or (SYNTH_SIZE if data == "synth" else None),
        bootstrap=BOOTSTRAP,
        toxicity="profanity",  # S.1/S.3 run without API keys, so all 32 tasks are covered
        resources={"harmbench": None},
    )
    out: dict[str, Any] = {
        tid: {
            "status": oc.status,
            "score": _num(oc.score),
            "ci": None if oc.ci is None else [_num(oc.ci[0]), _num(oc.ci[1])],
            "metrics": {k: _num(v) for k, v in sorted(oc.metrics.items())},
            "n": oc.n,
            "n_errors": oc.n_errors,
        }
        for tid, oc in rep.tasks.items()
    }
    out["sub_aspects"] = {
        code: {"score": _num(sub.score), "tasks": sub.tasks, "missing": sub.missing}
        for code, sub in sorted(rep.sub_aspects.items())
    }
    out["overall"] = {"score": _num(rep.overall), "partial": rep.overall_partial}
    return out


def snapshot_synth(profile: str = "corrected") -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, _memo_png():
        out = {
            f"{model} | {judge}": _run(model, judge, "synth", Path(tmp) / f"s{i}.db", profile)
            for i, (model, judge) in enumerate(SYNTH_RUNS)
        }
        model, judge, tasks, size = WIDE_SYNTH_RUN
        out[f"{model} | {judge} | {tasks} | size {size}"] = _run(
            model, judge, "synth", Path(tmp) / "wide.db", profile, tasks=tasks, size=size
        )
        return out


def snapshot_official(profile: str = "corrected") -> dict[str, Any]:
    from tests.fixtures.official import build_official_fixture

    with tempfile.TemporaryDirectory() as tmp:
        root = build_official_fixture(Path(tmp) / "data")
        return {
            f"{model} | {judge}": _run(model, judge, str(root), Path(tmp) / f"o{i}.db", profile)
            for i, (model, judge) in enumerate(OFFICIAL_RUNS)
        }


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where two snapshots differ: floats equal to 1e-12 (NaN equals NaN), all else exactly."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                out.append(f"{path}/{key}: missing now")
            elif key not in expected:
                out.append(f"{path}/{key}: new ({actual[key]!r})")
            else:
                out.extend(differences(expected[key], actual[key], f"{path}/{key}"))
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{path}[{i}]")
        ]
    both_num = all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in (expected, actual)
    )
    if both_num:
        e, a = float(expected), float(actual)
        if e == a or abs(e - a) <= 1e-12 or (math.isnan(e) and math.isnan(a)):
            return []
        return [f"{path}: {expected!r} -> {actual!r}"]
    return [] if expected == actual else [f"{path}: {expected!r} -> {actual!r}"]
