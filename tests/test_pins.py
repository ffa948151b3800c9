"""`planner.pins.import_pins`: the round trip export -> edit the pin column -> import ->
re-plan, and cell-precise validation errors, each beside the passing case.

The inventory is one tiny municipality (9 planned items) that plans optimally in under a
second, so the round trip can plan twice.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

import exports
from planner.config import parse_config
from planner.db import open_database
from exports.errors import ImportFailed
from planner.export_data import load_export
from planner.importing import import_files
from planner.models import Pin
from planner.pins import import_pins
from planner.planning import make_plan, plan_waves
from tests.conftest import InventoryBook

TOML = """
[calendar]
start = 2027-01-09
wave_length_days = 14
max_waves = 8
"""
SCHOOL = "Østerå Kommune/workplace/Søndre Skole elever"
ADMIN = "Østerå Kommune/workplace/Rådhus administration"


def plan_once(engine: Engine) -> int:
    outcome = make_plan(engine, parse_config(TOML), TOML, time_limit=5, workers=1, seed=0)
    assert outcome.plan.id is not None
    return outcome.plan.id


def pins(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {p.item_id: p.wave for p in session.execute(select(Pin)).scalars()}


@pytest.fixture
def exported(tmp_path: Path) -> tuple[Engine, Path]:
    """A planned database and its exported workbook (no pins yet)."""
    engine = open_database(f"sqlite:///{tmp_path / 'planner.db'}")
    import_files(engine, [InventoryBook(tmp_path).write()])
    plan_once(engine)
    yield engine, exports.write(tmp_path / "plan.xlsx", load_export(engine))
    engine.dispose()


def edit(path: Path, changes: dict[str, Any], target: Path | None = None) -> Path:
    """Set the pin cell of each item id (as a project manager would) and save."""
    book = openpyxl.load_workbook(path)
    ws = book["Items"]
    headers = [c.value for c in ws[1]]
    id_col, pin_col = headers.index("id") + 1, headers.index("pin") + 1
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, id_col).value in changes:
            ws.cell(r, pin_col).value = changes[ws.cell(r, id_col).value]
    target = target or path
    book.save(target)
    return target


def row_of(path: Path, item: str) -> int:
    ws = openpyxl.load_workbook(path)["Items"]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == item)


def test_pin_round_trip_changes_the_next_plan(exported: tuple[Engine, Path]) -> None:
    engine, path = exported
    before = plan_waves(engine, 1)
    assert before[SCHOOL] == 2  # unpinned, the school's PCs move with everything else in wave 2
    edit(path, {SCHOOL: 4})
    assert import_pins(engine, path) == 1
    assert pins(engine) == {SCHOOL: 4}
    second = plan_once(engine)
    after = plan_waves(engine, second)
    assert after[SCHOOL] == 4
    assert after != before
    # the next export pre-fills the pin column with the stored pin
    exported_again = load_export(engine, second)
    item = next(i for i in exported_again.items if i.id == SCHOOL)
    assert (item.pin, item.pinned, item.wave) == (4, 4, 4)
    again = exports.write(path.with_name("again.xlsx"), exported_again)
    ws = openpyxl.load_workbook(again)["Items"]
    assert ws.cell(row_of(again, SCHOOL), 18).value == 4


def test_a_blank_pin_cell_removes_the_pin_and_other_pins_stay(
    exported: tuple[Engine, Path],
) -> None:
    engine, path = exported
    edit(path, {SCHOOL: 4, ADMIN: "3"})  # a number typed as text is accepted too
    assert import_pins(engine, path) == 2
    assert pins(engine) == {SCHOOL: 4, ADMIN: 3}
    with Session(engine) as session:  # a pin of an item whose row the project manager deleted
        session.add(Pin(item_id="Østerå Kommune/network/ADM-Net", wave=1, source="earlier import"))
        session.commit()
    book = openpyxl.load_workbook(edit(path, {SCHOOL: None, ADMIN: 3.0}))
    book["Items"].delete_rows(row_of(path, "Østerå Kommune/network/ADM-Net"))
    book.save(path)
    assert import_pins(engine, path) == 1
    assert pins(engine) == {ADMIN: 3, "Østerå Kommune/network/ADM-Net": 1}


# ---------------------------------------------------------------------- validation
PIN_COLUMN = "R"


@pytest.mark.parametrize(
    "value, message",
    [
        ("x", "a pin is a wave number (1 or more), got 'x'"),
        (0, "a pin is a wave number (1 or more), got 0"),
        (2.5, "a pin is a wave number (1 or more), got 2.5"),
        (-1, "a pin is a wave number (1 or more), got -1"),
        (99, "wave 99 is past the calendar's last wave 8"),
    ],
)
def test_a_bad_pin_is_reported_at_its_cell(
    exported: tuple[Engine, Path], value: Any, message: str
) -> None:
    engine, path = exported
    edit(path, {SCHOOL: value})
    with pytest.raises(ImportFailed) as caught:
        import_pins(engine, path)
    assert caught.value.problems == [f"{path}:Items!{PIN_COLUMN}{row_of(path, SCHOOL)}: {message}"]
    assert pins(engine) == {}  # nothing stored


IdChange = Callable[[openpyxl.worksheet.worksheet.Worksheet, int], None]


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda ws, r: setattr(ws.cell(r, 1), "value", "Østerå Kommune/server/NO-SUCH"),
            "A{r}: no item 'Østerå Kommune/server/NO-SUCH' "
            "in the inventory (write municipality/kind/name)",
        ),
        (
            lambda ws, r: setattr(ws.cell(r, 1), "value", "Østerå Kommune/site/Rådhuset"),
            "A{r}: Østerå Kommune/site/Rådhuset is not moved "
            "(retained applications and sites get no wave)",
        ),
        (
            lambda ws, r: setattr(
                ws.cell(r, 1), "value", ADMIN
            ),  # reported on the later of the two rows
            "A{later}: " + ADMIN + " is listed twice (also on row {earlier})",
        ),
        (
            lambda ws, r: setattr(ws.cell(r, 1), "value", None),
            "A{r}: the id is blank, so the pin in R{r} names no item",
        ),
    ],
)
def test_a_bad_id_is_reported_at_its_cell(
    exported: tuple[Engine, Path], change: IdChange, message: str
) -> None:
    engine, path = exported
    edit(path, {SCHOOL: 3})
    r, other = row_of(path, SCHOOL), row_of(path, ADMIN)
    book = openpyxl.load_workbook(path)
    change(book["Items"], r)
    book.save(path)
    with pytest.raises(ImportFailed) as caught:
        import_pins(engine, path)
    expected = message.format(r=r, earlier=min(r, other), later=max(r, other))
    assert caught.value.problems == [f"{path}:Items!{expected}"]


def test_all_problems_are_collected(exported: tuple[Engine, Path]) -> None:
    engine, path = exported
    edit(path, {SCHOOL: "soon", ADMIN: 0})
    with pytest.raises(ImportFailed) as caught:
        import_pins(engine, path)
    assert len(caught.value.problems) == 2


def test_a_workbook_without_the_pin_column(exported: tuple[Engine, Path], tmp_path: Path) -> None:
    engine, path = exported
    book = openpyxl.load_workbook(path)
    book["Items"].cell(1, 18).value = "pinned_wave"
    book.save(tmp_path / "renamed.xlsx")
    with pytest.raises(ImportFailed) as caught:
        import_pins(engine, tmp_path / "renamed.xlsx")
    assert caught.value.problems == [
        f"{tmp_path / 'renamed.xlsx'}:Items!A1: no column named 'pin' in the header row"
    ]
    book.remove(book["Items"])
    book.save(tmp_path / "no-items.xlsx")
    with pytest.raises(ImportFailed) as caught:
        import_pins(engine, tmp_path / "no-items.xlsx")
    assert caught.value.problems == [
        f"{tmp_path / 'no-items.xlsx'}: no sheet named Items (pins are read from a "
        "workbook written by `planner export plan.xlsx`)"
    ]


def test_a_formula_in_the_pin_column_is_refused(exported: tuple[Engine, Path]) -> None:
    engine, path = exported
    edit(path, {SCHOOL: "=1+2"})
    with pytest.raises(ImportFailed) as caught:
        import_pins(engine, path)
    assert caught.value.problems == [
        f"{path}:Items!R{row_of(path, SCHOOL)}: a formula; type the wave number itself"
    ]


def test_an_unedited_export_imports_cleanly(exported: tuple[Engine, Path]) -> None:
    """The passing case of every test above: no pins in, no pins stored, no error."""
    engine, path = exported
    assert import_pins(engine, path) == 0
    assert pins(engine) == {}
