"""What really happened: progress per planned item, read back from the project managers' workbook.

Project managers set `status`, `actual_date` and `comment` in the Items sheet of an exported
`plan.xlsx`; `import_progress` reads them back for one plan. The workbook is untrusted input
like any inventory: it is opened with the same limits, every problem is collected as
`FILE:SHEET!CELL: message`, and nothing is stored unless every row is valid. Rows are only
ever appended to the `progress` table, one per item whose state changed, so the newest row of
a (plan, item) is its state and the older ones are its history.

A re-plan from progress (`planner.replan_progress`) starts a new plan; the states carry over
to it (done and in-progress items as they were, failed and postponed items as planned
again, with their comment), so the next workbook starts from what is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from inventories.workbook import open_workbook, where
from planner.db import transaction
from exports.errors import ImportFailed, PlannerError
from planner.models import Plan, PlanItem, Progress
from planner.planning import latest_plan, plan_config, plan_items

PLANNED, IN_PROGRESS, DONE, FAILED, POSTPONED = (
    "planned",
    "in progress",
    "done",
    "failed",
    "postponed",
)
#: The drop-down of the Items sheet's status column, in the order a wave goes through them.
STATUSES = (PLANNED, IN_PROGRESS, DONE, FAILED, POSTPONED)
#: Not started: re-planned freely by `replan --from-progress`.
NOT_STARTED = {PLANNED}
#: Started or finished without success: must go (again) into an open wave.
TO_REDO = {FAILED, POSTPONED}
MAX_COMMENT = 2000
ITEMS, OVERVIEW = "Items", "Overview"
ID, STATUS, ACTUAL, COMMENT = "id", "status", "actual_date", "comment"


@dataclass(frozen=True)
class State:
    """An item's recorded state (planned with no date or comment when nothing was recorded)."""

    status: str = PLANNED
    actual_date: date | None = None
    comment: str | None = None
    source: str | None = None
    recorded: datetime | None = None

    def same(self, other: State) -> bool:
        return (self.status, self.actual_date, self.comment) == (
            other.status,
            other.actual_date,
            other.comment,
        )


@dataclass
class ImportSummary:
    """What `import_progress` stored: the plan, counts per status, how many rows changed."""

    plan_id: int
    counts: dict[str, int] = field(default_factory=dict)
    changed: int = 0
    warnings: list[str] = field(default_factory=list)

    def line(self, label: str) -> str:
        counts = ", ".join(f"{self.counts.get(s, 0)} {s}" for s in STATUSES)
        return (
            f"Recorded progress for plan {self.plan_id} from {label}: {counts} "
            f"({self.changed} changed)"
        )


def today() -> date:
    """The latest calendar date anywhere: a Danish morning is still yesterday in UTC."""
    return max(date.today(), datetime.now(UTC).date())


def current(engine: Engine, plan_id: int) -> dict[str, State]:
    """item id -> newest recorded state for one plan (items with no record are absent)."""
    states: dict[str, State] = {}
    with Session(engine) as session:
        query = select(Progress).where(col(Progress.plan_id) == plan_id).order_by(col(Progress.id))
        for row in session.execute(query).scalars():
            states[row.item_id] = State(
                row.status, row.actual_date, row.comment, row.source, row.recorded
            )
    return states


def history(engine: Engine, text: str) -> tuple[str, list[tuple[int, State]]]:
    """(item id, [(plan id, state), …] oldest first) for an item named case-insensitively."""
    key = text.strip().casefold()
    with Session(engine) as session:
        ids = {
            i
            for i in session.execute(select(col(PlanItem.item_id)).distinct()).scalars()
            if i.casefold() == key
        }
        if not ids:
            raise PlannerError(f"{text!r} is in no stored plan (write municipality/kind/name)")
        query = select(Progress).where(col(Progress.item_id).in_(ids)).order_by(col(Progress.id))
        rows = [
            (r.plan_id, State(r.status, r.actual_date, r.comment, r.source, r.recorded))
            for r in session.execute(query).scalars()
        ]
    return min(ids), rows


