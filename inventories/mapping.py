"""Mapping files: what a municipality's own columns, sheets and values mean.

`--mapping map.toml` has up to three parts (docs/file-formats.md, "Your own spreadsheets"):

    [format]                       # optional: how a CSV file and its numbers are written
    encoding = "cp1252"
    [[sheets]]                     # one entry per sheet and kind: read through `spreadsheet`
    sheet = "Serveroversigt"
    kind = "servers"
    [sheets.columns]
    "Servernavn" = "name"
    [columns]                      # today's form: custom columns of tool exports
    AppOwner = "owner"             # a custom attribute in RVTools -> the server's owner
    Systemejer = "application.owner"

`load_mapping` validates all of it and names the key of any mistake.
"""

from __future__ import annotations

import codecs
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inventories.csvfile import FIELDS, Collector, Table
from inventories.records import Inventory
from inventories.schema import DEPENDENCY_KINDS, SHEETS, STRENGTHS, Column, Kind, normalise_header
from inventories.values import fold, show
from inventories.workbook import Limits
from exports.errors import ImportFailed, PlannerError

#: `kind = …` in [[sheets]]: the plural the contract uses, and the singular kinds.
SHEET_KINDS: dict[str, Kind | None] = {
    "sites": Kind.SITE,
    "networks": Kind.NETWORK,
    "directories": Kind.DIRECTORY,
    "servers": Kind.SERVER,
    "applications": Kind.APPLICATION,
    "workplaces": Kind.WORKPLACE,
    "dependencies": None,
    **{kind.value: kind for kind in Kind},
    "dependency": None,
}
#: The Dependencies sheet's columns (from_kind, from_name, to_kind, to_name, …).
DEPENDENCY_FIELDS: dict[str, Column] = {
    c.name: c for c in next(s for s in SHEETS if s.name == "Dependencies").columns
}
FORMAT_KEYS = ("encoding", "delimiter", "decimal", "date_order")
SHEET_KEYS = ("sheet", "kind", "header_row", "skip_names", "on_conflict", "columns", "values")
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|"}


@dataclass(frozen=True)
class DependencyColumn:
    """A column listing other items this row's item depends on:
    `{ dependency = "uses", to_kind = … }`."""

    kind: str
    to_kind: Kind
    strength: str = "hard"


@dataclass
class SheetMapping:
    """One `[[sheets]]` entry: which sheet, as which kind, and what its columns and values mean."""

    number: int  # 1-based position in the file, for messages
    sheet: str | int | None
    kind: Kind | None  # None: a dependencies sheet
    kind_name: str
    header_row: int | None = None
    skip_names: tuple[str, ...] = ()
    on_conflict: str = "error"
    # folded header -> its target, and -> the header as written in the mapping
    columns: dict[str, str | DependencyColumn] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field or folded header -> map

    @property
    def fields(self) -> dict[str, Column]:
        return FIELDS[self.kind] if self.kind is not None else DEPENDENCY_FIELDS

    def key(self, rest: str = "") -> str:
        """`[[sheets]] 2 (Servere)` + rest: how messages name this entry's keys."""
        named = f" ({self.sheet})" if self.sheet is not None else ""
        return f"[[sheets]] {self.number}{named}{rest}"


@dataclass
class FormatOptions:
    """`[format]`: each option is detected when left out."""

    encoding: str | None = None
    delimiter: str | None = None
    decimal: str | None = None
    date_order: str = "dmy"


