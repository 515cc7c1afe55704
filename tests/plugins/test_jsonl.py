"""A plugin's own data: JSONL samples with images beside the file, capped at the run's size; a
bad line is a one-line DataError naming the file and line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image as PILImage

from multitrust.data.base import OfficialData, SynthData
from multitrust.data.jsonl import read_samples
from multitrust.errors import DataError
from multitrust.tasks import jsonl_samples
from multitrust.tasks.base import TaskData


def _png(path: Path) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (4, 4), "red").save(buf, "PNG")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def test_samples_with_images_relative_to_the_file(tmp_path: Path) -> None:
    png = _png(tmp_path / "img" / "a.png")
    f = tmp_path / "s.jsonl"
    f.write_text(
        '{"id": "a", "text": "What colour?", "images": ["img/a.png"], "target": "red",'
        ' "meta": {"k": 1}}\n\n{"id": "b", "text": "No picture", "target": true}\n'
    )
    a, b = read_samples(f)
    assert (a.id, a.text, a.target, dict(a.meta), a.variant) == (
        "a",
        "What colour?",
        "red",
        {"k": 1},
        "image",
    )
    assert a.images[0].read_bytes() == png and a.images[0].origin == "img/a.png"
    assert (b.images, b.target, b.variant) == ((), True, "text")


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ('{"text": "x"}', "'id' must be a non-empty string"),
        ('{"id": "a", "text": 3}', "'text' must be a string"),
        ('{"id": "a", "text": "x", "images": "a.png"}', "'images' must be a list"),
        ('{"id": "a", "text": "x", "meta": []}', "'meta' must be a JSON object"),
        ('{"id": "a", "text": "x", "colour": 1}', "unknown field(s) colour"),
        ('{"id": "a", "text": "x", "images": ["nope.png"]}', "image not found"),
        ("[1, 2]", "expected a JSON object"),
        ('{"id": "a", "text": ', "invalid JSON"),
    ],
)
def test_a_bad_line_names_the_file_and_line(tmp_path: Path, line: str, why: str) -> None:
    f = tmp_path / "s.jsonl"
    f.write_text('{"id": "ok", "text": "fine"}\n' + line + "\n")
    with pytest.raises(DataError) as err:
        list(read_samples(f))
    assert str(err.value).startswith(f"{f}:2: ")
    assert why in str(err.value)
    assert "\n" not in str(err.value)


def test_a_repeated_id_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "s.jsonl"
    f.write_text('{"id": "a", "text": "x"}\n{"id": "a", "text": "y"}\n')
    with pytest.raises(DataError, match=r"s.jsonl:2: duplicate id 'a' \(first on line 1\)"):
        list(read_samples(f))


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nothing\.jsonl"):
        list(read_samples(tmp_path / "nothing.jsonl"))


@pytest.mark.parametrize("size", [None, 2])
def test_jsonl_samples_is_capped_at_the_run_size_on_either_source(
    tmp_path: Path, size: int | None
) -> None:
    f = tmp_path / "s.jsonl"
    f.write_text("".join(f'{{"id": "s{i}", "text": "q{i}"}}\n' for i in range(5)))
    loader = jsonl_samples(f)
    for source in (SynthData(size=size), OfficialData(tmp_path, size=size)):
        ids = [s.id for s in TaskData(source, (loader,)).load()]
        assert ids == [f"s{i}" for i in range(size or 5)]
