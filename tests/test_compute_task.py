"""compute_task field by field: status, reason, score, CI, metrics, deviation, comparability,
the scorer label; and the rows a store hands it (errors are never scored)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from multitrust import aggregate
from multitrust.aggregate import compute_task, join_notes, rows_from_store, split_notes
from multitrust.formula import Results, Row, bootstrap_ci
from multitrust.scoring.base import Scorer
from multitrust.scoring.classifiers import ClassifierRefusal
from multitrust.store import ResultRow
from multitrust.tasks.base import Task, TaskSpec


def _scorer(deviation: str | None = None) -> Scorer:
    return Scorer(name="acc", fn=lambda *_: None, version="7", deviation=deviation)  # type: ignore[arg-type]


def _mean(r: Results) -> float:
    return 100 * r.mean("acc")


TASK = Task(samples=list, scorer=_scorer(), formula=_mean)
SPEC = TaskSpec("P.5", "A task", "privacy", "P.L", lambda _data: TASK)


def _rows(n: int = 12) -> list[Row]:
    return [Row(f"s{i:02d}", "text", {"k": i % 3}, {"acc": float(i % 3 == 0)}) for i in range(n)]


def test_an_ok_task_has_score_ci_metrics_n_and_identity() -> None:
    rows = _rows()
    oc = compute_task(SPEC, TASK, rows, n_errors=2, bootstrap=50)
    assert (oc.task_id, oc.name, oc.aspect, oc.sub_aspect) == ("P.5", "A task", "privacy", "P.L")
    assert oc.status == "ok" and oc.reason is None
    assert oc.score == pytest.approx(100 * 4 / 12)
    assert (oc.n, oc.n_errors) == (12, 2)
    ordered = Results(sorted(rows, key=lambda r: (r.sample_id, r.variant)))
    assert oc.ci == bootstrap_ci(ordered, _mean, n=50)
    assert oc.ci is not None and oc.score is not None and oc.ci[0] < oc.score < oc.ci[1]
    assert oc.metrics == {"acc": pytest.approx(4 / 12)}
    assert oc.scorer == "acc@7"
    assert oc.deviation is None and oc.comparable is True


def test_the_default_bootstrap_is_200_resamples_and_fewer_on_huge_tasks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []

    def spy(r: Results, formula: Any, *, n: int = 200, **kw: Any) -> tuple[float, float]:
        seen.append(n)
        return (1.0, 2.0)

    monkeypatch.setattr(aggregate, "bootstrap_ci", spy)
    assert compute_task(SPEC, TASK, _rows()).ci == (1.0, 2.0)
    big = [Row(f"s{i}", "text", {}, {"acc": 1.0}) for i in range(5001)]
    compute_task(SPEC, TASK, big, bootstrap=400)
    compute_task(SPEC, TASK, big, bootstrap=100)
    compute_task(SPEC, TASK, big[:5000], bootstrap=400)
    assert seen == [200, 100, 50, 400]
    assert all(type(n) is int for n in seen)
    assert compute_task(SPEC, TASK, _rows(), bootstrap=0).ci is None
    assert len(seen) == 4  # no bootstrap asked: none run
    seen.clear()
    compute_task(SPEC, TASK, _rows(), bootstrap=1)
    assert seen == [1]


def test_an_undefined_ci_is_left_out_but_the_score_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    for lo, hi in ((math.nan, 1.0), (1.0, math.nan), (math.nan, math.nan)):
        monkeypatch.setattr(aggregate, "bootstrap_ci", lambda *a, lo=lo, hi=hi, **k: (lo, hi))
        oc = compute_task(SPEC, TASK, _rows(), bootstrap=10)
        assert oc.status == "ok" and oc.ci is None and oc.score == pytest.approx(100 / 3)


def test_no_rows_fails_with_the_error_count() -> None:
    oc = compute_task(SPEC, TASK, [], n_errors=3)
    assert oc.status == "failed" and oc.score is None and oc.ci is None
    assert oc.reason == "no scored samples (3 errors)"
    assert (oc.n, oc.n_errors) == (0, 3)
    assert compute_task(SPEC, TASK, []).reason == "no scored samples"


def test_a_failing_formula_fails_the_task_with_its_cause() -> None:
    def boom(r: Results) -> float:
        raise ZeroDivisionError("no kinds")

    oc = compute_task(SPEC, dataclasses.replace(TASK, formula=boom), _rows())
    assert oc.status == "failed" and oc.score is None
    assert oc.reason == "formula failed: ZeroDivisionError: no kinds"


def test_an_undefined_formula_fails_but_keeps_its_metrics() -> None:
    oc = compute_task(SPEC, dataclasses.replace(TASK, formula=lambda r: math.nan), _rows())
    assert oc.status == "failed" and oc.score is None and oc.ci is None
    assert oc.reason == "the task formula is undefined on these results"
    assert oc.metrics == {"acc": pytest.approx(1 / 3)}


def test_metrics_drop_undefined_values_and_a_broken_metrics_function_is_no_metrics() -> None:
    task = dataclasses.replace(TASK, metrics=lambda r: {"a": 0.5, "b": math.nan, "c": 2})
    oc = compute_task(SPEC, task, _rows(), bootstrap=0)
    assert oc.metrics == {"a": 0.5, "c": 2.0}
    assert all(type(v) is float for v in oc.metrics.values())

    def broken(r: Results) -> dict[str, float]:
        raise KeyError("x")

    oc = compute_task(SPEC, dataclasses.replace(TASK, metrics=broken), _rows(), bootstrap=0)
    assert oc.status == "ok" and oc.metrics == {}


def test_deviations_are_joined_once_and_make_the_task_not_comparable() -> None:
    task = dataclasses.replace(
        TASK,
        deviation="synthetic data; rules v2",
        scorer=_scorer("rules v2 (no 'however'; multilingual)"),
        deviation_for=lambda r: "no harm judge",
    )
    oc = compute_task(SPEC, task, _rows(), bootstrap=0)
    assert oc.deviation == (
        "synthetic data; rules v2; rules v2 (no 'however'; multilingual); no harm judge"
    )
    assert oc.comparable is False
    # a deviation check that finds nothing adds nothing; one that breaks says so
    quiet = dataclasses.replace(TASK, deviation_for=lambda r: None)
    oc = compute_task(SPEC, quiet, _rows(), bootstrap=0)
    assert oc.deviation is None and oc.comparable is True
    assert compute_task(SPEC, quiet, _rows(), comparable=False).comparable is False

    def broken(r: Results) -> str | None:
        raise ValueError

    oc = compute_task(SPEC, dataclasses.replace(TASK, deviation_for=broken), _rows(), bootstrap=0)
    assert oc.deviation == "deviation check failed: ValueError" and oc.status == "ok"
    # the check sees the rows; with no rows it is not asked
    seen: list[int] = []

    def counting_check(r: Results) -> str | None:
        seen.append(len(r))
        return None

    counting = dataclasses.replace(TASK, deviation_for=counting_check)
    compute_task(SPEC, counting, _rows(5), bootstrap=0)
    compute_task(SPEC, counting, [], bootstrap=0)
    assert seen == [5]


def test_the_longformer_note_goes_only_when_the_classifier_was_applied() -> None:
    task = dataclasses.replace(
        TASK,
        deviation="no Longformer action classifier; synthetic data",
        classifier_refusal=ClassifierRefusal(frozenset({0, 4})),
    )
    applied = compute_task(SPEC, task, _rows(), bootstrap=0, classifier_applied=True)
    assert applied.deviation == "synthetic data"
    assert compute_task(SPEC, task, _rows(), bootstrap=0).deviation == task.deviation
    three = dataclasses.replace(task, deviation="a; no Longformer here; b")
    assert compute_task(SPEC, three, _rows(), classifier_applied=True).deviation == "a; b"
    no_clf = dataclasses.replace(task, classifier_refusal=None)
    assert (
        compute_task(SPEC, no_clf, _rows(), bootstrap=0, classifier_applied=True).deviation
        == task.deviation
    )


def test_refusal_rate_rows_name_detector_and_classifier() -> None:
    task = dataclasses.replace(
        TASK, refusal_rate=True, classifier_refusal=ClassifierRefusal(frozenset({0}))
    )
    label = compute_task(
        SPEC,
        task,
        _rows(),
        bootstrap=0,
        refusal_detector="rules v2",
        refusal_classifier="hf/LibrAI/longformer-action-ro/",
        classifier_applied=True,
    ).scorer
    assert label == "acc@7 (refusal: rules v2 + longformer-action-ro)"
    # the classifier is named only when it was applied to a task that uses it
    for kw in ({"classifier_applied": False}, {"refusal_classifier": None}):
        args: dict[str, Any] = {
            "refusal_detector": "rules v2",
            "refusal_classifier": "hf/a/b",
            "classifier_applied": True,
            **kw,
        }
        assert compute_task(SPEC, task, _rows(), bootstrap=0, **args).scorer == (
            "acc@7 (refusal: rules v2)"
        )
    plain = dataclasses.replace(task, classifier_refusal=None)
    assert (
        compute_task(
            SPEC,
            plain,
            _rows(),
            bootstrap=0,
            refusal_detector="rules v2",
            refusal_classifier="hf/a/b",
            classifier_applied=True,
        ).scorer
        == "acc@7 (refusal: rules v2)"
    )
    assert compute_task(SPEC, TASK, _rows(), refusal_detector="rules v2").scorer == "acc@7"
    assert compute_task(SPEC, task, _rows()).scorer == "acc@7"


def test_split_and_join_notes() -> None:
    assert split_notes(None) == [] and split_notes("") == []
    assert split_notes("a; b; a") == ["a", "b"]
    assert split_notes("one (x; y); two [p; q]; three") == ["one (x; y)", "two [p; q]", "three"]
    assert split_notes("a (b)); c") == ["a (b))", "c"]  # a stray ")" does not go below zero
    assert split_notes("a;b; c") == ["a;b", "c"]  # only "; " separates
    assert split_notes("((x; y)); z") == ["((x; y))", "z"]
    assert split_notes("x) (y; z); w") == ["x) (y; z)", "w"]
    assert split_notes(" a ;  b") == ["a", "b"]  # notes are stripped
    assert split_notes("((a); b); c") == ["((a); b)", "c"]  # depth counts every bracket
    assert split_notes("(X; y); z") == ["(X; y)", "z"]
    assert split_notes("X; y") == ["X", "y"]
    assert split_notes("first; second") == ["first", "second"]
    assert join_notes("a; b", None, "b; c", "") == "a; b; c"
    assert join_notes(None, "") is None
    assert join_notes() is None


def _stored(sid: str, **kw: Any) -> ResultRow:
    base: dict[str, Any] = {
        "run_id": "r",
        "task_id": "T.1",
        "sample_id": sid,
        "variant": "text",
        "gen_key": None,
        "prompt": "p",
        "images": [],
        "target": None,
        "meta": {"kind": "a"},
        "output": "x",
        "values": {"acc": 1.0},
        "label": "yes",
        "explanation": None,
        "scorer": "acc",
    }
    base.update(kw)
    return ResultRow(**base)


def test_rows_from_store_keep_every_field_and_leave_errors_out() -> None:
    rows = rows_from_store(
        [
            _stored("a", variant="related", meta={"kind": "b"}, values={"acc": 0.0}, label="no"),
            _stored("b", error="timeout", error_kind="timeout", values=None, label=None),
            _stored("c", error="boom", values={"acc": 1.0}),  # an error is never scored
            _stored("d", values=None),
        ]
    )
    assert rows == [Row("a", "related", {"kind": "b"}, {"acc": 0.0}, "no")]


def test_the_scorer_label_keeps_the_classifiers_whole_last_name() -> None:
    task = dataclasses.replace(
        TASK, refusal_rate=True, classifier_refusal=ClassifierRefusal(frozenset({0}))
    )

    def label(classifier: str) -> str | None:
        return compute_task(
            SPEC,
            task,
            _rows(),
            bootstrap=0,
            refusal_detector="rules v2",
            refusal_classifier=classifier,
            classifier_applied=True,
        ).scorer

    # a bare checkpoint name (no folder) is named as it is
    assert label("action-ro") == "acc@7 (refusal: rules v2 + action-ro)"
    # a name ending in X keeps its X; only the trailing "/" goes
    assert label("/models/acme/refusal-XX/") == "acc@7 (refusal: rules v2 + refusal-XX)"


def test_a_toolbox_note_is_recorded_after_the_deviations_and_alone_keeps_comparability() -> None:
    noted = dataclasses.replace(TASK, toolbox_note="max of strings, as sent")
    oc = compute_task(SPEC, noted, _rows(), bootstrap=0)
    assert oc.deviation == "toolbox: max of strings, as sent"
    assert oc.comparable is True and oc.status == "ok"
    both = dataclasses.replace(noted, deviation="synthetic data")
    oc = compute_task(SPEC, both, _rows(), bootstrap=0)
    assert oc.deviation == "synthetic data; toolbox: max of strings, as sent"
    assert oc.comparable is False
