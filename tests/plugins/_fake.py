"""Fake installed distributions for plugin tests: a folder on ``sys.path`` holding a
``NAME-VERSION.dist-info`` (METADATA, entry_points.txt) and the modules its entry points name."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def make_dist(
    where: Path,
    name: str,
    entry_points: dict[str, dict[str, str]],
    modules: dict[str, str] | None = None,
    version: str = "1.0",
) -> Path:
    """Write distribution ``name`` into the folder ``where`` (created) and return ``where``."""
    info = where / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines: list[str] = []
    for group, eps in entry_points.items():
        lines += [f"[{group}]", *(f"{k} = {v}" for k, v in eps.items()), ""]
    (info / "entry_points.txt").write_text("\n".join(lines))
    for module, source in (modules or {}).items():
        (where / f"{module}.py").write_text(textwrap.dedent(source))
    return where


def cli_path() -> str:
    """The installed ``multitrust`` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "multitrust"
    assert script.is_file(), f"no installed multitrust script next to {sys.executable}"
    return str(script)


def run_cli(
    *args: str, extra_path: Path | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The installed ``multitrust`` CLI run as a user would, on this checkout's code."""
    paths = [str(ROOT / "src"), *([str(extra_path)] if extra_path else [])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "COLUMNS": "200"}
    return subprocess.run(
        [cli_path(), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
        check=False,
    )
