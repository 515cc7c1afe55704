"""Hostile datasets: a copy of the official fixture, corrupted per case.

Every case must end in one of two ways: a clear :class:`DataError` (or a ``verify`` row) that
names the file, or the same samples as the pristine copy. Never a read or a write outside the
data folder (a planted secret file outside it is never opened, its bytes never reach a
sample, and it is never modified), never a hang (each load runs under a wall-clock guard),
never a silently changed sample count.

The cases are built by class, not one by one: the generic sweeps below apply each mutation
(a FIFO, a link out of the folder, a byte-order mark, a NUL byte, deep nesting, a truncated
file, a repeated row) to every data file that each official task reads.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from multitrust.data.base import OfficialData
from multitrust.errors import DataError, MultitrustError
from multitrust.tasks import all_tasks, get_task
from multitrust.types import Sample
from multitrust.verify import verify
from tests.fixtures.official import build_official_fixture

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX only (FIFOs, links)")

#: Wall-clock guard per load: a hang fails the test instead of blocking the suite.
GUARD_S = 60.0
SECRET = b"\x89PNG\r\n\x1a\n-the-outside-secret-" + os.urandom(16)

_opened: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], (str, bytes)):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # records only while a load is being watched


# --------------------------------------------------------------------------- harness


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_official_fixture(tmp_path_factory.mktemp("pristine") / "data")


@pytest.fixture(scope="module")
def baseline(pristine: Path) -> dict[str, list[str]]:
    """Sample uids per official task on the pristine copy."""
    out: dict[str, list[str]] = {}
    for spec in all_tasks():
        if "official" in spec.sources:
            out[spec.id] = [s.uid for s in _samples(pristine, spec.id)]
    return out


@pytest.fixture
def world(tmp_path: Path, pristine: Path) -> tuple[Path, Path]:
    """(a fresh copy of the data folder, the planted secret file outside it)."""
    root = tmp_path / "data"
    shutil.copytree(pristine, root, symlinks=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.png"
    secret.write_bytes(SECRET)
    return root, secret


def _samples(root: Path, task_id: str) -> list[Sample]:
    return list(get_task(task_id).build(OfficialData(root)).iter_samples())


def guarded(fn: Callable[[], Any]) -> Any:
    """``fn()`` in a daemon thread, failing the test if it has not returned in ``GUARD_S``."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(GUARD_S)
    assert not t.is_alive(), f"hang: no result within {GUARD_S:g}s"
    if "error" in box:
        raise box["error"]
    return box["value"]


@contextlib.contextmanager
def watched(secret: Path) -> Iterator[list[str]]:
    """Record every file opened meanwhile; the secret outside the folder must not be one."""
    global _opened
    before = secret.read_bytes()
    _opened = []
    try:
        yield _opened
    finally:
        opened, _opened = _opened, None
    real = os.path.realpath(secret)
    assert not [p for p in opened if os.path.realpath(p) == real], "read outside the data folder"
    assert "/etc/passwd" not in opened
    assert secret.read_bytes() == before, "wrote outside the data folder"


def outcome(root: Path, task_id: str, secret: Path) -> list[Sample] | DataError:
    """The task's samples, or the DataError it raised; never outside reads, never a hang."""
    with watched(secret):
        try:
            samples: list[Sample] = guarded(lambda: _samples(root, task_id))
        except MultitrustError as exc:
            assert isinstance(exc, DataError), f"{type(exc).__name__}: {exc}"
            return exc
    for s in samples:
        for img in s.images:
            assert img.read_bytes() != SECRET, "the outside file reached a sample"
    return samples


def assert_clear_error(result: Any, *names: str) -> str:
    assert isinstance(result, DataError), f"expected a DataError, got {len(result)} samples"
    msg = str(result)
    assert "\n" not in msg and "Traceback" not in msg and " object at 0x" not in msg
    for name in names:
        assert name in msg, f"{name!r} not named in: {msg}"
    return msg


