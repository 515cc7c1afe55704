"""``load_results`` / ``load_task_results`` / ``export`` compared cell by cell with what was
stored: every fixed column, its type, the ``--model`` filter, the generation facts (latency,
tokens), images, and every export format's options (mutation testing, docs/testing.md)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from multitrust.errors import ConfigError
from multitrust.results import export, load_results, load_task_results, task_summaries
from multitrust.store import ResultRow, Store
from multitrust.types import Generation


def _row(run: str, sid: str, **kw: Any) -> ResultRow:
    base: dict[str, Any] = {
        "run_id": run,
        "task_id": "T.5",
        "sample_id": sid,
        "variant": "text",
        "gen_key": None,
        "prompt": f"p-{sid}",
        "images": [],
        "target": None,
        "meta": {},
        "output": None,
        "values": None,
        "label": None,
        "explanation": None,
        "scorer": None,
    }
    base.update(kw)
    return ResultRow(**base)


def _open(st: Store, run: str, model: str, **kw: Any) -> None:
    args: dict[str, Any] = {
        "judge": None,
        "profile": "corrected",
        "tasks": ["T.5"],
        "data": {},
        "settings": {},
        "package_version": "0",
        "git_commit": None,
    }
    args.update(kw)
    st.open_run(run, model=model, **args)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Run ``r-other`` (model other/m, opened first) and run ``r-main`` (model main/m)."""
    path = tmp_path / "f.db"
    with Store(path) as st:
        _open(st, "r-other", "other/m", data={"kind": "synth", "seed": 1})
        st.write_batch(
            [],
            [
                _row("r-other", "o1", error="timeout", error_kind="timeout"),
                _row("r-other", "o2", output="x", values={"v": 1.0}, meta={"k": 1}),
                _row("r-other", "o3", output="y", values={"v": 0.0}, meta={"k": "x"}),
            ],
        )
        _open(
            st,
            "r-main",
            "main/m",
            judge="judge/j",
            profile="official",
            data={"kind": "official", "seed": 4, "size": 12},
        )
        gen = Generation("Yes", input_tokens=11, output_tokens=7, latency_s=0.25)
        st.write_batch(
            [("g-1", "main/m", gen)],
            [
                _row(
                    "r-main",
                    "a",
                    variant="image",
                    gen_key="g-1",
                    images=[{"sha256": "aa11"}, {"path": "no-hash.png"}, {"sha256": "bb22"}],
                    target={"label": "é", "n": 2},
                    meta={"first": None, "flag": True, "mix": 1, "num": 1, "obj": ["é"]},
                    output="Yes",
                    values={"correct": 1.0, "blank": None},
                    label="yes",
                    explanation="said yes",
                    scorer="yes_no",
                ),
                _row(
                    "r-main",
                    "b",
                    task_id="Z.99",  # no such task: name, aspect and sub-aspect are missing
                    target="plain",
                    meta={"first": 3, "flag": False, "mix": "two", "num": 2.5},
                    error="boom",
                    error_kind="server",
                ),
            ],
        )
    return path


def _plain(v: Any) -> Any:
    if v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return v.item() if hasattr(v, "item") else v


def _records(df: pd.DataFrame) -> dict[str, dict[str, Any]]:
    return {
        r["sample_id"]: {str(k): _plain(v) for k, v in r.items()} for r in df.to_dict("records")
    }


