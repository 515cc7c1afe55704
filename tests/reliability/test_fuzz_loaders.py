"""Fuzz the official data loaders: whatever is in the files, only DataError may escape.

A fixture tree in the official layout is built once; an audit hook records which data files
(JSON, JSONL, CSV, TXT) each task reads. Hypothesis then replaces one of those files with
random bytes, random JSON, or a structure-preserving mutation of the original (same keys and
columns, random values: this reaches the field checks behind the parser), builds the task
and iterates its samples. A ``MultitrustError`` (``DataError`` naming the file, or
``Unavailable``) is the only acceptable failure; anything else is a loader bug.
"""

from __future__ import annotations

import csv
import io
import json
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multitrust.data.base import OfficialData
from multitrust.errors import MultitrustError
from multitrust.tasks import all_tasks, get_task
from tests.fixtures.official import build_official_fixture

pytestmark = pytest.mark.slow  # fuzzing (many generated inputs)

DATA_SUFFIXES = (".json", ".jsonl", ".csv", ".txt")
ASPECT_OF = {"T": "truthfulness", "S": "safety", "R": "robustness", "F": "fairness", "P": "privacy"}
#: Aspects whose loaders let UnicodeDecodeError escape on a file that is not UTF-8 (known bug,
#: reported; see test_non_utf8_file_is_a_data_error). Empty this set once it is fixed.
KNOWN_NON_UTF8: set[str] = set()
MAX_SAMPLES = 300  # enough to reach every file a task reads; keeps each example fast

_recording: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _recording is not None and event == "open" and isinstance(args[0], str):
        _recording.append(args[0])


sys.addaudithook(_audit)  # audit hooks cannot be removed; it only records while _recording is set


def iterate(root: Path, task_id: str) -> int:
    task = get_task(task_id).build(OfficialData(root))
    n = 0
    for _ in task.iter_samples():
        n += 1
        if n >= MAX_SAMPLES:
            break
    return n


def files_read(root: Path) -> list[tuple[str, str]]:
    """(task id, data file relative to the root) for every official task that loads cleanly."""
    global _recording
    pairs: list[tuple[str, str]] = []
    for spec in all_tasks():
        if "official" not in spec.sources:
            continue
        _recording = []
        try:
            iterate(root, spec.id)
        except MultitrustError:
            continue  # a task the fixture does not cover: nothing to fuzz
        finally:
            opened, _recording = _recording, None
        rels = sorted(
            {str(Path(p).resolve().relative_to(root)) for p in opened if p.startswith(str(root))}
        )
        pairs += [(spec.id, rel) for rel in rels if rel.endswith(DATA_SUFFIXES)]
    return pairs


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[tuple[str, str]]]]:
    root = build_official_fixture(tmp_path_factory.mktemp("official") / "data").resolve()
    pairs = files_read(root)
    yield root, pairs


def test_fixture_covers_most_loaders(tree: tuple[Path, list[tuple[str, str]]]) -> None:
    _, pairs = tree
    tasks = {t for t, _ in pairs}
    assert len(tasks) >= 20, sorted(tasks)  # the fuzz below reaches most official loaders
    assert len(pairs) >= 30


# -- content strategies ------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)


def _json_dump(value: Any) -> bytes:
    return json.dumps(value).encode()


def _mutate_json(original: Any, data: st.DataObject) -> Any:
    """Replace some leaves (or whole records) of the original structure with random values."""
    if isinstance(original, dict):
        out: dict[str, Any] = {}
        for k, v in original.items():
            choice = data.draw(st.integers(0, 9))
            if choice == 0:
                continue  # drop the key
            out[k] = data.draw(json_values) if choice == 1 else _mutate_json(v, data)
        return out
    if isinstance(original, list):
        items = original[:6]
        return [
            data.draw(json_values) if data.draw(st.integers(0, 4)) == 0 else _mutate_json(v, data)
            for v in items
        ]
    return data.draw(json_values) if data.draw(st.integers(0, 2)) == 0 else original


