"""``multitrust list`` shows all 32 tasks with their synth coverage (and why not, when not)."""

from __future__ import annotations

import pytest
from rich.console import Console
from typer.testing import CliRunner

from multitrust import cli
from multitrust.tasks import all_tasks
from tests.synth._synth import PAPER_TASKS


@pytest.fixture
def listing(monkeypatch: pytest.MonkeyPatch) -> str:
    # wide enough that no cell folds, so each task is one line we can read
    monkeypatch.setattr(cli._render, "console", Console(width=1000, color_system=None))
    res = CliRunner().invoke(cli.app, ["list"])
    assert res.exit_code == 0, res.output
    return res.output


def _row(listing: str, task_id: str) -> str:
    rows = [line for line in listing.splitlines() if f" {task_id} " in line]
    assert len(rows) == 1, f"{task_id}: {len(rows)} rows in\n{listing}"
    return rows[0]


def test_registry_holds_the_paper_tasks() -> None:
    ids = [s.id for s in all_tasks()]
    assert len(ids) == PAPER_TASKS, f"{len(ids)} tasks registered: {ids}"
    for letter, count in zip("TSRFP", (7, 6, 6, 7, 6), strict=True):
        assert [i for i in ids if i[0] == letter] == [f"{letter}.{k}" for k in range(1, count + 1)]


def test_list_shows_32_tasks(listing: str) -> None:
    assert f"{PAPER_TASKS} tasks" in listing


def test_list_shows_synth_coverage_of_each_task(listing: str) -> None:
    for spec in all_tasks():
        row = _row(listing, spec.id)
        assert spec.name in row
        if "synth" in spec.sources:
            assert "official data only" not in row, row
            assert "│ yes" in row, row
        else:
            # an official-only task must say why synth cannot stand in
            assert spec.synth_note, f"{spec.id} is official-only without a reason"
            assert "official data only" in row, row
            assert spec.synth_note.split(":")[-1].strip()[:40] in row, row


def test_list_filter_by_aspect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli._render, "console", Console(width=1000, color_system=None))
    res = CliRunner().invoke(cli.app, ["list", "--tasks", "privacy"])
    assert res.exit_code == 0, res.output
    assert "6 tasks" in res.output
    assert " P.3 " in res.output and " T.1 " not in res.output


def test_reason_is_not_prefixed_twice(listing: str) -> None:
    assert "official data only: official data only" not in listing
