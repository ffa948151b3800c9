"""Tests for `planner.graph`: edges, the RULES table, wave constraints, move groups, cycles,
the GraphML/DOT files and `planner graph show`.

Every inventory is a handful of rows imported through the real importer (see
`tests/tiny_inventory.py`), so the graph is built exactly as for a user.
"""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import pytest
from sqlalchemy.engine import Engine

from planner.effort import Defaults
from planner.graph import (
    BEFORE_OR_SAME,
    NONE,
    RULES,
    SAME_WAVE,
    SOFT,
    STRICTLY_BEFORE,
    DependencyGraph,
    group_edges,
    neighbourhood,
    item_tree,
    rule_for,
    soft_pairs,
)
from exports.errors import PlannerError
from planner.graph_files import dot_text, write_graph
from tests.tiny_inventory import app, dep, graph_of, net, server

N = "Nordby"


def nid(kind: str, name: str, municipality: str = N) -> str:
    return f"{municipality}/{kind}/{name}"


def edge_rules(graph: DependencyGraph) -> dict[tuple[str, str, str], str]:
    """(source, target, dependency kind) -> rule, for every edge."""
    return {(e.source, e.target, e.kind): e.rule for e in graph.edges}


def constraint_set(graph: DependencyGraph) -> set[tuple[str, str, str]]:
    return {(c.first, c.rule, c.second) for c in graph.constraints}


# ----------------------------------------------------------------------------- implicit edges
@pytest.fixture
def columns_graph(engine: Engine, tmp_path: Path) -> DependencyGraph:
    """One item of every kind, linked only through inventory columns (no Dependencies sheet):
    the smallest inventory in which every implicit edge appears once."""
    return graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Sites": [dict(name="Rådhus", network="ADM")],
                "Networks": [net("ADM", "10.0.0.0/16", site="Rådhus")],
                "Directories": [dict(name="nb.local")],
                "Servers": [server("SRV1", network="ADM", directory="nb.local", site="Rådhus")],
                "Applications": [
                    app("ESDH", servers="SRV1", directory="nb.local"),
                    app("Aula", strategy="consolidate", target="ESDH", servers="SRV1"),
                ],
                "Workplaces": [
                    dict(name="Adm", pcs=10, site="Rådhus", directory="nb.local", network="ADM")
                ],
            }
        },
    )


def test_implicit_edges_come_from_inventory_columns(columns_graph: DependencyGraph) -> None:
    rules = edge_rules(columns_graph)
    assert rules == {
        (nid("site", "Rådhus"), nid("network", "ADM"), "connected_via"): BEFORE_OR_SAME,
        (nid("network", "ADM"), nid("site", "Rådhus"), "located_at"): NONE,
        (nid("server", "SRV1"), nid("network", "ADM"), "connected_via"): BEFORE_OR_SAME,
        (nid("server", "SRV1"), nid("directory", "nb.local"), "joined_to"): BEFORE_OR_SAME,
        (nid("server", "SRV1"), nid("site", "Rådhus"), "located_at"): NONE,
        (nid("application", "ESDH"), nid("server", "SRV1"), "runs_on"): SAME_WAVE,
        (
            nid("application", "ESDH"),
            nid("directory", "nb.local"),
            "authenticates_with",
        ): BEFORE_OR_SAME,
        (nid("application", "Aula"), nid("server", "SRV1"), "runs_on"): SAME_WAVE,
        (
            nid("application", "Aula"),
            nid("application", "ESDH"),
            "consolidates_into",
        ): STRICTLY_BEFORE,
        (nid("workplace", "Adm"), nid("site", "Rådhus"), "located_at"): NONE,
        (nid("workplace", "Adm"), nid("directory", "nb.local"), "joined_to"): STRICTLY_BEFORE,
        (nid("workplace", "Adm"), nid("network", "ADM"), "connected_via"): BEFORE_OR_SAME,
    }
    assert all(e.origin.startswith("column ") for e in columns_graph.edges)
    assert not columns_graph.dangling


