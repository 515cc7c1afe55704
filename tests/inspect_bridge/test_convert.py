"""The bridge's conversions and task construction, without running an eval."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info < (3, 11):  # pragma: no cover
    pytest.skip("inspect_ai needs Python 3.11+", allow_module_level=True)

from inspect_ai._util.error import PrerequisiteError
from inspect_ai.model import ChatMessageSystem, ChatMessageUser, ContentImage, ContentText

from multitrust.data.base import SynthData
from multitrust.errors import ConfigError
from multitrust.inspect_bridge import TASK_ARGS, Settings, inspect_name, multitrust_task, task_id_of
from multitrust.inspect_bridge._convert import (
    chat_message,
    generate_config,
    sample_from_metadata,
    sample_metadata,
    to_inspect_sample,
)
from multitrust.inspect_bridge._tasks import TASKS
from multitrust.tasks import all_tasks, get_task
from multitrust.tasks.base import Task
from multitrust.types import GenerateConfig, Image, Message, Sample

from .conftest import ROOT, declared_entry_point

PNG_A = Image.from_bytes(b"\x89PNG\r\n\x1a\n" + b"a" * 20, origin="a")
PNG_B = Image.from_bytes(b"\x89PNG\r\n\x1a\n" + b"b" * 20, origin="b")


def test_every_task_has_a_dotless_name_that_maps_back() -> None:
    names = [inspect_name(s.id) for s in all_tasks()]
    assert len(names) == len(set(names)) == 32
    assert set(TASKS) == set(names)
    for spec in all_tasks():
        name = inspect_name(spec.id)
        assert "." not in name  # inspect loads the entry point only for a dotless name
        assert task_id_of(f"multitrust/{name}") == spec.id
        assert task_id_of(name.lower()) == spec.id
    assert inspect_name("T.2") == "T2" and inspect_name("p.10") == "P10"
    assert task_id_of("multitrust/P10") == "P.10"
    for bad in ("X.1", "T", "multitrust/T.2.1", "other/T2x"):
        with pytest.raises(ValueError):
            task_id_of(bad)


def test_the_registered_names_are_namespaced_multitrust() -> None:
    from inspect_ai._util.registry import registry_info

    assert registry_info(TASKS["T2"]).name == "multitrust/T2"
    assert registry_info(TASKS["P6"]).name == "multitrust/P6"


def test_pyproject_declares_the_entry_point_inspect_loads() -> None:
    name, module = declared_entry_point()
    assert (name, module) == ("multitrust", "multitrust.inspect_bridge._tasks")
    assert TASK_ARGS == ("data", "size", "seed", "profile", "toxicity", "judge")


def test_images_come_first_in_order_then_the_text() -> None:
    msg = chat_message(Message("user", "which is red?", (PNG_A, PNG_B)))
    assert isinstance(msg, ChatMessageUser)
    parts = msg.content
    assert [type(p) for p in parts] == [ContentImage, ContentImage, ContentText]
    decoded = [base64.b64decode(p.image.split(",", 1)[1]) for p in parts[:2]]
    assert decoded == [PNG_A.read_bytes(), PNG_B.read_bytes()]
    assert parts[0].image.startswith("data:image/png;base64,")
    assert parts[2].text == "which is red?"
    assert chat_message(Message("user", "text only")).content == "text only"


def test_a_file_image_is_passed_by_its_absolute_path(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "x.png").write_bytes(PNG_A.read_bytes())
    monkeypatch.chdir(tmp_path)
    part = chat_message(Message("user", "q", (Image.from_path("x.png"),))).content[0]
    assert part.image == str(tmp_path / "x.png")


def test_a_sample_keeps_system_turn_prompt_target_and_everything_the_scorer_reads() -> None:
    task = Task(
        scorer=get_task("T.2").build(SynthData(size=1)).scorer,
        formula=lambda r: 0.0,
        prompt="Q: {text} ({kind})",
        system="Be brief.",
    )
    sample = Sample(
        "s1", "is it red?", (PNG_A, PNG_B), ["a", "b"], {"kind": "color"}, variant="related"
    )
    out = to_inspect_sample(task, sample)
    assert out.id == "s1@related"
    assert isinstance(out.input[0], ChatMessageSystem) and out.input[0].content == "Be brief."
    user = out.input[1]
    assert [type(p) for p in user.content] == [ContentImage, ContentImage, ContentText]
    assert user.content[2].text == "Q: is it red? (color)"
    assert out.target == '["a", "b"]'
    back = sample_from_metadata(sample_metadata(sample))
    assert (back.id, back.text, back.target, dict(back.meta), back.variant) == (
        "s1",
        "is it red?",
        ["a", "b"],
        {"kind": "color"},
        "related",
    )
    with pytest.raises(ValueError, match="'text'"):
        sample_from_metadata({"id": "x"})


def test_generation_settings_carry_over() -> None:
    cfg = generate_config(GenerateConfig(max_tokens=77, temperature=0.0, seed=3, stop=("END",)))
    assert (cfg.max_tokens, cfg.temperature, cfg.seed, cfg.stop_seqs) == (77, 0.0, 3, ["END"])
    assert generate_config(GenerateConfig()).stop_seqs is None


def test_a_task_builds_its_samples_config_and_metadata() -> None:
    task = multitrust_task("F.4", size=2)
    spec_task = get_task("F.4").build(SynthData(size=2))
    expected = [s.uid for s in spec_task.iter_samples()]
    assert [s.id for s in task.dataset] == expected
    assert task.config.max_tokens == spec_task.config.max_tokens
    assert task.metadata["multitrust_task"] == "F.4"
    assert task.metadata["refusal_rate"] is True
    assert task.name == "multitrust/F4"
    # text-only and image variants side by side
    images = {s.id: sum(isinstance(p, ContentImage) for p in _parts(s)) for s in task.dataset}
    assert images["q0000@text"] == 0 and images["q0000@unrelated-noise"] == 1


def _parts(sample):
    content = sample.input[-1].content
    return content if isinstance(content, list) else []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"profile": "bogus"}, "profile must be one of corrected, official"),
        ({"toxicity": "nope"}, "toxicity must be auto, api,"),
        ({"toxicity": "hf/"}, "hf/"),
        ({"size": 0}, "size must be a positive number"),
        ({"data": "/no/such/dir"}, "not found: /no/such/dir"),
    ],
)
def test_a_bad_argument_is_one_line_naming_it(args, message) -> None:
    with pytest.raises(PrerequisiteError) as info:
        multitrust_task("T.2", **args)
    text = str(info.value)
    assert text.startswith("multitrust T.2: ") and message in text and "\n" not in text


def test_a_task_without_synth_data_says_why() -> None:
    with pytest.raises(PrerequisiteError, match=r"S\.1: official data only"):
        multitrust_task("S.1")


def test_settings_check_refuses_a_non_integer_seed() -> None:
    with pytest.raises(ConfigError, match="seed"):
        Settings(seed="x").check()  # type: ignore[arg-type]


def test_the_core_never_imports_inspect_ai() -> None:
    code = (
        "import sys, multitrust, multitrust.api, multitrust.cli, multitrust.inspect_bridge;"
        "multitrust.inspect_bridge.task_id_of('T2');"
        "assert 'inspect_ai' not in sys.modules, 'inspect_ai imported'"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def test_the_toxicity_backend_is_settled_as_a_run_settles_it(monkeypatch) -> None:
    from multitrust.inspect_bridge._scoring import resources, toxicity_backend
    from multitrust.scoring.toxicity import DEFAULT_LOCAL

    monkeypatch.delenv("PERSPECTIVE_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert toxicity_backend(Settings()) == DEFAULT_LOCAL  # auto, no keys: the local model
    assert toxicity_backend(Settings(profile="official")) == "api"  # as the paper
    assert toxicity_backend(Settings(toxicity="offline")) == "profanity"  # the old name
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert toxicity_backend(Settings()) == "moderation"
    assert resources() == {"moderation": True}  # a marker, never the key
    assert resources("perspective")["toxicity"] is resources("perspective")["toxicity"]


def test_when_inspect_moves_its_prerequisite_error_a_runtime_error_takes_its_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    from multitrust.inspect_bridge._tasks import prerequisite_error

    assert prerequisite_error() is PrerequisiteError
    monkeypatch.setitem(sys.modules, "inspect_ai._util.error", None)  # import fails
    assert prerequisite_error() is RuntimeError
    with pytest.raises(RuntimeError, match=r"^multitrust T\.2: profile must be one of"):
        multitrust_task("T.2", profile="bogus")
