"""The scripted baselines on the whole synth suite: oracle is perfect, refuse / comply bracket RtA.

``scripted/oracle`` answers each sample's ideal response, so every task scored by rules must come
out at exactly 100: anything less is a generator whose ground truth disagrees with its scorer.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.api import RunReport
from multitrust.store import Store
from tests.synth._synth import synth_ids

pytestmark = pytest.mark.slow  # the scripted baselines over the whole synth suite

SYNTH_IDS = synth_ids()
#: Tasks whose score is the refusal rate (RtA): the paper's jailbreak, stereotype-query,
#: preference and PII-query tasks.
REFUSAL_SCORED = ("S.4", "S.5", "S.6", "F.4", "F.5", "F.7", "P.4", "P.5", "P.6")


def _run(model: str, db: Path, size: int) -> RunReport:
    return evaluate(model, SYNTH_IDS, data="synth", db=db, size=size, seed=0, bootstrap=0)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    return _run("scripted/oracle", tmp_path_factory.mktemp("oracle") / "s.db", 5)


@pytest.fixture(scope="module")
def refuse(tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    return _run("scripted/refuse", tmp_path_factory.mktemp("refuse") / "s.db", 2)


@pytest.fixture(scope="module")
def comply(tmp_path_factory: pytest.TempPathFactory) -> RunReport:
    return _run("scripted/comply", tmp_path_factory.mktemp("comply") / "s.db", 2)


def _offending(rep: RunReport, task_id: str, limit: int = 6) -> str:
    """The samples whose values differ from the task's most common outcome, for the failure message."""
    store = Store(rep.db)
    try:
        rows = list(store.iter_results(rep.run_id, task_id))
    finally:
        store.close()
    key = lambda r: json.dumps(r.values, sort_keys=True)  # noqa: E731
    usual = Counter(key(r) for r in rows if r.error is None).most_common(1)
    odd = [r for r in rows if r.error is not None or (usual and key(r) != usual[0][0])]
    # every sample alike (e.g. all wrong): show the first few instead
    odd = odd or rows
    lines = [
        f"  {r.sample_id}@{r.variant}: values={r.values} label={r.label} error={r.error} "
        f"output={(r.output or '')[:120]!r} target={json.dumps(r.target)[:120]}"
        for r in odd[:limit]
    ]
    return "\n".join(lines) or "  (no scored rows)"


@pytest.mark.parametrize("task_id", SYNTH_IDS)
def test_oracle_scores_100_on_rule_scored_tasks(oracle: RunReport, task_id: str) -> None:
    out = oracle.tasks[task_id]
    if out.status == "skipped":
        # without a judge, judge-scored tasks are skipped, never guessed
        assert out.reason and "judge" in out.reason, f"{task_id} skipped: {out.reason}"
        return
    assert out.status == "ok", f"{task_id} {out.status}: {out.reason}"
    assert out.n_errors == 0, f"{task_id}: {out.n_errors} errors ({out.reason})"
    assert out.n > 0
    assert out.score == 100.0, (
        f"{task_id} oracle scored {out.score}:\n{_offending(oracle, task_id)}"
    )


def test_most_synth_tasks_are_rule_scored(oracle: RunReport) -> None:
    ok = [t for t in SYNTH_IDS if oracle.tasks[t].status == "ok"]
    # the synth suite must run offline without a judge for most of what it covers
    assert len(ok) >= len(SYNTH_IDS) // 2, {t: oracle.tasks[t].reason for t in SYNTH_IDS}


def test_oracle_run_reports_every_requested_task(oracle: RunReport) -> None:
    assert sorted(oracle.tasks) == sorted(SYNTH_IDS)
    assert oracle.counters.errors == 0


@pytest.mark.parametrize("task_id", REFUSAL_SCORED)
def test_refuse_gives_full_rta(refuse: RunReport, task_id: str) -> None:
    if task_id not in SYNTH_IDS:
        pytest.skip(f"{task_id} has no synth data (yet)")
    out = refuse.tasks[task_id]
    assert out.status == "ok", out.reason
    assert out.metrics["refusal"] == 1.0
    assert out.score == 100.0


@pytest.mark.parametrize("task_id", REFUSAL_SCORED)
def test_comply_gives_zero_rta(comply: RunReport, task_id: str) -> None:
    if task_id not in SYNTH_IDS:
        pytest.skip(f"{task_id} has no synth data (yet)")
    out = comply.tasks[task_id]
    assert out.status == "ok", out.reason
    assert out.metrics["refusal"] == 0.0
    assert out.score == 0.0


def test_refusing_is_not_a_free_pass_on_accuracy_tasks(refuse: RunReport) -> None:
    """Refusals score low where the task asks for a correct answer (truthfulness, robustness)."""
    accuracy = [t for t in SYNTH_IDS if t[0] in "TR" and refuse.tasks[t].status == "ok"]
    assert accuracy
    scores = {t: refuse.tasks[t].score for t in accuracy}
    assert all(s is not None and s < 50.0 for s in scores.values()), scores


YES_NO_TASKS = ("T.2", "T.6", "P.1", "P.2")


@pytest.mark.parametrize("model", ["scripted/yes", "scripted/no"])
def test_constant_answers_do_not_ace_yes_no_tasks(tmp_path: Path, model: str) -> None:
    """Synth yes/no questions are not all answered the same way: a constant answer cannot score 100."""
    tasks = [t for t in YES_NO_TASKS if t in SYNTH_IDS]
    rep = evaluate(model, tasks, data="synth", db=tmp_path / "s.db", size=12, bootstrap=0)
    for t in tasks:
        out = rep.tasks[t]
        assert out.status == "ok", out.reason
        assert out.score is not None and out.score < 100.0, f"{t}: {model} scored {out.score}"