def test_graph_has_a_node_per_item_with_its_attributes(columns_graph: DependencyGraph) -> None:
    g = columns_graph.graph
    assert g.number_of_nodes() == 7
    assert g.nodes[nid("server", "SRV1")] == {"municipality": N, "kind": "server", "name": "SRV1"}
    assert g.number_of_edges() == len(columns_graph.edges) == 12
    data = g.get_edge_data(nid("workplace", "Adm"), nid("directory", "nb.local"))[0]
    assert data == {
        "kind": "joined_to",
        "strength": "hard",
        "rule": STRICTLY_BEFORE,
        "origin": "column directory",
    }


def test_sites_are_not_planned_and_impose_nothing(columns_graph: DependencyGraph) -> None:
    assert nid("site", "Rådhus") not in columns_graph.planned
    assert nid("site", "Rådhus") not in columns_graph.group_of
    assert all("site" not in (c.first + c.second) for c in columns_graph.constraints)


def test_consolidation_target_exists_strictly_before(columns_graph: DependencyGraph) -> None:
    # Aula moves into ESDH, and both run on SRV1 — a same-wave pair — so the target rule
    # (ESDH strictly before Aula) contradicts runs_on: the one cycle of this inventory.
    assert (
        nid("application", "ESDH"),
        STRICTLY_BEFORE,
        nid("application", "Aula"),
    ) in constraint_set(columns_graph)
    assert len(columns_graph.cycles) == 1
    path, strict = columns_graph.cycles[0]
    assert strict and path[0] == path[-1]


# ---------------------------------------------------------------------------- explicit edges, RULES
#: Each row of RULES, exercised by one explicit dependency: (kind, from kind, to kind, strength) ->
#: rule.
RULE_CASES = [
    ("uses", "server", "site", "hard", NONE),
    ("connected_via", "server", "network", "hard", BEFORE_OR_SAME),
    ("joined_to", "workplace", "directory", "hard", STRICTLY_BEFORE),
    ("authenticates_with", "workplace", "directory", "hard", STRICTLY_BEFORE),
    ("joined_to", "server", "directory", "hard", BEFORE_OR_SAME),
    ("authenticates_with", "application", "directory", "hard", BEFORE_OR_SAME),
    ("runs_on", "application", "server", "hard", SAME_WAVE),
    ("hosted_by", "server", "server", "hard", BEFORE_OR_SAME),
    ("uses", "workplace", "application", "hard", BEFORE_OR_SAME),
    ("integrates_with", "application", "application", "hard", SAME_WAVE),
    ("integrates_with", "application", "application", "soft", SOFT),
    ("connected_via", "application", "server", "hard", BEFORE_OR_SAME),
    ("uses", "application", "application", "soft", SOFT),
    ("runs_on", "application", "server", "soft", SOFT),
]

_NAMES = {
    "site": "Rådhus",
    "network": "ADM",
    "directory": "nb.local",
    "server": "SRV2",
    "application": "Aula",
    "workplace": "Adm",
}
_FROM = {"server": "SRV1", "application": "ESDH", "workplace": "Adm"}


def test_rule_cases_cover_every_rule_row() -> None:
    """Each RULES row is the first match of at least one case below (else a row is untested)."""

    def first_row(kind: str, source: str, target: str) -> int:
        return next(
            i
            for i, (k, s, t, _, _) in enumerate(RULES)
            if k in ("*", kind) and s in ("*", source) and t in ("*", target)
        )

    covered = {first_row(k, s, t) for k, s, t, _, _ in RULE_CASES}
    # located_at is only produced by the implicit site columns (tested above); consolidates_into
    # only by the target column.
    assert covered | {0, RULES.index(next(r for r in RULES if r[0] == "consolidates_into"))} == set(
        range(len(RULES))
    )


@pytest.mark.parametrize(("kind", "source", "target", "strength", "expected"), RULE_CASES)
def test_rule_for_each_explicit_dependency(
    engine: Engine,
    tmp_path: Path,
    kind: str,
    source: str,
    target: str,
    strength: str,
    expected: str,
) -> None:
    assert rule_for(kind, strength, source, target) == expected
    from_name = _FROM[source]
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Sites": [dict(name="Rådhus")],
                "Networks": [net("ADM")],
                "Directories": [dict(name="nb.local")],
                "Servers": [server("SRV1"), server("SRV2")],
                "Applications": [app("ESDH", strategy="saas"), app("Aula", strategy="saas")],
                "Workplaces": [dict(name="Adm", pcs=1)],
                "Dependencies": [
                    dep(source, from_name, target, _NAMES[target], kind, strength=strength)
                ],
            }
        },
    )
    (edge,) = graph.edges
    assert (edge.source, edge.target, edge.kind, edge.strength, edge.rule) == (
        nid(source, from_name),
        nid(target, _NAMES[target]),
        kind,
        strength,
        expected,
    )
    assert edge.origin == "Dependencies row 2"
    if expected == NONE:
        assert graph.constraints == []
    else:
        # the needed item comes first in the constraint: wave(needed) RULE wave(dependent)
        assert constraint_set(graph) == {(edge.target, expected, edge.source)}


