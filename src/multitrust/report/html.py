"""Render the self-contained HTML report: Jinja2 with autoescaping, Plotly with its JS inlined.

Model output is untrusted text. Every value reaches the page through an autoescaping template;
chart data is serialised as JSON with ``<``, ``>`` and ``&`` escaped, so nothing in a model's
answer can close a script element or inject markup.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from multitrust._version import __version__
from multitrust.aggregate import SUB_ASPECTS
from multitrust.report.data import (
    SUB_ASPECT_LABELS,
    TEXT_CAP,
    Entry,
    Footnotes,
    clip,
    gather,
    reference_rows,
)
from multitrust.report.leaderboard import leaderboard
from multitrust.tasks.base import order_key
from multitrust.types import replace_when_done, usv

PALETTE = [
    "#4C78A8",
    "#F58518",
    "#54A24B",
    "#E45756",
    "#72B7B2",
    "#B279A2",
    "#FF9DA6",
    "#9D755D",
    "#BAB0AC",
]


def _safe_json(obj: Any) -> Markup:
    from plotly.utils import PlotlyJSONEncoder

    text = json.dumps(obj, cls=PlotlyJSONEncoder)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def _figure(fig: Any) -> dict[str, Any]:
    d = fig.to_plotly_json()
    return {"data": d.get("data", []), "layout": d.get("layout", {})}


MISSING_LABEL = "<i>{code} not scored</i>"


def radar_figure(entry: Entry, color: str) -> dict[str, Any]:
    """The run's ten sub-aspects on a radar. A sub-aspect without a score is a gap in the
    line (its axis label says "not scored"), never a point at 0; a partial one is drawn as an
    open marker."""
    import plotly.graph_objects as go

    r: list[float | None] = [entry.sub_aspects.get(c) for c in SUB_ASPECTS]
    theta = [
        SUB_ASPECT_LABELS[c] if v is not None else MISSING_LABEL.format(code=c)
        for c, v in zip(SUB_ASPECTS, r, strict=True)
    ]
    symbols = [
        "circle-open" if entry.sub_partial.get(c) and v is not None else "circle"
        for c, v in zip(SUB_ASPECTS, r, strict=True)
    ]
    hover = [
        "not scored"
        if v is None
        else f"{v:.1f}" + (" (partial)" if entry.sub_partial.get(c) else "")
        for c, v in zip(SUB_ASPECTS, r, strict=True)
    ]
    complete = all(v is not None for v in r)
    fig = go.Figure(
        go.Scatterpolar(
            r=[*r, r[0]],
            theta=[*theta, theta[0]],
            mode="lines+markers",
            connectgaps=False,
            fill="toself" if complete else "none",
            name=entry.label,
            line_color=color,
            marker={"symbol": [*symbols, symbols[0]], "size": 8},
            customdata=[*hover, hover[0]],
            hovertemplate="%{theta}: %{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        polar={
            "radialaxis": {"range": [0, 100], "visible": True},
            "angularaxis": {"categoryorder": "array", "categoryarray": theta},
        },
        showlegend=False,
        margin={"l": 110, "r": 110, "t": 30, "b": 30},
        height=380,
    )
    return _figure(fig)


def bars_figure(entries: list[Entry], refs: list[dict[str, Any]]) -> dict[str, Any]:
    """Sub-aspects and the overall per run: a missing score is a gap (never a bar at 0), a
    partial one is hatched, as the radar marks it open."""
    import plotly.graph_objects as go

    fig = go.Figure()
    x = [SUB_ASPECT_LABELS[c] for c in SUB_ASPECTS] + ["Overall"]
    for i, e in enumerate(entries):
        y = [e.sub_aspects.get(c) for c in SUB_ASPECTS] + [e.overall]
        partial = [bool(e.sub_partial.get(c)) for c in SUB_ASPECTS] + [e.overall_partial]
        fig.add_bar(
            name=e.label,
            x=x,
            y=y,
            marker={
                "color": PALETTE[i % len(PALETTE)],
                "pattern": {"shape": ["/" if p else "" for p in partial]},
            },
            customdata=["partial" if p else "" for p in partial],
            hovertemplate="%{x}: %{y:.1f} %{customdata}<extra>%{fullData.name}</extra>",
        )
    for ref in refs:
        y = [ref[c] for c in SUB_ASPECTS] + [ref["overall"]]
        fig.add_scatter(
            name=f"published: {ref['model']}",
            x=x,
            y=y,
            mode="markers",
            marker={"symbol": "diamond", "size": 9},
        )
    fig.update_layout(
        barmode="group",
        yaxis={"range": [0, 100], "title": "score"},
        height=460,
        margin={"t": 30},
        legend={"orientation": "h", "y": -0.35},
    )
    return _figure(fig)


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("multitrust", "report/templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
    )
    env.filters["num"] = lambda x, d=1: "—" if x is None else f"{x:.{d}f}"
    env.filters["clip"] = clip
    env.filters["pct"] = lambda x: "—" if x is None else f"{100 * x:.1f}%"
    return env


def render_report(entries: list[Entry], *, reference_top: int = 8) -> str:
    from plotly.offline import get_plotlyjs

    refs = reference_rows()
    charts: dict[str, Any] = {
        "bars": bars_figure([e for e in entries if not e.calibration] or entries, refs[:3])
    }
    for i, e in enumerate(entries):
        charts[f"radar{i}"] = radar_figure(e, PALETTE[i % len(PALETTE)])
    tasks = sorted(
        {x.task_id for e in entries for x in e.gallery},
        key=order_key,
    )
    notes = Footnotes.of(entries)
    html = (
        _env()
        .get_template("report.html.j2")
        .render(
            entries=entries,
            refs=refs,
            reference_top=reference_top,
            sub_aspects=SUB_ASPECTS,
            sub_labels=SUB_ASPECT_LABELS,
            charts_json=_safe_json(charts),
            plotly_js=Markup(get_plotlyjs()),
            tasks=tasks,
            notes=notes,
            board=leaderboard(entries),
            text_cap=TEXT_CAP,
            version=__version__,
        )
    )
    # stored JSON (a task's target or metadata) may hold a dataset's unpaired surrogate escape:
    # the page is UTF-8, so it shows U+FFFD there instead of failing to be written
    return usv(html)


def write_report(
    db: str | Path | None, out: str | Path, *, models: list[str] | None = None
) -> Path:
    entries = gather(db, models)
    out = Path(out)
    page = render_report(entries)
    with replace_when_done(out) as part:  # never a half-written page
        part.write_text(page, encoding="utf-8")
    return out
