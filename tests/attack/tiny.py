"""Tiny randomly initialised surrogates and images for the attack tests (no hub, no weights)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

WORDS = ["a", "photo", "of", "cat", "dog", "bomb", "car", "tree", "bird", "boat"]


def _tokenizer(max_len: int):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "[UNK]": 1, **{w: i + 2 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]", model_max_length=max_len
    ), len(vocab)


def tiny_clip(path: Path, *, seed: int = 0, image_size: int = 32, siglip: bool = False) -> Path:
    """Save a tiny random CLIP (or SigLIP) dual encoder with tokenizer and processor at ``path``."""
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, SiglipConfig, SiglipModel

    torch.manual_seed(seed)
    tokenizer, vocab = _tokenizer(8)
    text = dict(
        vocab_size=vocab,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=8,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=2,  # CLIP's legacy pooling (at the largest token id)
    )
    vision = dict(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=image_size,
        patch_size=8,
    )
    if siglip:
        model = SiglipModel(SiglipConfig(text_config=text, vision_config=vision))
    else:
        model = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16))
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    CLIPImageProcessor(
        size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size}
    ).save_pretrained(path)
    return path


def images(folder: Path, n: int, *, size: int = 32, seed: int = 0) -> list[str]:
    """``n`` smooth random RGB PNGs in ``folder``; their names."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = []
    for i in range(n):
        small = rng.integers(0, 256, size=(4, 4, 3), dtype=np.uint8)
        img = Image.fromarray(small, "RGB").resize((size, size), Image.Resampling.BILINEAR)
        name = f"img{i:02d}.png"
        img.save(folder / name)
        names.append(name)
    return names


def official_layout(root: Path, n: int, **kw: int) -> Path:
    """An official-layout R.4/R.5 input (clean images + label.json) with ``n`` images."""
    adv = root / "robustness" / "adv_nips"
    names = images(adv / "source" / "clean", n, **kw)
    classes = WORDS[3:]
    lines = [
        json.dumps(
            {"image_name": nm, "untarget": [classes[i % 7]], "target": [classes[(i + 3) % 7]]}
        )
        for i, nm in enumerate(names)
    ]
    (adv / "label.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root
