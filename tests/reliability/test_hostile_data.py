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
    """Record where each open leads (resolved now, before a test swaps links around); an open
    with O_NOFOLLOW of a link is refused by the kernel and reads nothing, so it is left out."""
    if _opened is None or event != "open" or not isinstance(args[0], (str, bytes)):
        return
    path = os.fsdecode(args[0])
    flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
    if flags & getattr(os, "O_NOFOLLOW", 0) and os.path.islink(path):
        return
    _opened.append(os.path.realpath(path))


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
    assert real not in opened, "read outside the data folder"
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


# --------------------------------------------------------------------------- strict parsing

TYPO = Path("safety") / "typographic_jailbreak" / "prompt_and_behavior_graph.csv"


def _typo_rows(root: Path, rows: list[str]) -> Path:
    path = root / TYPO
    path.write_text("id,image_path,question\n" + "".join(r + "\n" for r in rows))
    return path


def test_an_unclosed_quote_never_swallows_the_rest_of_a_csv(world: tuple[Path, Path]) -> None:
    root, secret = world
    rows = [f'{i},{i % 2}.png,"Question {i}"' for i in range(6)]
    rows[2] = '2,0.png,"Question two has no closing quote'
    _typo_rows(root, rows)
    msg = assert_clear_error(outcome(root, "S.4", secret), "prompt_and_behavior_graph.csv:4")
    assert "6 rows were expected" in msg
    with watched(secret):
        (row,) = guarded(lambda: verify(root, "S.4"))
    assert row.status == "malformed" and "6 rows were expected" in (row.detail or "")


def test_a_bom_in_safety_and_privacy_csvs_is_accepted(
    world: tuple[Path, Path], baseline: dict[str, list[str]]
) -> None:
    root, secret = world
    for rel in (
        TYPO,
        Path("safety/SafeBench_selected/safebench_selected.csv"),
        Path("safety/crossmodal-jailbreak/text_jailbreak.csv"),
        Path("privacy/celeb/celebrities.csv"),
    ):
        p = root / rel
        p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    for task in ("S.4", "S.5", "S.6", "P.4"):
        result = outcome(root, task, secret)
        assert not isinstance(result, DataError), f"{task}: {result}"
        assert [s.uid for s in result] == baseline[task]


def test_a_duplicate_key_in_the_s5_json_is_an_error_with_its_line(
    world: tuple[Path, Path],
) -> None:
    root, secret = world
    path = root / "safety" / "mm-safety-bench-selected" / "mm-safety-bench-selected.json"
    doc = json.loads(path.read_text())
    items = [f'"{k}": {json.dumps(v)}' for k, v in doc.items()]
    items.append(f'"0": {json.dumps(doc["0"])}')  # the first key again, on its own line
    path.write_text("{\n" + ",\n".join(items) + "\n}\n")
    msg = assert_clear_error(
        outcome(root, "S.5", secret), f"mm-safety-bench-selected.json:{len(items) + 1}"
    )
    assert "duplicate key '0'" in msg


def test_deeply_nested_json_is_a_clear_error_naming_the_file(world: tuple[Path, Path]) -> None:
    root, secret = world
    path = root / "safety" / "real_toxicity_prompt" / "prompts_select.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    msg = assert_clear_error(outcome(root, "S.3", secret), "prompts_select.json")
    assert "RecursionError" not in msg


def test_a_corrupt_image_message_shows_no_object_repr(world: tuple[Path, Path]) -> None:
    root, secret = world
    img = root / "truthfulness" / "basic_images" / "grounding"
    victim = sorted(img.iterdir())[0]
    victim.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    msg = assert_clear_error(outcome(root, "T.1", secret), victim.name)
    assert "BytesIO" not in msg


# --------------------------------------------------------------------------- duplicate ids


