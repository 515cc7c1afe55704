"""``--toxicity hf/<model>`` without torch: the head's numbers at the extremes, its one-line
errors word for word, how pending texts become batches, and what a checkpoint records."""

from __future__ import annotations

import asyncio
import hashlib
import math
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from multitrust._aio import within
from multitrust.errors import ConfigError
from multitrust.scoring.base import JudgeError
from multitrust.scoring.classifiers import ActionClassifier, _Loaded
from multitrust.scoring.toxicity_hf import (
    HFToxicity,
    ToxicHead,
    _dir_fingerprint,
    parse_hf_spec,
    toxic_head,
)

SOFT = toxic_head({0: "neutral", 1: "toxic"})
SIG = toxic_head({0: "toxicity"})


def test_scores_stay_exact_at_extreme_logits() -> None:
    # a sigmoid of a huge logit, either sign, is 1 or 0 (never an overflow)
    assert SIG.score([1000.0]) == 1.0
    assert SIG.score([-1000.0]) == 0.0
    assert SIG.score([-2.0]) == round(1 / (1 + math.exp(2.0)), 6)
    # a softmax over huge logits: shifted by the largest before exp
    assert SOFT.score([1000.0, 0.0]) == 0.0
    assert SOFT.score([0.0, 1000.0]) == 1.0
    assert SOFT.score([800.0, 800.0 + math.log(3)]) == 0.75


def test_a_wrong_number_of_logits_is_named() -> None:
    with pytest.raises(ValueError, match=r"^expected 2 logits, got 3$"):
        SOFT.score([0.0, 0.0, 0.0])


