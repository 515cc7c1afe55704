"""Regenerate the golden score snapshots in tests/golden/ (run from the repository root).

Only do this in a commit that names the bug fix which legitimately changes a score:
the snapshot test exists so that refactors provably leave every score where it was.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.golden import OFFICIAL_FILE, PROFILES, SYNTH_FILE, snapshot_official, snapshot_synth


def main() -> None:
    for path, make in ((SYNTH_FILE, snapshot_synth), (OFFICIAL_FILE, snapshot_official)):
        data = {profile: make(profile) for profile in PROFILES}
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
