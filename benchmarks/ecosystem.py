"""Export and merge figures: how long ``data synth --export`` and ``merge`` take, and how big.

Run from the repository root::

    python benchmarks/ecosystem.py                    # --size 20: every synthetic task
    python benchmarks/ecosystem.py --size 100 --jobs 4
    python benchmarks/ecosystem.py --no-merge
    python benchmarks/ecosystem.py --no-export --grow 30   # 30 times the rows: merge at scale

1. **Export**: every synthetic task at ``--size N`` exported as a dataset, once with an empty
   synthetic cache (drawing included) and once with the cache warm; rows, bytes, seconds, and
   whether the two exports are byte-identical.
2. **Merge**: three stores from scripted runs on every synthetic task (``scripted/oracle`` split
   over two stores by aspect, as two machines would hold one run, and ``scripted/refuse``),
   merged into a new store, then merged again into it (nothing changes); rows and seconds.
   ``--grow K`` first copies every result and generation row K-1 times under new ids, for
   figures at a scale the scripted runs would take long to reach.

Figures go to stdout and, when ``$OUT`` is set, to ``$OUT/ecosystem.json``.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all(filecmp.cmp(a / f, b / f, shallow=False) for f in files_a)


def export_figures(size: int, jobs: int, work: Path) -> dict[str, Any]:
    from multitrust.prepare import export
    from multitrust.tasks import all_tasks

    ids = [s.id for s in all_tasks() if "synth" in s.sources]
    out: dict[str, Any] = {"tasks": len(ids), "size": size, "jobs": jobs}
    for label in ("cold", "warm"):
        started = time.perf_counter()
        done = export(ids, work / label, seed=0, size=size, root=work / "cache", jobs=jobs)
        out[f"{label}_s"] = round(time.perf_counter() - started, 2)
    out["rows"] = sum(e.rows for e in done)
    out["mb"] = round(sum(e.bytes for e in done) / 1e6, 1)
    out["byte_identical"] = _same_tree(work / "cold", work / "warm")
    return out


def _grow(db: Path, times: int) -> None:
    """``times`` copies of every result and generation row, each under new ids."""
    conn = sqlite3.connect(db)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(results)")]
    res = ", ".join(
        {"sample_id": "sample_id || ?", "gen_key": "gen_key || ?"}.get(c, f'"{c}"') for c in cols
    )
    gcols = [r[1] for r in conn.execute("PRAGMA table_info(generations)")]
    gen = ", ".join("key || ?" if c == "key" else f'"{c}"' for c in gcols)
    with conn:
        base_r = conn.execute("SELECT MAX(rowid) FROM results").fetchone()[0]
        base_g = conn.execute("SELECT MAX(rowid) FROM generations").fetchone()[0]
        for i in range(1, times):
            tag = f"~copy{i}"
            conn.execute(
                f"INSERT INTO results SELECT {res} FROM results WHERE rowid <= ?",
                (tag, tag, base_r),
            )
            conn.execute(
                f"INSERT INTO generations SELECT {gen} FROM generations WHERE rowid <= ?",
                (tag, base_g),
            )
    conn.close()


def merge_figures(size: int, work: Path, grow: int = 1) -> dict[str, Any]:
    from multitrust import evaluate
    from multitrust.store.merge import merge_stores

    synth = "truthfulness,safety,robustness,fairness,privacy"
    parts = (
        ("oracle-a", "scripted/oracle", "truthfulness,safety"),
        ("oracle-b", "scripted/oracle", "robustness,fairness,privacy"),
        ("refuse", "scripted/refuse", synth),
    )
    stores = []
    for name, model, tasks in parts:
        db = work / f"{name}.db"
        evaluate(model, tasks, db=db, size=size, bootstrap=0)
        stores.append(db)
    if grow > 1:  # copies of every row under new sample ids and cache keys: a bigger store
        for db in stores:
            _grow(db, grow)
    out: dict[str, Any] = {"stores": len(stores), "size": size, "grow": grow}
    target = work / "all.db"
    for label in ("merge_s", "again_s"):
        started = time.perf_counter()
        merge_stores(stores, target)
        out[label] = round(time.perf_counter() - started, 2)
    conn = sqlite3.connect(target)
    for table in ("runs", "results", "generations", "task_results"):
        out[table] = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    conn.close()
    out["mb"] = round(target.stat().st_size / 1e6, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=20, help="Samples per task (default 20).")
    ap.add_argument("--jobs", type=int, default=2, help="Export tasks at once (default 2).")
    ap.add_argument("--no-export", action="store_true", help="Skip the export figures.")
    ap.add_argument("--no-merge", action="store_true", help="Skip the merge figures.")
    ap.add_argument(
        "--grow",
        type=int,
        default=1,
        help="Merge stores with this many copies of every row, under new ids (default 1).",
    )
    args = ap.parse_args()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="multitrust-ecosystem-") as tmp:
        work = Path(tmp)
        os.environ.setdefault("MULTITRUST_CACHE", str(work / "cache"))
        if not args.no_export:
            figures["export"] = export_figures(args.size, args.jobs, work)
            e = figures["export"]
            print(
                f"export: {e['tasks']} tasks, {e['rows']} rows, {e['mb']} MB at --size {e['size']}: "
                f"{e['cold_s']} s with an empty synthetic cache, {e['warm_s']} s warm "
                f"({e['jobs']} jobs); byte-identical: {e['byte_identical']}"
            )
        if not args.no_merge:
            figures["merge"] = merge_figures(args.size, work, args.grow)
            m = figures["merge"]
            print(
                f"merge: {m['stores']} stores -> {m['runs']} runs, {m['results']} results, "
                f"{m['generations']} generations, {m['task_results']} task scores, {m['mb']} MB: "
                f"{m['merge_s']} s; merged again (no change): {m['again_s']} s"
            )
    if os.environ.get("OUT"):
        Path(os.environ["OUT"], "ecosystem.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    sys.exit(main())
