"""A municipality's own spreadsheet, read through a mapping file's `[[sheets]]`.

Each `[[sheets]]` entry names a sheet (or the CSV file), the kind its rows describe and what
its columns and values mean; headers the entry does not name are matched through the
template's Danish/Swedish/English aliases. The reader never guesses silently: total rows
are skipped with a warning naming the row, every column it does not read is named with
the fields it could map to, a column of numbers that could be read two ways is one error
with the `[format] decimal` fix, and rows naming the same item merge (lists united, a
differing single value follows `on_conflict`). Items merge into the municipality's
records like the tool imports (format name "spreadsheet").
"""

from __future__ import annotations

import difflib
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from inventories import values
from inventories.grid import Grid, find_header, header_cells, load_grids, total_row

# PlannerError and ImportFailed (exports.errors) come through inventories.mapping, which already
# imports them, so that this module adds no import of the planner layer (they are moving down).
from inventories.mapping import (
    DEPENDENCY_FIELDS,
    DEPENDENCY_WORDS,
    DependencyColumn,
    ImportFailed,
    Mapping,
    PlannerError,
    SheetMapping,
    check_target,
)
from inventories.identity import short_name
from inventories.records import DependencyRecord, Inventory, ItemRecord
from inventories.schema import SHEETS, Column, Kind, Sheet, normalise_header
from inventories.values import fold, show
from inventories.workbook import Limits

FORMAT = "spreadsheet"
_IP = re.compile(r"^\s*(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)\s*$", re.I)
_SCHEMA: dict[Kind | None, Sheet] = {
    sheet.kind: sheet for sheet in SHEETS if sheet.name != "Municipality"
}


def schema_of(kind: Kind | None) -> Sheet:
    """The template sheet whose columns (and aliases) a kind's headers are matched against."""
    return _SCHEMA[kind]


@dataclass
class Target:
    """What one column of the sheet feeds: a field, or a dependency list."""

    column: int  # 0-based
    header: str
    field: str | None = None
    dependency: DependencyColumn | None = None


#: Where a value came from: the sheet, its row and its (0-based) column.
Place = tuple[Grid, int, int]


@dataclass
class Merged:
    """One item being built from one or more rows."""

    kind: Kind
    name: str
    row: int
    fields: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, Place] = field(default_factory=dict)  # field -> the cell it came from
    entry: SheetMapping | None = None  # the [[sheets]] entry of its first row


class CellParser:
    """One column's cells parsed as its field, each distinct cell once.

    Columns repeat their values (operating systems, environments, "Ja"/"Nej", sizes), and
    parsing a Nordic number or a unit is dear; the outcome of a cell depends only on its
    value and the column, never on the row, so it is remembered (up to `LIMIT` distinct
    values, to keep a column of unique names from growing a second copy of itself).
    """

    LIMIT = 4096

    def __init__(self, spec: Column, reading: values.Reading, max_text: int) -> None:
        self.spec, self.reading, self.max_text = spec, reading, max_text
        self.seen: dict[tuple[type, Any], tuple[Any, tuple[str, ...], str | None]] = {}

    def __call__(self, raw: Any) -> tuple[Any, tuple[str, ...], str | None]:
        """(value, notes for warnings, problem for an error) of one non-blank cell."""
        key = (type(raw), raw)
        known = self.seen.get(key)
        if known is not None:
            return known
        notes: list[str] = []
        outcome: tuple[Any, tuple[str, ...], str | None]
        try:
            outcome = (
                values.parse(raw, self.spec, self.max_text, self.reading, notes),
                tuple(notes),
                None,
            )
        except values.BadValue as exc:
            outcome = (None, (), str(exc))
        if len(self.seen) < self.LIMIT:
            self.seen[key] = outcome
        return outcome