class Mapping(dict[str, str]):
    """A loaded mapping file: the `[columns]` entries (a dict, as before) plus `[format]` and
    `[[sheets]]`."""

    def __init__(
        self,
        columns: dict[str, str],
        path: str = "",
        sheets: list[SheetMapping] | None = None,
        options: FormatOptions | None = None,
    ) -> None:
        super().__init__(columns)
        self.path = path
        self.sheets = sheets or []
        self.options = options or FormatOptions()


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping file; every mistake is one line naming its key."""
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise PlannerError(f"{label}: no such mapping file")
    if path.stat().st_size > 1 << 20:
        raise PlannerError(
            f"{label}: the mapping file is larger than 1 MB; it holds headers and values, not data"
        )
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PlannerError(f"{label}: the mapping file must be UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise PlannerError(f"{label}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"columns", "format", "sheets"})
    if unknown:
        raise PlannerError(
            f"{label}: unknown table or key {', '.join(unknown)}; only [columns], "
            "[format] and [[sheets]] are read"
        )
    if not data.get("columns") and not data.get("sheets"):
        raise PlannerError(
            f"{label}: no [columns] table and no [[sheets]]; write e.g. [columns] "
            'then AppOwner = "owner", or run `planner mapping suggest FILE -o '
            "map.toml`"
        )
    problems: list[str] = []
    columns = _columns(label, data.get("columns", {}), problems)
    options = _format(label, data.get("format", {}), problems)
    sheets = _sheets(label, data.get("sheets", []), problems)
    if problems:
        raise ImportFailed(problems)
    return Mapping(columns, label, sheets, options)


def _columns(label: str, columns: Any, problems: list[str]) -> dict[str, str]:
    if not isinstance(columns, dict):
        problems.append(f'{label}: columns must be a table: [columns] then AppOwner = "owner"')
        return {}
    mapping: dict[str, str] = {}
    for header, target in columns.items():
        if not isinstance(target, str):
            problems.append(
                f"{label}: [columns] {header}: the field must be a string such as "
                f'"owner", got {show(target)}'
            )
            continue
        message = check_target(target.strip())
        if message:
            problems.append(f"{label}: [columns] {header} = {show(target)}: {message}")
            continue
        if not normalise_header(header):
            problems.append(f"{label}: [columns] {show(header)}: the column name is empty")
            continue
        mapping[header] = target.strip()
    return mapping


def _format(label: str, table: Any, problems: list[str]) -> FormatOptions:
    options = FormatOptions()
    if not isinstance(table, dict):
        problems.append(f'{label}: format must be a table: [format] then decimal = ","')
        return options
    for key, value in table.items():
        where = f"{label}: [format] {key}"
        if key not in FORMAT_KEYS:
            problems.append(f"{where}: unknown key; use {', '.join(FORMAT_KEYS)}")
        elif not isinstance(value, str):
            problems.append(f"{where}: must be a string, got {show(value)}")
        elif key == "encoding":
            try:
                options.encoding = codecs.lookup(value).name
            except LookupError:
                problems.append(
                    f'{where}: unknown encoding {show(value)}; use e.g. "utf-8", '
                    '"utf-8-sig", "utf-16" or "cp1252"'
                )
        elif key == "delimiter":
            if value not in DELIMITERS:
                problems.append(f'{where}: must be ",", ";", "\\t" (tab) or "|", got {show(value)}')
            options.delimiter = DELIMITERS.get(value)
        elif key == "decimal":
            if value not in (",", "."):
                problems.append(f'{where}: must be "," or ".", got {show(value)}')
            options.decimal = value if value in (",", ".") else None
        elif value not in ("dmy", "ymd"):
            problems.append(
                f'{where}: must be "dmy" (03-11-2026) or "ymd" (2026.11.03), got {show(value)}'
            )
        else:
            options.date_order = value
    return options


def _sheets(label: str, entries: Any, problems: list[str]) -> list[SheetMapping]:
    if not isinstance(entries, list):
        problems.append(
            f"{label}: sheets must be an array of tables: write [[sheets]], not [sheets]"
        )
        return []
    result: list[SheetMapping] = []
    seen: set[tuple[str, str]] = set()
    for number, entry in enumerate(entries, start=1):
        sheet = _sheet(label, number, entry, problems)
        if sheet is None:
            continue
        identity = (str(sheet.sheet).casefold(), sheet.kind_name)
        if identity in seen:
            problems.append(
                f"{label}: {sheet.key()}: the same sheet and kind as an earlier entry; "
                "put all its columns in one entry"
            )
        seen.add(identity)
        result.append(sheet)
    return result


def _sheet(label: str, number: int, entry: Any, problems: list[str]) -> SheetMapping | None:
    if not isinstance(entry, dict):
        problems.append(f"{label}: [[sheets]] {number}: must be a table of keys")
        return None
    sheet_name = entry.get("sheet")
    named = sheet_name if isinstance(sheet_name, (str, int)) else None
    probe = SheetMapping(number, named, None, "")
    prefix = f"{label}: "
    for key in entry:
        if key not in SHEET_KEYS:
            problems.append(
                f"{prefix}{probe.key(f' {key}')}: unknown key; use {', '.join(SHEET_KEYS)}"
            )
    named_well = isinstance(sheet_name, str) and bool(sheet_name.strip())
    numbered_well = (
        isinstance(sheet_name, int) and not isinstance(sheet_name, bool) and sheet_name >= 1
    )
    if sheet_name is not None and not named_well and not numbered_well:
        problems.append(
            f"{prefix}{probe.key(' sheet')}: "
            f"must be a sheet name or a 1-based number, got {show(sheet_name)}"
        )
    kind_name = entry.get("kind")
    if not isinstance(kind_name, str) or kind_name.strip().lower() not in SHEET_KINDS:
        problems.append(
            f"{prefix}{probe.key(' kind')}: "
            + ("missing; " if kind_name is None else f"unknown kind {show(kind_name)}; ")
            + "use sites, networks, directories, servers, applications, workplaces or dependencies"
        )
        return None
    probe.kind_name = kind_name.strip().lower()
    probe.kind = SHEET_KINDS[probe.kind_name]
    _sheet_options(prefix, probe, entry, problems)
    _sheet_columns(prefix, probe, entry.get("columns", {}), problems)
    _sheet_values(prefix, probe, entry.get("values", {}), problems)
    return probe


def _sheet_options(
    prefix: str, sheet: SheetMapping, entry: dict[str, Any], problems: list[str]
) -> None:
    header_row = entry.get("header_row")
    if header_row is not None:
        if isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 1:
            problems.append(
                f"{prefix}{sheet.key(' header_row')}: must be a row number "
                f"(1 or more), got {show(header_row)}"
            )
        else:
            sheet.header_row = header_row
    skip = entry.get("skip_names", [])
    if not isinstance(skip, list) or not all(isinstance(name, str) for name in skip):
        problems.append(
            f'{prefix}{sheet.key(" skip_names")}: must be a list of texts, e.g. ["Sum i alt"]'
        )
    else:
        sheet.skip_names = tuple(fold(name) for name in skip if name.strip())
    conflict = entry.get("on_conflict", "error")
    if conflict not in ("error", "first", "last"):
        problems.append(
            f'{prefix}{sheet.key(" on_conflict")}: must be "error", "first" or "last", '
            f"got {show(conflict)}"
        )
    else:
        sheet.on_conflict = conflict


def _sheet_columns(prefix: str, sheet: SheetMapping, columns: Any, problems: list[str]) -> None:
    if not isinstance(columns, dict):
        problems.append(
            f'{prefix}{sheet.key(".columns")}: must be a table: "Header in the file" = "field"'
        )
        return
    for header, target in columns.items():
        key = sheet.key(f".columns {show(header)}")
        folded = fold(header)
        if not folded:
            problems.append(f"{prefix}{key}: the column name is empty")
            continue
        if isinstance(target, dict):
            dependency = _dependency_column(prefix + key, sheet, target, problems)
            if dependency is not None:
                sheet.columns[folded], sheet.headers[folded] = dependency, header
            continue
        if not isinstance(target, str):
            problems.append(
                f'{prefix}{key}: must be a field such as "name", or '
                '{ dependency = "uses", to_kind = "application" }, got ' + show(target)
            )
            continue
        name = target.strip()
        if name and name not in sheet.fields:
            problems.append(
                f"{prefix}{key} = {show(target)}: unknown field for {sheet.kind_name}; "
                f'use one of {", ".join(sheet.fields)} (or "" to ignore the column)'
            )
            continue
        sheet.columns[folded], sheet.headers[folded] = name, header


def _dependency_column(
    where: str, sheet: SheetMapping, target: dict[str, Any], problems: list[str]
) -> DependencyColumn | None:
    unknown = sorted(set(target) - {"dependency", "to_kind", "strength"})
    if unknown:
        problems.append(
            f"{where}: unknown key {', '.join(unknown)}; use dependency, to_kind and strength"
        )
        return None
    kind, to_kind = target.get("dependency"), target.get("to_kind")
    strength = target.get("strength", "hard")
    if sheet.kind is None:
        problems.append(
            f'{where}: a dependency column needs a sheet of items, not kind = "dependencies"'
        )
        return None
    if kind not in DEPENDENCY_KINDS:
        problems.append(
            f"{where}: dependency must be one of {', '.join(DEPENDENCY_KINDS)}, got {show(kind)}"
        )
        return None
    if not isinstance(to_kind, str) or SHEET_KINDS.get(to_kind.strip().lower()) is None:
        problems.append(
            f"{where}: to_kind must be one of {', '.join(k.value for k in Kind)}, "
            f"got {show(to_kind)}"
        )
        return None
    if strength not in STRENGTHS:
        problems.append(f"{where}: strength must be hard or soft, got {show(strength)}")
        return None
    target_kind = SHEET_KINDS[to_kind.strip().lower()]
    assert target_kind is not None
    return DependencyColumn(kind, target_kind, strength)


def _sheet_values(prefix: str, sheet: SheetMapping, values: Any, problems: list[str]) -> None:
    if not isinstance(values, dict):
        problems.append(
            f"{prefix}{sheet.key('.values')}: must be tables such as [sheets.values.criticality]"
        )
        return
    for name, table in values.items():
        key = sheet.key(f".values.{name}")
        column = sheet.fields.get(name)
        if column is None:
            target = sheet.columns.get(fold(name))
            column = sheet.fields.get(target) if isinstance(target, str) else None
        if column is None:
            problems.append(
                f"{prefix}{key}: names no field of {sheet.kind_name} and no column "
                "mapped in [sheets.columns]; "
                f"use a field such as {_example_enum(sheet)}"
            )
            continue
        if not isinstance(table, dict):
            problems.append(f'{prefix}{key}: must be a table: "text in the file" = "value"')
            continue
        folded: dict[str, str] = {}
        for text, value in table.items():
            if not isinstance(value, str):
                problems.append(
                    f"{prefix}{key} {show(text)}: the value must be a text, got {show(value)}"
                )
                continue
            choices = column.choices or (("yes", "no") if column.type == "yesno" else ())
            if value and choices and value not in choices:
                problems.append(
                    f"{prefix}{key} {show(text)} = {show(value)}: not one of "
                    f'{", ".join(choices)} (or "" to leave the value blank)'
                )
                continue
            folded[fold(text)] = value
        sheet.values[name if name in sheet.fields else fold(name)] = folded


def _example_enum(sheet: SheetMapping) -> str:
    enums = [name for name, column in sheet.fields.items() if column.type in ("enum", "yesno")]
    return ", ".join(enums) or "name"


def check_target(target: str) -> str | None:
    """Why `target` (`field` or `kind.field` in [columns]) is not a mappable field (None when
    it is)."""
    kind_name, _, name = target.rpartition(".")
    if kind_name:
        try:
            kinds = [Kind(kind_name.lower())]
        except ValueError:
            return f"unknown kind {show(kind_name)}; use one of {', '.join(k.value for k in Kind)}"
    else:
        kinds = [kind for kind in FIELDS if name in FIELDS[kind]]
    if not kinds or any(name not in FIELDS[kind] for kind in kinds):
        known = sorted({field for kind in kinds or FIELDS for field in FIELDS[kind]})
        return f"unknown field {show(name)}; use one of {', '.join(known)}"
    return None


def mapped_columns(table: Table, mapping: dict[str, str] | None, kind: Kind) -> dict[int, str]:
    """{column index: field} for the mapped headers this table has, for items of `kind`."""
    found: dict[int, str] = {}
    for header, target in (mapping or {}).items():
        column = table.column(header)
        if column is None:
            continue
        kind_name, _, name = target.rpartition(".")
        if kind_name and kind_name.lower() != kind.value:
            continue
        if name in FIELDS[kind] and name != "name":  # a tool's own name column names its items
            found[column] = name
    return found


def apply_mapping(
    collector: Collector,
    table: Table,
    columns: dict[int, str],
    kind: Kind,
    row: int,
    cells: tuple[Any, ...],
    fields: dict[str, Any],
) -> None:
    """Parse the mapped cells of one row into `fields` (a mapping overrides built-in columns)."""
    for column, name in columns.items():
        collector.put(fields, kind, name, Table.cell(cells, column), table, row, column)


#: Words of a header that holds dependencies (afhængigheder, beroenden, integrations, …).
DEPENDENCY_WORDS = (
    "afhæng",
    "afhaeng",
    "beroend",
    "depend",
    "integration",
    "snitflade",
    "gränssnitt",
    "interface",
)


def report_unread(
    collector: Collector, table: Table, read: list[int | None], skip: tuple[str, ...] = ()
) -> None:
    """Name every column of `table` that the importer does not read: one warning for a column
    that looks like dependencies, one listing the rest with how to map them."""
    taken = {index for index in read if index is not None}
    folded_skip = {normalise_header(name) for name in skip}
    unread = [
        (index, header)
        for index, header in enumerate(table.header)
        if header.strip() and index not in taken and normalise_header(header) not in folded_skip
    ]
    plain: list[str] = []
    first = -1
    for index, header in unread:
        if any(word in header.casefold() for word in DEPENDENCY_WORDS):
            collector.warn(
                table,
                table.header_row,
                index,
                f"column {show(header)} looks like dependencies but this format does "
                "not read it; import the sheet as your own spreadsheet (a mapping with "
                f'[[sheets]] and [sheets.columns] "{header}" = {{ dependency = "uses", '
                'to_kind = "application" })',
            )
        else:
            first = index if first < 0 else first
            plain.append(header)
    if plain:
        collector.warn(
            table,
            table.header_row,
            first,
            f"columns not imported: {', '.join(plain)} (map one with --mapping, "
            f'e.g. [columns] "{plain[0]}" = "owner")',
        )


def unused_mapping(mapping: dict[str, str] | None, tables: list[Table], label: str) -> list[str]:
    """Warnings for mapped columns that no table of the file has (a typo, or another file's)."""
    unused = [
        header for header in mapping or {} if not any(t.column(header) is not None for t in tables)
    ]
    return [f"{label}: mapped column {show(header)} is not in this file" for header in unused]


def begin(
    path: str | Path, municipality: str, label: str | None, limits: Limits | None
) -> tuple[Path, str, Limits, Collector, Inventory]:
    """The common start of every tool importer: the path, the label its messages use, the
    limits, a collector for problems and an empty merge-mode inventory."""
    path = Path(path)
    label = label or str(path)
    limits = limits or Limits.from_env()
    return (
        path,
        label,
        limits,
        Collector(limits.max_text),
        Inventory(municipality=municipality, source=label, mode="merge"),
    )


def complete(
    inventory: Inventory,
    collector: Collector,
    mapping: dict[str, str] | None,
    tables: list[Table],
    label: str,
) -> Inventory:
    """The common end of every tool importer: report unused mappings, fail on any problem, keep
    warnings."""
    collector.warnings.extend(unused_mapping(mapping, tables, label))
    collector.finish()
    inventory.warnings = collector.warnings + inventory.warnings
    return inventory
