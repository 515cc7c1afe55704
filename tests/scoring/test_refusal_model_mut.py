"""The learned refusal component, pinned feature by feature (issue #25: mutation score).

The numpy features are checked against a plain-Python reading of the definition in the module
doc (one loop per n-gram, integers mod 2**64), on texts that reach every family and its edges;
the shipped weights file against the writer the training script uses; the linear model's sum,
threshold and width on small hand-made models.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import re
from itertools import pairwise

import numpy as np
import pytest

from multitrust.scoring._text import fold
from multitrust.scoring.refusal._model import (
    _MIX,
    _MUL,
    _N_SALT,
    _S_CHAR,
    _S_HEAD,
    _S_TAIL,
    _S_W1,
    _S_W2,
    _S_WH,
    _S_WT,
    _WORD_POW,
    BITS,
    CHAR_N,
    EDGE,
    EDGE_WORDS,
    RefusalModel,
    _data,
    features,
    load_model,
    weights_bytes,
)
from multitrust.scoring.refusal._reading import blank_quotes

M64 = (1 << 64) - 1


def _char_gram(cps: list[int], n: int) -> int:
    h = (cps[0] * int(_MUL[0])) & M64
    for k in range(1, n):
        h = ((h ^ (h >> 31)) + cps[k] * int(_MUL[k])) & M64
    return (h + int(_N_SALT[n])) & M64


def _word_hash(cps: list[int]) -> int:
    return sum(cp * int(_WORD_POW[min(i, 63)]) for i, cp in enumerate(cps)) & M64


def _is_word_char(cp: int) -> bool:
    return cp >= 128 or chr(cp).isalnum()


def reference_features(text: str, bits: int = BITS) -> list[int]:
    """The module doc's features, one n-gram at a time in plain Python."""
    low = " " + re.sub(r"\s+", " ", blank_quotes(fold(text))).strip() + " "
    cps = [ord(ch) for ch in low]
    hashes: list[int] = []

    def add(values: list[int], salt: np.uint64) -> None:
        hashes.extend((v + int(salt)) & M64 for v in values)

    for n in CHAR_N:
        grams = [_char_gram(cps[i : i + n], n) for i in range(len(cps) - n + 1)]
        add(grams, _S_CHAR)
        if n == 3:
            add(grams[:EDGE], _S_HEAD)
            add(grams[-EDGE:] if grams else [], _S_TAIL)
    words: list[int] = []
    run: list[int] = []
    for cp in [*cps, 32]:
        if _is_word_char(cp):
            run.append(cp)
        elif run:
            words.append(_word_hash(run))
            run = []
    add(words, _S_W1)
    add(words[:EDGE_WORDS], _S_WH)
    add(words[-EDGE_WORDS:] if words else [], _S_WT)
    bigrams = [((a * int(_MUL[5])) & M64) ^ ((b + int(_S_W2)) & M64) for a, b in pairwise(words)]
    hashes.extend(bigrams)
    add(bigrams[: EDGE_WORDS - 1], _S_WH)
    add(bigrams[-(EDGE_WORDS - 1) :] if bigrams else [], _S_WT)
    return sorted({((h * int(_MIX)) & M64) >> (64 - bits) for h in hashes})


TEXTS = [
    "",
    "a",
    "ab",
    "I",
    "no way",
    "I can't",
    "I cannot help with that request.",
    "!!! ... ???",
    "a\u0080b \u007f c",
    "I'm sorry, but I can't help with that. " * 4,
    " ".join(f"w{k}" for k in range(20)),
    "Sure! Here is the history of the Roman empire, from its founding in 27 BC to the fall of "
    "the western half in 476 AD, told in brief for a curious reader.",
    "对不起，我不能帮助你。",
    "The sign says 'I refuse' in red letters",
]


@pytest.mark.parametrize("text", TEXTS, ids=[f"text{k}" for k in range(len(TEXTS))])
def test_features_equal_the_plain_reading_of_their_definition(text: str) -> None:
    got = features(text)
    assert got.tolist() == reference_features(text)
    assert got.dtype == np.intp


