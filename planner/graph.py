"""The dependency graph across all municipalities, its precedence rules and move groups.

One node per item (`municipality/kind/name`), one edge per dependency (`A -> B`: A needs
B), explicit (the Dependencies sheet) or implicit (a server's `network` column, an
application's `servers`, …). Each edge carries the *rule* it imposes on the waves of
its two ends; the rules come from one table, `RULES`, documented in the README.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx

from exports.errors import PlannerError
from inventories.values import split_list
from planner.effort import Defaults, downtime_hours, effort_hours
from planner.snapshot import Item, Snapshot, Traffic

SAME_WAVE = "same_wave"
BEFORE_OR_SAME = "before_or_same"  # wave(needed) <= wave(dependent)
STRICTLY_BEFORE = "strictly_before"  # wave(needed) <  wave(dependent)
SOFT = "soft"  # a penalty when the two ends are in different waves
NONE = "none"  # informational: no constraint on waves (e.g. anything -> site)

#: (dependency kind, kind of the dependent item, kind of the needed item) -> rule.
#: `*` matches any kind. The first match wins. `integrates_with` depends on strength.
RULES: list[tuple[str, str, str, str, str]] = [
    # kind,                from,        to,          rule,            why
    ("located_at", "*", "site", NONE, "sites are places, not moves"),
    ("*", "*", "site", NONE, "sites are places, not moves"),
    (
        "connected_via",
        "*",
        "network",
        BEFORE_OR_SAME,
        "a network is connected before what is on it moves",
    ),
    (
        "joined_to",
        "workplace",
        "directory",
        STRICTLY_BEFORE,
        "PCs join a directory that is settled in an earlier wave",
    ),
    (
        "authenticates_with",
        "workplace",
        "directory",
        STRICTLY_BEFORE,
        "users log on to a settled directory",
    ),
    (
        "joined_to",
        "*",
        "directory",
        BEFORE_OR_SAME,
        "a directory moves before or with what joins it",
    ),
    (
        "authenticates_with",
        "*",
        "directory",
        BEFORE_OR_SAME,
        "a directory moves before or with what authenticates with it",
    ),
    ("runs_on", "*", "*", SAME_WAVE, "a server moves in the same wave as the applications on it"),
    ("hosted_by", "*", "*", BEFORE_OR_SAME, "the host platform is ready before or with its guests"),
    (
        "consolidates_into",
        "*",
        "*",
        STRICTLY_BEFORE,
        "the common system exists before data is consolidated into it",
    ),
    ("uses", "*", "*", BEFORE_OR_SAME, "what is used is available before or with its user"),
    (
        "integrates_with",
        "*",
        "*",
        SAME_WAVE,
        "hard integration: both ends move together (soft: a penalty when split)",
    ),
    ("connected_via", "*", "*", BEFORE_OR_SAME, "a connection is ready before or with its user"),
]

#: Wave order of constraints for the verifier and the solver, strongest first.
RULE_ORDER = (SAME_WAVE, STRICTLY_BEFORE, BEFORE_OR_SAME, SOFT, NONE)


def rule_for(kind: str, strength: str, from_kind: str, to_kind: str) -> str:
    """The precedence rule a dependency imposes (see `RULES`)."""
    for rule_kind, source, target, rule, _ in RULES:
        if rule_kind in ("*", kind) and source in ("*", from_kind) and target in ("*", to_kind):
            if kind == "integrates_with" and strength == "soft":
                return SOFT
            if rule in (BEFORE_OR_SAME, STRICTLY_BEFORE, SAME_WAVE) and strength == "soft":
                return SOFT
            return rule
    return SOFT if strength == "soft" else BEFORE_OR_SAME


@dataclass(frozen=True)
class Edge:
    """One dependency: `source` needs `target`."""

    source: str
    target: str
    kind: str
    strength: str
    rule: str
    origin: str  # "Dependencies row 12" or "column servers"
    observed: Traffic | None = None  # seen in network traffic: ports, count, first/last seen


@dataclass(frozen=True)
class Dangling:
    """A reference that names no item."""

    item: str
    reference: str
    origin: str


@dataclass(frozen=True)
class Constraint:
    """A wave constraint between two planned items: wave(first) RULE wave(second)."""

    first: str
    second: str
    rule: str
    edge: Edge


@dataclass
class MoveGroup:
    """Items that must move in the same wave; the unit the optimiser schedules."""

    id: str
    members: list[str]
    effort_hours: float = 0.0
    downtime_hours: float = 0.0


@dataclass
class DependencyGraph:
    """The graph plus what planning needs from it."""

    snapshot: Snapshot
    graph: nx.MultiDiGraph
    edges: list[Edge]
    dangling: list[Dangling]
    constraints: list[Constraint] = field(default_factory=list)
    planned: set[str] = field(default_factory=set)
    groups: list[MoveGroup] = field(default_factory=list)
    group_of: dict[str, str] = field(default_factory=dict)
    cycles: list[tuple[list[str], bool]] = field(
        default_factory=list
    )  # (path, contains strictly-before)

    def item(self, node: str) -> Item:
        return self.snapshot.items[node]


def is_planned(item: Item) -> bool:
    """Items that get a wave: movable kinds, except applications that are retained."""
    if item.kind == "site":
        return False
    return not (item.kind == "application" and item.get("strategy") == "retain")


def build(snapshot: Snapshot, defaults: Defaults | None = None) -> DependencyGraph:
    """Build the graph, derive wave constraints and contract move groups."""
    graph = nx.MultiDiGraph()
    for item in snapshot.items.values():
        graph.add_node(item.id, municipality=item.municipality, kind=item.kind, name=item.name)
    edges: list[Edge] = []
    dangling: list[Dangling] = []
    for found in (_implicit(snapshot), _explicit(snapshot)):
        for edge_or_dangling in found:
            if isinstance(edge_or_dangling, Edge):
                edges.append(edge_or_dangling)
            else:
                dangling.append(edge_or_dangling)
    for edge in edges:
        graph.add_edge(
            edge.source,
            edge.target,
            kind=edge.kind,
            strength=edge.strength,
            rule=edge.rule,
            origin=edge.origin,
            **({"observed": edge.observed} if edge.observed else {}),
        )
    result = DependencyGraph(snapshot, graph, edges, dangling)
    result.planned = {item.id for item in snapshot.items.values() if is_planned(item)}
    result.constraints = _constraints(snapshot, edges, result.planned)
    _move_groups(result, defaults or Defaults())
    return result


def _ref_edge(
    snapshot: Snapshot,
    item: Item,
    kind: str,
    name: str,
    dep_kind: str,
    origin: str,
    municipality: str | None = None,
) -> Edge | Dangling:
    target = snapshot.find(municipality or item.municipality, kind, name)
    if target is None:
        where = f"{municipality}/" if municipality else ""
        return Dangling(item.id, f"{where}{kind}/{name}", origin)
    return Edge(
        item.id, target, dep_kind, "hard", rule_for(dep_kind, "hard", item.kind, kind), origin
    )


def _implicit(snapshot: Snapshot) -> Iterable[Edge | Dangling]:
    """Edges from inventory columns (a server's network, an application's servers, …)."""
    columns = {
        "network": ("network", "connected_via"),
        "directory": ("directory", "joined_to"),
        "site": ("site", "located_at"),
    }
    for item in snapshot.items.values():
        for column, (kind, dep_kind) in columns.items():
            value = item.get(column)
            if value and not (item.kind == "network" and column == "network"):
                if item.kind == "application" and column == "directory":
                    dep_kind = "authenticates_with"
                yield _ref_edge(snapshot, item, kind, value, dep_kind, f"column {column}")
        if item.kind == "application":
            for server in split_list(item.get("servers", "")):
                yield _ref_edge(snapshot, item, "server", server, "runs_on", "column servers")
            target = item.get("target")
            if target and item.get("strategy") in ("consolidate", "replace"):
                muni, _, name = target.rpartition("/")
                found = _ref_edge(
                    snapshot,
                    item,
                    "application",
                    name,
                    "consolidates_into",
                    "column target",
                    muni or None,
                )
                if isinstance(found, Edge) and found.target == item.id:
                    continue  # an application consolidated into itself is its own target
                yield found


def _explicit(snapshot: Snapshot) -> Iterable[Edge | Dangling]:
    """Edges from the Dependencies sheets."""
    for dep in snapshot.dependencies:
        origin = f"Dependencies row {dep.row}" if dep.row else "Dependencies"
        if dep.observed:
            origin = dep.note or "observed"
        source = snapshot.find(dep.municipality, dep.from_kind, dep.from_name)
        if source is None:
            yield Dangling(
                f"{dep.municipality}/{dep.from_kind}/{dep.from_name}",
                f"{dep.from_kind}/{dep.from_name}",
                origin,
            )
            continue
        muni = dep.to_municipality or dep.municipality
        target = snapshot.find(muni, dep.to_kind, dep.to_name)
        if target is None:
            yield Dangling(source, f"{muni}/{dep.to_kind}/{dep.to_name}", origin)
            continue
        yield Edge(
            source,
            target,
            dep.kind,
            dep.strength,
            rule_for(dep.kind, dep.strength, dep.from_kind, dep.to_kind),
            origin,
            dep.observed,
        )


def _constraints(snapshot: Snapshot, edges: list[Edge], planned: set[str]) -> list[Constraint]:
    """Wave constraints between planned items; retired applications invert their users' order."""
    result = []
    for edge in edges:
        if edge.rule == NONE or edge.source == edge.target:
            continue
        if edge.source not in planned or edge.target not in planned:
            continue
        needed = snapshot.items[edge.target]
        if (
            needed.kind == "application"
            and needed.get("strategy") == "retire"
            and edge.rule in (BEFORE_OR_SAME, STRICTLY_BEFORE)
        ):
            # Decommissioning comes no earlier than everything that uses the application.
            result.append(Constraint(edge.source, edge.target, BEFORE_OR_SAME, edge))
        else:
            result.append(Constraint(edge.target, edge.source, edge.rule, edge))
    return result