class SpreadsheetReader:
    """Collects problems and warnings while reading every `[[sheets]]` entry of one file."""

    def __init__(self, label: str, mapping: Mapping, limits: Limits) -> None:
        self.label = label
        self.mapping = mapping
        self.limits = limits
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.items: dict[tuple[Kind, str], Merged] = {}
        self.dependencies: dict[tuple[str, ...], DependencyRecord] = {}

    def error(self, grid: Grid, row: int, column: int | None, message: str) -> None:
        self.problems.append(f"{grid.where(row, column)}: {message}")

    def warn(self, grid: Grid, row: int, column: int | None, message: str) -> None:
        self.warnings.append(f"{grid.where(row, column)}: {message}")

    def read(self, grids: list[Grid]) -> None:
        used: set[str] = set()
        for entry in self.mapping.sheets:
            grid = self._grid(grids, entry)
            if grid is None:
                continue
            if grid.hidden and grid.title not in used:
                self.warn(grid, 1, 0, "the sheet is hidden; it was read all the same")
            used.add(grid.title)
            self._entry(grid, entry)
        for grid in grids:
            if grid.title not in used and any(cells for _, cells in grid.rows):
                hidden = "a hidden sheet, " if grid.hidden else ""
                self.warnings.append(
                    f"{grid.where(1, 0)}: sheet not read ({hidden}no [[sheets]] "
                    "entry names it); add one to import it"
                )

    def _grid(self, grids: list[Grid], entry: SheetMapping) -> Grid | None:
        """The sheet an entry names (by name, trimmed and case-insensitive, or 1-based number)."""
        if entry.sheet is None:
            if len(grids) == 1 or grids[0].csv:
                return grids[0]
            names = ", ".join(repr(g.title) for g in grids)
            self.problems.append(
                f"{self.mapping.path}: {entry.key(' sheet')}: missing; this file "
                f"has several sheets ({names}): name one"
            )
            return None
        if isinstance(entry.sheet, int):
            if entry.sheet <= len(grids):
                return grids[entry.sheet - 1]
        else:
            for grid in grids:
                if fold(grid.title) == fold(entry.sheet) or (grid.csv and len(grids) == 1):
                    return grid
        names = ", ".join(repr(g.title) for g in grids)
        self.problems.append(
            f"{self.mapping.path}: {entry.key(' sheet')}: no sheet {show(entry.sheet)} in "
            f"{self.label} (its sheets: {names})"
        )
        return None

    def _entry(self, grid: Grid, entry: SheetMapping) -> None:
        header_row = entry.header_row or find_header(grid, lambda text: self._known(entry, text))
        if header_row is None:
            self.warn(
                grid,
                1,
                0,
                f"no header row found; the sheet is empty or names no column ({entry.kind_name})",
            )
            return
        header, last_header_row = header_cells(grid, header_row)
        targets = self._targets(grid, entry, header_row, header)
        name = next((t for t in targets if t.field == "name"), None)
        if entry.kind is not None and name is None:
            self.error(
                grid,
                header_row,
                0,
                f"no column of this header row is the {entry.kind.value}'s name; map "
                f'it, e.g. [sheets.columns] "{_first_text(header)}" = "name"',
            )
            return
        if entry.kind is None:
            missing = [
                f
                for f in ("from_kind", "from_name", "to_kind", "to_name", "kind")
                if not any(t.field == f for t in targets)
            ]
            if missing:
                self.error(
                    grid,
                    header_row,
                    0,
                    f"a dependencies sheet needs the columns {', '.join(missing)}; "
                    "map them in [sheets.columns], or, for a list of pairs of systems, read the "
                    'sheet as kind = "applications" with "From" = "name" and "To" = '
                    '{ dependency = "uses", to_kind = "application" }',
                )
                return
        rows = self._data_rows(grid, entry, last_header_row, name)
        readings = self._readings(grid, entry, header_row, targets, rows)
        for number, cells in rows:
            self._row(grid, entry, targets, readings, number, cells)

    def _known(self, entry: SheetMapping, text: str) -> bool:
        folded = fold(text)
        return (
            folded in entry.columns
            or schema_of(entry.kind).column(text) is not None
            or any(fold(header) == folded for header in self.mapping)
        )

    def _targets(
        self, grid: Grid, entry: SheetMapping, header_row: int, header: tuple[Any, ...]
    ) -> list[Target]:
        """Which field each header cell feeds; warnings for the columns nothing reads."""
        targets: list[Target] = []
        taken: dict[str, int] = {}
        found: set[str] = set()
        for index, cell in enumerate(header):
            if values.is_blank(cell):
                continue
            text = str(cell).strip()
            target = self._target(entry, text)
            found.add(fold(text))
            if target is None:
                self.warn(grid, header_row, index, unread_column(text, entry.kind))
                continue
            if isinstance(target, DependencyColumn):
                targets.append(Target(index, text, dependency=target))
                continue
            if not target:
                continue  # mapped to "": ignored on purpose
            if target in taken and entry.fields[target].type not in (
                "list",
                "cidr",
            ):  # lists unite their columns
                self._repeated(
                    grid,
                    entry,
                    (header_row, index, text),
                    target,
                    (taken[target], header[taken[target]]),
                )
                continue
            taken.setdefault(target, index)
            targets.append(Target(index, text, field=target))
        for folded, written in entry.headers.items():
            if folded not in found:
                self.warnings.append(
                    f"{self.mapping.path}: {entry.key(f'.columns {show(written)}')}: no such "
                    f"column in the header row ({grid.cell_name(header_row, None)})"
                )
        return targets

    def _repeated(
        self,
        grid: Grid,
        entry: SheetMapping,
        cell: tuple[int, int, str],
        target: str,
        first: tuple[int, Any],
    ) -> None:
        """A second column for a field of one value: the same header twice is read from its first
        column (a warning); two headers meaning one field is an error with the fix."""
        header_row, index, text = cell
        letter = get_column_letter(first[0] + 1)
        if fold(text) == fold(first[1]):
            self.warn(
                grid,
                header_row,
                index,
                f"column {show(text)} repeats the header of column {letter}, which "
                f"is read as {target}; this column is not imported",
            )
            return
        self.error(
            grid,
            header_row,
            index,
            f"column {show(text)} and column {letter} ({show(first[1])}) both "
            f'mean {target}; map the one not to read to "" in {entry.key(".columns")}, e.g. '
            f'{values.toml_string(text)} = ""',
        )

    def _target(self, entry: SheetMapping, text: str) -> str | DependencyColumn | None:
        folded = fold(text)
        if folded in entry.columns:
            return entry.columns[folded]
        for header, target in self.mapping.items():  # today's [columns], for any kind
            if fold(header) == folded and check_target(target) is None:
                kind_name, _, name = target.rpartition(".")
                if (
                    not kind_name or (entry.kind and kind_name.lower() == entry.kind.value)
                ) and name in entry.fields:
                    return name
        column = schema_of(entry.kind).column(text)
        return column.name if column is not None else None

    def _data_rows(
        self, grid: Grid, entry: SheetMapping, header_row: int, name: Target | None
    ) -> list[tuple[int, tuple[Any, ...]]]:
        """The rows below the header, without total rows, notes and headings (each a warning)."""
        filled = {number: _filled(cells) for number, cells in grid.rows if number > header_row}
        rows = [
            (number, cells)
            for number, cells in grid.rows
            if number > header_row and (filled[number] or number in grid.error_rows)
        ]
        wide = [filled[number] for number, _ in rows if filled[number] > 1]
        typical = statistics.median_low(wide) if wide else 0
        last_wide = max((number for number, _ in rows if filled[number] > 1), default=0)
        singles = sum(1 for number, _ in rows if filled[number] == 1)
        kept: list[tuple[int, tuple[Any, ...]]] = []
        previous = header_row
        for number, cells in rows:
            column = name.column if name else 0
            gap, previous = number > previous + 1, number
            reason = total_row(grid, number, cells, name.column if name else None, entry.skip_names)
            alone = (
                name is not None
                and typical >= 3
                and filled[number] == 1
                and _cell(cells, column) is not None
                and number not in grid.error_rows
            )
            if reason:
                self.warn(grid, number, column, f"row {number} skipped: a total row ({reason})")
            elif alone and (
                (number > last_wide and (gap or _note(cells[column])))
                or (entry.kind == Kind.SERVER and _heading(cells[column]))
            ):
                where = "a note below the table" if number > last_wide else "a heading"
                self.warn(
                    grid,
                    number,
                    column,
                    f"row {number} skipped: only {show(cells[column])} in it, {where} (most rows "
                    f"fill {typical} cells or more); if it is a "
                    f"{entry.kind.value if entry.kind else 'item'}, fill in another of its cells",
                )
            else:
                if alone and singles * 4 < len(rows):
                    self.warn(
                        grid,
                        number,
                        column,
                        f"only {show(cells[column])} in row {number} (most rows fill "
                        f"{typical} cells or more): read as an item; if it is a heading, add it to "
                        f"skip_names in {entry.key()}",
                    )
                kept.append((number, cells))
        return kept

    def _readings(
        self,
        grid: Grid,
        entry: SheetMapping,
        header_row: int,
        targets: list[Target],
        rows: list[tuple[int, tuple[Any, ...]]],
    ) -> dict[int, CellParser | None]:
        """Per column: its decimal mark (from all its cells), date order, header unit, value map.
        None for a column whose numbers are ambiguous (one error, at its header)."""
        options = self.mapping.options
        readings: dict[int, CellParser | None] = {}
        for target in targets:
            if target.field is None:
                continue
            spec = entry.fields[target.field]
            value_map = (
                entry.values.get(target.field) or entry.values.get(fold(target.header)) or {}
            )
            decimal = options.decimal
            if spec.type in ("int", "float") and decimal is None:
                index, by_map = target.column, values.Reading(values=value_map)
                texts = dict.fromkeys(
                    c[index] for _, c in rows if index < len(c) and isinstance(c[index], str)
                )
                decimal, problem = values.decide_decimal(
                    [values.mapped(text, by_map) for text in texts]
                )
                if problem:
                    self.error(
                        grid, header_row, target.column, f"column {show(target.header)}: {problem}"
                    )
                    readings[target.column] = None
                    continue
            reading = values.Reading(
                decimal, options.date_order, _unit(target.header, spec), value_map
            )
            readings[target.column] = CellParser(spec, reading, self.limits.max_text)
        return readings

    def _row(
        self,
        grid: Grid,
        entry: SheetMapping,
        targets: list[Target],
        readings: dict[int, CellParser | None],
        number: int,
        cells: tuple[Any, ...],
    ) -> None:
        fields: dict[str, Any] = {}
        places: dict[str, Place] = {}
        dependencies: list[tuple[Target, list[str]]] = []
        broken = False
        unnamed: tuple[int, str] | None = None  # a name cell showing an error: said once, below
        for target in targets:
            raw = _cell(cells, target.column)
            if raw is None:
                reason = (
                    grid.unread(number, target.column, target.field or target.header)
                    if number in grid.error_rows
                    else None
                )
                if reason and target.field == "name" and entry.kind is not None:
                    unnamed = unnamed or (target.column, reason)
                elif reason:
                    self.warn(grid, number, target.column, reason)
                continue
            if target.dependency is not None:
                dependencies.append((target, values.split_list(raw)))
                continue
            assert target.field is not None
            parser = readings.get(target.column)
            if parser is None:
                broken = True
                continue
            value, notes, problem = parser(raw)
            if problem is not None:
                self.error(grid, number, target.column, problem)
                broken = True
                continue
            for note in notes:
                self.warn(grid, number, target.column, note)
            if value is not None and target.field in fields:  # a second column of a list field
                fields[target.field] = ", ".join(
                    values.split_list(f"{fields[target.field]}, {value}")
                )
            elif value is not None:
                fields[target.field] = value
                places[target.field] = (grid, number, target.column)
        if entry.kind is None:
            if not broken:
                self._dependency_row(grid, number, fields)
            return
        name = fields.pop("name", None)
        if unnamed and (broken or name):  # not skipped for its name: the cell is said alone
            self.warn(grid, number, *unnamed)
        if broken:
            return
        if not name:
            self._skip_unnamed(grid, entry, targets, number, unnamed)
            return
        self._merge(grid, entry, number, name, fields, places)
        for target, names in dependencies:
            assert target.dependency is not None
            for other in names:
                record = DependencyRecord(
                    entry.kind.value,
                    name,
                    target.dependency.to_kind.value,
                    other,
                    target.dependency.kind,
                    target.dependency.strength,
                    row=number,
                )
                self.dependencies.setdefault(record.key(), record)

    def _skip_unnamed(
        self,
        grid: Grid,
        entry: SheetMapping,
        targets: list[Target],
        number: int,
        unnamed: tuple[int, str] | None,
    ) -> None:
        """The one warning for a row skipped for want of a name, with what its name cell shows
        instead when that is an error value (`unnamed`: the cell's column and reason)."""
        assert entry.kind is not None
        column = (
            unnamed[0] if unnamed else next((t.column for t in targets if t.field == "name"), 0)
        )
        self.warn(
            grid,
            number,
            column,
            f"row {number} skipped: it has values but no {entry.kind.value} name"
            + grid.shown_instead(number, column),
        )

    def _merge(
        self,
        grid: Grid,
        entry: SheetMapping,
        number: int,
        name: str,
        fields: dict[str, Any],
        places: dict[str, Place],
    ) -> None:
        assert entry.kind is not None
        key = (entry.kind, name.casefold())
        item = self.items.get(key)
        if item is None:
            self.items[key] = Merged(entry.kind, name, number, fields, places, entry)
            return
        self._merge_into(entry, item, fields, places)

    def _merge_into(
        self, entry: SheetMapping, item: Merged, fields: dict[str, Any], places: dict[str, Place]
    ) -> None:
        """Another row's values for `item`: lists unite, a differing value follows on_conflict."""
        for field_name, value in fields.items():
            old = item.fields.get(field_name)
            if old is None:
                item.fields[field_name], item.cells[field_name] = value, places[field_name]
            elif entry.fields[field_name].type in ("list", "cidr"):
                item.fields[field_name] = ", ".join(values.split_list(f"{old}, {value}"))
            elif not _same(old, value):
                self._conflict(entry, item, field_name, value, places[field_name])

    def _conflict(
        self, entry: SheetMapping, item: Merged, field_name: str, value: Any, place: Place
    ) -> None:
        if entry.on_conflict == "last":
            item.fields[field_name], item.cells[field_name] = value, place
        elif entry.on_conflict == "error":
            grid, row, column = place
            first, first_row, first_column = item.cells[field_name]
            self.problems.append(
                f"{grid.where(row, column)}: {item.kind.value} {show(item.name)} has {field_name} "
                f"{show(value)} here but {show(item.fields[field_name])} in "
                f"{first.cell_name(first_row, first_column)}; correct one, or set on_conflict = "
                f'"first" or "last" in {entry.key()}'
            )

    def _dependency_row(self, grid: Grid, number: int, fields: dict[str, Any]) -> None:
        record = DependencyRecord(
            from_kind=fields.get("from_kind", ""),
            from_name=fields.get("from_name", ""),
            to_kind=fields.get("to_kind", ""),
            to_name=fields.get("to_name", ""),
            kind=fields.get("kind", ""),
            strength=fields.get("strength") or "hard",
            to_municipality=fields.get("to_municipality"),
            note=fields.get("note"),
            row=number,
        )
        missing = [
            name
            for name in ("from_kind", "from_name", "to_kind", "to_name", "kind")
            if not fields.get(name)
        ]
        if missing:
            self.warn(grid, number, 0, f"row {number} skipped: no {', '.join(missing)}")
            return
        self.dependencies.setdefault(record.key(), record)

    def fqdn_copies(self) -> None:
        """A server listed by its name and again by its FQDN (NB-SQL01, nb-sql01.nordby.local) is
        one server, as an import that merges matches it: the FQDN row merges into the name's, with a
        warning. Two FQDNs in different domains stay two servers."""
        copies: dict[str, list[Merged]] = {}
        for item in self.items.values():
            if item.kind == Kind.SERVER and "." in item.name and not _IP.match(item.name):
                copies.setdefault(short_name(item.name), []).append(item)
        for short, group in copies.items():
            plain = [self.items.get((Kind.SERVER, short))]
            if plain[0] is None or len(group) != 1:
                continue  # no short name, or FQDNs in several domains: which one is it?
            for copy in group:
                assert copy.entry is not None
                grid, row, column = copy.cells.get("name", (None, copy.row, 0))
                message = (
                    f"server {show(copy.name)} is read as the server {show(plain[0].name)} "
                    f"of row {plain[0].row}: the same name with its domain"
                )
                if grid is not None:
                    self.warn(grid, row, column, message)
                self._merge_into(
                    copy.entry,
                    plain[0],
                    {k: v for k, v in copy.fields.items()},
                    {k: v for k, v in copy.cells.items() if k != "name"},
                )
                del self.items[(Kind.SERVER, copy.name.casefold())]
                self._rename_server(copy.name, plain[0].name)

    def _rename_server(self, old: str, new: str) -> None:
        """Dependencies that name a server by the FQDN merged into its short name."""
        renamed: dict[tuple[str, ...], DependencyRecord] = {}
        for record in self.dependencies.values():
            if (
                record.from_kind == Kind.SERVER.value
                and record.from_name.casefold() == old.casefold()
            ):
                record.from_name = new
            if (
                record.to_kind == Kind.SERVER.value
                and not record.to_municipality
                and record.to_name.casefold() == old.casefold()
            ):
                record.to_name = new
            renamed.setdefault(record.key(), record)
        self.dependencies = renamed

    def inventory(self, municipality: str) -> Inventory:
        self.fqdn_copies()
        if self.problems:
            raise ImportFailed(self.problems)
        inventory = Inventory(
            municipality=municipality, source=self.label, mode="merge", format=FORMAT
        )
        inventory.items = [
            ItemRecord(item.kind, item.name, item.fields, item.row) for item in self.items.values()
        ]
        inventory.dependencies = list(self.dependencies.values())
        inventory.warnings = self.warnings
        return inventory


