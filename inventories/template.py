"""Writing the inventory template, and filled-in workbooks in the same layout.

The template is generated from `schema.SHEETS`, so the header comments, the drop-down
lists and the importer's rules come from one table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from inventories.schema import SHEETS, Sheet

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
REQUIRED_FONT = Font(bold=True, color="FFD966")
VALIDATED_ROWS = 5000

INSTRUCTIONS = """\
Inventory template — one workbook per municipality (kommune / kommun).

1. Put the municipality's name in the Municipality sheet (one row).
2. Fill one row per item in Sites, Networks, Directories, Servers, Applications, Workplaces.
   Names must be unique per sheet (case does not matter). Columns marked * are required.
3. Reference other items by name: a server's network and directory, an application's
   servers (comma-separated), a workplace group's site.
4. Dependencies: one row per "from needs to". Kinds: runs_on, joined_to, authenticates_with,
   integrates_with, uses, connected_via, hosted_by. strength: hard (default) or soft.
   to_municipality: blank = this municipality.
5. Dates are ISO 8601: blackout = 2027-06-20..2027-06-30, comma-separated.
6. Hover over a header to see what the column means. Drop-down lists show accepted values;
   Danish and Swedish words (ja/nej, kritisk, pædagogisk, pedagogiskt, …) are accepted too.
7. Import with:  planner import FILE.xlsx   (add --dry-run to only validate).
   Every problem is reported as FILE:SHEET!CELL: message, and nothing is written until the
   whole file is valid.
"""


def write_template(path: str | Path) -> Path:
    """An empty inventory workbook with instructions, comments, drop-downs and frozen headers."""
    return write_workbook(path, {})


def write_workbook(path: str | Path, rows: Mapping[str, Iterable[Sequence[Any]]]) -> Path:
    """A workbook in the template layout, filled with `rows` per sheet name (in column order)."""
    book = Workbook()
    intro = book.active
    intro.title = "Instructions"
    for number, line in enumerate(INSTRUCTIONS.splitlines(), start=1):
        intro.cell(number, 1, line)
    intro.column_dimensions["A"].width = 100
    intro["A1"].font = Font(bold=True, size=14)
    for sheet in SHEETS:
        _sheet(book, sheet, rows.get(sheet.name, ()))
    path = Path(path)
    book.save(path)
    return path


def _sheet(book: Workbook, sheet: Sheet, rows: Iterable[Sequence[Any]]) -> None:
    ws = book.create_sheet(sheet.name)
    for index, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(1, index, column.name)
        cell.fill = HEADER_FILL
        cell.font = REQUIRED_FONT if column.required else HEADER_FONT
        cell.alignment = Alignment(vertical="center")
        note = column.help + (" Required." if column.required else "")
        if column.aliases:
            note += " Also accepted as header: " + ", ".join(column.aliases[:6]) + "."
        cell.comment = Comment(note, "planner", width=320, height=120)
        ws.column_dimensions[get_column_letter(index)].width = max(
            column.width, len(column.name) + 4
        )
        if column.choices:
            letter = get_column_letter(index)
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=True,
                showErrorMessage=False,  # Danish/Swedish spellings are accepted on import
                promptTitle=column.name,
                prompt=", ".join(column.choices),
            )
            validation.add(f"{letter}2:{letter}{VALIDATED_ROWS}")
            ws.add_data_validation(validation)
    ws.freeze_panes = "B2"
    for row in rows:
        ws.append(list(row))
