"""All 32 tasks on a fixture in the exact official layout, end to end, through the CLI too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from multitrust import evaluate
from multitrust.cli import app
from multitrust.tasks import all_tasks
from tests.fixtures.official import build_official_fixture

pytestmark = pytest.mark.slow  # all 32 tasks end to end on the official fixture

REFUSAL_TASKS = ("F.4", "F.5", "F.7", "P.4", "P.5", "P.6")


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_official_fixture(tmp_path_factory.mktemp("official") / "data")


def test_verify_reports_every_task_ok(fixture_root: Path) -> None:
    res = CliRunner().invoke(app, ["data", "verify", str(fixture_root)])
    assert res.exit_code == 0, res.output
    for spec in all_tasks():
        if "official" in spec.sources:
            assert spec.id in res.output
    assert "malformed" not in res.output and "missing" not in res.output


def test_verify_reports_a_corrupted_file_with_file_and_line(tmp_path: Path) -> None:
    root = build_official_fixture(tmp_path / "data")
    query = root / "truthfulness" / "query_misleading" / "query_d_confusion.json"
    text = query.read_text().splitlines()
    text[1] = text[1][: len(text[1]) // 2] + "{,"  # break the JSON on line 2
    query.write_text("\n".join(text))
    res = CliRunner().invoke(app, ["data", "verify", str(root), "--tasks", "T.6"])
    assert res.exit_code == 1
    assert "malformed" in res.output
    flat = " ".join(res.output.split())
    assert "query_d_confusion.json:2: invalid JSON" in flat


def test_verify_reports_a_missing_image(tmp_path: Path) -> None:
    root = build_official_fixture(tmp_path / "data")
    rows = json.loads(
        (root / "truthfulness" / "query_misleading" / "query_d_confusion.json").read_text()
    )
    first = rows[0]["image"] if isinstance(rows, list) else None
    assert first, "fixture layout changed"
    img = next((root / "truthfulness" / "misleading_images").rglob(Path(first).name))
    img.unlink()
    res = CliRunner().invoke(app, ["data", "verify", str(root), "--tasks", "T.6"])
    assert res.exit_code == 1 and "missing" in res.output


def test_oracle_runs_all_32_tasks_with_a_scripted_judge(
    fixture_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no toxicity keys: S.1 and S.3 are skipped, whatever the machine's environment holds
    for key in ("PERSPECTIVE_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    rep = evaluate(
        "scripted/oracle",
        None,
        data=str(fixture_root),
        db=tmp_path / "s.db",
        judge="scripted/judge-yes",
        resources={"harmbench": None},
        bootstrap=20,
    )
    assert len(rep.tasks) == 32
    ran = {k for k, v in rep.tasks.items() if v.status == "ok"}
    skipped = {k: v.reason for k, v in rep.tasks.items() if v.status != "ok"}
    # only the toxicity tasks are skipped (no API key, and auto's local model is not on this machine)
    assert set(skipped) == {"S.1", "S.3"}, skipped
    assert len(ran) >= 30
    assert all(rep.tasks[t].score is not None for t in ran)
    assert rep.counters.errors == 0
    scores = {t: oc.score for t, oc in rep.tasks.items()}
    # the oracle answers every labelled item right; the jailbreak tasks (S.4-S.6) count its
    # compliance and F.1 its agreement with the stereotype; P.3's score is a correlation
    assert {t for t, v in scores.items() if v == 0.0} == {"S.4", "S.5", "S.6", "F.1"}
    assert scores["P.3"] == pytest.approx(99.70544855015815, abs=1e-9)
    full = {t for t, v in scores.items() if v is not None} - {"S.4", "S.5", "S.6", "F.1", "P.3"}
    assert all(scores[t] == 100.0 for t in full)
    subs = {code: sub.score for code, sub in rep.sub_aspects.items()}
    pa = 0.4 * 100 + 0.3 * 100 + 0.3 * scores["P.3"]  # type: ignore[operator]
    assert subs == pytest.approx(
        {
            "T.I": 100.0,
            "T.M": 100.0,
            "S.T": 100.0,  # S.2 only: S.1 and S.3 need toxicity keys
            "S.J": 0.0,
            "R.O": 100.0,
            "R.A": 100.0,
            "F.S": 75.0,
            "F.B": 100.0,
            "P.A": pa,
            "P.L": 100.0,
        }
    )
    assert rep.sub_aspects["S.T"].missing == ["S.1", "S.3"]
    assert rep.overall == pytest.approx((100 * 7 + 0.0 + 75.0 + pa) / 10)
    assert rep.overall_partial


def test_all_32_with_profanity_toxicity(
    fixture_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rep = evaluate(
        "scripted/refuse",
        None,
        data=str(fixture_root),
        db=tmp_path / "s.db",
        judge="scripted/judge-no",
        bootstrap=0,
        toxicity="profanity",
    )
    bad = {k: v.reason for k, v in rep.tasks.items() if v.status != "ok"}
    # R.2's judge must give a 0-100 rating: an always-"No" judge is unparseable there, and an
    # unparseable judge answer is never turned into a number
    assert set(bad) == {"R.2"} and "undefined" in (bad["R.2"] or ""), bad
    assert rep.tasks["S.1"].deviation and "profanity" in rep.tasks["S.1"].deviation


def test_refuse_gets_full_rta_on_refusal_tasks(fixture_root: Path, tmp_path: Path) -> None:
    rep = evaluate(
        "scripted/refuse",
        ",".join(REFUSAL_TASKS),
        data=str(fixture_root),
        db=tmp_path / "s.db",
        bootstrap=0,
    )
    for t in REFUSAL_TASKS:
        oc = rep.tasks[t]
        assert oc.status == "ok", (t, oc.reason)
        assert oc.score == pytest.approx(100.0), (t, oc.score, oc.metrics)


def test_cli_eval_prints_task_sub_aspect_and_overall(fixture_root: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "eval",
            "--model",
            "scripted/oracle",
            "--data",
            str(fixture_root),
            "--judge",
            "scripted/judge-yes",
            "--tasks",
            "T.6,F.2,P.6,R.3",
            "--db",
            str(tmp_path / "s.db"),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    for token in ("T.6", "F.2", "P.6", "R.3", "Sub-aspects", "overall"):
        assert token in res.output


def test_fetch_images_keeps_present_files(fixture_root: Path) -> None:
    res = CliRunner().invoke(app, ["data", "fetch-images", str(fixture_root)])
    assert res.exit_code == 0, res.output
    assert "fetched 0" in res.output and "failed 0" in res.output


def test_fetch_without_a_token_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multitrust.errors import ConfigError

    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no cached login either
    res = CliRunner().invoke(app, ["data", "fetch", "--dest", str(tmp_path / "data")])
    assert isinstance(res.exception, ConfigError)
    assert "HF_TOKEN" in str(res.exception) and "gated" in str(res.exception)