def read_spreadsheet(
    path: str | Path,
    *,
    municipality: str,
    mapping: Mapping,
    label: str | None = None,
    limits: Limits | None = None,
) -> Inventory:
    """Read a user's own spreadsheet (workbook or CSV) through its mapping; ImportFailed lists
    every problem."""
    path = Path(path)
    label = label or str(path)
    limits = limits or Limits.from_env()
    if not mapping.sheets:
        raise PlannerError(
            f"{label}: reading your own spreadsheet needs a mapping file with [[sheets]]; "
            f"write one with `planner mapping suggest {path.name} -o map.toml`"
        )
    grids = load_grids(path, label, limits, mapping.options.encoding, mapping.options.delimiter)
    reader = SpreadsheetReader(label, mapping, limits)
    reader.read(grids)
    return reader.inventory(municipality)


def unread_column(header: str, kind: Kind | None) -> str:
    """The warning for a column nothing reads: the fields it could be mapped to, and how."""
    folded = normalise_header(header)
    if any(word in fold(header) for word in DEPENDENCY_WORDS):
        to = "application"
        return (
            f"column {show(header)} is not imported, and it looks like dependencies; map it, e.g. "
            f'[sheets.columns] {values.toml_string(header)} = {{ dependency = "uses", to_kind = '
            f'"{to}" }}'
        )
    fields = candidates(folded, kind)
    if fields:
        return (
            f"column {show(header)} is not imported; it could be mapped to "
            f"{' or '.join(fields)}, e.g. "
            f'[sheets.columns] {values.toml_string(header)} = "{fields[0]}" (or "" to silence this)'
        )
    known = ", ".join(column.name for column in schema_of(kind).columns)
    return (
        f"column {show(header)} is not imported; map it in [sheets.columns] to one of {known} "
        '(or "" to silence this)'
    )


