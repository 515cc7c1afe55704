"""``--toxicity hf/<model>``: the label mapping (pure), and the local model on tiny random-weight
checkpoints built here (``hf``: needs torch + transformers; the hub is never reached)."""

from __future__ import annotations

import asyncio
import math
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from multitrust.errors import ConfigError
from multitrust.scoring.toxicity_hf import HFToxicity, parse_hf_spec, toxic_head

TOXIC_BERT = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
MULTI = "multi_label_classification"
TEXTS = [
    "you are a wonderful person",
    "I hate you, you stupid idiot",
    "",
    "the cat sits on the red mat and looks at the blue sky " * 3,
    "x " * 2000,  # far beyond the tiny model's positions: truncated, never an error
    "ok",
    "Sure, here is how " * 10,
]


def _sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# -- the label mapping (no torch) -----------------------------------------------------------------


def test_softmax_two_class_head_scores_the_toxic_mass() -> None:
    head = toxic_head({0: "neutral", 1: "toxic"})  # s-nlp/roberta_toxicity_classifier
    assert (head.activation, head.toxic) == ("softmax", (1,))
    assert head.score([0.0, 0.0]) == 0.5
    assert head.score([0.0, math.log(3)]) == pytest.approx(0.75)
    assert head.score([math.log(3), 0.0]) == pytest.approx(0.25)
    # the order of the labels comes from id2label, not from the names' order
    flipped = toxic_head({"0": "toxic", "1": "non-toxic"})
    assert flipped.toxic == (0,) and flipped.score([math.log(3), 0.0]) == pytest.approx(0.75)


def test_softmax_many_class_head_sums_every_toxic_label() -> None:
    head = toxic_head({0: "hate", 1: "offensive", 2: "neither"})
    assert head.toxic == (0, 1)
    assert head.score([0.0, 0.0, 0.0]) == pytest.approx(2 / 3, abs=1e-6)


def test_sigmoid_multi_label_head_takes_the_largest_label() -> None:
    head = toxic_head(dict(enumerate(TOXIC_BERT)), MULTI)  # unitary/toxic-bert
    assert head.activation == "sigmoid" and head.toxic == tuple(range(6))
    logits = [-2.0, -4.0, 1.0, -1.0, 0.5, -3.0]
    assert head.score(logits) == pytest.approx(_sig(1.0), abs=1e-6)  # obscene, not a sum
    only = toxic_head(dict(enumerate(TOXIC_BERT)), MULTI, labels=["toxic"])
    assert only.toxic == (0,) and only.score(logits) == pytest.approx(_sig(-2.0), abs=1e-6)
    two = toxic_head(dict(enumerate(TOXIC_BERT)), MULTI, labels=["INSULT", "3"])
    assert two.toxic == (4, 3) and two.score(logits) == pytest.approx(_sig(0.5), abs=1e-6)


def test_the_activation_follows_the_config_unless_named() -> None:
    labels = dict(enumerate(TOXIC_BERT))
    # no problem_type: one label per text, and six labels that all read as toxic
    with pytest.raises(ConfigError, match="or add #sigmoid"):
        toxic_head(labels)
    forced = toxic_head(labels, activation="sigmoid")
    assert forced.activation == "sigmoid" and forced.toxic == tuple(range(6))
    single = toxic_head({0: "toxicity"})  # one output: its sigmoid
    assert single.activation == "sigmoid" and single.score([0.0]) == 0.5
    with pytest.raises(ConfigError, match="needs sigmoid"):
        toxic_head({0: "toxicity"}, activation="softmax")


@pytest.mark.parametrize(
    ("id2label", "problem", "labels", "message"),
    [
        ({0: "LABEL_0", 1: "LABEL_1"}, None, (), "cannot tell which of its labels"),
        ({0: "neutral", 1: "normal"}, None, (), "reads as not toxic"),
        ({0: "neutral", 1: "toxic"}, None, ("insult",), "'insult' is not one of its labels"),
        ({0: "neutral", 1: "toxic"}, None, ("neutral", "toxic"), "cover every output"),
        ({}, None, (), "no usable id2label"),
        ({0: "a", 2: "b"}, None, (), "no usable id2label"),
    ],
)
def test_a_head_that_cannot_be_read_is_one_line_naming_the_labels(
    id2label: dict[int, str], problem: str | None, labels: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        toxic_head(id2label, problem, labels=labels, where="--toxicity hf/x")
    assert "\n" not in str(info.value) and str(info.value).startswith("--toxicity hf/x")


def test_a_named_label_settles_a_head_with_generic_names() -> None:
    head = toxic_head({0: "LABEL_0", 1: "LABEL_1"}, labels=["LABEL_1"])
    assert head.toxic == (1,) and head.score([0.0, math.log(3)]) == pytest.approx(0.75)
    # sigmoid heads with generic names: every head is a kind of toxicity
    assert toxic_head({0: "LABEL_0", 1: "LABEL_1"}, MULTI).toxic == (0, 1)


def test_parse_hf_spec() -> None:
    assert parse_hf_spec("hf/unitary/toxic-bert") == ("unitary/toxic-bert", (), None)
    assert parse_hf_spec("hf/./m#toxic, insult,SIGMOID") == ("./m", ("toxic", "insult"), "sigmoid")
    for bad in ("hf/", "hf/#toxic", "unitary/toxic-bert", "hf/m#softmax,sigmoid"):
        with pytest.raises(ConfigError, match="--toxicity"):
            parse_hf_spec(bad)


# -- the local model -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def softmax_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.models import tiny

    return tiny.build_toxicity_classifier(tmp_path_factory.mktemp("roberta-tox"))


@pytest.fixture(scope="module")
def sigmoid_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.models import tiny

    return tiny.build_toxicity_classifier(
        tmp_path_factory.mktemp("bert-tox"), labels=TOXIC_BERT, multi_label=True, arch="bert"
    )


def _set_head_bias(clf: HFToxicity, bias: list[float]) -> None:
    """Make the classifier's logits ``bias`` for every text (zero weights into the last layer)."""
    import torch

    model = clf.loaded_sync().model
    last = model.classifier.out_proj if hasattr(model.classifier, "out_proj") else model.classifier
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.tensor(bias))


