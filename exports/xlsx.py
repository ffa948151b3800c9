"""The project managers' workbook: overview, waves, items (with the editable `pin`
column), one sheet per municipality, a printable Gantt, split dependencies, checks, a
capacity chart and, when the plan carries them, one `Runbook N` sheet per wave.

Every sheet has a frozen header row, widths that fit its content, ISO dates and a
landscape print setup fitted to the page width. Every string goes through
`safe_text.text_cell`, so inventory text is never a formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import DataBarRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from exports.model import TEAMS, ExportPlan, ExportRunbook
from exports.safe_text import text_cell

DATE = "yyyy-mm-dd"
HOURS = "#,##0.0"
WHOLE = "#,##0"
PERCENT = "0%"
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
PIN_FILL = PatternFill("solid", fgColor="FFF2CC")  # the one column project managers edit
KIND_COLOURS = {
    "network": "5B9BD5",
    "directory": "A5A5A5",
    "server": "ED7D31",
    "application": "70AD47",
    "workplace": "FFC000",
}
KIND_FILLS = {kind: PatternFill("solid", fgColor=colour) for kind, colour in KIND_COLOURS.items()}

#: The Items sheet (and the CSV): (header, number format). `id` and `pin` are read back by
#: import-pins.
ITEM_COLUMNS: list[tuple[str, str | None]] = [
    ("id", None),
    ("wave", "0"),
    ("wave_start", DATE),
    ("wave_end", DATE),
    ("municipality", None),
    ("kind", None),
    ("name", None),
    ("function", None),
    ("criticality", None),
    ("move_group", None),
    ("effort_hours", HOURS),
    ("downtime_hours", HOURS),
    ("owner", None),
    ("depends_on", None),
    ("needed_by", None),
    ("pinned", "0"),
    ("blackout", None),
    ("pin", "0"),
    ("status", None),
    ("actual_date", DATE),
    ("comment", None),
    ("sources", None),  # issue 17: last, so the pin and progress columns keep their places
]
#: The status column's drop-down (`planner.progress.STATUSES`; exports cannot import planner).
STATUS_CHOICES = ("planned", "in progress", "done", "failed", "postponed")
ITEMS_SHEET = "Items"
SHEETS_BEFORE_MUNICIPALITIES = ("Overview", "Waves", "Items")
SHEETS_AFTER_MUNICIPALITIES = ("Gantt", "Split dependencies", "Checks", "Capacity")
MAX_WIDTH = 60
DATETIME = "yyyy-mm-dd hh:mm"

#: A Runbook sheet (and runbook-wN.csv): (header, number format).
RUNBOOK_COLUMNS: list[tuple[str, str | None]] = [
    ("step", "0"),
    ("start", DATETIME),
    ("end", DATETIME),
    ("team", None),
    ("item", None),
    ("depends_on", None),
    ("note", None),
]


def runbook_title(wave: int) -> str:
    return f"Runbook {wave}"


def runbook_rows(runbook: ExportRunbook) -> list[list[Any]]:
    """A runbook's rows in `RUNBOOK_COLUMNS` order (shared with the CSV export)."""
    return [
        [
            s.step,
            s.start,
            s.end,
            s.team,
            s.item,
            ", ".join(map(str, s.depends_on)) or None,
            s.note or None,
        ]
        for s in runbook.steps
    ]


def item_rows(plan: ExportPlan) -> list[list[Any]]:
    """The Items sheet's rows in `ITEM_COLUMNS` order (shared with the CSV export)."""
    windows = {w.number: (w.start, w.end) for w in plan.waves}
    rows = []
    for item in plan.items:
        start, end = windows.get(item.wave, (None, None))
        rows.append(
            [
                item.id,
                item.wave,
                start,
                end,
                item.municipality,
                item.kind,
                item.name,
                item.function,
                item.criticality,
                item.move_group,
                item.effort_hours,
                item.downtime_hours,
                item.owner,
                ", ".join(item.depends_on) or None,
                ", ".join(item.needed_by) or None,
                item.pinned,
                item.blackout,
                item.pin,
                item.status or "planned",
                item.actual_date,
                item.comment,
                "; ".join(item.sources) or None,
            ]
        )
    return rows


