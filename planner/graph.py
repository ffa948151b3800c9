"""The dependency graph across all municipalities, its precedence rules and move groups.

One node per item (`municipality/kind/name`), one edge per dependency (`A -> B`: A needs
B), explicit (the Dependencies sheet) or implicit (a server's `network` column, an
application's `servers`, …). Each edge carries the *rule* it imposes on the waves of
its two ends; the rules come from one table, `RULES`, documented in the README.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import networkx as nx

from exports.errors import PlannerError
from inventories.values import split_list
from planner.effort import Defaults, downtime_hours, effort_hours
from planner.snapshot import Item, Snapshot, Traffic, bulk

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
    with bulk():
        edges: list[Edge] = []
        dangling: list[Dangling] = []
        found, rules = _Found(snapshot), _Rules()
        for found_edges in (_implicit(snapshot, found, rules), _explicit(snapshot, found, rules)):
            for edge_or_dangling in found_edges:
                if isinstance(edge_or_dangling, Edge):
                    edges.append(edge_or_dangling)
                else:
                    dangling.append(edge_or_dangling)
        result = DependencyGraph(snapshot, _multigraph(snapshot, edges), edges, dangling)
        result.planned = {item.id for item in snapshot.items.values() if is_planned(item)}
        result.constraints = _constraints(snapshot, edges, result.planned)
        _move_groups(result, defaults or Defaults())
    return result


def _multigraph(snapshot: Snapshot, edges: list[Edge]) -> nx.MultiDiGraph:
    """One node per item (its municipality, kind and name) and one edge per dependency, keyed
    0, 1, … per pair of items in order: the graph `add_node` and `add_edge` build.

    Why written into networkx's adjacency dicts (node -> neighbour -> key -> data, the
    layout its documentation describes) rather than through `add_edge`: at national scale
    (300,000 edges) `add_edge`'s search for a free key and its per-call bookkeeping took
    longer than everything else the graph needs. The graph is new, so nothing is cached."""
    graph = nx.MultiDiGraph()
    nodes, succ, pred = graph._node, graph._succ, graph._pred
    for item in snapshot.items.values():
        nodes[item.id] = {"municipality": item.municipality, "kind": item.kind, "name": item.name}
        succ[item.id] = {}
        pred[item.id] = {}
    for edge in edges:
        keys = succ[edge.source].get(edge.target)
        if keys is None:
            keys = succ[edge.source][edge.target] = pred[edge.target][edge.source] = {}
        data: dict[str, str | Traffic] = {
            "kind": edge.kind,
            "strength": edge.strength,
            "rule": edge.rule,
            "origin": edge.origin,
        }
        if edge.observed:
            data["observed"] = edge.observed
        keys[len(keys)] = data
    return graph


class _Found(dict[tuple[str, str, str], str | None]):
    """`Snapshot.find` with a memory, for one build: a national inventory names the same
    network, directory or server from thousands of rows."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def __missing__(self, key: tuple[str, str, str]) -> str | None:
        value = self[key] = self.snapshot.find(*key)
        return value


class _Rules(dict[tuple[str, str, str, str], str]):
    """`rule_for` with a memory, for one build: a few dozen (kind, strength, from kind,
    to kind) combinations stand for hundreds of thousands of edges."""

    def __missing__(self, key: tuple[str, str, str, str]) -> str:
        value = self[key] = rule_for(*key)
        return value


def _ref_edge(
    found: _Found,
    rules: _Rules,
    item: Item,
    kind: str,
    name: str,
    dep_kind: str,
    origin: str,
    municipality: str | None = None,
) -> Edge | Dangling:
    target = found[(municipality or item.municipality, kind, name)]
    if target is None:
        where = f"{municipality}/" if municipality else ""
        return Dangling(item.id, f"{where}{kind}/{name}", origin)
    return Edge(
        item.id, target, dep_kind, "hard", rules[(dep_kind, "hard", item.kind, kind)], origin
    )


def _implicit(snapshot: Snapshot, found: _Found, rules: _Rules) -> Iterable[Edge | Dangling]:
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
                yield _ref_edge(found, rules, item, kind, value, dep_kind, f"column {column}")
        if item.kind == "application":
            for server in split_list(item.get("servers", "")):
                yield _ref_edge(found, rules, item, "server", server, "runs_on", "column servers")
            target = item.get("target")
            if target and item.get("strategy") in ("consolidate", "replace"):
                muni, _, name = target.rpartition("/")
                edge = _ref_edge(
                    found,
                    rules,
                    item,
                    "application",
                    name,
                    "consolidates_into",
                    "column target",
                    muni or None,
                )
                if isinstance(edge, Edge) and edge.target == item.id:
                    continue  # an application consolidated into itself is its own target
                yield edge


