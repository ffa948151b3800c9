"""RVTools exports (a workbook, or the folder of `RVTools_tab*.csv` files) -> servers and networks.

vInfo gives the virtual servers; vHost fills in a VM's cluster/datacenter and tells which
hosts exist; vNetwork, vPort/dvPort and vSwitch/dvSwitch give networks (port groups) and
their VLANs. RVTools 3.x writes `MB` where 4.x writes `MiB`; both mean 2^20 bytes.
Exports are often cut down, so missing tabs and columns are warnings that say what was
not available, never errors.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from inventories.csvfile import Collector, Table, missing_columns, read_csv, sheet_table
from inventories.mapping import apply_mapping, mapped_columns, report_unread, unused_mapping
from inventories.records import DependencyRecord, Inventory, ItemRecord
from inventories.schema import Kind, normalise_header
from inventories.values import show
from inventories.workbook import Limits, open_workbook
from exports.errors import PlannerError

TABS = ("vInfo", "vHost", "vNetwork", "vPort", "dvPort", "vSwitch", "dvSwitch")

#: vInfo columns we read; alternatives (4.x | 3.x | older) joined by '|'.
VINFO = (
    "VM",
    "Powerstate",
    "Template",
    "CPUs",
    "Memory",
    "Provisioned MiB|Provisioned MB",
    "In Use MiB|In Use MB",
    "OS according to the configuration file",
    "OS according to the VMware Tools",
    "Primary IP Address",
    "DNS Name",
    "Host",
    "Cluster",
    "Datacenter",
    "Annotation",
    "Network #1",
)

#: vInfo columns that RVTools itself writes after `Annotation`; anything else there is a
#: vCenter custom attribute (e.g. `AppOwner`), offered to `--mapping`.
_BUILT_IN_AFTER_ANNOTATION = {
    normalise_header(h)
    for h in (
        "Datacenter",
        "Cluster",
        "Host",
        "OS according to the configuration file",
        "OS according to the VMware Tools",
        "OS according to the configuration file (CPU)",
        "VM ID",
        "VM UUID",
        "VI SDK Server type",
        "VI SDK API Version",
        "VI SDK Server",
        "VI SDK UUID",
        "VM Version",
        "HW version",
        "HW upgrade status",
        "HW upgrade policy",
        "HW target",
        "Customization Info",
        "Guest Detailed Data",
        "SMBIOS UUID",
        "Backup status",
        "Last backup",
        "Latency Sensitivity",
        "Op Notification Timeout",
        "Firmware",
        "EnableUUID",
        "CBT",
        "Tools",
    )
}

MIB_PER_GB = 1024.0


def is_rvtools_folder(path: Path) -> bool:
    return path.is_dir() and any(_tab_of(p) for p in path.iterdir())


def _tab_of(path: Path) -> str | None:
    """`RVTools_tabvInfo.csv` -> `vinfo` (folded), else None."""
    name = path.name.lower()
    if path.is_file() and name.startswith("rvtools_tab") and name.endswith(".csv"):
        return name[len("rvtools_tab") : -4]
    return None


def load_tables(path: Path, label: str, limits: Limits | None = None) -> dict[str, Table]:
    """The RVTools tabs of a workbook, a folder of CSV files, or a single vInfo CSV, by folded
    name."""
    tables: dict[str, Table] = {}
    if path.is_dir():
        for file in sorted(path.iterdir()):
            tab = _tab_of(file)
            if tab:
                tables[tab] = read_csv(
                    file, f"{label.rstrip('/')}/{file.name}", limits, sheet=file.stem
                )
        if not tables:
            raise PlannerError(f"{label}: no RVTools_tab*.csv files in this folder")
        return tables
    if path.suffix.lower() == ".csv":
        tab = _tab_of(path) or "vinfo"
        tables[tab] = read_csv(path, label, limits)
        return tables
    book = open_workbook(path, label, limits)
    try:
        for title in book.sheetnames:
            key = normalise_header(title)
            if key in {t.lower() for t in TABS}:
                tables[key] = sheet_table(book, title)
    finally:
        book.close()
    return tables


def read_rvtools(
    path: str | Path,
    *,
    municipality: str,
    label: str | None = None,
    mapping: dict[str, str] | None = None,
    limits: Limits | None = None,
) -> Inventory:
    """Read an RVTools export completely; raise ImportFailed listing every problem."""
    path = Path(path)
    label = label or str(path)
    limits = limits or Limits.from_env()
    tables = load_tables(path, label, limits)
    if "vinfo" not in tables:
        raise PlannerError(f"{label}: no vInfo tab; RVTools exports list their VMs on vInfo")
    reader = _Reader(tables, label, mapping, municipality, limits)
    return reader.read()


class _Reader(Collector):
    def __init__(
        self,
        tables: dict[str, Table],
        label: str,
        mapping: dict[str, str] | None,
        municipality: str,
        limits: Limits,
    ) -> None:
        super().__init__(limits.max_text)
        self.tables = tables
        self.label = label
        self.mapping = mapping
        self.inventory = Inventory(municipality=municipality, source=label, mode="merge")

    def read(self) -> Inventory:
        absent = [tab for tab in TABS if tab.lower() not in self.tables]
        if absent:
            self.warnings.append(f"{self.label}: tabs not available: {', '.join(absent)}")
        hosts = self._hosts()
        vlans = self._vlans()
        networks = self._vm_networks()
        servers = self._servers(hosts, networks)
        self._networks(servers, networks, vlans)
        self.warnings.extend(unused_mapping(self.mapping, list(self.tables.values()), self.label))
        self.finish()
        self.inventory.warnings = self.warnings
        return self.inventory

    def _hosts(self) -> dict[str, dict[str, str | None]]:
        """{folded host name: {cluster, datacenter}} from vHost (empty when the tab is absent)."""
        table = self.tables.get("vhost")
        if table is None:
            return {}
        self._report_missing(table, ("Host", "Cluster", "Datacenter"))
        host_col, cluster_col, dc_col = (
            table.column("Host"),
            table.column("Cluster"),
            table.column("Datacenter"),
        )
        hosts: dict[str, dict[str, str | None]] = {}
        if host_col is None:
            return hosts
        clusters = set()
        for row, cells in table.rows:
            name = self.text(table.cell(cells, host_col), table, row, host_col, "Host")
            if not name:
                continue
            cluster = self.text(table.cell(cells, cluster_col), table, row, cluster_col, "Cluster")
            hosts[name.casefold()] = {
                "cluster": cluster,
                "datacenter": self.text(
                    table.cell(cells, dc_col), table, row, dc_col, "Datacenter"
                ),
            }
            if cluster:
                clusters.add(cluster.casefold())
        self.warnings.append(
            f"{self.label}: {len(hosts)} physical hosts in {len(clusters)} clusters on vHost "
            "(recorded as the servers' host and cluster, not imported as servers)"
        )
        return hosts

    def _vlans(self) -> dict[str, int]:
        """{folded port group: VLAN id} from vPort, dvPort, vSwitch and dvSwitch."""
        found: dict[str, int] = {}
        for tab in ("vport", "dvport", "vswitch", "dvswitch"):
            table = self.tables.get(tab)
            if table is None:
                continue
            group_col = table.column("Port Group", "Network", "Portgroup")
            vlan_col = table.column("VLAN")
            if group_col is None or vlan_col is None:
                continue
            for row, cells in table.rows:
                group, vlan = table.cell(cells, group_col), table.cell(cells, vlan_col)
                if group is None or vlan is None:
                    continue
                number = _vlan(vlan)
                if number is not None:
                    found.setdefault(str(group).strip().casefold(), number)
        return found

    def _vm_networks(self) -> dict[str, list[str]]:
        """{folded VM name: [networks of its NICs, in order]} from vNetwork."""
        table = self.tables.get("vnetwork")
        result: dict[str, list[str]] = {}
        if table is None:
            return result
        self._report_missing(table, ("VM", "Network"))
        vm_col, net_col = table.column("VM"), table.column("Network")
        if vm_col is None or net_col is None:
            return result
        for row, cells in table.rows:
            vm, network = table.cell(cells, vm_col), table.cell(cells, net_col)
            if vm is None or network is None:
                continue
            name = self.text(network, table, row, net_col, "Network")
            if name:
                nets = result.setdefault(str(vm).strip().casefold(), [])
                if name.casefold() not in (n.casefold() for n in nets):
                    nets.append(name)
        return result

    def _servers(
        self, hosts: dict[str, dict[str, str | None]], networks: dict[str, list[str]]
    ) -> list[ItemRecord]:
        table = self.tables["vinfo"]
        self._report_missing(table, VINFO)
        col = {spec.split("|")[0]: table.column(*spec.split("|")) for spec in VINFO}
        if col["VM"] is None:
            self.error(
                table, table.header_row, 0, "vInfo has no VM column; it names the virtual machines"
            )
            return []
        mapped = mapped_columns(table, self.mapping, Kind.SERVER)
        self._report_custom_attributes(table, mapped)
        custom = self._custom_columns(table)
        report_unread(self, table, [*col.values(), *mapped, *custom])
        seen: dict[str, int] = {}
        servers: list[ItemRecord] = []
        missing_hosts: dict[str, list[tuple[int, str]]] = {}
        powered_off: dict[str, list[tuple[int, str]]] = {}
        for row, cells in table.rows:
            get = lambda name: table.cell(cells, col[name])  # noqa: E731
            name = self.text(get("VM"), table, row, col["VM"], "VM")
            if not name:
                self.warn(table, row, col["VM"], "row skipped: it has no VM name")
                continue
            if _true(get("Template")):
                self.warn(table, row, col["Template"], f"template {show(name)} skipped")
                continue
            key = name.casefold()
            if key in seen:  # exports often list a VM twice: one server, merged when stored
                self.warn(
                    table,
                    row,
                    col["VM"],
                    f"VM {show(name)} is listed again (first on row "
                    f"{seen[key]}); the rows are merged into one server",
                )
            seen.setdefault(key, row)
            power = get("Powerstate")
            if power is not None and str(power).strip().lower() != "poweredon":
                powered_off.setdefault(str(power).strip(), []).append((row, name))
            fields: dict[str, Any] = {"virtual": True}
            self._vm_figures(fields, get, table, row, col)
            host, unknown = self._vm_host(fields, get, table, row, col, hosts)
            if host and hosts and unknown:
                missing_hosts.setdefault(host, []).append((row, name))
            nets = self._vm_nets(fields, get, table, row, col, networks.get(key) or [])
            apply_mapping(self, table, mapped, Kind.SERVER, row, cells, fields)
            item = ItemRecord(Kind.SERVER, name, fields, row)
            servers.append(item)
            for other in nets[1:]:
                self.inventory.dependencies.append(
                    DependencyRecord(
                        "server",
                        name,
                        "network",
                        other,
                        "connected_via",
                        "hard",
                        note="further NIC (RVTools)",
                        row=row,
                    )
                )
        self._warn_grouped(table, col, powered_off, missing_hosts)
        self.inventory.items.extend(servers)
        return servers

    def _warn_grouped(
        self,
        table: Table,
        col: dict[str, int | None],
        powered_off: dict[str, list[tuple[int, str]]],
        missing_hosts: dict[str, list[tuple[int, str]]],
    ) -> None:
        """One warning per power state and per missing host, naming some of their VMs, rather
        than one per VM (an export of thousands of VMs would bury the rest)."""
        for state, vms in powered_off.items():
            self.warn(
                table,
                vms[0][0],
                col["Powerstate"],
                f"{_some(vms)} {'is' if len(vms) == 1 else 'are'} {state}; imported all the same",
            )
        for host, vms in missing_hosts.items():
            self.warn(
                table,
                vms[0][0],
                col["Host"],
                f"host {show(host)} of {_some(vms)} is not on the vHost tab",
            )

    def _vm_figures(
        self,
        fields: dict[str, Any],
        get: Callable[[str], Any],
        table: Table,
        row: int,
        col: dict[str, int | None],
    ) -> None:
        """A VM's vCPUs, memory and storage in GB (provisioned, else in use: exports of
        powered-off VMs often leave one empty), OS (the configured one first) and IP."""
        self.put(fields, Kind.SERVER, "vcpu", get("CPUs"), table, row, col["CPUs"])
        for header, field in (("Memory", "ram_gb"), ("Provisioned MiB", "storage_gb")):
            mib = self.number(get(header), table, row, col[header], header)
            if mib is not None:
                fields[field] = round(mib / MIB_PER_GB, 2)
        if "storage_gb" not in fields:
            used = self.number(get("In Use MiB"), table, row, col["In Use MiB"], "In Use MiB")
            if used is not None:
                fields["storage_gb"] = round(used / MIB_PER_GB, 2)
        os_name = get("OS according to the configuration file") or get(
            "OS according to the VMware Tools"
        )
        os_col = (
            col["OS according to the configuration file"]
            if get("OS according to the configuration file")
            else col["OS according to the VMware Tools"]
        )
        self.put(fields, Kind.SERVER, "os", os_name, table, row, os_col)
        self.put(
            fields,
            Kind.SERVER,
            "ip",
            get("Primary IP Address"),
            table,
            row,
            col["Primary IP Address"],
        )

    def _vm_nets(
        self,
        fields: dict[str, Any],
        get: Callable[[str], Any],
        table: Table,
        row: int,
        col: dict[str, int | None],
        nets: list[str],
    ) -> list[str]:
        """A VM's networks, vInfo's Network #1 first, then the vNetwork tab's; the first is the
        server's network field, the others become connected_via dependencies."""
        first = self.text(get("Network #1"), table, row, col["Network #1"], "Network #1")
        if first and first.casefold() not in (n.casefold() for n in nets):
            nets = [first, *nets]
        if nets:
            fields["network"] = nets[0]
        return nets

    def _vm_host(
        self,
        fields: dict[str, Any],
        get: Callable[[str], Any],
        table: Table,
        row: int,
        col: dict[str, int | None],
        hosts: dict[str, dict[str, str | None]],
    ) -> tuple[str | None, bool]:
        """A VM's host and cluster (from the vHost tab when the row leaves it empty); returns
        the host and whether vHost lacks it, so the caller can list such hosts once."""
        host = self.text(get("Host"), table, row, col["Host"], "Host")
        if host:
            fields["host"] = host
        known = _host(hosts, host) if host else None
        cluster = self.text(get("Cluster"), table, row, col["Cluster"], "Cluster") or (
            known or {}
        ).get("cluster")
        if cluster:
            fields["cluster"] = cluster
        return host, known is None

    def _networks(
        self, servers: list[ItemRecord], networks: dict[str, list[str]], vlans: dict[str, int]
    ) -> None:
        """One network item per port group the servers use (kind 'other': RVTools cannot tell)."""
        names: dict[str, str] = {}
        for server in servers:
            if server.fields.get("network"):
                names.setdefault(server.fields["network"].casefold(), server.fields["network"])
        for dep in self.inventory.dependencies:
            if dep.to_kind == "network":
                names.setdefault(dep.to_name.casefold(), dep.to_name)
        for key, name in names.items():
            fields: dict[str, Any] = {"kind": "other"}
            if key in vlans:
                fields["vlan"] = vlans[key]
            self.inventory.items.append(ItemRecord(Kind.NETWORK, name, fields))

    def _report_missing(self, table: Table, wanted: tuple[str, ...]) -> None:
        absent = missing_columns(table, wanted)
        if absent:
            self.warnings.append(
                f"{table.where(table.header_row, None)}: columns not available: {', '.join(absent)}"
            )

    def _custom_columns(self, table: Table) -> list[int]:
        """vCenter custom attribute columns (already reported on their own line)."""
        annotation = table.column("Annotation")
        found: list[int] = []
        start = annotation + 1 if annotation is not None else len(table.header)
        for index in range(start, len(table.header)):
            if normalise_header(table.header[index]) in _BUILT_IN_AFTER_ANNOTATION:
                break
            found.append(index)
        return found

    def _report_custom_attributes(self, table: Table, mapped: dict[int, str]) -> None:
        annotation = table.column("Annotation")
        if annotation is None:
            return
        custom = []
        for index in range(annotation + 1, len(table.header)):
            key = normalise_header(table.header[index])
            if key in _BUILT_IN_AFTER_ANNOTATION:
                break
            if index not in mapped and key:
                custom.append(table.header[index])
        if custom:
            example = custom[0]
            self.warnings.append(
                f"{table.where(table.header_row, annotation + 1)}: "
                "custom attribute columns not imported: "
                f'{", ".join(custom)} (map them with --mapping, e.g. {example} = "owner")'
            )


