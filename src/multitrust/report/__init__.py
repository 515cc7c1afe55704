"""Reports: the self-contained HTML report and the terminal leaderboard."""

from multitrust.report.data import Entry, gather, reference_rows
from multitrust.report.html import render_report, write_report

__all__ = ["Entry", "gather", "reference_rows", "render_report", "write_report"]
