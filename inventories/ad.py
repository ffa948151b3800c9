"""Active Directory computer lists -> servers and directories.

Takes `Get-ADComputer -Filter * -Properties … | Export-Csv` (with or without the `#TYPE`
line; PowerShell headers such as `DNSHostName`, `OperatingSystem`, `Enabled`,
`LastLogonDate`) and `csvde` output (LDAP names such as `dNSHostName`,
`userAccountControl`, `lastLogonTimestamp`). Server computer accounts become servers in
the directory their DistinguishedName's DC= parts (or DNSHostName) name; workstation
accounts are only counted. Disabled and long-silent accounts are reported, not dropped:
whether they still run is for the architect to decide.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from inventories.csvfile import Collector, Table, read_csv
from inventories.mapping import apply_mapping, begin, complete, mapped_columns, report_unread
from inventories.records import Inventory, ItemRecord
from inventories.schema import Kind
from inventories.values import show
from inventories.workbook import Limits

#: AD attributes that say nothing about a server's inventory (identity and bookkeeping).
_NOT_INVENTORY = (
    "ObjectGUID",
    "SID",
    "objectSid",
    "ObjectClass",
    "PropertyNames",
    "AddedProperties",
    "RemovedProperties",
    "ModifiedProperties",
    "PropertyCount",
    "SamAccountName",
    "UserPrincipalName",
    "whenCreated",
    "whenChanged",
    "DN",
    "objectCategory",
    "instanceType",
    "uSNCreated",
    "uSNChanged",
)

#: Days without a logon after which an account is reported as possibly gone.
STALE_DAYS = 90

_CLIENT_OS = re.compile(r"windows\s*(xp|vista|7|8|8\.1|10|11)\b|mac\s*os|macos", re.I)
_UAC_DISABLED = 0x2
_FILETIME_EPOCH = datetime(1601, 1, 1)


def read_ad(
    path: str | Path,
    *,
    municipality: str,
    label: str | None = None,
    mapping: dict[str, str] | None = None,
    limits: Limits | None = None,
) -> Inventory:
    """Read an AD computer export completely; raise ImportFailed listing every problem."""
    path, label, limits, collector, inventory = begin(path, municipality, label, limits)
    table = read_csv(path, label, limits)
    col = _columns(collector, table)
    mapped = mapped_columns(table, mapping, Kind.SERVER)
    report_unread(collector, table, [*col.values(), *mapped], skip=_NOT_INVENTORY)
    domains: dict[str, dict[str, Any]] = {}
    clients = 0
    seen: dict[str, int] = {}
    logons: list[tuple[int, str, datetime]] = []
    for row, cells in table.rows:
        get = lambda key: table.cell(cells, col[key])  # noqa: E731
        dns = collector.text(get("dns"), table, row, col["dns"], "DNSHostName")
        name = _computer_name(
            collector.text(get("name"), table, row, col["name"], "Name"), dns, col
        )
        if not name:
            collector.warn(table, row, col["name"], "row skipped: it names no computer")
            continue
        domain = _domain(str(get("dn") or ""), dns)
        if domain:
            entry = domains.setdefault(domain.casefold(), {"name": domain, "computers": 0})
            entry["computers"] += 1
        os_name = get("os")
        if os_name is not None and _CLIENT_OS.search(str(os_name)):
            clients += 1
            continue
        key = name.casefold()
        if key in seen:  # one computer listed twice: merged into one server when stored
            collector.warn(
                table,
                row,
                col["name"],
                f"computer {show(name)} is listed again (first "
                f"on row {seen[key]}); the rows are merged into one server",
            )
        seen.setdefault(key, row)
        fields = _server_fields(collector, table, row, cells, col, mapped, domain)
        if _disabled(get("enabled"), get("uac")):
            target = col["enabled"] if col["enabled"] is not None else col["uac"]
            collector.warn(
                table,
                row,
                target,
                f"computer account {show(name)} is disabled; imported all the same",
            )
        logon = _logon(get("logon"))
        if logon is not None:
            logons.append((row, name, logon))
        inventory.items.append(ItemRecord(Kind.SERVER, name, fields, row))
    _warn_stale(collector, table, col["logon"], logons)
    for entry in domains.values():
        inventory.items.append(
            ItemRecord(
                Kind.DIRECTORY,
                entry["name"],
                {"type": "active_directory", "computer_accounts": entry["computers"]},
            )
        )
    if clients:
        collector.warnings.append(
            f"{label}: {clients} workstation computer accounts counted in their directory, "
            "not imported as servers"
        )
    return complete(inventory, collector, mapping, [table], label)


def _columns(collector: Collector, table: Table) -> dict[str, int | None]:
    """The AD export columns this reader uses, under the names Export-Csv and csvde give them;
    a file that names no computers stops here with that one error."""
    col = {
        "name": table.column("Name", "cn", "sAMAccountName"),
        "sam": table.column("sAMAccountName", "SamAccountName"),
        "dn": table.column("DistinguishedName", "DN"),
        "dns": table.column("DNSHostName"),
        "os": table.column("OperatingSystem"),
        "os_version": table.column("OperatingSystemVersion"),
        "enabled": table.column("Enabled"),
        "uac": table.column("userAccountControl"),
        "logon": table.column("LastLogonDate", "lastLogonTimestamp", "LastLogon"),
        "ip": table.column("IPv4Address"),
        "owner": table.column("ManagedBy"),
    }
    if col["name"] is None and col["dns"] is None:
        collector.error(
            table, table.header_row, 0, "no Name, cn or DNSHostName column; it names the computers"
        )
        collector.finish()
    return col


def _server_fields(
    collector: Collector,
    table: Table,
    row: int,
    cells: Any,
    col: dict[str, int | None],
    mapped: Any,
    domain: str | None,
) -> dict[str, Any]:
    """A server computer's fields: its directory (so it is linked to its domain), OS, OS
    version and IP, then the mapping's custom columns."""

    def get(key: str) -> Any:
        return table.cell(cells, col[key])

    fields: dict[str, Any] = {}
    if domain:
        fields["directory"] = domain
    collector.put(fields, Kind.SERVER, "os", get("os"), table, row, col["os"])
    collector.put(
        fields, Kind.SERVER, "os_version", get("os_version"), table, row, col["os_version"]
    )
    collector.put(fields, Kind.SERVER, "ip", get("ip"), table, row, col["ip"])
    apply_mapping(collector, table, mapped, Kind.SERVER, row, cells, fields)
    return fields


