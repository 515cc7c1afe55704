"""Mutation testing of the modules whose bugs change published numbers (``./dev.sh mutate``).

Each group below names source files (optionally only some of their functions) and the fast tests
that guard them. For every group the script lays a scratch copy of the checkout under
``build/mutate/<group>/`` (src, tests, benchmarks, scripts and a pyproject.toml with that group's
``[tool.mutmut]`` section), runs mutmut there (one process per mutant, ``--max-children``
workers), reads mutmut's per-mutant exit codes and prints the mutation score per group:

    killed / (mutants - equivalent)

where "killed" counts mutants a test failed on (a timeout counts as killed: the mutant made a
test spin, past mutmut's CPU-time limit, or wait, past 60 s per test), and "equivalent" are the survivors listed in docs/testing.md as equivalent, with the
reason (a mutant that changes no observable behaviour cannot be killed). Survivors and mutants
no test reached both count against the score.

    python scripts/mutate.py                      # every group, every mutant
    python scripts/mutate.py formula aggregate    # some groups
    python scripts/mutate.py --sample 7           # ~1/10: mutants whose number ends in 7
    python scripts/mutate.py --list               # the groups, their files and tests

Exit status: 1 when a group scores under ``--fail-under`` (default 0: report only).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "mutate"
DOC = ROOT / "docs" / "testing.md"


@dataclass(frozen=True)
class Group:
    name: str
    files: tuple[str, ...]
    """Source files, relative to src/ (a folder means every .py file in it)."""
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()
    """Only these functions (fnmatch patterns on mutmut's ``x_name``/``xǁClassǁname``; a
    pattern ``file.py:pattern`` applies to that file only); empty: every function of the files."""
    markers: str = "not slow and not hf and not browser"
    """The tests' ``-m`` selection (``hf`` tests build tiny local checkpoints: a group whose
    code is only reached by them runs them)."""


GROUPS: tuple[Group, ...] = (
    Group(
        "formula",
        ("multitrust/formula.py",),
        (
            "tests/test_formula.py",
            "tests/test_formula_edges.py",
            "tests/test_bootstrap_ci.py",
            "tests/perf/test_identical.py",
            "tests/test_aggregate.py",
        ),
    ),
    Group(
        "aggregate",
        ("multitrust/aggregate.py",),
        ("tests/test_aggregate.py", "tests/test_compute_task.py", "tests/test_bootstrap_ci.py"),
    ),
    Group(
        "refusal",
        ("multitrust/scoring/refusal",),
        (
            "tests/scoring/test_refusal.py",
            "tests/scoring/test_refusal_judge.py",
            "tests/scoring/test_refusal_model.py",
            "tests/scoring/test_refusal_fast.py",
            "tests/scoring/test_refusal_cues.py",
            "tests/scoring/test_official_lists.py",
            "tests/scoring/test_refusal_reading_mut.py",
            "tests/scoring/test_refusal_reading_decide.py",
            "tests/scoring/test_refusal_model_mut.py",
            "tests/scoring/test_refusal_judge_mut.py",
            "tests/scoring/test_refusal_lists_mut.py",
            "tests/scoring/test_refusal_engine_mut.py",
            "tests/scoring/test_refusal_quoted_hedge.py",
        ),
    ),
    Group(
        "yesno",
        ("multitrust/scoring/yesno.py",),
        (
            "tests/scoring/test_yesno.py",
            "tests/scoring/test_yesno_rules.py",
            "tests/scoring/test_official_lists.py",
        ),
    ),
    Group(
        "choice",
        ("multitrust/scoring/choice.py",),
        (
            "tests/scoring/test_keywords_choice.py",
            "tests/scoring/test_choice_markers.py",
            "tests/scoring/test_defects.py",
            "tests/scoring/test_official_lists.py",
        ),
    ),
    Group(
        "judge",
        ("multitrust/scoring/judge.py",),
        (
            "tests/scoring/test_judge.py",
            "tests/scoring/test_judge_tasks.py",
            "tests/scoring/test_judge_scorers.py",
        ),
    ),
    Group(
        "iou",
        ("multitrust/scoring/iou.py",),
        (
            "tests/scoring/test_iou.py",
            "tests/scoring/test_iou_numbers.py",
            "tests/scoring/test_iou_scorer.py",
            "tests/scoring/test_judge_tasks.py",
        ),
    ),
    Group(
        "toxicity",
        ("multitrust/scoring/toxicity.py",),
        ("tests/scoring/test_toxicity.py", "tests/scoring/test_toxicity_requests.py"),
    ),
    Group(
        "toxicity-hf",
        ("multitrust/scoring/toxicity_hf.py", "multitrust/scoring/classifiers.py"),
        (
            "tests/scoring/test_toxicity_hf.py",
            "tests/scoring/test_toxicity_hf_head.py",
            "tests/scoring/test_toxicity_requests.py",
            "tests/scoring/test_classifiers.py",
        ),
        # with the checkpoint plumbing it shares with the action classifier
        functions=("toxicity_hf.py:*", "classifiers.py:xǁ_LocalCheckpointǁ*"),
        markers="not slow and not browser",
    ),
    Group(
        "cache-resume",
        ("multitrust/engine/runner.py", "multitrust/store"),
        (
            "tests/engine/test_cache_key.py",
            "tests/engine/test_engine.py",
            "tests/engine/test_timeout_scoring.py",
            "tests/engine/test_data_errors.py",
        ),
        functions=(
            "x_cache_key",
            "xǁEngineǁ_produce",
            "xǁStoreǁget_generation",
            "xǁStoreǁdone_keys",
        ),
    ),
    Group(
        "exports",
        ("multitrust/results.py",),
        (
            "tests/test_results_export.py",
            "tests/test_results_frame.py",
            "tests/test_hostile_values.py",
            "tests/test_interrupted_writes.py",
        ),
    ),
)

KILLED = {1, 3, 36, 24, -24, 152, 255}  # a test failed, or the mutant made one hang
SURVIVED = 0
NO_TESTS = {5, 33}


def _expand(files: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for f in files:
        p = ROOT / "src" / f
        if p.is_dir():
            out.extend(str(x.relative_to(ROOT)) for x in sorted(p.rglob("*.py")))
        elif p.with_suffix("").is_dir():  # a module split into a package since
            out.extend(str(x.relative_to(ROOT)) for x in sorted(p.with_suffix("").rglob("*.py")))
        elif p.exists() or p.with_suffix(".py").exists():
            out.append(str((p if p.exists() else p.with_suffix(".py")).relative_to(ROOT)))
    return out


def _module(path: str) -> str:
    mod = path.removeprefix("src/").removesuffix(".py").replace("/", ".")
    return mod.removesuffix(".__init__")


def _patterns(
    group: Group, files: list[str], sample: str | None, only: tuple[str, ...] = ()
) -> list[str]:
    tail = f"__mutmut_*{sample}" if sample is not None else "__mutmut_*"
    if only:  # --only: mutants of the functions whose mutmut name ends in one of these
        return [f"*{o}{tail}" for o in only]
    out: list[str] = []
    for f in files:
        for fn in group.functions or ("*",):
            where, _, pattern = fn.rpartition(":")
            if not where or f.endswith("/" + where):
                out.append(f"{_module(f)}.{pattern}{tail}")
    return out


def _pyproject(group: Group, files: list[str]) -> str:
    base = (ROOT / "pyproject.toml").read_text()
    base = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", base)
    tests = [t for t in group.tests if (ROOT / t).exists()]
    return (
        base
        + "\n[tool.mutmut]\n"
        + 'source_paths = ["src"]\n'
        + f"only_mutate = {json.dumps(files)}\n"
        + f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        + 'pytest_add_cli_args = ["-p", "no:xdist", "-p", "no:cacheprovider", "-m", '
        + f'{json.dumps(group.markers)}, "-W", "ignore", "--timeout", "60"]\n'
        + 'also_copy = ["benchmarks", "scripts"]\n'
        + "use_git_change_detection = false\n"
    )


def _lay(group: Group, files: list[str]) -> Path:
    work = BUILD / group.name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.egg-info")
    for folder in ("src", "tests", "benchmarks", "scripts"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, work / folder, ignore=ignore)
    (work / "pyproject.toml").write_text(_pyproject(group, files))
    return work


def equivalent_mutants() -> dict[str, str]:
    """Mutant name -> reason, from the equivalent-mutant table of docs/testing.md."""
    out: dict[str, str] = {}
    if not DOC.exists():
        return out
    for line in DOC.read_text().splitlines():
        m = re.match(r"^\|\s*`([\w.ǁ]+__mutmut_\d+)`\s*\|\s*(.+?)\s*\|\s*$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


@dataclass
class Score:
    group: str
    total: int = 0
    killed: int = 0
    survived: int = 0
    no_tests: int = 0
    equivalent: int = 0
    other: int = 0
    seconds: float = 0.0

    @property
    def score(self) -> float:
        denom = self.total - self.equivalent
        return 100.0 * self.killed / denom if denom else 100.0


def _results(work: Path, files: list[str], patterns: list[str]) -> dict[str, int | None]:
    from fnmatch import fnmatchcase

    codes: dict[str, int | None] = {}
    for f in files:
        meta = work / "mutants" / (f + ".meta")
        if not meta.exists():
            continue
        for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            if any(fnmatchcase(key, p) for p in patterns):
                codes[key] = code
    return codes


def run_group(
    group: Group, *, sample: str | None, jobs: int, verbose: bool, only: tuple[str, ...] = ()
) -> Score | None:
    files = _expand(group.files)
    if not files:
        print(f"{group.name}: none of {group.files} exists here; skipped", flush=True)
        return None
    work = _lay(group, files)
    patterns = _patterns(group, files, sample, only)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # mutmut forks each mutant's test run from a process that has run torch: a thread pool
    # started before a fork deadlocks the child on its first parallel op (one thread: no pool)
    env.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    mutmut = [sys.executable, "-m", "mutmut"]
    t0 = time.monotonic()
    log = work / "mutmut.log"
    with log.open("w") as out:
        proc = subprocess.run(
            [*mutmut, "run", "--max-children", str(jobs), *patterns],
            cwd=work,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    score = Score(group.name, seconds=time.monotonic() - t0)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        if "nothing matches" in tail:  # the sample holds none of this group's mutants
            return score
        print(f"{group.name}: mutmut failed (exit {proc.returncode}); see {log}\n{tail}")
        score.other = -1
        return score
    equivalent = equivalent_mutants()
    survivors: list[str] = []
    for key, code in sorted(_results(work, files, patterns).items()):
        score.total += 1
        if code in KILLED:
            score.killed += 1
        elif key in equivalent:
            score.equivalent += 1
        elif code == SURVIVED:
            score.survived += 1
            survivors.append(key)
        elif code in NO_TESTS:
            score.no_tests += 1
            survivors.append(key)
        else:
            score.other += 1
            survivors.append(key)
    (work / "survivors.txt").write_text("".join(f"{k}\n" for k in survivors))
    if verbose and survivors:
        print(f"{group.name}: {len(survivors)} not killed (mutmut show NAME in {work}):")
        for key in survivors:
            print(f"  {key}")
    return score


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("groups", nargs="*", help="group names (default: all)")
    ap.add_argument("--sample", metavar="DIGIT", help="only mutants whose number ends in DIGIT")
    ap.add_argument("--jobs", "-j", type=int, default=1, help="mutants tested at once (1)")
    ap.add_argument("--fail-under", type=float, default=0.0, help="exit 1 below this score")
    ap.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="only the mutants of functions whose mutmut name ends in NAME (repeatable; "
        "e.g. _reading.x_cue_kind, 'Storeǁdone_keys'); a partial score, for working on survivors",
    )
    ap.add_argument("--list", action="store_true", help="print the groups and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every surviving mutant")
    args = ap.parse_args(argv)
    if args.sample is not None and not re.fullmatch(r"\d", args.sample):
        ap.error("--sample takes one digit (0-9)")
    chosen = [g for g in GROUPS if not args.groups or g.name in args.groups]
    unknown = set(args.groups) - {g.name for g in GROUPS}
    if unknown:
        ap.error(f"unknown group(s) {sorted(unknown)}; groups: {[g.name for g in GROUPS]}")
    if args.list:
        for g in GROUPS:
            funcs = f" (functions {', '.join(g.functions)})" if g.functions else ""
            print(f"{g.name}: {' '.join(_expand(g.files))}{funcs}\n    tests: {' '.join(g.tests)}")
        return 0
    scores = []
    for g in chosen:
        s = run_group(
            g, sample=args.sample, jobs=args.jobs, verbose=args.verbose, only=tuple(args.only)
        )
        if s is None:
            continue
        scores.append(s)
        print(
            f"{s.group:13s} {s.score:6.1f}%  killed {s.killed}/{s.total}"
            f"  survived {s.survived}  no tests {s.no_tests}  equivalent {s.equivalent}"
            + (f"  other {s.other}" if s.other else "")
            + f"  ({s.seconds:.0f} s)",
            flush=True,
        )
    total = sum(s.total - s.equivalent for s in scores)
    killed = sum(s.killed for s in scores)
    if total:
        print(f"{'all':13s} {100.0 * killed / total:6.1f}%  killed {killed}/{total}")
    failed = [s for s in scores if s.other < 0 or (s.total and s.score < args.fail_under)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