def write_xlsx(plan: ExportPlan, path: Path) -> Path:
    """Write the workbook to `path` (the caller picks a temporary name and renames it)."""
    book = Workbook()
    book.remove(book.active)
    _overview(book.create_sheet("Overview"), plan)
    waves_sheet = book.create_sheet("Waves")
    _waves(waves_sheet, plan)
    _items(book.create_sheet(ITEMS_SHEET), plan)
    used = {
        name.casefold() for name in (*SHEETS_BEFORE_MUNICIPALITIES, *SHEETS_AFTER_MUNICIPALITIES)
    }
    used.add("history")  # reserved by Excel
    used |= {"progress", "changes"}
    used |= {runbook_title(r.wave).casefold() for r in plan.runbooks}
    for municipality in plan.municipalities:
        title = sheet_title(municipality, used)
        used.add(title.casefold())
        _municipality(book.create_sheet(title), plan, municipality)
    _gantt(book.create_sheet("Gantt"), plan)
    _splits(book.create_sheet("Split dependencies"), plan)
    _checks(book.create_sheet("Checks"), plan)
    _capacity_chart(book.create_sheet("Capacity"), waves_sheet, plan)
    if plan.progress:
        _progress(book.create_sheet("Progress"), plan)
    if plan.parent_id is not None:
        _changes(book.create_sheet("Changes"), plan)
    for runbook in plan.runbooks:
        _runbook(book.create_sheet(runbook_title(runbook.wave)), runbook)
    book.active = 0
    book.save(path)
    return path


