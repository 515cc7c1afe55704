"""The HTML report in a real headless Chromium, the leaderboard, load_results and export."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from multitrust import evaluate, load_results
from multitrust.cli import app
from multitrust.models.base import Model
from multitrust.report.html import write_report
from multitrust.results import export, task_summaries
from multitrust.types import GenerateConfig, Generation, Message, Sample

pytestmark = pytest.mark.slow  # builds a multi-model store with full runs

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PAYLOADS = (
    '<script>console.log("XSS-EXECUTED-1"); document.title = "pwned"</script>',
    "<img src=x onerror=\"console.log('XSS-EXECUTED-2')\">",
    '"><svg onload=console.log("XSS-EXECUTED-3")>',
    "</script><script>console.log('XSS-EXECUTED-4')</script>",
)


class XSSModel(Model):
    provider = "test"

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        n = int(messages[-1].text.split("Is ")[1].split(" ")[0])
        return Generation(PAYLOADS[n % len(PAYLOADS)])


def chromium() -> str:
    path = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    if path is None:
        pytest.fail("headless Chromium is required for the report tests (apt-get install chromium)")
    return path


def run_chromium(page: Path, *args: str, tmp: Path) -> tuple[str, list[str]]:
    cmd = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        f"--user-data-dir={tmp / 'chrome-profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=10000",
        *args,
        page.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


@pytest.fixture(scope="module")
def report_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from multitrust.tasks import base as tb
    from tests.engine.conftest import toy_spec

    tb._REGISTRY["T.90"] = toy_spec()
    db = tmp_path_factory.mktemp("report") / "r.db"
    synth_tasks = [t for t in ("T.6", "P.6", "F.2") if t in {s.id for s in tb._REGISTRY.values()}]
    for m in ("scripted/oracle", "scripted/refuse", "scripted/comply"):
        evaluate(m, ["T.90", *synth_tasks], db=db, size=8, bootstrap=50)
    evaluate(XSSModel("xss"), "T.90", db=db, size=8, bootstrap=50)
    yield db
    tb._REGISTRY.pop("T.90", None)


@pytest.mark.browser
def test_report_renders_in_chromium_without_console_errors(report_db: Path, tmp_path: Path) -> None:
    out = write_report(report_db, tmp_path / "report.html")
    html = out.read_text()
    # self-contained: no external scripts, styles or images
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?://", html)
    dom, console = run_chromium(out, "--dump-dom", tmp=tmp_path)
    assert console == [], console
    # charts rendered (plotly draws SVG), tables and the gallery are present
    assert dom.count('class="main-svg"') >= 2
    assert 'id="chart-bars"' in dom and 'id="chart-radar0"' in dom
    assert "Per-task results" in dom and "Failure gallery" in dom
    assert dom.count('class="example"') >= 4
    assert "data:image/jpeg;base64," in dom  # thumbnails of the failing samples' images
    assert "GPT-4-Turbo" in dom  # published reference rows
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report.png"
    run_chromium(out, f"--screenshot={shot}", "--window-size=1400,2600", tmp=tmp_path)
    assert shot.exists() and shot.stat().st_size > 20_000


@pytest.mark.browser
def test_xss_payloads_in_model_output_render_as_text(report_db: Path, tmp_path: Path) -> None:
    out = write_report(report_db, tmp_path / "report.html")
    dom, console = run_chromium(out, "--dump-dom", tmp=tmp_path)
    assert not [c for c in console if "XSS-EXECUTED" in c], console
    assert "<title>multitrust report</title>" in dom  # document.title was not changed
    # the payloads are shown literally, escaped, in the gallery
    assert '&lt;script&gt;console.log("XSS-EXECUTED-1")' in dom
    assert "&lt;img src=x onerror=" in dom
    # and no element carrying the injected handlers exists
    # text nodes serialise "<" as "&lt;", so a raw tag here would be a real injected element
    assert not re.search(r"<img[^>]*onerror", dom)
    assert not re.search(r"<svg[^>]*onload", dom)
    assert dom.count("<script") == 3  # plotly bundle, chart data, our glue: nothing injected


def test_load_results_has_one_row_per_scored_sample_variant(report_db: Path) -> None:
    df = load_results(report_db)
    toy = df[(df["task_id"] == "T.90") & (df["model"] == "scripted/oracle")]
    assert len(toy) == 16  # 8 samples x (text, unrelated-color)
    assert not toy.duplicated(["sample_id", "variant"]).any()
    assert set(toy["variant"]) == {"text", "unrelated-color"}
    assert toy["value_correct"].eq(1.0).all()
    assert {"prompt", "output", "meta_kind", "scorer", "aspect", "sub_aspect", "task_name"} <= set(
        df.columns
    )
    summ = task_summaries(report_db)
    assert {"scripted/oracle", "scripted/refuse", "scripted/comply", "test/xss"} <= set(
        summ["model"]
    )


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_formats(report_db: Path, tmp_path: Path, fmt: str) -> None:
    import pandas as pd

    path = export(report_db, tmp_path / f"out.{fmt}")
    readers: dict[str, Any] = {
        "csv": pd.read_csv,
        "jsonl": lambda p: pd.read_json(p, lines=True),
        "parquet": pd.read_parquet,
    }
    df = readers[fmt](path)
    assert len(df) == len(load_results(report_db, include_errors=True))


def test_leaderboard_cli_shows_runs_and_reference_rows(report_db: Path) -> None:
    res = CliRunner().invoke(app, ["leaderboard", "--db", str(report_db)])
    assert res.exit_code == 0, res.output
    assert "published" in res.output and "GPT-4-Turbo" in res.output
    assert "scripted/oracle" in res.output
    assert "calibration" in res.output  # scripted baselines are marked as calibration rows
