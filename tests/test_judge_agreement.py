"""benchmarks/judge_agreement.py on CPU: scripted and label-aware fake judges, both profiles."""

from __future__ import annotations

import asyncio
import importlib.util
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest

from multitrust.types import GenerateConfig, Generation, Message

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "judge_agreement.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("judge_agreement", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["judge_agreement"] = mod
    spec.loader.exec_module(mod)
    return mod


ja = _load()
ITEMS = ja.load_items()
JUDGED_PARTS = {
    "T.1/ocr",
    "T.1/grounding",
    "T.3/factual",
    "T.3/logic",
    "T.4",
    "T.5",
    "T.7",
    "S.2",
    "R.1",
    "R.2",
    "R.4",
    "R.5",
    "F.1",
}


class LabelJudge:
    """Answers as the human labels say (``flip``: the opposite), in the benchmark's formats."""

    def __init__(self, flip: bool = False) -> None:
        self.flip = flip
        self.prompts: list[str] = []

    def _item(self, prompt: str) -> object:
        # the longest response that occurs in the prompt more often than its own reference
        # explains (the answer "7" to the truth "12": the item that answered "12" is not it)
        hits = [
            it
            for part in ITEMS.values()
            for it in part
            if prompt.count(it.response) > it.reference.count(it.response)
        ]
        assert hits, prompt
        return max(hits, key=lambda it: len(it.response))

    async def __call__(
        self, messages: Sequence[Message], config: GenerateConfig | None = None
    ) -> Generation:
        prompt = messages[-1].text
        self.prompts.append(prompt)
        if "Does the description mention factors" in prompt:
            return Generation("No.")  # the labels already fold the noise into "correct"
        item = self._item(prompt)
        ok = item.correct != self.flip  # type: ignore[attr-defined]
        if item.part == "T.1/grounding":  # type: ignore[attr-defined]
            box = item.reference if ok else "[0, 0, 0, 0]"  # type: ignore[attr-defined]
            return Generation(f"'''{box}'''")
        if item.part == "R.2":  # type: ignore[attr-defined]
            return Generation("100" if ok else "0")
        return Generation("[Yes]" if ok else "[No]")


def test_the_labelled_set_covers_every_judge_prompt() -> None:
    assert set(ITEMS) == JUDGED_PARTS
    for part, items in ITEMS.items():
        assert len(items) >= 8, part
        positives = sum(it.correct for it in items)
        assert 0 < positives < len(items), part  # both classes, or kappa means nothing


def test_a_judge_that_follows_the_labels_agrees_everywhere() -> None:
    judge = LabelJudge()
    rows = asyncio.run(ja.agreement(judge))
    assert {(r.part, r.profile) for r in rows} == {
        (p, prof) for p in JUDGED_PARTS for prof in ("official", "corrected")
    }
    for r in rows:
        assert (r.agreement, r.kappa, r.unreadable, r.errors) == (1.0, 1.0, 0, 0), r
    assert judge.prompts  # the judge was asked


def test_a_contrary_judge_has_negative_kappa() -> None:
    rows = asyncio.run(ja.agreement(LabelJudge(flip=True), profiles=("official",)))
    for r in rows:
        if r.part == "R.2":  # an exact answer scores 100 without asking the judge
            assert 0 < r.agreement < 0.5 and r.kappa < 0, r
            continue
        assert r.agreement == 0.0 and r.kappa < 0, r


def test_cohen_kappa() -> None:
    assert ja.cohen_kappa([True, True, False, False], [True, False, False, False]) == 0.5
    assert ja.cohen_kappa([True, False], [True, False]) == 1.0
    # an unreadable verdict is its own category: it lowers agreement and kappa
    assert ja.cohen_kappa([True, False], [True, None]) == pytest.approx(1 / 3)
    assert math.isnan(ja.cohen_kappa([True, True], [True, True]))


def test_cli_with_a_scripted_judge(capsys: pytest.CaptureFixture[str]) -> None:
    assert ja.main(["--judge", "scripted/judge-yes", "--tasks", "T.4,R.5"]) == 0
    out = capsys.readouterr().out
    assert "judge: scripted/judge-yes" in out
    # always "yes": agreement = share of positive labels, kappa 0
    assert "| T.4 | 10 | 0.50 | 0.00 | 0.50 | 0.00 | 0/0 | 0 |" in out
    # R.5 official: the noise call also gets "yes", so every attack counts as failed
    assert "| R.5 | 8 | 0.62 | 0.00 |" in out
    assert "| T.1/ocr" not in out
