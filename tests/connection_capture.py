"""A generated municipality and connection capture like the held-out ones (tests, benchmark).

What makes it hard in the ways real captures are: business traffic names its servers by
short name, FQDN or only by IP (independently at each end); a monitoring server talks to
every server, partly on ports that are no noise port (SSH, WinRM, HTTPS) so that only hub
detection keeps it out; every server asks DNS and NTP; some servers reach the internet;
and there are loopback and same-server rows.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DOMAIN = "nordby.local"
BUSINESS_PORTS = (1433, 443, 8080, 445, 5432, 80, 8443, 3306, 1521, 389)
EXTERNAL = ("52.169.10.20", "20.190.128.5", "151.101.1.69", "2606:4700::6810:84e5")


@dataclass
class Estate:
    """The inventory's servers with their IPs, and the true business pairs (client, server)."""

    servers: dict[str, str]  # name -> ip
    pairs: set[tuple[str, str]] = field(default_factory=set)
    hub: str = "NB-MON-01"
    dns: str = "NB-DNS-01"


def estate(servers: int = 60, pairs: int = 120, seed: int = 7) -> Estate:
    """`servers` business servers (+ monitoring and DNS) with random client→server pairs."""
    rnd = random.Random(seed)
    names = {f"NB-APP-{i:03d}": f"10.20.{i // 200}.{i % 200 + 10}" for i in range(servers)}
    names["NB-MON-01"] = "10.20.9.5"
    names["NB-DNS-01"] = "10.20.9.53"
    result = Estate(names)
    business = [name for name in names if name.startswith("NB-APP")]
    while len(result.pairs) < pairs:
        client, server = rnd.sample(business, 2)
        if (server, client) not in result.pairs:
            result.pairs.add((client, server))
    return result


def _end(rnd: random.Random, name: str, ip: str) -> tuple[str, str]:
    """(name, ip) as a capture shows it: short name, FQDN, or only the IP."""
    choice = rnd.random()
    if choice < 0.34:
        return name.lower() if rnd.random() < 0.5 else name, ip
    if choice < 0.67:
        return f"{name.lower()}.{DOMAIN}", ip
    return "", ip


def rows(
    world: Estate, total: int, seed: int = 11
) -> Iterator[tuple[str, str, str, str, int, str]]:
    """(source name, source IP, destination name, destination IP, port, process) rows;
    about 70 % business traffic."""
    rnd = random.Random(seed)
    pairs = sorted(world.pairs)
    ports = {pair: BUSINESS_PORTS[n % len(BUSINESS_PORTS)] for n, pair in enumerate(pairs)}
    servers = sorted(world.servers)
    for number in range(total):
        kind = number % 10
        if kind < 7:  # business: every pair at least once in the first rows
            client, server = (
                pairs[number // 10 % len(pairs)] if number < len(pairs) * 10 else rnd.choice(pairs)
            )
            port, process = ports[(client, server)], "app"
        elif kind == 7:  # the monitoring hub polls everything, partly on non-noise ports
            client, server = world.hub, rnd.choice(servers)
            port = rnd.choice((10050, 22, 5985, 443, 161))
            process = "zabbix_server" if port == 10050 else "check_by_ssh"
            if rnd.random() < 0.3:
                client, server, port, process = server, world.hub, 10051, "zabbix_agentd"
        elif kind == 8:  # DNS and NTP
            client = rnd.choice(servers)
            server, port = (world.dns, 53) if rnd.random() < 0.6 else ("ntp", 123)
            process = "svchost"
        else:  # the internet, loopback, same server
            client = rnd.choice(servers)
            server, port, process = rnd.choice(EXTERNAL), 443, "chrome"
            if rnd.random() < 0.1:
                server, port = "loopback", 8080
        if client == server:
            continue
        yield (*_pick(rnd, world, client), *_pick(rnd, world, server), port, process)


def _pick(rnd: random.Random, world: Estate, name: str) -> tuple[str, str]:
    if name in world.servers:
        return _end(rnd, name, world.servers[name])
    if name == "ntp":
        return "", "10.20.9.123"
    if name == "loopback":
        return "localhost", "127.0.0.1"
    return "", name


def write_generic(path: Path, world: Estate, total: int, seed: int = 11) -> Path:
    """The generic layout: an end is its name if it has one, else its IP."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "source",
                "destination",
                "port",
                "protocol",
                "process",
                "count",
                "first_seen",
                "last_seen",
            ]
        )
        for s_name, s_ip, d_name, d_ip, port, process in rows(world, total, seed):
            writer.writerow(
                [
                    s_name or s_ip,
                    d_name or d_ip,
                    port,
                    "udp" if port in (53, 123, 161) else "tcp",
                    process,
                    1 + port % 3,
                    "2026-11-02T08:00",
                    "2026-11-27T17:30",
                ]
            )
    return path


AZURE_HEADER = [
    "Time slot",
    "Source server name",
    "Source IP",
    "Source application",
    "Source process",
    "Destination server name",
    "Destination IP",
    "Destination application",
    "Destination process",
    "Destination port",
]


def write_azure(path: Path, world: Estate, total: int, seed: int = 11) -> Path:
    """Azure Migrate's dependency export as CSV: both name and IP columns (name may be blank)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(AZURE_HEADER)
        for number, (s_name, s_ip, d_name, d_ip, port, process) in enumerate(
            rows(world, total, seed)
        ):
            slot = f"{2 + number % 20:02d}-11-2026 {number % 24:02d}:00 - {number % 24:02d}:59"
            writer.writerow([slot, s_name, s_ip, "", process, d_name, d_ip, "", process, port])
    return path