MAIN_A = {
    "run_id": "r-main",
    "model": "main/m",
    "judge": "judge/j",
    "profile": "official",
    "data": "official",
    "seed": 4,
    "size": 12,
    "task_id": "T.5",
    "task_name": "Text misleading VQA",
    "aspect": "truthfulness",
    "sub_aspect": "T.M",
    "sample_id": "a",
    "variant": "image",
    "prompt": "p-a",
    "output": "Yes",
    "target": '{"label": "é", "n": 2}',
    "label": "yes",
    "explanation": "said yes",
    "scorer": "yes_no",
    "error": None,
    "error_kind": None,
    "latency_s": 0.25,
    "input_tokens": 11,
    "output_tokens": 7,
    "n_images": 3,
    "image_sha256": "aa11,,bb22",
    "value_correct": 1.0,
    "value_blank": None,
    "meta_first": None,
    "meta_flag": True,
    "meta_mix": "1",
    "meta_num": 1.0,
    "meta_obj": '["é"]',
}
MAIN_B = {
    **{k: MAIN_A[k] for k in ("run_id", "model", "judge", "profile", "data", "seed", "size")},
    "task_id": "Z.99",
    "task_name": None,
    "aspect": None,
    "sub_aspect": None,
    "sample_id": "b",
    "variant": "text",
    "prompt": "p-b",
    "output": None,
    "target": "plain",
    "label": None,
    "explanation": None,
    "scorer": None,
    "error": "boom",
    "error_kind": "server",
    "latency_s": None,
    "input_tokens": None,
    "output_tokens": None,
    "n_images": 0,
    "image_sha256": "",
    "value_correct": None,
    "value_blank": None,
    "meta_first": 3,
    "meta_flag": False,
    "meta_mix": "two",
    "meta_num": 2.5,
    "meta_obj": None,
}
OTHER_COLUMNS = [*[*MAIN_A][:26], "value_v", "meta_k"]
TASK_COLUMNS = [
    *("task_id", "task_name", "aspect", "sub_aspect", "status", "reason", "score", "ci_low"),
    *("ci_high", "n", "n_errors", "scorer", "deviation", "comparable", "judged_by", "metrics"),
]
DTYPES = {
    "seed": "Int64",
    "size": "Int64",
    "input_tokens": "Int64",
    "output_tokens": "Int64",
    "n_images": "Int64",
    "latency_s": "Float64",
    "value_correct": "Float64",
    "value_blank": "Float64",  # no value at all: still a number column
    "meta_first": "Int64",  # missing in the first row, an integer after
    "meta_flag": "boolean",
    "meta_mix": "string",  # an integer here, text there: text
    "meta_num": "Float64",  # 1 and 2.5
    "meta_obj": "string",
    "judge": "string",
    "target": "string",
}


def test_every_cell_and_type_of_the_chosen_model(db: Path) -> None:
    df = load_results(db, models=["main/m"])
    assert list(df.columns)[:26] == [c for c in MAIN_A if not c.startswith(("value_", "meta_"))]
    assert _records(df) == {"a": MAIN_A, "b": MAIN_B}
    got = {c: str(df[c].dtype) for c in DTYPES}
    assert got == DTYPES


def test_scored_rows_only_and_the_other_model(db: Path) -> None:
    assert list(load_results(db, models=["main/m"], include_errors=False)["sample_id"]) == ["a"]
    scored = load_results(db, models=["other/m"], include_errors=False)
    assert list(scored["sample_id"]) == ["o2", "o3"]  # after an errored row
    other = load_results(db, models=["other/m"])
    assert list(other["sample_id"]) == ["o1", "o2", "o3"]
    assert list(other.columns) == OTHER_COLUMNS
    assert list(other["meta_k"].astype(object)) == [pd.NA, "1", "x"]  # missing stays missing
    rec = _records(other)["o2"]
    assert (rec["judge"], rec["size"], rec["latency_s"], rec["input_tokens"]) == (None,) * 4
    # columns with no value keep their type: text stays text, numbers stay numbers
    assert str(other["judge"].dtype) == "string"
    assert str(other["size"].dtype) == "Int64"
    assert str(other["latency_s"].dtype) == "Float64"
    assert sorted(load_results(db)["sample_id"]) == ["a", "b", "o1", "o2", "o3"]


def test_a_missing_store_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    for load in (load_results, load_task_results):
        with pytest.raises(ConfigError, match="no store"):
            load(missing)
        assert not missing.exists()


@pytest.fixture
def tasks_db(db: Path) -> Path:
    with Store(db) as st:
        st.set_task_result(
            "r-main",
            "T.5",
            status="ok",
            score=0.5,
            ci=(0.25, 0.75),
            metrics={"accuracy": 0.5},
            n=2,
            n_errors=1,
            scorer="yes_no",
            deviation="d1",
            comparable=False,
            judge={"model": "judge/j", "prompt_version": "v1"},
        )
        st.set_task_result("r-main", "Z.99", status="skipped", reason="no data")
        st.set_task_result("r-other", "T.5", status="ok", score=1.0, n=1)
    return db