def test_duplicate_r3_ids_with_opposite_labels_are_refused(world: tuple[Path, Path]) -> None:
    root, secret = world
    path = root / "robustness" / "ood-text" / "label.json"
    doc = json.loads(path.read_text())
    style = next(k for k, v in doc.items() if v)
    twin = dict(doc[style][0])
    twin["label"] = 1 - int(twin["label"]) if str(twin["label"]) in "01" else twin["label"]
    twin["sentence"] = "An entirely different sentence."
    doc[style].append(twin)
    path.write_text(json.dumps(doc))
    msg = assert_clear_error(outcome(root, "R.3", secret), "label.json", "duplicate id")
    assert f"{style}[{len(doc[style]) - 1}]" in msg and f"{style}[0]" in msg
    with watched(secret):
        (row,) = guarded(lambda: verify(root, "R.3"))
    assert row.status == "malformed" and "duplicate" in (row.detail or "")


def test_a_duplicate_csv_id_names_both_lines(world: tuple[Path, Path]) -> None:
    root, secret = world
    _typo_rows(root, ['0,0.png,"First"', '1,1.png,"Second"', '0,1.png,"Not the first"'])
    assert_clear_error(
        outcome(root, "S.4", secret), "prompt_and_behavior_graph.csv:4", "first on line 2"
    )


def test_a_duplicate_fairness_number_names_the_line(world: tuple[Path, Path]) -> None:
    root, secret = world
    path = root / "fairness" / "stereo_statement.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n")
    assert_clear_error(
        outcome(root, "F.2", secret), f"stereo_statement.csv:{len(lines) + 1}", "duplicate id"
    )


def test_two_images_with_one_stem_are_refused(world: tuple[Path, Path]) -> None:
    root, secret = world
    folder = root / "fairness" / "stereo_generation_images"
    first = sorted(folder.iterdir())[0]
    shutil.copy(first, first.with_suffix(".gif" if first.suffix != ".gif" else ".bmp"))
    assert_clear_error(outcome(root, "F.1", secret), "duplicate id")


def test_the_store_never_lets_a_second_sample_take_the_first_ones_row(tmp_path: Path) -> None:
    from multitrust.store import DUPLICATE_SAMPLE, ResultRow, Store

    def row(prompt: str, target: object, *, output: str | None = "ok", error: str | None = None):
        return ResultRow(
            "r", "R.3", "style/7", "text", None, prompt, [], target, {}, output,
            None if error else {"correct": 1.0}, None, None, "s", error, "timeout" if error else None,
        )  # fmt: skip

    with Store(tmp_path / "s.db") as st:
        st.open_run(
            "r", model="m", judge=None, profile="corrected", tasks=["R.3"], data={}, settings={},
            package_version="0", git_commit=None,
        )  # fmt: skip
        st.write_batch([], [row("first sentence", "positive", output=None, error="timeout: x")])
        st.write_batch([], [row("first sentence", "positive")])  # a retry of the same sample
        (good,) = list(st.iter_results("r"))
        assert good.error is None and good.output == "ok"
        # another sentence under the same id: refused, recorded as an error, never merged
        st.write_batch([], [row("second sentence", "negative", output="theirs")])
        (bad,) = list(st.iter_results("r"))
        assert bad.error is not None and bad.error.startswith(DUPLICATE_SAMPLE)
        assert bad.error_kind == "input" and bad.output is None
        assert bad.prompt == "first sentence" and bad.target == "positive"
        # within one batch too
        st.write_batch([], [row("first sentence", "positive"), row("third", "negative")])
        (again,) = list(st.iter_results("r"))
        assert again.error is not None and again.error.startswith(DUPLICATE_SAMPLE)
        # the first sample again: it takes its slot back; a same-target impostor with another
        # prompt is refused too (the stored row is a good result)
        st.write_batch([], [row("first sentence", "positive")])
        st.write_batch([], [row("an impostor", "positive", output="theirs")])
        (imp,) = list(st.iter_results("r"))
        assert imp.error is not None and imp.output is None and imp.prompt == "first sentence"
        # an ordinary error may be retried with a new prompt (a template changed since)
        st.write_batch([], [row("first sentence", "positive")])
        st.write_batch([], [row("first sentence", "positive", output=None, error="timeout: y")])
        st.write_batch([], [row("First sentence, new template", "positive")])
        (retried,) = list(st.iter_results("r"))
        assert retried.error is None and retried.prompt == "First sentence, new template"


# --------------------------------------------------------------------------- generic sweeps


