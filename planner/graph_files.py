"""Writing the dependency graph as GraphML (yEd, Gephi), DOT, or a Graphviz picture."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import networkx as nx

from exports.errors import PlannerError

COLOURS = {
    "site": "#bdbdbd",
    "network": "#4e79a7",
    "directory": "#f28e2b",
    "server": "#59a14f",
    "application": "#e15759",
    "workplace": "#76b7b2",
}


def _simple(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """GraphML and DOT readers cope best with one edge per pair: join the kinds."""
    simple = nx.DiGraph()
    for node, data in graph.nodes(data=True):
        simple.add_node(node, **{k: str(v) for k, v in data.items()})
    for a, b, data in graph.edges(data=True):
        seen = str(data.get("observed") or "")
        if simple.has_edge(a, b):
            old = simple.edges[a, b]
            old["kind"] = ", ".join(sorted(set(old["kind"].split(", ")) | {data["kind"]}))
            old["observed"] = old["observed"] or bool(seen)
            old["traffic"] = old["traffic"] or seen
        else:
            # `observed`: seen in network traffic (a connection capture); `traffic`: what was seen
            simple.add_edge(
                a,
                b,
                kind=data["kind"],
                strength=data["strength"],
                rule=data["rule"],
                observed=bool(seen),
                traffic=seen,
            )
    return simple


def dot_text(graph: nx.MultiDiGraph) -> str:
    def q(text: str) -> str:
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        "digraph dependencies {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    ]
    simple = _simple(graph)
    for node, data in simple.nodes(data=True):
        lines.append(
            f"  {q(node)} "
            f"[label={q(data.get('municipality', '') + chr(10) + data.get('name', node))}, "
            f"fillcolor={q(COLOURS.get(data.get('kind', ''), '#ffffff'))}];"
        )
    for a, b, data in simple.edges(data=True):
        style = "dashed" if data.get("rule") == "soft" else "solid"
        label, colour = (
            (f"{data['kind']} (observed)", ', color="#b07aa1"')
            if data.get("observed")
            else (data["kind"], "")
        )
        lines.append(f"  {q(a)} -> {q(b)} [label={q(label)}, style={style}{colour}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_graph(graph: nx.MultiDiGraph, path: Path) -> None:
    """Write by extension: .graphml, .dot/.gv, or .svg/.png/.pdf through Graphviz's `dot`."""
    suffix = path.suffix.lower()
    if suffix == ".graphml":
        nx.write_graphml(_simple(graph), path, encoding="utf-8")
    elif suffix in (".dot", ".gv"):
        path.write_text(dot_text(graph), encoding="utf-8")
    elif suffix in (".svg", ".png", ".pdf"):
        dot = shutil.which("dot")
        if dot is None:
            raise PlannerError(
                "drawing needs Graphviz's `dot` program: install the graphviz package "
                "(apt-get install graphviz), or export .dot or .graphml instead"
            )
        result = subprocess.run(
            [dot, f"-T{suffix[1:]}", "-o", str(path)],
            input=dot_text(graph).encode("utf-8"),
            capture_output=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise PlannerError(
                f"graphviz failed: {result.stderr.decode('utf-8', 'replace').strip()[:300]}"
            )
    else:
        raise PlannerError(
            f"{path}: unknown graph format {suffix!r}; use .graphml, .dot, .svg, .png or .pdf"
        )
