"""Fixtures for the Hugging Face backend tests: tiny models built once per session."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

# Before anything imports transformers: with these unset a hub lookup retries for minutes.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def _built(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], Path]) -> Path:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    return build(factory.mktemp(name))


@pytest.fixture(scope="session")
def tiny_llava(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.models import tiny

    return _built(tmp_path_factory, "llava", tiny.build_llava)


@pytest.fixture(scope="session")
def tiny_idefics3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.models import tiny

    return _built(tmp_path_factory, "idefics3", tiny.build_idefics3)


@pytest.fixture(scope="session")
def tiny_text_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.models import tiny

    return _built(tmp_path_factory, "text-llama", tiny.build_text_llama)
