"""S.4–S.6 without a harm classifier: the run's judge stands in for it, so the run opens its
judge for them (a judge no task uses is not opened, but these use it)."""

from __future__ import annotations

from pathlib import Path

from multitrust import evaluate
from multitrust.store import Store


def test_jailbreak_tasks_measure_attack_success_through_the_judge(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    rep = evaluate(
        "scripted/comply", "S.4", data="synth", size=2, db=db, judge="scripted/judge-yes",
        bootstrap=0,
    )  # fmt: skip
    oc = rep.tasks["S.4"]
    assert oc.status == "ok" and oc.n_errors == 0 and oc.n > 0
    with Store(db) as st:
        rows = list(st.iter_results(rep.run_id, "S.4"))
    assert rows and all(r.error is None for r in rows)
    # a judge that says "yes" to everything finds every compliant answer jailbroken
    assert all(r.values is not None and r.values["jailbroken"] == 1.0 for r in rows)
    assert all((r.label or "").endswith("(via judge)") for r in rows)
