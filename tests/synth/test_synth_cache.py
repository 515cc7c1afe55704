"""The synthetic suite kept on disk: read back equal, never half-written, redrawn when damaged."""

from __future__ import annotations

import itertools
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from multitrust import evaluate
from multitrust.cli import app
from multitrust.data import synth_cache as sc
from multitrust.data.base import SynthData, open_data
from multitrust.data.synth_cache import SynthCache
from multitrust.tasks import all_tasks
from multitrust.types import GENERATED_SIZES, Image, Sample

SIZE = 4


def _plain(task_id: str, size: int = SIZE) -> list[Sample]:
    spec = next(s for s in all_tasks() if s.id == task_id)
    return list(spec.build(SynthData(seed=3, size=size)).iter_samples())


def _cached(task_id: str, root: Path, size: int = SIZE) -> tuple[list[Sample], SynthCache]:
    spec = next(s for s in all_tasks() if s.id == task_id)
    src = open_data("synth", seed=3, size=size, synth_cache=root)
    assert isinstance(src, SynthData) and src.cache is not None
    return list(spec.build(src).iter_samples()), src.cache


def _same(a: list[Sample], b: list[Sample]) -> None:
    assert len(a) == len(b) > 0
    for x, y in zip(a, b, strict=True):
        assert x == y  # id, text, images (sha256, mime, origin), target, meta, variant
        assert [i.read_bytes() for i in x.images] == [i.read_bytes() for i in y.images]


SYNTH_TASKS = [s.id for s in all_tasks() if s.synth]


@pytest.mark.parametrize("task_id", SYNTH_TASKS)
def test_every_synth_task_reads_back_what_was_drawn(task_id: str, tmp_path: Path) -> None:
    want = _plain(task_id)
    cold, cache = _cached(task_id, tmp_path)
    assert (cache.writes, cache.hits) == (1, 0)
    _same(cold, want)
    drawn = {i.sha256: GENERATED_SIZES.get(i.sha256) for s in cold for i in s.images}
    GENERATED_SIZES.clear()  # as in a new process
    warm, cache = _cached(task_id, tmp_path)
    assert (cache.writes, cache.hits) == (0, 1)
    _same(warm, want)
    # images drawn by us keep their known size, so they are sent without a decode
    assert {i.sha256: GENERATED_SIZES.get(i.sha256) for s in warm for i in s.images} == drawn
    assert all(i.data is not None and i.path is None for s in warm for i in s.images)


def test_seed_and_size_are_separate_streams(tmp_path: Path) -> None:
    _cached("T.5", tmp_path, size=3)
    _, cache = _cached("T.5", tmp_path, size=4)
    assert cache.writes == 1
    streams = sorted(p.name for p in (tmp_path / "synth" / "streams").iterdir())
    assert len(streams) == 2 and any("-n3-" in n for n in streams)


def test_a_stream_not_drawn_to_its_end_is_not_kept(tmp_path: Path) -> None:
    spec = next(s for s in all_tasks() if s.id == "T.3")
    src = open_data("synth", seed=3, size=SIZE, synth_cache=tmp_path)
    first = list(itertools.islice(spec.build(src).iter_samples(), 2))
    assert len(first) == 2
    streams = tmp_path / "synth" / "streams"
    assert not list(streams.glob("*.jsonl"))
    assert not list(streams.glob(".draw-*"))  # the temporary file went with the generator


def test_a_changed_build_does_not_read_an_old_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cached("T.5", tmp_path)
    monkeypatch.setattr(sc, "build_identity", lambda: "another-build")
    _, cache = _cached("T.5", tmp_path)
    assert (cache.writes, cache.hits) == (1, 0)


def _images(root: Path) -> list[Path]:
    return sorted((root / "synth" / "images").rglob("*.png"))