def record(engine: Engine, plan_id: int, states: dict[str, State], source: str) -> int:
    """Append a row for every item whose state differs from its newest; return how many."""
    now = datetime.now(UTC)
    before = current(engine, plan_id)
    changed = [(i, s) for i, s in sorted(states.items()) if not s.same(before.get(i, State()))]
    with transaction(engine) as session:
        for item_id, state in changed:
            session.add(
                Progress(
                    plan_id=plan_id,
                    item_id=item_id,
                    status=state.status,
                    actual_date=state.actual_date,
                    comment=state.comment,
                    source=source,
                    recorded=now,
                )
            )
    return len(changed)


def import_progress(
    engine: Engine, path: str | Path, *, label: str | None = None, plan_id: int | None = None
) -> ImportSummary:
    """Store the statuses, actual dates and comments of an edited workbook's Items sheet,
    all or nothing, for `plan_id` (default: the latest plan, which the workbook must be of)."""
    label = label or str(path)
    plan = latest_plan(engine, plan_id)
    assert plan.id is not None
    book = open_workbook(path, label)
    try:
        _check_overview(book, label, plan)
        states = _read_items(book, label, engine, plan)
    finally:
        book.close()
    summary = ImportSummary(plan.id)
    merged = {**current(engine, plan.id), **states}
    for state in merged.values():
        summary.counts[state.status] = summary.counts.get(state.status, 0) + 1
    summary.changed = record(engine, plan.id, states, Path(label).name)
    summary.warnings = done_on_failed(engine, plan.id, merged)
    return summary


def _sheet(book: Any, label: str, name: str) -> str:
    title = next((t for t in book.book.sheetnames if t.casefold() == name.casefold()), None)
    if title is None:
        raise ImportFailed(
            [
                (
                    f"{label}: no sheet named {name} (progress is read from a workbook "
                    "written by `planner export plan.xlsx`)"
                )
            ]
        )
    return str(title)


def _check_overview(book: Any, label: str, plan: Plan) -> None:
    """The workbook must be of `plan`: its Overview names the plan id and inventory fingerprint."""
    title = _sheet(book, label, OVERVIEW)
    found_id: tuple[int, Any] | None = None
    found_print: tuple[int, Any] | None = None
    for number, cells in book.rows(title):
        head = _text(cells[0]) if cells else ""
        value = cells[1] if len(cells) > 1 else None
        match = re.fullmatch(r"Migration plan (\d+)", head)
        if head == "Plan id" or (match and found_id is None):
            found_id = (number, int(match.group(1)) if match else value)
        elif head == "Inventory fingerprint":
            found_print = (number, value)
    if found_id is None:
        raise ImportFailed(
            [
                (
                    f"{where(label, title, 1, 1)}: no plan id (this is not a workbook "
                    "written by `planner export plan.xlsx`)"
                )
            ]
        )
    row, value = found_id
    if _text(value) != str(plan.id):
        raise ImportFailed(
            [
                (
                    f"{where(label, title, row, 2 if row > 1 else 1)}: this workbook is of plan "
                    f"{_text(value)!r}, but progress is recorded for plan {plan.id} (export plan "
                    f"{plan.id} and edit that, or name the workbook's plan with --plan)"
                )
            ]
        )
    if (
        plan.inventory_fingerprint
        and found_print is not None
        and _text(found_print[1]) != plan.inventory_fingerprint
    ):
        raise ImportFailed(
            [
                (
                    f"{where(label, title, found_print[0], 2)}: the inventory fingerprint is not "
                    f"plan {plan.id}'s ({plan.inventory_fingerprint[:12]}…): this workbook was "
                    "exported from "
                    "another database or another plan"
                )
            ]
        )


def _header(book: Any, label: str, title: str) -> dict[str, int]:
    for number, cells in book.rows(title):
        if any(_text(c) for c in cells):
            columns = {_text(c).casefold(): i for i, c in enumerate(cells, start=1) if _text(c)}
            missing = [n for n in (ID, STATUS, ACTUAL, COMMENT) if n not in columns]
            if missing:
                raise ImportFailed(
                    [
                        f"{where(label, title, number, 1)}: no column named {n!r} in "
                        "the header row (export the plan again to get it)"
                        for n in missing
                    ]
                )
            columns["_row"] = number
            return columns
    raise ImportFailed([f"{where(label, title, 1, 1)}: the sheet is empty"])


