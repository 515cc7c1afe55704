"""The hf/ backend through the whole engine: a tiny VLM under test, a tiny action classifier."""

from __future__ import annotations

from pathlib import Path

import pytest

from multitrust import evaluate
from tests.models.tiny import build_seq_classifier


@pytest.mark.hf
def test_tiny_vlm_runs_the_foundation_slice_and_reruns_from_cache(
    tiny_idefics3: Path, tmp_path: Path
) -> None:
    db = tmp_path / "s.db"
    rep = evaluate(f"hf/{tiny_idefics3}", "T.6,F.2", db=db, size=3, batch_size=4, bootstrap=0)
    assert rep.counters.errors == 0
    assert {t: o.status for t, o in rep.tasks.items()} == {"T.6": "ok", "F.2": "ok"}
    assert rep.tasks["F.2"].n == 15  # 3 statements x 5 variants, images included
    again = evaluate(f"hf/{tiny_idefics3}", "T.6,F.2", db=db, size=3, batch_size=4, bootstrap=0)
    assert again.counters.requests == 0


@pytest.mark.hf
def test_refusal_classifier_flag_loads_a_local_checkpoint(tmp_path: Path) -> None:
    clf_dir = build_seq_classifier(tmp_path / "action")
    rep = evaluate(
        "scripted/comply",
        "F.5",
        db=tmp_path / "s.db",
        size=3,
        refusal_classifier=f"hf/{clf_dir}",
        bootstrap=0,
    )
    oc = rep.tasks["F.5"]
    assert oc.status == "ok" and oc.n_errors == 0
    assert "longformer" not in (oc.deviation or "").lower()


@pytest.mark.hf
def test_a_checkpoint_that_cannot_load_is_one_clear_error_before_the_run(tmp_path: Path) -> None:
    from multitrust.errors import ConfigError
    from multitrust.store import Store

    missing = tmp_path / "no-such-model"
    missing.mkdir()  # a directory without a checkpoint
    db = tmp_path / "s.db"
    with pytest.raises(ConfigError, match="cannot load hf model"):
        evaluate(f"hf/{missing}", "T.6", db=db, size=3, bootstrap=0)
    with Store(db) as st:
        assert (
            st.conn.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 0
        )  # no per-sample errors
