"""The leaderboard: runs grouped and ranked beside the published rows (what ``multitrust
leaderboard`` prints and the report shows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from multitrust.aggregate import SUB_ASPECTS
from multitrust.report.data import APART, CALIBRATION, RANKED, Entry, group_of, reference_rows


@dataclass
class BoardRow:
    rank: int | None
    name: str
    source: str
    """``run`` or ``published``."""
    data: str
    """``synth · size 5 · seed 0``, ``official · seed 0``; empty for published rows."""
    overall: float | None
    sub_aspects: dict[str, float | None]
    note: str
    run_id: str | None = None


@dataclass
class BoardGroup:
    title: str
    rows: list[BoardRow]
    note: str | None = None


def _run_note(e: Entry) -> str:
    tags = [n.tag for n in e.notes if n.tag not in ("deviations",)]
    if e.comparable and not e.overall_partial:
        tags.insert(0, "comparable")
    elif group_of(e) == RANKED:
        tags.insert(0, "scored differently from the paper")
    return "; ".join(tags)


def _board_row(e: Entry, rank: int | None) -> BoardRow:
    return BoardRow(
        rank,
        f"{e.run.model} · profile {e.run.profile}",
        "run",
        e.data_text,
        e.overall,
        dict(e.sub_aspects),
        _run_note(e),
        e.run.run_id,
    )


def leaderboard(entries: Sequence[Entry], *, reference: bool = True) -> list[BoardGroup]:
    """The leaderboard as groups of ranked rows.

    Complete runs on official data rank with the published rows. Runs on synthetic data or
    with a sub-aspect partial or missing rank only among themselves, in a group of their own
    (their overall is not the paper's overall); scripted calibration baselines come last,
    unranked. Empty groups are left out.
    """
    runs: dict[int, list[Entry]] = defaultdict(list)
    for e in entries:
        runs[group_of(e)].append(e)

    def key(overall: float | None) -> float:
        return -(overall if overall is not None else -1.0)

    main: list[tuple[float | None, BoardRow]] = [
        (e.overall, _board_row(e, None)) for e in runs[RANKED]
    ]
    if reference:
        for r in reference_rows():
            main.append(
                (
                    r["overall"],
                    BoardRow(
                        None,
                        str(r["model"]),
                        "published",
                        "",
                        r["overall"],
                        {c: r[c] for c in SUB_ASPECTS},
                        "",
                    ),
                )
            )
    main.sort(key=lambda x: key(x[0]))
    groups: list[BoardGroup] = []
    if main:
        for i, (_, row) in enumerate(main, 1):
            row.rank = i
        groups.append(
            BoardGroup(
                "MultiTrust leaderboard (0–100): complete runs on the official data"
                + (" beside the published rows" if reference else ""),
                [row for _, row in main],
            )
        )
    apart = sorted(runs[APART], key=lambda e: key(e.overall))
    if apart:
        groups.append(
            BoardGroup(
                "Ranked apart: runs on synthetic data or with tasks missing (0–100)",
                [_board_row(e, i) for i, e in enumerate(apart, 1)],
                "their overall is not comparable with the published rows: synthetic data "
                "measures the same behaviours on generated samples, and a partial run's overall "
                "is the mean of the sub-aspects it has",
            )
        )
    calib = sorted(runs[CALIBRATION], key=lambda e: key(e.overall))
    if calib:
        groups.append(
            BoardGroup(
                "Calibration baselines (scripted; not ranked)",
                [_board_row(e, None) for e in calib],
            )
        )
    return groups
