"""Observed dependencies: a connection capture matched to the stored inventory.

The reader (`inventories.connections`) folds a capture into flows between raw endpoints.
Here each endpoint is matched to the municipality's inventory — by server name (short or
FQDN), else by the servers' `ip`, else by a network's CIDR ("in network X, unknown host")
— and the flows become `uses` dependencies (client needs server), after the noise rules
of `[connections]` set aside infrastructure traffic and hub servers. What is set aside is
counted and stored with the capture, never dropped silently: `planner check` reports the
unknown endpoints and hubs, and the import prints the rest.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from inventories.connections import Capture
from inventories.records import Inventory
from planner.connection_settings import ConnectionSettings
from exports.errors import PlannerError
from planner.models import (
    Application,
    ConnectionCapture,
    Dependency,
    Municipality,
    Network,
    Server,
    name_key,
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Prefix = ipaddress.IPv4Network | ipaddress.IPv6Network
End = tuple[str, str]  # ("server", name) | ("network", name) | ("unknown", address or name)


class Matcher:
    """The municipality's servers, networks and applications, indexed for endpoint lookups."""

    def __init__(
        self,
        servers: list[tuple[str, str | None]],
        networks: list[tuple[str, str | None]],
        applications: list[str],
    ) -> None:
        self.by_name: dict[str, str] = {}
        short: dict[str, set[str]] = defaultdict(set)
        self.by_ip: dict[Address, str] = {}
        for name, ips in sorted(servers, key=lambda s: s[0].casefold()):
            key = name.strip().casefold().rstrip(".")
            self.by_name[key] = name
            short[key.split(".", 1)[0]].add(name)
            for part in re.split(r"[,;\s]+", ips or ""):
                address = _address(part)
                if address is not None:
                    self.by_ip.setdefault(address, name)
        #: A short name that two servers share (two domains) matches neither.
        self.by_short = {key: next(iter(names)) for key, names in short.items() if len(names) == 1}
        self.prefixes: list[tuple[Prefix, str]] = []
        for name, cidrs in networks:
            for part in re.split(r"[,;\s]+", cidrs or ""):
                try:
                    self.prefixes.append((ipaddress.ip_network(part, strict=False), name))
                except ValueError:
                    continue  # `planner check` reports unreadable CIDRs of the inventory
        self.prefixes.sort(key=lambda p: -p[0].prefixlen)  # the most specific network wins
        self.applications = {name.strip().casefold(): name for name in applications}
        self._cache: dict[tuple[str, str], End] = {}

    def resolve(self, name: str, ip: str) -> End:
        """Name (full, then short), else IP, else the network holding the IP, else unknown."""
        found = self._cache.get((name, ip))
        if found is None:
            found = self._resolve(name, ip)
            self._cache[(name, ip)] = found
        return found

    def _resolve(self, name: str, ip: str) -> End:
        if name:
            server = self.by_name.get(name) or self.by_short.get(name.split(".", 1)[0])
            if server is not None:
                return ("server", server)
        address = _address(ip)
        if address is not None:
            server = self.by_ip.get(address)
            if server is not None:
                return ("server", server)
            for prefix, network in self.prefixes:
                if address.version == prefix.version and address in prefix:
                    return ("network", network)
        return ("unknown", ip or name)

    def application(self, name: str) -> str | None:
        return self.applications.get(name) if name else None


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip()) if text else None
    except ValueError:
        return None


@dataclass
class Link:
    """Traffic between two inventory servers (or their applications), summed over flows."""

    ports: set[tuple[int, str]] = field(default_factory=set)
    processes: set[str] = field(default_factory=set)
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def add(
        self,
        port: int,
        protocol: str,
        processes: tuple[str, ...],
        count: int,
        first: datetime | None,
        last: datetime | None,
    ) -> None:
        self.ports.add((port, protocol))
        self.processes.update(p for p in processes if p)
        self.count += count
        if first is not None and (self.first is None or first < self.first):
            self.first = first
        if last is not None and (self.last is None or last > self.last):
            self.last = last

    def fold(self, other: Link) -> None:
        self.ports |= other.ports
        self.processes |= other.processes
        self.count += other.count
        for value in (other.first, other.last):
            if value is not None:
                self.first = value if self.first is None or value < self.first else self.first
                self.last = value if self.last is None or value > self.last else self.last


