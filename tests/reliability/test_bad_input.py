"""Bad input: each mistake gives one line naming the culprit, a non-zero exit, no half rows.

CLI cases go through ``multitrust.cli.main`` (the console-script entry point) in-process,
plus one real subprocess to prove the process exit code; image cases through
``multitrust.types.Image`` and through a whole run (a corrupt image is an ``input`` error
of that sample, never retried, never sent, never scored).
"""

from __future__ import annotations

import io
import socket
import sqlite3
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import PIL.ImageFile
import pytest
from PIL import Image as PILImage

from multitrust import evaluate
from multitrust.cli import main
from multitrust.data.base import DataSource
from multitrust.errors import DataError, MultitrustError
from multitrust.formula import Results
from multitrust.scoring.yesno import yes_no
from multitrust.tasks import base as task_base
from multitrust.tasks.base import Task, TaskData, TaskSpec
from multitrust.types import Image, Sample
from tests.reliability.conftest import result_rows, server_stats
from tests.servers.openai_server import serve


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_main(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["multitrust", *args])
    with pytest.raises(SystemExit) as info:
        main()
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


def assert_no_half_rows(db: Path) -> None:
    """Either no store at all, or one with no results and no run left 'running'."""
    if not db.exists():
        return
    con = sqlite3.connect(db)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "results" in tables:
            assert con.execute("SELECT COUNT(*) FROM results").fetchone()[0] == 0
        if "runs" in tables:
            assert (
                con.execute("SELECT COUNT(*) FROM runs WHERE status='running'").fetchone()[0] == 0
            )
    finally:
        con.close()


CASES = [
    # (id, extra args, environment changes, words the one line must contain)
    ("unknown-task", ["-m", "scripted/oracle", "-t", "T.99"], {}, ["T.99"]),
    ("unknown-task-name", ["-m", "scripted/oracle", "-t", "truthfulnes"], {}, ["truthfulnes"]),
    ("model-without-slash", ["-m", "gpt4o", "-t", "T.1"], {}, ["gpt4o", "provider/name"]),
    ("unknown-provider", ["-m", "acme/gpt-4o", "-t", "T.1"], {}, ["acme"]),
    (
        "malformed-base-url",
        ["-m", "openai/m", "-t", "T.1", "--base-url", "localhost:8000"],
        {},
        ["base URL"],
    ),
    (
        "base-url-no-host",
        ["-m", "openai/m", "-t", "T.1", "--base-url", "http://"],
        {},
        ["base URL"],
    ),
    (
        "missing-key",
        ["-m", "openai/gpt-4o", "-t", "T.1"],
        {"OPENAI_API_KEY": None},
        ["OPENAI_API_KEY", "openai/gpt-4o"],
    ),
    (
        "missing-data-dir",
        ["-m", "scripted/oracle", "-t", "T.1", "--data", "/nonexistent/mt-data"],
        {},
        ["/nonexistent/mt-data"],
    ),
    ("bad-profile", ["-m", "scripted/oracle", "-t", "T.1", "--profile", "strict"], {}, ["strict"]),
    (
        "unreachable-base-url",
        ["-m", "openai/m", "-t", "T.1", "--base-url", f"http://127.0.0.1:{free_port()}/v1"],
        {},
        ["cannot reach", "127.0.0.1"],
    ),
    (
        "zero-connections",
        ["-m", "scripted/oracle", "-t", "T.1", "--max-connections", "0"],
        {},
        ["max-connections"],
    ),
]