def sheet_title(name: str, used: set[str]) -> str:
    """A valid, unused sheet title for a municipality (31 characters, no []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'").strip() or "Municipality"
    base = base[:31]
    title, number = base, 2
    while title.casefold() in used:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    return title


# ---------------------------------------------------------------------- sheets
def _overview(ws: Worksheet, plan: ExportPlan) -> None:
    """Programme KPIs, solver honesty (status, objectives, bounds, gaps), greedy baseline,
    config."""
    items = plan.items
    starts = [w.start for w in plan.waves]
    ends = [w.end for w in plan.waves]
    text_cell(ws.cell(1, 1), f"Migration plan {plan.id}")
    ws.cell(1, 1).font = TITLE_FONT
    rows: list[tuple[str, Any, str | None]] = [
        ("Municipalities", len(plan.municipalities), WHOLE),
        ("Items", len(items), WHOLE),
        ("Move groups", len({i.move_group for i in items}), WHOLE),
        ("Waves", len(plan.waves), WHOLE),
        ("First day", min(starts) if starts else None, DATE),
        ("Last day", max(ends) if ends else None, DATE),
        ("Total effort (hours)", sum(i.effort_hours for i in items), HOURS),
        ("Total downtime (hours)", sum(i.downtime_hours for i in items), HOURS),
        ("Split soft dependencies", len(plan.split_dependencies), WHOLE),
        ("Solver status", plan.status, None),
        ("Planned at (UTC)", plan.created.replace(tzinfo=None), "yyyy-mm-dd hh:mm"),
        ("Lower bound on waves", plan.lower_bound_waves, WHOLE),
        ("Solve time (s)", plan.solve_seconds, "0.0"),
        ("First solution after (s)", plan.first_solution_seconds, "0.0"),
        ("Time limit (s)", plan.time_limit, "0.0"),
        ("Workers / seed", f"{plan.workers} / {plan.seed}", None),
        ("Re-plan of plan", plan.parent_id, None),
        ("Frozen through wave", plan.frozen_through or None, None),
        ("Inventory fingerprint", plan.inventory_fingerprint, None),
        ("Plan id", plan.id, None),
        *_moved_line(plan),
    ]
    row = 3
    for label, value, fmt in rows:
        text_cell(ws.cell(row, 1), label).font = BOLD
        cell = text_cell(ws.cell(row, 2), value)
        if fmt:
            cell.number_format = fmt
        cell.alignment = Alignment(horizontal="left")
        row += 1

    row = _phase_rows(ws, row + 1, plan)
    row = _greedy_rows(ws, row, plan)

    row += 2
    text_cell(ws.cell(row, 1), "Configuration (plan.toml)").font = BOLD
    for line in (plan.config_toml or "(defaults)").splitlines():
        row += 1
        text_cell(ws.cell(row, 1), line).font = Font(name="Consolas")
    ws.column_dimensions["A"].width = 34
    for letter in "BCDEF":
        ws.column_dimensions[letter].width = 18
    _print_setup(ws, header_row=None)


def _phase_rows(ws: Worksheet, row: int, plan: ExportPlan) -> int:
    """The solver's honesty table from `row` on: status, objective, best bound and gap per
    phase (plans stored before phases were recorded show one row per objective); returns the
    last row written."""
    _header(ws, row, ["Objective phase", "Status", "Objective", "Best bound", "Gap", "Runtime (s)"])
    phases = plan.phases or [
        {"name": k, "objective": v, "bound": plan.bound.get(k), "gap": plan.gap.get(k)}
        for k, v in plan.objective.items()
    ]
    for phase in phases:
        row += 1
        values = [
            phase.get("name"),
            phase.get("status", plan.status),
            phase.get("objective"),
            phase.get("bound"),
            phase.get("gap"),
            phase.get("runtime"),
        ]
        for col, value in enumerate(values, start=1):
            text_cell(ws.cell(row, col), value)
        ws.cell(row, 5).number_format = "0.0%"
    return row


def _greedy_rows(ws: Worksheet, row: int, plan: ExportPlan) -> int:
    """The greedy baseline against this plan, after a blank row, when the plan has one, so the
    reader sees what the optimiser gained; returns the last row written (`row` when none)."""
    greedy = (plan.greedy or {}).get("objective") or {}
    if greedy:
        row += 2
        _header(ws, row, ["Greedy baseline", "Greedy", "This plan", "Improvement"])
        for key, value in greedy.items():
            row += 1
            ours = plan.objective.get(key)
            text_cell(ws.cell(row, 1), key)
            ws.cell(row, 2, value)
            ws.cell(row, 3, ours)
            if value not in (None, 0) and ours is not None:
                ws.cell(row, 4, (value - ours) / value).number_format = "0.0%"
    return row


def _moved_line(plan: ExportPlan) -> list[tuple[str, Any, str | None]]:
    """A re-plan says how much it moved against its parent and the optimiser's bound on that."""
    if plan.parent_id is None:
        return []
    moved_items = sum(1 for c in plan.changes if c.kind == "moved")
    groups, bound = plan.objective.get("moved"), plan.bound.get("moved")
    text = f"{moved_items} items"
    if groups is not None:  # the moved objective counts move groups the optimiser chose to move
        text += f"; the optimiser moved {groups:g} move groups"
        text += f" against a bound of {bound:g}" if bound is not None else ""
    return [(f"Moved against plan {plan.parent_id}", text, None)]


