"""The report says which backend scored S.1/S.3 and whether that is comparable with the paper."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from typer.testing import CliRunner

from multitrust import evaluate
from multitrust.cli import app


def test_report_names_the_toxicity_backend_and_flags_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("profanity_check")
    from tests.fixtures.official import build_official_fixture

    for k in ("OPENAI_API_KEY", "PERSPECTIVE_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    root = build_official_fixture(tmp_path / "data", aspects=("safety",))
    db = tmp_path / "s.db"
    rep = evaluate(
        "scripted/refuse", "S.1", data=str(root), db=db, bootstrap=0, toxicity="profanity"
    )
    assert rep.tasks["S.1"].status == "ok"
    out = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["report", "--db", str(db), "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = html.unescape(out.read_text())
    assert "toxicity[profanity]+rta" in page  # the scorer column names the backend
    assert "--toxicity profanity" in page and "profanity filter" in page
    assert "not comparable with the paper, which used Perspective and OpenAI Moderation" in page
