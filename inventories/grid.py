"""A sheet of a user's own spreadsheet as a grid of cells, and where its table starts.

Workbook tabs (.xlsx, .xlsm, .ods, .xls) and CSV files both become `Grid`s: every row with
its number as the file shows it, and the formulas of the workbook's cells. `find_header`
picks the header row below title blocks, merged cells and blank rows; `total_row` tells the
"I alt" and `=SUM(…)` rows that must never become items.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from inventories import csvfile
from inventories.values import fold, is_blank
from inventories.workbook import (
    SUFFIXES,
    UNSAVED,
    Limits,
    cell_ref,
    csv_where,
    open_workbook,
    where,
)

#: Words of a total or subtotal row (Danish, Swedish, Norwegian, English), matched whole.
TOTAL_WORDS = (
    "i alt",
    "total",
    "totalt",
    "totals",
    "sum",
    "summa",
    "subtotal",
    "sub-total",
    "i alt:",
    "samlet",
    "totalsum",
    "grand total",
    "hovedtotal",
    "delsum",
    "delsumma",
    "summering",
)
_TOTAL_FORMULA = re.compile(
    r"^\s*(?:_xlfn\.)?(SUM|SUBTOTAL|SUMMA|SUMIFS?|AGGREGATE|DELSUM)\s*\(", re.I
)
#: How far down a header row may be (title blocks rarely take more than a few rows).
HEADER_SEARCH = 30


@dataclass
class Grid:
    """One sheet: its rows by number (blank cells None) and its formula cells."""

    label: str
    title: str
    rows: list[tuple[int, tuple[Any, ...]]]
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden: bool = False
    csv: bool = False
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # cells showing #N/A, …
    by_row: dict[int, list[tuple[int, str]]] = field(default_factory=dict, repr=False)
    error_rows: set[int] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        for (row, column), text in self.formulas.items():
            self.by_row.setdefault(row, []).append((column, text))
        self.error_rows = {row for row, _ in self.errors}

    def unread(self, row: int, column: int, what: str) -> str | None:
        """Why a blank cell (0-based `column`) is blank when the file shows something there: an
        error value (#N/A, #REF!) or a formula never calculated; None when it is simply empty."""
        error = self.errors.get((row, column + 1))
        if error is None:
            return None
        if error == UNSAVED:
            return (
                f"{what}: the formula has no saved value (the file was written by a program and "
                "never calculated; open and save it in Excel or LibreOffice); read as blank"
            )
        return f"{what}: the cell shows the error {error}; read as blank"

    def shown_instead(self, row: int, column: int) -> str:
        """What a cell (0-based `column`) that reads as blank shows instead, for a message
        that ends in it ('; the cell shows the error #REF!'); '' when it is simply empty."""
        error = self.errors.get((row, column + 1))
        if error is None:
            return ""
        if error == UNSAVED:
            return "; the cell holds a formula with no saved value"
        return f"; the cell shows the error {error}"

    def where(self, row: int, column: int | None) -> str:
        """`FILE:SHEET!CELL`, or `FILE:ROW (column C)` for a CSV file (0-based `column`)."""
        if self.csv:
            return csv_where(self.label, row, None if column is None else column + 1)
        return where(self.label, self.title, row, (column or 0) + 1)

    def cell_name(self, row: int, column: int | None) -> str:
        """A cell as another message about this sheet names it: `Servere!B2`, or `row 2` in a CSV
        file."""
        if self.csv:
            return f"row {row}" + (
                f" (column {get_column_letter(column + 1)})" if column is not None else ""
            )
        return f"{self.title}!{cell_ref(row, (column or 0) + 1)}"


def load_grids(
    path: Path,
    label: str,
    limits: Limits,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> list[Grid]:
    """Every sheet of a workbook, or the one table of a CSV (or text) file."""
    if path.suffix.lower() in SUFFIXES or path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        if path.suffix.lower() in SUFFIXES or not _looks_like_text(path):
            book = open_workbook(path, label, limits)
            try:
                return [
                    Grid(
                        label,
                        title,
                        list(book.rows(title)),
                        book.formula_cells(title),
                        title in book.hidden_sheets,
                        errors=book.error_cells(title),
                    )
                    for title in book.sheetnames
                ]
            finally:
                book.close()
    sheet, rows = csvfile.csv_rows(path, label, limits, encoding=encoding, delimiter=delimiter)
    return [Grid(label, sheet, rows, csv=True)]


def _looks_like_text(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
    except OSError:
        return False
    return not head.startswith((bytes.fromhex("d0cf11e0"), b"PK\x03\x04"))


def find_header(grid: Grid, score: Callable[[str], bool], limit: int = HEADER_SEARCH) -> int | None:
    """The row number of the header: among the first rows, the one with the most cells that
    `score` recognises as headers; with none recognised, the first row of two or more text
    cells that the rows below fill. Title blocks (one merged cell), blank rows and notes above
    the table are passed over that way."""
    best: tuple[int, int] | None = None
    fallback: int | None = None
    for index, (number, cells) in enumerate(grid.rows[:limit]):
        texts = [str(cell) for cell in cells if isinstance(cell, str) and cell.strip()]
        if len(texts) < 2 and not (len(texts) == 1 and _only_cell(cells)):
            continue
        known = sum(1 for text in texts if score(text))
        if known and (best is None or known > best[0]):
            best = (known, number)
        if fallback is None and len(texts) >= 2 and _filled_below(grid, index, cells):
            fallback = number
    return best[1] if best else fallback


#: A cell of a units row under the header: 'GB', '(MB)', '[TB]', 'Mbit/s', 'timer', 'stk'.
_UNIT_CELL = re.compile(
    r"[(\[]?\s*(?:[kmgtp]i?b|[kmgt]bit(?:/s)?|[kmg]bps|timer|timmar|hours|h|min|stk|st|antal|"
    r"kr\.?|dkk|sek|%|[mg]hz)\s*[)\]]?",
    re.I,
)


def header_cells(grid: Grid, header_row: int) -> tuple[tuple[Any, ...], int]:
    """The header's cells, and the last row of the header: a row of units right below the header
    ('RAM' over 'MB') belongs to it, and its units join the headers ('RAM (MB)')."""
    header = next((cells for number, cells in grid.rows if number == header_row), ())
    below = next((cells for number, cells in grid.rows if number == header_row + 1), ())
    units = {index: str(cell).strip() for index, cell in enumerate(below) if not is_blank(cell)}
    if not units or not all(
        isinstance(below[index], str)
        and _UNIT_CELL.fullmatch(text)
        and index < len(header)
        and not is_blank(header[index])
        for index, text in units.items()
    ):
        return header, header_row
    joined = tuple(
        f"{str(cell).strip()} ({units[index].strip('()[] ')})" if index in units else cell
        for index, cell in enumerate(header)
    )
    return joined, header_row + 1


def _only_cell(cells: tuple[Any, ...]) -> bool:
    """A one-column table has a one-cell header; a title block also has one cell, so such a
    row counts only when it is recognised as a header."""
    return sum(1 for cell in cells if not is_blank(cell)) == 1


def _filled_below(grid: Grid, index: int, header: tuple[Any, ...]) -> bool:
    width = len([cell for cell in header if not is_blank(cell)])
    for _, cells in grid.rows[index + 1 : index + 4]:
        if sum(1 for cell in cells if not is_blank(cell)) >= max(2, width // 2):
            return True
    return False


def total_row(
    grid: Grid,
    number: int,
    cells: tuple[Any, ...],
    name_column: int | None,
    skip_names: tuple[str, ...] = (),
) -> str | None:
    """Why this row is a total row ('I alt', a `=SUM(…)` cell), or None when it is not."""
    for column, formula in grid.by_row.get(number, ()):
        if _TOTAL_FORMULA.match(formula):
            return f"={formula[:40]}"
    last = name_column if name_column is not None and name_column < 3 else 0
    for text in cells[: last + 1]:
        if not isinstance(text, str) or not text.strip():
            continue
        folded = fold(text).rstrip(":").strip()
        if folded in skip_names or _is_total_words(folded):
            return repr(text.strip())
    return None


_TOTAL_START = ("total ", "totalt ", "sum ", "summa ", "subtotal ", "i alt ", "samlet ")
_TOTAL_END = (" i alt", " total", " totalt", " summa", " sum", " samlet")


def is_total_name(text: str) -> bool:
    """Whether a row whose name cell reads `text` is taken for a total row ('I alt', 'Sum …'),
    which the readers skip with a warning (tests that generate names leave these out)."""
    return _is_total_words(fold(text).rstrip(":").strip())


def _is_total_words(folded: str) -> bool:
    """'I alt', 'Sum i alt', 'Servere i alt', 'Total RAM' — not 'Total-Backup' or 'Summit'."""
    folded = " ".join(folded.replace(":", " ").split())
    return folded in TOTAL_WORDS or folded.startswith(_TOTAL_START) or folded.endswith(_TOTAL_END)