def _waves(ws: Worksheet, plan: ExportPlan) -> None:
    """One row per wave: window, items, effort vs capacity per team (with % data bars), onboarding,
    downtime."""
    headers = ["wave", "start", "end", "items"]
    formats: list[str | None] = ["0", DATE, DATE, WHOLE]
    for team in TEAMS:
        headers += [f"{team}_hours", f"{team}_capacity", f"{team}_use"]
        formats += [HOURS, HOURS, PERCENT]
    headers += ["vcpu", "ram_gb", "storage_gb"]
    formats += [WHOLE, WHOLE, WHOLE]
    headers += [f"downtime {m}" for m in plan.municipalities]
    formats += [HOURS] * len(plan.municipalities)
    rows = []
    for w in plan.waves:
        row: list[Any] = [w.number, w.start, w.end, w.items]
        for team in TEAMS:
            row += [w.used.get(team, 0.0), w.capacity.get(team, 0.0), w.use(team)]
        row += [w.vcpu, w.ram_gb, w.storage_gb]
        row += [w.downtime.get(m, 0.0) for m in plan.municipalities]
        rows.append(row)
    _table(ws, headers, rows, formats)
    if rows:
        for index, team in enumerate(TEAMS):
            letter = get_column_letter(5 + 3 * index + 2)
            ws.conditional_formatting.add(
                f"{letter}2:{letter}{len(rows) + 1}",
                DataBarRule(
                    start_type="num",
                    start_value=0,
                    end_type="num",
                    end_value=1,
                    color=KIND_COLOURS[team],
                ),
            )
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"


def _items(ws: Worksheet, plan: ExportPlan) -> None:
    """All items as an Excel table with filters; `pin` is the column project managers edit."""
    headers = [h for h, _ in ITEM_COLUMNS]
    rows = item_rows(plan)
    _table(ws, headers, rows, [f for _, f in ITEM_COLUMNS], freeze="B2")
    ref = f"A1:{get_column_letter(len(headers))}{max(len(rows), 1) + 1}"
    table = Table(displayName="Items", ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    pin_col = headers.index("pin") + 1
    letter = get_column_letter(pin_col)
    last = max(len(rows), 1) + 1
    for r in range(2, last + 1):
        ws.cell(r, pin_col).fill = PIN_FILL
    limit = max(len(plan.waves), plan.waves_used, 1)
    validation = DataValidation(
        type="whole",
        operator="greaterThanOrEqual",
        formula1="1",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Pin",
        error=f"A pin is a wave number (1 or more; this plan has {limit} waves)",
    )
    validation.add(f"{letter}2:{letter}{last}")
    ws.add_data_validation(validation)
    ws.cell(1, pin_col).comment = Comment(
        "Type a wave number to pin the item there, clear it to unpin; then run "
        "`planner import-pins FILE` and `planner replan`.",
        "planner",
    )
    _progress_columns(ws, headers, last)


def _progress_columns(ws: Worksheet, headers: list[str], last: int) -> None:
    """status (a drop-down), actual_date and comment: what project managers record per item."""
    status_col = headers.index("status") + 1
    for name in ("status", "actual_date", "comment"):
        column = headers.index(name) + 1
        for r in range(2, last + 1):
            ws.cell(r, column).fill = PIN_FILL
    letter = get_column_letter(status_col)
    choices = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUS_CHOICES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Status",
        error="Pick a status from the list: " + ", ".join(STATUS_CHOICES),
    )
    choices.add(f"{letter}2:{letter}{last}")
    ws.add_data_validation(choices)
    date_letter = get_column_letter(headers.index("actual_date") + 1)
    dates = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="36526",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Actual date",
        error="The day the item was done (or failed, or was postponed), YYYY-MM-DD",
    )
    dates.add(f"{date_letter}2:{date_letter}{last}")
    ws.add_data_validation(dates)
    ws.cell(1, status_col).comment = Comment(
        "Record what happened: done needs an actual date; failed and postponed items are "
        "re-planned. "
        "Then run `planner import-progress FILE` and `planner replan --from-progress`.",
        "planner",
    )


