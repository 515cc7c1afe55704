"""Many models in one call: local ones in turn, API ones side by side, one store, resume."""

from __future__ import annotations

import asyncio
import time
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
    """Stands in for a GPU model: serialised, and it records when it was busy."""

    provider = "local"
    concurrent = False

    def __init__(self, name: str, spans: dict[str, list[float]]) -> None:
        super().__init__(name, ModelOptions())
        self.spans = spans

    async def generate(
        self, messages: Sequence[Message], config: GenerateConfig, *, sample: Sample | None = None
    ) -> Generation:
        now = time.monotonic()
        span = self.spans.setdefault(self.name, [now, now])
        await asyncio.sleep(0.01)
        span[1] = time.monotonic()
        return Generation(text="Yes.")


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


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
    spans: dict[str, list[float]] = {}
    db = tmp_path / "s.db"
    api_spans: dict[str, list[float]] = {}

    def started(spec: str) -> None:
        api_spans[spec] = [time.monotonic(), float("inf")]

    def done(out: object) -> None:
        spec = getattr(out, "spec", "")
        if spec in api_spans:
            api_spans[spec][1] = time.monotonic()

    with serve(latency=0.05) as url1, serve(latency=0.05) as url2:
        entries: list[ModelEntry | str | Model] = [
            LocalModel("gpu-a", spans),
            ModelEntry("openai/test-model", (url1,)),
            LocalModel("gpu-b", spans),
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
    # the local models never ran at the same time; the two API models did
    assert not overlap(spans["gpu-a"], spans["gpu-b"])
    assert overlap(api_spans["openai/test-model"], api_spans["vllm/test-model"])
    assert requests == [40, 40]
    assert all(o.report is not None and o.report.counters.requests == 0 for o in again)
    assert len({o.report.run_id for o in again if o.report}) == 4