def _files_by_task(pristine: Path) -> list[tuple[str, str]]:
    """(task, data file) pairs: for each annotation file read, the cheapest task reading it."""
    global _opened
    pairs: dict[str, tuple[str, int]] = {}
    for spec in all_tasks():
        if "official" not in spec.sources:
            continue
        _opened = []
        try:
            n = len(_samples(pristine, spec.id))
        finally:
            opened, _opened = _opened, None
        for p in opened:
            real = Path(p)
            if pristine in real.parents and real.suffix in (".json", ".jsonl", ".csv", ".txt"):
                rel = str(real.relative_to(pristine))
                if rel not in pairs or n < pairs[rel][1]:
                    pairs[rel] = (spec.id, n)
    return sorted((task, rel) for rel, (task, _) in pairs.items())


@pytest.fixture(scope="module")
def sweep(pristine: Path) -> list[tuple[str, str]]:
    pairs = _files_by_task(pristine)
    assert len(pairs) >= 50  # every aspect's annotation files were found
    return pairs


MUTATIONS = ("fifo", "link-out", "bom", "nul", "deep", "truncated-json")


@pytest.mark.slow
@pytest.mark.parametrize("mutation", MUTATIONS)
def test_every_data_file_under_each_mutation(
    mutation: str,
    sweep: list[tuple[str, str]],
    baseline: dict[str, list[str]],
    pristine: Path,
    tmp_path: Path,
) -> None:
    """Each annotation file of each task, corrupted one way: a clear error naming the file,
    or (for the harmless ones) the very same samples; never outside reads, never a hang."""
    checked = 0
    for i, (task, rel) in enumerate(sweep):
        root = tmp_path / f"d{i}" / "data"
        shutil.copytree(pristine, root, symlinks=True)
        secret = tmp_path / f"d{i}" / "secret.png"
        secret.write_bytes(SECRET)
        path = root / rel
        data = path.read_bytes()
        name = Path(rel).name
        if mutation == "fifo":
            replace_with_fifo(path)
        elif mutation == "link-out":
            secret.write_bytes(data)  # a plausible file, but outside the folder
            replace_with_link(path, secret)
        elif mutation == "bom":
            path.write_bytes(b"\xef\xbb\xbf" + data)
        elif mutation == "nul":
            path.write_bytes(data[: len(data) // 2] + b"\x00" + data[len(data) // 2 :])
        elif mutation == "deep":
            if path.suffix not in (".json", ".jsonl"):
                continue
            path.write_text("[" * 100_000 + "]" * 100_000)
        elif mutation == "truncated-json":
            try:
                json.loads(data)
            except ValueError:
                continue  # JSONL: a cut at a line boundary is a shorter file, by design
            if path.suffix != ".json":
                continue
            path.write_bytes(data[: len(data) // 2])
        result = outcome(root, task, secret)
        base = baseline[task]
        if mutation in ("fifo", "link-out", "deep", "truncated-json"):
            assert_clear_error(result, name)
        elif mutation == "bom":
            assert_same_or_error(result, base, name)
            assert not isinstance(result, DataError), f"{task} {rel}: a BOM is refused: {result}"
        elif not isinstance(result, DataError):  # a NUL inside some text: same count
            assert len(result) == len(base), f"{task} {rel}: sample count changed silently"
        else:
            assert_clear_error(result, name)
        checked += 1
    assert checked >= 8


def test_error_causes_are_not_prefixed_with_their_kind_twice(tmp_path: Path) -> None:
    from multitrust.store import ResultRow, Store, cause_text

    with Store(tmp_path / "s.db") as st:
        st.open_run(
            "r", model="m", judge=None, profile="corrected", tasks=["P.1"], data={}, settings={},
            package_version="0", git_commit=None,
        )  # fmt: skip
        msg = "input: m: corrupt or unreadable image a.png: broken (after 1 attempt)"
        st.write_batch(
            [],
            [ResultRow("r", "P.1", "x", "image", None, "p", [], 1, {}, None, None, None, None,
                       None, msg, "input")],
        )  # fmt: skip
        ((kind, text, n),) = st.error_causes("r", "P.1")
    assert (kind, n) == ("input", 1)
    assert f"{kind}: {text}" == msg  # shown as "kind: message": one prefix, not two
    assert cause_text("timeout", "no answer") == "no answer"


def test_an_image_swapped_for_a_link_after_loading_is_never_read_out(
    world: tuple[Path, Path],
) -> None:
    """Images are hashed at load and read again when sent: a link swapped in between (or any
    other change) is refused, so the outside file's bytes never reach a request."""
    root, secret = world
    (sample, *_) = _samples(root, "S.1")
    (img,) = sample.images
    assert img.path is not None
    target = Path(img.path)
    replace_with_link(target, secret)
    with watched(secret), pytest.raises(DataError, match="symbolic link"):
        img.read_bytes()
    target.unlink()
    target.write_bytes(b"\x89PNG\r\n\x1a\nsomething else")
    with pytest.raises(DataError, match="changed since it was loaded"):
        img.read_bytes()


def test_nan_and_infinity_in_json_are_errors_not_numbers(world: tuple[Path, Path]) -> None:
    root, secret = world
    q = root / "truthfulness" / "query_basic" / "query_g_grounding.json"
    rows = json.loads(q.read_text())
    rows[0]["truth"] = "[NaN, 0.1, 0.5, 0.6]"  # inside the string the loader parses itself
    q.write_text(json.dumps(rows))
    assert_clear_error(outcome(root, "T.1", secret), "query_g_grounding.json", "item [0]")
    path = root / "robustness" / "advglue" / "label.json"
    path.write_text(path.read_text().replace('"label": 0', '"label": Infinity', 1))
    msg = assert_clear_error(outcome(root, "R.6", secret), "label.json")
    assert "Infinity" in msg


def test_a_plugin_task_with_duplicate_ids_is_never_merged_in_a_run(tmp_path: Path) -> None:
    """Through the engine (a task outside the package, so no loader check): two different
    questions under one id; neither answer takes the other's row, and a rerun keeps it so."""
    import sqlite3

    from multitrust import evaluate
    from multitrust.formula import mean_over
    from multitrust.scoring.yesno import yes_no
    from multitrust.store import DUPLICATE_SAMPLE
    from multitrust.tasks import base as task_base
    from multitrust.tasks.base import Task, TaskData, TaskSpec
    from multitrust.types import GenerateConfig

    def load(data: Any) -> Iterator[Sample]:
        yield Sample(id="q1", text="Is the sky green?", target=False, meta={"kind": "a"})
        yield Sample(id="q2", text="Is water wet?", target=True, meta={"kind": "a"})
        yield Sample(id="q1", text="Is grass green?", target=True, meta={"kind": "a"})

    def build(data: TaskData) -> Task:
        return Task(
            scorer=yes_no(),
            formula=lambda r: 100 * mean_over(r, "correct", "kind"),
            config=GenerateConfig(max_tokens=8),
        )

    spec = TaskSpec("T.93", "Duplicate ids", "truthfulness", "T.M", build, (load,), (load,))
    task_base._REGISTRY[spec.id] = spec
    try:
        db = tmp_path / "d.db"
        for _ in range(2):  # the first run and a rerun
            rep = evaluate("scripted/oracle", "T.93", data="synth", db=db, bootstrap=0)
            con = sqlite3.connect(db)
            rows = con.execute(
                "SELECT sample_id, prompt, error FROM results WHERE task_id='T.93'"
            ).fetchall()
            con.close()
            by_id = {r[0]: r for r in rows}
            assert set(by_id) == {"q1", "q2"}
            assert by_id["q2"][2] is None
            assert by_id["q1"][2] is not None and by_id["q1"][2].startswith(DUPLICATE_SAMPLE)
            assert rep.tasks["T.93"].n == 1  # only q2 is scored
    finally:
        task_base._REGISTRY.pop(spec.id, None)


def test_a_huge_annotation_file_is_refused_before_it_is_read(world: tuple[Path, Path]) -> None:
    root, secret = world
    path = root / "truthfulness" / "query_misleading" / "query_d_confusion.json"
    with path.open("r+b") as f:
        f.truncate(300 * 1024 * 1024)  # sparse: no disk used, and never read
    msg = assert_clear_error(outcome(root, "T.6", secret), "query_d_confusion.json")
    assert "too large" in msg
