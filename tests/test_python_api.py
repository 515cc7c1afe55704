"""The Python API as a notebook user meets it: unknown options raise, a running event loop is
fine, several models go through ``evaluate_many``."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

import multitrust
from multitrust import evaluate
from multitrust.api import RunReport


@pytest.mark.parametrize(
    ("option", "near"),
    [("sise", "size"), ("timeout", "timeout_s"), ("max_conections", "max_connections")],
)
def test_unknown_options_raise_naming_the_option(tmp_path: Path, option: str, near: str) -> None:
    db = tmp_path / "s.db"
    with pytest.raises(
        TypeError, match=rf"unexpected keyword argument '{option}' \(did you mean '{near}'\?\)"
    ):
        evaluate("scripted/oracle", "T.6", db=db, **{option: 5})  # type: ignore[arg-type]
    assert not db.exists()  # refused before anything was opened
    with pytest.raises(TypeError, match=r"'zzzz'$"):
        evaluate("scripted/oracle", "T.6", db=db, zzzz=1)  # type: ignore[call-arg]


def test_evaluate_works_inside_a_running_event_loop(tmp_path: Path) -> None:
    """As in Jupyter: a loop is running in this thread when evaluate() is called."""
    loop_thread: list[str] = []

    async def cell() -> RunReport:
        loop_thread.append(threading.current_thread().name)
        return evaluate("scripted/oracle", "T.6", db=tmp_path / "s.db", size=3, bootstrap=0)

    rep = asyncio.run(cell())
    assert rep.tasks["T.6"].status == "ok" and rep.tasks["T.6"].score is not None
    # the same call without a loop resumes the same run: nothing is asked again
    again = evaluate("scripted/oracle", "T.6", db=tmp_path / "s.db", size=3, bootstrap=0)
    assert again.run_id == rep.run_id and again.counters.requests == 0
    assert again.scores() == rep.scores()


def test_a_list_of_models_is_a_clear_error_pointing_to_evaluate_many(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"takes one model.*evaluate_many"):
        evaluate(["scripted/oracle", "scripted/yes"], "T.6", db=tmp_path / "s.db")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not int"):
        evaluate(3, "T.6", db=tmp_path / "s.db")  # type: ignore[arg-type]


def test_evaluate_many_runs_each_model_also_inside_a_loop(tmp_path: Path) -> None:
    async def cell() -> list[multitrust.many.ModelOutcome]:
        return multitrust.evaluate_many(
            ["scripted/oracle", "scripted/yes"], "T.6", db=tmp_path / "s.db", size=3, bootstrap=0
        )

    outs = asyncio.run(cell())
    assert [o.spec for o in outs] == ["scripted/oracle", "scripted/yes"]
    for o in outs:
        assert o.error is None and o.report is not None
        assert o.report.tasks["T.6"].status == "ok"
    with pytest.raises(
        TypeError, match="evaluate_many\\(\\) got an unexpected keyword argument 'sise'"
    ):
        multitrust.evaluate_many(["scripted/oracle"], "T.6", db=tmp_path / "s.db", sise=3)
