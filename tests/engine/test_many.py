"""Many models in one call: local ones in turn, API ones side by side, one store, resume."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from multitrust.errors import ConfigError
from multitrust.many import ModelEntry, evaluate_many, read_models_file
from multitrust.models import Model, ModelOptions
from multitrust.types import GenerateConfig, Generation, Message, Sample
from tests.reliability.conftest import server_stats
from tests.servers.openai_server import serve


class LocalModel(Model):
    """Stands in for a GPU model: serialised; it logs its calls in a log shared with the other
    local models and counts how many of them are busy at once."""

    provider = "local"
    concurrent = False

    def __init__(self, name: str, log: list[str], busy: dict[str, int]) -> None:
        super().__init__(name, ModelOptions())
        self.log = log
        self.busy = busy

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        self.log.append(self.name)
        self.busy["now"] += 1
        self.busy["peak"] = max(self.busy["peak"], self.busy["now"])
        try:
            await asyncio.sleep(0.001)
        finally:
            self.busy["now"] -= 1
        return Generation(text="Yes.")


def test_models_file(tmp_path: Path) -> None:
    (tmp_path / "nodes.txt").write_text("http://n1:8000/v1\nhttp://n2:8000/v1\n")
    f = tmp_path / "models.txt"
    f.write_text(
        "# the line-up\n"
        "hf/HuggingFaceTB/SmolVLM-256M-Instruct\n"
        "\n"
        "vllm/Qwen/Qwen2-VL-7B-Instruct --base-urls nodes.txt   # two nodes\n"
        "openai/llava --base-url http://a:1/v1 --base-url http://b:1/v1\n"
    )
    assert read_models_file(f) == [
        ModelEntry("hf/HuggingFaceTB/SmolVLM-256M-Instruct"),
        ModelEntry("vllm/Qwen/Qwen2-VL-7B-Instruct", ("http://n1:8000/v1", "http://n2:8000/v1")),
        ModelEntry("openai/llava", ("http://a:1/v1", "http://b:1/v1")),
    ]
    f.write_text("openai/a --port 3\n")
    with pytest.raises(ConfigError, match=r"models.txt:1: expected"):
        read_models_file(f)
    f.write_text("openai/a\nopenai/a\n")
    with pytest.raises(ConfigError, match="listed twice: openai/a"):
        read_models_file(f)
    f.write_text("# none\n")
    with pytest.raises(ConfigError, match="no models"):
        read_models_file(f)


def test_local_models_in_turn_api_models_together_one_store(
    tmp_path: Path, toy_task: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    log: list[str] = []
    busy = {"now": 0, "peak": 0}
    db = tmp_path / "s.db"
    events: list[tuple[str, str]] = []

    with serve(latency=0.05) as url1, serve(latency=0.05) as url2:

        def started(spec: str) -> None:
            events.append(("start", spec))

        def done(out: object) -> None:
            events.append(("done", str(getattr(out, "spec", ""))))

        entries: list[ModelEntry | str | Model] = [
            LocalModel("gpu-a", log, busy),
            ModelEntry("openai/test-model", (url1,)),
            LocalModel("gpu-b", log, busy),
            ModelEntry("vllm/test-model", (url2,)),
            "openai/gpt-4o",  # no key: fails to build, the others go on
        ]
        outs = evaluate_many(
            entries, toy_task, db=db, size=20, bootstrap=0, on_start=started, on_done=done
        )
        requests = [server_stats(u)["requests"] for u in (url1, url2)]
        # a rerun resumes every model: nothing left to ask
        again = evaluate_many(entries[:4], toy_task, db=db, size=20, bootstrap=0)
        assert [server_stats(u)["requests"] for u in (url1, url2)] == requests
    assert [o.spec for o in outs] == [
        "local/gpu-a",
        "openai/test-model",
        "local/gpu-b",
        "vllm/test-model",
        "openai/gpt-4o",
    ]
    assert [o.local for o in outs[:4]] == [True, False, True, False]
    for o in outs[:4]:
        assert o.error is None and o.report is not None
        assert o.report.tasks[toy_task].n == 40 and o.report.counters.errors == 0
        assert o.report.db == str(db)
    assert outs[4].report is None and "OPENAI_API_KEY" in (outs[4].error or "")
    # the local models ran in turn, one call at a time: all of gpu-a's calls, then gpu-b's
    assert busy["peak"] == 1
    assert log == ["gpu-a"] * 40 + ["gpu-b"] * 40
    # the two API models ran side by side: both started before either was done (a local model
    # or the other API model finishing first does not hold the second one back)
    api = ("openai/test-model", "vllm/test-model")
    api_events = [e for e in events if e[1] in api]
    assert [kind for kind, _ in api_events] == ["start", "start", "done", "done"]
    assert requests == [40, 40]
    assert all(o.report is not None and o.report.counters.requests == 0 for o in again)
    assert len({o.report.run_id for o in again if o.report}) == 4