def test_the_head_describes_how_it_scores() -> None:
    assert SOFT.describe() == "softmax mass on toxic"
    many = toxic_head({0: "hate", 1: "neither", 2: "offensive"})
    assert many.describe() == "softmax mass on hate, offensive"
    bert = toxic_head({0: "toxic", 1: "insult", 2: "threat"}, "multi_label_classification")
    assert bert.describe() == "largest sigmoid of toxic, insult, threat"
    assert ToxicHead("sigmoid", (1,), ("a", "b")).describe() == "largest sigmoid of b"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: toxic_head({}), "the model: its config has no usable id2label (labels 0..n-1)"),
        (
            lambda: toxic_head({0: "neutral", 1: "toxic"}, activation="tanh"),
            "the model: activation must be sigmoid or softmax, not 'tanh'",
        ),
        (
            lambda: toxic_head({0: "neutral", 1: "normal"}),
            "the model: every label (neutral, normal) reads as not toxic; name the toxic one "
            "with hf/<model>#<label>",
        ),
        (
            lambda: toxic_head({0: "LABEL_0", 1: "LABEL_1"}),
            "the model: cannot tell which of its labels (LABEL_0, LABEL_1) is toxic; name it "
            "with hf/<model>#<label>, or add #sigmoid if each label is its own probability",
        ),
        (
            lambda: toxic_head({0: "neutral", 1: "toxic"}, labels=["insult"]),
            "the model: label 'insult' is not one of its labels (neutral, toxic)",
        ),
        # an output index must be one of the outputs
        (
            lambda: toxic_head({0: "neutral", 1: "toxic"}, labels=["2"]),
            "the model: label '2' is not one of its labels (neutral, toxic)",
        ),
    ],
)
def test_a_head_error_word_for_word(call: Any, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        call()
    assert str(info.value) == message


def test_an_output_index_names_a_label() -> None:
    assert toxic_head({0: "neutral", 1: "toxic"}, labels=["1"]).toxic == (1,)
    assert toxic_head(
        {0: "a", 1: "b", 2: "c"}, "multi_label_classification", labels=["2"]
    ).toxic == (2,)


# -- batching (the model replaced by a recorder) ---------------------------------------------------


def _fake(batch_size: int, fail: Sequence[str] = ()) -> tuple[HFToxicity, list[list[str]]]:
    """An HFToxicity whose blocking scorer records each call's texts (no checkpoint)."""
    clf = HFToxicity("hf/org/model", batch_size=batch_size)
    seen: list[list[str]] = []

    def score_sync(texts: Sequence[str]) -> list[float]:
        seen.append(list(texts))
        if any(t in fail for t in texts):
            raise RuntimeError("CUDA out of memory")
        return [len(t) / 100 for t in texts]

    clf.score_sync = score_sync  # type: ignore[method-assign]
    return clf, seen


async def _all(clf: HFToxicity, texts: Sequence[str]) -> list[Any]:
    calls = asyncio.gather(*(clf.score(t) for t in texts), return_exceptions=True)
    return list(await within(calls, 30))


def test_pending_texts_go_eight_batches_at_a_time() -> None:
    clf, seen = _fake(batch_size=2)
    texts = [f"text {i:02d}" for i in range(19)]
    assert asyncio.run(_all(clf, texts)) == [0.07] * 19
    assert seen == [texts[:16], texts[16:]]


def test_a_failed_call_fails_its_texts_and_the_next_pending_ones_still_run() -> None:
    clf, seen = _fake(batch_size=1, fail=("bad",))
    texts = ["bad", *(f"t{i}" for i in range(9))]
    out = asyncio.run(_all(clf, texts))
    assert seen == [texts[:8], texts[8:]]
    errors, values = out[:8], out[8:]
    assert all(isinstance(e, JudgeError) for e in errors)
    assert {str(e) for e in errors} == {
        "toxicity model org/model: RuntimeError: CUDA out of memory"
    }
    assert values == [0.02, 0.02]


def test_texts_left_pending_by_a_closed_loop_are_not_scored_in_the_next() -> None:
    clf, seen = _fake(batch_size=4)

    loop = asyncio.new_event_loop()
    try:  # one turn of a loop: the call is pending, its batch not started, when the loop ends
        left = loop.create_task(clf.score("left behind"))
        loop.call_soon(loop.stop)
        loop.run_forever()
        assert not left.done() and seen == []
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    finally:
        loop.close()
    assert seen == []
    assert asyncio.run(_all(clf, ["next"])) == [0.04]
    assert seen == [["next"]]


def test_texts_of_similar_length_share_a_forward_pass() -> None:
    clf = HFToxicity("hf/org/model", batch_size=2)
    clf.head = SOFT  # settled: no config to read
    clf._loaded = _Loaded(model=None, tokenizer=None, device="cpu")  # loaded: no weights
    batches: list[list[str]] = []

    def forward(loaded: _Loaded, head: ToxicHead, texts: Sequence[str]) -> list[float]:
        batches.append(list(texts))
        return [len(t) / 10 for t in texts]

    clf._forward = forward  # type: ignore[method-assign]
    texts = ["a" * 5, "b", "", "c" * 4, "dd", "eee"]
    assert clf.score_sync(texts) == [0.5, 0.1, 0.0, 0.4, 0.2, 0.3]
    assert batches == [["b", "dd"], ["eee", "c" * 4], ["a" * 5]]


# -- identity --------------------------------------------------------------------------------------


def test_a_local_checkpoint_is_named_by_its_config_and_its_files(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_bytes(b'{"a": 1}')
    (tmp_path / "model.safetensors").write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    h = hashlib.sha256(b'{"a": 1}')
    h.update(b"config.json:8")
    h.update(b"model.safetensors:10")
    assert _dir_fingerprint(tmp_path) == "dir:" + h.hexdigest()[:16]
    assert _dir_fingerprint(tmp_path / "nope") is None


def test_a_local_checkpoint_records_what_it_runs_on() -> None:
    clf = ActionClassifier("org/m", device="cpu", dtype="float32", batch_size=3)
    assert clf.describe() == {
        "classifier": "ActionClassifier",
        "model": "org/m",
        "device": "cpu",
        "dtype": "float32",
        "batch_size": 3,
    }
    clf._loaded = _Loaded(model=None, tokenizer=None, device="cuda:1")  # where it was placed
    assert clf.describe()["device"] == "cuda:1"


# -- the spec and the defaults ---------------------------------------------------------------------


def test_spec_edges() -> None:
    assert parse_hf_spec("hf/m") == ("m", (), None)
    assert parse_hf_spec("hf/m#,toxic,") == ("m", ("toxic",), None)  # empty parts are skipped
    assert parse_hf_spec("hf/m#sigmoid,SIGMOID") == ("m", (), "sigmoid")  # the same one twice
    with pytest.raises(ConfigError) as info:
        parse_hf_spec("hf/")
    assert str(info.value) == "--toxicity 'hf/': expected hf/<model id or directory>"


def test_the_local_model_defaults() -> None:
    clf = HFToxicity("hf/org/m")
    assert (clf.batch_size, clf.options.dtype, clf.max_length) == (32, "float32", None)
    assert HFToxicity("hf/org/m", dtype="bfloat16").options.dtype == "bfloat16"


# -- check(): the config read at plan time (transformers replaced by a recorder) --------------------


class _Auto:
    """Stands for AutoConfig and AutoTokenizer: records each load, returns ``config``."""

    def __init__(self, config: object = None, error: Exception | None = None) -> None:
        self.config, self.error = config, error
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def from_pretrained(self, name: str, **kw: Any) -> object:
        self.calls.append((name, kw))
        if self.error is not None:
            raise self.error
        return self.config


def _transformers(
    monkeypatch: pytest.MonkeyPatch, config: object = None, error: Exception | None = None
) -> tuple[_Auto, _Auto]:
    cfg, tok = _Auto(config, error), _Auto(object())
    monkeypatch.setitem(
        sys.modules, "transformers", SimpleNamespace(AutoConfig=cfg, AutoTokenizer=tok)
    )
    monkeypatch.setitem(
        sys.modules, "huggingface_hub", SimpleNamespace(try_to_load_from_cache=lambda *a, **k: None)
    )
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return cfg, tok


TWO = SimpleNamespace(id2label={0: "neutral", 1: "toxic"}, problem_type=None)


def test_check_settles_the_head_from_the_config_and_the_spec(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _transformers(monkeypatch, TWO)
    assert HFToxicity("hf/org/m").check() == ToxicHead("softmax", (1,), ("neutral", "toxic"))
    forced = HFToxicity("hf/org/m#sigmoid")
    assert forced.check() == ToxicHead("sigmoid", (1,), ("neutral", "toxic"))
    assert forced.describe() == {
        "backend": "hf",
        "model": "org/m",
        "weights": None,
        "activation": "sigmoid",
        "toxic_labels": ["toxic"],
    }
    # a config without problem_type (older checkpoints) is read as one label per text
    _transformers(monkeypatch, SimpleNamespace(id2label={0: "neutral", 1: "toxic"}))
    assert HFToxicity("hf/org/m").check().activation == "softmax"


def test_check_errors_name_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    _transformers(monkeypatch, SimpleNamespace(id2label={0: "LABEL_0", 1: "LABEL_1"}))
    with pytest.raises(ConfigError) as info:
        HFToxicity("hf/org/m").check()
    assert str(info.value).startswith("--toxicity hf/org/m: cannot tell which of its labels")
    _transformers(monkeypatch, SimpleNamespace(problem_type=None))  # no id2label at all
    with pytest.raises(ConfigError) as info:
        HFToxicity("hf/org/m").check()
    assert (
        str(info.value) == "--toxicity hf/org/m: its config has no usable id2label (labels 0..n-1)"
    )


def test_a_checkpoint_that_cannot_load_is_one_line_with_its_cause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cause = "bad file\n   at   line 3 " + "x" * 300
    _transformers(monkeypatch, error=OSError(cause))
    with pytest.raises(ConfigError) as info:
        HFToxicity("hf/org/m").check()
    why = ("bad file at line 3 " + "x" * 300)[:240]
    assert str(info.value) == f"--toxicity hf/org/m: cannot load it (OSError: {why})"


def test_without_transformers_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)  # import fails
    with pytest.raises(ConfigError) as info:
        HFToxicity("hf/org/m").check()
    assert str(info.value) == (
        "--toxicity hf/org/m: needs torch and transformers: pip install 'multitrust[hf]'"
    )


def test_a_hub_model_is_loaded_with_the_token_and_named_by_its_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg, tok = _transformers(monkeypatch, TWO)
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    sha = "0123456789abcdef0123456789abcdef01234567"
    cached = f"/cache/models--org--m/snapshots/{sha}/config.json"
    monkeypatch.setitem(
        sys.modules,
        "huggingface_hub",
        SimpleNamespace(try_to_load_from_cache=lambda name, file, revision=None: cached),
    )
    clf = HFToxicity("hf/org/m")
    clf.check()
    assert cfg.calls[0][1]["token"] == "hf_secret"
    assert tok.calls[0][1]["token"] == "hf_secret"
    assert clf.fingerprint == sha


@pytest.mark.parametrize(
    "name",
    [
        "~/no-such-model-here",
        "./no-such-model",
        "/no-such-model",
        "/no/such/model",
        "no/such/model",
    ],
)
def test_a_path_that_is_no_directory_is_named_as_such(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _transformers(monkeypatch, TWO)  # were it read as a hub id, it would load
    with pytest.raises(ConfigError) as info:
        HFToxicity(f"hf/{name}").check()
    assert str(info.value) == f"--toxicity hf/{name}: no such directory"


# -- the input limit --------------------------------------------------------------------------------


def _limit(tokenizer_max: float, max_length: int | None = None, **config: Any) -> int:
    clf = ActionClassifier("org/m", max_length=max_length)
    model = SimpleNamespace(config=SimpleNamespace(**config))
    loaded = _Loaded(
        model=model, tokenizer=SimpleNamespace(model_max_length=tokenizer_max), device="cpu"
    )
    return clf._input_limit(loaded)


BIG = 1e30  # a tokenizer's "unset" sentinel


def test_the_input_limit_is_the_least_of_tokenizer_option_and_positions() -> None:
    assert _limit(BIG) == 1_000_000
    assert _limit(BIG, 100) == 100
    assert _limit(77, 100) == 77
    # BERT-style positions start at 0
    assert _limit(BIG, max_position_embeddings=512, model_type="bert", pad_token_id=0) == 512
    assert _limit(BIG, max_position_embeddings=512) == 512  # no model type: no offset
    # RoBERTa-style positions start after the padding index (1): 514 positions take 512 tokens
    assert _limit(BIG, max_position_embeddings=514, model_type="roberta", pad_token_id=1) == 512
    assert _limit(BIG, max_position_embeddings=514, model_type="xlm-roberta", pad_token_id=1) == 512
    assert _limit(BIG, max_position_embeddings=514, model_type="roberta", pad_token_id=None) == 513
    assert _limit(BIG, max_position_embeddings=514, model_type="roberta") == 513
    assert _limit(BIG, max_position_embeddings=600, model_type="longformer", pad_token_id=1) == 598


def test_the_toxicity_models_own_limit_counts() -> None:
    clf = HFToxicity("hf/org/m", max_length=100)
    model = SimpleNamespace(config=SimpleNamespace(max_position_embeddings=512))
    tokenizer = SimpleNamespace(model_max_length=BIG)
    assert clf._input_limit(_Loaded(model=model, tokenizer=tokenizer, device="cpu")) == 100


def test_longformer_takes_a_multiple_of_its_attention_window() -> None:
    lf: dict[str, Any] = {
        "max_position_embeddings": 4098,
        "model_type": "longformer",
        "pad_token_id": 1,
    }
    assert _limit(BIG, **lf, attention_window=[512] * 12) == 4096
    assert _limit(BIG, 1100, **lf, attention_window=[512] * 12) == 1024
    assert _limit(BIG, 1100, **lf, attention_window=256) == 1024
    assert _limit(BIG, 300, **lf, attention_window=[256, 512]) == 512  # never below one window
    assert _limit(BIG, 1100, **lf, attention_window=None) == 1100


def test_inputs_are_sent_to_the_models_device() -> None:
    torch = pytest.importorskip("torch")
    from transformers import BatchEncoding

    seen: list[str] = []

    class Model:
        device = torch.device("meta")
        config = SimpleNamespace()

        def __call__(self, input_ids: Any) -> Any:
            seen.append(str(input_ids.device))
            return SimpleNamespace(logits=input_ids)

    def tokenizer(texts: list[str], **kw: Any) -> BatchEncoding:
        return BatchEncoding({"input_ids": torch.zeros(len(texts), 3)})

    tokenizer.model_max_length = 8  # type: ignore[attr-defined]
    loaded = _Loaded(model=Model(), tokenizer=tokenizer, device="meta")
    ActionClassifier("org/m")._logits(loaded, ["a", "b"])
    assert seen == ["meta"]


# -- the shared checkpoint: loading, one call at a time --------------------------------------------


def _unloaded() -> ActionClassifier:
    clf = ActionClassifier("org/m", batch_size=2)
    clf._load_sync = lambda: _Loaded(model=None, tokenizer=None, device="cpu")  # type: ignore[method-assign]
    return clf


def test_a_batch_size_under_one_is_refused() -> None:
    with pytest.raises(ValueError) as info:
        ActionClassifier("org/m", batch_size=0)
    assert str(info.value) == "batch_size must be >= 1, got 0"


def test_every_load_is_counted() -> None:
    clf = _unloaded()
    first = clf.loaded_sync()
    assert clf.loaded_sync() is first and clf.load_count == 1
    clf._loaded = None  # unloaded (aclose): the next use loads again
    clf.loaded_sync()
    assert clf.load_count == 2


def test_calls_run_one_at_a_time() -> None:
    clf = _unloaded()
    started, release, second_ran = threading.Event(), threading.Event(), threading.Event()

    def first(loaded: _Loaded) -> str:
        started.set()
        release.wait(30)
        return "first"

    def second(loaded: _Loaded) -> str:
        second_ran.set()
        return "second"

    async def go() -> tuple[bool, list[str]]:
        a = asyncio.ensure_future(clf._run(first))
        assert await asyncio.to_thread(started.wait, 30)
        b = asyncio.ensure_future(clf._run(second))
        # while the first call holds the checkpoint the second must not start
        overlapped = await asyncio.to_thread(second_ran.wait, 0.5)
        release.set()
        return overlapped, list(await within(asyncio.gather(a, b), 30))

    assert asyncio.run(go()) == (False, ["first", "second"])


def test_a_classifier_serves_one_event_loop_after_another() -> None:
    clf = _unloaded()

    async def two_at_once() -> list[int]:
        calls = (clf._run(lambda loaded, x: x * 2, x) for x in (1, 2))
        return list(await within(asyncio.gather(*calls), 30))

    assert asyncio.run(two_at_once()) == [2, 4]
    assert asyncio.run(two_at_once()) == [2, 4]  # a new loop: a new lock, not the old one


def test_a_checkpoint_loads_on_its_device_in_its_dtype_with_the_hub_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from multitrust.models import hf

    calls: list[tuple[Any, ...]] = []
    model = SimpleNamespace(device="cuda:1")

    class Auto:
        @staticmethod
        def from_pretrained(name: str, **kw: Any) -> object:
            calls.append(("model", name, kw))
            return "raw model"

    tokenizer = _Auto("the tokenizer")
    monkeypatch.setitem(sys.modules, "transformers", SimpleNamespace(AutoTokenizer=tokenizer))

    def resolve_device(device: str | None) -> str:
        calls.append(("device", device))
        return "cuda:1"

    def resolve_dtype(dtype: str | None, device: str) -> str:
        calls.append(("dtype", dtype, device))
        return "bfloat16"

    monkeypatch.setattr(hf, "resolve_device", resolve_device)
    monkeypatch.setattr(hf, "resolve_dtype", resolve_dtype)
    monkeypatch.setattr(hf, "hub_kwargs", lambda name, o: {"token": "t", "revision": "r"})
    monkeypatch.setattr(hf, "model_kwargs", lambda d, t, o: {"dtype": t, "device_map": d})

    def place(raw: object, device: str, mkw: dict[str, Any]) -> object:
        calls.append(("place", raw, device, mkw))
        return model

    monkeypatch.setattr(hf, "place_model", place)
    clf = ActionClassifier("org/m", device="cuda:1", dtype="bf16")
    clf._auto_class = lambda: Auto  # type: ignore[method-assign]
    loaded = clf.loaded_sync()
    assert calls == [
        ("device", "cuda:1"),
        ("dtype", "bf16", "cuda:1"),
        (
            "model",
            "org/m",
            {"token": "t", "revision": "r", "dtype": "bfloat16", "device_map": "cuda:1"},
        ),
        ("place", "raw model", "cuda:1", {"dtype": "bfloat16", "device_map": "cuda:1"}),
    ]
    assert tokenizer.calls == [("org/m", {"token": "t", "revision": "r"})]
    assert (loaded.model, loaded.tokenizer, loaded.device) == (model, "the tokenizer", "cuda:1")
