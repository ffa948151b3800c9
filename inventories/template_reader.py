"""Reading a filled-in inventory template into a validated `Inventory`.

Every problem is collected, not just the first, each as `FILE:SHEET!CELL: message`;
the caller writes nothing unless the list is empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inventories import values
from inventories.grid import Grid, find_header, total_row
from inventories.identity import item_key
from inventories.records import DependencyRecord, Inventory, ItemRecord, slash_problem
from inventories.schema import SHEETS, Kind, Sheet, normalise_header, sheet_for
from inventories.workbook import UNSAVED, Limits, Workbook, open_workbook, where
from exports.errors import ImportFailed

IGNORED_SHEETS = {"instructions", "vejledning", "instruktioner", "lists", "lister", "listor"}


@dataclass
class ParsedSheet:
    """Rows of one sheet as {column name: value}, with where each value came from."""

    sheet: Sheet
    title: str
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)  # column name -> column number


class Reader:
    """Collects problems while turning workbook sheets into records."""

    def __init__(self, workbook: Workbook) -> None:
        self.book = workbook
        self.problems: list[str] = []
        self.unresolved: list[tuple[str, str, str]] = []
        self.warnings: list[str] = []

    def error(self, title: str, row: int, column: int, message: str) -> None:
        self.problems.append(f"{where(self.book.label, title, row, column)}: {message}")

    def missing(
        self, title: str, row: int, column: int, message: str, kind: Kind, name: str
    ) -> None:
        """A reference to an item this workbook does not hold: another source of the
        municipality may (an application list naming servers only RVTools lists), so the
        import decides once every source is known (`Inventory.unresolved`)."""
        self.unresolved.append(
            (f"{where(self.book.label, title, row, column)}: {message}", kind.value, name)
        )

    def warn(self, title: str, row: int, column: int, message: str) -> None:
        self.warnings.append(f"{where(self.book.label, title, row, column)}: {message}")

    def read_sheet(self, sheet: Sheet, title: str) -> ParsedSheet:
        parsed = ParsedSheet(sheet, title)
        grid = Grid(
            self.book.label,
            title,
            list(self.book.rows(title)),
            self.book.formula_cells(title),
            errors=self.book.error_cells(title),
        )
        first = next(
            (number for number, cells in grid.rows if any(not values.is_blank(c) for c in cells)),
            None,
        )
        header_row = find_header(grid, lambda text: sheet.column(text) is not None) or first
        if header_row is None:
            return parsed
        header = next(cells for number, cells in grid.rows if number == header_row)
        self._map_header(parsed, header, header_row)
        for cell in sorted(grid.formulas):
            if grid.errors.get(cell) != UNSAVED:  # no value at all: said where the cell is read
                self.warn(
                    title, cell[0], cell[1], "formula not evaluated; its cached value was used"
                )
        missing = [c.name for c in sheet.columns if c.required and c.name not in parsed.columns]
        for name in missing:
            self.error(
                title, header_row, 1, f"required column '{name}' is missing from the header row"
            )
        if missing:
            return parsed
        rows = [
            (n, cells)
            for n, cells in grid.rows
            if n > header_row
            and (n in grid.error_rows or any(not values.is_blank(c) for c in cells))
        ]
        rows = self._without_totals(grid, parsed, rows)
        readings = self._readings(parsed, header_row, rows)
        for number, cells in rows:
            record: dict[str, Any] = {}
            for name, index in parsed.columns.items():
                raw = cells[index - 1] if index - 1 < len(cells) else None
                if values.is_blank(raw):
                    reason = (
                        grid.unread(number, index - 1, name) if number in grid.error_rows else None
                    )
                    if reason:
                        self.warn(title, number, index, reason)
                    continue
                column = sheet.lookup[normalise_header(name)]
                reading = readings.get(name, values.STRICT)
                if reading is None:
                    record[name] = _INVALID
                    continue
                notes: list[str] = []
                try:
                    record[name] = values.parse(
                        raw, column, self.book.limits.max_text, reading, notes
                    )
                except values.BadValue as exc:
                    self.error(title, number, index, str(exc))
                    record[name] = _INVALID
                for note in notes:
                    self.warn(title, number, index, note)
            if not record:
                continue  # blank row
            for column in sheet.columns:
                if column.required and column.name not in record:
                    index = parsed.columns[column.name]
                    why = grid.shown_instead(number, index - 1)
                    self.error(title, number, index, f"{column.name} is required{why}")
                    record[column.name] = _INVALID
            parsed.rows.append((number, record))
        return parsed

    def _without_totals(
        self, grid: Grid, parsed: ParsedSheet, rows: list[tuple[int, tuple[Any, ...]]]
    ) -> list[tuple[int, tuple[Any, ...]]]:
        """Rows that are not total rows ('I alt', =SUM(…)); each total row is a warning."""
        name = parsed.columns.get("name")
        kept = []
        for number, cells in rows:
            reason = (
                total_row(grid, number, cells, name - 1 if name else None)
                if parsed.sheet.kind
                else None
            )
            if reason:
                self.warn(
                    parsed.title, number, name or 1, f"row {number} skipped: a total row ({reason})"
                )
            else:
                kept.append((number, cells))
        return kept

    def _readings(
        self, parsed: ParsedSheet, header_row: int, rows: list[tuple[int, tuple[Any, ...]]]
    ) -> dict[str, values.Reading | None]:
        """Per numeric column, its decimal mark decided from all its cells (None: ambiguous,
        one error)."""
        readings: dict[str, values.Reading | None] = {}
        for name, index in parsed.columns.items():
            column = parsed.sheet.lookup[normalise_header(name)]
            if column.type not in ("int", "float"):
                continue
            cells = [cells[index - 1] for _, cells in rows if index - 1 < len(cells)]
            decimal, problem = values.decide_decimal(cells)
            if problem:
                self.error(parsed.title, header_row, index, f"column {name!r}: {problem}")
                readings[name] = None
            elif decimal:
                readings[name] = values.Reading(decimal=decimal)
        return readings

    def _map_header(self, parsed: ParsedSheet, header: Iterable[Any], row: int) -> None:
        for index, cell in enumerate(header, start=1):
            if values.is_blank(cell):
                continue
            column = parsed.sheet.column(str(cell))
            if column is None:
                self.warn(parsed.title, row, index, f"unknown column {values.show(cell)} ignored")
            elif column.name in parsed.columns:
                first = parsed.columns[column.name]
                self.error(
                    parsed.title,
                    row,
                    index,
                    f"column {values.show(cell)} repeats '{column.name}' "
                    f"(already in column {_letter(first)})",
                )
            else:
                parsed.columns[column.name] = index


class _Invalid:
    """Marks a cell that failed validation, so later checks do not repeat the complaint."""

    def __repr__(self) -> str:
        return "<invalid>"


_INVALID = _Invalid()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def read_template(
    path: str | Path,
    *,
    label: str | None = None,
    municipality: str | None = None,
    limits: Limits | None = None,
    defer_references: bool = False,
) -> Inventory:
    """Validate a template workbook completely; raise ImportFailed listing every problem.

    With `defer_references`, references to items the workbook does not hold are left in
    `Inventory.unresolved` for the import to resolve against the municipality's other
    sources; without it (a workbook on its own) they are problems.
    """
    book = open_workbook(path, label, limits)
    try:
        inventory = _read(book, municipality)
    finally:
        book.close()
    if inventory.unresolved and not defer_references:
        raise ImportFailed([message for message, _, _ in inventory.unresolved])
    return inventory


def _read(book: Workbook, municipality: str | None) -> Inventory:
    reader = Reader(book)
    parsed: dict[str, ParsedSheet] = {}
    for title in book.sheetnames:
        sheet = sheet_for(title)
        if sheet is None:
            if normalise_header(title) not in IGNORED_SHEETS:
                reader.warn(
                    title, 1, 1, "unknown sheet ignored (not a sheet of the inventory template)"
                )
            continue
        if sheet.name in parsed:
            reader.error(
                title,
                1,
                1,
                f"a second '{sheet.name}' sheet (already read '{parsed[sheet.name].title}')",
            )
            continue
        if title in book.hidden_sheets:
            reader.warn(title, 1, 1, "the sheet is hidden; it was read all the same")
        parsed[sheet.name] = reader.read_sheet(sheet, title)

    if not any(p.sheet.kind is not None for p in parsed.values()):
        raise ImportFailed(
            [
                f"{book.label}: no sheet of the inventory template (Servers, "
                "Applications, Netværk, …) in this workbook; for your own spreadsheet "
                f"write a mapping with `planner mapping suggest {book.path.name} -o "
                "map.toml` and import with --mapping map.toml"
            ]
        )
    name, muni_fields = _municipality(reader, parsed.get("Municipality"), municipality)
    inventory = Inventory(
        municipality=name or "", source=book.label, municipality_fields=muni_fields
    )
    names: dict[Kind, dict[str, tuple[str, str]]] = {kind: {} for kind in Kind}
    for sheet in SHEETS:
        if sheet.kind is None or sheet.name not in parsed:
            continue
        _items(reader, parsed[sheet.name], inventory, names[sheet.kind])
    _check_references(reader, parsed, names)
    if "Dependencies" in parsed:
        _dependencies(reader, parsed["Dependencies"], inventory, names, name or "")
    inventory.warnings = reader.warnings
    if reader.problems:
        reader.problems.extend(message for message, _, _ in reader.unresolved)
    inventory.unresolved = reader.unresolved
    if reader.problems:
        raise ImportFailed(reader.problems)
    return inventory


def _municipality(
    reader: Reader, parsed: ParsedSheet | None, override: str | None
) -> tuple[str | None, dict[str, Any]]:
    if parsed is None or not parsed.rows:
        if override:
            return override, {}
        title = parsed.title if parsed else "Municipality"
        reader.error(
            title, 2, 1, "the Municipality sheet must name the municipality in its first row"
        )
        return None, {}
    if len(parsed.rows) > 1:
        reader.error(
            parsed.title,
            parsed.rows[1][0],
            1,
            "only one municipality per workbook; remove this row",
        )
    row, fields = parsed.rows[0]
    name = fields.pop("name", None)
    if override:
        name = override
    if name is _INVALID or not name:
        return None, {}
    if "/" in str(name) and not override:
        reader.error(
            parsed.title, row, parsed.columns.get("name", 1), slash_problem("name", str(name))
        )
        return None, {}
    return str(name), {k: v for k, v in fields.items() if v is not _INVALID}


def _items(
    reader: Reader, parsed: ParsedSheet, inventory: Inventory, seen: dict[str, tuple[str, str]]
) -> None:
    assert parsed.sheet.kind is not None
    name_column = parsed.columns.get("name", 1)  # absent only when the sheet had no usable header
    for row, fields in parsed.rows:
        name = fields.pop("name")
        if name is _INVALID:
            continue
        key = item_key(parsed.sheet.kind.value, name)
        if key in seen:
            first_row, first_name = seen[key]
            if first_name.casefold() == name.casefold():
                reader.error(
                    parsed.title,
                    row,
                    name_column,
                    f"name {values.show(name)} is already used on row {first_row}",
                )
            else:  # FQDN and short name, case, spaces: one item, two cells
                reader.error(
                    parsed.title,
                    row,
                    name_column,
                    f"name {values.show(name)} is the same item as {values.show(first_name)} "
                    f"in cell {_letter(name_column)}{first_row}",
                )
            continue
        seen[key] = (str(row), name)
        clean = {k: v for k, v in fields.items() if v is not _INVALID}
        inventory.items.append(ItemRecord(parsed.sheet.kind, name, clean, row))


#: Reference columns and the kind of item they name.
REFERENCES: dict[str, Kind] = {
    "network": Kind.NETWORK,
    "directory": Kind.DIRECTORY,
    "site": Kind.SITE,
    "servers": Kind.SERVER,
}


def _check_references(
    reader: Reader, parsed: dict[str, ParsedSheet], names: dict[Kind, dict[str, tuple[str, str]]]
) -> None:
    for sheet_name, sheet in parsed.items():
        if sheet.sheet.kind is None:
            continue
        for column_name, kind in REFERENCES.items():
            if column_name not in sheet.columns:
                continue
            for row, fields in sheet.rows:
                value = fields.get(column_name)
                if not value or value is _INVALID:
                    continue
                for ref in values.split_list(value) if column_name == "servers" else [value]:
                    if item_key(kind.value, ref) not in names[kind]:
                        reader.missing(
                            sheet.title,
                            row,
                            sheet.columns[column_name],
                            f"{column_name} {values.show(ref)} names no "
                            f"{kind.value} on the {_sheet_of(kind)} sheet",
                            kind,
                            ref,
                        )


def _sheet_of(kind: Kind) -> str:
    return next(s.name for s in SHEETS if s.kind == kind)


def _dependencies(
    reader: Reader,
    parsed: ParsedSheet,
    inventory: Inventory,
    names: dict[Kind, dict[str, tuple[str, str]]],
    municipality: str,
) -> None:
    cols = parsed.columns
    for row, fields in parsed.rows:
        if any(
            fields.get(c) is _INVALID
            for c in ("from_kind", "from_name", "to_kind", "to_name", "kind")
        ):
            continue
        from_kind, to_kind = Kind(fields["from_kind"]), Kind(fields["to_kind"])
        if item_key(from_kind.value, fields["from_name"]) not in names[from_kind]:
            reader.missing(
                parsed.title,
                row,
                cols["from_name"],
                f"from_name {values.show(fields['from_name'])} "
                f"names no {from_kind.value} in this workbook",
                from_kind,
                fields["from_name"],
            )
        raw = fields.get("to_municipality")
        other: str | None = None if raw is _INVALID else raw
        if other and "/" in other:
            reader.error(
                parsed.title, row, cols["to_municipality"], slash_problem("to_municipality", other)
            )
            continue
        same = not other or other.casefold() == municipality.casefold()
        if same and item_key(to_kind.value, fields["to_name"]) not in names[to_kind]:
            reader.missing(
                parsed.title,
                row,
                cols["to_name"],
                f"to_name {values.show(fields['to_name'])} "
                f"names no {to_kind.value} in this workbook",
                to_kind,
                fields["to_name"],
            )
        if fields.get("strength") is _INVALID or fields.get("note") is _INVALID:
            continue
        inventory.dependencies.append(
            DependencyRecord(
                from_kind=from_kind.value,
                from_name=fields["from_name"],
                to_kind=to_kind.value,
                to_name=fields["to_name"],
                kind=fields["kind"],
                strength=fields.get("strength") or "hard",
                to_municipality=None if same else other,
                note=fields.get("note"),
                row=row,
            )
        )
