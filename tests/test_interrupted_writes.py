"""An interrupted export or report never leaves a truncated file: the file is written beside
its target and renamed when complete; Ctrl-C says in one line what each command leaves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from multitrust import evaluate
from multitrust.cli import HINTS, RESUME_HINT, app
from multitrust.types import replace_when_done


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part-" in p.name)


def test_the_file_appears_only_when_the_block_ends(tmp_path: Path) -> None:
    out = tmp_path / "f.txt"
    with replace_when_done(out) as part:
        part.write_text("new")
        assert part.parent == tmp_path and part != out
        assert not out.exists()  # not yet
    assert out.read_text() == "new" and _leftovers(tmp_path) == []


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
def test_a_stopped_write_keeps_the_previous_file(tmp_path: Path, stop: type) -> None:
    out = tmp_path / "f.txt"
    out.write_text("old")
    with pytest.raises(stop), replace_when_done(out) as part:
        part.write_text("half")
        raise stop()
    assert out.read_text() == "old" and _leftovers(tmp_path) == []


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("s") / "s.db"
    evaluate("scripted/refuse", "T.5", db=path, size=3, bootstrap=0)
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_an_interrupted_export_leaves_the_previous_file(
    db: Path, tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pandas as pd

    from multitrust import results

    out = tmp_path / f"r.{fmt}"
    out.write_bytes(b"previous export")

    def half(df: Any, path: Any, *a: Any, **k: Any) -> None:
        Path(path).write_bytes(b"half a")
        raise KeyboardInterrupt

    monkeypatch.setattr(results, "_write_csv", half)
    monkeypatch.setattr(results, "_write_jsonl", half)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", half)
    with pytest.raises(KeyboardInterrupt):
        results.export(db, out)
    assert out.read_bytes() == b"previous export" and _leftovers(tmp_path) == []


def test_an_interrupted_report_leaves_no_page(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multitrust.report import html

    real = Path.write_text

    def half(self: Path, data: str, *a: Any, **k: Any) -> int:
        real(self, data[:100], *a, **k)
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "write_text", half)
    with pytest.raises(KeyboardInterrupt):
        html.write_report(db, tmp_path / "r.html")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
    assert html.write_report(db, tmp_path / "r.html").read_text().rstrip().endswith("</html>")


def test_ctrl_c_says_what_each_command_leaves(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multitrust import results

    def interrupted(*a: Any, **k: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(results, "export", interrupted)
    res = CliRunner().invoke(app, ["export", "--db", str(db), "-o", str(tmp_path / "x.csv")])
    assert res.exit_code == 130
    assert "interrupted: nothing was written; rerun the same command to start again" in (res.stderr)
    assert "in the store" not in res.stderr
    # a run keeps its resume hint; the file writers and the resumable data commands have theirs
    assert "eval" not in HINTS and "rescore" not in HINTS and "store" in RESUME_HINT
    for name in ("export", "report", "merge"):
        assert HINTS[name].startswith("nothing was written")
    for name in ("synth", "fetch", "fetch-images", "attack"):
        assert "kept" in HINTS[name] and "go on" in HINTS[name]