@dataclass
class Unknown:
    """An endpoint outside the inventory: a network's unknown hosts, or one address/name."""

    endpoint: str
    network: str | None = None
    count: int = 0
    ports: set[int] = field(default_factory=set)
    servers: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "network": self.network,
            "observations": self.count,
            "ports": sorted(self.ports),
            "servers": sorted(self.servers, key=str.casefold),
            "hosts": sorted(self.hosts)[:20],
            "host_count": len(self.hosts),
        }


#: (from kind, from name, to kind, to name, client server, server server)
LinkKey = tuple[str, str, str, str, str, str]


@dataclass
class Analysis:
    """What a capture says once matched: dependencies, and everything set aside."""

    links: dict[LinkKey, Link] = field(default_factory=dict)
    set_aside: Counter[str] = field(default_factory=Counter)  # reason -> observations
    unknown: dict[str, Unknown] = field(default_factory=dict)
    hubs: list[dict[str, Any]] = field(default_factory=list)
    pairs: dict[tuple[str, str, str, str], Link] = field(default_factory=dict)


def analyse(
    capture: Capture, matcher: Matcher, settings: ConnectionSettings, server_count: int
) -> Analysis:
    """Match, filter noise, find hubs, and fold flows into dependency pairs."""
    result = Analysis()
    if capture.loopback:
        result.set_aside["loopback"] += capture.loopback
    for key, (count, first, last) in capture.flows.items():
        _flow(result, matcher, settings, key, count, first, last)
    _min_count(result, settings)
    _hubs(result, settings, server_count)
    for (fk, fn, tk, tn, _client, _server), link in result.links.items():
        result.pairs.setdefault((fk, fn, tk, tn), Link()).fold(link)
    return result


def _flow(
    result: Analysis,
    matcher: Matcher,
    settings: ConnectionSettings,
    key: Any,
    count: int,
    first: datetime | None,
    last: datetime | None,
) -> None:
    """One flow: set aside as noise, unknown, same server or internal; else a link."""
    s_name, s_ip, s_app, s_proc, d_name, d_ip, d_app, d_proc, port, protocol = key
    reason = _noise(settings, port, (s_proc, d_proc))
    source, target = matcher.resolve(s_name, s_ip), matcher.resolve(d_name, d_ip)
    if reason is None:
        reason = _excluded(settings, (source, s_name, s_ip), (target, d_name, d_ip))
    if reason is not None:
        result.set_aside[reason] += count
        return
    if source[0] != "server" or target[0] != "server":
        for end, other, raw in ((source, target, s_name or s_ip), (target, source, d_name or d_ip)):
            if end[0] != "server":
                _unknown(result, end, other, raw, port, count)
        result.set_aside["unknown endpoint"] += count
        return
    if source[1] == target[1]:
        result.set_aside["same server"] += count
        return
    app_from, app_to = matcher.application(s_app), matcher.application(d_app)
    if app_from is not None and app_from == app_to:
        result.set_aside["within one application"] += count
        return
    link_key = (
        "application" if app_from else "server",
        app_from or source[1],
        "application" if app_to else "server",
        app_to or target[1],
        source[1],
        target[1],
    )
    link = result.links.get(link_key)
    if link is None:
        link = result.links[link_key] = Link()
    link.add(port, protocol, (s_proc, d_proc), count, first, last)


def _noise(settings: ConnectionSettings, port: int, processes: tuple[str, str]) -> str | None:
    if port in settings.noise_ports:
        label = settings.labels.get(port)
        return f"port {port}" + (f" ({label})" if label else "")
    for process in processes:
        if process and process in settings.noise_processes:
            return f"process {process}"
    return None


def _excluded(settings: ConnectionSettings, *ends: tuple[End, str, str]) -> str | None:
    """An end listed in `exclude_servers`: by its inventory name (full or short), raw name or IP."""
    if not settings.exclude_servers:
        return None
    for (kind, resolved), name, ip in ends:
        names = {name, name.split(".", 1)[0], ip}
        if kind == "server":
            names |= {resolved.casefold(), resolved.casefold().split(".", 1)[0]}
        if names & settings.exclude_servers:
            return f"server {resolved if kind == 'server' else name or ip} (exclude_servers)"
    return None


