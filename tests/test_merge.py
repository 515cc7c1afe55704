"""``multitrust merge``: stores from several machines combined into one (#20.4).

The stores come from real small runs with scripted models; some are then altered the way another
machine would have left them (errored rows, other answers, another profile, a run in progress).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.errors import ConfigError
from multitrust.store import Store
from multitrust.store._sqlite import this_owner
from multitrust.store.merge import STALE_REASON, MergeConflict, merge_stores

ROOT = Path(__file__).resolve().parents[1]
TABLES = {
    "runs": "run_id",
    "generations": "key",
    "results": "run_id, task_id, sample_id, variant",
    "task_results": "run_id, task_id",
    "images": "sha256",
    "meta": "key",
}


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stores of real runs: ``oracle-t6`` and ``oracle-t4`` hold one run (same model and data,
    so the same run id) split over two machines; ``refuse`` holds another model's run."""
    folder = tmp_path_factory.mktemp("stores")
    out = {}
    for name, model, tasks in (
        ("oracle-t6", "scripted/oracle", "T.6"),
        ("oracle-t4", "scripted/oracle", "T.4"),
        ("refuse", "scripted/refuse", "T.6,P.6"),
    ):
        out[name] = folder / f"{name}.db"
        evaluate(model, tasks, db=out[name], size=3, bootstrap=0)
    return out


