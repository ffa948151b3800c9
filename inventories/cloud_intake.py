"""Cloud-migration intake files -> servers, applications and wave pin suggestions.

AWS Cloud Migration Factory intake (CSV or .xlsx): one row per server with `wave_name`,
`app_name`, `server_name`, `server_os_family`, `server_os_version`, `server_fqdn`,
`server_environment`, … Azure Migrate's import CSV: `*Server name`, `IP addresses`,
`*Cores`, `*Memory (In MB)`, `*OS name`, `OS version`, `Disk N size (In GB)`, …
An intake's wave is someone's earlier decision, so it becomes a pin *suggestion*
(`Inventory.pin_suggestions`), never a pin: the plan decides.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from inventories.csvfile import Collector, Table, read_csv, sheet_table
from inventories.mapping import apply_mapping, begin, complete, mapped_columns, report_unread
from inventories.records import Inventory, ItemRecord
from inventories.schema import STRATEGIES, Kind
from inventories.values import show
from inventories.workbook import Limits, open_workbook
from exports.errors import PlannerError

_ENVIRONMENTS = {
    "production": "prod",
    "prd": "prod",
    "prod": "prod",
    "test": "test",
    "tst": "test",
    "uat": "test",
    "qa": "test",
    "staging": "test",
    "stage": "test",
    "preprod": "test",
    "dev": "dev",
    "development": "dev",
    "sandbox": "dev",
}


def is_aws_cmf(table: Table) -> bool:
    return (
        table.column("server_name") is not None
        and table.column("wave_name", "app_name", "server_os_family", "server_fqdn") is not None
    )


def is_azure_migrate(table: Table) -> bool:
    return (
        table.has("Server name", "Cores", "OS name")
        and table.column("Memory (In MB)", "Memory") is not None
    )


def load_table(path: Path, label: str, limits: Limits | None, accept: Any) -> Table:
    """The first table (CSV, or the first matching workbook tab) that `accept` recognises."""
    if path.suffix.lower() == ".csv":
        return read_csv(path, label, limits)
    book = open_workbook(path, label, limits)
    try:
        tables = [sheet_table(book, title) for title in book.sheetnames]
    finally:
        book.close()
    for table in tables:
        if accept(table):
            return table
    return tables[0] if tables else Table(label, "Sheet1", [], 1)


def read_aws_cmf(
    path: str | Path,
    *,
    municipality: str,
    label: str | None = None,
    mapping: dict[str, str] | None = None,
    limits: Limits | None = None,
) -> Inventory:
    """Read an AWS CMF intake completely; raise ImportFailed listing every problem."""
    path, label, limits, collector, inventory = begin(path, municipality, label, limits)
    table = load_table(path, label, limits, is_aws_cmf)
    col = _aws_columns(table)
    mapped = mapped_columns(table, mapping, Kind.SERVER)
    app_mapped = mapped_columns(table, mapping, Kind.APPLICATION)
    report_unread(collector, table, [*col.values(), *mapped, *app_mapped])
    servers: dict[str, ItemRecord] = {}
    apps: dict[str, dict[str, Any]] = {}
    for row, cells in table.rows:
        get = lambda key: table.cell(cells, col[key])  # noqa: E731
        name = collector.text(get("server_name"), table, row, col["server_name"], "server_name")
        if not name:
            collector.warn(table, row, col["server_name"], "row skipped: it names no server")
            continue
        app = collector.text(get("app_name"), table, row, col["app_name"], "app_name")
        wave = collector.text(get("wave_name"), table, row, col["wave_name"], "wave_name")
        key = name.casefold()
        if key not in servers:
            fields = _aws_server_fields(collector, table, row, cells, col, mapped, name)
            servers[key] = ItemRecord(Kind.SERVER, name, fields, row)
        elif not app:
            collector.error(
                table,
                row,
                col["server_name"],
                f"server {show(name)} is already listed on row {servers[key].row}",
            )
        if app:
            entry = apps.setdefault(
                app.casefold(),
                {
                    "name": app,
                    "row": row,
                    "servers": [],
                    "waves": {},
                    "strategies": set(),
                    "fields": {},
                },
            )
            if name not in entry["servers"]:
                entry["servers"].append(name)
            if wave:
                entry["waves"].setdefault(wave, []).append(name)
            strategy = get("r_type")
            if strategy is not None:
                entry["strategies"].add(str(strategy).strip().lower())
            apply_mapping(
                collector, table, app_mapped, Kind.APPLICATION, row, cells, entry["fields"]
            )
        elif wave:
            _suggest(inventory, "server", name, wave)
    inventory.items.extend(servers.values())
    _aws_applications(inventory, apps, label)
    return complete(inventory, collector, mapping, [table], label)


def _aws_columns(table: Table) -> dict[str, int | None]:
    """The CMF columns this reader uses; without server_name the file names no servers, so it
    is refused in one sentence rather than as one error per row."""
    col = {
        name: table.column(name)
        for name in (
            "server_name",
            "app_name",
            "wave_name",
            "server_os_family",
            "server_os_version",
            "server_fqdn",
            "server_environment",
            "r_type",
            "server_tier",
        )
    }
    if col["server_name"] is None:
        raise PlannerError(
            f"{table.where(table.header_row, None)}: no server_name column; it names the servers"
        )
    return col


def _aws_server_fields(
    collector: Collector,
    table: Table,
    row: int,
    cells: Any,
    col: dict[str, int | None],
    mapped: Any,
    name: str,
) -> dict[str, Any]:
    """A server's fields from its first row (later rows only add applications); an FQDN that
    does not start with the server name is a warning, since it may be a typo."""

    def get(key: str) -> Any:
        return table.cell(cells, col[key])

    fields: dict[str, Any] = {}
    collector.put(
        fields, Kind.SERVER, "os", get("server_os_family"), table, row, col["server_os_family"]
    )
    collector.put(
        fields,
        Kind.SERVER,
        "os_version",
        get("server_os_version"),
        table,
        row,
        col["server_os_version"],
    )
    _environment(
        collector, fields, get("server_environment"), table, row, col["server_environment"]
    )
    fqdn = collector.text(get("server_fqdn"), table, row, col["server_fqdn"], "server_fqdn")
    if fqdn and "." in fqdn and fqdn.split(".", 1)[0].casefold() != name.casefold():
        collector.warn(
            table,
            row,
            col["server_fqdn"],
            f"server_fqdn {show(fqdn)} does not start with the server name {show(name)}",
        )
    apply_mapping(collector, table, mapped, Kind.SERVER, row, cells, fields)
    return fields


def _aws_applications(inventory: Inventory, apps: dict[str, dict[str, Any]], label: str) -> None:
    """The applications named by app_name, with their servers and one agreed strategy; a pin
    suggestion for the application when its servers share one wave, else one per server."""
    for entry in apps.values():
        fields = {"servers": ", ".join(entry["servers"]), **entry["fields"]}
        strategies = entry["strategies"]
        if len(strategies) == 1 and next(iter(strategies)) in STRATEGIES:
            fields["strategy"] = next(iter(strategies))
        inventory.items.append(ItemRecord(Kind.APPLICATION, entry["name"], fields, entry["row"]))
        waves = entry["waves"]
        if len(waves) == 1:
            _suggest(inventory, "application", entry["name"], next(iter(waves)))
        elif waves:
            inventory.warnings.append(
                f"{label}: application {show(entry['name'])} has servers in several waves "
                f"({', '.join(waves)}); suggesting pins per server"
            )
            for wave, names in waves.items():
                for server in names:
                    _suggest(inventory, "server", server, wave)


def read_azure_migrate(
    path: str | Path,
    *,
    municipality: str,
    label: str | None = None,
    mapping: dict[str, str] | None = None,
    limits: Limits | None = None,
) -> Inventory:
    """Read an Azure Migrate import CSV completely; raise ImportFailed listing every problem."""
    path, label, limits, collector, inventory = begin(path, municipality, label, limits)
    table = load_table(path, label, limits, is_azure_migrate)
    col = _azure_columns(table)
    disks = [
        index
        for index, header in enumerate(table.header)
        if re.fullmatch(r"disk\s*\d+\s*size\s*\(in gb\)", header.strip().lower())
    ]
    mapped = mapped_columns(table, mapping, Kind.SERVER)
    report_unread(collector, table, [*col.values(), *disks, *mapped])
    seen: dict[str, int] = {}
    apps: dict[str, dict[str, Any]] = {}
    for row, cells in table.rows:
        get = lambda key: table.cell(cells, col[key])  # noqa: E731
        name = collector.text(get("name"), table, row, col["name"], "Server name")
        if not name:
            collector.warn(table, row, col["name"], "row skipped: it names no server")
            continue
        if name.casefold() in seen:
            collector.error(
                table,
                row,
                col["name"],
                f"server {show(name)} is already listed on row {seen[name.casefold()]}",
            )
            continue
        seen[name.casefold()] = row
        fields = _azure_server_fields(collector, table, row, cells, col, disks)
        apply_mapping(collector, table, mapped, Kind.SERVER, row, cells, fields)
        inventory.items.append(ItemRecord(Kind.SERVER, name, fields, row))
        app = collector.text(get("app"), table, row, col["app"], "Application")
        wave = collector.text(get("wave"), table, row, col["wave"], "Wave")
        if app:
            entry = apps.setdefault(
                app.casefold(), {"name": app, "row": row, "servers": [], "waves": set()}
            )
            entry["servers"].append(name)
            if wave:
                entry["waves"].add(wave)
        elif wave:
            _suggest(inventory, "server", name, wave)
    for entry in apps.values():
        inventory.items.append(
            ItemRecord(
                Kind.APPLICATION,
                entry["name"],
                {"servers": ", ".join(entry["servers"])},
                entry["row"],
            )
        )
        if len(entry["waves"]) == 1:
            _suggest(inventory, "application", entry["name"], next(iter(entry["waves"])))
    return complete(inventory, collector, mapping, [table], label)


def _azure_columns(table: Table) -> dict[str, int | None]:
    """The Azure Migrate columns this reader uses (with the names other exports give them); a
    file without the four required ones is refused in one sentence naming them."""
    col = {
        "name": table.column("Server name"),
        "ip": table.column("IP addresses", "IP address"),
        "cores": table.column("Cores"),
        "memory": table.column("Memory (In MB)", "Memory"),
        "os": table.column("OS name"),
        "os_version": table.column("OS version"),
        "type": table.column("Server type"),
        "hypervisor": table.column("Hypervisor"),
        "app": table.column("Application", "App name", "Application name"),
        "wave": table.column("Wave", "Wave name", "wave_name"),
    }
    required = {
        "*Server name": col["name"],
        "*Cores": col["cores"],
        "*Memory (In MB)": col["memory"],
        "*OS name": col["os"],
    }
    absent = [header for header, found in required.items() if found is None]
    if absent:
        plural = "s" if len(absent) > 1 else ""
        raise PlannerError(
            f"{table.where(table.header_row, None)}: not an Azure Migrate import "
            f"file: no {', '.join(absent)} column{plural}"
        )
    return col


def _azure_server_fields(
    collector: Collector,
    table: Table,
    row: int,
    cells: Any,
    col: dict[str, int | None],
    disks: list[int],
) -> dict[str, Any]:
    """A server's fields in the template's units: memory MB -> GB, the first of its IP
    addresses, the disks summed into storage_gb, and virtual unless the type says physical."""

    def get(key: str) -> Any:
        return table.cell(cells, col[key])

    fields: dict[str, Any] = {}
    collector.put(fields, Kind.SERVER, "vcpu", get("cores"), table, row, col["cores"])
    memory = collector.number(get("memory"), table, row, col["memory"], "Memory (In MB)")
    if memory is not None:
        fields["ram_gb"] = round(memory / 1024.0, 2)
    collector.put(fields, Kind.SERVER, "os", get("os"), table, row, col["os"])
    collector.put(
        fields, Kind.SERVER, "os_version", get("os_version"), table, row, col["os_version"]
    )
    ips = re.split(r"[,;\s]+", str(get("ip") or "").strip())
    if ips and ips[0]:
        collector.put(fields, Kind.SERVER, "ip", ips[0], table, row, col["ip"])
    total = 0.0
    for index in disks:
        size = collector.number(table.cell(cells, index), table, row, index, table.header[index])
        total += size or 0.0
    if total:
        fields["storage_gb"] = round(total, 2)
    kind = str(get("type") or get("hypervisor") or "").strip().lower()
    if kind:
        fields["virtual"] = kind not in (
            "physical",
            "physicalserver",
            "physical server",
            "bare metal",
        )
    return fields


def _environment(
    collector: Collector,
    fields: dict[str, Any],
    raw: Any,
    table: Table,
    row: int,
    column: int | None,
) -> None:
    if raw is None:
        return
    value = _ENVIRONMENTS.get(str(raw).strip().lower())
    if value:
        fields["environment"] = value
    else:
        collector.put(fields, Kind.SERVER, "environment", raw, table, row, column)


def _suggest(inventory: Inventory, kind: str, name: str, wave: str) -> None:
    """Record a pin suggestion both as data and as a line the user reads.

    The key is the item id (`Municipality/kind/name`), as `[pins]` in plan.toml writes it;
    the value is the intake's wave *name*: mapping names to wave numbers is the user's call.
    """
    item = f"{inventory.municipality}/{kind}/{name}"
    if item in inventory.pin_suggestions:
        return
    inventory.pin_suggestions[item] = wave
    inventory.warnings.append(f"{inventory.source}: pin suggestion: {item} -> wave {wave}")