def test_runs_on_puts_application_and_server_in_one_move_group(
    engine: Engine, tmp_path: Path
) -> None:
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Servers": [server("SRV1"), server("SRV2")],
                "Applications": [app("ESDH", servers="SRV1, SRV2"), app("Aula", servers="SRV2")],
            }
        },
    )
    # ESDH - SRV1, ESDH - SRV2, Aula - SRV2: one connected same-wave component of four items.
    assert len(graph.groups) == 1
    assert graph.groups[0].members == sorted(
        [
            nid("application", "ESDH"),
            nid("application", "Aula"),
            nid("server", "SRV1"),
            nid("server", "SRV2"),
        ]
    )
    assert graph.cycles == []  # same-wave pairs are not loops
    assert group_edges(graph) == {}


def test_workplace_directory_is_a_strictly_before_group_edge(
    engine: Engine, tmp_path: Path
) -> None:
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Directories": [dict(name="nb.local")],
                "Workplaces": [dict(name="Adm", pcs=10, directory="nb.local")],
            }
        },
    )
    d, w = graph.group_of[nid("directory", "nb.local")], graph.group_of[nid("workplace", "Adm")]
    assert d != w
    assert group_edges(graph) == {(d, w): STRICTLY_BEFORE}


def test_group_edges_keep_the_strongest_rule(engine: Engine, tmp_path: Path) -> None:
    # The workplace both `uses` (before-or-same) and `authenticates_with` (strictly-before)
    # the same directory; the strict rule wins between the two groups.
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Directories": [dict(name="nb.local")],
                "Workplaces": [dict(name="Adm", pcs=10)],
                "Dependencies": [
                    dep("workplace", "Adm", "directory", "nb.local", "uses"),
                    dep("workplace", "Adm", "directory", "nb.local", "authenticates_with"),
                ],
            }
        },
    )
    d, w = graph.group_of[nid("directory", "nb.local")], graph.group_of[nid("workplace", "Adm")]
    assert group_edges(graph) == {(d, w): STRICTLY_BEFORE}


def test_retired_application_is_decommissioned_after_its_users(
    engine: Engine, tmp_path: Path
) -> None:
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Applications": [
                    app("ESDH", strategy="saas"),
                    app("Old", strategy="retire"),
                    app("Kept", strategy="saas"),
                ],
                "Workplaces": [dict(name="Adm", pcs=1)],
                "Dependencies": [
                    dep("application", "ESDH", "application", "Old", "uses"),
                    dep("workplace", "Adm", "application", "Old", "uses"),
                    dep("application", "ESDH", "application", "Kept", "uses"),
                ],
            }
        },
    )
    assert constraint_set(graph) == {
        # inverted: the user first, the retired application no earlier
        (nid("application", "ESDH"), BEFORE_OR_SAME, nid("application", "Old")),
        (nid("workplace", "Adm"), BEFORE_OR_SAME, nid("application", "Old")),
        # not retired: the usual order
        (nid("application", "Kept"), BEFORE_OR_SAME, nid("application", "ESDH")),
    }
    assert nid("application", "Old") in graph.planned


def test_retained_application_is_not_planned(engine: Engine, tmp_path: Path) -> None:
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Applications": [app("ESDH", strategy="saas"), app("Local", strategy="retain")],
                "Dependencies": [dep("application", "ESDH", "application", "Local", "uses")],
            }
        },
    )
    local = nid("application", "Local")
    assert local not in graph.planned and local not in graph.group_of
    assert graph.graph.has_edge(nid("application", "ESDH"), local)  # still in the graph
    assert graph.constraints == []  # but it constrains no wave
    assert [g.members for g in graph.groups] == [[nid("application", "ESDH")]]


