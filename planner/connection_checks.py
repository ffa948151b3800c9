"""`planner check` findings from connection captures: unknown endpoints and hub servers.

Both come from the summary each capture stores (`planner.connections`), so they are
reported until a newer capture or a corrected inventory makes them go away.
"""

from __future__ import annotations

from typing import Any

from planner.graph import DependencyGraph
from planner.snapshot import item_id

WARNING, INFO = "warning", "info"
#: (code, severity, message, items): `planner.checks` makes a Finding of each.
Found = tuple[str, str, str, list[str]]


def observed_findings(graph: DependencyGraph) -> list[Found]:
    """`unknown-endpoint` per network or address outside the inventory; `hub-server` per hub."""
    findings = []
    for municipality, summary in sorted(graph.snapshot.captures.items()):
        source = summary.get("source", "the connection capture")
        for entry in summary.get("unknown", []):
            findings.append(_unknown(municipality, source, entry))
        for hub in summary.get("hubs", []):
            findings.append(_hub(municipality, source, hub))
    return findings


def _unknown(municipality: str, source: str, entry: dict[str, Any]) -> Found:
    """An endpoint in a known network is an inventory gap (warning); outside, a fact (info)."""
    ports = ", ".join(str(port) for port in entry["ports"][:10])
    if len(entry["ports"]) > 10:
        ports += f" and {len(entry['ports']) - 10} more"
    servers = entry["servers"]
    talkers = ", ".join(servers[:5]) + (f" and {len(servers) - 5} more" if len(servers) > 5 else "")
    heard = f"; talks with {talkers}" if servers else ""
    if entry.get("network"):
        hosts = f"{entry['host_count']} unknown host(s) such as {', '.join(entry['hosts'][:3])}"
        message = (
            f"{municipality}: {source}: {hosts} in network {entry['network']}: "
            f"{entry['observations']:,} observation(s), port(s) {ports}{heard}; add them "
            "to the Servers sheet (name and ip) or they move without a plan"
        )
        items = [item_id(municipality, "network", entry["network"])]
        severity = WARNING
    else:
        message = (
            f"{municipality}: {source}: {entry['endpoint']} is outside the inventory: "
            f"{entry['observations']:,} observation(s), port(s) {ports}{heard}; an external "
            "service must stay reachable from the new platform"
        )
        items, severity = [], INFO
    items += [item_id(municipality, "server", name) for name in servers]
    return ("unknown-endpoint", severity, message, items)


def _hub(municipality: str, source: str, hub: dict[str, Any]) -> Found:
    what = (
        "its traffic was left out of the dependencies"
        if hub.get("excluded")
        else "its traffic is kept as dependencies and may glue the estate into one move group"
    )
    ports = ", ".join(str(port) for port in hub.get("ports", []))
    message = (
        f"{municipality}: {source}: {hub['server']} talks to {hub['partners']} of "
        f"{hub['servers']} servers ({hub['share']:.0%}; ports {ports}), a hub: {what}. "
        "Exclude it ([connections] exclude_servers) or treat it as platform, moved "
        "before or beside everything else"
    )
    return ("hub-server", WARNING, message, [item_id(municipality, "server", hub["server"])])