def test_task_results_every_cell(tasks_db: Path) -> None:
    df = load_task_results(tasks_db, models=["main/m"])
    rows = [{k: _plain(v) for k, v in r.items()} for r in df.to_dict("records")]
    common = {
        "run_id": "r-main",
        "model": "main/m",
        "data": "official",
        "seed": 4,
        "size": 12,
        "profile": "official",
        "judge": "judge/j",
    }
    assert rows[0] == {
        **common,
        "task_id": "T.5",
        "task_name": "Text misleading VQA",
        "aspect": "truthfulness",
        "sub_aspect": "T.M",
        "status": "ok",
        "reason": None,
        "score": 0.5,
        "ci_low": 0.25,
        "ci_high": 0.75,
        "n": 2,
        "n_errors": 1,
        "scorer": "yes_no",
        "deviation": "d1",
        "comparable": False,
        "judged_by": '{"model": "judge/j", "prompt_version": "v1"}',
        "metrics": '{"accuracy": 0.5}',
    }
    assert rows[1] == {
        **common,
        "task_id": "Z.99",
        "task_name": None,
        "aspect": None,
        "sub_aspect": None,
        "status": "skipped",
        "reason": "no data",
        "score": None,
        "ci_low": None,
        "ci_high": None,
        "n": 0,
        "n_errors": 0,
        "scorer": None,
        "deviation": None,
        "comparable": True,
        "judged_by": None,
        "metrics": "{}",
    }
    assert len(rows) == 2
    assert list(df.columns) == [*common, *TASK_COLUMNS]
    other = task_summaries(tasks_db, models=["other/m"])
    assert list(other["run_id"]) == ["r-other"] and list(other["score"]) == [1.0]
    assert sorted(task_summaries(tasks_db)["run_id"]) == ["r-main", "r-main", "r-other"]


# --------------------------------------------------------------------------- export options


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_export_passes_the_model_filter_and_error_choice(db: Path, tmp_path: Path) -> None:
    out = export(db, tmp_path / "m.csv", models=["main/m"], include_errors=False)
    rows = _csv(out)
    assert [r["sample_id"] for r in rows] == ["a"]
    a = rows[0]
    assert (a["target"], a["meta_obj"], a["image_sha256"]) == (
        '{"label": "é", "n": 2}',
        '["é"]',
        "aa11,,bb22",
    )
    assert (a["latency_s"], a["input_tokens"], a["meta_flag"]) == ("0.25", "11", "True")
    assert out.read_bytes().count(b"\r\n") == 2  # header and one row, CRLF as RFC 4180


def test_export_json_suffix_and_explicit_format(db: Path, tmp_path: Path) -> None:
    out = export(db, tmp_path / "m.json", models=["other/m"])
    assert [json.loads(x)["sample_id"] for x in out.read_text().splitlines()] == ["o1", "o2", "o3"]
    out = export(db, tmp_path / "rows.txt", "JSONL", models=["other/m"], include_errors=False)
    assert [json.loads(x)["meta_k"] for x in out.read_text().splitlines()] == ["1", "x"]


def test_export_unknown_format_names_it(db: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown export format 'xlsx'"):
        export(db, tmp_path / "out.XLSX")
    assert not (tmp_path / "out.XLSX").exists()


def test_parquet_holds_the_columns_only(db: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = export(db, tmp_path / "m.parquet", models=["other/m"])
    assert pq.read_schema(out).names == OTHER_COLUMNS


def test_parquet_without_pyarrow_is_a_one_line_error(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pyarrow(*a: object, **k: object) -> None:
        raise ImportError("no pyarrow")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_pyarrow)
    with pytest.raises(ConfigError, match=r"^parquet export needs pyarrow: pip .* or pyarrow$"):
        export(db, tmp_path / "m.parquet")


def test_a_plugin_tasks_rows_carry_its_name_and_aspect(tmp_path: Path) -> None:
    import dataclasses

    from multitrust._plugins import Origin
    from multitrust.tasks import base as task_base
    from multitrust.tasks import get_task

    origin = Origin("multitrust-plugin-x", "1.0", "multitrust.tasks", "T.97", "x:T97")
    spec = dataclasses.replace(
        get_task("T.5"), id="T.97", name="A plugin's task", sub_aspect="T.X", plugin=origin
    )
    path = tmp_path / "p.db"
    with Store(path) as st:
        _open(st, "r", "m/m", tasks=["T.97"])
        st.write_batch([], [_row("r", "s1", task_id="T.97", output="x", values={"v": 1.0})])
    task_base._REGISTRY[spec.id] = spec
    try:
        rec = _records(load_results(path))["s1"]
    finally:
        task_base._REGISTRY.pop(spec.id, None)
    assert (rec["task_name"], rec["aspect"], rec["sub_aspect"]) == (
        "A plugin's task",
        "truthfulness",
        "T.X",
    )
