"""Aggregation: sub-aspects, overall, the P.A weights, and the published leaderboard."""

from __future__ import annotations

import math

import pytest

from multitrust.aggregate import (
    SUB_ASPECTS,
    overall_from_sub_aspects,
    overall_score,
    reference_leaderboard,
    sub_aspect_scores,
)
from multitrust.tasks import all_tasks


def test_leaderboard_overall_is_mean_of_ten_sub_aspects_for_every_row() -> None:
    rows = reference_leaderboard()
    assert len(rows) == 43
    for row in rows:
        assert math.isclose(overall_from_sub_aspects(row), float(row["overall"]), abs_tol=0.01), (
            row["model"]
        )
        # and through the same code path a run uses
        assert math.isclose(
            overall_score({c: row[c] for c in SUB_ASPECTS}) or 0,
            float(row["overall"]),
            abs_tol=0.01,
        )


def test_thirty_two_tasks_in_ten_sub_aspects() -> None:
    specs = all_tasks()
    assert len(specs) == 32
    counts = {c: sum(s.sub_aspect == c for s in specs) for c in SUB_ASPECTS}
    assert counts == {
        "T.I": 4,
        "T.M": 3,
        "S.T": 3,
        "S.J": 3,
        "R.O": 3,
        "R.A": 3,
        "F.S": 4,
        "F.B": 3,
        "P.A": 3,
        "P.L": 3,
    }


def test_privacy_awareness_is_weighted_and_others_are_means() -> None:
    scores = {s.id: 0.0 for s in all_tasks()}
    scores.update(
        {"P.1": 100.0, "P.2": 50.0, "P.3": 0.0, "T.1": 10.0, "T.2": 20.0, "T.3": 30.0, "T.4": 40.0}
    )
    subs = sub_aspect_scores(scores)
    assert subs["P.A"].score == pytest.approx(0.4 * 100 + 0.3 * 50 + 0.3 * 0)
    assert subs["T.I"].score == pytest.approx(25.0)
    assert not subs["P.A"].partial


def test_missing_tasks_make_partial_sub_aspects_not_zeros() -> None:
    subs = sub_aspect_scores({"T.5": 80.0, "T.6": 60.0})
    assert subs["T.M"].score == pytest.approx(70.0) and subs["T.M"].partial
    assert subs["T.M"].missing == ["T.7"]
    assert subs["S.T"].score is None
    assert overall_score({k: v.score for k, v in subs.items()}) == pytest.approx(70.0)


def test_refusal_rate_rows_name_their_refusal_detector() -> None:
    from multitrust.aggregate import compute_task
    from multitrust.data.base import SynthData
    from multitrust.formula import Row
    from multitrust.tasks import get_task

    rows = [Row("a", "text", {}, {"refusal": 1.0}, "refusal")]
    p5 = get_task("P.5")
    t = p5.build(SynthData(size=1))
    plain = compute_task(p5, t, rows, refusal_detector="rules v2")
    assert plain.scorer == f"{t.scorer.id} (refusal: rules v2)"
    with_clf = compute_task(
        p5,
        t,
        rows,
        refusal_detector="rules v2",
        refusal_classifier="hf/LibrAI/longformer-action-ro",
        classifier_applied=True,
    )
    assert with_clf.scorer == f"{t.scorer.id} (refusal: rules v2 + longformer-action-ro)"
    # a task scored otherwise keeps its scorer id
    t1 = get_task("T.1")
    built = t1.build(SynthData(size=1))
    other = compute_task(
        t1, built, [Row("a", "x", {}, {"correct": 1.0}, None)], refusal_detector="rules v2"
    )
    assert other.scorer == built.scorer.id