@dataclass
class _Reading:
    """The state of one Items-sheet read: what was found and what is wrong."""

    label: str
    title: str
    columns: dict[str, int]
    ids: dict[str, str]  # casefolded item id -> the plan's item id
    formulas: set[str]
    errors: dict[tuple[int, int], str]
    states: dict[str, State] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def cell(self, row: int, name: str) -> str:
        return where(self.label, self.title, row, self.columns[name])

    def value(self, cells: tuple[Any, ...], row: int, name: str) -> Any:
        """A cell's value; formulas and error cells are problems (never silently used)."""
        column = self.columns[name]
        ref = self.cell(row, name)
        if ref.rpartition("!")[2] in self.formulas:
            raise ValueError(f"{ref}: a formula; type the {name.replace('_', ' ')} itself")
        if (row, column) in self.errors:
            raise ValueError(f"{ref}: the cell shows {self.errors[(row, column)]}")
        return cells[column - 1] if column <= len(cells) else None


def _read_items(book: Any, label: str, engine: Engine, plan: Plan) -> dict[str, State]:
    title = _sheet(book, label, ITEMS)
    columns = _header(book, label, title)
    waves = {row.item_id: row.wave for row in plan_items(engine, plan.id or 0)}
    reading = _Reading(
        label,
        title,
        columns,
        {i.casefold(): i for i in waves},
        set(book.formulas(title)),
        book.error_cells(title),
    )
    for number, cells in book.rows(title):
        if number > columns["_row"]:
            try:
                _read_row(reading, number, cells, plan)
            except ValueError as exc:
                reading.problems.append(str(exc))
    if not reading.problems:
        _check_order(reading, engine, plan, waves)
    if reading.problems:
        raise ImportFailed(reading.problems)
    return reading.states


def _read_row(reading: _Reading, number: int, cells: tuple[Any, ...], plan: Plan) -> None:
    """One Items row: the item, its status, actual date and comment, each checked."""
    text = _text(reading.value(cells, number, ID))
    status_raw, date_raw, comment_raw = (
        reading.value(cells, number, n) for n in (STATUS, ACTUAL, COMMENT)
    )
    if not text:
        if any(_text(v) for v in (status_raw, date_raw, comment_raw)):
            raise ValueError(
                f"{reading.cell(number, ID)}: the id is blank, so the status, date "
                "or comment on this row names no item"
            )
        return
    item = reading.ids.get(text.casefold())
    if item is None:
        raise ValueError(f"{reading.cell(number, ID)}: {text!r} is not an item of plan {plan.id}")
    if item in reading.rows:
        raise ValueError(
            f"{reading.cell(number, ID)}: {item} is listed twice (also on row {reading.rows[item]})"
        )
    reading.rows[item] = number
    status = _status(status_raw, reading.cell(number, STATUS))
    actual = _date(date_raw, reading.cell(number, ACTUAL))
    if status == DONE and actual is None:
        raise ValueError(
            f"{reading.cell(number, ACTUAL)}: {item} is done but has no actual "
            "date (the day it was done, YYYY-MM-DD)"
        )
    if status == PLANNED and actual is not None:
        raise ValueError(
            f"{reading.cell(number, ACTUAL)}: an actual date on an item whose status "
            "is planned; set the status too, or clear the date"
        )
    comment = _text(comment_raw) or None
    if comment is not None and len(comment) > MAX_COMMENT:
        raise ValueError(
            f"{reading.cell(number, COMMENT)}: the comment has {len(comment):,} "
            f"characters; at most {MAX_COMMENT:,} are kept"
        )
    reading.states[item] = State(status, actual, comment)


def _status(value: Any, cell: str) -> str:
    text = " ".join(_text(value).split()).casefold()
    if not text:
        return PLANNED
    if text not in STATUSES:
        raise ValueError(
            f"{cell}: status {_text(value)!r} is not one of {', '.join(STATUSES)} "
            "(pick one from the drop-down)"
        )
    return text