def _move_groups(result: DependencyGraph, defaults: Defaults) -> None:
    """Contract same-wave components and before-or-same cycles into move groups."""
    order = nx.DiGraph()
    order.add_nodes_from(sorted(result.planned))
    for c in result.constraints:
        if c.rule == SAME_WAVE:
            for a, b in ((c.first, c.second), (c.second, c.first)):
                order.add_edge(a, b, strict=order.get_edge_data(a, b, {}).get("strict", False))
        elif c.rule in (BEFORE_OR_SAME, STRICTLY_BEFORE):
            strict = c.rule == STRICTLY_BEFORE or order.get_edge_data(c.first, c.second, {}).get(
                "strict", False
            )
            order.add_edge(c.first, c.second, strict=strict)
    same = nx.Graph()
    same.add_nodes_from(result.planned)
    same.add_edges_from((c.first, c.second) for c in result.constraints if c.rule == SAME_WAVE)
    same_component = {n: i for i, comp in enumerate(nx.connected_components(same)) for n in comp}
    components = sorted(
        (sorted(comp) for comp in nx.strongly_connected_components(order)), key=lambda c: c[0]
    )
    for number, members in enumerate(components, start=1):
        group = MoveGroup(f"G{number:04d}", members)
        for node in members:
            item = result.snapshot.items[node]
            group.effort_hours += effort_hours(item, defaults)
            group.downtime_hours += downtime_hours(item, defaults)
            result.group_of[node] = group.id
        result.groups.append(group)
        if len({same_component[n] for n in members}) > 1 or any(
            order.edges[a, b]["strict"] for a, b in order.subgraph(members).edges if a != b
        ):
            sub = order.subgraph(members)
            strict = any(sub.edges[a, b]["strict"] for a, b in sub.edges)
            result.cycles.append((_cycle_path(sub, strict, same_component), strict))


