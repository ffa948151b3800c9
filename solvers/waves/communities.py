"""Communities of the soft graph by the Louvain method: the items the packing of
`solvers.waves.packing` places whole into waves.

Why Louvain: on 98 generated municipalities it finds the 98 municipalities (every community
one municipality's applications; one shared system sits with one of them) in a few seconds,
where the size-capped label propagation of `solvers.waves.start` cut 26 municipalities
into pieces (186 communities, 2,716 of the 46,339 soft weight between them against 184
for the municipalities themselves). Written here, not taken from networkx, because the
solver layer imports no graph library (docs/architecture.md); the algorithm is the
standard one (Blondel, Guillaume, Lambiotte and Lefebvre, "Fast unfolding of communities in
large networks", 2008): nodes move to the neighbouring community with the largest gain in
modularity until none moves, the communities become the nodes of the next level, until a
level moves nothing.

Deterministic: nodes are visited in an order drawn from a seeded generator, ties go to the
smaller community number; the work is counted in operations (a neighbour's look-up).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

__all__ = ["louvain"]

_Adjacency = list[dict[int, int]]


def louvain(partners: Sequence[Sequence[tuple[int, int]]], seed: int) -> tuple[list[int], int]:
    """Per node, its community (numbered 0.. in order of first node; -1 for a node without
    partners), and the operations used. `partners[u]` lists (v, weight), both directions."""
    n = len(partners)
    adj: _Adjacency = [dict() for _ in range(n)]
    for u, ps in enumerate(partners):
        for v, x in ps:
            if v != u:
                adj[u][v] = adj[u].get(v, 0) + x
    loops = [0] * n
    member = list(range(n))  # node of the current level holding each original node
    rng = random.Random(seed)
    ops = 0
    while True:
        comm, moved, used = _one_level(adj, loops, rng)
        ops += used
        if not moved:
            break
        member = [comm[m] for m in member]
        adj, loops = _aggregate(adj, loops, comm)
    number: dict[int, int] = {}
    out = [number.setdefault(member[u], len(number)) if partners[u] else -1 for u in range(n)]
    return out, ops


def _one_level(
    adj: _Adjacency, loops: list[int], rng: random.Random
) -> tuple[list[int], bool, int]:
    """Local moving: each node to the neighbouring community with the largest modularity
    gain, in passes until a pass moves none. Returns the communities renumbered 0..,
    whether any node moved, and the operations used."""
    n = len(adj)
    degree = [sum(a.values()) + 2 * loops[u] for u, a in enumerate(adj)]
    m2 = float(sum(degree)) or 1.0
    comm = list(range(n))
    total = list(degree)
    order = list(range(n))
    rng.shuffle(order)
    moved, ops, changed = False, 0, True
    while changed:
        changed = False
        for u in order:
            ops += len(adj[u]) + 1
            weight: dict[int, int] = {}
            for v, x in adj[u].items():
                weight[comm[v]] = weight.get(comm[v], 0) + x
            own = comm[u]
            total[own] -= degree[u]
            best, gain = own, weight.get(own, 0) - total[own] * degree[u] / m2
            for c in sorted(weight):
                g = weight[c] - total[c] * degree[u] / m2
                if g > gain + 1e-12:
                    best, gain = c, g
            total[best] += degree[u]
            if best != own:
                comm[u] = best
                changed = moved = True
    number: dict[int, int] = {}
    return [number.setdefault(c, len(number)) for c in comm], moved, ops


def _aggregate(adj: _Adjacency, loops: list[int], comm: list[int]) -> tuple[_Adjacency, list[int]]:
    """The next level's graph: one node per community, the weights between communities
    summed, the weight inside a community its node's loop."""
    count = max(comm, default=-1) + 1
    out: _Adjacency = [dict() for _ in range(count)]
    inner = [0] * count
    for u, a in enumerate(adj):
        cu = comm[u]
        inner[cu] += loops[u]
        for v, x in a.items():
            cv = comm[v]
            if cv == cu:
                if u < v:
                    inner[cu] += x
            else:
                out[cu][cv] = out[cu].get(cv, 0) + x
    return out, inner