def _date(value: Any, cell: str) -> date | None:
    """An actual date: a date cell or YYYY-MM-DD text; never in the future."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    day: date
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = _text(value)
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(f"{cell}: {value!r} is not a date (write YYYY-MM-DD)")
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{cell}: {value!r} is not a date (write YYYY-MM-DD)") from None
    if day > today():
        raise ValueError(
            f"{cell}: the actual date {day.isoformat()} is in the future (today is "
            f"{today().isoformat()})"
        )
    if day.year < 2000:
        raise ValueError(f"{cell}: the actual date {day.isoformat()} is before the year 2000")
    return day


def _check_order(reading: _Reading, engine: Engine, plan: Plan, waves: dict[str, int]) -> None:
    """A done item may not lie in a wave after a still-planned item it depends on."""
    states = {**current(engine, plan.id or 0), **reading.states}
    blocking: dict[str, list[str]] = {}
    for later, needed in _needs(engine, plan, waves):
        if (
            states.get(later, State()).status == DONE
            and waves[needed] < waves[later]
            and states.get(needed, State()).status == PLANNED
        ):
            blocking.setdefault(later, []).append(f"{needed} (wave {waves[needed]})")
    for later, needed_list in sorted(blocking.items()):
        row = reading.rows.get(later)
        at = reading.cell(row, STATUS) if row else f"{reading.label}:{ITEMS}"
        verb = "is" if len(needed_list) == 1 else "are"
        reading.problems.append(
            f"{at}: {later} is done in wave {waves[later]}, but it depends on "
            f"{' and '.join(needed_list)}, which {verb} still planned"
        )


def _needs(engine: Engine, plan: Plan, waves: dict[str, int]) -> list[tuple[str, str]]:
    """(item, an item it needs), once per pair, for the hard ordering rules between the plan's
    items (two dependencies between the same items are one need)."""
    from planner.graph import BEFORE_OR_SAME, SAME_WAVE, STRICTLY_BEFORE, build
    from planner.snapshot import load

    config = plan_config(plan)
    graph = build(load(engine), config.effort_defaults())
    return sorted(
        {
            (c.second, c.first)
            for c in graph.constraints
            if c.rule in (BEFORE_OR_SAME, STRICTLY_BEFORE, SAME_WAVE)
            and c.first in waves
            and c.second in waves
        }
    )


def done_on_failed(engine: Engine, plan_id: int, states: dict[str, State]) -> list[str]:
    """Done items that need a failed or postponed item: they run against the old platform's
    copy until it moves, which the programme office must know."""
    plan = latest_plan(engine, plan_id)
    waves = {row.item_id: row.wave for row in plan_items(engine, plan_id)}
    found: dict[str, list[str]] = {}
    for later, needed in _needs(engine, plan, waves):
        if (
            states.get(later, State()).status == DONE
            and states.get(needed, State()).status in TO_REDO
        ):
            found.setdefault(needed, []).append(later)
    return [
        f"{needed} is {states[needed].status}, but {', '.join(sorted(set(users)))} "
        f"{'is' if len(set(users)) == 1 else 'are'} done and run(s) against the old "
        "platform's copy until it moves"
        for needed, users in sorted(found.items())
    ]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


# ---------------------------------------------------------------------- the report
KEYS = ("planned", "in_progress", "done", "failed", "postponed", "remaining")


def _count(items: list[tuple[PlanItem, State]]) -> tuple[dict[str, int], dict[str, float]]:
    """Item counts and effort hours per status; `planned` is everything in the plan, `remaining`
    everything not done yet (failed and postponed items must still move)."""
    counts = dict.fromkeys(KEYS, 0)
    hours = dict.fromkeys(KEYS, 0.0)
    for row, state in items:
        key = state.status.replace(" ", "_")
        for name in {"planned", key, *(["remaining"] if state.status != DONE else [])}:
            counts[name] += 1
            hours[name] += row.effort_hours
    counts["planned"] = len(items)
    hours["planned"] = sum(row.effort_hours for row, _ in items)
    return counts, {k: round(v, 1) for k, v in hours.items()}


def progress_report(engine: Engine, plan_id: int | None = None) -> dict[str, Any]:
    """Per wave and municipality: planned / done / failed / postponed / remaining items and
    hours, the programme's end as planned and as forecast, and the burn-up series."""
    plan = latest_plan(engine, plan_id)
    config = plan_config(plan)  # the first wave recorded with the plan, not today's Saturday
    windows = config.wave_windows()
    states = current(engine, plan.id or 0)
    rows = [(row, states.get(row.item_id, State())) for row in plan_items(engine, plan.id or 0)]
    waves = []
    for number in sorted({row.wave for row, _ in rows}):
        items, hours = _count([(r, s) for r, s in rows if r.wave == number])
        start, end = windows[number - 1] if number <= len(windows) else (None, None)
        waves.append(
            {"wave": number, "start": _iso(start), "end": _iso(end), "items": items, "hours": hours}
        )
    municipalities = []
    for name in sorted({row.municipality for row, _ in rows}, key=str.casefold):
        items, hours = _count([(r, s) for r, s in rows if r.municipality == name])
        municipalities.append({"municipality": name, "items": items, "hours": hours})
    items, hours = _count(rows)
    return {
        "plan": plan.id,
        "as_of": today().isoformat(),
        "recorded": len(states),
        "waves": waves,
        "municipalities": municipalities,
        "total": {"items": items, "hours": hours},
        "end": _end_dates(rows, windows, config),
        "burn_up": _burn_up(rows, windows),
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _end_dates(
    rows: list[tuple[PlanItem, State]], windows: list[tuple[date, date]], config: Any
) -> dict[str, Any]:
    """The planned end (the last used wave's end) and a forecast: the planned end moved by the
    median lateness of done items against their wave's end (when late), plus the waves the
    failed and postponed work needs beyond the spare capacity of the open waves."""
    used = [row.wave for row, _ in rows if row.wave <= len(windows)]
    if not used:
        return {"planned": None, "forecast": None, "basis": "the plan has no waves"}
    planned = windows[max(used) - 1][1]
    late = sorted(
        (s.actual_date - windows[r.wave - 1][1]).days
        for r, s in rows
        if s.status == DONE and s.actual_date and r.wave <= len(windows)
    )
    slip = max(0, late[len(late) // 2]) if late else 0
    open_waves = [
        w
        for w in range(1, max(used) + 1)
        if any(r.wave == w and s.status in (PLANNED, IN_PROGRESS) for r, s in rows)
    ]
    extra = _extra_waves(rows, open_waves, max(used), config)
    length = (windows[0][1] - windows[0][0]).days + 1
    forecast = planned + _days(slip + extra * length)
    if not any(s.status != DONE for _, s in rows):
        forecast = max((s.actual_date for _, s in rows if s.actual_date), default=planned)
    basis = (
        f"median lateness of done items {slip} day(s); {extra} extra wave(s) for failed and "
        "postponed work"
    )
    return {"planned": planned.isoformat(), "forecast": forecast.isoformat(), "basis": basis}


def _days(count: int) -> Any:
    from datetime import timedelta

    return timedelta(days=count)


def _extra_waves(
    rows: list[tuple[PlanItem, State]], open_waves: list[int], last: int, config: Any
) -> int:
    """Waves needed after `last` for failed/postponed work that the open waves' spare team
    capacity cannot take (per team: the item's kind)."""
    extra = 0
    for team in {row.kind for row, _ in rows}:
        redo = sum(r.effort_hours for r, s in rows if r.kind == team and s.status in TO_REDO)
        if not redo:
            continue
        spare = sum(
            max(
                0.0,
                config.team_capacity(team, w)
                - sum(r.effort_hours for r, _ in rows if r.kind == team and r.wave == w),
            )
            for w in open_waves
        )
        capacity = config.team_capacity(team, last) or 1.0
        if redo > spare:
            extra = max(extra, int(-(-(redo - spare) // capacity)))
    return extra


def _burn_up(
    rows: list[tuple[PlanItem, State]], windows: list[tuple[date, date]]
) -> list[dict[str, Any]]:
    """Cumulative planned (by wave end) and done (by actual date) items and hours, by date."""
    events: dict[date, list[float]] = {}
    for row, state in rows:
        if row.wave <= len(windows):
            events.setdefault(windows[row.wave - 1][1], [0, 0, 0, 0])
            events[windows[row.wave - 1][1]][0] += 1
            events[windows[row.wave - 1][1]][1] += row.effort_hours
        if state.status == DONE and state.actual_date:
            events.setdefault(state.actual_date, [0, 0, 0, 0])
            events[state.actual_date][2] += 1
            events[state.actual_date][3] += row.effort_hours
    series, total = [], [0.0, 0.0, 0.0, 0.0]
    for day in sorted(events):
        total = [a + b for a, b in zip(total, events[day])]
        series.append(
            {
                "date": day.isoformat(),
                "planned_items": int(total[0]),
                "planned_hours": round(total[1], 1),
                "done_items": int(total[2]),
                "done_hours": round(total[3], 1),
            }
        )
    return series