def assert_same_or_error(
    result: Any, base: list[str], *names: str, allow_fewer: bool = False
) -> None:
    """Either a clear error naming ``names``, or exactly the pristine samples."""
    if isinstance(result, DataError):
        assert_clear_error(result, *names)
        return
    got = [s.uid for s in result]
    if allow_fewer:
        assert set(got) <= set(base)
    else:
        assert got == base, "the sample count or ids changed silently"


def replace_with_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def replace_with_link(path: Path, target: Path) -> None:
    path.unlink()
    path.symlink_to(target)


# --------------------------------------------------------------------------- outside the folder


def test_a_link_in_the_unrelated_pool_to_a_file_outside_is_refused(
    world: tuple[Path, Path],
) -> None:
    root, secret = world
    (root / "unrelated_images" / "color_evil.png").symlink_to(secret)
    msg = assert_clear_error(outcome(root, "R.3", secret), "escapes the data root", "color_evil")
    assert str(secret) not in msg or "escapes" in msg


def test_a_link_in_the_unrelated_pool_to_etc_passwd_is_never_opened(
    world: tuple[Path, Path],
) -> None:
    root, secret = world
    (root / "unrelated_images" / "noise_passwd.png").symlink_to("/etc/passwd")
    assert_clear_error(outcome(root, "S.6", secret), "escapes the data root")


def test_a_link_inside_the_folder_stays_allowed(
    world: tuple[Path, Path], baseline: dict[str, list[str]]
) -> None:
    root, secret = world
    pool = root / "unrelated_images"
    (pool / "color_1.png").rename(root / "elsewhere.png")
    (pool / "color_1.png").symlink_to(root / "elsewhere.png")
    result = outcome(root, "R.3", secret)
    assert not isinstance(result, DataError)
    assert [s.uid for s in result] == baseline["R.3"]


def test_a_linked_image_folder_outside_is_refused(world: tuple[Path, Path]) -> None:
    root, secret = world
    nsfw = root / "safety" / "nsfw" / "gore"
    shutil.rmtree(nsfw)
    secret.parent.joinpath("gore_1.jpg").write_bytes(SECRET)
    nsfw.symlink_to(secret.parent)
    assert_clear_error(outcome(root, "S.1", secret), "escapes the data root")


def test_an_annotation_file_linked_outside_is_refused(world: tuple[Path, Path]) -> None:
    root, secret = world
    replace_with_link(root / "robustness" / "ood-text" / "label.json", secret)
    assert_clear_error(outcome(root, "R.3", secret), "escapes the data root", "label.json")


def test_a_link_loop_is_a_clear_error(world: tuple[Path, Path]) -> None:
    root, secret = world
    a = root / "robustness" / "ood-text" / "label.json"
    a.unlink()
    a.symlink_to(a.with_name("loop.json"))
    a.with_name("loop.json").symlink_to(a)
    assert_clear_error(outcome(root, "R.3", secret), "label.json")


# --------------------------------------------------------------------------- not regular files


def test_a_fifo_at_an_image_path_is_an_error_not_a_hang(world: tuple[Path, Path]) -> None:
    root, secret = world
    replace_with_fifo(root / "safety" / "nsfw" / "gore" / "gore_1.jpg")
    assert_clear_error(outcome(root, "S.1", secret), "gore_1.jpg", "not a regular file")


def test_a_fifo_in_the_unrelated_pool_is_an_error_not_a_hang(world: tuple[Path, Path]) -> None:
    root, secret = world
    os.mkfifo(root / "unrelated_images" / "nature_fifo.png")
    assert_clear_error(outcome(root, "R.6", secret), "nature_fifo.png", "not a regular file")


def test_a_fifo_annotation_file_is_an_error_not_a_hang(world: tuple[Path, Path]) -> None:
    root, secret = world
    replace_with_fifo(root / "truthfulness" / "query_misleading" / "query_d_confusion.json")
    assert_clear_error(outcome(root, "T.6", secret), "query_d_confusion.json")