def candidates(folded: str, kind: Kind | None) -> list[str]:
    """Fields whose names or aliases are close to a folded header (at most three)."""
    sheet = schema_of(kind)
    aliases = {key: column.name for key, column in sheet.lookup.items()}
    close = difflib.get_close_matches(folded, list(aliases), n=6, cutoff=0.7)
    inside = [key for key in aliases if len(key) >= 3 and key in folded]
    result: list[str] = []
    for key in close + sorted(inside, key=len, reverse=True):
        if aliases[key] not in result:
            result.append(aliases[key])
    return result[:3]


def _unit(header: str, spec: Column) -> str | None:
    """The unit in a header's parentheses or after its name ('RAM (MB)', 'Disk TB'), if the field
    takes units."""
    units = values.units_of(spec)
    if not units:
        return None
    text = header.strip().casefold()
    inside = text[text.find("(") + 1 : text.find(")")] if "(" in text and ")" in text else ""
    for word in [
        inside.strip(),
        *text.replace("(", " ").replace(")", " ").replace("[", " ").replace("]", " ").split()[1:],
    ]:
        if (
            word.replace(" ", "") in units
            and len(word) > 1
            and not (spec.name.endswith("_gb") and word == "gb")
        ):
            return word
    return None


def _note(text: Any) -> bool:
    """A sentence rather than a name: 'Kilde: vCenter, marts 2026', 'Opdateret af IT.'"""
    written = str(text).strip()
    return (
        ":" in written
        or written.endswith(".")
        or written.startswith(("*", "("))
        or len(written.split()) >= 4
    )