@pytest.mark.parametrize(
    ("args", "env", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_cli_bad_input_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    env: dict[str, str | None],
    words: list[str],
) -> None:
    for k, v in env.items():
        if v is None:
            monkeypatch.delenv(k, raising=False)
        else:
            monkeypatch.setenv(k, v)
    db = tmp_path / "s.db"
    code, out, err = run_main(
        ["eval", *args, "--db", str(db), "--size", "2", "-q"], monkeypatch, capsys
    )
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0
    assert len(lines) == 1, err
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert "Traceback" not in err + out
    assert_no_half_rows(db)


@pytest.mark.slow
def test_cli_exit_code_in_a_real_process(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "multitrust.cli",
            "eval",
            "-m",
            "scripted/oracle",
            "-t",
            "T.99",
            "--db",
            str(tmp_path / "s.db"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "T.99" in proc.stderr
    assert_no_half_rows(tmp_path / "s.db")


def test_cli_store_path_is_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_main(
        ["eval", "-m", "scripted/oracle", "-t", "T.1", "--db", str(tmp_path), "-q"],
        monkeypatch,
        capsys,
    )
    assert code != 0 and len(err.strip().splitlines()) == 1 and str(tmp_path) in err


def test_unreachable_endpoint_fails_fast(tmp_path: Path, toy_task: str) -> None:
    """Model.preflight() refuses a dead URL once, instead of retrying it for every sample."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    db = tmp_path / "s.db"
    with pytest.raises(MultitrustError, match=str(port)):
        evaluate(
            "openai/test-model", toy_task, db=db, size=5, base_url=url, max_attempts=2, bootstrap=0
        )
    assert_no_half_rows(db)


# -- images ------------------------------------------------------------------------------------


def png_bytes(size: tuple[int, int] = (32, 32)) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", size, (10, 200, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def bomb_png(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid PNG header claiming ``width`` x ``height`` (a few bytes of data follow)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


@pytest.fixture
def bad_images(tmp_path: Path) -> dict[str, Path]:
    d = tmp_path / "imgs"
    d.mkdir()
    good = png_bytes()
    files = {
        "corrupt": b"\x89PNG\r\n\x1a\n" + b"garbage" * 50,
        "truncated": good[: len(good) // 2],
        "bomb": bomb_png(),
        "not-an-image": b"hello, I am text",
        "empty": b"",
    }
    out = {}
    for name, data in files.items():
        p = d / f"{name}.png"
        p.write_bytes(data)
        out[name] = p
    return out


def test_missing_image_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.png"):
        Image.from_path(tmp_path / "nope.png")


@pytest.mark.parametrize("name", ["corrupt", "truncated", "bomb", "not-an-image"])
def test_bad_image_is_a_data_error_naming_the_file(
    bad_images: dict[str, Path], name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bad_images[name]
    img = Image.from_path(path)  # referencing reads bytes only; decoding is where it fails
    if name == "bomb":  # refused from the header: the pixels are never decoded

        def no_decode(self: object) -> None:
            raise AssertionError("a decompression bomb's pixels were decoded")

        monkeypatch.setattr(PIL.ImageFile.ImageFile, "load", no_decode)
    with pytest.raises(DataError) as info:
        img.load()
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)
    if name == "bomb":
        assert "100000x100000" in str(info.value) or "bomb" in str(info.value)


def test_empty_image_file(bad_images: dict[str, Path]) -> None:
    with pytest.raises(DataError, match="empty"):
        Image.from_path(bad_images["empty"])


@pytest.fixture
def image_task(bad_images: dict[str, Path]) -> Iterator[str]:
    """``T.93``: one good image sample, and one per bad image file."""

    def build(data: TaskData) -> Task:
        return Task(scorer=yes_no(), formula=lambda r: 100 * Results.mean(r, "correct"))

    def samples(data: DataSource) -> Iterator[Sample]:
        yield Sample(
            "good", "Is it green?", (Image.from_bytes(png_bytes()),), True, variant="related"
        )
        for name in ("corrupt", "truncated", "bomb", "not-an-image"):
            yield Sample(
                name,
                "Is it green?",
                (Image.from_path(bad_images[name]),),
                True,
                variant="related",
            )

    task_base._REGISTRY["T.93"] = TaskSpec(
        "T.93", "Bad images", "truthfulness", "T.M", build, (samples,), (samples,)
    )
    yield "T.93"
    task_base._REGISTRY.pop("T.93", None)


def check_bad_images_run(tmp_path: Path, task: str, bad_images: dict[str, Path], **kw: Any) -> None:
    db = tmp_path / "s.db"
    with serve() as url:
        rep = evaluate(
            "openai/test-model", task, db=db, base_url=url, max_attempts=3, bootstrap=0, **kw
        )  # type: ignore[arg-type]
        stats = server_stats(url)
    rows = result_rows(db)
    assert stats["requests"] == 1  # only the good sample was ever sent, and only once
    assert rows[("good", "related")]["error"] is None
    for name in ("corrupt", "truncated", "bomb", "not-an-image"):
        r = rows[(name, "related")]
        assert r["error_kind"] == "input", r
        assert str(bad_images[name]) in r["error"]
        assert r["values"] is None and r["output"] is None
    assert rep.tasks[task].n == 1 and rep.tasks[task].n_errors == 4


def test_bad_images_in_a_downscaling_run_are_input_errors(
    tmp_path: Path, image_task: str, bad_images: dict[str, Path]
) -> None:
    """With --max-image-side every image is decoded before sending: bad ones never leave."""
    check_bad_images_run(tmp_path, image_task, bad_images, max_image_side=16)


def test_bad_images_in_a_run_are_input_errors(
    tmp_path: Path, image_task: str, bad_images: dict[str, Path]
) -> None:
    check_bad_images_run(tmp_path, image_task, bad_images)