def test_a_fifo_where_an_image_is_expected_fails_verify_not_hangs(
    world: tuple[Path, Path],
) -> None:
    root, secret = world
    replace_with_fifo(root / "safety" / "nsfw" / "gore" / "gore_1.jpg")
    with watched(secret):
        rows = guarded(lambda: verify(root, "S.1"))
    assert rows[0].status == "malformed" and "gore_1.jpg" in (rows[0].detail or "")


def test_a_listed_image_that_is_a_fifo_is_not_silently_dropped(
    world: tuple[Path, Path],
) -> None:
    """A FIFO with an image name in a listed folder must not make a sample vanish."""
    root, secret = world
    os.mkfifo(root / "fairness" / "stereo_generation_images" / "99.png")
    assert_clear_error(outcome(root, "F.1", secret), "99.png")


# --------------------------------------------------------------------------- names


def test_a_nul_byte_in_an_image_name_names_the_file(world: tuple[Path, Path]) -> None:
    root, secret = world
    csv_path = root / "safety" / "SafeBench_selected" / "safebench_selected.csv"
    lines = csv_path.read_text().splitlines()
    head, *rest = lines[1].split(",")
    lines[1] = ",".join([head, *rest[:-1], "img\x00.png"])
    csv_path.write_text("\n".join(lines) + "\n")
    msg = assert_clear_error(outcome(root, "S.5", secret), "safebench_selected.csv:2")
    assert "NUL" in msg and "embedded null byte" not in msg


def test_an_over_long_image_name_names_the_file(world: tuple[Path, Path]) -> None:
    root, secret = world
    label = root / "robustness" / "adv_nips" / "label.json"
    rows = [json.loads(x) for x in label.read_text().splitlines() if x.strip()]
    rows[0]["image_name"] = "x" * 300 + ".png"
    label.write_text("\n".join(json.dumps(r) for r in rows))
    assert_clear_error(outcome(root, "R.4", secret), "label.json:1", "255 bytes")


# --------------------------------------------------------------------------- fetch-images


def _jpeg() -> bytes:
    import io

    from PIL import Image as PILImage

    buf = io.BytesIO()
    PILImage.new("RGB", (8, 8), (10, 200, 30)).save(buf, format="JPEG")
    return buf.getvalue()


def _celebs(root: Path, rows: list[tuple[str, str]]) -> Path:
    """Replace celebrities.csv with ``rows`` of (name, url); no image is present."""
    import csv

    from multitrust.data.official import privacy

    imgs = root / privacy.CELEB_IMAGES
    shutil.rmtree(imgs, ignore_errors=True)
    imgs.mkdir(parents=True)
    with (root / privacy.CELEB_CSV).open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Celebrity", "Title", "Url"])
        for name, url in rows:
            w.writerow([name, "Actor", url])
    return imgs


def _fetch(root: Path, handler: Callable[[Any], Any], timeout: float = 5.0) -> Any:
    import httpx

    from multitrust.data.official.privacy import fetch_celebrity_images

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        return guarded(
            lambda: fetch_celebrity_images(OfficialData(root), timeout=timeout, client=client)
        )


def test_fetch_never_writes_through_a_planted_link(world: tuple[Path, Path]) -> None:
    import httpx

    root, secret = world
    imgs = _celebs(root, [("Ada Lin", "http://img.test/a"), ("Bo Ek", "http://img.test/b")])
    (imgs / "Ada_Lin.jpeg").symlink_to(secret)  # the image name itself is a link out
    (imgs / "Bo_Ek.part").symlink_to(secret)  # the old temporary name, planted
    (imgs / ".fetch-Bo_Ek.part").symlink_to(secret)
    with watched(secret):
        report = _fetch(root, lambda r: httpx.Response(200, content=_jpeg()))
    assert "symbolic link" in report.failed["privacy/celeb/imgs/Ada_Lin.jpeg"]
    assert report.fetched == ["privacy/celeb/imgs/Bo_Ek.jpeg"]
    assert (imgs / "Bo_Ek.jpeg").read_bytes() == _jpeg() and not (imgs / "Bo_Ek.jpeg").is_symlink()
    assert (imgs / "Bo_Ek.part").is_symlink() and (imgs / "Ada_Lin.jpeg").is_symlink()
    assert not [p for p in imgs.iterdir() if p.name.startswith(".fetch-") and not p.is_symlink()]