def _explicit(snapshot: Snapshot, found: _Found, rules: _Rules) -> Iterable[Edge | Dangling]:
    """Edges from the Dependencies sheets."""
    for dep in snapshot.dependencies:
        origin = f"Dependencies row {dep.row}" if dep.row else "Dependencies"
        if dep.observed:
            origin = dep.note or "observed"
        source = found[(dep.municipality, dep.from_kind, dep.from_name)]
        if source is None:
            yield Dangling(
                f"{dep.municipality}/{dep.from_kind}/{dep.from_name}",
                f"{dep.from_kind}/{dep.from_name}",
                origin,
            )
            continue
        muni = dep.to_municipality or dep.municipality
        target = found[(muni, dep.to_kind, dep.to_name)]
        if target is None:
            yield Dangling(source, f"{muni}/{dep.to_kind}/{dep.to_name}", origin)
            continue
        yield Edge(
            source,
            target,
            dep.kind,
            dep.strength,
            rules[(dep.kind, dep.strength, dep.from_kind, dep.to_kind)],
            origin,
            dep.observed,
        )


def _constraints(snapshot: Snapshot, edges: list[Edge], planned: set[str]) -> list[Constraint]:
    """Wave constraints between planned items; retired applications invert their users' order."""
    retired = {
        item.id
        for item in snapshot.items.values()
        if item.kind == "application" and item.get("strategy") == "retire"
    }
    result = []
    for edge in edges:
        if edge.rule == NONE or edge.source == edge.target:
            continue
        if edge.source not in planned or edge.target not in planned:
            continue
        if edge.target in retired and edge.rule in (BEFORE_OR_SAME, STRICTLY_BEFORE):
            # Decommissioning comes no earlier than everything that uses the application.
            result.append(Constraint(edge.source, edge.target, BEFORE_OR_SAME, edge))
        else:
            result.append(Constraint(edge.target, edge.source, edge.rule, edge))
    return result


def _order(
    planned: set[str], constraints: list[Constraint]
) -> tuple[nx.DiGraph, list[tuple[str, str]]]:
    """The wave-order graph of planned items (edge: first no later than second, `strict` when
    strictly before; same-wave pairs both ways) and the same-wave pairs.

    Edges are added once each, in the order of their first constraint, so the graph (and
    the cycle paths read from it) is the one adding them constraint by constraint gave."""
    strict_of: dict[tuple[str, str], bool] = {}
    same_pairs: list[tuple[str, str]] = []
    for c in constraints:
        if c.rule == SAME_WAVE:
            same_pairs.append((c.first, c.second))
            strict_of.setdefault((c.first, c.second), False)
            strict_of.setdefault((c.second, c.first), False)
        elif c.rule in (BEFORE_OR_SAME, STRICTLY_BEFORE):
            pair = (c.first, c.second)
            strict_of[pair] = c.rule == STRICTLY_BEFORE or strict_of.get(pair, False)
    order = nx.DiGraph()  # written like `_multigraph`'s, for the same reason
    nodes, succ, pred = order._node, order._succ, order._pred
    for node in sorted(planned):
        nodes[node], succ[node], pred[node] = {}, {}, {}
    for (a, b), strict in strict_of.items():  # constraints join planned items only
        succ[a][b] = pred[b][a] = {"strict": strict}
    return order, same_pairs


def _same_wave_components(pairs: list[tuple[str, str]]) -> Callable[[str], str]:
    """Which same-wave component an item belongs to (a representative item; union-find)."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        root = node
        while parent.get(root, root) != root:
            root = parent[root]
        while node != root:
            parent[node], node = root, parent[node]
        return root

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return find


def _move_groups(result: DependencyGraph, defaults: Defaults) -> None:
    """Contract same-wave components and before-or-same cycles into move groups."""
    order, same_pairs = _order(result.planned, result.constraints)
    same_wave = _same_wave_components(same_pairs)
    components = sorted(
        (sorted(comp) for comp in nx.strongly_connected_components(order)), key=lambda c: c[0]
    )
    items = result.snapshot.items
    for number, members in enumerate(components, start=1):
        group = MoveGroup(f"G{number:04d}", members)
        for node in members:
            item = items[node]
            group.effort_hours += effort_hours(item, defaults)
            group.downtime_hours += downtime_hours(item, defaults)
            result.group_of[node] = group.id
        result.groups.append(group)
        if len(members) == 1:
            continue  # one item: no loop (a rule between an item and itself is no constraint)
        same_component = {node: same_wave(node) for node in members}
        inside = set(members)
        if len(set(same_component.values())) > 1 or any(
            data["strict"]
            for a in members
            for b, data in order.succ[a].items()
            if b in inside and a != b
        ):
            sub = order.subgraph(members)
            strict = any(sub.edges[a, b]["strict"] for a, b in sub.edges)
            result.cycles.append((_cycle_path(sub, strict, same_component), strict))


def _cycle_path(sub: nx.DiGraph, strict: bool, same_component: dict[str, str]) -> list[str]:
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
    strength = {rule: place for place, rule in enumerate(RULE_ORDER)}
    group_of = dgraph.group_of
    for c in dgraph.constraints:
        a, b = group_of[c.first], group_of[c.second]
        if a == b:
            continue
        old = result.get((a, b))
        if old is None or strength[c.rule] < strength[old]:
            result[(a, b)] = c.rule
    return result


def soft_pairs(dgraph: DependencyGraph) -> dict[tuple[str, str], int]:
    """Soft dependencies between different move groups, counted (the split penalty weight)."""
    weights: dict[tuple[str, str], int] = defaultdict(int)
    for c in dgraph.constraints:
        if c.rule != SOFT:
            continue
        a, b = dgraph.group_of[c.first], dgraph.group_of[c.second]
        if a > b:
            a, b = b, a
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
