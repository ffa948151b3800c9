"""Which kind of file is this, and which reader turns it into an `Inventory`.

Detection looks only at tab names, file names and header rows (folded as the schema folds
headers: case, spaces, `*`, `(unit)`), never at the data, so it is cheap and predictable;
`--format` overrides it when a file is too cut down to recognise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inventories import ad, cloud_intake, connections, kitos, rvtools
from inventories.csvfile import Table, read_csv
from inventories.mapping import Mapping
from inventories.records import Inventory, slash_problem
from inventories.schema import normalise_header, sheet_for
from inventories.spreadsheet import read_spreadsheet
from inventories.template_reader import read_template
from inventories.workbook import Limits, open_workbook
from exports.errors import ImportFailed, PlannerError

FORMATS = (
    "template",
    "rvtools",
    "ad",
    "kitos",
    "aws-cmf",
    "azure-migrate",
    "spreadsheet",
    "connections",
)

#: What detection looks for, as the error message tells the user.
LOOKED_FOR = (
    "RVTools (a vInfo tab, RVTools_tab*.csv files, or VM + Powerstate headers); "
    "Active Directory (DistinguishedName, or DNSHostName + OperatingSystem); "
    "OS2kitos (IT System + Leverandør/Antal brugere/Systemejer/…, or Snitflade + Udstillersystem); "
    "AWS CMF (server_name + wave_name/app_name/server_os_family); "
    "Azure Migrate (*Server name + *Cores + *Memory (In MB) + *OS name); "
    "connection captures (Azure Migrate's Source/Destination server name + IP + Destination "
    "port, or source + destination + port); "
    "the inventory template (sheets such as Municipality, Servers, Applications)"
)

_HEADER_ROWS = 10  # a header further down than this is not a header


def detect_format(
    path: str | Path, *, label: str | None = None, limits: Limits | None = None
) -> str:
    """One of FORMATS for a workbook, a CSV file or a folder of RVTools CSV files."""
    path = Path(path)
    label = label or str(path)
    if not path.exists():
        raise PlannerError(f"{label}: no such file or folder")
    if path.is_dir():
        if rvtools.is_rvtools_folder(path):
            return "rvtools"
        raise PlannerError(
            f"{label}: a folder, but it holds no RVTools_tab*.csv files; "
            "give a workbook or CSV file, or the folder of an RVTools 'Export all to csv'"
        )
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        if connections.sniff_csv(path):  # before read_csv: a capture may be gigabytes
            return "connections"
        table = read_csv(path, label, limits)
        found = _by_headers([table])
        if found:
            return found
        raise _unknown(label, [table])
    book = open_workbook(path, label, limits)
    try:
        titles = list(book.sheetnames)
        folded = {normalise_header(title) for title in titles}
        if "vinfo" in folded:
            return "rvtools"
        tables = []
        for title in titles:
            tables.append(_header_only(book, title))
    finally:
        book.close()
    found = _by_headers(tables)
    if found:
        return found
    if any(sheet_for(title) is not None for title in titles):
        return "template"
    raise _unknown(label, tables)


def _header_only(book: Any, title: str) -> Table:
    for number, cells in book.rows(title):
        if any(cell is not None and str(cell).strip() for cell in cells):
            return Table(
                book.label, title, ["" if c is None else str(c).strip() for c in cells], number
            )
        if number >= _HEADER_ROWS:
            break
    return Table(book.label, title, [], 1)


def _by_headers(tables: list[Table]) -> str | None:
    for table in tables:
        if table.has("VM", "Powerstate"):
            return "rvtools"
        if (
            table.column("DistinguishedName") is not None
            or table.has("DNSHostName", "OperatingSystem")
            or (
                table.has("DN", "objectClass")
                and table.column("dNSHostName", "operatingSystem") is not None
            )
        ):
            return "ad"
        if kitos.is_systems_table(table) or kitos.is_interfaces_table(table):
            return "kitos"
        if cloud_intake.is_aws_cmf(table):
            return "aws-cmf"
        if cloud_intake.is_azure_migrate(table):
            return "azure-migrate"
        if connections.layout_of(table.header):
            return "connections"
    return None


def _unknown(label: str, tables: list[Table]) -> PlannerError:
    # one line whatever the file holds: line breaks and control characters out, long ones cut
    headers = [
        re.sub(r"[\x00-\x1f\x7f]", "", " ".join(h.split()))[:40]
        for table in tables
        for h in table.header
        if h
    ][:12]
    shown = ", ".join(headers) + (", …" if len(headers) == 12 else "") if headers else "none"
    return PlannerError(
        f"{label}: unsupported format: cannot tell what kind of file this is; "
        f"looked for {LOOKED_FOR}; found headers: {shown}. For your own "
        "spreadsheet, write a mapping with `planner mapping suggest "
        f"{Path(label).name} -o map.toml` and import with --mapping map.toml; or "
        "name the format with --format"
    )


Reader = Callable[..., Inventory]

READERS: dict[str, Reader] = {
    "rvtools": rvtools.read_rvtools,
    "ad": ad.read_ad,
    "kitos": kitos.read_kitos,
    "aws-cmf": cloud_intake.read_aws_cmf,
    "azure-migrate": cloud_intake.read_azure_migrate,
    "connections": connections.read_connections,
}


def read_any(
    path: str | Path,
    *,
    municipality: str | None,
    format: str = "auto",
    mapping: dict[str, str] | None = None,
    label: str | None = None,
    limits: Limits | None = None,
) -> Inventory:
    """Read one file (or RVTools CSV folder) of any supported format into a validated Inventory.

    A mapping with `[[sheets]]` reads the file as the user's own spreadsheet (format
    "spreadsheet"), whatever it looks like, our template included. Raises PlannerError for
    an unknown format or a missing municipality, and ImportFailed (a PlannerError listing
    every `FILE:SHEET!CELL: message`) for invalid contents.
    """
    path = Path(path)
    label = label or str(path)
    if municipality and "/" in municipality:
        raise PlannerError(f"--municipality: {slash_problem('the name', municipality.strip())}")
    inventory = _read(path, municipality, format, mapping, label, limits)
    _refuse_slashes(inventory, label)
    return inventory


def _refuse_slashes(inventory: Inventory, label: str) -> None:
    """Whatever the format, no municipality name with `/` gets through (see `slash_problem`);
    the template reader already names the cell, other readers are caught here by row."""
    problems = (
        [f"{label}: municipality {slash_problem('name', inventory.municipality)}"]
        if "/" in inventory.municipality
        else []
    )
    problems += [
        f"{label}:{d.row}: {slash_problem('to_municipality', d.to_municipality)}"
        for d in inventory.dependencies
        if d.to_municipality and "/" in d.to_municipality
    ]
    if problems:
        raise ImportFailed(problems)


def _read(
    path: Path,
    municipality: str | None,
    format: str,
    mapping: dict[str, str] | None,
    label: str,
    limits: Limits | None,
) -> Inventory:
    """`read_any` without the checks common to every format."""
    chosen = (format or "auto").strip().lower()
    if chosen not in ("auto", *FORMATS):
        raise PlannerError(f"unknown format {chosen!r}; use auto, {', '.join(FORMATS)}")
    sheets = isinstance(mapping, Mapping) and bool(mapping.sheets)
    if chosen == "spreadsheet" or (sheets and chosen in ("auto", "template")):
        if not municipality or not municipality.strip():
            raise PlannerError(
                f"{label}: a spreadsheet read through a mapping does not name its "
                "municipality; give it with --municipality NAME"
            )
        own = mapping if isinstance(mapping, Mapping) else Mapping(mapping or {})
        return read_spreadsheet(
            path, municipality=municipality.strip(), mapping=own, label=label, limits=limits
        )
    if chosen == "auto":
        chosen = detect_format(path, label=label, limits=limits)
    if chosen == "template":
        inventory = read_template(
            path, label=label, municipality=municipality, limits=limits, defer_references=True
        )
        if mapping:
            inventory.warnings.append(
                f"{label}: --mapping is not used for the inventory template "
                "(its headers are the canonical ones)"
            )
        inventory.format = "workbook"
        return inventory
    if not municipality or not municipality.strip():
        raise PlannerError(
            f"{label}: a {chosen} file does not name its municipality; "
            "give it with --municipality NAME"
        )
    inventory = READERS[chosen](
        path, municipality=municipality.strip(), label=label, mapping=mapping, limits=limits
    )
    inventory.format = chosen
    return inventory
