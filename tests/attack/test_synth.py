"""Synthetic R.4 / R.5: declared, built with the surrogates MULTITRUST_ATTACK_SURROGATES names
where they are on this machine, and skipped at plan time with the reason where they are not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.data.attack import PAPER_SURROGATES
from multitrust.data.attack import synth as adv_syn
from multitrust.data.base import SynthData
from multitrust.errors import Unavailable
from multitrust.tasks import get_task

ROOT = Path(__file__).resolve().parents[2]


def test_without_weights_the_synthetic_run_skips_r4_r5_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(adv_syn.ENV, raising=False)
    for tid in ("R.4", "R.5"):
        with pytest.raises(Unavailable, match=f"synth needs surrogate weights: set {adv_syn.ENV}"):
            get_task(tid).build(SynthData(size=2))
    rep = evaluate("scripted/oracle", "R.4,R.5,R.1", data="synth", size=2, db=tmp_path / "m.db")
    for tid in ("R.4", "R.5"):
        outcome = rep.tasks[tid]
        assert outcome.status == "skipped"
        assert adv_syn.ENV in (outcome.reason or "")
    assert rep.tasks["R.1"].status != "skipped"


def test_the_reason_names_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(adv_syn.ENV, f"{tmp_path / 'nope'},nobody/not-cached-clip")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reason = adv_syn.unavailable() or ""
    if "torch and transformers" in reason:
        pytest.skip("torch/transformers not installed")  # the reason says so itself
    assert "no such directory" in reason and "nobody/not-cached-clip is not downloaded" in reason
    monkeypatch.setenv(adv_syn.ENV, "paper")
    assert adv_syn.configured() == list(PAPER_SURROGATES)
    assert "openai-vit-l-14 is not downloaded" in (adv_syn.unavailable() or "")
    (tmp_path / "here").mkdir()
    monkeypatch.setenv(adv_syn.ENV, str(tmp_path / "here"))
    assert adv_syn.unavailable() is None
    assert adv_syn.identity().startswith(str(tmp_path / "here"))


CHILD = """
import json, numpy as np
from multitrust.data.base import SynthData
from multitrust.tasks import get_task
out = {}
for tid in ("R.4", "R.5"):
    spec = get_task(tid)
    assert spec.sources == ("official", "synth"), spec.sources
    samples = list(spec.build(SynthData(seed=0, size=2)).iter_samples())
    arrays = [np.asarray(s.images[0].load().convert("RGB"), dtype=np.int16) for s in samples]
    out[tid] = {
        "variants": [s.variant for s in samples],
        "targets": [s.target for s in samples],
        "true": [s.meta["true_label"] for s in samples],
        "shapes": [list(a.shape) for a in arrays],
        "arrays": [a.tolist() for a in arrays] if tid == "R.4" else None,
    }
print(json.dumps(out))
"""


@pytest.mark.hf
@pytest.mark.slow
def test_with_weights_the_synthetic_photos_are_attacked(tiny_dirs: tuple[Path, Path]) -> None:
    import numpy as np

    env = {
        **os.environ,
        adv_syn.ENV: ",".join(str(d) for d in tiny_dirs),
        adv_syn.STEPS_ENV: "2",
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    }
    res = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=600
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    r4, r5 = out["R.4"], out["R.5"]
    assert r4["variants"] == ["clean", "untarget", "clean", "untarget"]
    assert r4["targets"] == r4["true"]
    assert r5["variants"] == ["target", "target"]
    assert all(t != true for t, true in zip(r5["targets"], r5["true"], strict=True))
    clean, adv = (np.array(r4["arrays"][k]) for k in (0, 1))
    assert clean.shape == adv.shape
    assert 0 < np.abs(adv - clean).max() <= 16
