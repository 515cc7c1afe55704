"""The ``hf/`` backend on tiny random-weight models built at test time (no network)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from multitrust.errors import InputError, ModelCallError
from multitrust.models import ModelOptions, get_model
from multitrust.models.hf import (
    HFModel,
    LoadError,
    load_images,
    render_prompt,
    resolve_dtype,
    truncate_at_stop,
)
from multitrust.types import GenerateConfig, Generation, Image, Message

pytestmark = pytest.mark.hf

VLMS = ["tiny_llava", "tiny_idefics3"]


def _png(color: tuple[int, int, int], size: tuple[int, int] = (40, 30)) -> Image:
    from PIL import Image as PILImage

    return Image.from_pil(PILImage.new("RGB", size, color))


RED = _png((200, 10, 10))
GREEN = _png((10, 200, 10), (64, 48))
CORRUPT = Image.from_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png", origin="corrupt.png")

# Three conversations of different lengths: one image, text only with a system turn, two images.
MIXED: list[list[Message]] = [
    [Message("user", "what is the color of the box?", (RED,))],
    [
        Message("system", "answer briefly"),
        Message("user", "describe the park and the dog and the yellow ball in one sentence please"),
    ],
    [Message("user", "is there a cat?", (RED, GREEN))],
]


def _hf(path: Path, **options: object) -> HFModel:
    model = get_model(f"hf/{path}", ModelOptions(**options))  # type: ignore[arg-type]
    assert isinstance(model, HFModel)
    return model


def _batch(
    model: HFModel, convs: Sequence[Sequence[Message]], config: GenerateConfig
) -> list[Generation | BaseException]:
    return asyncio.run(model.generate_batch(convs, config))


def _texts(results: Sequence[Generation | BaseException]) -> list[str]:
    out = []
    for r in results:
        assert isinstance(r, Generation) and r.ok, r
        assert r.text is not None
        out.append(r.text)
    return out


def test_construction_is_lazy_and_cheap(tmp_path: Path) -> None:
    # a missing checkpoint is only noticed when it is first used
    model = _hf(tmp_path / "nowhere", device="cpu")
    assert model.load_count == 0
    assert model.concurrent is False
    assert model.max_batch_size == 4  # CPU default
    assert _hf(tmp_path, device="cuda").max_batch_size == 32
    assert _hf(tmp_path, batch_size=3).max_batch_size == 3


@pytest.mark.parametrize("fixture", VLMS)
def test_generates_for_text_and_image(fixture: str, request: pytest.FixtureRequest) -> None:
    model = _hf(request.getfixturevalue(fixture))
    gen = asyncio.run(model.generate(MIXED[0], GenerateConfig(max_tokens=8)))
    assert gen.ok and isinstance(gen.text, str)
    assert gen.text == gen.text.strip()
    assert gen.input_tokens is not None and gen.input_tokens > 4  # image tokens were expanded
    assert gen.output_tokens is not None and 1 <= gen.output_tokens <= 8
    described = model.describe()
    assert described["device"] == "cpu" and described["dtype"] == "float32"
    assert described["multimodal"] is True and described["chat_template"] == "processor"


@pytest.mark.parametrize("fixture", VLMS)
def test_batched_equals_unbatched_under_greedy(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    # float64 so that padding cannot flip a near-tie between random logits
    model = _hf(request.getfixturevalue(fixture), dtype="float64")
    config = GenerateConfig(max_tokens=10)
    batched = _batch(model, MIXED, config)
    singles = [_batch(model, [conv], config)[0] for conv in MIXED]
    assert _texts(batched) == _texts(singles)
    # the prompts really differed in length, so the batch was padded
    lengths = [r.input_tokens for r in batched if isinstance(r, Generation)]
    assert len(set(lengths)) >= 2
    assert model.load_count == 1


def test_right_padding_would_change_outputs(
    tiny_llava: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the control for the test above: with padding on the wrong side, outputs drift
    from multitrust.models import hf

    model = _hf(tiny_llava, dtype="float64")
    config = GenerateConfig(max_tokens=10)
    singles = [_texts(_batch(model, [conv], config))[0] for conv in MIXED]

    def pad_right(tokenizer: object) -> None:
        tokenizer.padding_side = "right"  # type: ignore[attr-defined]

    monkeypatch.setattr(hf, "pad_left", pad_right)
    wrong = _hf(tiny_llava, dtype="float64")
    assert _texts(_batch(wrong, MIXED, config)) != singles


@pytest.mark.parametrize("max_tokens", [1, 3])
def test_max_tokens_is_honoured(tiny_idefics3: Path, max_tokens: int) -> None:
    model = _hf(tiny_idefics3)
    results = _batch(model, MIXED, GenerateConfig(max_tokens=max_tokens))
    for r in results:
        assert isinstance(r, Generation) and r.output_tokens is not None
        assert 1 <= r.output_tokens <= max_tokens
        # word-level vocabulary: one token is at most one word
        assert len((r.text or "").split()) <= max_tokens


def test_stop_strings_cut_the_output(tiny_idefics3: Path) -> None:
    model = _hf(tiny_idefics3)
    full = _texts(_batch(model, [MIXED[1]], GenerateConfig(max_tokens=12)))[0]
    words = full.split()
    assert len(words) >= 4
    stop = words[2]
    cut = _texts(_batch(model, [MIXED[1]], GenerateConfig(max_tokens=12, stop=(stop,))))[0]
    assert stop not in cut
    assert full.startswith(cut)
    assert len(cut) < len(full)


def test_corrupt_image_fails_alone(tiny_llava: Path) -> None:
    model = _hf(tiny_llava, dtype="float64")
    config = GenerateConfig(max_tokens=6)
    convs = [MIXED[0], [Message("user", "what is this?", (CORRUPT,))], MIXED[2]]
    results = _batch(model, convs, config)
    assert isinstance(results[1], InputError)
    assert "corrupt" in str(results[1])
    expected = _texts(_batch(model, [MIXED[0], MIXED[2]], config))
    assert _texts([results[0], results[2]]) == expected
    with pytest.raises(InputError):
        asyncio.run(model.generate(convs[1], config))


def test_model_is_loaded_once_and_freed(tiny_idefics3: Path) -> None:
    model = _hf(tiny_idefics3)
    config = GenerateConfig(max_tokens=3)
    asyncio.run(model.generate(MIXED[0], config))
    _batch(model, MIXED, config)

    async def concurrent() -> list[Generation]:
        return list(await asyncio.gather(*(model.generate(c, config) for c in MIXED)))

    assert all(g.ok for g in asyncio.run(concurrent()))
    assert model.load_count == 1
    asyncio.run(model.aclose())
    assert "architecture" not in model.describe()
    asyncio.run(model.generate(MIXED[0], config))
    assert model.load_count == 2


def test_text_only_model(tiny_text_llama: Path) -> None:
    model = _hf(tiny_text_llama)
    convs = [[Message("system", "be brief"), Message("user", "hello there")], MIXED[0]]
    results = _batch(model, convs, GenerateConfig(max_tokens=5))
    assert isinstance(results[0], Generation) and results[0].ok
    assert isinstance(results[1], InputError) and "text-only" in str(results[1])
    described = model.describe()
    assert described["multimodal"] is False and described["chat_template"] == "tokenizer"


def test_unloadable_checkpoint_fails_fast(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    model = _hf(tmp_path)
    results = _batch(model, MIXED[:2], GenerateConfig(max_tokens=2))
    assert all(isinstance(r, LoadError) for r in results)
    assert isinstance(results[0], ModelCallError) and not results[0].transient
    _batch(model, MIXED[:1], GenerateConfig(max_tokens=2))
    assert model.load_count == 1  # the failure is remembered, not retried per batch


def test_describe_never_holds_the_token(tiny_llava: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "hf_SECRET_abcdef0123456789"
    monkeypatch.setenv("HF_TOKEN", secret)
    model = _hf(tiny_llava, extra={"revision": "main"})
    asyncio.run(model.generate(MIXED[0], GenerateConfig(max_tokens=2)))
    described = model.describe()
    assert described["revision"] == "main" and described["batch_size"] == 4
    assert "commit" in described
    assert secret not in repr(described) + repr(model.cache_identity()) + repr(model.options)


def test_system_turn_folded_when_template_rejects_it(tiny_llava: Path) -> None:
    model = _hf(tiny_llava)
    asyncio.run(model.load())
    loaded = model._loaded
    assert loaded is not None
    loaded.processor.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system') }}{% endif %}"
        "{{ m['role'] }}: {% for c in m['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}{% endif %}"
        "{% endfor %}{% endfor %}"
    )
    prompt = render_prompt(loaded, [Message("system", "SYS"), Message("user", "hello")])
    assert prompt == "user: SYS\n\nhello"


def test_truncate_at_stop() -> None:
    assert truncate_at_stop("abc STOP def END", ["END", "STOP"]) == "abc "
    assert truncate_at_stop("abc", ["x", ""]) == "abc"
    assert truncate_at_stop("abc", []) == "abc"


def test_resolve_dtype() -> None:
    assert resolve_dtype(None, "cpu") == "float32"
    assert resolve_dtype("auto", "cpu") == "float32"
    assert resolve_dtype("bfloat16", "cpu") == "bfloat16"
    from multitrust.errors import ConfigError

    with pytest.raises(ConfigError):
        resolve_dtype("int3", "cpu")
    with pytest.raises(ConfigError):
        get_model("hf/some/model", ModelOptions(dtype="int3"))


def test_images_are_downscaled_to_max_side() -> None:
    big = _png((1, 2, 3), (300, 120))
    [pil] = load_images([Message("user", "x", (big,))], max_side=100)
    assert pil.size == (100, 40)
    [same] = load_images([Message("user", "x", (big,))], max_side=None)
    assert same.size == (300, 120)
    with pytest.raises(InputError):
        load_images([Message("user", "x", (CORRUPT,))], max_side=None)


def test_commit_read_from_the_hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    from multitrust.models.hf import checkpoint_commit

    sha = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "models--org--tiny"
    (repo / "snapshots" / sha).mkdir(parents=True)
    (repo / "snapshots" / sha / "config.json").write_text("{}")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    assert checkpoint_commit("org/tiny", ModelOptions()) == sha
    assert checkpoint_commit(str(repo / "snapshots" / sha), ModelOptions()) == sha
    assert checkpoint_commit("org/absent", ModelOptions()) is None
    assert checkpoint_commit(str(tmp_path), ModelOptions()) is None


def test_load_error_never_shows_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from multitrust.models import hf

    secret = "hf_SECRET_zyx987"
    monkeypatch.setenv("HF_TOKEN", secret)

    def leaky(*args: object, **kwargs: object) -> None:
        raise OSError(f"401 for token {secret}")

    monkeypatch.setattr(hf, "_load_checkpoint", leaky)
    [result] = _batch(_hf(tmp_path / "x"), MIXED[:1], GenerateConfig(max_tokens=2))
    assert isinstance(result, LoadError)
    assert secret not in str(result) and "***" in str(result)


def test_local_dir_loads_without_offline_mode_or_network(
    tiny_idefics3: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as if the user never set HF_HUB_OFFLINE, with every outgoing connection refused
    import socket

    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    assert not huggingface_hub.constants.is_offline_mode()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access while loading a local directory")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    gen = asyncio.run(_hf(tiny_idefics3).generate(MIXED[0], GenerateConfig(max_tokens=2)))
    assert gen.ok


def test_template_failure_fails_only_its_conversation(tiny_llava: Path) -> None:
    model = _hf(tiny_llava)
    asyncio.run(model.load())
    assert model._loaded is not None
    model._loaded.processor.chat_template = (
        "{% for m in messages %}{% if 'boom' in m['content'][-1]['text'] %}"
        "{{ raise_exception('bad turn') }}{% endif %}{{ m['content'][-1]['text'] }}{% endfor %}"
    )
    results = _batch(model, [[Message("user", "boom")], MIXED[1][1:]], GenerateConfig(max_tokens=2))
    assert isinstance(results[0], InputError) and "bad turn" in str(results[0])
    assert isinstance(results[1], Generation) and results[1].ok