async def _concurrently(clf: HFToxicity, texts: list[str]) -> list[float]:
    return list(await asyncio.gather(*(clf.score(t) for t in texts)))


@pytest.mark.hf
@pytest.mark.parametrize("which", ["softmax_dir", "sigmoid_dir"])
def test_batched_equals_one_by_one_and_loads_once(
    which: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(which)
    clf = HFToxicity(f"hf/{path}", batch_size=3)
    clf.check()
    assert clf.load_count == 0  # the plan reads the config and tokenizer, not the weights
    together = asyncio.run(_concurrently(clf, TEXTS))
    assert clf.load_count == 1
    # the answers arrived together: they shared forward passes of batch_size texts (an empty
    # text needs no model)
    assert clf.calls == math.ceil(len([t for t in TEXTS if t]) / 3)
    calls = clf.calls
    alone = [asyncio.run(clf.score(t)) for t in TEXTS]
    assert clf.calls == calls + len([t for t in TEXTS if t])  # an empty text needs no model
    assert together[TEXTS.index("")] == 0.0
    assert alone == together  # padding inside a batch changes no score
    assert all(0.0 <= v <= 1.0 for v in together)
    assert len(set(together)) > 1  # random weights, but the text matters
    again = HFToxicity(f"hf/{path}", batch_size=len(TEXTS))
    assert asyncio.run(_concurrently(again, TEXTS)) == together  # deterministic
    assert clf.load_count == 1 and again.load_count == 1


@pytest.mark.hf
def test_the_label_mapping_reaches_the_loaded_model(softmax_dir: Path, sigmoid_dir: Path) -> None:
    soft = HFToxicity(f"hf/{softmax_dir}")
    _set_head_bias(soft, [0.0, math.log(3)])  # P(toxic) = 0.75
    assert asyncio.run(_concurrently(soft, TEXTS[:2] + TEXTS[3:5])) == [0.75] * 4
    named = HFToxicity(f"hf/{softmax_dir}#neutral")
    _set_head_bias(named, [0.0, math.log(3)])
    assert asyncio.run(named.score("hello")) == 0.25
    sig = HFToxicity(f"hf/{sigmoid_dir}")
    bias = [-2.0, -4.0, 1.0, -1.0, 0.5, -3.0]
    _set_head_bias(sig, bias)
    assert asyncio.run(sig.score("hello")) == round(_sig(1.0), 6)
    toxic_only = HFToxicity(f"hf/{sigmoid_dir}#toxic")
    _set_head_bias(toxic_only, bias)
    assert asyncio.run(toxic_only.score("hello")) == round(_sig(-2.0), 6)
    assert toxic_only.describe()["toxic_labels"] == ["toxic"]


@pytest.mark.hf
def test_describe_is_what_decides_the_scores(softmax_dir: Path) -> None:
    a = HFToxicity(f"hf/{softmax_dir}", batch_size=2, device="cpu").describe()
    b = HFToxicity(f"hf/{softmax_dir}", batch_size=64).describe()
    assert a == b  # batch size and device never change the run's identity
    assert a["backend"] == "hf" and a["model"] == str(softmax_dir)
    assert a["activation"] == "softmax" and a["toxic_labels"] == ["toxic"]
    assert str(a["weights"]).startswith("dir:")
    assert HFToxicity(f"hf/{softmax_dir}#neutral").describe() != a


@pytest.mark.hf
def test_a_failed_batch_fails_its_samples_not_the_loop(
    softmax_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multitrust.scoring.base import JudgeError

    clf = HFToxicity(f"hf/{softmax_dir}", batch_size=2)

    def boom(loaded: Any, head: Any, texts: Any) -> list[float]:
        raise RuntimeError("CUDA out of memory")

    monkeypatch.setattr(clf, "_forward", boom)

    async def go() -> list[Any]:
        return list(
            await asyncio.gather(
                *(clf.score(t) for t in TEXTS[:2] + TEXTS[3:4]), return_exceptions=True
            )
        )

    errors = asyncio.run(go())
    assert len(errors) == 3
    assert all(isinstance(e, JudgeError) and "out of memory" in str(e) for e in errors)
    monkeypatch.undo()
    assert 0.0 <= asyncio.run(clf.score("hello")) <= 1.0  # the next batch runs


@pytest.mark.hf
def test_a_missing_or_invalid_checkpoint_is_one_line(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text("{not json")
    cases = {
        f"hf/{tmp_path}/nope": "no such directory",
        f"hf/{tmp_path}/empty": "no config.json",
        f"hf/{tmp_path}/broken": "cannot load it",
        "hf/no-such-org/no-such-model": "cannot load it",  # the hub is unreachable here
    }
    for spec, message in cases.items():
        with pytest.raises(ConfigError, match=message) as info:
            HFToxicity(spec).check()
        assert "\n" not in str(info.value) and str(info.value).startswith(f"--toxicity {spec}")


# -- in a run ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def safety_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.fixtures.official import build_official_fixture

    return build_official_fixture(tmp_path_factory.mktemp("data"), aspects=("safety",))


@pytest.mark.hf
def test_a_run_scores_s1_and_s3_with_one_model_loaded_once(
    softmax_dir: Path, safety_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multitrust.scoring.toxicity as tox
    from multitrust import evaluate

    opened: list[HFToxicity] = []

    class Recording(HFToxicity):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, **kw)
            opened.append(self)

    monkeypatch.setattr(tox, "HFToxicity", Recording)
    for k in ("OPENAI_API_KEY", "PERSPECTIVE_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    spec = f"hf/{softmax_dir}"
    rep = evaluate(
        "scripted/refuse", "S.1,S.3", data=str(safety_root), db=tmp_path / "s.db", toxicity=spec
    )
    (clf,) = opened  # one model for both tasks ...
    assert clf.load_count == 1  # ... loaded once
    assert clf.calls < rep.tasks["S.1"].n + rep.tasks["S.3"].n  # answers were batched
    for tid in ("S.1", "S.3"):
        out = rep.tasks[tid]
        assert out.status == "ok", out.reason
        assert (out.scorer or "").startswith(f"toxicity[hf:{softmax_dir}]+rta")
        assert f"--toxicity {spec}" in (out.deviation or "") and not out.comparable
        assert "not comparable with the paper" in (out.deviation or "")
        assert 0.0 < out.metrics["toxicity"] < 1.0
    # another head of the same checkpoint is another run, never a resume of the first
    again = evaluate(
        "scripted/refuse", "S.1", data=str(safety_root), db=tmp_path / "s.db", toxicity=spec
    )
    other = evaluate(
        "scripted/refuse",
        "S.1",
        data=str(safety_root),
        db=tmp_path / "s.db",
        toxicity=spec + "#neutral",
    )
    assert again.run_id == rep.run_id  # the same backend: the same run, resumed
    assert other.run_id != again.run_id
    assert other.tasks["S.1"].metrics["toxicity"] == pytest.approx(
        1 - again.tasks["S.1"].metrics["toxicity"], abs=1e-5
    )


@pytest.mark.hf
def test_a_bad_checkpoint_stops_the_run_at_plan_time_in_one_line(
    safety_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from multitrust import evaluate
    from multitrust.cli import main
    from multitrust.store import Store

    db = tmp_path / "s.db"
    missing = f"hf/{tmp_path}/no-such-model"
    with pytest.raises(ConfigError, match="no such directory"):
        evaluate("scripted/refuse", "S.1,T.6", data=str(safety_root), db=db, toxicity=missing)
    if db.exists():  # nothing was asked or scored
        with Store(db) as store:
            assert store.runs() == []
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(["eval", "-m", "scripted/refuse", "-t", "S.1", "--data", str(safety_root),
              "--db", str(db), "--toxicity", missing, "-q"])  # fmt: skip
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: --toxicity {missing}: no such directory"


@pytest.mark.hf
def test_stored_answers_are_rescored_by_a_local_model(
    softmax_dir: Path, safety_root: Path, tmp_path: Path
) -> None:
    pytest.importorskip("profanity_check")
    from typer.testing import CliRunner

    from multitrust.cli import app
    from multitrust.store import Store

    db = str(tmp_path / "s.db")
    common = ["-m", "scripted/refuse", "-t", "S.1", "--data", str(safety_root), "--db", db]
    first = CliRunner().invoke(app, ["eval", *common, "--toxicity", "profanity", "-q"])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(app, ["rescore", *common, "--toxicity", f"hf/{softmax_dir}"])
    assert again.exit_code == 0, again.output
    with Store(db) as store:
        runs = store.runs()
        assert len(runs) == 2  # the rescored run is its own run
        scorers = {
            r.run_id: {t["task_id"]: t["scorer"] for t in store.task_results(r.run_id)}
            for r in runs
        }
    names = sorted(s.get("S.1") or "" for s in scorers.values())
    assert names[0].startswith(f"toxicity[hf:{softmax_dir}]+rta")
    assert names[1].startswith("toxicity[profanity]+rta")
