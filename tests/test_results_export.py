"""Exports carry every column with its value: the run, the sample, ``value.*``, ``meta.*``
and the ``error`` of a failed call (read back with the csv and json modules, not by row count)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from multitrust.results import export, load_results
from multitrust.store import ResultRow, Store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    with Store(path) as st:
        st.open_run(
            "run1",
            model="scripted/oracle",
            judge=None,
            profile="corrected",
            tasks=["T.5"],
            data={"kind": "synth", "seed": 3},
            settings={},
            package_version="0",
            git_commit=None,
        )

        def row(sid: str, **kw: object) -> ResultRow:
            base: dict[str, object] = {
                "run_id": "run1",
                "task_id": "T.5",
                "sample_id": sid,
                "variant": "text",
                "gen_key": None,
                "prompt": f"prompt {sid}",
                "images": [],
                "target": True,
                "meta": {},
                "output": None,
                "values": None,
                "label": None,
                "explanation": None,
                "scorer": "yes_no",
            }
            base.update(kw)
            return ResultRow(**base)  # type: ignore[arg-type]

        st.write_batch(
            [],
            [
                row(
                    "a",
                    output="Yes, it is.",
                    values={"correct": 1.0, "yes": 1.0},
                    meta={"kind": "color", "n": 2, "tags": ["x", "y"]},
                    label="yes",
                ),
                row(
                    "b",
                    output="No.",
                    values={"correct": 0.0, "yes": 0.0},
                    meta={"kind": "shape", "n": 5, "tags": []},
                    label="no",
                ),
                row(
                    "c",
                    meta={"kind": "color", "n": 7, "tags": []},
                    error="timeout: no answer within 1s",
                    error_kind="timeout",
                ),
            ],
        )
    return path


EXPECTED: dict[str, dict[str, object]] = {
    "a": {
        "model": "scripted/oracle",
        "task_id": "T.5",
        "output": "Yes, it is.",
        "label": "yes",
        "value.correct": 1.0,
        "value.yes": 1.0,
        "meta.kind": "color",
        "meta.n": 2,
        "meta.tags": '["x", "y"]',
        "error": None,
    },
    "b": {
        "output": "No.",
        "value.correct": 0.0,
        "value.yes": 0.0,
        "meta.kind": "shape",
        "meta.n": 5,
        "error": None,
    },
    "c": {
        "output": None,
        "value.correct": None,
        "meta.kind": "color",
        "meta.n": 7,
        "error": "timeout: no answer within 1s",
        "error_kind": "timeout",
    },
}


def _same(got: object, want: object) -> bool:
    """A CSV cell is text: compare numbers as numbers, None as an empty cell."""
    if want is None:
        return got in (None, "")
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        return got not in (None, "") and float(got) == float(want)  # type: ignore[arg-type]
    return got == want


def _check(rows: list[dict[str, Any]]) -> None:
    by_id = {str(r["sample_id"]): r for r in rows}
    assert sorted(by_id) == ["a", "b", "c"]
    for sid, want in EXPECTED.items():
        for col, val in want.items():
            assert col in by_id[sid], f"column {col} missing"
            assert _same(by_id[sid][col], val), (sid, col, by_id[sid][col], val)


def test_load_results_has_value_meta_and_error_columns(db: Path) -> None:
    df = load_results(db, include_errors=True)
    cols = set(df.columns)
    assert {"value.correct", "value.yes", "meta.kind", "meta.n", "meta.tags"} <= cols
    assert {"error", "error_kind", "output", "prompt", "run_id", "model"} <= cols
    scored = load_results(db)
    assert sorted(scored["sample_id"]) == ["a", "b"]  # errors only on request


def test_csv_export_keeps_every_column_and_value(db: Path, tmp_path: Path) -> None:
    out = export(db, tmp_path / "out.csv")
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {"value.correct", "value.yes", "meta.kind", "meta.n", "meta.tags", "error"} <= set(
        rows[0]
    )
    _check(rows)


def test_jsonl_export_keeps_every_column_and_value(db: Path, tmp_path: Path) -> None:
    out = export(db, tmp_path / "out.jsonl")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    _check(rows)
