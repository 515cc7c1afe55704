"""How far the `official` and `corrected` scoring profiles differ on the same model outputs.

Runs the scripted baselines on the synthetic suite under both profiles. The second profile is
served entirely from the generation cache (0 requests), so the difference is the scoring alone.
Prints a markdown table of the task scores that differ.

    python benchmarks/profile_diff.py --size 20
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from multitrust import evaluate

MODELS = ("scripted/echo", "scripted/comply", "scripted/refuse", "scripted/yes", "scripted/oracle")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=20)
    args = ap.parse_args()
    print("| model | task | corrected | official | official − corrected |")
    print("|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "profiles.db"
        for m in MODELS:
            a = evaluate(
                m, None, data="synth", size=args.size, db=db, profile="corrected", bootstrap=0
            )
            b = evaluate(
                m, None, data="synth", size=args.size, db=db, profile="official", bootstrap=0
            )
            assert b.counters.requests == 0, "the second profile must reuse the cached outputs"
            for t, oc in a.tasks.items():
                ob = b.tasks[t]
                if (
                    oc.score is not None
                    and ob.score is not None
                    and abs(oc.score - ob.score) >= 0.05
                ):
                    print(
                        f"| {m} | {t} | {oc.score:.1f} | {ob.score:.1f} | {ob.score - oc.score:+.1f} |"
                    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
