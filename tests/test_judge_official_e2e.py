"""Acceptance: ``multitrust eval --profile official`` sends the benchmark's judge prompts.

The official-layout fixture is evaluated through the CLI with the fake OpenAI-compatible
server as the judge endpoint (``--judge openai/… --judge-base-url …``); the server records
every request it admits. Each stored answer of a judge-scored task gives the prompt(s) the
benchmark would send for it, rendered here from the committed reference text (not from the
package); the set the judge received must be exactly that set, each request with the
reference's generation settings, and every official judge prompt must have been used.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from multitrust.cli import app
from multitrust.scoring.judge_prompts import OFFICIAL_PROMPTS, OFFICIAL_VERSION
from multitrust.store import ResultRow, Store
from tests.fixtures.official import build_official_fixture
from tests.scoring.judge_reference import noise_prompt, read_reference
from tests.servers.openai_server import serve
from tests.tasks.test_task_facts import JUDGE_PROMPTS

REF = read_reference()
NOISE = noise_prompt()
JUDGED = tuple(JUDGE_PROMPTS)


def _named(template: str, **fields: str) -> str:
    out = template
    for k, v in fields.items():
        out = out.replace("{" + k + "}", v)
    return out


def _positional(template: str, *values: str) -> str:
    parts = template.split("{}")
    assert len(parts) == len(values) + 1
    return "".join(p + v for p, v in zip(parts, [*values, ""], strict=True))


def _benchlmm_exact(pred: str, answer: str) -> bool:
    return pred.strip("\n").replace(".", "").replace("<\\s>", "").lower() == answer.lower()


def expected_prompts(task_id: str, row: ResultRow) -> list[tuple[str, str]]:
    """(prompt id, text) the benchmark sends for one stored answer."""
    out, meta, target = row.output or "", row.meta or {}, row.target
    if task_id == "T.1":
        if meta["subset"] == "ocr":
            return [("T.1/ocr", _named(REF["T.1/ocr"].template, pred=out, label=str(target)))]
        if meta["subset"] == "grounding":
            w, h = meta["image_size"]
            size = f"({w}, {h})"
            return [
                ("T.1/grounding", _named(REF["T.1/grounding"].template, pred=out, img_size=size))
            ]
        return []
    if task_id == "T.3":
        pid = f"T.3/{meta['dataset']}"
        return [(pid, _named(REF[pid].template, pred=out, label=str(target)))]
    if task_id in ("T.4", "T.5", "T.7"):
        return [(task_id, _named(REF[task_id].template, pred=out, label=str(target)))]
    if task_id == "S.2":
        text = _named(
            REF["S.2"].template,
            QUESTION=row.prompt or "",
            pred=out,
            EXPECTED_KEYWORDS=meta["expected_keywords"],
        )
        return [("S.2", text)]
    if task_id == "R.1":
        return [("R.1", _positional(REF["R.1"].template, out, str(target)))]
    if task_id == "R.2":
        question = str(meta["question"]).split("\n")[0]
        if _benchlmm_exact(out, str(target)):
            return []
        return [("R.2", _positional(REF["R.2"].template, question, str(target), out))]
    if task_id in ("R.4", "R.5"):
        return [
            (task_id, _positional(REF[task_id].template, out, str(target))),
            (f"{task_id}/noise", _named(NOISE, pred=out)),
        ]
    if task_id == "F.1":
        return [("F.1", _named(REF["F.1"].template, pred=out))]
    raise AssertionError(task_id)


def _settings(prompt_id: str) -> tuple[int, float]:
    gen = REF[prompt_id.split("/noise")[0]].generation
    return gen["max_new_tokens"], 0.0


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_official_fixture(tmp_path_factory.mktemp("official") / "data")


def test_official_profile_sends_the_benchmarks_judge_prompts(
    fixture_root: Path, tmp_path: Path
) -> None:
    db = tmp_path / "judge.db"
    with serve(record=True) as url:
        res = CliRunner().invoke(
            app,
            [
                "eval",
                "--model",
                "scripted/echo",
                "--data",
                str(fixture_root),
                "--tasks",
                ",".join(JUDGED),
                "--profile",
                "official",
                "--judge",
                "openai/fake-judge",
                "--judge-base-url",
                url,
                "--db",
                str(db),
            ],
        )
        assert res.exit_code == 0, res.output
        received = _get(url.removesuffix("/v1") + "/received")

    sent: dict[str, tuple[int, float]] = {}
    for req in received:
        assert req["model"] == "fake-judge"
        assert len(req["messages"]) == 1 and req["messages"][0]["role"] == "user"
        text = req["messages"][0]["content"]
        assert isinstance(text, str)
        sent[text] = (req["max_tokens"], req["temperature"])
    assert len(sent) == len(received)  # a repeated prompt is served from the cache

    store = Store(db)
    (run,) = store.runs()
    # the report row of every judge-scored task names the judge, the prompt version, the profile
    rows_by_task = {t["task_id"]: t for t in store.task_results(run.run_id)}
    for task_id in JUDGED:
        assert rows_by_task[task_id]["judge"] == {
            "model": "openai/fake-judge",
            "prompt_version": OFFICIAL_VERSION,
            "profile": "official",
        }, task_id
    assert f"judge openai/fake-judge · prompts {OFFICIAL_VERSION} · profile official" in res.output
    page = CliRunner().invoke(app, ["report", "--db", str(db), "-o", str(tmp_path / "r.html")])
    assert page.exit_code == 0, page.output
    html = (tmp_path / "r.html").read_text()
    assert html.count(f"openai/fake-judge · prompts {OFFICIAL_VERSION} · official") == len(JUDGED)
    expected: dict[str, set[str]] = {}  # T.4/T.5/T.7 share a template, as R.4/R.5's noise
    for task_id in JUDGED:
        rows = list(store.iter_results(run.run_id, task_id))
        assert rows, f"{task_id}: no results on the fixture"
        assert all(r.error is None for r in rows), task_id
        for row in rows:
            for pid, text in expected_prompts(task_id, row):
                expected.setdefault(text, set()).add(pid)
    store.close()

    # byte-for-byte: exactly the benchmark's prompts were sent, nothing else
    assert set(sent) == set(expected)
    for text, pids in expected.items():
        for pid in pids:
            assert sent[text] == _settings(pid), pid
    # every official judge prompt was exercised
    assert set().union(*expected.values()) == set(OFFICIAL_PROMPTS)


def test_a_store_from_before_the_judge_column_gains_it(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TABLE task_results(run_id TEXT NOT NULL, task_id TEXT NOT NULL, status TEXT,"
        " reason TEXT, score REAL, ci_low REAL, ci_high REAL, metrics TEXT, n INTEGER,"
        " n_errors INTEGER, scorer TEXT, deviation TEXT, comparable INTEGER, updated REAL,"
        " PRIMARY KEY(run_id, task_id))"
    )
    conn.execute("INSERT INTO task_results(run_id, task_id, status) VALUES('r', 'T.2', 'ok')")
    conn.commit()
    conn.close()
    store = Store(db)
    judged = {"model": "openai/j", "prompt_version": OFFICIAL_VERSION, "profile": "official"}
    store.set_task_result("r", "T.4", status="ok", score=50.0, judge=judged)
    rows = {t["task_id"]: t for t in store.task_results("r")}
    store.close()
    assert rows["T.2"]["judge"] is None and rows["T.4"]["judge"] == judged