@pytest.fixture
def stores(made: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    """Fresh copies, free to alter."""
    out = {}
    for name, path in made.items():
        out[name] = tmp_path / path.name
        shutil.copy(path, out[name])
    return out


def content(db: Path) -> str:
    """A hash of every row of every table, in key order."""
    h = hashlib.sha256()
    conn = sqlite3.connect(db)
    try:
        for table, key in TABLES.items():
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY {key}"):
                h.update(repr(row).encode())
    finally:
        conn.close()
    return h.hexdigest()


def counts(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def alter(db: Path, *sql: str) -> None:
    conn = sqlite3.connect(db)
    with conn:
        for statement in sql:
            conn.execute(statement)
    conn.close()


def scores(db: Path) -> dict[tuple[str, str], tuple[str, float | None]]:
    with Store(db, read_only=True) as store:
        return {
            (r.model, t["task_id"]): (t["status"], t["score"])
            for r in store.runs()
            for t in store.task_results(r.run_id)
        }


# --------------------------------------------------------------------------- combining


def test_merge_combines_runs_without_duplicates(stores: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "all.db"
    rep = merge_stores(list(stores.values()), out)
    parts = [counts(p) for p in stores.values()]
    merged = counts(out)
    # the split run is one run; its results, generations and scores are the sum of its parts
    assert merged["runs"] == 2 and rep.runs == 2
    assert merged["results"] == sum(c["results"] for c in parts)
    assert merged["task_results"] == sum(c["task_results"] for c in parts)
    with Store(out, read_only=True) as store:
        runs = {r.model: r for r in store.runs()}
        assert sorted(runs["scripted/oracle"].tasks) == ["T.4", "T.6"]
        assert runs["scripted/oracle"].status == "done"
    want = {
        **scores(stores["oracle-t6"]),
        **scores(stores["oracle-t4"]),
        **scores(stores["refuse"]),
    }
    assert scores(out) == want
    # the cache answers a rerun: nothing is asked again
    rerun = evaluate("scripted/oracle", "T.4,T.6", db=out, size=3, bootstrap=0)
    assert rerun.counters.requests == 0 and rerun.counters.skipped > 0


def test_merging_twice_changes_nothing(stores: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "all.db"
    merge_stores(list(stores.values()), out)
    first = content(out)
    rep = merge_stores(list(stores.values()), out)
    assert content(out) == first and rep.added == {}
    # the output named among the sources, or a source given twice, changes nothing either
    merge_stores([out, stores["refuse"], stores["refuse"]], out)
    assert content(out) == first
    # merging into a store adds only what it lacks
    part = tmp_path / "part.db"
    merge_stores([stores["oracle-t6"]], part)
    merge_stores([stores["refuse"], stores["oracle-t4"]], part)
    assert counts(part) == counts(out)


def test_a_scored_answer_beats_an_error(stores: dict[str, Path], tmp_path: Path) -> None:
    a = stores["oracle-t6"]
    b = tmp_path / "again.db"
    shutil.copy(a, b)
    # machine A: two samples failed (a rerun there would retry them); B answered everything
    alter(
        a,
        "UPDATE results SET error='timeout: no answer in 120 s', error_kind='timeout', output=NULL,"
        ' "values"=NULL, label=NULL WHERE rowid IN (SELECT rowid FROM results LIMIT 2)',
        "UPDATE task_results SET n=n-2, n_errors=2, score=NULL, status='failed'",
    )
    for order in ([a, b], [b, a]):
        out = tmp_path / f"out-{order[0].stem}.db"
        rep = merge_stores(order, out)
        conn = sqlite3.connect(out)
        assert (
            conn.execute("SELECT COUNT(*) FROM results WHERE error IS NOT NULL").fetchone()[0] == 0
        )
        conn.close()
        assert rep.errors_replaced == (2 if order[0] == a else 0)
        # the score is B's, whose rows are exactly the merged ones
        assert scores(out) == scores(b) and not rep.stale


def test_different_answers_keep_the_first_store_s(stores: dict[str, Path], tmp_path: Path) -> None:
    a = stores["oracle-t6"]
    b = tmp_path / "sampled.db"
    shutil.copy(a, b)
    alter(
        b, "UPDATE results SET output='another draw' WHERE rowid=(SELECT MIN(rowid) FROM results)"
    )
    alter(
        b,
        "UPDATE generations SET text='another draw' WHERE rowid=(SELECT MIN(rowid) FROM generations)",
    )
    alter(b, "UPDATE task_results SET score=42.0")
    rep = merge_stores([a, b], tmp_path / "ab.db")
    assert (rep.answers_differ, rep.generations_differ) == (1, 1)
    assert scores(tmp_path / "ab.db") == scores(a)
    merge_stores([b, a], tmp_path / "ba.db")
    assert scores(tmp_path / "ba.db") == scores(b)


def test_rows_no_store_scored_together_leave_the_task_stale(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    a = stores["oracle-t4"]
    b = tmp_path / "other-half.db"
    shutil.copy(a, b)
    fail = (
        "UPDATE results SET error='server: HTTP 503', error_kind='server', output=NULL,"
        ' "values"=NULL WHERE sample_id IN (SELECT sample_id FROM results ORDER BY sample_id {} LIMIT 1)'
    )
    alter(a, fail.format("ASC"), "UPDATE task_results SET n_errors=1")
    alter(b, fail.format("DESC"), "UPDATE task_results SET n_errors=1")
    out = tmp_path / "all.db"
    rep = merge_stores([a, b], out)
    run_id = json.loads(json.dumps(rep.stale))[0][0]
    assert rep.stale == [(run_id, "T.4")]
    with Store(out, read_only=True) as store:
        (row,) = store.task_results(run_id)
        assert (row["status"], row["reason"], row["score"]) == ("stale", STALE_REASON, None)
        assert row["n_errors"] == 0
    # the documented remedy: rerun with the same settings; no model call, a score again
    report = evaluate("scripted/oracle", "T.4", db=out, size=3, bootstrap=0)
    assert report.counters.requests == 0 and report.tasks["T.4"].score == 100.0
    assert scores(out)[("scripted/oracle", "T.4")] == ("ok", 100.0)


# --------------------------------------------------------------------------- conflicts


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("UPDATE runs SET profile='official'", "profile"),
        ("UPDATE runs SET judge='openai/gpt-4o'", "judge"),
        ("UPDATE runs SET data=json_set(data, '$.seed', 7)", "data.seed"),
        (
            "UPDATE runs SET settings=json_set(settings, '$.model.dtype', 'float16')",
            "settings.model.dtype",
        ),
        ("UPDATE runs SET settings=json_set(settings, '$.limit', 5)", "settings.limit"),
    ],
)
def test_one_run_id_with_other_settings_is_a_conflict(
    stores: dict[str, Path], tmp_path: Path, change: str, field: str
) -> None:
    a, b = stores["oracle-t6"], stores["oracle-t4"]
    alter(b, change)
    existing = tmp_path / "existing.db"
    merge_stores([stores["refuse"]], existing)
    before = content(existing)
    with Store(a, read_only=True) as store:
        (run,) = store.runs()
    for out in (tmp_path / "new.db", existing):
        with pytest.raises(MergeConflict) as info:
            merge_stores([a, b], out)
        message = str(info.value)
        assert "\n" not in message
        assert f"run {run.run_id}: {field} is " in message and str(b) in message
    assert not (tmp_path / "new.db").exists()
    assert content(existing) == before
    assert sorted(p.name for p in tmp_path.iterdir() if "merge" in p.name) == []


def test_operational_settings_may_differ(stores: dict[str, Path], tmp_path: Path) -> None:
    b = stores["oracle-t4"]
    alter(
        b,
        "UPDATE runs SET settings=json_set(settings, '$.max_connections', 3, '$.timeout_s', 9,"
        " '$.model.device', 'cuda:1'), package_version='9.9.9', updated=updated+1000",
    )
    out = tmp_path / "all.db"
    merge_stores([stores["oracle-t6"], b], out)
    with Store(out, read_only=True) as store:
        (run,) = store.runs()
    assert run.settings["max_connections"] == 32  # the first store's
    assert run.package_version == "9.9.9"  # the most recently updated copy's


def test_two_samples_under_one_id_is_a_conflict(stores: dict[str, Path], tmp_path: Path) -> None:
    a = stores["oracle-t6"]
    b = tmp_path / "other-draw.db"
    shutil.copy(a, b)
    alter(
        b,
        "UPDATE results SET prompt='another question' WHERE rowid=(SELECT MIN(rowid) FROM results)",
    )
    with pytest.raises(
        MergeConflict, match="two different samples share this id \\(prompt differs"
    ):
        merge_stores([a, b], tmp_path / "out.db")
    assert not (tmp_path / "out.db").exists()


def test_a_run_in_progress_is_refused_a_dead_one_is_interrupted(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    a = stores["oracle-t6"]
    alter(a, f"UPDATE runs SET status='running', owner='{this_owner()}', heartbeat={time.time()}")
    with pytest.raises(MergeConflict, match="being written by a live process"):
        merge_stores([a, stores["refuse"]], tmp_path / "out.db")
    assert not (tmp_path / "out.db").exists()
    # the writer is gone: its heartbeat stopped long ago
    alter(a, f"UPDATE runs SET heartbeat={time.time() - 3600}")
    rep = merge_stores([a, stores["refuse"]], tmp_path / "out.db")
    with Store(tmp_path / "out.db", read_only=True) as store:
        status = {r.run_id: r.status for r in store.runs()}
        owners = store.conn.execute("SELECT owner, heartbeat FROM runs").fetchall()
    assert status[rep.interrupted[0]] == "interrupted" and len(rep.interrupted) == 1
    assert owners == [(None, None), (None, None)]


def test_a_store_from_before_the_judge_column_merges(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    old = stores["refuse"]
    alter(old, "ALTER TABLE task_results DROP COLUMN judge")
    out = tmp_path / "all.db"
    merge_stores([stores["oracle-t6"], old], out)
    assert scores(out) == {**scores(stores["oracle-t6"]), **scores(old)}
    first = content(out)
    merge_stores([stores["oracle-t6"], old], out)  # and again: unchanged
    assert content(out) == first


# --------------------------------------------------------------------------- interrupts, bad input


def test_an_interrupted_merge_writes_nothing(
    stores: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multitrust.store import merge

    existing = tmp_path / "existing.db"
    merge_stores([stores["refuse"]], existing)
    before = content(existing)

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(merge._Merger, "write_scores", interrupted)
    for out in (tmp_path / "new.db", existing):
        with pytest.raises(KeyboardInterrupt):
            merge_stores([stores["oracle-t6"], stores["oracle-t4"]], out)
    assert not (tmp_path / "new.db").exists()
    assert content(existing) == before
    assert [p.name for p in tmp_path.iterdir() if ".merge-" in p.name] == []


def test_bad_inputs_are_refused_before_anything_is_written(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("not a store")
    with pytest.raises(ConfigError, match=r"^merge: no store at .*missing\.db$"):
        merge_stores([tmp_path / "missing.db"], tmp_path / "out.db")
    with pytest.raises(ConfigError, match="is a folder, not a store"):
        merge_stores([stores["refuse"], tmp_path], tmp_path / "out.db")
    with pytest.raises(ConfigError, match=r"not a multitrust store|cannot open store"):
        merge_stores([tmp_path / "notes.txt"], tmp_path / "out.db")
    with pytest.raises(ConfigError, match=r"cannot open store|not a multitrust store"):
        merge_stores([stores["refuse"]], tmp_path / "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "not a store"
    with pytest.raises(ConfigError, match="is a folder"):
        merge_stores([stores["refuse"]], tmp_path)
    assert not (tmp_path / "out.db").exists()


# --------------------------------------------------------------------------- the command


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "250"}
    env.pop("MULTITRUST_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "multitrust.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.mark.slow
def test_the_command_then_report_and_leaderboard_cover_every_model(
    stores: dict[str, Path], tmp_path: Path
) -> None:
    res = _cli("merge", *map(str, stores.values()), "-o", "all.db", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "merged 3 store(s) into all.db: 2 run(s)" in res.stdout
    res = _cli("leaderboard", "--db", "all.db", "--no-reference", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "scripted/oracle" in res.stdout and "scripted/refuse" in res.stdout
    res = _cli("report", "--db", "all.db", "-o", "r.html", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    html = (tmp_path / "r.html").read_text()
    assert "scripted/oracle" in html and "scripted/refuse" in html
    again = _cli("merge", *map(str, stores.values()), "-o", "all.db", cwd=tmp_path)
    assert again.returncode == 0 and "added nothing new" in again.stdout
    # a conflict: one line, exit 2, the output unchanged
    before = content(tmp_path / "all.db")
    alter(stores["oracle-t4"], "UPDATE runs SET profile='official'")
    res = _cli("merge", *map(str, stores.values()), "-o", "all.db", cwd=tmp_path)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert res.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: run ")
    assert content(tmp_path / "all.db") == before
    res = _cli("merge", "nope.db", "-o", "x.db", cwd=tmp_path)
    assert res.returncode == 2 and "no store at nope.db" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "x.db").exists()