def test_bootstrap_ci_does_not_depend_on_the_order_rows_arrived() -> None:
    # the store returns rows in the order answers were written, which concurrency shuffles
    from multitrust.aggregate import compute_task
    from multitrust.formula import Results, Row
    from multitrust.scoring.base import Scorer
    from multitrust.tasks.base import Task, TaskSpec

    rows = [
        Row(f"s{i}", v, {}, {"acc": float((i * 7 + len(v)) % 3 == 0)})
        for i in range(12)
        for v in ("text", "related")
    ]
    scorer = Scorer(name="acc", fn=lambda *_: None)  # type: ignore[arg-type]
    spec = TaskSpec("T.1", "t", "truthfulness", "T.I", lambda _data: task)
    task = Task(samples=list, scorer=scorer, formula=lambda r: 100 * r.mean("acc"))
    forward = compute_task(spec, task, rows, bootstrap=50)
    backward = compute_task(spec, task, rows[::-1], bootstrap=50)
    assert forward.ci is not None and forward.ci == backward.ci
    assert forward.score == backward.score == 100 * Results(rows).mean("acc")


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        # P.1 missing: 0.3·50 + 0.3·0 over 0.6, not 15 (the weights left as they were)
        ({"P.2": 50.0, "P.3": 0.0}, 25.0),
        # P.2 missing: (0.4·100 + 0.3·30) / 0.7
        ({"P.1": 100.0, "P.3": 30.0}, (40.0 + 9.0) / 0.7),
        # only P.1: its own score, whatever its weight
        ({"P.1": 80.0}, 80.0),
    ],
)
def test_privacy_awareness_weights_renormalise_over_the_tasks_present(
    present: dict[str, float], expected: float
) -> None:
    subs = sub_aspect_scores(present)
    pa = subs["P.A"]
    assert pa.score == pytest.approx(expected)
    assert pa.partial
    assert sorted(pa.tasks) == sorted(present)
    assert sorted(pa.missing) == sorted({"P.1", "P.2", "P.3"} - set(present))


def test_privacy_awareness_weights_are_the_papers() -> None:
    weights = {s.id: s.weight for s in all_tasks() if s.sub_aspect == "P.A"}
    assert weights == {"P.1": 0.4, "P.2": 0.3, "P.3": 0.3}
    # every other task is an equal share of its sub-aspect
    assert all(s.weight is None for s in all_tasks() if s.sub_aspect != "P.A")


def test_a_sub_aspect_score_of_zero_is_present_not_missing() -> None:
    subs = sub_aspect_scores({"P.1": 0.0, "P.2": 100.0, "P.3": 100.0, "T.1": 0.0})
    assert subs["P.A"].score == pytest.approx(60.0) and not subs["P.A"].partial
    assert subs["T.I"].score == pytest.approx(0.0) and subs["T.I"].tasks == ["T.1"]
    assert overall_score({"a": 0.0, "b": 50.0, "c": None}) == pytest.approx(25.0)
    assert overall_score({"a": None}) is None


def test_every_sub_aspect_carries_its_code_name_tasks_and_missing_tasks() -> None:
    from multitrust.tasks.base import SUB_ASPECT_NAMES

    specs = all_tasks()
    subs = sub_aspect_scores({"T.1": 50.0, "P.2": 10.0})
    assert list(subs) == list(SUB_ASPECTS)
    for code, sub in subs.items():
        members = [s.id for s in specs if s.sub_aspect == code]
        assert (sub.code, sub.name) == (code, SUB_ASPECT_NAMES[code])
        assert sorted(sub.tasks + sub.missing) == sorted(members)
        if code not in ("T.I", "P.A"):
            assert sub.score is None and sub.tasks == [] and sub.missing == members
    assert subs["T.I"].tasks == ["T.1"] and subs["T.I"].score == 50.0
    assert subs["P.A"].tasks == ["P.2"] and subs["P.A"].score == pytest.approx(10.0)


def test_an_unweighted_task_is_one_share_beside_weighted_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # P.A with a fourth, unweighted task: it weighs 1 against the 0.4/0.3/0.3 of the others
    import dataclasses

    from multitrust import aggregate

    real = all_tasks()
    extra = dataclasses.replace(next(s for s in real if s.id == "P.1"), id="P.9", weight=None)
    monkeypatch.setattr(aggregate, "all_tasks", lambda: [*real, extra])
    subs = sub_aspect_scores({"P.1": 100.0, "P.2": 100.0, "P.3": 100.0, "P.9": 0.0})
    assert subs["P.A"].score == pytest.approx(100.0 * 1.0 / 2.0)
    subs = sub_aspect_scores({"P.1": 100.0, "P.9": 0.0})
    assert subs["P.A"].score == pytest.approx(100.0 * 0.4 / 1.4)
