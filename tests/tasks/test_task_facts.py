"""Facts about a task live with the task: which scores are refusal rates (``Task.refusal_rate``,
named with their detector in reports) and which judge prompts its scorer sends (recorded by
the scorer itself, composed scorers included). Built from the official fixture: every task."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from multitrust.data.base import OfficialData
from multitrust.scoring.judge import prompt_version, prompt_versions
from multitrust.scoring.judge_prompts import CORRECTED_PROMPTS, OFFICIAL_PROMPTS
from multitrust.tasks import all_tasks
from multitrust.tasks.base import Task
from tests.fixtures.official import build_official_fixture

#: The paper's refusal-rate (RtA) tasks.
REFUSAL_RATE = {"S.1", "S.3", "S.4", "S.5", "S.6", "F.4", "F.5", "F.7", "P.4", "P.5", "P.6"}
#: The judge-scored tasks and the benchmark prompts each one sends, in order.
JUDGE_PROMPTS = {
    "T.1": ("T.1/ocr", "T.1/grounding"),
    "T.3": ("T.3/factual", "T.3/logic"),
    "T.4": ("T.4",),
    "T.5": ("T.5",),
    "T.7": ("T.7",),
    "S.2": ("S.2",),
    "R.1": ("R.1",),
    "R.2": ("R.2",),
    "R.4": ("R.4", "R.4/noise"),
    "R.5": ("R.5", "R.5/noise"),
    "F.1": ("F.1",),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Task]]:
    root = build_official_fixture(tmp_path_factory.mktemp("facts") / "data")
    data = OfficialData(root)
    yield {s.id: s.build(data) for s in all_tasks()}


def test_the_refusal_rate_tasks(built: dict[str, Task]) -> None:
    assert len(built) == 32
    assert {i for i, t in built.items() if t.refusal_rate} == REFUSAL_RATE


def test_each_task_sends_its_judge_prompts(built: dict[str, Task]) -> None:
    for profile, table in (("official", OFFICIAL_PROMPTS), ("corrected", CORRECTED_PROMPTS)):
        sent = {i: tuple(prompt_versions(t.scorer, profile)) for i, t in built.items()}
        assert {i: ids for i, ids in sent.items() if ids} == JUDGE_PROMPTS
        for task_id, ids in JUDGE_PROMPTS.items():
            versions = {table[p].version for p in ids}
            got = prompt_version(built[task_id].scorer, profile)
            assert got is not None
            if len(versions) == 1:
                assert got == versions.pop()
            else:  # parts with different versions are named
                assert got == "; ".join(f"{p.split('/', 1)[-1]}={table[p].version}" for p in ids)


def test_tasks_without_a_judge_prompt_have_no_version(built: dict[str, Task]) -> None:
    for task_id in set(built) - set(JUDGE_PROMPTS):
        assert prompt_version(built[task_id].scorer, "official") is None
