"""Fixtures for the inspect_ai bridge tests: offline token counts, and the environment the
``inspect`` command runs in.

inspect's ``mockllm/model`` fills in token usage by counting with tiktoken's ``o200k_base``
encoding, which tiktoken downloads on first use. The tests never touch the network: they put a
byte-level stand-in under that name in tiktoken's registry (in this process, and through a
``sitecustomize`` in the ``inspect`` subprocess). It changes the usage figures in the log only;
nothing the bridge scores reads them.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - inspect_ai needs 3.11; these tests skip there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]

STAND_IN = """
import tiktoken.registry as _registry
from tiktoken import Encoding as _Encoding

_registry.ENCODINGS["o200k_base"] = _Encoding(
    name="o200k_base",
    pat_str=r"\\S+|\\s+",
    mergeable_ranks={bytes([i]): i for i in range(256)},
    special_tokens={},
)
"""


def byte_encoding() -> object:
    from tiktoken import Encoding

    return Encoding(
        name="o200k_base",
        pat_str=r"\S+|\s+",
        mergeable_ranks={bytes([i]): i for i in range(256)},
        special_tokens={},
    )


@pytest.fixture(autouse=True)
def offline_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    import tiktoken.registry

    monkeypatch.setitem(tiktoken.registry.ENCODINGS, "o200k_base", byte_encoding())


def declared_entry_point() -> tuple[str, str]:
    """The ``inspect_ai`` entry point pyproject.toml declares: (name, module)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    ((name, value),) = project["entry-points"]["inspect_ai"].items()
    return name, value


def installed_entry_point() -> str | None:
    """The module the installed multitrust's metadata registers under ``inspect_ai``."""
    for ep in importlib.metadata.entry_points(group="inspect_ai"):
        if ep.name == "multitrust":
            return ep.value
    return None


def installed_from_here() -> bool:
    """Whether an installed multitrust is this checkout installed editable (pip's PEP 610
    ``direct_url.json`` names it). Then the ``inspect`` subprocess must NOT get ``src/`` on
    PYTHONPATH: the ``src/multitrust.egg-info`` that setuptools leaves there would come first,
    and inspect, finding no ``direct_url.json`` in it, takes the package for neither installed
    nor editable and registers its tasks without the ``multitrust/`` namespace."""
    for dist in importlib.metadata.distributions(name="multitrust"):
        text = dist.read_text("direct_url.json")
        if not text:
            continue
        parts = urlsplit(json.loads(text).get("url", ""))
        if parts.scheme == "file" and Path(unquote(parts.path)).resolve() == ROOT.resolve():
            return True
    return False


@pytest.fixture(scope="session")
def inspect_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment for an ``inspect`` subprocess: this checkout's sources, the token
    stand-in, and, when the installed metadata predates the entry point (an editable install
    made before pyproject.toml declared it: reinstall to refresh), the declared entry point
    exactly as pip would install it."""
    extra = tmp_path_factory.mktemp("inspect-site")
    (extra / "sitecustomize.py").write_text(STAND_IN)
    name, value = declared_entry_point()
    if installed_entry_point() != value:
        info = extra / "multitrust_inspect_entry_point-0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: multitrust-inspect-entry-point\nVersion: 0\n"
        )
        (info / "entry_points.txt").write_text(f"[inspect_ai]\n{name} = {value}\n")
    env = dict(os.environ)
    # a worktree or a checkout other than the installed one: its own sources first
    own = [] if installed_from_here() else [str(ROOT / "src")]
    paths = [*own, str(extra), *filter(None, [env.get("PYTHONPATH")])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["INSPECT_DISPLAY"] = "plain"
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"  # one line per message: rich wraps at the terminal width
    yield env