def test_soft_integration_is_a_soft_pair_not_a_move_group(engine: Engine, tmp_path: Path) -> None:
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Applications": [
                    app("ESDH", strategy="saas"),
                    app("Aula", strategy="saas"),
                    app("FBS", strategy="saas"),
                ],
                "Dependencies": [
                    dep(
                        "application",
                        "ESDH",
                        "application",
                        "Aula",
                        "integrates_with",
                        strength="soft",
                    ),
                    dep(
                        "application",
                        "Aula",
                        "application",
                        "ESDH",
                        "integrates_with",
                        strength="soft",
                    ),
                    dep(
                        "application",
                        "ESDH",
                        "application",
                        "FBS",
                        "integrates_with",
                        strength="hard",
                    ),
                ],
            }
        },
    )
    esdh, aula, fbs = (graph.group_of[nid("application", n)] for n in ("ESDH", "Aula", "FBS"))
    assert esdh == fbs != aula  # hard integration: one group; soft: two
    # two soft dependencies between the same two groups count twice in the split penalty
    assert soft_pairs(graph) == {tuple(sorted((esdh, aula))): 2}
    # soft pairs are no hard precedence: the only group edges between them are soft
    assert set(group_edges(graph).values()) == {SOFT}


def test_cross_municipality_dependency(engine: Engine, tmp_path: Path) -> None:
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {"Applications": [app("SBSYS", strategy="saas")]},
            "Sydby": {
                "Applications": [app("Acadre", strategy="saas")],
                "Dependencies": [
                    dep(
                        "application",
                        "Acadre",
                        "application",
                        "sbsys",
                        "uses",
                        to_municipality="nordby",
                    )
                ],
            },
        },
    )
    (edge,) = graph.edges
    assert (edge.source, edge.target) == (
        nid("application", "Acadre", "Sydby"),
        nid("application", "SBSYS"),
    )


def test_dangling_references_are_collected_not_edges(engine: Engine, tmp_path: Path) -> None:
    # The importer rejects dangling references inside one workbook; what remains are
    # references to other municipalities (which may be imported later, or never).
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Servers": [server("SRV1")],
                "Applications": [
                    app("ESDH", servers="SRV1", strategy="consolidate", target="Sydby/Aula"),
                    app("SBSYS", strategy="saas"),
                ],
                "Dependencies": [
                    dep(
                        "application",
                        "ESDH",
                        "application",
                        "Ghost",
                        "uses",
                        to_municipality="Sydby",
                    ),
                    dep(
                        "application",
                        "SBSYS",
                        "application",
                        "Acadre",
                        "uses",
                        to_municipality="Sydby",
                    ),
                ],
            },
            "Sydby": {"Applications": [app("Acadre", strategy="saas")]},
        },
    )
    assert {(d.item, d.reference, d.origin) for d in graph.dangling} == {
        (nid("application", "ESDH"), "Sydby/application/Aula", "column target"),
        (nid("application", "ESDH"), "Sydby/application/Ghost", "Dependencies row 2"),
    }
    assert sorted((e.source, e.kind) for e in graph.edges) == [
        (nid("application", "ESDH"), "runs_on"),
        (nid("application", "SBSYS"), "uses"),
    ]


# ----------------------------------------------------------------------------- move groups
def test_move_group_ids_members_effort_and_downtime(engine: Engine, tmp_path: Path) -> None:
    defaults = Defaults(
        effort_hours={
            "network": 16,
            "directory": 40,
            "server": 5,
            "application": 10,
            "workplace_per_pc": 2,
        },
        downtime_hours={
            "network": 1,
            "directory": 1,
            "server": 3,
            "application": 6,
            "workplace": 0,
        },
    )
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Servers": [server("SRV1"), server("SRV2", effort_hours=7.5, downtime_hours=0.5)],
                "Applications": [
                    app("ESDH", servers="SRV1, SRV2"),
                    app("Aula", strategy="saas", effort_hours=1),
                ],
                "Workplaces": [dict(name="Adm", pcs=12)],
            }
        },
        defaults,
    )
    groups = {g.id: g for g in graph.groups}
    assert sorted(groups) == ["G0001", "G0002", "G0003"]  # numbered in order of their first member
    esdh = groups[graph.group_of[nid("application", "ESDH")]]
    assert esdh.members == [
        nid("application", "ESDH"),
        nid("server", "SRV1"),
        nid("server", "SRV2"),
    ]
    # effort: ESDH default 10 + SRV1 default 5 + SRV2 given 7.5 = 22.5;
    # downtime: ESDH default 6 + SRV1 default 3 + SRV2 given 0.5 = 9.5
    assert (esdh.effort_hours, esdh.downtime_hours) == (22.5, 9.5)
    adm = groups[graph.group_of[nid("workplace", "Adm")]]
    assert (adm.members, adm.effort_hours, adm.downtime_hours) == (
        [nid("workplace", "Adm")],
        24.0,
        0.0,
    )  # 12 PCs × 2 h
    aula = groups[graph.group_of[nid("application", "Aula")]]
    assert (aula.effort_hours, aula.downtime_hours) == (1.0, 6.0)
    assert set(graph.group_of) == graph.planned