def _cycle_path(sub: nx.DiGraph, strict: bool, same_component: dict[str, int]) -> list[str]:
    """A readable cycle through the component, through a strictly-before edge when there is one."""
    if strict:
        for a, b in sub.edges:
            if sub.edges[a, b]["strict"]:
                path = nx.shortest_path(sub, b, a)
                return [a, *path]
    # Through an edge between two same-wave components, so that the path shows the loop and
    # not a mere runs_on pair; sorted, so the same inventory always gives the same path.
    for a, b in sorted(sub.edges):
        if same_component[a] != same_component[b]:
            return [a, *nx.shortest_path(sub, b, a)]
    # a cycle of two or more rules that is not just a same-wave pair
    for cycle in nx.simple_cycles(sub):
        if len(cycle) > 2:
            return [*cycle, cycle[0]]
    cycle = next(iter(nx.simple_cycles(sub)))
    return [*cycle, cycle[0]]


def team_effort(dgraph: DependencyGraph, group: MoveGroup, defaults: Defaults) -> dict[str, float]:
    """Hours a move group needs from each team (every item belongs to the team of its kind)."""
    per_team: dict[str, float] = defaultdict(float)
    for node in group.members:
        item = dgraph.snapshot.items[node]
        per_team[item.kind] += effort_hours(item, defaults)
    return dict(per_team)


