"""`gantt.png` / `gantt.svg`: the plan on one page for a steering-committee deck.

Top: one row per municipality and team, a bar over each wave in which that team works
for that municipality, darker for more hours, labelled with the hours. Bottom: each
team's capacity use per wave against the 100 % line. Drawn on matplotlib's Agg canvas
without pyplot, so exporting never touches a global figure or needs a display.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import matplotlib
import matplotlib.dates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from exports.model import TEAMS, ExportPlan

COLOURS = {
    "network": "#5B9BD5",
    "directory": "#7F7F7F",
    "server": "#ED7D31",
    "application": "#70AD47",
    "workplace": "#FFC000",
}


def gantt_figure(plan: ExportPlan) -> Figure:
    hours: dict[tuple[str, str], dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for item in plan.items:
        hours[(item.municipality, item.team)][item.wave] += item.effort_hours
    rows = [(m, t) for m in plan.municipalities for t in TEAMS if (m, t) in hours]
    waves = {w.number: w for w in plan.waves}
    height = 2.5 + 0.28 * len(rows) + 3
    figure = Figure(
        figsize=(14, height)
    )  # fixed margins: a layout engine would measure every label
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(
        2, 1, sharex=True, height_ratios=[max(len(rows), 1) * 0.28 + 1, 3]
    )
    peak = max((h for per in hours.values() for h in per.values()), default=1.0) or 1.0
    for y, (municipality, team) in enumerate(rows):
        spans, colours = [], []
        for number, h in sorted(hours[(municipality, team)].items()):
            wave = waves.get(number)
            if wave is None:
                continue
            start = matplotlib.dates.date2num(wave.start)
            width = (wave.end - wave.start).days + 1
            spans.append((start, width))
            colours.append(
                matplotlib.colors.to_rgba(COLOURS[team], 0.35 + 0.65 * min(h / peak, 1.0))
            )
            if width >= 5 and len(rows) <= 60:
                label = top.text(
                    start + width / 2, y, f"{h:.0f}", ha="center", va="center", fontsize=6
                )
                label.set_in_layout(False)  # hundreds of labels would slow the layout down
        # one collection per row: far faster than a bar per wave
        top.broken_barh(spans, (y - 0.4, 0.8), facecolors=colours, edgecolor="white", linewidth=0.5)
    top.set_yticks(range(len(rows)), [f"{m} · {t}" for m, t in rows], fontsize=7)
    top.invert_yaxis()
    top.set_title(
        f"Plan {plan.id}: {len(plan.items):,} items of {len(plan.municipalities)} municipalities "
        f"in {len(plan.waves)} waves ({plan.status}); bars = team hours per wave"
    )
    top.grid(axis="x", linestyle=":", linewidth=0.5)
    if plan.waves:  # one collection for all wave boundaries (axvline per wave is slow)
        top.vlines(
            [matplotlib.dates.date2num(w.start) for w in plan.waves],
            -0.5,
            max(len(rows), 1) - 0.5,
            colors="#DDDDDD",
            linewidth=0.5,
            zorder=0,
        )

    mids = [matplotlib.dates.date2num(w.start + (w.end - w.start) / 2) for w in plan.waves]
    highest = 100.0
    for team in TEAMS:
        use = [(w.use(team) or 0.0) * 100 for w in plan.waves]
        highest = max([highest, *use])
        if any(use):
            bottom.plot(mids, use, marker="o", markersize=3, color=COLOURS[team], label=team)
    bottom.axhline(100, color="#C00000", linestyle="--", linewidth=1, label="capacity")
    bottom.set_ylabel("capacity use (%)")
    bottom.set_ylim(0, highest * 1.2)  # room for the legend above the 100 % line
    bottom.legend(loc="upper right", fontsize=7, ncols=6)
    bottom.grid(linestyle=":", linewidth=0.5)
    bottom.xaxis_date()
    if plan.waves:
        bottom.set_xlim(
            matplotlib.dates.date2num(plan.waves[0].start - timedelta(days=2)),
            matplotlib.dates.date2num(plan.waves[-1].end + timedelta(days=3)),
        )
    bottom.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y-%m-%d"))
    figure.subplots_adjust(
        left=0.16, right=0.98, top=1 - 0.45 / height, bottom=0.6 / height, hspace=0.08
    )
    return figure


def write_picture(plan: ExportPlan, path: Path, fmt: str) -> Path:
    """Write the Gantt picture as `fmt` ('png' or 'svg'); SVGs are byte-for-byte reproducible."""
    return save_figure(gantt_figure(plan), path, fmt, salt=f"plan-{plan.id}", dpi=150)


def save_figure(figure: Figure, path: Path, fmt: str, *, salt: str, dpi: int) -> Path:
    """Save as `fmt` ('png' or 'svg'); an SVG gets fixed ids (`salt`) and no date, so the
    same plan gives the same bytes every time (the pictures are compared in reviews)."""
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        metadata = {"Date": None} if fmt == "svg" else {}
        figure.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
    return path