def test_every_planned_item_is_in_exactly_one_group(engine: Engine, tmp_path: Path) -> None:
    from inventories.demo_data import write_demo_data
    from planner.graph import build
    from planner.importing import import_files
    from planner.snapshot import load

    import_files(engine, write_demo_data(tmp_path / "demo", 1, seed=3))
    graph = build(load(engine))
    members = [m for g in graph.groups for m in g.members]
    assert len(members) == len(set(members)) == len(graph.planned)
    assert all(graph.group_of[m] == g.id for g in graph.groups for m in g.members)
    # demo data is acyclic and fully referenced
    assert graph.cycles == [] and graph.dangling == []


# ----------------------------------------------------------------------------- cycles
def test_before_or_same_cycle_is_a_warning_and_merges_its_members(
    engine: Engine, tmp_path: Path
) -> None:
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Applications": [app(n, strategy="saas") for n in ("A", "B", "C", "D")],
                "Dependencies": [
                    dep("application", "A", "application", "B", "uses"),
                    dep("application", "B", "application", "C", "uses"),
                    dep("application", "C", "application", "A", "uses"),
                    dep("application", "D", "application", "A", "uses"),
                ],
            }
        },
    )
    abc = [nid("application", n) for n in "ABC"]
    ((path, strict),) = graph.cycles
    assert not strict
    assert path[0] == path[-1] and set(path) == set(abc) and len(path) == 4
    assert len({graph.group_of[n] for n in abc}) == 1  # merged
    assert (
        graph.group_of[nid("application", "D")] != graph.group_of[abc[0]]
    )  # D only depends on the loop
    merged = next(g for g in graph.groups if g.id == graph.group_of[abc[0]])
    assert merged.members == abc and merged.effort_hours == 3 * 16  # default application effort


def test_cycle_through_a_strictly_before_rule_is_strict(engine: Engine, tmp_path: Path) -> None:
    # Adm joins nb.local (directory strictly before the workplace), and nb.local uses Adm.
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Directories": [dict(name="nb.local")],
                "Workplaces": [dict(name="Adm", pcs=1, directory="nb.local")],
                "Dependencies": [dep("directory", "nb.local", "workplace", "Adm", "uses")],
            }
        },
    )
    ((path, strict),) = graph.cycles
    assert strict
    assert path == [
        nid("directory", "nb.local"),
        nid("workplace", "Adm"),
        nid("directory", "nb.local"),
    ]


def test_acyclic_chain_has_no_cycle(engine: Engine, tmp_path: Path) -> None:
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Applications": [app(n, strategy="saas") for n in ("A", "B", "C")],
                "Dependencies": [
                    dep("application", "A", "application", "B", "uses"),
                    dep("application", "B", "application", "C", "uses"),
                    dep("application", "A", "application", "C", "uses"),
                ],
            }
        },
    )
    assert graph.cycles == [] and len(graph.groups) == 3


# ----------------------------------------------------------------------------- neighbourhood
def test_neighbourhood_up_and_down(columns_graph: DependencyGraph) -> None:
    sub, up, down = neighbourhood(columns_graph, nid("server", "SRV1"), depth=1)
    assert up == {nid("network", "ADM"), nid("directory", "nb.local"), nid("site", "Rådhus")}
    assert down == {nid("application", "ESDH"), nid("application", "Aula")}
    assert set(sub.nodes) == up | down | {nid("server", "SRV1")}
    _, up2, _ = neighbourhood(columns_graph, nid("application", "Aula"), depth=2)
    assert (
        nid("network", "ADM") in up2
        and nid("network", "ADM")
        not in neighbourhood(columns_graph, nid("application", "Aula"), depth=1)[1]
    )