def _host(hosts: dict[str, dict[str, str | None]], host: str) -> dict[str, str | None] | None:
    """vHost's entry for a VM's host, by full name or short name (`esx01` vs `esx01.corp.local`)."""
    found = hosts.get(host.casefold())
    if found is None:
        short = host.casefold().split(".", 1)[0]
        matches = [entry for name, entry in hosts.items() if name.split(".", 1)[0] == short]
        found = matches[0] if len(matches) == 1 else None
    return found


def _some(vms: list[tuple[int, str]], limit: int = 10) -> str:
    """'a', 'b' and 3 more VMs — one line for many rows, naming the first few."""
    names = ", ".join(show(name) for _, name in vms[:limit])
    more = f" and {len(vms) - limit} more" if len(vms) > limit else ""
    return f"{len(vms)} VM{'s' if len(vms) != 1 else ''} ({names}{more})"


def _true(value: Any) -> bool:
    return value is True or (
        isinstance(value, str) and value.strip().lower() in ("true", "yes", "1")
    )


def _vlan(value: Any) -> int | None:
    """A single VLAN id 1-4094; trunks ('0-4094'), 0 (none) and 4095 (all) are not one network's
    VLAN."""
    try:
        number = int(float(str(value).strip()))
    except ValueError:
        return None
    return number if 1 <= number <= 4094 else None