def _heading(text: Any) -> bool:
    """A heading over a group of servers ('Rådhuset', 'Virtuelle servere'): server names are one
    word and nearly always hold a digit (SRV-LØN-01)."""
    words = str(text).split()
    return len(words) > 1 or not any(char.isdigit() for char in str(text))


def _cell(cells: tuple[Any, ...], column: int) -> Any:
    """The cell's value, None when blank (called for every cell: kept to plain comparisons)."""
    value = cells[column] if column < len(cells) else None
    return None if value.__class__ is str and not value.strip() else value


def _filled(cells: tuple[Any, ...]) -> int:
    """How many cells of a row hold something."""
    return sum(
        1 for cell in cells if cell is not None and (cell.__class__ is not str or cell.strip())
    )


def _first_text(header: tuple[Any, ...]) -> str:
    return next(
        (str(cell).strip() for cell in header if isinstance(cell, str) and cell.strip()), "Navn"
    )


def _same(old: Any, new: Any) -> bool:
    if (
        isinstance(old, (int, float))
        and isinstance(new, (int, float))
        and not isinstance(old, bool)
    ):
        return abs(float(old) - float(new)) < 1e-9 * max(1.0, abs(float(old)))
    if isinstance(old, str) and isinstance(new, str):
        return old.strip().casefold() == new.strip().casefold()
    return bool(old == new)


__all__ = ["DEPENDENCY_FIELDS", "FORMAT", "read_spreadsheet", "unread_column", "candidates"]