def test_feature_families_of_a_tiny_answer() -> None:
    # " a ": one character 3-gram (anywhere, head, tail) and one word (anywhere, head, tail)
    assert len(features("a")) == 6
    # " ab ": two 3-grams (x3 families), one 4-gram, one word (x3)
    assert len(features("ab")) == 2 * 3 + 1 + 3
    # " a b ": three 3-grams (x3), two 4-grams, one 5-gram, two words (x3), one bigram (x3)
    assert len(features("a b")) == 3 * 3 + 2 + 1 + 2 * 3 + 3


def test_an_answer_with_no_features_indexes_nothing() -> None:
    weights = np.ones(1 << BITS, dtype=np.float32)
    for text in ("", " ", "\n\t "):
        idx = features(text)
        assert idx.shape == (0,)
        assert weights[idx].sum() == 0.0  # an empty index array of integers, not of floats


def test_a_c1_control_character_is_a_word_character() -> None:
    # U+0080 is outside the ASCII break table and inside a word, like any non-ASCII letter
    assert features("a\u0080b").tolist() == reference_features("a\u0080b")
    assert features("x \u0080 y").tolist() == reference_features("x \u0080 y")


# --------------------------------------------------------------------------- the shipped files


def test_the_shipped_weights_are_what_the_writer_writes_byte_for_byte() -> None:
    raw = _data("refusal_lr.npy.gz")
    model = load_model()
    # the float32 weights in memory hold the shipped float16 values exactly
    assert weights_bytes(model.weights.astype(np.float16)) == raw
    # and the writer's format: a gzip member without a timestamp holding a float16 .npy
    assert raw[4:8] == b"\0\0\0\0"
    arr = np.load(io.BytesIO(gzip.decompress(raw)), allow_pickle=False)
    assert arr.dtype == np.float16
    assert np.array_equal(arr.astype(np.float32), model.weights)


def test_the_writer_writes_float16_npy_gzipped_without_a_timestamp() -> None:
    w = np.array([0.5, -1.25, 3.0, 0.0], dtype=np.float16)
    blob = weights_bytes(w)
    assert blob[:2] == b"\x1f\x8b" and blob[4:8] == b"\0\0\0\0"
    arr = np.load(io.BytesIO(gzip.decompress(blob)), allow_pickle=False)
    assert arr.dtype == np.float16 and arr.tolist() == [0.5, -1.25, 3.0, 0.0]
    assert weights_bytes(w) == blob  # no clock in it


def test_the_model_is_read_from_package_data_on_each_fresh_load() -> None:
    meta = json.loads(_data("refusal_lr.json"))
    fresh = load_model.__wrapped__()  # past the cache: reads both files again
    assert fresh.bits == meta["bits"] and fresh.version == meta["version"]
    assert fresh.bias == meta["bias"] and fresh.threshold == meta["threshold"]
    assert np.array_equal(fresh.weights, load_model().weights)


# --------------------------------------------------------------------------- the linear model


def test_the_logit_reads_features_at_the_models_own_width() -> None:
    text = "I cannot help with that request."
    idx = features(text, 4)
    w = np.zeros(16, dtype=np.float32)
    w[idx] = 1.0
    model = RefusalModel(weights=w, bias=0.25, threshold=0.5, bits=4)
    assert model.logit(text) == pytest.approx(0.25 + len(idx) / math.sqrt(len(idx)))


def test_the_logit_sums_in_double_precision() -> None:
    # one large weight among ones: a float32 sum drops every 1 added to 2**24
    text = "no way"
    idx = features(text, 4)
    assert len(idx) > 2
    w = np.ones(16, dtype=np.float32)
    w[idx[0]] = 2.0**24
    model = RefusalModel(weights=w, bias=0.0, threshold=0.5, bits=4)
    assert model.logit(text) == (2.0**24 + len(idx) - 1) / math.sqrt(len(idx))


def test_a_probability_at_the_threshold_is_a_refusal() -> None:
    text = "I cannot help with that request."
    idx = features(text, 4)
    w = np.zeros(16, dtype=np.float32)
    w[idx] = 0.3
    base = RefusalModel(weights=w, bias=-0.1, threshold=0.5, bits=4)
    p = base.probability(text)
    assert 0.5 < p < 1.0
    at = RefusalModel(weights=w, bias=-0.1, threshold=p, bits=4)
    assert at.is_refusal(text)
    above = RefusalModel(weights=w, bias=-0.1, threshold=math.nextafter(p, 1.0), bits=4)
    assert not above.is_refusal(text)
