"""The README's install line gives the whole synthetic suite and every export format; without
a loader's package, ``data synth`` skips the task with one line."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from typer.testing import CliRunner

from multitrust.cli import app
from multitrust.data.base import missing_modules
from multitrust.tasks import all_tasks

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest itself depends on tomli before 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _readme_install_extras() -> list[str]:
    """The extras of the README's documented ``pip install -e '.[...]'`` line."""
    m = re.search(r"pip install -e '\.\[([^\]]*)\]'", (ROOT / "README.md").read_text())
    assert m, "README.md documents no `pip install -e '.[...]'` line"
    return [e.strip() for e in m.group(1).split(",")]


def _installed_by(extras: list[str]) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in extras:
        reqs += project["optional-dependencies"][extra]
    return {canonicalize_name(Requirement(r).name) for r in reqs}


def _declared_by_synth_loaders() -> dict[str, str]:
    """Every package a synthetic loader declares, whether or not it is installed here."""
    out: dict[str, str] = {}
    for spec in all_tasks():
        for loader in spec.synth or ():
            fn: Any = loader
            while fn is not None:
                out.update(getattr(fn, "__multitrust_needs__", {}))
                fn = getattr(fn, "func", None) or getattr(fn, "loader", None)
    return out


def test_the_documented_install_covers_synth_and_parquet() -> None:
    installed = _installed_by(_readme_install_extras())
    declared = _declared_by_synth_loaders()
    assert declared.get("skimage") == "scikit-image"  # R.1 / R.2 draw the bundled photos
    for pip_name in [*declared.values(), "pyarrow"]:
        assert canonicalize_name(pip_name) in installed, pip_name


def test_data_synth_skips_a_task_whose_package_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "skimage", None)
    assert missing_modules(next(s for s in all_tasks() if s.id == "R.1").synth or ()) == {
        "skimage": "scikit-image"
    }
    res = CliRunner().invoke(
        app,
        [
            "data",
            "synth",
            "-t",
            "R.1,R.3",
            "--size",
            "2",
            "-j",
            "1",
            "--synth-cache",
            str(tmp_path),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    assert (
        "R.1: skipped, needs scikit-image, which is not installed: pip install scikit-image"
        in res.output
    )
    assert re.search(r"^R\.3 +10 samples", res.output, re.M)  # R.3 was still drawn
