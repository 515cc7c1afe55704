"""docs/scale.md, checked offline: its command lines parse, its files and code are valid.

No Ray cluster, vLLM or GPU here: what can be checked is that every ``multitrust`` command the
page shows is accepted by the real CLI parser (so a renamed or removed option breaks this test,
not a user's cluster job), that the replica file it shows is read by the real reader, and that
its Python block is valid Python importing only ``ray.serve.llm`` names the recipe relies on.
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer

from multitrust.cli import app
from multitrust.models.replicas import read_url_file

DOC = Path(__file__).resolve().parents[1] / "docs" / "scale.md"


def blocks(lang: str = "") -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    # any block when lang is "" (the page labels its shell blocks ```bash)
    return re.findall(rf"```{lang or '[a-z]*'}\n(.*?)```", text, flags=re.S)


def commands(prefix: str) -> list[list[str]]:
    """Command lines starting with ``prefix`` in the page's shell blocks (continuations joined)."""
    out: list[list[str]] = []
    for block in blocks():
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith(prefix):
                out.append(shlex.split(line))
    return out


def test_every_multitrust_command_on_the_page_parses() -> None:
    cmds = commands("multitrust ")
    assert len(cmds) >= 8, cmds
    group: Any = typer.main.get_command(app)
    for argv in cmds:
        sub = group.get_command(group.make_context("multitrust", [argv[1]]), argv[1])
        assert sub is not None, argv
        args = [a.replace("<head-ip>", "10.0.0.1") for a in argv[2:]]
        try:
            sub.make_context(argv[1], args)
        except Exception as exc:  # a usage error: an unknown option, a missing value
            pytest.fail(f"{shlex.join(argv)}: {type(exc).__name__}: {exc}")


def test_vllm_and_ray_lines_use_the_flags_the_recipe_explains() -> None:
    serve = commands("vllm serve")
    assert serve, "the page shows how to start vLLM"
    for argv in serve:
        assert argv[2].count("/") == 1  # an hf id
        flags = [a for a in argv if a.startswith("--")]
        assert len(flags) == len(set(flags))
    multi = [a for a in serve if "--pipeline-parallel-size" in a]
    assert multi and "--distributed-executor-backend" in multi[0]
    assert multi[0][multi[0].index("--distributed-executor-backend") + 1] == "ray"
    ray = commands("ray start")
    assert any("--head" in a for a in ray) and any(
        any(x.startswith("--address=") for x in a) for a in ray
    )


def test_the_replica_file_on_the_page_is_read_by_the_real_reader(tmp_path: Path) -> None:
    (example,) = [b for b in blocks() if b.startswith("# replicas.txt")]
    f = tmp_path / "replicas.txt"
    f.write_text(example)
    assert read_url_file(f) == [f"http://node{i}:8000/v1" for i in range(1, 5)]


def test_the_ray_serve_block_is_valid_python() -> None:
    (code,) = blocks("python")
    tree = ast.parse(code)
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert ("ray.serve.llm", "LLMConfig") in imported
    assert ("ray.serve.llm", "build_openai_app") in imported
    assert "app" in {
        t.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
