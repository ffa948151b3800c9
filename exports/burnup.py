"""`progress.png` / `progress.svg`: the burn-up chart a steering committee reads at a glance.

Two cumulative lines of effort hours over time: planned (each wave's hours at its end date)
and done (each done item's hours at its actual date), today as a vertical line, and the
planned and forecast end dates. Hours, not item counts: a PC group of 400 machines and a
DNS zone are not the same amount of work. Drawn on matplotlib's Agg canvas without pyplot.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import matplotlib
import matplotlib.dates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from exports.model import ExportPlan
from exports.pictures import save_figure


def burn_up_figure(plan: ExportPlan, today: date | None = None) -> Figure:
    """The chart; `today` defaults to the latest actual date: a chart of the data, not the
    clock, so the same data draws the same picture."""
    figure = Figure(figsize=(11, 6))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    planned_x, planned_y, total = [], [], 0.0
    for wave in plan.waves:
        total += sum(i.effort_hours for i in plan.items if i.wave == wave.number)
        planned_x.append(matplotlib.dates.date2num(wave.end))
        planned_y.append(total)
    if planned_x:
        start = matplotlib.dates.date2num(plan.waves[0].start)
        axes.step(
            [start, *planned_x],
            [0.0, *planned_y],
            where="post",
            color="#1F4E78",
            linewidth=2,
            label="planned (cumulative hours)",
        )
    if plan.done_by_date:
        xs = [matplotlib.dates.date2num(d) for d, _, _ in plan.done_by_date]
        axes.step(
            xs,
            [h for _, h, _ in plan.done_by_date],
            where="post",
            color="#70AD47",
            linewidth=2.5,
            label="done (cumulative hours)",
        )
    day = today or (plan.done_by_date[-1][0] if plan.done_by_date else None)
    if day is not None:
        axes.axvline(
            matplotlib.dates.date2num(day), color="#7F7F7F", linestyle=":", label=f"as of {day}"
        )
    end = plan.progress_end
    for key, colour in (("planned", "#1F4E78"), ("forecast", "#C00000")):
        if end.get(key):
            axes.axvline(
                matplotlib.dates.date2num(date.fromisoformat(end[key])),
                color=colour,
                linestyle="--",
                linewidth=1,
                label=f"{key} end {end[key]}",
            )
    done_hours = plan.done_by_date[-1][1] if plan.done_by_date else 0.0
    done_items = plan.done_by_date[-1][2] if plan.done_by_date else 0
    share = done_hours / total if total else 0.0
    axes.set_title(
        f"Plan {plan.id}: {done_items:,} of {len(plan.items):,} items done, "
        f"{done_hours:,.0f} of {total:,.0f} hours ({share:.0%})"
    )
    axes.set_ylabel("effort hours (cumulative)")
    axes.set_ylim(bottom=0)
    axes.grid(linestyle=":", linewidth=0.5)
    axes.legend(loc="upper left", fontsize=8)
    axes.xaxis_date()
    axes.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y-%m-%d"))
    figure.autofmt_xdate()
    return figure


def write_burn_up(plan: ExportPlan, path: Path, fmt: str) -> Path:
    """Write the burn-up chart as `fmt` ('png' or 'svg'); SVGs are reproducible."""
    return save_figure(burn_up_figure(plan), path, fmt, salt=f"progress-{plan.id}", dpi=120)