def mutate(rel: str, raw: bytes, data: st.DataObject) -> bytes:
    """A structure-preserving mutation of a data file (same keys / columns, random values)."""
    text = raw.decode("utf-8", "replace")
    if rel.endswith(".json"):
        try:
            return _json_dump(_mutate_json(json.loads(text), data))
        except ValueError:
            pass  # some official ".json" files are JSON Lines
    if rel.endswith((".json", ".jsonl")):
        lines = [ln for ln in text.splitlines() if ln.strip()][:6]
        out = []
        for ln in lines:
            try:
                out.append(json.dumps(_mutate_json(json.loads(ln), data)))
            except ValueError:
                out.append(ln)
        if data.draw(st.booleans()):
            out.append(data.draw(st.text(max_size=40)).replace("\n", " "))
        return "\n".join(out).encode()
    if rel.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(text)))[:7]
        buf = io.StringIO()
        w = csv.writer(buf)
        for i, row in enumerate(rows):
            if i and data.draw(st.integers(0, 2)) == 0:
                row = [
                    data.draw(st.text(max_size=12))
                    for _ in range(data.draw(st.integers(0, len(row) + 2)))
                ]
            w.writerow(row)
        return buf.getvalue().encode()
    lines = text.splitlines()[:8]
    return "\n".join(
        data.draw(st.text(max_size=30)) if data.draw(st.booleans()) else ln for ln in lines
    ).encode()


def check(root: Path, task_id: str, rel: str, content: bytes) -> None:
    path = root / rel
    original = path.read_bytes()
    path.write_bytes(content)
    try:
        iterate(root, task_id)
    except MultitrustError:
        pass
    except Exception as exc:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-3:])
        pytest.fail(
            f"{task_id} reading fuzzed {rel} raised {type(exc).__name__}: {exc}\n{tb}\ncontent={content[:300]!r}"
        )
    finally:
        path.write_bytes(original)


FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("aspect", sorted(set(ASPECT_OF.values())))
def test_non_utf8_file_is_a_data_error(
    tree: tuple[Path, list[tuple[str, str]]], aspect: str
) -> None:
    root, pairs = tree
    mine = [(t, rel) for t, rel in pairs if ASPECT_OF[t[0]] == aspect]
    assert mine
    try:
        for task_id, rel in mine:
            check(root, task_id, rel, b"\xff\xfe\x00\x81 not utf-8 \xc3\x28")
    except pytest.fail.Exception:
        if aspect not in KNOWN_NON_UTF8:
            raise
        pytest.xfail(
            f"{aspect} loaders read files with encoding='utf-8' outside their try/except: "
            "UnicodeDecodeError escapes instead of DataError"
        )


@FUZZ
@given(data=st.data())
def test_random_bytes(tree: tuple[Path, list[tuple[str, str]]], data: st.DataObject) -> None:
    root, pairs = tree
    task_id, rel = data.draw(st.sampled_from(pairs))
    content = data.draw(st.binary(max_size=400))
    if ASPECT_OF[task_id[0]] in KNOWN_NON_UTF8:  # tracked by test_non_utf8_file_is_a_data_error
        content = content.decode("utf-8", "replace").encode()
    check(root, task_id, rel, content)


@FUZZ
@given(data=st.data())
def test_random_json(tree: tuple[Path, list[tuple[str, str]]], data: st.DataObject) -> None:
    root, pairs = tree
    task_id, rel = data.draw(st.sampled_from(pairs))
    check(root, task_id, rel, _json_dump(data.draw(json_values)))


@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_structured_mutation(tree: tuple[Path, list[tuple[str, str]]], data: st.DataObject) -> None:
    root, pairs = tree
    task_id, rel = data.draw(st.sampled_from(pairs))
    raw = (root / rel).read_bytes()
    check(root, task_id, rel, mutate(rel, raw, data))
