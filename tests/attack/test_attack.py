"""SSA-CommonWeakness on tiny random surrogates: bounds, direction, determinism, resume, and
the official layout it writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import torch
from PIL import Image

from multitrust import evaluate
from multitrust.data.attack import (
    AttackJob,
    AttackSettings,
    attack_batch,
    official_items,
    run_attack,
)
from multitrust.data.attack.run import Mode
from multitrust.data.attack.ssa_cwa import Spectrum
from multitrust.data.base import OfficialData
from multitrust.data.official.robustness import adv_nips
from multitrust.errors import ConfigError
from tests.attack import tiny

pytestmark = pytest.mark.hf

FAST = AttackSettings(steps=3, spectrum_samples=1)


def _batch(folder: Path, n: int = 2) -> torch.Tensor:
    names = tiny.images(folder, n)
    arrays = [np.array(Image.open(folder / nm).convert("RGB")) for nm in names]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float() / 255


def _files(root: Path) -> dict[str, bytes]:
    adv = root / "robustness" / "adv_nips"
    return {
        str(p.relative_to(adv)): p.read_bytes()
        for p in sorted(adv.rglob("*"))
        if p.is_file() and p.name != "attack-done.jsonl"
    }


def test_dct_is_orthonormal_and_inverts() -> None:
    spec = Spectrum()
    x = torch.rand(2, 3, 8, 12, dtype=torch.float64)
    c = spec.matrix(8, x)
    assert torch.allclose(c @ c.T, torch.eye(8, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(spec.idct(spec.dct(x)), x, atol=1e-12)
    scipy_fft = pytest.importorskip("scipy.fft")
    ref = scipy_fft.dctn(x.numpy(), axes=(-2, -1), norm="ortho")
    assert np.allclose(spec.dct(x).numpy(), ref, atol=1e-12)


@pytest.mark.parametrize("mode", ["untarget", "target"])
def test_objective_rises_and_stays_in_the_ball(
    tmp_path: Path, surrogates: list, mode: Mode
) -> None:
    x = _batch(tmp_path)
    labels = ["cat", "dog"] if mode == "untarget" else ["bomb", "car"]
    job = AttackJob(settings=AttackSettings(steps=10, spectrum_samples=2))
    trace: list[torch.Tensor] = []
    adv = attack_batch(
        x, labels, ["a", "b"], surrogates, job, mode, trace=lambda t, v: trace.append(v)
    )
    sign = -1 if mode == "untarget" else 1
    with torch.no_grad():
        clean = torch.stack(
            [sign * (s.embed_images(x) * s.embed_texts(labels)).sum(-1) for s in surrogates]
        )
    values = torch.stack(trace)  # (steps, surrogates, images)
    assert values.shape == (10, 2, 2)
    ensemble = values.sum(1)  # per image, over the iterations
    assert (ensemble[0] > clean.sum(0)).all()
    assert (ensemble[-1] > ensemble[0] + 0.1).all()
    assert (ensemble[5:].mean(0) > ensemble[:5].mean(0)).all()
    eps = job.settings.epsilon
    assert (adv - x).abs().max() <= eps + 1e-6
    assert adv.min() >= 0 and adv.max() <= 1
    q = (adv * 255).round().to(torch.int16)
    assert (q - (x * 255).round().to(torch.int16)).abs().max() <= 16


def test_written_images_are_within_epsilon_and_read_by_the_official_loader(
    tmp_path: Path, surrogates: list
) -> None:
    src = tiny.official_layout(tmp_path / "in", 3)
    items = official_items(src)
    summary = run_attack(
        items, tmp_path / "out", surrogates, AttackJob(settings=FAST, batch_size=2)
    )
    assert (summary.total, summary.attacked, summary.done_before) == (3, 3, 0)
    adv = tmp_path / "out" / "robustness" / "adv_nips" / "source"
    for item in items:
        clean = np.array(Image.open(item.path).convert("RGB"), dtype=np.int16)
        assert np.array_equal(
            np.array(Image.open(adv / "clean" / item.name), dtype=np.int16), clean
        )
        for sub in ("untarget", "target"):
            out = np.array(Image.open(adv / sub / item.name), dtype=np.int16)
            assert out.shape == clean.shape
            assert 0 < np.abs(out - clean).max() <= 16
    data = OfficialData(tmp_path / "out")
    r4 = list(adv_nips(data, ("clean", "untarget")))
    r5 = list(adv_nips(data, ("target",)))
    assert [s.target for s in r4] == [i.label for i in items for _ in (0, 1)]
    assert [s.target for s in r5] == [i.target for i in items]
    assert str(r5[0].images[0].path).endswith(f"target/{items[0].name}")
    # and multitrust eval --data OUT --tasks R.4,R.5 runs on it
    rep = evaluate(
        "scripted/oracle",
        ["R.4", "R.5"],
        data=str(tmp_path / "out"),
        db=tmp_path / "run.db",
        judge="scripted/judge-yes",
    )
    for tid in ("R.4", "R.5"):
        assert rep.tasks[tid].status == "ok", rep.tasks[tid].reason
        assert rep.tasks[tid].score == pytest.approx(100.0)
    done = [
        json.loads(line) for line in (adv.parent / "attack-done.jsonl").read_text().splitlines()
    ]
    sims = done[0]["similarity"][surrogates[0].name]
    assert set(sims) == {
        f"{k}_to_{r}" for k in ("clean", "untarget", "target") for r in ("label", "target")
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, surrogates: list) -> None:
    src = tiny.official_layout(tmp_path / "in", 2)
    items = official_items(src)
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        run_attack(items, tmp_path / name, surrogates, AttackJob(settings=FAST, seed=seed))
    a, b, c = (_files(tmp_path / n) for n in "abc")
    assert a == b
    assert a["source/untarget/img00.png"] != c["source/untarget/img00.png"]
    assert a["source/clean/img00.png"] == c["source/clean/img00.png"]


def test_a_killed_run_resumes_to_the_same_bytes(tmp_path: Path, surrogates: list) -> None:
    src = tiny.official_layout(tmp_path / "in", 3)
    items = official_items(src)
    job = AttackJob(settings=FAST, batch_size=2)
    run_attack(items, tmp_path / "whole", surrogates, job)

    def stop_after_first(item: object, skipped: bool) -> None:
        raise KeyboardInterrupt  # killed right after the first image's files and record

    with pytest.raises(KeyboardInterrupt):
        run_attack(items, tmp_path / "cut", surrogates, job, on_image=stop_after_first)
    adv = tmp_path / "cut" / "robustness" / "adv_nips"
    assert (
        not (adv / "label.json").exists()
        or len(list(adv_nips(OfficialData(tmp_path / "cut"), ("target",)))) <= 1
    )
    assert sorted(p.name for p in (adv / "source" / "target").iterdir()) == ["img00.png"]
    # a record cut short by the kill is ignored, not fatal
    with (adv / "attack-done.jsonl").open("a") as f:
        f.write('{"image_name": "img0')
    seen: list[tuple[str, bool]] = []
    summary = run_attack(
        items, tmp_path / "cut", surrogates, job, on_image=lambda i, s: seen.append((i.name, s))
    )
    assert seen == [("img00.png", True), ("img01.png", False), ("img02.png", False)]
    assert (summary.done_before, summary.attacked) == (1, 2)
    assert _files(tmp_path / "cut") == _files(tmp_path / "whole")


def test_resuming_with_other_settings_is_refused(tmp_path: Path, surrogates: list) -> None:
    src = tiny.official_layout(tmp_path / "in", 1)
    items = official_items(src)
    run_attack(items, tmp_path / "out", surrogates[:1], AttackJob(settings=FAST))
    with pytest.raises(ConfigError, match="other settings \\(seed\\)"):
        run_attack(items, tmp_path / "out", surrogates[:1], AttackJob(settings=FAST, seed=3))
    with pytest.raises(ConfigError, match="surrogates"):
        run_attack(items, tmp_path / "out", surrogates, AttackJob(settings=FAST))


def test_image_reference_pushes_away_from_the_clean_embedding(
    tmp_path: Path, surrogates: list
) -> None:
    x = _batch(tmp_path, 1)
    job = AttackJob(settings=FAST, reference="image")
    adv = attack_batch(x, ["cat"], ["a"], surrogates, job, "untarget")
    with torch.no_grad():
        for s in surrogates:
            assert (s.embed_images(adv) * s.embed_images(x)).sum() < 0.999


def test_sharpness_aware_reverse_step_keeps_the_bounds(tmp_path: Path, surrogates: list) -> None:
    x = _batch(tmp_path, 1)
    settings = AttackSettings(steps=3, spectrum_samples=1, reverse_step=16 / 255 / 15)
    adv = attack_batch(x, ["bomb"], ["a"], surrogates, AttackJob(settings=settings), "target")
    assert (adv - x).abs().max() <= settings.epsilon + 1e-6
    assert adv.min() >= 0 and adv.max() <= 1


def test_surrogate_preprocessing_follows_the_checkpoint(surrogates: list) -> None:
    clip, siglip = surrogates
    assert clip.size == (32, 32) and siglip.siglip and not clip.siglip
    x = torch.rand(1, 3, 48, 40)  # resized inside, differentiably
    x.requires_grad_(True)
    emb = clip.embed_images(x)
    assert emb.shape == (1, 16)
    assert torch.allclose(emb.norm(dim=-1), torch.ones(1), atol=1e-5)
    emb.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    texts = siglip.embed_texts(["a photo of a cat", "dog"])
    assert torch.allclose(texts.norm(dim=-1), torch.ones(2), atol=1e-5)


def test_an_unreachable_hub_surrogate_is_one_config_error() -> None:
    from multitrust.data.attack import load_surrogate

    with pytest.raises(ConfigError, match=r"surrogate 'nobody/no-such-clip': cannot load \(") as e:
        load_surrogate("nobody/no-such-clip")
    assert "\n" not in str(e.value)


class _FakeOpenClip(torch.nn.Module):  # type: ignore[misc]
    """An open_clip-shaped model: encode_image / encode_text."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.visual = torch.nn.Linear(3 * 16 * 16, 8)
        self.text = torch.nn.Embedding(50, 8)
        self.seen: list[torch.Tensor] = []

    def encode_image(self, x: torch.Tensor) -> torch.Tensor:
        self.seen.append(x.detach())
        return self.visual(x.flatten(1))

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.text(tokens).mean(1)