@pytest.mark.parametrize(
    "damage", ["image-bytes", "image-missing", "line-edited", "truncated", "cut-at-a-line"]
)
def test_a_damaged_stream_is_drawn_again(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    want = _plain("P.5")
    _cached("P.5", tmp_path)
    (stream,) = (tmp_path / "synth" / "streams").glob("*.jsonl")
    lines = stream.read_text().splitlines()
    assert json.loads(lines[-1]) == {"end": len(lines) - 1}
    last = json.loads(lines[-2])
    img = next(
        p for p in _images(tmp_path) if p.stem == last["images"][0]["sha256"]
    )  # an image late in the stream: the damage is found after samples were already yielded
    if damage == "image-bytes":
        img.write_bytes(img.read_bytes()[:-1] + b"\x00")
    elif damage == "image-missing":
        img.unlink()
    elif damage == "line-edited":
        stream.write_text("\n".join([*lines[:-2], lines[-2][:-5], lines[-1]]) + "\n")
    elif damage == "cut-at-a-line":  # valid JSON throughout, but samples are missing
        stream.write_text("\n".join(lines[:3]) + "\n")
    else:
        stream.write_text("\n".join(lines[:2]) + "\n" + lines[2][: len(lines[2]) // 2])
    with caplog.at_level(logging.WARNING, logger="multitrust.data.synth_cache"):
        got, cache = _cached("P.5", tmp_path)
    _same(got, want)  # every sample once, in order, equal to a fresh draw
    assert any("drawing it again" in r.getMessage() for r in caplog.records)
    assert cache.writes == 1
    again, cache = _cached("P.5", tmp_path)  # and the stream is whole again
    assert (cache.writes, cache.hits) == (0, 1)
    _same(again, want)


def test_values_json_would_change_are_not_cached(tmp_path: Path) -> None:
    cache = SynthCache(tmp_path)
    img = Image.from_bytes(b"\x89PNG\r\n\x1a\nnot really")

    def make() -> Iterator[Sample]:
        yield Sample("a", "x", (img,), target="yes", meta={"k": 1})
        yield Sample("b", "y", target=("a", "tuple"))  # JSON would give back a list

    got = list(cache.samples("X.1", 0, 2, make))
    assert [s.id for s in got] == ["a", "b"] and got[1].target == ("a", "tuple")
    assert cache.writes == 0
    assert not list((tmp_path / "synth" / "streams").glob("*.jsonl"))
    again = list(cache.samples("X.1", 0, 2, make))  # drawn again, not read back wrong
    assert again[1].target == ("a", "tuple")


def test_an_unwritable_folder_still_runs(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    got, cache = _cached("T.5", blocker)
    _same(got, _plain("T.5"))
    assert cache.writes == 0


# ------------------------------------------------------------------ through evaluate and the CLI


def _results(db: Path) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return [
            *con.execute(
                "select run_id, task_id, sample_id, variant, gen_key, prompt, images, target, meta, "
                'output, "values", label, scorer, error from results '
                "order by task_id, sample_id, variant"
            ),
            *con.execute("select sha256, mime, origin from images order by sha256"),
            *(
                (*row[:5], json.loads(row[5]), row[6])  # metrics: key order follows arrival order
                for row in con.execute(
                    "select task_id, status, score, ci_low, ci_high, metrics, n from task_results "
                    "order by task_id"
                )
            ),
        ]
    finally:
        con.close()


def test_runs_with_a_cold_a_warm_and_no_cache_store_the_same(tmp_path: Path) -> None:
    tasks = "T.1,R.2,F.5,P.1,P.6"
    kw: dict[str, Any] = {"size": 3, "bootstrap": 50, "seed": 1}
    reports = {}
    for name, cache in (("none", False), ("cold", tmp_path / "c"), ("warm", tmp_path / "c")):
        reports[name] = evaluate(
            "scripted/echo", tasks, db=tmp_path / f"{name}.db", synth_cache=cache, **kw
        )
    assert _results(tmp_path / "none.db") == _results(tmp_path / "cold.db")
    assert _results(tmp_path / "none.db") == _results(tmp_path / "warm.db")
    assert len(_results(tmp_path / "warm.db")) > 20
    for t, oc in reports["none"].tasks.items():
        for name in ("cold", "warm"):
            other = reports[name].tasks[t]
            assert (other.score, other.ci, other.n) == (oc.score, oc.ci, oc.n), (t, name)
    assert len(list((tmp_path / "c" / "synth" / "streams").glob("*.jsonl"))) == 5


def test_cli_cache_flags(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["eval", "--model", "scripted/refuse", "--tasks", "T.5", "--size", "2", "--quiet"]
    res = runner.invoke(
        app, [*base, "--db", str(tmp_path / "a.db"), "--synth-cache", str(tmp_path / "c")]
    )
    assert res.exit_code == 0, res.output
    assert len(list((tmp_path / "c" / "synth" / "streams").glob("T.5-*.jsonl"))) == 1
    res = runner.invoke(
        app,
        [*base, "--db", str(tmp_path / "b.db"), "--no-synth-cache", "--synth-cache", "x"],
    )
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "x").exists() and not Path("x").exists()


def test_only_the_packages_own_tasks_are_kept(tmp_path: Path) -> None:
    """A task registered elsewhere (a plugin, a test) may change without the package's source
    changing, so its stream is never kept under a key that would not notice."""
    from multitrust.tasks.base import TaskSpec

    builtin = next(s for s in all_tasks() if s.id == "T.5")
    assert builtin.builtin

    def loader(source: Any) -> Iterator[Sample]:
        yield Sample("p1", "plugin sample")

    plugin = TaskSpec(
        "T.5", "plugin", builtin.aspect, builtin.sub_aspect, builtin.define, None, (loader,)
    )
    assert not plugin.builtin
    src = open_data("synth", seed=3, size=2, synth_cache=tmp_path)
    assert [s.id for s in plugin.build(src).iter_samples()] == ["p1"]
    assert not (tmp_path / "synth" / "streams").exists()


@pytest.mark.slow  # two spawned worker processes import the package
def test_data_synth_draws_ahead_in_processes_and_the_run_reads_it(tmp_path: Path) -> None:
    cache = tmp_path / "c"
    res = CliRunner().invoke(
        app,
        [
            "data",
            "synth",
            "--tasks",
            "T.5,F.2",
            "--size",
            "3",
            "-j",
            "2",
            "--synth-cache",
            str(cache),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "2 synthetic tasks" in res.output
    streams = sorted((cache / "synth" / "streams").glob("*.jsonl"))
    assert [p.name.split("-")[0] for p in streams] == ["F.2", "T.5"]
    stamps = [p.stat().st_mtime_ns for p in streams]
    rep = evaluate("scripted/echo", "T.5,F.2", db=tmp_path / "a.db", size=3, synth_cache=cache)
    assert rep.tasks["T.5"].n > 0 and rep.tasks["F.2"].n > 0
    assert [p.stat().st_mtime_ns for p in streams] == stamps  # read, not drawn again
    assert sorted((cache / "synth" / "streams").glob("*.jsonl")) == streams
    again = CliRunner().invoke(
        app, ["data", "synth", "--tasks", "T.5", "--size", "3", "--synth-cache", str(cache)]
    )
    assert "already cached" in again.output


def test_a_disk_that_fills_up_costs_the_cache_not_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace

    def full(src: Any, dst: Any) -> None:
        if str(dst).endswith(".jsonl"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full)  # the os module the cache writes with
    got, cache = _cached("T.5", tmp_path)
    _same(got, _plain("T.5"))
    assert cache.writes == 0
    streams = tmp_path / "synth" / "streams"
    assert not list(streams.glob("*.jsonl")) and not list(streams.glob(".draw-*"))


@pytest.mark.parametrize("dist", sc.DRAWING_DISTRIBUTIONS)
def test_a_changed_faker_or_scikit_image_changes_the_key(
    dist: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sc._dist_version
    sc.build_identity.cache_clear()
    before = SynthCache(tmp_path).stream_path("T.5", 3, SIZE)
    assert f"{dist}=absent" not in sc.library_versions()  # installed in the dev environment
    monkeypatch.setattr(sc, "_dist_version", lambda name: "0.0.1" if name == dist else real(name))
    sc.build_identity.cache_clear()
    try:
        after = SynthCache(tmp_path).stream_path("T.5", 3, SIZE)
        assert f"{dist}=0.0.1" in sc.library_versions()
    finally:
        sc.build_identity.cache_clear()
    assert after != before
    # the real version again: the same key as before
    monkeypatch.setattr(sc, "_dist_version", real)
    assert SynthCache(tmp_path).stream_path("T.5", 3, SIZE) == before


def _few_samples(n: int) -> Iterator[Sample]:
    for i in range(n):
        yield Sample(f"s{i}", f"text {i}")


KILLED_WRITER = r"""
import sys, time
from multitrust.data.synth_cache import SynthCache
from multitrust.types import Sample

def make():
    for i in range(1000):
        yield Sample(f"s{i}", f"text {i}")
        if i == 3:
            print("drawing", flush=True)
            time.sleep(600)  # killed here, with its temporary stream open

for _ in SynthCache(sys.argv[1]).samples("X.1", 0, 1000, make):
    pass
"""


def test_kill_dash_nine_mid_draw_leaves_a_temporary_the_next_draw_removes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "drawing"
        streams = tmp_path / "synth" / "streams"
        (left,) = streams.glob(".draw-*.tmp")
        # while its writer lives, its temporary is never removed, however old
        assert sc.remove_stale_temporaries(streams, older_than_s=0) == []
        assert left.exists()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)  # reaps it and closes the pipe
    assert left.exists()  # what a kill -9 leaves behind
    # a young one is left alone (its writer may be between creating and locking it) …
    assert sc.remove_stale_temporaries(streams) == []
    # … and once old enough, the next draw in that folder removes it
    monkeypatch.setattr(sc, "STALE_TMP_S", 0.0)
    cache = SynthCache(tmp_path)
    assert [s.id for s in cache.samples("X.2", 0, 3, lambda: _few_samples(3))] == [
        "s0",
        "s1",
        "s2",
    ]
    assert not left.exists()
    assert sorted(p.name for p in streams.iterdir()) == [cache.stream_path("X.2", 0, 3).name]


def test_a_draw_never_removes_another_live_draws_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sc, "STALE_TMP_S", 0.0)
    cache = SynthCache(tmp_path)
    first = cache.samples("X.1", 0, 5, lambda: _few_samples(5))
    assert next(first).id == "s0"  # the first draw is under way, its temporary open
    streams = tmp_path / "synth" / "streams"
    (live,) = streams.glob(".draw-*.tmp")
    # a second draw in the same folder, start to end, while the first is paused
    assert len(list(cache.samples("X.2", 0, 3, lambda: _few_samples(3)))) == 3
    assert live.exists()
    assert [s.id for s in first] == ["s1", "s2", "s3", "s4"]
    assert cache.stream_path("X.1", 0, 5).is_file() and not live.exists()
    assert cache.writes == 2
