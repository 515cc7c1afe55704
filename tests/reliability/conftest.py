"""Shared pieces for the reliability tests: toy tasks, server stats, store queries.

The toy tasks are registered here (ids ``T.91`` / ``T.92``, never shipped) so these tests do
not depend on the real task modules, which other people are still changing. Their prompts
are plain text the test server answers deterministically ("Yes." / "No." from a hash), so a
run that meets faults and a clean run must end with the same answers.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from multitrust.data.base import DataSource
from multitrust.formula import Results, mean_over
from multitrust.scoring.yesno import yes_no
from multitrust.tasks import base as task_base
from multitrust.tasks.base import Task, TaskData, TaskSpec
from multitrust.types import GenerateConfig, Sample

#: Transient fault kinds the server can inject; each forced sample meets one of them.
FORCED_KINDS = (
    "rate_limit",
    "rate_limit_bare",
    "server_error",
    "unavailable",
    "reset",
    "hang",
    "malformed",
    "empty_choices",
)
#: What the recorded error of a forced sample must say (its cause, in words).
CAUSE_WORDS = {
    "rate_limit": ("rate_limit", "429"),
    "rate_limit_bare": ("rate_limit", "429"),
    "server_error": ("server", "500"),
    "unavailable": ("server", "503"),
    "reset": ("connection", ""),
    "hang": ("timeout", ""),
    "malformed": ("bad_response", "not JSON"),
    "empty_choices": ("bad_response", "no choices"),
}


def toy_samples(data: DataSource, n: int, forced: int) -> Iterator[Sample]:
    """``n`` yes/no questions; the first ``len(FORCED_KINDS)`` carry a forced-fault marker
    (failing the first ``forced`` attempts of that request) when ``forced`` > 0."""
    rng = data.rng("reliability-toy")
    for i in range(n):
        truth = rng.random() < 0.5
        text = f"Question {i}: is the number {i * 7919 % 1000} lucky?"
        if forced and i < len(FORCED_KINDS):
            text += f" [[fault:{FORCED_KINDS[i]}:{forced}]]"
        yield Sample(id=f"q{i}", text=text, target=truth, meta={"kind": "ab"[i % 2]})


def make_toy(forced: int) -> TaskSpec:
    def load(data: DataSource) -> Iterator[Sample]:
        # each question once as text, once with an unrelated colour image (so images travel)
        n = data.size or 10
        return data.with_unrelated(toy_samples(data, n, forced), "T.91", pools=("color",))

    def build(data: TaskData) -> Task:
        return Task(
            prompt="{text} Please answer [Yes] or [No].",
            scorer=yes_no(),
            formula=lambda r: 100 * mean_over(r, "correct", "kind"),
            config=GenerateConfig(max_tokens=16),
        )

    task_id = "T.92" if forced else "T.91"
    return TaskSpec(
        task_id, f"Reliability toy ({task_id})", "truthfulness", "T.M", build, (load,), (load,)
    )


@pytest.fixture
def toy_task() -> Iterator[str]:
    """The plain toy task ``T.91``; unregistered afterwards."""
    spec = make_toy(0)
    task_base._REGISTRY[spec.id] = spec
    yield spec.id
    task_base._REGISTRY.pop(spec.id, None)


@pytest.fixture
def forced_task() -> Iterator[str]:
    """``T.92``: like T.91 but its first 8 questions meet one forced fault kind each on
    their first 2 attempts."""
    spec = make_toy(2)
    task_base._REGISTRY[spec.id] = spec
    yield spec.id
    task_base._REGISTRY.pop(spec.id, None)


# -- the test server ---------------------------------------------------------------------------


def server_stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url.removesuffix("/v1") + "/stats", timeout=5) as resp:
        data: dict[str, Any] = json.load(resp)
    return data


# -- the store ---------------------------------------------------------------------------------


def result_rows(db: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every results row keyed by (sample id, variant), read straight from the SQLite file."""
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    try:
        rows = con.execute(
            'SELECT task_id, sample_id, variant, output, "values", label, error, error_kind,'
            " created FROM results"
        ).fetchall()
    finally:
        con.close()
    return {(r["sample_id"], r["variant"]): dict(r) for r in rows}


def results_of(rows: dict[tuple[str, str], dict[str, Any]]) -> Results:
    """Results built from scored rows only (for recomputing a task score by hand)."""
    from multitrust.formula import Row

    out = []
    for (sid, variant), r in rows.items():
        if r["error"] is None:
            out.append(Row(sid, variant, {"kind": _kind(sid)}, json.loads(r["values"])))
    return Results(out)


def _kind(sample_id: str) -> str:
    return "ab"[int(sample_id.removeprefix("q")) % 2]
