"""Values that break naive storage and exports: text UTF-8 cannot hold (an unpaired surrogate,
from a JSON ``\\ud800`` escape in a dataset or a server's answer), numbers JSON cannot hold
(infinity), integers no 64-bit column can hold (an ID in the data) and NUL characters: stored,
loaded and exported in every format, with U+FFFD for the surrogate and every other value kept."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from multitrust.results import export, load_results
from multitrust.store import Store
from multitrust.types import Generation, usv
from tests.test_results_frame import _open, _row

LONE_HIGH = "\ud800"
LONE_LOW = "\udc00"
R = "\ufffd"


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("plain ascii", "plain ascii"),
        ("é 中文 😀", "é 中文 😀"),
        (f"a{LONE_HIGH}b", f"a{R}b"),
        (f"{LONE_LOW}x", f"{R}x"),
        (f"x{LONE_HIGH}", f"x{R}"),
        (f"{LONE_LOW}{LONE_HIGH}", f"{R}{R}"),  # the wrong order is no pair
        ("\ud83d\ude00 ok", "😀 ok"),  # a split pair is one character
        (f"é{LONE_HIGH}中", f"é{R}中"),
    ],
)
def test_usv_replaces_only_what_utf8_cannot_hold(text: str, want: str) -> None:
    got = usv(text)
    assert got == want
    got.encode("utf-8")  # always encodable


def test_usv_returns_a_valid_string_unchanged() -> None:
    text = "é" * 10
    assert usv(text) is text


def test_a_generation_holds_its_text_and_error_as_scalar_values() -> None:
    g = Generation(f"Yes {LONE_HIGH}")
    assert g.text == f"Yes {R}" and g.ok
    f = Generation.failure(f"HTTP 500: bad {LONE_LOW}", "server")
    assert f.error == f"HTTP 500: bad {R}" and f.error_kind == "server" and f.text is None
    assert Generation("é").text == "é"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "u.db"
    with Store(path) as st:
        _open(st, "r", "m/m")
        st.write_batch(
            [],
            [
                _row(
                    "r",
                    "a",
                    prompt=f"Is this {LONE_HIGH} safe?",
                    output=f"No {LONE_LOW}.",
                    target={"label": f"x{LONE_HIGH}", "n": [1, 2]},
                    meta={"note": f"lone {LONE_HIGH}", "deep": {"k": LONE_LOW}, "big": 1e400},
                    values={"score": float("inf")},
                    label=f"no{LONE_HIGH}",
                    explanation=f"because {LONE_LOW}",
                ),
                _row(
                    "r",
                    "b",
                    target=f"t{LONE_LOW}",
                    meta={"note": "fine", "deep": {"k": "v"}, "big": -1e400},
                    values={"score": float("-inf")},
                    error=f"HTTP 502: {LONE_HIGH}",
                    error_kind="server",
                ),
                _row("r", "c", output="ok", values={"score": 0.5}, meta={"note": "é", "big": 2.0}),
            ],
        )
    return path


def test_the_store_keeps_the_batch_with_replacement_characters(db: Path) -> None:
    with Store(db, read_only=True) as st:
        rows = {r.sample_id: r for r in st.iter_results("r")}
    assert set(rows) == {"a", "b", "c"}
    a, b = rows["a"], rows["b"]
    assert a.prompt == f"Is this {R} safe?"
    assert a.output == f"No {R}."
    assert a.label == f"no{R}" and a.explanation == f"because {R}"
    assert b.error == f"HTTP 502: {R}" and b.error_kind == "server"
    # JSON columns keep the escape (ASCII JSON): what is read back is what was given
    assert a.meta["note"] == f"lone {LONE_HIGH}" and a.target == {
        "label": f"x{LONE_HIGH}",
        "n": [1, 2],
    }


def test_load_results_gives_text_cells_as_scalar_values(db: Path) -> None:
    df = load_results(db).set_index("sample_id")
    assert df.loc["a", "prompt"] == f"Is this {R} safe?"
    assert df.loc["a", "target"] == json.dumps({"label": f"x{R}", "n": [1, 2]}, ensure_ascii=False)
    assert df.loc["b", "target"] == f"t{R}"
    assert df.loc["a", "meta_note"] == f"lone {R}" and df.loc["c", "meta_note"] == "é"
    assert df.loc["a", "meta_deep"] == json.dumps({"k": R}, ensure_ascii=False)
    assert df.loc["a", "value_score"] == float("inf")
    assert df.loc["b", "value_score"] == float("-inf")
    assert df.loc["a", "meta_big"] == float("inf") and df.loc["b", "meta_big"] == float("-inf")


def test_jsonl_writes_infinity_as_a_string_and_the_text_as_is(db: Path, tmp_path: Path) -> None:
    out = export(db, tmp_path / "o.jsonl")
    lines = out.read_text(encoding="ascii").splitlines()
    recs = {r["sample_id"]: r for r in map(json.loads, lines)}  # strict JSON: no Infinity token
    assert len(recs) == 3
    assert recs["a"]["value_score"] == "Infinity" and recs["b"]["value_score"] == "-Infinity"
    assert recs["a"]["meta_big"] == "Infinity" and recs["b"]["meta_big"] == "-Infinity"
    assert recs["c"]["value_score"] == 0.5 and recs["c"]["meta_big"] == 2.0
    assert recs["a"]["output"] == f"No {R}." and recs["b"]["error"] == f"HTTP 502: {R}"
    for line in lines:
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-standard JSON {c}"))


def test_csv_and_parquet_hold_the_same_rows(db: Path, tmp_path: Path) -> None:
    with export(db, tmp_path / "o.csv").open(newline="", encoding="utf-8") as f:
        rows = {r["sample_id"]: r for r in csv.DictReader(f)}
    assert rows["a"]["prompt"] == f"Is this {R} safe?" and rows["a"]["meta_note"] == f"lone {R}"
    assert rows["a"]["value_score"] == "inf" and rows["b"]["value_score"] == "-inf"
    back = pd.read_parquet(export(db, tmp_path / "o.parquet")).set_index("sample_id")
    assert back.loc["a", "output"] == f"No {R}."
    assert back.loc["a", "value_score"] == float("inf")
    assert back.loc["b", "target"] == f"t{R}"


def test_a_message_is_sent_as_utf8_whatever_the_data_held() -> None:
    # a dataset's JSON may hold a "\ud800" escape in a question: the request must still encode
    from multitrust.models.openai_compat import build_payload, payload_bytes
    from multitrust.types import GenerateConfig, Message

    msg = Message("user", f"Is {LONE_HIGH} this safe? é")
    assert msg.text == f"Is {R} this safe? é"
    body = payload_bytes(build_payload("m", [msg], GenerateConfig()))
    sent = json.loads(body.decode("utf-8"))
    assert sent["messages"][0]["content"] in (msg.text, [{"type": "text", "text": msg.text}])


@pytest.fixture
def wide(tmp_path: Path) -> Path:
    path = tmp_path / "w.db"
    with Store(path) as st:
        _open(st, "r", "m/m")
        st.write_batch(
            [],
            [
                _row(
                    "r",
                    "a",
                    output="nul \x00 inside",
                    values={"v": 1.0},
                    meta={"id": 2**70, "n": 1, "low": -(2**63), "edge": 2**63 - 1},
                    target=2**80,
                ),
                _row(
                    "r",
                    "b",
                    output="ok",
                    values={"v": 0.0},
                    meta={"id": 7, "n": 2, "low": 1, "edge": 1, "huge_only": -(2**63) - 1},
                ),
            ],
        )
    return path


def test_an_integer_past_64_bits_makes_its_column_text_with_every_digit(wide: Path) -> None:
    df = load_results(wide).set_index("sample_id")
    assert str(df["meta_id"].dtype) == "string"
    assert df.loc["a", "meta_id"] == str(2**70) and df.loc["b", "meta_id"] == "7"
    assert str(df["meta_huge_only"].dtype) == "string"
    assert df.loc["b", "meta_huge_only"] == str(-(2**63) - 1)
    # the 64-bit limits themselves still fit: those columns stay integers
    assert str(df["meta_low"].dtype) == "Int64" and df.loc["a", "meta_low"] == -(2**63)
    assert str(df["meta_edge"].dtype) == "Int64" and df.loc["a", "meta_edge"] == 2**63 - 1
    assert str(df["meta_n"].dtype) == "Int64"
    assert df.loc["a", "target"] == str(2**80)
    assert df.loc["a", "output"] == "nul \x00 inside"


def test_every_format_exports_them(wide: Path, tmp_path: Path) -> None:
    recs = {
        r["sample_id"]: r
        for r in map(json.loads, export(wide, tmp_path / "o.jsonl").read_text().splitlines())
    }
    assert recs["a"]["meta_id"] == str(2**70) and recs["a"]["output"] == "nul \x00 inside"
    assert recs["a"]["meta_low"] == -(2**63)
    with export(wide, tmp_path / "o.csv").open(newline="", encoding="utf-8") as f:
        rows = {r["sample_id"]: r for r in csv.DictReader(f)}
    assert rows["a"]["meta_id"] == str(2**70) and rows["a"]["output"] == "nul \x00 inside"
    back = pd.read_parquet(export(wide, tmp_path / "o.parquet")).set_index("sample_id")
    assert back.loc["a", "meta_id"] == str(2**70) and back.loc["a", "meta_edge"] == 2**63 - 1


def test_the_report_is_written_when_stored_json_holds_an_unpaired_surrogate(
    tmp_path: Path,
) -> None:
    # a fairness slice named after a dataset's metadata value, with a "\ud800" escape in it
    # (as the official data can hold), once stopped the report with a UnicodeEncodeError
    import sqlite3

    from multitrust import evaluate
    from multitrust.report.html import write_report

    db = tmp_path / "r.db"
    evaluate("scripted/refuse", "T.5,P.1", db=db, size=4, bootstrap=0)
    con = sqlite3.connect(db)
    with con:
        con.execute(
            "UPDATE task_results SET metrics = "
            '\'{"refusal": 1.0, "refusal[topic=lone \\ud800 topic]": 1.0}\''
        )
    con.close()
    page = write_report(db, tmp_path / "r.html").read_bytes().decode("utf-8")  # valid UTF-8
    assert "refusal[topic=lone \ufffd topic]=1.000" in page
