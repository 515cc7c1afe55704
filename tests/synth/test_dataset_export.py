"""``multitrust data synth --export DIR``: the synthetic suite as a Parquet dataset (#20.3).

An export is read back with pyarrow, pandas and Hugging Face ``datasets`` and checked row by
row against a fresh draw (no cache) and against what a run sends; a second export is
byte-identical; a bad folder is one line and exit 2, and leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

from multitrust.data.base import SynthData
from multitrust.data.dataset_export import PRETTY_NAME, check_destination, hf_features
from multitrust.errors import ConfigError
from multitrust.prepare import export
from multitrust.tasks import get_task

TASKS = ["T.4", "F.6", "P.4"]  # unrelated-image variants, two forms, list targets


def _export(dest: Path, cache: Path | None, *, seed: int = 3, size: int = 2, jobs: int = 1) -> Any:
    return export(TASKS, dest, seed=seed, size=size, root=cache, jobs=jobs)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("export") / "ds"
    _export(dest, tmp_path_factory.mktemp("cache"))
    return dest


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _pixels(data: bytes) -> np.ndarray:
    with PILImage.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def _fresh(task_id: str, *, seed: int = 3, size: int = 2) -> list[tuple[Any, Any]]:
    """(sample, messages) of a fresh draw, no cache: what the export must hold."""
    task = get_task(task_id).build(SynthData(seed=seed, size=size))
    return [(s, task.messages(s)) for s in task.iter_samples()]


def test_layout_one_shard_per_task_and_a_card(exported: Path) -> None:
    names = sorted(_files(exported))
    assert names == [
        "README.md",
        "data/F.6/test-00000-of-00001.parquet",
        "data/P.4/test-00000-of-00001.parquet",
        "data/T.4/test-00000-of-00001.parquet",
    ]
    # nothing temporary left beside it
    assert [p.name for p in exported.parent.iterdir()] == ["ds"]


def test_rows_equal_a_fresh_draw(exported: Path) -> None:
    import pyarrow.parquet as pq

    for task_id in TASKS:
        rows = pq.read_table(exported / "data" / task_id).to_pylist()
        fresh = _fresh(task_id)
        assert [r["id"] for r in rows] == [f"{task_id}/{s.uid}" for s, _ in fresh]
        spec = get_task(task_id)
        for row, (sample, messages) in zip(rows, fresh, strict=True):
            assert (row["task_id"], row["aspect"], row["sub_aspect"]) == (
                spec.id,
                spec.aspect,
                spec.sub_aspect,
            )
            assert (row["sample_id"], row["variant"]) == (sample.id, sample.variant)
            assert row["prompt"] == messages[-1].text
            assert [m["role"] for m in row["messages"]] == [m.role for m in messages]
            texts = [
                c["text"] for m in row["messages"] for c in m["content"] if c["type"] == "text"
            ]
            assert texts == [m.text for m in messages]
            want = [i for m in messages for i in m.images]
            assert len(row["images"]) == len(want)
            for got, image in zip(row["images"], want, strict=True):
                assert hashlib.sha256(got["bytes"]).hexdigest() == image.sha256
                assert np.array_equal(_pixels(got["bytes"]), np.asarray(image.load()))
            refs = [c["image_index"] for m in row["messages"] for c in m["content"]]
            assert [i for i in refs if i is not None] == list(range(len(want)))
            if isinstance(sample.target, str):
                assert row["target"] == sample.target and not row["target_is_json"]
            elif sample.target is None:
                assert row["target"] is None
            else:
                assert row["target_is_json"] and json.loads(row["target"]) == sample.target
            assert json.loads(row["metadata"]) == json.loads(json.dumps(dict(sample.meta)))


def test_pandas_reads_the_whole_folder(exported: Path) -> None:
    import pandas as pd

    df = pd.read_parquet(exported / "data")
    want = sum(len(_fresh(t)) for t in TASKS)
    assert len(df) == want and df["id"].is_unique
    assert set(df["task_id"]) == set(TASKS)
    first = df.iloc[0]["images"][0]
    assert first["bytes"].startswith(b"\x89PNG") and first["path"].endswith(".png")


def test_hugging_face_datasets_decodes_the_images(exported: Path, tmp_path: Path) -> None:
    import datasets

    ds = datasets.load_dataset("parquet", data_dir=str(exported), cache_dir=str(tmp_path / "hf"))
    test = ds["test"]
    assert isinstance(test.features["images"], datasets.List)
    assert isinstance(test.features["images"].feature, datasets.Image)
    by_id = {r["id"]: r for r in test}
    sample, messages = _fresh("T.4")[1]  # a sample with one image
    row = by_id[f"T.4/{sample.uid}"]
    assert isinstance(row["images"][0], PILImage.Image)
    assert np.array_equal(
        np.asarray(row["images"][0].convert("RGB")), np.asarray(sample.images[0].load())
    )
    assert row["messages"][0]["content"][-1]["text"] == messages[-1].text
    # the card's per-task configuration, read by datasets from the YAML front matter
    one = datasets.load_dataset(str(exported), "P.4", cache_dir=str(tmp_path / "hf2"))
    assert set(one["test"]["task_id"]) == {"P.4"} and len(one["test"]) == len(_fresh("P.4"))


def test_the_card_front_matter_is_the_hub_s(exported: Path) -> None:
    from datasets import DatasetInfo, Features
    from huggingface_hub import DatasetCard

    text = (exported / "README.md").read_text()
    meta = DatasetCard(text).data.to_dict()
    assert meta["pretty_name"] == PRETTY_NAME and meta["license"] == "apache-2.0"
    assert [c["config_name"] for c in meta["configs"]] == ["default", *TASKS]
    info = meta["dataset_info"][0]
    assert DatasetInfo._from_yaml_dict(info).features == Features.from_dict(hf_features())
    rows = sum(len(_fresh(t)) for t in TASKS)
    assert info["splits"] == [
        {"name": "test", "num_bytes": info["dataset_size"], "num_examples": rows}
    ]
    assert "seed 3, size 2" in text
    assert "faker=" in text and "build " in text  # the generator's identity
    assert "writer pyarrow " in text


def test_reexport_is_byte_identical(exported: Path, tmp_path: Path) -> None:
    # another cache (drawn afresh), another job count: the same bytes
    again = tmp_path / "again"
    _export(again, tmp_path / "cache2", jobs=2)
    assert _files(again) == _files(exported)
    # and replacing a previous export in place gives the same bytes too
    _export(again, None)
    assert _files(again) == _files(exported)
    other = tmp_path / "seed4"
    _export(other, None, seed=4)
    assert (
        _files(other)["data/T.4/test-00000-of-00001.parquet"]
        != _files(exported)["data/T.4/test-00000-of-00001.parquet"]
    )


def test_a_large_task_is_cut_into_numbered_shards(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    from multitrust.data import dataset_export

    monkeypatch.setattr(dataset_export, "SHARD_BYTES", 100_000)
    monkeypatch.setattr(dataset_export, "ROWS_PER_GROUP", 2)
    (done,) = export(["T.4"], tmp_path / "ds", seed=3, size=2, root=None)
    n = len(done.shards)
    assert n > 1 and list(done.shards) == [
        f"data/T.4/test-{i:05d}-of-{n:05d}.parquet" for i in range(n)
    ]
    assert sorted(p.name for p in (tmp_path / "ds" / "data" / "T.4").iterdir()) == [
        s.rsplit("/", 1)[1] for s in done.shards
    ]
    for shard in done.shards:
        assert pq.ParquetFile(tmp_path / "ds" / shard).metadata.row_group(0).num_rows <= 2
    # the same rows, in the same order, as the one-shard export
    cut = pq.read_table(tmp_path / "ds" / "data" / "T.4").to_pylist()
    whole = pq.read_table(exported / "data" / "T.4").to_pylist()
    assert [r["id"] for r in cut] == [r["id"] for r in whole] and cut == whole


def test_exported_prompts_are_what_a_run_sends(exported: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from multitrust import evaluate
    from multitrust.store import Store

    db = tmp_path / "run.db"
    evaluate("scripted/oracle", ",".join(TASKS), db=db, size=2, seed=3, bootstrap=0)
    with Store(db, read_only=True) as store:
        (run,) = store.runs()
        sent = {
            f"{r.task_id}/{r.sample_id}@{r.variant}": (r.prompt, [i["sha256"] for i in r.images])
            for r in store.iter_results(run.run_id)
        }
    rows = pq.read_table(exported / "data").to_pylist()
    got = {
        r["id"]: (r["prompt"], [hashlib.sha256(i["bytes"]).hexdigest() for i in r["images"]])
        for r in rows
    }
    assert got == sent


def test_an_interrupted_export_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from multitrust.data import dataset_export

    def broken(*args: Any, **kwargs: Any) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(dataset_export, "card", broken)
    with pytest.raises(KeyboardInterrupt):
        export(["T.1"], tmp_path / "ds", seed=0, size=1, root=None)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_every_synthetic_task_exports_and_loads(tmp_path: Path) -> None:
    import datasets

    from multitrust.tasks import all_tasks

    ids = [s.id for s in all_tasks() if "synth" in s.sources]
    done = export(ids, tmp_path / "all", seed=0, size=1, root=tmp_path / "cache", jobs=2)
    assert [e.task.id for e in done] == ids
    for e in done:
        assert e.rows == len(_fresh(e.task.id, seed=0, size=1)) > 0
    ds = datasets.load_dataset(
        "parquet", data_dir=str(tmp_path / "all"), cache_dir=str(tmp_path / "hf")
    )["test"]
    assert len(ds) == sum(e.rows for e in done)
    assert set(ds["task_id"]) == set(ids)
    assert all(im.size[0] > 0 for row in ds for im in row["images"])


# --------------------------------------------------------------------------- bad folders


@pytest.mark.parametrize("case", ["file", "under-a-file", "other-files", "not-writable"])
def test_a_bad_folder_is_one_line_and_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from multitrust.cli import main

    (tmp_path / "f").write_text("x")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    dest = {
        "file": tmp_path / "f",
        "under-a-file": tmp_path / "f" / "ds",
        "other-files": tmp_path / "busy",
        # /proc cannot hold a folder, even for root (a chmod would not stop root)
        "not-writable": Path("/proc/multitrust-export"),
    }[case]
    if case == "not-writable" and not Path("/proc/self").exists():
        pytest.skip("needs /proc (Linux)")
    before = sorted(p.as_posix() for p in tmp_path.rglob("*"))
    args = ["data", "synth", "-t", "T.1", "--size", "1", "--export", str(dest)]
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--synth-cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert exit_.value.code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: --export "), err
    assert sorted(p.as_posix() for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "busy" / "notes.txt").read_text() == "mine"


def test_check_destination_accepts_new_empty_and_previous(exported: Path, tmp_path: Path) -> None:
    check_destination(tmp_path / "new" / "deeper")
    (tmp_path / "empty").mkdir()
    check_destination(tmp_path / "empty")
    check_destination(exported)
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "README.md").write_text("---\npretty_name: other\n---\n")
    with pytest.raises(ConfigError, match="holds other files"):
        check_destination(tmp_path / "fake")
