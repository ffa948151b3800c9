"""`planner check`: the inventory's hidden problems, before anyone plans a cutover.

Each finding has a stable code, a severity (error, warning, info), a message and the
items involved. Errors mean no plan can be made as the inventory stands.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from planner.config import PlanConfig
from planner.connection_checks import observed_findings
from planner.graph import DependencyGraph, team_effort
from planner.problem import SCALE, scaled, scaled_capacity
from planner.snapshot import Item

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}

#: Operating systems past the vendor's end of support (as of 2026). Regexes on "os os_version".
END_OF_SUPPORT: list[tuple[str, str]] = [
    (
        r"windows\s*server.*\b(2000|2003|2008|2012)\b",
        "Windows Server 2012 R2 and older (support ended 2023-10-10)",
    ),
    (r"windows\s*(xp|vista|7|8(\.1)?)\b", "Windows 8.1 and older (support ended 2023-01-10)"),
    (r"windows\s*10\b", "Windows 10 (support ended 2025-10-14)"),
    # \D* makes the first number the major version, so RHEL 8.6 or 9.4 is not read as 6 or 4
    (r"centos\D*\b[5-8]\b", "CentOS Linux (support ended 2024-06-30)"),
    (r"(red\s*hat|rhel)\D*\b[4-6]\b", "RHEL 6 and older (maintenance ended 2020-11-30)"),
    (r"ubuntu.*\b(1[0-8]\.\d\d)\b", "Ubuntu 18.04 and older (standard support ended 2023-05-31)"),
    (r"(sles|suse).*\b(1[01])\b", "SUSE Linux Enterprise 11 and older"),
]
_EOL = [(re.compile(pattern, re.I), label) for pattern, label in END_OF_SUPPORT]


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    message: str
    items: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def run_checks(graph: DependencyGraph, config: PlanConfig | None = None) -> list[Finding]:
    """All findings, errors first, in a stable order."""
    findings: list[Finding] = []
    for check in (_cycles, _dangling, _ip_overlaps, _orphans, _end_of_support, _harmonisation):
        findings.extend(check(graph))
    findings.extend(Finding(*found) for found in observed_findings(graph))  # connection captures
    if config is not None:
        findings.extend(_oversized(graph, config))
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.code, f.items, f.message))


def _cycles(graph: DependencyGraph) -> list[Finding]:
    result = []
    for path, strict in graph.cycles:
        if strict:
            result.append(
                Finding(
                    "cycle",
                    ERROR,
                    "dependency loop with a strictly-before rule, "
                    "which no plan can satisfy: " + " -> ".join(path),
                    sorted(set(path)),
                )
            )
        else:
            result.append(
                Finding(
                    "cycle",
                    WARNING,
                    "dependency loop; its members can only move together and "
                    "were merged into one move group: " + " -> ".join(path),
                    sorted(set(path)),
                )
            )
    return result


def _dangling(graph: DependencyGraph) -> list[Finding]:
    # A consolidation target that names no application is reported once, as missing-target.
    return [
        Finding(
            "dangling-reference",
            ERROR,
            f"{d.item} refers to {d.reference} ({d.origin}), which does not exist",
            [d.item],
        )
        for d in graph.dangling
        if d.origin != "column target"
    ]


def _prefixes(item: Item) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    result = []
    for part in re.split(r"[,;\s]+", item.get("cidr") or ""):
        if part:
            try:
                result.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                continue
    return result


def _ip_overlaps(graph: DependencyGraph) -> list[Finding]:
    networks = [
        (item, prefix) for item in graph.snapshot.of_kind("network") for prefix in _prefixes(item)
    ]
    result = []
    for i, (a, pa) in enumerate(networks):
        for b, pb in networks[i + 1 :]:
            if a.id == b.id or pa.version != pb.version or not pa.overlaps(pb):
                continue
            if a.municipality != b.municipality:
                message = (
                    f"{a.id} ({pa}) overlaps {b.id} ({pb}) "
                    "of another municipality: this blocks a direct "
                    "interconnect; renumber one of them or plan NAT"
                )
            else:
                message = f"{a.id} ({pa}) overlaps {b.id} ({pb}) within {a.municipality}"
            result.append(Finding("ip-overlap", WARNING, message, sorted([a.id, b.id])))
    return result


def _orphans(graph: DependencyGraph) -> list[Finding]:
    snapshot = graph.snapshot
    result = []
    servers_used: set[str] = set()
    for edge in graph.edges:
        if edge.kind in ("runs_on", "hosted_by") and snapshot.items[edge.target].kind == "server":
            servers_used.add(edge.target)
    for server in snapshot.of_kind("server"):
        if server.id not in servers_used:
            result.append(
                Finding(
                    "server-without-application",
                    WARNING,
                    f"{server.id} runs no application: decommission it, or record what runs on it",
                    [server.id],
                )
            )
    for app in snapshot.of_kind("application"):
        if app.get("strategy") in ("retire", "saas", "retain"):
            continue
        if not app.get("servers") and not any(
            e.source == app.id and e.kind in ("runs_on", "hosted_by") for e in graph.edges
        ):
            result.append(
                Finding(
                    "application-without-server",
                    WARNING,
                    f"{app.id} has no server (set strategy saas or retire, or list its servers)",
                    [app.id],
                )
            )
    for wp in snapshot.of_kind("workplace"):
        if not wp.get("directory") and not any(
            e.source == wp.id and snapshot.items[e.target].kind == "directory" for e in graph.edges
        ):
            result.append(
                Finding(
                    "workplace-without-directory",
                    WARNING,
                    f"{wp.id} has no directory: its PCs cannot be joined to the common domain",
                    [wp.id],
                )
            )
    return result


def _end_of_support(graph: DependencyGraph) -> list[Finding]:
    result = []
    for item in graph.snapshot.items.values():
        if item.kind not in ("server", "workplace"):
            continue
        text = f"{item.get('os', '')} {item.get('os_version', '')}".strip()
        for pattern, label in _EOL:
            if text and pattern.search(text):
                result.append(
                    Finding("eol-os", WARNING, f"{item.id} runs {text}: {label}", [item.id])
                )
                break
    return result


def _harmonisation(graph: DependencyGraph) -> list[Finding]:
    snapshot = graph.snapshot
    by_function: dict[str, dict[str, list[Item]]] = defaultdict(lambda: defaultdict(list))
    result = []
    for app in snapshot.of_kind("application"):
        function = (app.get("function") or "").strip()
        if function and app.get("strategy") not in ("retire",):
            by_function[function.casefold()][app.name.casefold()].append(app)
        target = app.get("target")
        if target and app.get("strategy") in ("consolidate", "replace"):
            muni, _, name = target.rpartition("/")
            if snapshot.find(muni or app.municipality, "application", name) is None:
                result.append(
                    Finding(
                        "missing-target",
                        WARNING,
                        f"{app.id} is to be consolidated into {target!r}, which is no application "
                        "in the inventory; the plan ignores that order",
                        [app.id],
                    )
                )
    for function, systems in sorted(by_function.items()):
        municipalities = {a.municipality for apps in systems.values() for a in apps}
        if len(systems) > 1 and len(municipalities) > 1:
            names = sorted({apps[0].name for apps in systems.values()})
            items = sorted(a.id for apps in systems.values() for a in apps)
            label = next(iter(systems.values()))[0].get("function")
            result.append(
                Finding(
                    "duplicate-function",
                    INFO,
                    f"{len(names)} different {label} systems across {len(municipalities)} "
                    f"municipalities ({', '.join(names[:6])}{' …' if len(names) > 6 else ''}): "
                    "candidates to consolidate into one common system",
                    items,
                )
            )
    return result


def _oversized(graph: DependencyGraph, config: PlanConfig) -> list[Finding]:
    """Move groups whose effort for a team exceeds every wave's capacity of that team."""
    defaults = config.effort_defaults()
    waves = range(1, config.max_waves() + 1)
    result = []
    for group in graph.groups:
        for team, hours in team_effort(graph, group, defaults).items():
            best = max(scaled_capacity(config.team_capacity(team, w)) for w in waves)
            if scaled(hours) > best:
                result.append(
                    Finding(
                        "oversized-move-group",
                        ERROR,
                        f"move group {group.id} needs {hours:,.1f} h of the {team} team, "
                        "more than any wave has "
                        f"({best / SCALE:,.1f} h); it must move together: "
                        + ", ".join(group.members[:6])
                        + (" …" if len(group.members) > 6 else ""),
                        list(group.members),
                    )
                )
    return result


def summary_counts(findings: list[Finding]) -> dict[str, int]:
    counts = {ERROR: 0, WARNING: 0, INFO: 0}
    for f in findings:
        counts[f.severity] += 1
    return counts
