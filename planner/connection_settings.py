"""The `[connections]` section of plan.toml: which traffic is noise, which is a tight coupling.

Why its own module: the rules belong to the connection import, which reads them from the
working directory's plan.toml (the file `planner plan --init` writes), and `planner plan`
only needs to know that the section is valid. Every key has a default, so a capture
imports sensibly with no configuration at all.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from exports.errors import PlannerError

#: Ports whose traffic is infrastructure, not business: every server talks to them.
NOISE_PORTS: dict[int, str] = {
    53: "DNS",
    67: "DHCP",
    68: "DHCP",
    123: "NTP",
    161: "SNMP",
    162: "SNMP trap",
    514: "syslog",
    10050: "Zabbix agent",
    10051: "Zabbix server",
    5666: "NRPE",
    9100: "node exporter",
}
#: Processes of the same services and agents, folded (case, path and `.exe` ignored).
NOISE_PROCESSES = (
    "dns",
    "named",
    "unbound",
    "dnsmasq",
    "dhcpd",
    "dhcpcd",
    "ntpd",
    "chronyd",
    "w32time",
    "snmpd",
    "snmptrapd",
    "rsyslogd",
    "syslog-ng",
    "nxlog",
    "zabbix_agentd",
    "zabbix_agent2",
    "zabbix_server",
    "zabbix_proxy",
    "nrpe",
    "node_exporter",
)
#: Ports that mean a tight coupling: the client stops working when the server is away
#: (databases and caches; file shares are not among them: SMB is often incidental).
HARD_PORTS: dict[int, str] = {
    1433: "SQL Server",
    1521: "Oracle",
    1522: "Oracle",
    3306: "MySQL/MariaDB",
    5432: "PostgreSQL",
    27017: "MongoDB",
    50000: "Db2",
    6379: "Redis",
    9042: "Cassandra",
    5984: "CouchDB",
    2638: "SAP SQL Anywhere",
    1583: "Pervasive",
    3050: "Firebird",
}


@dataclass(frozen=True)
class ConnectionSettings:
    """What the connection import keeps, drops and calls hard (see docs/file-formats.md)."""

    hard_ports: frozenset[int] = frozenset(HARD_PORTS)
    noise_ports: frozenset[int] = frozenset(NOISE_PORTS)
    noise_processes: frozenset[str] = frozenset(NOISE_PROCESSES)
    exclude_servers: frozenset[str] = frozenset()  # folded names
    min_count: int = 1
    hub_share: float = 0.5
    hub_min_partners: int = 10
    hubs: str = "exclude"  # "exclude": a hub's pairs become no dependencies; "keep"
    labels: dict[int, str] = field(
        default_factory=lambda: {**NOISE_PORTS, **HARD_PORTS}, compare=False
    )

    def as_dict(self) -> dict[str, Any]:
        """The settings used, stored with the capture (sorted, for people and diffs)."""
        data = asdict(self)
        data.pop("labels")
        return {
            key: sorted(value) if isinstance(value, frozenset) else value
            for key, value in data.items()
        }


_KEYS = (
    "hard_ports",
    "noise_ports",
    "noise_processes",
    "exclude_servers",
    "min_count",
    "hub_share",
    "hub_min_partners",
    "hubs",
)


def parse_settings(section: Any, label: str = "plan.toml") -> ConnectionSettings:
    """Validate a `[connections]` table; every problem is `FILE: connections.KEY: message`
    (without a label, `KEY: message`, for plan.toml's own validation to prefix)."""
    if not isinstance(section, dict):
        raise PlannerError(f"{label}: connections: must be a table ([connections])")
    at = f"{label}: connections." if label else ""
    problems = [
        f"{at}{key}: unknown key (known: {', '.join(_KEYS)})" for key in section if key not in _KEYS
    ]
    values: dict[str, Any] = {}
    for key in ("hard_ports", "noise_ports"):
        if key in section:
            ports = section[key]
            if not isinstance(ports, list) or not all(
                type(p) is int and 1 <= p <= 65535 for p in ports
            ):
                problems.append(
                    f"{at}{key}: must be a list of port numbers (1-65535), got {ports!r}"
                )
            else:
                values[key] = frozenset(ports)
    for key in ("noise_processes", "exclude_servers"):
        if key in section:
            names = section[key]
            if not isinstance(names, list) or not all(
                isinstance(n, str) and n.strip() for n in names
            ):
                problems.append(f"{at}{key}: must be a list of names, got {names!r}")
            else:
                values[key] = frozenset(_fold(n, key == "noise_processes") for n in names)
    _number(section, "min_count", 1, None, values, problems, at, whole=True)
    _number(section, "hub_min_partners", 1, None, values, problems, at, whole=True)
    _number(section, "hub_share", 0.0, 1.0, values, problems, at, whole=False)
    if "hubs" in section:
        if section["hubs"] not in ("exclude", "keep"):
            problems.append(f'{at}hubs: must be "exclude" or "keep", got {section["hubs"]!r}')
        else:
            values["hubs"] = section["hubs"]
    if problems:
        raise PlannerError("\n".join(problems))
    return ConnectionSettings(**values)


def _fold(name: str, process: bool) -> str:
    text = name.strip().casefold()
    if process:
        return text.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".exe")
    return text.rstrip(".")


def _number(
    section: dict[str, Any],
    key: str,
    low: float,
    high: float | None,
    values: dict[str, Any],
    problems: list[str],
    at: str,
    *,
    whole: bool,
) -> None:
    if key not in section:
        return
    value = section[key]
    ok = type(value) is int if whole else type(value) in (int, float)
    if not ok or value < low or (high is not None and value > high):
        kind = "a whole number" if whole else "a number"
        upper = f" and at most {high}" if high is not None else ""
        problems.append(f"{at}{key}: must be {kind} of at least {low}{upper}, got {value!r}")
    else:
        values[key] = value


def load_settings(path: Path | None = None) -> ConnectionSettings:
    """`[connections]` of the given plan.toml, else of ./plan.toml, else the defaults."""
    if path is None:
        path = Path("plan.toml")
        if not path.is_file():
            return ConnectionSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise PlannerError(f"{path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PlannerError(f"{path}: not valid TOML: {exc}") from None
    return parse_settings(data.get("connections", {}), str(path))


EXAMPLE = """
[connections]                      # `planner import CAPTURE --format connections` (observed traffic)
# hard_ports = [1433, 1521, 3306, 5432, 27017, 50000]   # a hard `uses`; other ports are soft
# noise_ports = [53, 67, 68, 123, 161, 162, 514, 5666, 9100, 10050, 10051]   # never dependencies
# noise_processes = ["zabbix_agentd", "nrpe", "node_exporter", "snmpd", "ntpd", "chronyd"]
# exclude_servers = ["NB-MON-01"]  # backup/monitoring servers: their traffic is no dependency
# min_count = 1                    # pairs observed fewer times are noise
# hub_share = 0.5                  # a server talking to more than this share of all servers …
# hub_min_partners = 10            # … and to at least this many is a hub (`planner check`)
# hubs = "exclude"                 # a hub's pairs become no dependencies; "keep" keeps them
"""  # noqa: E501 (part of the sample plan.toml that `planner plan --init` writes)
