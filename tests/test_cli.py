"""The command line, as a user runs it (subprocess for exit codes, CliRunner for output)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from multitrust.cli import app

pytestmark = pytest.mark.slow  # the CLI in real processes, end to end


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "multitrust.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def test_foundation_slice_prints_three_scores_and_oracle_gets_100(tmp_path: Path) -> None:
    res = run_cli(
        "eval",
        "--model",
        "scripted/oracle",
        "--tasks",
        "T.6,P.6,F.2",
        "--data",
        "synth",
        cwd=tmp_path,
    )
    assert res.returncode == 0, res.stderr
    lines = {
        line.split("│")[1].strip(): line for line in res.stdout.splitlines() if line.count("│") > 4
    }
    assert {"T.6", "P.6", "F.2"} <= set(lines)
    assert "100.0" in lines["T.6"]
    assert (tmp_path / "multitrust.db").exists()  # the documented default store location


def test_rerun_makes_zero_requests(tmp_path: Path) -> None:
    args = (
        "eval",
        "--model",
        "scripted/refuse",
        "--tasks",
        "T.6,F.2",
        "--size",
        "5",
        "--db",
        "s.db",
    )
    assert run_cli(*args, cwd=tmp_path).returncode == 0
    again = run_cli(*args, cwd=tmp_path)
    assert again.returncode == 0
    assert "requests 0 " in again.stdout and "resumed 30" in again.stdout


def test_bad_model_name_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for model in ("gpt4o", "nosuchprovider/x", "scripted/nosuchpolicy"):
        res = run_cli("eval", "--model", model, "--tasks", "T.6", cwd=tmp_path)
        assert res.returncode == 2, (model, res.stderr)
        assert len(res.stderr.strip().splitlines()) == 1 and res.stderr.startswith("error:"), (
            res.stderr
        )
        assert "Traceback" not in res.stderr


def test_unknown_task_and_missing_data_dir(tmp_path: Path) -> None:
    res = run_cli("eval", "--model", "scripted/yes", "--tasks", "X.9", cwd=tmp_path)
    assert res.returncode == 2 and "unknown task 'X.9'" in res.stderr
    res = run_cli(
        "eval", "--model", "scripted/yes", "--tasks", "T.6", "--data", "no/such/dir", cwd=tmp_path
    )
    assert res.returncode == 2 and "no/such/dir" in res.stderr


def test_harm_classifier_flag_measures_attack_success(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    base = [
        "eval",
        "--model",
        "scripted/comply",
        "--tasks",
        "S.4",
        "--size",
        "4",
        "--db",
        db,
        "--quiet",
    ]
    without = CliRunner().invoke(app, base)
    judged = CliRunner().invoke(app, [*base, "--harm-classifier", "scripted/judge-yes"])
    assert without.exit_code == 0 and judged.exit_code == 0, judged.output
    runs = CliRunner().invoke(app, ["runs", "--db", db])
    assert runs.output.count("scripted/comply") == 2  # another classifier is another run
    from multitrust.results import task_summaries

    s4 = task_summaries(db).set_index("run_id")
    by_asr = {
        json.loads(m).get("asr_measured"): row
        for m, row in zip(s4["metrics"], s4.itertuples(), strict=True)
    }
    # without a classifier: RtA alone, flagged; with one that always says "jailbroken": ASR 1
    assert "ASR not measured" in (by_asr[0.0].deviation or "")
    assert "ASR not measured" not in (by_asr[1.0].deviation or "")
    assert json.loads(s4.loc[by_asr[1.0].Index, "metrics"])["asr"] == 1.0


def test_report_and_export_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "s.db")
    assert (
        CliRunner()
        .invoke(
            app,
            ["eval", "--model", "scripted/yes", "--tasks", "F.2", "--size", "3", "--db", db, "-q"],
        )
        .exit_code
        == 0
    )
    rep = CliRunner().invoke(app, ["report", "--db", db, "-o", str(tmp_path / "r.html")])
    assert rep.exit_code == 0 and (tmp_path / "r.html").stat().st_size > 100_000
    exp = CliRunner().invoke(app, ["export", "--db", db, "-o", str(tmp_path / "r.csv")])
    assert exp.exit_code == 0
    assert len((tmp_path / "r.csv").read_text().splitlines()) > 15  # header + 3 x 5 variants