def _municipality(ws: Worksheet, plan: ExportPlan, municipality: str) -> None:
    """One municipality's own items by wave: what its project manager hands out."""
    headers = [
        "wave",
        "wave_start",
        "wave_end",
        "kind",
        "name",
        "function",
        "criticality",
        "effort_hours",
        "downtime_hours",
        "owner",
        "blackout",
    ]
    formats = ["0", DATE, DATE, None, None, None, None, HOURS, HOURS, None, None]
    windows = {w.number: (w.start, w.end) for w in plan.waves}
    rows = []
    for item in plan.items:
        if item.municipality != municipality:
            continue
        start, end = windows.get(item.wave, (None, None))
        rows.append(
            [
                item.wave,
                start,
                end,
                item.kind,
                item.name,
                item.function,
                item.criticality,
                item.effort_hours,
                item.downtime_hours,
                item.owner,
                item.blackout,
            ]
        )
    _table(ws, headers, rows, formats)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"


def _gantt(ws: Worksheet, plan: ExportPlan) -> None:
    """Move groups × weeks, filled in their wave's weeks and coloured by (first member's) kind."""
    if not plan.waves:
        _table(ws, ["move_group"], [], [None])
        return
    first = min(w.start for w in plan.waves)
    first -= timedelta(days=first.weekday())  # Monday of the first week
    last = max(w.end for w in plan.waves)
    weeks: list[date] = []
    day = first
    while day <= last:
        weeks.append(day)
        day += timedelta(days=7)
    groups: dict[str, list[Any]] = {}
    for item in plan.items:
        groups.setdefault(item.move_group, []).append(item)
    fixed = ["wave", "municipality", "move_group", "items", "kind"]
    headers = fixed + [f"W{d.isocalendar()[1]:02d} {d:%d.%m}" for d in weeks]
    for col, text in enumerate(headers, start=1):
        text_cell(ws.cell(1, col), text)
    _style_header(ws, 1, len(headers))
    windows = {w.number: (w.start, w.end) for w in plan.waves}
    ordered = sorted(
        groups.values(),
        key=lambda members: (
            members[0].wave,
            members[0].municipality.casefold(),
            members[0].kind,
            members[0].name.casefold(),
        ),
    )
    for r, members in enumerate(ordered, start=2):
        lead = members[0]
        municipalities = sorted({m.municipality for m in members}, key=str.casefold)
        label = lead.name if len(members) == 1 else f"{lead.name} (+{len(members) - 1})"
        for col, value in enumerate(
            [lead.wave, ", ".join(municipalities), label, len(members), lead.kind], 1
        ):
            text_cell(ws.cell(r, col), value)
        window = windows.get(lead.wave)
        if window is None:
            continue
        start, end = window
        fill = KIND_FILLS.get(lead.kind)
        for index, monday in enumerate(weeks):
            if monday <= end and start <= monday + timedelta(days=6):
                ws.cell(r, len(fixed) + 1 + index).fill = fill
    widths = [6, 18, 40, 6, 12] + [7] * len(weeks)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    for col in range(len(fixed) + 1, len(headers) + 1):
        ws.cell(1, col).alignment = Alignment(text_rotation=90, horizontal="center")
    ws.row_dimensions[1].height = 60
    ws.freeze_panes = ws.cell(2, len(fixed) + 1)
    legend = len(ordered) + 3
    text_cell(ws.cell(legend, 1), "Colours:").font = BOLD
    for offset, (kind, fill) in enumerate(KIND_FILLS.items(), start=1):
        ws.cell(legend + offset, 1).fill = fill
        text_cell(ws.cell(legend + offset, 2), kind)
    _print_setup(ws, header_row=1)


