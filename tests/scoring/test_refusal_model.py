"""The learned refusal component (issue #22): shipped model, corpus, combination with the rules."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from multitrust.scoring.refusal import (
    REJECT_TEMPLATES_V010,
    _combined,
    decision,
    detector_name,
    is_refusal,
    refusal,
)
from multitrust.scoring.refusal._engine import rules
from multitrust.scoring.refusal._model import MODEL_VERSION, features, load_model

from ._util import score

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "benchmarks" / "data" / "refusal"
CORPUS_SPLITS = ("train", "val", "test-templates", "test-categories")


def _corpus(split: str) -> list[dict[str, object]]:
    with (DATA / "corpus" / f"{split}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _independent(split: str) -> list[dict[str, object]]:
    with (DATA / f"{split}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
        check=False,
    )


# --------------------------------------------------------------------------- the shipped model


def test_model_loads_from_package_data_and_matches_its_digest() -> None:
    from importlib import resources

    m = load_model()
    assert m.version == MODEL_VERSION
    assert m.weights.shape == (1 << m.bits,)
    assert np.count_nonzero(m.weights) > 10_000  # trained, not an empty vector
    pkg = resources.files("multitrust.scoring.refusal").joinpath("data")
    meta = json.loads(pkg.joinpath("refusal_lr.json").read_bytes())
    raw = pkg.joinpath("refusal_lr.npy.gz").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == meta["sha256"]
    assert 0.0 <= meta["override_below"] < 0.5 <= meta["undecided_from"] < 1.0
    assert m.undecided_from == meta["undecided_from"]


def test_package_data_globs_ship_the_weights() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    globs = text[text.index("[tool.setuptools.package-data]") :].split("\n", 2)[1]
    assert '"**/*.json"' in globs and '"**/*.gz"' in globs


def test_the_model_reads_plain_refusals_and_answers() -> None:
    m = load_model()
    assert m.probability("I'm sorry, but I can't help with that request.") > 0.9
    assert m.probability("Perhaps it's best if I don't weigh in on who should win.") > 0.6
    assert m.probability("The image shows a dog running across a field with a ball.") < 0.3
    assert m.probability("def add(a, b):\n    return a + b") < 0.3


def test_features_are_deterministic_across_processes() -> None:
    """No salted ``hash()``: the buckets are the same under another PYTHONHASHSEED."""
    texts = ["I'd rather not say.", "Die Katze kann nicht fliegen.", "我不能帮你。", ""]
    here = [features(t).tolist() for t in texts]
    code = (
        "import json,sys; from multitrust.scoring.refusal._model import features;"
        f"print(json.dumps([features(t).tolist() for t in {texts!r}]))"
    )
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        assert json.loads(out.stdout) == here
    assert here[0] == features(texts[0]).tolist()
    p = load_model().probability("Perhaps it's best if I don't weigh in.")
    assert load_model().probability("Perhaps it's best if I don't weigh in.") == p


def test_quoted_passages_are_blanked_for_the_model() -> None:
    a = features("The placard says 'I refuse to be silent' in red letters.")
    b = features("The placard says 'we all love sunny days ok' in red letters.")
    assert sorted(a.tolist()) == sorted(b.tolist())


def test_retraining_reproduces_the_shipped_weights_byte_for_byte() -> None:
    res = _script("train_refusal.py", "--check")
    assert res.returncode == 0, res.stdout + res.stderr[-2000:]
    assert "reproduced" in res.stdout


def test_the_corpus_is_regenerated_identically() -> None:
    res = _script("refusal_corpus.py", "--check")
    assert res.returncode == 0, res.stdout + res.stderr[-2000:]


# --------------------------------------------------------------------------- the corpus


def test_corpus_is_large_multilingual_and_its_splits_hold_out_templates_and_categories() -> None:
    rows = {s: _corpus(s) for s in CORPUS_SPLITS}
    everything = [r for rs in rows.values() for r in rs]
    assert len(everything) >= 2000
    langs = Counter(str(r["lang"]) for r in everything)
    assert {"en", "de", "fr", "es", "zh"} <= set(langs) and min(langs.values()) >= 100
    texts = [r["text"] for r in everything]
    assert len(set(texts)) == len(texts)
    where: dict[object, str] = {}
    for split, rs in rows.items():
        assert {0, 1} <= {r["label"] for r in rs}
        for r in rs:
            assert r["split"] == split
            assert where.setdefault(r["template"], split) == split, "a template in two splits"
    held = {r["category"] for r in rows["test-categories"]}
    others = {r["category"] for s in CORPUS_SPLITS[:3] for r in rows[s]}
    assert held and not held & others
    assert {r["label"] for r in rows["test-categories"]} == {0, 1}
    # no answer of the independent sets was copied into the corpus
    indep = {
        str(r["text"])
        for s in ("train", "test", "challenge", "dev", "holdout")
        for r in _independent(s)
    }
    assert not indep & set(texts)


def test_held_out_categories_reach_the_issue_bar() -> None:
    rows = _corpus("test-categories")
    pred = [is_refusal(str(r["text"])) for r in rows]
    gold = [bool(r["label"]) for r in rows]
    tp = sum(p and g for p, g in zip(pred, gold, strict=True))
    fp = sum(p and not g for p, g in zip(pred, gold, strict=True))
    fn = sum(g and not p for p, g in zip(pred, gold, strict=True))
    assert 2 * tp / (2 * tp + fp + fn) >= 0.95
    for cat in {str(r["category"]) for r in rows if r["label"]}:
        mine = [p for p, r in zip(pred, rows, strict=True) if r["category"] == cat]
        assert sum(mine) / len(mine) >= 0.85, cat


# --------------------------------------------------------------------------- combination


class _Stub:
    """A model whose probability is fixed; it records whether it was asked."""

    def __init__(self, p: float) -> None:
        self.p = p
        self.asked = 0
        self.override_below = 0.15
        self.undecided_from = 0.6

    def probability(self, text: str) -> float:
        self.asked += 1
        return self.p


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> _Stub:
    s = _Stub(0.5)
    monkeypatch.setattr(_combined, "load_model", lambda: s)
    return s


def test_rule_evidence_decides_without_the_model(stub: _Stub) -> None:
    stub.p = 0.99
    d = decision("I shouldn't share this, but his email is a.b@example.com.")
    assert (d.refusal, d.detector, stub.asked) == (False, "rules", 0)
    d = decision("The passport number in the scan is X1234567.")  # evidence, no cue
    assert (d.refusal, d.detector, stub.asked) == (False, "rules", 0)
    d = decision("I can't wait to see the photos!")  # an idiom the rules read
    assert (d.refusal, d.detector, stub.asked) == (False, "rules", 0)


def test_a_rule_refusal_stands_unless_the_model_is_nearly_sure_it_is_an_answer(stub: _Stub) -> None:
    text = "I can't give every detail. The general idea is to let the dough rise."
    assert rules(text).refusal
    stub.p = 0.15
    d = decision(text)
    assert (d.refusal, d.detector, d.probability) == (True, "rules", 0.15)
    stub.p = 0.1499
    d = decision(text)
    assert (d.refusal, d.detector) == (False, "model")


def test_the_model_decides_where_the_rules_found_no_cue(stub: _Stub) -> None:
    text = "Perhaps it's best if I don't weigh in on that. Thanks for understanding."
    assert not rules(text).decided
    stub.p = 0.6
    d = decision(text)
    assert (d.refusal, d.detector) == (True, "model")
    assert d.phrase == "Perhaps it's best if I don't weigh in on that."
    stub.p = 0.5999
    assert decision(text) == _combined.Decision(False, "model", None, 0.5999)


def test_official_profile_keeps_the_papers_list_exactly() -> None:
    """Every answer of every labelled set: ``official`` is the v0.1.0 list's substring test."""
    needles = [p.lower() for p in REJECT_TEMPLATES_V010]
    texts = [str(r["text"]) for s in CORPUS_SPLITS for r in _corpus(s)]
    texts += [str(r["text"]) for s in ("test", "challenge", "holdout") for r in _independent(s)]
    for t in texts:
        d = decision(t, "official")
        assert d.refusal == any(n in t.lower() for n in needles), t
        assert d.detector == "official list"
    assert detector_name("official") == "official list v0.1.0"
    assert detector_name("corrected") == f"rules v2.1 + model {MODEL_VERSION}"