def _unknown(result: Analysis, end: End, other: End, raw: str, port: int, count: int) -> None:
    kind, name = end
    label = f"{name} (unknown host)" if kind == "network" else name
    entry = result.unknown.get(label)
    if entry is None:
        entry = result.unknown[label] = Unknown(label, name if kind == "network" else None)
    entry.count += count
    entry.ports.add(port)
    if other[0] == "server":
        entry.servers.add(other[1])
    if kind == "network":
        entry.hosts.add(raw)


def _min_count(result: Analysis, settings: ConnectionSettings) -> None:
    """Server pairs seen fewer than `min_count` times are noise (a one-off scan, a typo)."""
    if settings.min_count <= 1:
        return
    totals: Counter[tuple[str, str]] = Counter()
    for key, link in result.links.items():
        totals[(key[4], key[5])] += link.count
    for key in [k for k in result.links if totals[(k[4], k[5])] < settings.min_count]:
        result.set_aside[f"fewer than {settings.min_count} observations (min_count)"] += (
            result.links.pop(key).count
        )


def _hubs(result: Analysis, settings: ConnectionSettings, server_count: int) -> None:
    """Servers talking to more than `hub_share` of all servers glue the estate together."""
    partners: dict[str, set[str]] = defaultdict(set)
    for key in result.links:
        partners[key[4]].add(key[5])
        partners[key[5]].add(key[4])
    limit = settings.hub_share * server_count
    hubs = sorted(
        (s for s, p in partners.items() if len(p) > limit and len(p) >= settings.hub_min_partners),
        key=str.casefold,
    )
    for hub in hubs:
        links = [k for k in result.links if hub in (k[4], k[5])]
        ports = Counter(port for k in links for port, _ in result.links[k].ports)
        result.hubs.append(
            {
                "server": hub,
                "partners": len(partners[hub]),
                "servers": server_count,
                "share": round(len(partners[hub]) / max(server_count, 1), 3),
                "ports": sorted(port for port, _ in ports.most_common(10)),
                "excluded": settings.hubs == "exclude",
                "observations": sum(result.links[k].count for k in links),
            }
        )
    if settings.hubs != "exclude":
        return
    for key in [k for k in result.links if k[4] in hubs or k[5] in hubs]:
        hub = key[4] if key[4] in hubs else key[5]
        result.set_aside[f"hub {hub}"] += result.links.pop(key).count


def store_observed(session: Session, inventory: Inventory, report: Any) -> None:
    """Replace the municipality's observed dependencies with this capture's, in the caller's
    transaction; `report` (an ImportReport) hears what was created, removed and set aside."""
    capture: Capture = inventory.capture
    settings: ConnectionSettings = capture.settings or ConnectionSettings()
    municipality = (
        session.execute(
            select(Municipality).where(
                col(Municipality.name_key) == name_key(inventory.municipality)
            )
        )
        .scalars()
        .first()
    )
    if municipality is None or municipality.id is None:
        raise PlannerError(
            f"{inventory.source}: municipality {inventory.municipality!r} has no "
            "inventory yet; import its workbook (or RVTools/AD export) first, since "
            "the capture's endpoints are matched to its servers and networks"
        )
    mid = municipality.id
    matcher = _matcher(session, mid)
    analysis = analyse(capture, matcher, settings, len(matcher.by_name))
    _replace_dependencies(session, mid, inventory.source, analysis, settings, report)
    session.execute(delete(ConnectionCapture).where(col(ConnectionCapture.municipality_id) == mid))
    session.add(
        ConnectionCapture(
            municipality_id=mid,
            source=inventory.source,
            rows=capture.rows,
            summary_json=json.dumps(_summary(capture, analysis, settings), ensure_ascii=False),
        )
    )
    report.warnings.extend(_notes(inventory.source, capture, analysis))
    session.flush()


def _matcher(session: Session, mid: int) -> Matcher:
    servers = [
        (s.name, s.ip)
        for s in session.execute(select(Server).where(col(Server.municipality_id) == mid)).scalars()
    ]
    networks = [
        (n.name, n.cidr)
        for n in session.execute(
            select(Network).where(col(Network.municipality_id) == mid)
        ).scalars()
    ]
    applications = [
        a.name
        for a in session.execute(
            select(Application).where(col(Application.municipality_id) == mid)
        ).scalars()
    ]
    return Matcher(servers, networks, applications)


