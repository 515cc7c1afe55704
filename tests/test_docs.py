"""The docs are checked against the code they describe.

* Every shell command in README.md and docs/**/*.md (fenced ``bash`` blocks, and inline
  ``multitrust …`` spans) is parsed: a ``multitrust`` command by the live CLI's own parser
  (subcommand, options, types; nothing is run), ``python benchmarks/X.py`` against the script's
  ``--help``, ``pip install`` extras against pyproject, ``./dev.sh`` against its subcommands.
* Every Python block runs (on the synthetic suite), in a scratch folder.
* The figures that a script in benchmarks/ prints cheaply and deterministically are regenerated
  and compared (slow: about a minute); every other figure taken from a benchmark names the script
  and the date it was measured on its page.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import itertools
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main

from multitrust.cli import app

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest itself depends on tomli before 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)
SHELL_LANGS = {"bash", "sh", "shell", "console"}
#: Commands of other tools the docs show (Ray, vLLM): not ours to parse.
EXTERNAL = {"ray", "vllm", "serve"}
#: Python modules a docs block may import that this project does not install (Ray Serve).
EXTERNAL_PY = {"ray"}
#: Leading words that make a block a shell block: an unlabelled block starting so is an error.
COMMAND_WORDS = {"multitrust", "python", "pip", "pytest", "./dev.sh", "inspect", *EXTERNAL}
#: A whole token that stands for a value the reader fills in.
PLACEHOLDER = re.compile(r"^(<[^<>\s]+>|\.\.\.|[A-Z][A-Z_]*)$")
SENTINEL = "\0placeholder"


@dataclass(frozen=True)
class Snippet:
    page: Path
    line: int
    text: str
    inline: bool = False
    """Named in prose (``multitrust data verify``): required arguments may be left out."""

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}: {self.text.strip()[:120]}"


def _blocks() -> list[tuple[str, Snippet]]:
    out = []
    for page in PAGES:
        text = page.read_text()
        for m in FENCE.finditer(text):
            line = text.count("\n", 0, m.start()) + 2
            out.append((m.group(1), Snippet(page, line, m.group(2))))
    return out


def _logical_lines(block: Snippet) -> list[Snippet]:
    """The block's command lines, backslash continuations joined, comments and blanks dropped."""
    out: list[Snippet] = []
    pending, start = "", 0
    for i, raw in enumerate(block.text.splitlines()):
        if not pending:
            start = i
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line = (pending + raw).strip()
        pending = ""
        if line and not line.startswith("#"):
            out.append(Snippet(block.page, block.line + start, line))
    return out


def _shell_commands() -> list[Snippet]:
    cmds = [c for lang, b in _blocks() if lang in SHELL_LANGS for c in _logical_lines(b)]
    for page in PAGES:  # inline `multitrust …` in prose
        text = page.read_text()
        body = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
        for m in re.finditer(r"(?<!`)`(multitrust [^`]+)`", body):
            cmds.append(Snippet(page, text.count("\n", 0, m.start()) + 1, m.group(1), True))
    return cmds


def _python_blocks() -> list[Snippet]:
    return [b for lang, b in _blocks() if lang in ("python", "py")]


