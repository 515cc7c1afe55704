"""A task whose data stream fails is failed with the cause in its reason: the message of one
of ours as it is, anything else named by its type."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from multitrust import evaluate
from multitrust.data.base import DataSource
from multitrust.errors import ConfigError
from multitrust.tasks import base as task_base
from multitrust.tasks.base import TaskSpec
from multitrust.types import Sample
from tests.engine.conftest import build_toy


def _one(data: DataSource) -> Iterator[Sample]:
    yield Sample(id="q0", text="Is 0 even?", target=True, meta={"kind": "a"})


def _ours(data: DataSource) -> Iterator[Sample]:
    yield from _one(data)
    raise ConfigError("row 2 of pool.jsonl has no image")


def _theirs(data: DataSource) -> Iterator[Sample]:
    yield from _one(data)
    raise KeyError("image")


@pytest.mark.parametrize(
    ("loader", "cause"),
    [
        (_ours, "data error: row 2 of pool.jsonl has no image"),
        (_theirs, "data error: KeyError while reading the data: 'image'"),
    ],
)
def test_the_data_error_is_the_reason(
    loader: Callable[[DataSource], Iterator[Sample]], cause: str, tmp_path: Path
) -> None:
    task_base._REGISTRY["T.95"] = TaskSpec(
        "T.95",
        "Toy broken",
        "truthfulness",
        "T.M",
        build_toy,
        (loader,),
        (loader,),
    )
    try:
        rep = evaluate("scripted/oracle", "T.95", db=tmp_path / "s.db", size=2, bootstrap=0)
    finally:
        task_base._REGISTRY.pop("T.95", None)
    oc = rep.tasks["T.95"]
    assert oc.status == "failed" and oc.n == 1
    assert (oc.reason or "").startswith(cause)