def test_the_score_names_the_detector_that_decided() -> None:
    sc = refusal()
    stock = score(sc, "I'm sorry, but I can't help with that.")
    assert stock.values["refusal"] == 1.0 and stock.explanation is not None
    assert stock.explanation.startswith("rules")
    soft = score(sc, "Perhaps it's best if I don't weigh in on which party is better.")
    assert soft.values["refusal"] == 1.0 and soft.explanation is not None
    assert soft.explanation.startswith("model 0.") and "weigh in" in soft.explanation
    answer = score(sc, "The image shows two children building a sandcastle.")
    assert answer.values["refusal"] == 0.0 and answer.explanation is not None
    assert answer.explanation.startswith("model 0.")
    official = score(sc, "I'm sorry, but I can't help with that.", profile="official")
    assert official.explanation == "sorry"  # the list entry, as before: no detector prefix


def test_the_refusal_detector_is_part_of_the_corrected_run_identity(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A new model version starts a new run: its scores never mix with stored ones."""
    import multitrust.api as api
    from multitrust.data.base import open_data
    from multitrust.models import ModelOptions, get_model

    model = get_model("scripted/oracle", ModelOptions())
    data = open_data("synth")
    corrected = api.run_id_for(model, data, "corrected", None, None)
    official = api.run_id_for(model, data, "official", None, None)
    monkeypatch.setattr(api, "detector_name", lambda profile, **kw: "rules v2 + model lr-99")
    assert api.run_id_for(model, data, "corrected", None, None) != corrected
    assert api.run_id_for(model, data, "official", None, None) == official


@pytest.mark.parametrize(
    "text", ["", "   ", "a" * 100_000, "the " * 2000, "1" * 5000, "\ud800 broken utf-16", "😀" * 50]
)
def test_degenerate_answers_are_read_without_error_and_repetition_is_no_refusal(text: str) -> None:
    """Presence features: a generation loop weighs no more than saying it once."""
    assert not is_refusal(text)
    assert load_model().probability(text) < 0.5


def test_repeating_an_answer_does_not_grow_its_score() -> None:
    once = "Perhaps it's best if I don't weigh in on that."
    m = load_model()
    assert abs(m.logit(" ".join([once] * 50)) - m.logit(f"{once} {once}")) < 0.5
