"""Mapping foreign files onto the inventory: custom columns onto fields, names onto stored names.

`--mapping map.toml` says what a municipality's own columns mean:

    [columns]
    AppOwner = "owner"                  # a custom attribute in RVTools -> the server's owner
    Systemejer = "application.owner"    # qualify with a kind when a file feeds several kinds

`reconcile` lines up what a merge import brings with what is stored (`srv01.nordby.local`
is the stored `SRV01`) and lists the conflicts: stored values the import would change.
"""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path
from typing import Any

from inventories.csvfile import FIELDS, Collector, Table
from inventories.records import Inventory, ItemRecord
from inventories.schema import Kind, normalise_header
from inventories.values import show
from inventories.workbook import Limits
from planner.errors import ImportFailed, PlannerError

#: Fields a mapping may not target: the item's identity comes from the format itself.
_NOT_MAPPABLE = {"name"}


def load_mapping(path: str | Path) -> dict[str, str]:
    """Read and validate a mapping file: {custom header: "field" or "kind.field"}."""
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise PlannerError(f"{label}: no such mapping file")
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PlannerError(f"{label}: the mapping file must be UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise PlannerError(f"{label}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"columns"})
    if unknown:
        raise PlannerError(f"{label}: unknown table or key {', '.join(unknown)}; only [columns] is read")
    columns = data.get("columns")
    if not isinstance(columns, dict) or not columns:
        raise PlannerError(f'{label}: no [columns] table; write e.g. [columns] then AppOwner = "owner"')
    problems = []
    mapping: dict[str, str] = {}
    for header, target in columns.items():
        if not isinstance(target, str):
            problems.append(f"{label}: [columns] {header}: the field must be a string such as "
                            f"\"owner\", got {show(target)}")
            continue
        message = check_target(target.strip())
        if message:
            problems.append(f"{label}: [columns] {header} = {show(target)}: {message}")
            continue
        if not normalise_header(header):
            problems.append(f"{label}: [columns] {show(header)}: the column name is empty")
            continue
        mapping[header] = target.strip()
    if problems:
        raise ImportFailed(problems)
    return mapping


def check_target(target: str) -> str | None:
    """Why `target` is not a mappable field (None when it is)."""
    kind_name, _, name = target.rpartition(".")
    if kind_name:
        try:
            kinds = [Kind(kind_name.lower())]
        except ValueError:
            return f"unknown kind {show(kind_name)}; use one of {', '.join(k.value for k in Kind)}"
    else:
        kinds = [kind for kind in FIELDS if name in FIELDS[kind]]
    if name in _NOT_MAPPABLE:
        return "the name comes from the file's own name column and cannot be mapped"
    if not kinds or any(name not in FIELDS[kind] for kind in kinds):
        known = sorted({field for kind in kinds or FIELDS for field in FIELDS[kind]} - _NOT_MAPPABLE)
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
        if name in FIELDS[kind]:
            found[column] = name
    return found


def apply_mapping(collector: Collector, table: Table, columns: dict[int, str], kind: Kind, row: int,
                  cells: tuple[Any, ...], fields: dict[str, Any]) -> None:
    """Parse the mapped cells of one row into `fields` (a mapping overrides built-in columns)."""
    for column, name in columns.items():
        collector.put(fields, kind, name, Table.cell(cells, column), table, row, column)


def unused_mapping(mapping: dict[str, str] | None, tables: list[Table], label: str) -> list[str]:
    """Warnings for mapped columns that no table of the file has (a typo, or another file's)."""
    unused = [header for header in mapping or {} if not any(t.column(header) is not None for t in tables)]
    return [f"{label}: mapped column {show(header)} is not in this file" for header in unused]


def short_name(name: str) -> str:
    """`srv01.nordby.local` -> `srv01` (folded); an IP address or a plain name stays whole."""
    folded = name.strip().casefold()
    try:
        ipaddress.ip_address(folded)
        return folded
    except ValueError:
        return folded.split(".", 1)[0]


def reconcile(inventory: Inventory, stored: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """Rename incoming servers to the stored name they mean; return the conflict lines.

    `stored` is {kind: {stored name: {field: value}}} for the inventory's municipality.
    A server matches by its name case-insensitively, else by its short name when exactly
    one stored server has that short name (an FQDN against a NetBIOS-style name, either
    way round). A conflict is a stored, non-blank value that this merge would change.
    """
    conflicts: list[str] = []
    for kind_value, rows in stored.items():
        exact = {name.casefold(): name for name in rows}
        by_short: dict[str, list[str]] = {}
        for name in rows:
            by_short.setdefault(short_name(name), []).append(name)
        for item in inventory.items:
            if item.kind.value != kind_value:
                continue
            match = exact.get(item.name.casefold())
            if match is None and item.kind == Kind.SERVER:
                candidates = by_short.get(short_name(item.name), [])
                if len(candidates) == 1:
                    match = candidates[0]
            if match is None:
                continue
            item.name = match
            conflicts.extend(_conflicts(inventory, item, rows[match]))
    return conflicts


def _conflicts(inventory: Inventory, item: ItemRecord, stored: dict[str, Any]) -> list[str]:
    where = f"{inventory.source}" + (f" row {item.row}" if item.row else "")
    lines = []
    for name, value in item.fields.items():
        old = stored.get(name)
        if value is None or old is None or old == "" or _same(old, value):
            continue
        lines.append(f"{where}: conflict: {item.kind.value} {show(item.name)} {name} "
                     f"was {show(old)}, this import sets {show(value)}")
    return lines


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, (int, float)) and isinstance(new, (int, float)) and not isinstance(old, bool):
        return abs(float(old) - float(new)) < 1e-6 * max(1.0, abs(float(old)))
    if isinstance(old, str) and isinstance(new, str):
        return old.strip().casefold() == new.strip().casefold()
    return bool(old == new)


def begin(path: str | Path, municipality: str, label: str | None,
          limits: Limits | None) -> tuple[Path, str, Limits, Collector, Inventory]:
    """The common start of every tool importer: the path, the label its messages use, the
    limits, a collector for problems and an empty merge-mode inventory."""
    path = Path(path)
    label = label or str(path)
    limits = limits or Limits.from_env()
    return path, label, limits, Collector(limits.max_text), Inventory(
        municipality=municipality, source=label, mode="merge")


def complete(inventory: Inventory, collector: Collector, mapping: dict[str, str] | None, tables: list[Table],
             label: str) -> Inventory:
    """The common end of every tool importer: report unused mappings, fail on any problem, keep warnings."""
    collector.warnings.extend(unused_mapping(mapping, tables, label))
    collector.finish()
    inventory.warnings = collector.warnings + inventory.warnings
    return inventory