def neighbourhood(
    dgraph: DependencyGraph, node: str, depth: int = 1
) -> tuple[nx.MultiDiGraph, set[str], set[str]]:
    """The item, what it needs (upstream) and what needs it (downstream), `depth` steps out."""
    up = set(nx.single_source_shortest_path_length(dgraph.graph, node, cutoff=depth)) - {node}
    down = set(
        nx.single_source_shortest_path_length(dgraph.graph.reverse(copy=False), node, cutoff=depth)
    ) - {node}
    return dgraph.graph.subgraph({node} | up | down).copy(), up, down


def group_edges(dgraph: DependencyGraph) -> dict[tuple[str, str], str]:
    """Constraints between move groups: (first group, second group) -> strongest rule."""
    result: dict[tuple[str, str], str] = {}
    for c in dgraph.constraints:
        a, b = dgraph.group_of[c.first], dgraph.group_of[c.second]
        if a == b:
            continue
        old = result.get((a, b))
        if old is None or RULE_ORDER.index(c.rule) < RULE_ORDER.index(old):
            result[(a, b)] = c.rule
    return result


def soft_pairs(dgraph: DependencyGraph) -> dict[tuple[str, str], int]:
    """Soft dependencies between different move groups, counted (the split penalty weight)."""
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for c in dgraph.constraints:
        if c.rule != SOFT:
            continue
        a, b = sorted((dgraph.group_of[c.first], dgraph.group_of[c.second]))
        if a != b:
            weights[(a, b)] += 1
    return dict(weights)


@dataclass(frozen=True)
class Branch:
    """One step of `planner graph show`: the item reached, by which dependency, and beyond."""

    item: str
    kind: str  # the dependency's kind
    rule: str  # the rule it imposes on the waves
    children: tuple[Branch, ...]
    observed: Traffic | None = None  # what a connection capture saw (ports, count), if observed


@dataclass(frozen=True)
class ItemTree:
    """An item's neighbourhood as trees: what it needs (upstream) and what needs it."""

    item: str
    move_group: str | None
    upstream: tuple[Branch, ...]
    downstream: tuple[Branch, ...]


def item_tree(dgraph: DependencyGraph, text: str, depth: int = 1) -> ItemTree:
    """The neighbourhood of the item `text` names, `depth` steps up and down.

    A path stops where it would return to an item already on it (loops), but an item
    reached along two paths is shown on both: the tree shows paths, not the graph.
    """
    node = dgraph.snapshot.resolve(text)
    if node is None:
        raise PlannerError(f"{text!r} names no item (write municipality/kind/name)")
    return ItemTree(
        node,
        dgraph.group_of.get(node),
        _branches(dgraph, node, 1, depth, True, {node}),
        _branches(dgraph, node, 1, depth, False, {node}),
    )


def _branches(
    dgraph: DependencyGraph, current: str, level: int, depth: int, upstream: bool, seen: set[str]
) -> tuple[Branch, ...]:
    if level > depth:
        return ()
    graph = dgraph.graph
    edges = graph.out_edges(current, data=True) if upstream else graph.in_edges(current, data=True)
    result = []
    for a, b, data in sorted(edges, key=lambda e: (e[0], e[1])):
        other = b if upstream else a
        children = (
            ()
            if other in seen
            else _branches(dgraph, other, level + 1, depth, upstream, seen | {other})
        )
        result.append(Branch(other, data["kind"], data["rule"], children, data.get("observed")))
    return tuple(result)


def without_rules_of(
    dgraph: DependencyGraph, settled: set[str], defaults: Defaults | None = None
) -> DependencyGraph:
    """A copy in which wave constraints touching `settled` items are dropped and move groups
    recomputed: an item done during the programme is a fact, not a decision, so what it
    needed is no longer a rule and what needs it may move without it (`replan --from-progress`)."""
    result = DependencyGraph(dgraph.snapshot, dgraph.graph, dgraph.edges, dgraph.dangling)
    result.planned = set(dgraph.planned)
    result.constraints = [
        c for c in dgraph.constraints if c.first not in settled and c.second not in settled
    ]
    _move_groups(result, defaults or Defaults())
    return result