# ----------------------------------------------------------------------------- files and CLI
def test_graphml_export_reads_back(columns_graph: DependencyGraph, tmp_path: Path) -> None:
    path = tmp_path / "deps.graphml"
    write_graph(columns_graph.graph, path)
    back = nx.read_graphml(path)
    assert set(back.nodes) == set(columns_graph.graph.nodes)
    assert back.nodes[nid("site", "Rådhus")]["name"] == "Rådhus"  # æøå survive
    assert {(a, b) for a, b in back.edges} == {(e.source, e.target) for e in columns_graph.edges}
    assert (
        back.edges[nid("workplace", "Adm"), nid("directory", "nb.local")]["rule"] == STRICTLY_BEFORE
    )


def test_graphml_joins_parallel_edge_kinds(engine: Engine, tmp_path: Path) -> None:
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Directories": [dict(name="nb.local")],
                "Workplaces": [dict(name="Adm", pcs=1, directory="nb.local")],
                "Dependencies": [dep("workplace", "Adm", "directory", "nb.local", "uses")],
            }
        },
    )
    write_graph(graph.graph, tmp_path / "g.graphml")
    back = nx.read_graphml(tmp_path / "g.graphml")
    assert (
        back.edges[nid("workplace", "Adm"), nid("directory", "nb.local")]["kind"]
        == "joined_to, uses"
    )


def _read_dot(text: str) -> tuple[set[str], set[tuple[str, str]]]:
    """Nodes and edges of our DOT output, read back with the DOT grammar's quoted-ID rule."""
    quoted = r'"((?:[^"\\]|\\.)*)"'
    unescape = lambda s: re.sub(r"\\(.)", r"\1", s)  # noqa: E731
    nodes = {unescape(m) for m in re.findall(rf"^\s*{quoted} \[label=", text, re.M)}
    edges = {
        (unescape(a), unescape(b)) for a, b in re.findall(rf"^\s*{quoted} -> {quoted}", text, re.M)
    }
    return nodes, edges


def test_dot_export_reads_back(columns_graph: DependencyGraph, tmp_path: Path) -> None:
    path = tmp_path / "deps.dot"
    write_graph(columns_graph.graph, path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("digraph dependencies {") and text.rstrip().endswith("}")
    nodes, edges = _read_dot(text)
    assert nodes == set(columns_graph.graph.nodes)
    assert edges == {(e.source, e.target) for e in columns_graph.edges}


def test_dot_escapes_quotes(engine: Engine, tmp_path: Path) -> None:
    graph = graph_of(
        engine, tmp_path, {N: {"Applications": [app('Say "hi" \\ bye', strategy="saas")]}}
    )
    nodes, _ = _read_dot(dot_text(graph.graph))
    assert nodes == {nid("application", 'Say "hi" \\ bye')}


def test_cli_graph_show_and_export(engine: Engine, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Networks": [net("ADM")],
                "Servers": [server("SRV1", network="ADM")],
                "Applications": [app("ESDH", servers="SRV1")],
            }
        },
    )
    result = run_cli("graph", "show", "nordby/SERVER/srv1")  # ids are case-insensitive
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Nordby/server/SRV1 (move group G")
    assert any(
        "needs Nordby/network/ADM  (connected_via, before_or_same)" in line for line in lines
    )
    assert any("needed by Nordby/application/ESDH  (runs_on, same_wave)" in line for line in lines)

    missing = run_cli("graph", "show", "Nordby/server/NOPE")
    assert missing.returncode == 1
    assert "'Nordby/server/NOPE' names no item" in missing.stderr
    assert "Traceback" not in missing.stderr

    exported = run_cli(
        "graph", "export", "deps.graphml", "--around", "Nordby/application/ESDH", "--depth", "1"
    )
    assert exported.returncode == 0, exported.stderr
    back = nx.read_graphml(tmp_path / "deps.graphml")
    assert sorted(back.edges) == [
        (nid("application", "ESDH"), nid("server", "SRV1"))
    ]  # depth 1: not ADM


def test_item_tree_walks_paths_up_and_down_to_the_depth(engine: Engine, tmp_path: Path) -> None:
    # ESDH runs on SRV1, which is connected via ADM; Løn uses ESDH. From SRV1, depth 1 sees
    # ADM above and ESDH below; depth 2 also sees Løn below ESDH (and nothing above ADM).
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Networks": [net("ADM")],
                "Servers": [server("SRV1", network="ADM")],
                "Applications": [app("ESDH", servers="SRV1"), app("Løn")],
                "Dependencies": [dep("application", "Løn", "application", "ESDH", "uses")],
            }
        },
    )
    shallow = item_tree(graph, "nordby/server/srv1", depth=1)
    assert shallow.item == nid("server", "SRV1")
    assert shallow.move_group == graph.group_of[nid("server", "SRV1")]
    assert [(b.item, b.kind, b.rule, b.children) for b in shallow.upstream] == [
        (nid("network", "ADM"), "connected_via", BEFORE_OR_SAME, ())
    ]
    assert [(b.item, b.kind, b.rule) for b in shallow.downstream] == [
        (nid("application", "ESDH"), "runs_on", SAME_WAVE)
    ]
    assert shallow.downstream[0].children == ()  # depth 1 stops there

    deep = item_tree(graph, nid("server", "SRV1"), depth=2)
    esdh = deep.downstream[0]
    assert [(b.item, b.kind) for b in esdh.children] == [(nid("application", "Løn"), "uses")]
    assert deep.upstream[0].children == ()  # ADM needs nothing


