"""The response-cache key: every generation setting is part of it, so a changed setting is a
new call, never an old answer served again."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from multitrust import evaluate
from multitrust.engine.runner import cache_key
from multitrust.models.scripted import ScriptedModel
from multitrust.tasks import base as task_base
from multitrust.types import GenerateConfig, Message
from tests.engine.conftest import build_toy, load_toy
from tests.engine.test_engine import CountingModel

# one other value for every field of GenerateConfig; a new field must be added here (and so
# be shown to reach the key)
OTHER: dict[str, Any] = {
    "max_tokens": 257,
    "temperature": 0.7,
    "top_p": 0.9,
    "seed": 1,
    "stop": ("\n\n",),
}


def _key(config: GenerateConfig, text: str = "Is the sky blue?") -> str:
    return cache_key(ScriptedModel("oracle"), [Message("user", text)], config)


def test_every_generation_setting_is_listed_here() -> None:
    assert {f.name for f in dataclasses.fields(GenerateConfig)} == set(OTHER)


@pytest.mark.parametrize("name", sorted(OTHER))
def test_each_generation_setting_changes_the_key(name: str) -> None:
    base = GenerateConfig()
    changed = dataclasses.replace(base, **{name: OTHER[name]})
    assert _key(base) == _key(GenerateConfig())  # deterministic
    assert _key(changed) != _key(base)


def test_the_messages_and_the_model_change_the_key() -> None:
    cfg = GenerateConfig()
    assert _key(cfg, "a") != _key(cfg, "b")
    msgs = [Message("user", "a")]
    assert cache_key(ScriptedModel("oracle"), msgs, cfg) != cache_key(
        ScriptedModel("refuse"), msgs, cfg
    )


def test_a_changed_max_tokens_calls_the_model_again(toy_task: str, tmp_path: Path) -> None:
    # another profile is another run whose answers come from the cache when the settings are
    # the same (test_engine.test_generation_cache_shared_across_runs); here they are not
    db = tmp_path / "s.db"
    first = CountingModel()
    evaluate(first, toy_task, db=db, size=5)
    assert first.calls == 10

    def build_longer(data: task_base.TaskData) -> task_base.Task:
        return dataclasses.replace(build_toy(data), config=GenerateConfig(max_tokens=32))

    task_base._REGISTRY[toy_task] = task_base.TaskSpec(
        toy_task, "Toy yes/no", "truthfulness", "T.M", build_longer, (load_toy,), (load_toy,)
    )
    longer = CountingModel()
    r = evaluate(longer, toy_task, db=db, size=5, profile="official")
    assert longer.calls == 10
    assert r.counters.cached == 0


def test_a_model_that_reads_the_sample_keys_on_its_target_and_ideal() -> None:
    from multitrust.types import Sample

    cfg = GenerateConfig()
    msgs = [Message("user", "q")]
    oracle = ScriptedModel("oracle")  # answers from the sample's target: needs_sample
    assert oracle.needs_sample

    def key(target: object, ideal: object = None) -> str:
        meta = {} if ideal is None else {"ideal": ideal}
        return cache_key(oracle, msgs, cfg, Sample(id="s", text="q", target=target, meta=meta))

    assert key(True) == key(True)
    assert key(True) != key(False)
    assert key(True, "a") != key(True, "b")
    assert key(True) != cache_key(oracle, msgs, cfg)  # no sample: the plain key
    # a model that does not read the sample ignores it
    plain = CountingModel()
    assert not plain.needs_sample
    assert cache_key(plain, msgs, cfg, Sample(id="s", text="q", target=True)) == cache_key(
        plain, msgs, cfg, Sample(id="t", text="x", target=False)
    )


def test_a_cached_answer_is_the_stored_text_and_scores_the_same(
    toy_task: str, tmp_path: Path
) -> None:
    from multitrust.store import Store

    db = tmp_path / "s.db"
    first = evaluate(CountingModel(), toy_task, db=db, size=6, bootstrap=0)
    again = CountingModel()
    second = evaluate(again, toy_task, db=db, size=6, profile="official", bootstrap=0)
    assert again.calls == 0
    assert second.tasks[toy_task].score == first.tasks[toy_task].score
    with Store(db) as st:
        a = {(r.sample_id, r.variant): r.output for r in st.iter_results(first.run_id)}
        b = {(r.sample_id, r.variant): r.output for r in st.iter_results(second.run_id)}
    assert a == b and set(a.values()) == {"Yes.", "No."}


def test_a_target_json_cannot_write_is_keyed_by_its_text() -> None:
    from multitrust.types import Sample

    oracle = ScriptedModel("oracle")
    msgs = [Message("user", "q")]
    s = Sample(id="s", text="q", target=frozenset({1}))
    assert cache_key(oracle, msgs, GenerateConfig(), s) == cache_key(
        oracle, msgs, GenerateConfig(), s
    )


@pytest.mark.parametrize("limit", [1, 7, 40, 70])  # 1 and 70: the last prefetch is short
def test_limit_caps_the_items_asked_and_a_rerun_resumes_up_to_the_new_limit(
    toy_task: str, tmp_path: Path, limit: int
) -> None:
    db = tmp_path / "s.db"
    m = CountingModel()
    r = evaluate(m, toy_task, db=db, size=50, limit=limit, bootstrap=0)
    assert m.calls == limit and r.tasks[toy_task].n == limit
    assert r.counters.queued == limit
    more = CountingModel()
    r2 = evaluate(more, toy_task, db=db, size=50, limit=limit + 5, bootstrap=0)
    assert more.calls == 5 and r2.tasks[toy_task].n == limit + 5
    assert (r2.counters.queued, r2.counters.cached) == (limit + 5, limit)  # a new run: cached


def test_a_model_that_reads_the_sample_keys_its_target_and_ideal_answer() -> None:
    from multitrust.types import Sample

    cfg, msgs = GenerateConfig(), [Message("user", "Is the sky blue?")]
    oracle = ScriptedModel("oracle")  # answers from the sample: its key must hold the target

    def key(model: ScriptedModel, **kw: Any) -> str:
        return cache_key(model, msgs, cfg, Sample("s", "q", **kw))

    assert oracle.needs_sample
    base = key(oracle, target=True, meta={"ideal": "yes", "other": 1})
    assert key(oracle, target=False, meta={"ideal": "yes", "other": 1}) != base
    assert key(oracle, target=True, meta={"ideal": "no", "other": 1}) != base
    assert key(oracle, target=True, meta={"ideal": "yes", "other": 2}) == base
    assert cache_key(oracle, msgs, cfg) != base  # no sample: no target in the key
    blind = ScriptedModel("oracle")
    blind.needs_sample = False  # a model that never reads the sample: one answer for all
    assert key(blind, target=True) == key(blind, target=False) == cache_key(blind, msgs, cfg)


def test_an_error_never_replaces_a_good_cached_answer_and_a_good_one_replaces_an_error(
    tmp_path: Path,
) -> None:
    # two processes on one store (or a run racing a rerun) can write the same request's
    # outcome twice: the good answer must win whichever comes last
    from multitrust.store import Store
    from multitrust.types import Generation

    good = Generation("hi", input_tokens=3, output_tokens=4, latency_s=0.5)
    bad = Generation(None, error="HTTP 500: boom", error_kind="server")
    with Store(tmp_path / "r.db") as st:
        st.write_batch([("k1", "m", good)], [])
        st.write_batch([("k1", "m", bad)], [])  # the error comes last
        assert st.get_generation("k1") == Generation(
            "hi", input_tokens=3, output_tokens=4, latency_s=0.5, cached=True
        )
        st.write_batch([("k2", "m", bad)], [])
        assert st.get_generation("k2") is None
        st.write_batch([("k2", "m", Generation("later", output_tokens=1))], [])  # good after error
        got = st.get_generation("k2")
        assert got is not None and got.text == "later" and got.output_tokens == 1
        attempts = st.conn.execute("SELECT attempts FROM generations WHERE key='k2'").fetchone()
        assert attempts == (2,)  # the second write counted as another attempt


def test_the_store_serves_good_answers_and_resumes_only_error_free_rows(tmp_path: Path) -> None:
    from multitrust.store import ResultRow, Store
    from multitrust.types import Generation

    with Store(tmp_path / "r.db") as st:
        st.write_batch(
            [
                ("good", "m", Generation("hi", input_tokens=3, output_tokens=4, latency_s=0.5)),
                ("bad", "m", Generation(None, error="boom", error_kind="server")),
            ],
            [],
        )
        assert st.get_generation("good") == Generation(
            "hi", input_tokens=3, output_tokens=4, latency_s=0.5, cached=True
        )
        assert st.get_generation("bad") is None  # an error is never served as an answer
        assert st.get_generation("missing") is None

        def row(run: str, task: str, sid: str, variant: str, error: str | None) -> ResultRow:
            return ResultRow(
                run, task, sid, variant, None, "p", [], None, {}, "o", None, None, None, None, error
            )

        st.write_batch(
            [],
            [
                row("r1", "T.5", "a", "text", None),
                row("r1", "T.5", "a", "image", None),
                row("r1", "T.5", "b", "text", "timeout"),
                row("r1", "T.6", "c", "text", None),
                row("r2", "T.5", "d", "text", None),
            ],
        )
        assert st.done_keys("r1", "T.5") == {("a", "text"), ("a", "image")}
        assert st.done_keys("r2", "T.5") == {("d", "text")}
        assert st.done_keys("r1", "T.9") == set()
