"""OS2kitos exports -> applications and their integrations.

"IT Systemer Overblik" (the system overview, one row per IT system in use) gives the
applications: `IT System`, `Leverandør`, `Antal brugere`, `Kritikalitet`,
`Forretningskritisk IT-system` and role columns such as `Systemejer`. Its "used systems"
columns (`Anvendte systemer`, `Systemer der anvender systemet`) become soft
`integrates_with` dependencies. "IT Snitflader Overblik" (interfaces) gives one soft
`integrates_with` dependency from each using system to the exposing system.
Both may arrive as .xlsx (one or both sheets) or as CSV.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from inventories import values
from inventories.csvfile import Collector, Table, read_csv, sheet_table
from inventories.mapping import apply_mapping, begin, complete, mapped_columns, report_unread
from inventories.records import DependencyRecord, Inventory, ItemRecord
from inventories.schema import Kind, normalise_header
from inventories.values import show
from inventories.workbook import Limits, open_workbook
from exports.errors import PlannerError

SYSTEM = ("IT System", "IT-system", "Systemnavn", "IT System navn")
VENDOR = ("Leverandør", "Leverandor", "Leverandører")
USERS = ("Antal brugere",)
CRITICALITY = ("Kritikalitet",)
BUSINESS_CRITICAL = ("Forretningskritisk IT-system", "Forretningskritisk")
#: Role columns, most specific first: the first filled one is the owner.
OWNER_ROLES = (
    "Systemejer",
    "Systemansvarlig",
    "Forretningsejer",
    "Systemforvalter",
    "Teknisk ansvarlig",
)
USES = ("Anvendte systemer", "Anvendte IT systemer", "Systemer der anvendes")
USED_BY = ("Systemer der anvender systemet", "Anvendes af")
FUNCTION = ("Forretningstype", "KLE", "Systemkategori", "Forretningsområde")
VERSION = ("Version",)

INTERFACE = ("Snitflade", "Snitfladenavn", "Snitflade navn", "Navn")
EXPOSER = ("Udstillersystem", "Udstillet af", "Udstiller", "Udstillende system", "IT System")
USERS_OF_INTERFACE = (
    "Anvendersystem",
    "Anvendersystemer",
    "Anvendt af",
    "Anvendes af",
    "Systemer der anvender snitfladen",
)

#: KITOS criticality words beyond the schema's Danish aliases.
_CRITICALITY = {
    "meget høj": "critical",
    "meget hoj": "critical",
    "ikke kritisk": "low",
    "middel": "medium",
    "mellem": "medium",
    "høj": "high",
    "lav": "low",
    "kritisk": "critical",
}


def is_systems_table(table: Table) -> bool:
    return (
        table.column(*SYSTEM) is not None
        and table.column(
            *VENDOR, *USERS, *CRITICALITY, *BUSINESS_CRITICAL, *OWNER_ROLES, *USES, *USED_BY
        )
        is not None
    )


def is_interfaces_table(table: Table) -> bool:
    return (
        table.column("Snitflade", "Snitfladenavn", "Snitflade navn") is not None
        and table.column(*EXPOSER[:-1]) is not None
    )


def load_tables(path: Path, label: str, limits: Limits | None = None) -> list[Table]:
    if path.suffix.lower() == ".csv":
        return [read_csv(path, label, limits)]
    book = open_workbook(path, label, limits)
    try:
        return [sheet_table(book, title) for title in book.sheetnames]
    finally:
        book.close()


def read_kitos(
    path: str | Path,
    *,
    municipality: str,
    label: str | None = None,
    mapping: dict[str, str] | None = None,
    limits: Limits | None = None,
) -> Inventory:
    """Read a KITOS export completely; raise ImportFailed listing every problem."""
    path, label, limits, collector, inventory = begin(path, municipality, label, limits)
    tables = load_tables(path, label, limits)
    systems = [t for t in tables if is_systems_table(t)]
    interfaces = [t for t in tables if not is_systems_table(t) and is_interfaces_table(t)]
    if not systems and not interfaces:
        raise PlannerError(
            f"{label}: no KITOS 'IT Systemer Overblik' (IT System, Leverandør, …) or "
            "'IT Snitflader Overblik' (Snitflade, Udstillersystem, …) table found"
        )
    names: dict[str, str] = {}
    for table in systems:
        _systems(collector, table, inventory, names, mapping)
    for table in interfaces:
        _interfaces(collector, table, inventory)
    unknown = sorted(
        {dep.to_name for dep in inventory.dependencies if dep.to_name.casefold() not in names}
        | {
            dep.from_name for dep in inventory.dependencies if dep.from_name.casefold() not in names
        },
        key=str.casefold,
    )
    if unknown and systems:
        collector.warnings.append(
            f"{label}: integrations name systems not in this export (kept; "
            f"`planner check` lists them until they are imported): {', '.join(unknown)}"
        )
    return complete(inventory, collector, mapping, tables, label)


def _systems(
    collector: Collector,
    table: Table,
    inventory: Inventory,
    names: dict[str, str],
    mapping: dict[str, str] | None,
) -> None:
    col = {
        "name": table.column(*SYSTEM),
        "vendor": table.column(*VENDOR),
        "users": table.column(*USERS),
        "criticality": table.column(*CRITICALITY),
        "business": table.column(*BUSINESS_CRITICAL),
        "uses": table.column(*USES),
        "used_by": table.column(*USED_BY),
        "function": table.column(*FUNCTION),
        "version": table.column(*VERSION),
    }
    roles = [c for c in (table.column(role) for role in OWNER_ROLES) if c is not None]
    mapped = mapped_columns(table, mapping, Kind.APPLICATION)
    report_unread(collector, table, [*col.values(), *roles, *mapped])
    for row, cells in table.rows:
        get = lambda key: table.cell(cells, col[key])  # noqa: E731
        name = collector.text(get("name"), table, row, col["name"], "IT System")
        if not name:
            collector.warn(table, row, col["name"], "row skipped: it names no IT system")
            continue
        key = name.casefold()
        if key in names:
            continue  # KITOS lists a system once per organisation unit using it; the first row wins
        names[key] = name
        fields: dict[str, Any] = {}
        for field in ("vendor", "function", "version"):
            collector.put(fields, Kind.APPLICATION, field, get(field), table, row, col[field])
        users = _users(get("users"))
        if users is not None:
            fields["users"] = users
        elif get("users") is not None:
            collector.error(
                table,
                row,
                col["users"],
                f"users must be a number or a range such as 10-50, got {show(get('users'))}",
            )
        criticality = _criticality(get("criticality"), get("business"))
        if criticality:
            fields["criticality"] = criticality
        elif get("criticality") is not None:
            collector.warn(
                table,
                row,
                col["criticality"],
                f"criticality {show(get('criticality'))} is not low, "
                "medium, high or critical; left blank",
            )
        for role in roles:
            owner = collector.text(table.cell(cells, role), table, row, role, table.header[role])
            if owner:
                fields["owner"] = owner
                break
        apply_mapping(collector, table, mapped, Kind.APPLICATION, row, cells, fields)
        inventory.items.append(ItemRecord(Kind.APPLICATION, name, fields, row))
        for other in values.split_list(get("uses") or ""):
            inventory.dependencies.append(
                _integration(name, other, "KITOS: anvendte systemer", row)
            )
        for other in values.split_list(get("used_by") or ""):
            inventory.dependencies.append(
                _integration(other, name, "KITOS: anvendte systemer", row)
            )


def _interfaces(collector: Collector, table: Table, inventory: Inventory) -> None:
    col_name = table.column("Snitflade", "Snitfladenavn", "Snitflade navn")
    col_exposer = table.column(*EXPOSER[:-1])
    col_users = table.column(*USERS_OF_INTERFACE)
    if col_users is None:
        collector.warn(
            table, table.header_row, 0, "no Anvendersystem column: interfaces give no dependencies"
        )
        return
    report_unread(collector, table, [col_name, col_exposer, col_users])
    for row, cells in table.rows:
        exposer = collector.text(
            table.cell(cells, col_exposer), table, row, col_exposer, "Udstillersystem"
        )
        interface = collector.text(table.cell(cells, col_name), table, row, col_name, "Snitflade")
        users = values.split_list(table.cell(cells, col_users) or "")
        if not exposer:
            if users:
                collector.warn(
                    table,
                    row,
                    col_exposer,
                    f"interface {show(interface or '')} names no exposing system; skipped",
                )
            continue
        for user in users:
            inventory.dependencies.append(
                _integration(user, exposer, f"KITOS interface: {interface or '?'}", row)
            )


def _integration(user: str, used: str, note: str, row: int) -> DependencyRecord:
    return DependencyRecord(
        "application", user, "application", used, "integrates_with", "soft", note=note, row=row
    )


def _users(value: Any) -> int | None:
    """KITOS user counts are often bands: '10-50' -> 50, '<10' -> 10, '>100' -> 100."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    text = str(value).strip().replace(".", "").replace("\u00a0", "").replace(" ", "")
    numbers = re.findall(r"\d+", text)
    if not numbers or not re.fullmatch(r"[<>]?=?\d+(-\d+)?\+?", text):
        return None
    return int(numbers[-1])


def _criticality(value: Any, business: Any) -> str | None:
    if value is not None:
        folded = str(value).strip().casefold()
        if folded in _CRITICALITY:
            return _CRITICALITY[folded]
        if folded in ("low", "medium", "high", "critical"):
            return folded
        return None
    if business is not None and normalise_header(str(business)) in ("ja", "yes", "true", "x", "1"):
        return "high"
    return None
