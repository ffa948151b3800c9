"""`planner import-pins`: wave pins handed back in an exported, edited workbook.

Project managers type a wave number in the `pin` column of the `Items` sheet (or clear
it). The sheet is authoritative for the items it lists: a number pins the item, a blank
cell removes its pin; pins of items the sheet does not list are kept. The workbook is
untrusted input like any inventory: it is opened with the same limits, every problem is
collected as `FILE:Items!CELL: message`, and nothing is stored unless all rows are valid.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine

from inventories.workbook import open_workbook, where
from planner.db import transaction
from exports.errors import ImportFailed, PlannerError
from planner.graph import is_planned
from planner.models import Pin
from planner.stored import open_plan
from planner.snapshot import load

SHEET = "Items"
ID, PIN = "id", "pin"


def import_pins(engine: Engine, path: str | Path, *, label: str | None = None) -> int:
    """Store the pins of the workbook's Items sheet; return how many items are now pinned by it."""
    label = label or str(path)
    book = open_workbook(path, label)
    try:
        wanted = _read(book, label, engine)
    finally:
        book.close()
    with transaction(engine) as session:
        if wanted:
            session.execute(delete(Pin).where(Pin.item_id.in_(list(wanted))))  # type: ignore[attr-defined]
        for item_id, wave in sorted(wanted.items()):
            if wave is not None:
                session.add(Pin(item_id=item_id, wave=wave, source=label))
    return sum(1 for wave in wanted.values() if wave is not None)


def _read(book: Any, label: str, engine: Engine) -> dict[str, int | None]:
    """item id -> pinned wave (None: unpin), or ImportFailed with every problem."""
    title = next((t for t in book.book.sheetnames if t.casefold() == SHEET.casefold()), None)
    if title is None:
        raise ImportFailed(
            [
                f"{label}: no sheet named {SHEET} (pins are read from a workbook written by "
                "`planner export plan.xlsx`)"
            ]
        )
    rows = book.rows(title)
    header_row = 0
    header: tuple[Any, ...] = ()
    for number, cells in rows:
        if any(_text(c) for c in cells):
            header_row, header = number, cells
            break
    columns = {_text(c).casefold(): index for index, c in enumerate(header, start=1) if _text(c)}
    missing = [name for name in (ID, PIN) if name not in columns]
    if missing:
        raise ImportFailed(
            [
                f"{where(label, title, header_row or 1, 1)}: "
                f"no column named '{name}' in the header row"
                for name in missing
            ]
        )
    id_col, pin_col = columns[ID], columns[PIN]
    formulas = set(book.formulas(title))
    snapshot = load(engine)
    last_wave = _calendar_waves(engine)
    problems: list[str] = []
    wanted: dict[str, int | None] = {}
    seen: dict[str, int] = {}
    for number, cells in rows:
        raw_id = cells[id_col - 1] if id_col <= len(cells) else None
        raw_pin = cells[pin_col - 1] if pin_col <= len(cells) else None
        id_cell, pin_cell = (
            where(label, title, number, id_col),
            where(label, title, number, pin_col),
        )
        if pin_cell.rpartition("!")[2] in formulas:
            problems.append(f"{pin_cell}: a formula; type the wave number itself")
            continue
        text = _text(raw_id)
        if not text:
            if _text(raw_pin):
                problems.append(
                    f"{id_cell}: the id is blank, "
                    f"so the pin in {pin_cell.rpartition('!')[2]} names no item"
                )
            continue
        node = snapshot.resolve(text)
        if node is None:
            problems.append(
                f"{id_cell}: no item {text!r} in the inventory (write municipality/kind/name)"
            )
            continue
        if not is_planned(snapshot.items[node]):
            problems.append(
                f"{id_cell}: {node} is not moved (retained applications and sites get no wave)"
            )
            continue
        if node in seen:
            problems.append(f"{id_cell}: {node} is listed twice (also on row {seen[node]})")
            continue
        seen[node] = number
        try:
            wave = _wave(raw_pin)
        except ValueError as exc:
            problems.append(f"{pin_cell}: {exc}")
            continue
        if wave is not None and last_wave is not None and wave > last_wave:
            problems.append(f"{pin_cell}: wave {wave} is past the calendar's last wave {last_wave}")
            continue
        wanted[node] = wave
    if problems:
        raise ImportFailed(problems)
    return wanted


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _wave(value: Any) -> int | None:
    """A pin cell as a wave number: blank -> None; 3, 3.0 and "3" -> 3."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(f"a pin is a wave number (1 or more), got {value!r}")
    number: float
    if isinstance(value, (int, float)):
        number = value
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ValueError(f"a pin is a wave number (1 or more), got {value!r}") from None
    if not math.isfinite(number) or number != int(number) or number < 1:
        raise ValueError(f"a pin is a wave number (1 or more), got {value!r}")
    return int(number)


def _calendar_waves(engine: Engine) -> int | None:
    """Waves in the newest plan's calendar (None before the first plan: make_plan checks then)."""
    try:
        stored = open_plan(engine)
    except PlannerError:
        return None
    return stored.config.max_waves()
