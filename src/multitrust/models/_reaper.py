"""Watchdog for managed servers: kills their process groups when multitrust dies, however it dies.

Run as a script (``python _reaper.py``, standard library only, no package import). multitrust
writes one line per event to the reaper's stdin: ``+PGID`` when a server group starts, ``-PGID``
when multitrust stopped it itself. When stdin reaches end of file (multitrust exited: normally,
by an exception, by a signal, even by SIGKILL, since the kernel closes its pipe end), every group
still listed gets SIGTERM, then SIGKILL after a grace period. The reaper runs in its own session,
so a Ctrl-C in the terminal does not reach it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

GRACE_S = float(os.environ.get("MULTITRUST_REAPER_GRACE_S", "10"))


def alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_groups(pgids: set[int], grace_s: float) -> None:
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(alive(p) for p in pgids):
        time.sleep(0.1)
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    groups: set[int] = set()
    for line in sys.stdin:
        line = line.strip()
        if len(line) < 2 or line[0] not in "+-" or not line[1:].isdigit():
            continue
        pgid = int(line[1:])
        if line[0] == "+":
            groups.add(pgid)
        else:
            groups.discard(pgid)
    if groups:
        kill_groups(groups, GRACE_S)


if __name__ == "__main__":
    main()
