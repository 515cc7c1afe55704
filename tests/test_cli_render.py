"""What the CLI prints: data is text, never markup or terminal control (#23.7); help and
``list`` read well (#18.12)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from multitrust import evaluate
from multitrust.cli import _render, app

HOSTILE = "[/red][link=http://evil.example]click[/link][bold]\x1b]0;pwned\x07\x1b[2J\x1bc\x9b31m"
"""Rich markup that would crash (``[/red]``) or spoof (a link), an OSC title, clear-screen,
a terminal reset and a C1 CSI."""


@pytest.fixture
def out(monkeypatch: pytest.MonkeyPatch) -> Console:
    """Both consoles recorded, without colours: any ESC in the output came from data."""
    con = Console(width=300, color_system=None, record=True, force_terminal=False)
    monkeypatch.setattr(_render, "console", con)
    monkeypatch.setattr(_render, "err_console", con)
    return con


def _assert_inert(printed: str) -> None:
    assert "\x1b" not in printed and "\x07" not in printed and "\x9b" not in printed
    assert "[/red][link=http://evil.example]click[/link][bold]" in printed  # shown as typed
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\x1bc\\x9b31m" in printed  # escapes made visible


@pytest.fixture
def hostile_store(tmp_path: Path) -> Path:
    """A store whose run, task reason and error causes carry hostile text."""
    db = tmp_path / "s.db"
    evaluate("scripted/oracle", "T.6", db=db, size=2, bootstrap=0)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET model=?", (HOSTILE,))
        conn.execute("UPDATE task_results SET reason=?", (HOSTILE,))
        conn.execute(
            "UPDATE results SET error=?, error_kind='auth' WHERE rowid=(SELECT MIN(rowid) FROM results)",
            (HOSTILE,),
        )
    return db


def test_every_store_table_prints_hostile_names_as_text(out: Console, hostile_store: Path) -> None:
    for args in (["runs"], ["leaderboard"], ["leaderboard", "--no-reference"]):
        res = CliRunner().invoke(app, [*args, "--db", str(hostile_store)])
        assert res.exit_code == 0, res.output
    _assert_inert(out.export_text())


def test_the_run_report_prints_hostile_text_as_text(out: Console, tmp_path: Path) -> None:
    rep = evaluate("scripted/oracle", "T.6,F.2", db=tmp_path / "s.db", size=2, bootstrap=0)
    rep.model = HOSTILE
    rep.tasks["T.6"].reason = HOSTILE
    rep.tasks["F.2"].name = HOSTILE
    rep.counters.errors = 3
    _render.print_report(rep, [("auth", HOSTILE, 3)])
    printed = out.export_text()
    _assert_inert(printed)
    assert "retrying cannot fix this" in printed
    assert "rerun the same command" not in printed  # only retryable causes get that advice


def test_progress_lines_and_errors_are_text(
    out: Console, capsys: pytest.CaptureFixture[str]
) -> None:
    from multitrust.engine.runner import Counters

    progress = _render.RunProgress(quiet=False)
    assert progress.plain  # the recording console is not a terminal
    _render.PLAIN_EVERY_S, before = 0.0, _render.PLAIN_EVERY_S
    try:
        with progress:
            progress.bar(HOSTILE)("T.6", Counters(scored=5, errors=1, queued=12, all_queued=True))
    finally:
        _render.PLAIN_EVERY_S = before
    printed = out.export_text()
    _assert_inert(printed)
    assert "6/12 items" in printed and "eta" in printed


def test_a_usage_error_quoting_control_characters_is_escaped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from multitrust.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["eval", "-m", "scripted/oracle", "--data", "/no/such\x1b[2J"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2J" in err


def test_list_does_not_break_words_at_80_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    con = Console(width=80, color_system=None, record=True)
    monkeypatch.setattr(_render, "console", con)
    res = CliRunner().invoke(app, ["list"])
    assert res.exit_code == 0, res.output
    printed = con.export_text()
    words = set(re.findall(r"[A-Za-z][A-Za-z-]{3,}", printed))
    from multitrust.tasks import all_tasks

    for spec in all_tasks():
        for word in re.findall(r"[A-Za-z][A-Za-z-]{3,}", spec.name + " " + spec.aspect):
            assert word in words, f"{word!r} of {spec.id} is broken across lines"
    assert max(len(line) for line in printed.splitlines()) <= 80
    assert "32 tasks" in printed


def _commands(group: Any, path: str = "multitrust") -> list[tuple[str, Any]]:
    """Every command under ``group`` (typer's click objects: typer >= 0.29 bundles its own)."""
    out = [(path, group)]
    for name, sub in getattr(group, "commands", {}).items():
        out += _commands(sub, f"{path} {name}")
    return out


def test_every_option_has_help_and_no_type_metavars() -> None:
    root = typer.main.get_command(app)
    checked = 0
    for path, cmd in _commands(root):
        for param in cmd.params:
            if param.param_type_name == "option":
                checked += 1
                assert getattr(param, "help", None), f"{path} {param.opts[0]} has no help"
        res = CliRunner().invoke(app, [*path.split()[1:], "--help"])
        assert res.exit_code == 0, res.output
        found = re.findall(r"<(?:bool|str|int|float|list\[[^\]]*\])>", res.output)
        assert not found, f"{path} --help shows {found}"
    assert checked > 60  # the options were found and checked


def test_docs_cli_lists_every_option_of_every_command() -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    sections = dict(re.findall(r"^### `(multitrust [^`]+)`\n(.*?)(?=^### |\Z)", page, re.S | re.M))
    root = typer.main.get_command(app)
    for path, cmd in _commands(root):
        if getattr(cmd, "commands", None):
            continue
        assert path in sections, f"docs/cli.md has no section for {path}"
        for param in cmd.params:
            if param.param_type_name == "option" and param.name != "help":
                assert f"`{param.opts[0]}`" in sections[path], (
                    f"{path} {param.opts[0]} not in docs/cli.md"
                )