def _replace_dependencies(
    session: Session,
    mid: int,
    source: str,
    analysis: Analysis,
    settings: ConnectionSettings,
    report: Any,
) -> None:
    """Observed rows are replaced whole; the workbook's own dependencies are never touched."""
    old = (
        session.execute(
            select(Dependency).where(
                col(Dependency.municipality_id) == mid, col(Dependency.observed).is_(True)
            )
        )
        .scalars()
        .all()
    )
    before = {
        (d.from_kind, d.from_name.casefold(), d.to_kind, d.to_name.casefold(), d.strength)
        for d in old
    }
    session.execute(
        delete(Dependency).where(
            col(Dependency.municipality_id) == mid, col(Dependency.observed).is_(True)
        )
    )
    rows: list[dict[str, Any]] = []
    for (fk, fn, tk, tn), link in sorted(analysis.pairs.items()):
        hard = any(port in settings.hard_ports for port, _ in link.ports)
        rows.append(
            {
                "municipality_id": mid,
                "from_kind": fk,
                "from_name": fn,
                "to_kind": tk,
                "to_name": tn,
                "kind": "uses",
                "strength": "hard" if hard else "soft",
                "note": f"observed in {source}",
                "observed": True,
                "ports": format_ports(link.ports),
                "processes": ", ".join(sorted(link.processes)[:20]) or None,
                "observations": link.count,
                "first_seen": _when(link.first),
                "last_seen": _when(link.last),
            }
        )
    after = {
        (
            r["from_kind"],
            r["from_name"].casefold(),
            r["to_kind"],
            r["to_name"].casefold(),
            r["strength"],
        )
        for r in rows
    }
    report.created["dependency"] += len(after - before)
    report.unchanged["dependency"] += len(after & before)
    report.removed["dependency"] += len(before - after)
    if rows:
        session.execute(insert(Dependency), rows)


def format_ports(ports: set[tuple[int, str]]) -> str:
    """`1433/tcp, 445/tcp`: sorted by number, at most 20 (a port scan is no dependency)."""
    shown = [f"{port}/{protocol}" for port, protocol in sorted(ports)]
    return ", ".join(shown[:20]) + (f" and {len(shown) - 20} more" if len(shown) > 20 else "")


def _when(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.hour == value.minute == 0:
        return value.date().isoformat()
    return value.isoformat(sep=" ", timespec="minutes")


def _summary(capture: Capture, analysis: Analysis, settings: ConnectionSettings) -> dict[str, Any]:
    hard = sum(
        1
        for link in analysis.pairs.values()
        if any(port in settings.hard_ports for port, _ in link.ports)
    )
    return {
        "layout": capture.layout,
        "rows": capture.rows,
        "flows": len(capture.flows),
        "dependencies": len(analysis.pairs),
        "hard": hard,
        "set_aside": dict(analysis.set_aside.most_common()),
        "unknown": [
            u.as_dict()
            for u in sorted(analysis.unknown.values(), key=lambda u: (-u.count, u.endpoint))
        ],
        "hubs": analysis.hubs,
        "settings": settings.as_dict(),
    }


def _notes(source: str, capture: Capture, analysis: Analysis) -> list[str]:
    """What the import set aside, one line each, so that no observation vanishes unseen."""
    observed = sum(link.count for link in analysis.pairs.values())
    lines = [
        (
            f"{source}: {capture.rows:,} row(s), {len(capture.flows):,} flow(s): "
            f"{observed:,} observation(s) became {len(analysis.pairs):,} observed dependencies"
        )
    ]
    if analysis.set_aside:
        reasons = ", ".join(
            f"{reason} {count:,}" for reason, count in analysis.set_aside.most_common(12)
        )
        more = len(analysis.set_aside) - 12
        lines.append(
            f"{source}: observations set aside: {reasons}"
            + (f" and {more} more reason(s)" if more > 0 else "")
        )
    if analysis.unknown:
        lines.append(
            f"{source}: {len(analysis.unknown):,} endpoint(s) outside the inventory; "
            "see `planner check` (unknown-endpoint)"
        )
    for hub in analysis.hubs:
        what = (
            "its traffic was left out"
            if hub["excluded"]
            else 'its traffic was kept (hubs = "keep")'
        )
        lines.append(
            f"{source}: {hub['server']} talks to {hub['partners']} of {hub['servers']} "
            f"servers, a hub: {what}; see `planner check` (hub-server)"
        )
    return lines
