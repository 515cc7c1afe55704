"""Tiny random surrogates, built once per session (no hub, no weights)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Before anything imports transformers: with these unset a hub lookup retries for minutes.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny CLIP and a tiny SigLIP, saved as transformers checkpoints."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from tests.attack import tiny

    # one thread: on a shared 2-core machine torch's default two threads spin against each
    # other and the tiny attacks run 10-100x slower (benchmarks/attack.py --threads)
    torch.set_num_threads(1)

    root = tmp_path_factory.mktemp("surrogates")
    return tiny.tiny_clip(root / "clip", seed=1), tiny.tiny_clip(
        root / "siglip", seed=2, siglip=True
    )


@pytest.fixture(scope="session")
def surrogates(tiny_dirs: tuple[Path, Path]) -> list:
    from multitrust.data.attack import load_surrogate

    return [load_surrogate(str(d)) for d in tiny_dirs]