def test_open_clip_surrogates_use_the_models_own_preprocessing(monkeypatch, tmp_path) -> None:
    import types

    from multitrust.data.attack import load_surrogate

    calls: dict[str, Any] = {}
    model = _FakeOpenClip()

    def create_model(name, pretrained=None):
        calls["create"] = (name, pretrained)
        return model

    fake = types.SimpleNamespace(
        create_model=create_model,
        get_tokenizer=lambda name: lambda texts: torch.tensor([[len(t) % 50, 1] for t in texts]),
        get_model_preprocess_cfg=lambda m: {
            "size": (16, 16),
            "mean": (0.5,) * 3,
            "std": (0.25,) * 3,
        },
    )
    monkeypatch.setitem(__import__("sys").modules, "open_clip", fake)
    s = load_surrogate("open_clip:ViT-B-32/laion2b_s34b_b79k")
    assert calls["create"] == ("ViT-B-32", "laion2b_s34b_b79k")
    assert s.name == "open_clip:ViT-B-32/laion2b_s34b_b79k"
    x = torch.full((1, 3, 16, 16), 0.75)
    emb = s.embed_images(x)
    assert torch.allclose(model.seen[-1], torch.ones(1, 3, 16, 16))  # (0.75 - 0.5) / 0.25
    assert torch.allclose(emb.norm(dim=-1), torch.ones(1), atol=1e-5)
    s2 = load_surrogate("laion-vit-b-32")
    assert calls["create"] == ("hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K", None)
    adv = attack_batch(
        torch.rand(1, 3, 20, 20), ["cat"], ["a"], [s, s2], AttackJob(settings=FAST), "target"
    )
    assert adv.shape == (1, 3, 20, 20) and model.seen[-1].shape == (1, 3, 16, 16)
    monkeypatch.setitem(__import__("sys").modules, "open_clip", None)
    with pytest.raises(ConfigError, match=r"needs open_clip.*pip install 'multitrust\[attack\]'"):
        load_surrogate("laion-vit-b-16")