def _splits(ws: Worksheet, plan: ExportPlan) -> None:
    """Soft dependencies crossing waves, longest temporary link first."""
    headers = [
        "from",
        "from_wave",
        "to",
        "to_wave",
        "kind",
        "waves_apart",
        "origin",
        "observed",
        "ports",
        "observations",
    ]
    splits = sorted(plan.split_dependencies, key=lambda d: (-d.waves_apart, d.source, d.target))
    rows = [
        [
            d.source,
            d.source_wave,
            d.target,
            d.target_wave,
            d.kind,
            d.waves_apart,
            d.origin,
            "yes" if d.observed else None,
            d.ports or None,
            d.observations,
        ]
        for d in splits
    ]
    _table(ws, headers, rows, [None, "0", None, "0", None, "0", None, None, None, "#,##0"])
    ws.auto_filter.ref = f"A1:J{len(rows) + 1}"


def _checks(ws: Worksheet, plan: ExportPlan) -> None:
    """The findings of `planner check` (errors first)."""
    headers = ["severity", "code", "message", "items"]
    rows = [
        [f.get("severity"), f.get("code"), f.get("message"), ", ".join(f.get("items") or ())]
        for f in plan.findings
    ]
    if not rows:
        rows = [["info", "none", "no findings", None]]
    _table(ws, headers, rows, [None] * 4)
    ws.auto_filter.ref = f"A1:D{len(rows) + 1}"


def _capacity_chart(ws: Worksheet, waves: Worksheet, plan: ExportPlan) -> None:
    """A clustered bar chart of each team's capacity use per wave (data on the Waves sheet)."""
    text_cell(
        ws.cell(1, 1),
        "Capacity use per wave and team (share of the team's hours; data on the Waves sheet)",
    )
    ws.cell(1, 1).font = BOLD
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = "Capacity use per wave"
    chart.y_axis.title = "share of capacity"
    chart.x_axis.title = "wave"
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    last = len(plan.waves) + 1
    for index in range(len(TEAMS)):
        col = 5 + 3 * index + 2
        chart.add_data(
            Reference(waves, min_col=col, min_row=1, max_row=last), titles_from_data=True
        )
    chart.set_categories(Reference(waves, min_col=1, min_row=2, max_row=last))
    chart.width = max(24.0, 1.2 * len(plan.waves))
    chart.height = 12.0
    ws.add_chart(chart, "A3")
    _print_setup(ws, header_row=None)


PROGRESS_KEYS = ("planned", "done", "failed", "postponed", "in_progress", "remaining")


def _progress(ws: Worksheet, plan: ExportPlan) -> None:
    """Per wave: items and hours per status (`planner progress`), then the end dates."""
    headers = [
        "wave",
        "start",
        "end",
        *(f"{k}_items" for k in PROGRESS_KEYS),
        *(f"{k}_hours" for k in PROGRESS_KEYS),
        "done_share",
    ]
    formats: list[str | None] = [
        "0",
        DATE,
        DATE,
        *([WHOLE] * len(PROGRESS_KEYS)),
        *([HOURS] * len(PROGRESS_KEYS)),
        PERCENT,
    ]
    rows = []
    for w in plan.progress:
        share = w.hours["done"] / w.hours["planned"] if w.hours.get("planned") else None
        rows.append(
            [
                w.wave,
                w.start,
                w.end,
                *(w.items.get(k, 0) for k in PROGRESS_KEYS),
                *(w.hours.get(k, 0.0) for k in PROGRESS_KEYS),
                share,
            ]
        )
    _table(ws, headers, rows, formats)
    row = len(rows) + 3
    end = plan.progress_end
    for label, value in (
        ("Planned end", end.get("planned")),
        ("Forecast end", end.get("forecast")),
        ("Forecast basis", end.get("basis")),
    ):
        text_cell(ws.cell(row, 1), label).font = BOLD
        shown = date.fromisoformat(value) if value and label != "Forecast basis" else value
        cell = text_cell(ws.cell(row, 2), shown)
        cell.number_format = DATE
        row += 1


