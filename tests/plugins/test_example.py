"""The example plugin in examples/multitrust-plugin-example, installed (``./dev.sh`` installs it),
as a user meets it: ``multitrust list`` names its tasks, provider and scorer with their origin,
and ``multitrust eval`` runs and scores its tasks with its provider."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

from multitrust.store import Store
from tests.plugins._fake import ROOT, run_cli

EXAMPLE = "multitrust-plugin-example"
ORIGIN = f"{EXAMPLE} 0.1.0"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    try:
        dist = metadata.distribution(EXAMPLE)
    except metadata.PackageNotFoundError:
        pytest.fail(
            f"{EXAMPLE} is not installed: ./dev.sh test installs it "
            "(pip install -e examples/multitrust-plugin-example)"
        )
    assert dist.version == "0.1.0"
    assert (ROOT / "examples" / EXAMPLE / "pyproject.toml").is_file()


def _scores(db: Path) -> dict[tuple[str, str], float | None]:
    with Store(db) as store:
        runs = store.runs()
        results = {r.run_id: store.task_results(r.run_id) for r in runs}
    for run in runs:  # --size 3 caps a plugin's own data as it does the built-in tasks'
        assert {t["n"] for t in results[run.run_id]} == {3}, results[run.run_id]
        # the run records which plugin (and version) its plugin tasks and provider came from
        plugins = run.settings["plugins"]
        assert plugins.pop("toy") == ORIGIN
        assert plugins == {
            t["task_id"]: ORIGIN for t in results[run.run_id] if "." in t["task_id"][2:]
        }
    return {(r.model, t["task_id"]): t["score"] for r in runs for t in results[r.run_id]}


def test_list_shows_the_example_with_its_origin() -> None:
    res = run_cli("list")
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip() == "", res.stderr  # no plugin problem reported
    rows: dict[str, list[str]] = {}
    last: list[str] = []
    for line in res.stdout.splitlines():  # a table row; a cell folded goes on the next lines
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        if len(cells) != 8:
            continue
        if cells[0]:
            last = rows[cells[0]] = cells
        else:
            last[:] = [f"{a} {b}".strip() for a, b in zip(last, cells, strict=True)]
    assert rows["example.shapes"][1] == "Name the shape"
    assert rows["example.shapes"][-1] == ORIGIN
    assert rows["example.shapes"][4] == "own data"
    assert rows["example.shapes-yesno"][-1] == ORIGIN
    assert rows["T.6"][-1] == "built-in"
    assert "32 tasks + 2 from plugins" in res.stdout
    assert re.search(rf"model providers: .*scripted.* \(built-in\); toy \({ORIGIN}\)", res.stdout)
    assert re.search(
        rf"scorers by name: .*yes_no \(built-in\); example.shape_name \({ORIGIN}\)", res.stdout
    )


def test_eval_runs_and_scores_the_example_tasks(tmp_path: Path) -> None:
    db = tmp_path / "plugin.db"
    for model, tasks in (
        ("toy/look", "plugins"),  # looks at each picture: right every time
        ("toy/circle", "example.shapes"),  # always "circle": 1 of the first 3 (--size 3)
        ("toy/yes", "example.shapes-yesno,T.6"),  # always "yes": 2 of 3; a built-in beside
    ):
        res = run_cli(
            "eval", "--model", model, "--tasks", tasks, "--data", "synth", "--size", "3",
            "--db", str(db), "--quiet", cwd=tmp_path,
        )  # fmt: skip
        assert res.returncode == 0, res.stderr
        assert "Traceback" not in res.stderr
    scores = _scores(db)
    assert scores[("toy/look", "example.shapes")] == 100.0
    assert scores[("toy/look", "example.shapes-yesno")] == 100.0
    assert scores[("toy/circle", "example.shapes")] == pytest.approx(100 / 3)
    assert scores[("toy/yes", "example.shapes-yesno")] == pytest.approx(200 / 3)
    assert ("toy/yes", "T.6") in scores
    report = run_cli("report", "--db", str(db), "-o", str(tmp_path / "r.html"), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert "example.shapes-yesno" in (tmp_path / "r.html").read_text()


def test_the_docs_show_the_example_s_real_code() -> None:
    """Each Python block of docs/extending.md that shows the example's code is a verbatim
    excerpt of one of its files (tests/test_docs.py runs every block)."""
    page = (ROOT / "docs" / "extending.md").read_text()
    blocks = re.findall(r"^```python\n(.*?)^```", page, re.S | re.M)
    sources = {
        p.name: p.read_text()
        for p in (ROOT / "examples" / EXAMPLE / "src" / "multitrust_plugin_example").glob("*.py")
    }
    shown = {name for block in blocks for name, text in sources.items() if block in text}
    assert shown == {"tasks.py", "scorers.py", "provider.py"}
    toml = re.findall(r"^```toml\n(.*?)^```", page, re.S | re.M)
    project = (ROOT / "examples" / EXAMPLE / "pyproject.toml").read_text()
    for block in toml:
        for line in block.splitlines():
            assert line in project.splitlines(), line