def _tokens(line: str) -> list[str]:
    """Shell words, each placeholder (``<head-ip>``, ``N``, ``...``) as SENTINEL; a placeholder
    inside a word (``http://<head-ip>:8000``) becomes ``x``."""
    line = re.sub(r"(?<=\S)<[^<>\s]+>|<[^<>\s]+>(?=\S)", "x", line)
    lex = shlex.shlex(line, posix=True, punctuation_chars="|&;<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    return [SENTINEL if PLACEHOLDER.match(t) else t for t in lex]


def _split_commands(tokens: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for t in tokens:
        if t and set(t) <= set("|&;"):
            out.append([])
        else:
            out[-1].append(t)
    cmds = []
    for c in out:
        while c and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", c[0]):  # HF_TOKEN=... multitrust …
            c = c[1:]
        if c:
            cmds.append(c)
    return cmds


# --------------------------------------------------------------------------- the live CLI


def parse_cli(args: list[str], *, partial: bool = False) -> str | None:
    """Parse ``multitrust ARGS`` with the live CLI (nothing runs); the error, or None.
    ``partial``: a command named in prose may leave out its required arguments."""
    try:  # the click that this typer uses: bundled (typer >= 0.29) or the package
        from typer._click.exceptions import ClickException
    except ImportError:  # pragma: no cover
        from click.exceptions import ClickException  # type: ignore[assignment]

    cmd: Any = typer.main.get_command(app)
    name = "multitrust"
    args = list(args)
    while hasattr(cmd, "commands"):  # a group: the next word picks its subcommand
        if not args or args[0] not in cmd.commands:
            return f"no such command {args[0] if args else '(none)'!r} under {name!r}"
        name = f"{name} {args[0]}"
        cmd, args = cmd.commands[args[0]], args[1:]
    last: str | None = None
    for fill in ("1", "x"):  # a placeholder stands for a number or a word
        try:
            cmd.make_context(name, [fill if a == SENTINEL else a for a in args])
            return None
        except ClickException as exc:
            last = f"{name}: {exc.format_message()}"
            if partial and re.match(r"Missing (argument|option)", exc.format_message()):
                return None
    return last


def test_the_parser_check_refuses_what_the_cli_refuses() -> None:
    """The check itself: a wrong flag, a wrong command or a bad type is an error."""
    assert parse_cli(["eval", "--model", "scripted/oracle", "--size", "3"]) is None
    assert parse_cli(["data", "verify", "data/multitrust"]) is None
    assert "--bogus" in (parse_cli(["eval", "--bogus"]) or "")
    assert "evl" in (parse_cli(["evl"]) or "")
    assert parse_cli(["eval", "--size", "abc"]) is not None
    assert parse_cli(["data", "nope"]) is not None


# --------------------------------------------------------------------------- other commands


@functools.cache
def _benchmark_flags(script: str) -> str:
    res = subprocess.run(
        [sys.executable, str(ROOT / script), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
    )
    assert res.returncode == 0, f"{script} --help: {res.stderr[-500:]}"
    return res.stdout


@functools.cache
def _extras() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return set(project["optional-dependencies"])


def check_command(words: list[str], *, inline: bool = False) -> str | None:
    head, rest = words[0], words[1:]
    if head == "multitrust":
        return parse_cli(rest, partial=inline)
    if head == "python" and rest[:2] == ["-m", "multitrust"]:
        return parse_cli(rest[2:], partial=inline)
    if head == "python" and rest and rest[0].startswith("benchmarks/"):
        if not (ROOT / rest[0]).is_file():
            return f"no such script {rest[0]}"
        helptext = _benchmark_flags(rest[0])
        unknown = [
            a.split("=")[0]
            for a in rest[1:]
            if a.startswith("--") and not re.search(rf"{re.escape(a.split('=')[0])}\b", helptext)
        ]
        return f"{rest[0]} has no {', '.join(unknown)}" if unknown else None
    if head == "pip":
        for spec in rest:
            m = re.match(r"^(?:\.|multitrust)\[([^\]]*)\]$", spec)
            if m:
                missing = {e.strip() for e in m.group(1).split(",")} - _extras()
                if missing:
                    return f"pyproject.toml has no extra {', '.join(sorted(missing))}"
        return None
    if head == "./dev.sh":
        subs = set(re.findall(r"^\s+([a-z][a-z-]*)\)", (ROOT / "dev.sh").read_text(), re.M))
        return None if rest and rest[0] in subs else f"dev.sh has no {rest[:1]} (has {subs})"
    if head == "pytest":
        paths = [a for a in rest if not a.startswith("-") and "/" in a]
        absent = [p for p in paths if not (ROOT / p.split("::")[0]).exists()]
        return f"no such test path {absent}" if absent else None
    if head == "inspect":
        return check_inspect(rest)
    if head in EXTERNAL:
        return None
    return f"unrecognised command {head!r} (teach tests/test_docs.py about it)"


def check_inspect(args: list[str]) -> str | None:
    """``inspect eval multitrust/<task> … -T arg=value`` names bridged tasks and their
    arguments (docs/ecosystem.md); ``inspect view`` is inspect's own."""
    from multitrust.inspect_bridge import TASK_ARGS, inspect_name, task_id_of
    from multitrust.tasks import get_task

    if args[:1] == ["view"]:
        return None
    if args[:1] != ["eval"]:
        return f"inspect {args[:1]}: only `inspect eval` and `inspect view` are documented"
    problems = []
    names = [a for a in args[1:] if a.startswith("multitrust/")]
    if not names:
        problems.append("names no multitrust/<task>")
    for name in names:
        try:
            spec = get_task(task_id_of(name))
        except Exception as exc:
            problems.append(f"{name}: {exc}")
            continue
        if name != f"multitrust/{inspect_name(spec.id)}":
            problems.append(f"{name}: inspect knows it as multitrust/{inspect_name(spec.id)}")
    for flag, value in itertools.pairwise(args):
        if flag == "-T" and value.split("=", 1)[0] not in TASK_ARGS:
            problems.append(f"-T {value}: the bridged tasks take {', '.join(TASK_ARGS)}")
    if "--model" not in args:
        problems.append("no --model")
    return "; ".join(problems) or None


def test_the_inspect_check_refuses_what_the_bridge_refuses() -> None:
    assert check_inspect(["eval", "multitrust/T2", "--model", "m", "-T", "size=2"]) is None
    assert check_inspect(["eval", "multitrust/T.2", "--model", "m"])  # a dot: a file path
    assert check_inspect(["eval", "multitrust/T9", "--model", "m"])  # no such task
    assert check_inspect(["eval", "multitrust/T2", "--model", "m", "-T", "sizes=2"])
    assert check_inspect(["eval", "multitrust/T2"])  # no model
    assert check_inspect(["view", "--log-dir", "logs"]) is None


def test_docs_show_commands_and_the_check_finds_them() -> None:
    cmds = _shell_commands()
    heads = {w[0] for c in cmds for w in _split_commands(_tokens(c.text))}
    assert {"multitrust", "pip", "python", "./dev.sh"} <= heads, heads
    assert sum(1 for c in cmds if c.text.startswith("multitrust ")) >= 20


def test_every_shell_command_in_the_docs_parses() -> None:
    problems = []
    for cmd in _shell_commands():
        for words in _split_commands(_tokens(cmd.text)):
            err = check_command(words, inline=cmd.inline)
            if err:
                problems.append(f"{cmd}\n    -> {err}")
    assert not problems, "\n".join(problems)


def test_no_command_hides_in_an_unlabelled_block() -> None:
    """A block that shows commands says ``bash``, so the check above sees it."""
    hidden = [
        str(line)
        for lang, block in _blocks()
        if lang not in SHELL_LANGS and lang not in ("python", "py")
        for line in _logical_lines(block)
        if line.text.split()[0] in COMMAND_WORDS
    ]
    assert not hidden, "\n".join(hidden)


# --------------------------------------------------------------------------- Python blocks


def _imports(source: str) -> set[str]:
    tree = ast.parse(source)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("block", _python_blocks(), ids=lambda b: f"{b.page.name}:{b.line}")
def test_every_python_block_runs(
    block: Snippet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = compile(block.text, str(block), "exec")
    absent = {m for m in _imports(block.text) if importlib.util.find_spec(m) is None}
    if absent:
        # only the other tools' own examples may need what this project does not install
        assert absent <= EXTERNAL_PY, f"{block}: imports {absent}, which are not installed"
        return
    monkeypatch.chdir(tmp_path)
    exec(code, {"__name__": "__docs__"})


def test_the_readme_python_block_is_run() -> None:
    blocks = [b for b in _python_blocks() if b.page.name == "README.md"]
    assert blocks and all("evaluate(" in b.text for b in blocks)


# --------------------------------------------------------------------------- scoring.md names


def test_scoring_md_names_are_importable_from_the_package() -> None:
    """scoring.md: the package re-exports every public name its table lists, except the three
    factories named like their module."""
    import multitrust.scoring as scoring

    text = (ROOT / "docs" / "scoring.md").read_text()
    table = text[text.index("| module | what |") : text.index("Import the three factories")]
    names = set(re.findall(r"`([a-z_][a-z0-9_]*)\(", table)) | set(
        re.findall(r"`([a-z_][a-z0-9_]*)`", table.split("\n", 2)[2])
    )
    modules = {r.split("|")[1].strip().strip("`") for r in table.splitlines()[2:] if r.strip()}
    names -= modules  # the module column
    names -= {"refusal", "choice", "toxicity"}  # imported from their modules, as it says
    assert len(names) >= 20
    missing = sorted(n for n in names if not hasattr(scoring, n))
    assert not missing, f"scoring.md lists names multitrust.scoring does not export: {missing}"


# --------------------------------------------------------------------------- figures

#: Benchmarks whose printed figures are cheap and deterministic: regenerated and compared.
REGENERATED = {
    "benchmarks/profile_diff.py",
    "benchmarks/refusal_quality.py",
    "benchmarks/scoring_profiles.py",
}
PROVENANCE = re.compile(r"`(benchmarks/[a-z_]+\.py)`[^\n]*?\b(20\d\d-\d\d-\d\d)\b")


def test_every_other_benchmark_figure_names_its_script_and_date() -> None:
    """A page quoting a benchmark that is not regenerated here carries one provenance line per
    script: ``- `benchmarks/X.py`: … YYYY-MM-DD …``."""
    missing = []
    for page in PAGES[1:]:  # the docs pages (the README names benchmarks, quotes none)
        text = page.read_text()
        used = set(re.findall(r"benchmarks/[a-z_]+\.py", text)) - REGENERATED
        dated = {m.group(1) for m in PROVENANCE.finditer(text)}
        missing += [f"{page.relative_to(ROOT)}: {s}" for s in sorted(used - dated)]
    assert not missing, "no script-and-date line for:\n" + "\n".join(missing)


def _run_benchmark(script: str, *args: str) -> str:
    res = subprocess.run(
        [sys.executable, str(ROOT / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
    )
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


def _plain(row: str) -> list[str]:
    return [c.strip().replace("**", "") for c in row.strip().strip("|").split("|")]


@pytest.mark.slow
def test_scoring_md_profile_diff_table_is_regenerated() -> None:
    out = _run_benchmark("benchmarks/profile_diff.py", "--size", "20")
    fresh = [_plain(r) for r in out.splitlines() if r.startswith("| scripted/")]
    text = (ROOT / "docs" / "scoring.md").read_text()
    section = text[text.index("benchmarks/profile_diff.py") :]
    section = section[: section.index("How to read it")]
    documented = [_plain(r) for r in section.splitlines() if r.startswith("| scripted/")]
    assert fresh and documented == fresh


@pytest.mark.slow
def test_scoring_md_refusal_quality_rows_are_regenerated() -> None:
    out = _run_benchmark("benchmarks/refusal_quality.py")
    fresh = {}
    for line in out.splitlines():
        m = re.match(
            r"^(official-head|official|corrected) .*?\s(train|test|challenge|dev|holdout|corpus:[a-z-]+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s",
            line,
        )
        if m:
            fresh[(m.group(1), m.group(2))] = m.group(3, 4, 5, 6)
    text = (ROOT / "docs" / "scoring.md").read_text()
    rows = [
        _plain(r)
        for r in text.splitlines()
        if re.match(r"^\| (official|official-head|corrected) \(", r)
    ]
    assert len(rows) >= 10
    for cells in rows:
        key = (cells[0].split(" (")[0], cells[1])
        # precision, recall, F1 and n are regenerated; answers/s is a timing (its page says where)
        assert tuple(cells[2:6]) == fresh[key], (cells, fresh[key])


@pytest.mark.slow
def test_scoring_md_profile_tables_are_regenerated() -> None:
    out = _run_benchmark("benchmarks/scoring_profiles.py")
    text = (ROOT / "docs" / "scoring.md").read_text()
    doc_rows = {tuple(_plain(r)) for r in text.splitlines() if r.startswith("|")}
    rows = [
        tuple(_plain(r))
        for r in out.splitlines()
        if r.startswith("|") and not set(r) <= set("|- :") and "µs" not in r
    ]
    timing = re.compile(r"^\d[\d.,]*$")
    # timing tables (µs per call) vary from run to run: only rows without a bare number compared
    compared = [r for r in rows if not any(timing.match(c) for c in r[1:])]
    assert len(compared) >= 20
    missing = [r for r in compared if r not in doc_rows]
    assert not missing, missing