def test_fetch_streams_with_a_cap_never_reading_a_huge_body_whole(
    world: tuple[Path, Path],
) -> None:
    import httpx

    root, _ = world
    _celebs(root, [("Big Body", "http://img.test/big")])
    pulled: list[int] = []

    def chunks() -> Iterator[bytes]:
        for i in range(200):  # 200 MB if read whole
            pulled.append(i)
            yield (_jpeg() if i == 0 else b"") + b"\0" * (1024 * 1024)

    report = _fetch(root, lambda r: httpx.Response(200, content=chunks()))
    assert "too large" in report.failed["privacy/celeb/imgs/Big_Body.jpeg"]
    assert len(pulled) <= 22  # stopped at the 20 MB cap, not after 200 MB
    assert report.fetched == []


def test_fetch_deadline_is_total_not_per_read(world: tuple[Path, Path]) -> None:
    import time

    import httpx

    root, _ = world
    imgs = _celebs(
        root, [("Slow Drip", "http://img.test/drip"), ("Fast One", "http://img.test/ok")]
    )
    stop = threading.Event()

    def drip() -> Iterator[bytes]:
        while not stop.is_set():  # one byte now and then: every read succeeds in time
            yield b"\xff"
            time.sleep(0.02)

    def handler(r: Any) -> Any:
        if r.url.path == "/drip":
            return httpx.Response(200, content=drip())
        return httpx.Response(200, content=_jpeg())

    try:
        report = _fetch(root, handler, timeout=0.5)
    finally:
        stop.set()
    assert report.failed["privacy/celeb/imgs/Slow_Drip.jpeg"]
    assert not (imgs / "Slow_Drip.jpeg").exists()
    assert report.fetched == ["privacy/celeb/imgs/Fast_One.jpeg"]


def test_fetch_refuses_redirects_to_another_host_or_port(world: tuple[Path, Path]) -> None:
    import httpx

    root, _ = world
    _celebs(root, [("Port Hop", "http://img.test/a"), ("Same Site", "http://img.test/b")])
    seen: list[str] = []

    def handler(r: Any) -> Any:
        seen.append(str(r.url))
        if r.url.path == "/a":
            return httpx.Response(302, headers={"location": "http://img.test:8081/x"})
        if r.url.path == "/b":
            return httpx.Response(301, headers={"location": "/b2"})
        return httpx.Response(200, content=_jpeg())

    report = _fetch(root, handler)
    assert "redirect" in report.failed["privacy/celeb/imgs/Port_Hop.jpeg"]
    assert report.fetched == ["privacy/celeb/imgs/Same_Site.jpeg"]  # same origin: followed
    assert not [u for u in seen if ":8081" in u]


def test_fetch_checks_the_bytes_are_an_image(world: tuple[Path, Path]) -> None:
    import httpx

    root, _ = world
    imgs = _celebs(root, [("Fake Jpeg", "http://img.test/a")])
    report = _fetch(root, lambda r: httpx.Response(200, content=b"\xff\xd8\xff\xe0" + b"\0" * 64))
    assert "not a valid image" in report.failed["privacy/celeb/imgs/Fake_Jpeg.jpeg"]
    assert list(imgs.iterdir()) == []


def test_fetch_bad_names_fail_their_row_not_the_command(world: tuple[Path, Path]) -> None:
    import httpx

    root, _ = world
    _celebs(
        root,
        [
            ("Nul\x00Name", "http://img.test/a"),
            ("L" * 300, "http://img.test/b"),
            ("Ok Name", "http://img.test/c"),
        ],
    )
    report = _fetch(root, lambda r: httpx.Response(200, content=_jpeg()))
    reasons = sorted(report.failed.values())
    assert len(reasons) == 2 and any("NUL" in r for r in reasons)
    assert any("255 bytes" in r for r in reasons)
    assert report.fetched == ["privacy/celeb/imgs/Ok_Name.jpeg"]
