"""Failure thumbnails are made once per image per store, whichever run first needs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.report import gallery
from multitrust.report.gallery import thumbnail
from multitrust.store import Store
from multitrust.types import Image


def test_a_second_model_in_the_same_store_reuses_the_thumbnails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    real = thumbnail

    def counting(image: Image) -> bytes | None:
        made.append(image.sha256)
        return real(image)

    monkeypatch.setattr(gallery, "thumbnail", counting)
    db = tmp_path / "s.db"
    evaluate("scripted/no", "T.5", db=db, size=6, bootstrap=0)
    first = list(made)
    assert first and len(set(first)) == len(first)  # each image once in a run
    with Store(db) as store:
        stored = store.image_shas()
        assert set(first) <= stored
        assert all(store.thumbnail(sha) is not None for sha in first)
    made.clear()
    # another run (the official profile) that fails on the same samples
    evaluate("scripted/no", "T.5", db=db, size=6, bootstrap=0, profile="official")
    assert made == []
    with Store(db) as store:
        assert store.image_shas() == stored
