"""The floors: the import contract in pyproject.toml holds, and fails on an upward import.

The contract (``lint-imports``, run by ./dev.sh test, test-fast and pre-commit) is checked here
against a copy of the package with one import planted, so a contract that stopped checking
anything would fail this test. An independent check over the import graph (grimp, the graph
import-linter reads, TYPE_CHECKING and function-level imports included) finds no circle and no
module inside the package importing the package root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "multitrust"
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(src_root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with ``src_root`` first on the path, the repository's contract."""
    env = {**os.environ, "PYTHONPATH": str(src_root)}
    return subprocess.run(
        [str(LINT), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=src_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(SRC, tmp_path / "multitrust", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _plant(root: Path, module: str, line: str) -> None:
    path = root / "multitrust" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_contract_holds(copy: Path) -> None:
    out = _lint(copy)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 kept, 0 broken" in out.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        (
            "store/__init__.py",
            "import multitrust.cli",
            "multitrust.store is not allowed to import multitrust.cli",
        ),
        (
            "scoring/base.py",
            "if TYPE_CHECKING:\n    from multitrust.config import RunConfig",
            "multitrust.scoring is not allowed to import multitrust.config",
        ),
        ("data/base.py", "from multitrust.scoring import base", "multitrust.data is not allowed"),
        (
            "models/base.py",
            "import multitrust.models.replicas",
            "No cycles are allowed in multitrust.models",
        ),
    ],
    ids=["upward", "upward-type-checking", "between-siblings", "circle-in-a-package"],
)
def test_the_contract_fails_on_a_planted_import(
    copy: Path, module: str, line: str, broken: str
) -> None:
    if "TYPE_CHECKING" in line:
        line = "from typing import TYPE_CHECKING\n" + line
    _plant(copy, module, line)
    out = _lint(copy)
    assert out.returncode != 0
    assert broken in out.stdout, out.stdout


def test_no_import_circle_and_nothing_imports_the_package_root() -> None:
    graph = grimp.build_graph("multitrust", exclude_type_checking_imports=False, cache_dir=None)
    assert graph.find_modules_that_directly_import("multitrust") == set()
    cycles = [
        (m, dep)
        for m in graph.modules
        for dep in graph.find_modules_directly_imported_by(m)
        if graph.chain_exists(importer=dep, imported=m)
    ]
    assert cycles == []


MAX_LINES = 600


def test_no_module_over_600_lines() -> None:
    # a module that grows past this splits into private parts (scoring/refusal/, store/, api/)
    long = {
        str(p.relative_to(SRC)): n
        for p in SRC.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