def _computer_name(name: str | None, dns: str | None, col: dict[str, int | None]) -> str | None:
    """The computer's name: sAMAccountName without its trailing `$` (machine accounts end in
    one), else the first label of DNSHostName."""
    if name and col["name"] == col["sam"]:
        name = name.rstrip("$")
    return name or (dns.split(".", 1)[0] if dns else None)


def _warn_stale(
    collector: Collector, table: Table, column: int | None, logons: list[tuple[int, str, datetime]]
) -> None:
    """Warn about computers whose last logon is long before the newest one in the file
    (relative to the file, not to today, so the same file always says the same thing)."""
    if not logons:
        return
    newest = max(when for _, _, when in logons)
    for row, name, when in logons:
        if newest - when > timedelta(days=STALE_DAYS):
            collector.warn(
                table,
                row,
                column,
                f"{show(name)} last logged on {when.date().isoformat()}, "
                f"more than {STALE_DAYS} days "
                f"before the newest logon in the file ({newest.date().isoformat()})",
            )


def _domain(dn: str, dns: str | None) -> str | None:
    """`CN=SRV01,OU=Servers,DC=nordby,DC=local` -> `nordby.local`; else DNSHostName's suffix."""
    parts = re.findall(r"(?:^|,)\s*DC=([^,]+)", dn, flags=re.I)
    if parts:
        return ".".join(part.strip() for part in parts).lower()
    if dns and "." in dns:
        return dns.split(".", 1)[1].lower()
    return None


def _disabled(enabled: Any, uac: Any) -> bool:
    if enabled is not None:
        return str(enabled).strip().lower() in ("false", "0", "no", "falsk", "nej")
    if uac is not None:
        try:
            return bool(int(str(uac).strip()) & _UAC_DISABLED)
        except ValueError:
            return False
    return False


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d",
)


def _logon(value: Any) -> datetime | None:
    """LastLogonDate in a few locales' formats, or a csvde FILETIME (100 ns since 1601)."""
    if value is None:
        return None
    text = str(value).strip()
    if text.isdigit():
        ticks = int(text)
        return _FILETIME_EPOCH + timedelta(microseconds=ticks // 10) if ticks > 0 else None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None
