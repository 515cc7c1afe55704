"""Runs against a faulty server: nothing is lost, no error is scored, reruns redo only errors.

The test server injects faults at a fixed rate (429 with and without Retry-After, 500, 503,
connection resets, hangs past the client timeout, malformed JSON, empty choices). Faults are
a pure function of (seed, request body, attempt), and answers a pure function of the prompt,
so the final results of a faulty run plus reruns must equal those of a fault-free run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from multitrust import evaluate
from multitrust.api import RunReport
from tests.reliability.conftest import (
    CAUSE_WORDS,
    FORCED_KINDS,
    result_rows,
    results_of,
    server_stats,
)
from tests.servers.openai_server import answer_for, serve

#: 20% of attempts meet a fault, spread over every transient kind.
FAULTS = {
    "rate_limit": 0.03,
    "rate_limit_bare": 0.03,
    "server_error": 0.03,
    "unavailable": 0.03,
    "reset": 0.02,
    "hang": 0.02,
    "malformed": 0.02,
    "empty_choices": 0.02,
}
#: Short enough that hangs and backoff keep a 1,000-sample run to seconds.
RUN = {"timeout_s": 0.3, "max_attempts": 2, "max_connections": 32, "bootstrap": 0}
ERROR_KINDS = {"rate_limit", "server", "timeout", "connection", "bad_response"}


def _run(model_url: str, task: str, db: Path, size: int, **kw: Any) -> RunReport:
    opts = {**RUN, **kw}
    return evaluate("openai/test-model", task, db=db, size=size, base_url=model_url, **opts)


def check_every_row_accounted(rows: dict[tuple[str, str], dict[str, Any]], n_items: int) -> int:
    """Every item has exactly one row: a scored generation or an error with its cause.

    Returns the number of error rows.
    """
    assert len(rows) == n_items
    errors = 0
    for key, r in rows.items():
        if r["error"] is None:
            assert r["output"] in ("Yes.", "No."), key
            values = json.loads(r["values"])
            assert values["correct"] in (0.0, 1.0), key
        else:
            errors += 1
            # an error is never scored and never stands in for model text
            assert r["values"] is None and r["label"] is None and r["output"] is None, key
            assert r["error_kind"] in ERROR_KINDS, (key, r["error_kind"], r["error"])
            assert r["error"].startswith(r["error_kind"] + ":"), r["error"]
            # non-rate-limit faults get max_attempts (2) tries; 429s on the way add more tries
            tries = re.search(r"after (\d+) attempts", r["error"])
            assert tries and int(tries.group(1)) >= 2, r["error"]
    return errors


def check_report_matches_store(
    rep: RunReport, task: str, rows: dict[tuple[str, str], dict[str, Any]], errors: int
) -> None:
    out = rep.tasks[task]
    assert out.n_errors == errors
    assert out.n == len(rows) - errors
    assert rep.counters.errors == errors
    expected = (
        100 * results_of(rows).mean("correct", kind="a") / 2
        + 100 * results_of(rows).mean("correct", kind="b") / 2
    )
    assert out.score == pytest.approx(expected)
    if errors:
        assert out.reason is not None and "rerun to retry" in out.reason


def rerun_until_clean(
    url: str, task: str, db: Path, size: int, errors: int, **kw: Any
) -> RunReport:
    """Rerun until no error is left; each rerun asks the server only for the errored items."""
    for _ in range(8):
        before_rows = result_rows(db)
        before = server_stats(url)["requests"]
        rep = _run(url, task, db, size, **kw)
        sent = server_stats(url)["requests"] - before
        assert rep.counters.requests == errors
        assert rep.counters.skipped == 2 * size - errors
        assert errors <= sent <= errors * RUN["max_attempts"]
        after_rows = result_rows(db)
        for key, r in before_rows.items():
            if r["error"] is None:  # a scored row is never redone or rewritten
                assert after_rows[key] == r, key
        errors = check_every_row_accounted(after_rows, 2 * size)
        if errors == 0:
            return rep
    raise AssertionError(f"{errors} errors left after 8 reruns")


@pytest.mark.slow
def test_small_faulty_run_then_rerun(tmp_path: Path, toy_task: str) -> None:
    """A quick version of the slow test below: 100 items, 20% faults."""
    size = 50
    db = tmp_path / "s.db"
    with serve(faults=FAULTS, seed=3, hang_s=30) as url:
        rep = _run(url, toy_task, db, size)
        rows = result_rows(db)
        errors = check_every_row_accounted(rows, 2 * size)
        check_report_matches_store(rep, toy_task, rows, errors)
        assert sum(server_stats(url)["faults"].values()) > 0
        final = rerun_until_clean(url, toy_task, db, size, errors)
    for r in result_rows(db).values():
        assert r["output"] == _expected_answer(r, db)
    assert final.tasks[toy_task].n == 2 * size


def _expected_answer(row: dict[str, Any], db: Path) -> str:
    import sqlite3

    con = sqlite3.connect(db)
    (prompt,) = con.execute(
        "SELECT prompt FROM results WHERE sample_id=? AND variant=?",
        (row["sample_id"], row["variant"]),
    ).fetchone()
    con.close()
    return answer_for(prompt, "yesno")


@pytest.mark.slow
def test_thousand_samples_at_20_percent_faults(tmp_path: Path, forced_task: str) -> None:
    size = 500  # x2 variants = 1,000 items
    db = tmp_path / "faulty.db"
    with serve(faults=FAULTS, seed=11, hang_s=30) as url:
        rep = _run(url, forced_task, db, size)
        rows = result_rows(db)
        errors = check_every_row_accounted(rows, 2 * size)
        check_report_matches_store(rep, forced_task, rows, errors)
        stats = server_stats(url)
        for kind in FAULTS:  # every fault kind was met at random, not only the forced ones
            assert stats["faults"].get(kind, 0) >= 3, (kind, stats["faults"])
        # each forced question failed on both attempts, with its own cause recorded; except
        # rate limits: a 429 asks us to come back later, so it is retried past max_attempts
        # (within RetryPolicy.rate_limit_budget_s) and the forced question gets its answer
        for i, kind in enumerate(FORCED_KINDS):
            for variant in ("text", "unrelated-color"):
                r = rows[(f"q{i}", variant)]
                if kind.startswith("rate_limit"):
                    assert r["error"] is None and r["output"] in ("Yes.", "No."), (kind, r)
                    continue
                want_kind, want_words = CAUSE_WORDS[kind]
                assert r["error_kind"] == want_kind, (kind, r["error"])
                assert want_words in r["error"], (kind, r["error"])
                if kind != "hang":  # the engine's own timeout fires first, without the model id
                    assert "openai/test-model" in r["error"]
        # reruns against the same faulty server: only errored items are asked again
        final = rerun_until_clean(url, forced_task, db, size, errors)
    faulty_rows = result_rows(db)

    # the reference: a fault-free server (a third attempt gets past the forced faults)
    ref_db = tmp_path / "clean.db"
    with serve(seed=11) as url:
        ref = _run(url, forced_task, ref_db, size, max_attempts=3)
        assert server_stats(url)["requests"] == 2 * size + 2 * 2 * len(FORCED_KINDS)
    ref_rows = result_rows(ref_db)
    assert ref.counters.errors == 0
    assert set(ref_rows) == set(faulty_rows)
    for key, r in ref_rows.items():
        assert (faulty_rows[key]["output"], faulty_rows[key]["values"]) == (
            r["output"],
            r["values"],
        ), key
    assert final.tasks[forced_task].score == pytest.approx(ref.tasks[forced_task].score)
    assert final.tasks[forced_task].metrics == pytest.approx(ref.tasks[forced_task].metrics)


@pytest.mark.slow
def test_rerun_with_faults_off_asks_only_for_errors(tmp_path: Path, toy_task: str) -> None:
    size = 500
    db = tmp_path / "s.db"
    with serve(faults=FAULTS, seed=5, hang_s=30) as url:
        _run(url, toy_task, db, size)
    errors = check_every_row_accounted(result_rows(db), 2 * size)
    assert errors > 0
    # the same endpoint (same port, so the same run) comes back healthy
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    with serve(port=port, seed=5) as url2:
        assert url2 == url
        rep = _run(url2, toy_task, db, size)
        stats = server_stats(url2)
    assert stats["requests"] == errors
    assert stats["distinct_bodies"] == errors
    assert rep.counters.requests == errors and rep.counters.errors == 0
    rows = result_rows(db)
    assert check_every_row_accounted(rows, 2 * size) == 0
    for r in rows.values():
        assert r["output"] == _expected_answer(r, db)
    assert rep.tasks[toy_task].n == 2 * size and rep.tasks[toy_task].n_errors == 0