def test_item_tree_stops_a_path_at_a_loop(engine: Engine, tmp_path: Path) -> None:
    # A uses B and B uses A: the path A -> B -> A is shown once, and not walked again.
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Applications": [app("A"), app("B")],
                "Dependencies": [
                    dep("application", "A", "application", "B", "uses"),
                    dep("application", "B", "application", "A", "uses"),
                ],
            }
        },
    )
    tree = item_tree(graph, nid("application", "A"), depth=5)
    (b,) = tree.upstream
    assert b.item == nid("application", "B")
    (back,) = b.children
    assert back.item == nid("application", "A") and back.children == ()


def test_item_tree_names_a_missing_item(engine: Engine, tmp_path: Path) -> None:
    graph = graph_of(engine, tmp_path, {N: {"Applications": [app("A")]}})
    with pytest.raises(PlannerError, match="'Nordby/application/B' names no item"):
        item_tree(graph, "Nordby/application/B")


def test_the_multigraph_is_the_one_add_edge_builds(engine: Engine, tmp_path: Path) -> None:
    """`build` writes the networkx graph in one pass (issue 23: 300,000 edges at national
    scale); it must equal, node and edge data and keys included, the graph `add_node` and
    `add_edge` give. Two parallel edges (a column and a Dependencies row) get keys 0 and 1."""
    graph = graph_of(
        engine,
        tmp_path,
        {
            N: {
                "Networks": [net("ADM", "10.0.0.0/16")],
                "Servers": [server("SRV1", network="ADM"), server("SRV2")],
                "Applications": [app("ESDH", servers="SRV1")],
                "Dependencies": [
                    dep("application", "ESDH", "server", "SRV1", "uses"),
                    dep("server", "SRV2", "network", "ADM", "connected_via"),
                ],
            }
        },
    )
    expected = nx.MultiDiGraph()
    for item in graph.snapshot.items.values():
        expected.add_node(item.id, municipality=item.municipality, kind=item.kind, name=item.name)
    for e in graph.edges:
        expected.add_edge(
            e.source, e.target, kind=e.kind, strength=e.strength, rule=e.rule, origin=e.origin
        )
    assert list(graph.graph.nodes(data=True)) == list(expected.nodes(data=True))
    assert list(graph.graph.edges(keys=True, data=True)) == list(
        expected.edges(keys=True, data=True)
    )
    assert list(graph.graph.in_edges(nid("server", "SRV1"), keys=True)) == [
        (nid("application", "ESDH"), nid("server", "SRV1"), 0),
        (nid("application", "ESDH"), nid("server", "SRV1"), 1),
    ]