def _changes(ws: Worksheet, plan: ExportPlan) -> None:
    """A re-plan's changes against its parent plan (`planner diff`)."""
    headers = [
        "change",
        "item",
        "from_wave",
        "to_wave",
        "wave",
        "from_start",
        "from_end",
        "to_start",
        "to_end",
        "why",
    ]
    rows = []
    for c in plan.changes:
        old, new = c.from_dates or (None, None), c.to_dates or (None, None)
        rows.append(
            [
                c.kind,
                c.item,
                c.from_wave,
                c.to_wave,
                c.wave,
                old[0],
                old[1],
                new[0],
                new[1],
                c.why or None,
            ]
        )
    if not rows:
        rows = [
            [
                "none",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                f"nothing changed against plan {plan.parent_id}",
            ]
        ]
    _table(ws, headers, rows, [None, None, "0", "0", "0", DATE, DATE, DATE, DATE, None])
    ws.auto_filter.ref = f"A1:J{len(rows) + 1}"


def _runbook(ws: Worksheet, runbook: ExportRunbook) -> None:
    """One wave's cutover steps in order, then the window and whether they fit it."""
    # Excel has no time zones: a window given with a UTC offset shows its local clock times.
    rows = [
        [v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in r]
        for r in runbook_rows(runbook)
    ]
    _table(ws, [h for h, _ in RUNBOOK_COLUMNS], rows, [f for _, f in RUNBOOK_COLUMNS])
    for c in (2, 3):
        ws.column_dimensions[get_column_letter(c)].width = 17
    row = len(rows) + 3
    fit = "yes" if runbook.fits else "no"
    if not runbook.fits and runbook.items_to_move:
        fit += f": move {len(runbook.items_to_move)} item(s) to a later wave"
    summary: list[tuple[str, Any, str | None]] = [
        ("Window start", runbook.window_start.replace(tzinfo=None), DATETIME),
        ("Window end", runbook.window_end.replace(tzinfo=None), DATETIME),
        (
            "Last step ends",
            (runbook.window_start + timedelta(minutes=runbook.makespan_minutes)).replace(
                tzinfo=None
            ),
            DATETIME,
        ),
        ("Fits the window", fit, None),
        ("Solver status", runbook.status, None),
    ]
    if runbook.end_after_move is not None:
        summary.append(
            ("Rest ends, after the move", runbook.end_after_move.replace(tzinfo=None), DATETIME)
        )
    summary += [("Move to a later wave", item, None) for item in runbook.items_to_move]
    for label, value, fmt in summary:
        text_cell(ws.cell(row, 1), label).font = BOLD
        cell = text_cell(ws.cell(row, 2), value)
        if fmt:
            cell.number_format = fmt
        row += 1


# ---------------------------------------------------------------------- helpers
def _header(ws: Worksheet, row: int, headers: Sequence[str]) -> None:
    for col, text in enumerate(headers, start=1):
        text_cell(ws.cell(row, col), text)
    _style_header(ws, row, len(headers))


def _style_header(ws: Worksheet, row: int, count: int) -> None:
    for col in range(1, count + 1):
        cell = ws.cell(row, col)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT


def _table(
    ws: Worksheet,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    formats: Sequence[str | None],
    freeze: str = "A2",
) -> None:
    """Header row 1, data from row 2, number formats per column, widths, frozen header, print
    setup."""
    _header(ws, 1, headers)
    widths = [len(h) + 2 for h in headers]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            if value is None:
                continue
            cell = text_cell(ws.cell(r, c), value)
            fmt = formats[c - 1]
            if fmt:
                cell.number_format = fmt
            if r < 500:  # widths from the first rows are good enough and keep big exports fast
                width = 11 if isinstance(value, (date, float)) else len(str(value)) + 2
                widths[c - 1] = max(widths[c - 1], min(width, MAX_WIDTH))
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = freeze
    _print_setup(ws, header_row=1)


def _print_setup(ws: Worksheet, header_row: int | None) -> None:
    """Landscape, fitted to the page width (any number of pages down), header repeated on each
    page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if header_row:
        ws.print_title_rows = f"{header_row}:{header_row}"
