"""`solvers.waves.communities`: Louvain on graphs whose communities are planted, nodes
without partners, numbering and determinism."""

from __future__ import annotations

import random
from collections import Counter

from solvers.waves.communities import louvain


def graph(edges: list[tuple[int, int, int]], n: int) -> list[list[tuple[int, int]]]:
    """Partners per node (both directions) from (u, v, weight) edges."""
    out: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for u, v, x in edges:
        out[u].append((v, x))
        out[v].append((u, x))
    return out


def test_cliques_on_a_ring_are_found_one_by_one() -> None:
    # Five cliques of six nodes (15 pairs each, weight 1), each joined to the next by one
    # pair: modularity is highest with one community per clique, and Louvain finds it.
    edges = [(6 * c + a, 6 * c + b, 1) for c in range(5) for a in range(6) for b in range(a + 1, 6)]
    edges += [(6 * c + 5, (6 * c + 6) % 30, 1) for c in range(5)]
    group, ops = louvain(graph(edges, 30), seed=1)
    assert group == [c for c in range(5) for _ in range(6)]
    assert ops > 0


def test_nodes_without_partners_belong_to_no_community() -> None:
    # Nodes 1 and 3 have no pairs; the pair 0-2 is one community, numbered 0 (first node).
    group, _ = louvain(graph([(0, 2, 3)], 4), seed=1)
    assert group == [0, -1, 0, -1]


def test_planted_municipalities_are_recovered() -> None:
    # Eight "municipalities" of 40 systems, each integrating with 1-5 random others of its own
    # (like the generated data), and 12 integrations between municipalities: eight
    # communities, each one municipality, whatever the seed of the visiting order (a system
    # with no integration inside its municipality but one outside may join that one).
    rng = random.Random(7)
    edges = []
    for m in range(8):
        for i in range(40):
            for j in rng.sample(range(40), rng.randint(1, 5)):
                if j != i:
                    edges.append((40 * m + i, 40 * m + j, 1))
    for _ in range(12):
        a, b = rng.sample(range(8), 2)
        edges.append((40 * a + rng.randrange(40), 40 * b + rng.randrange(40), 1))
    for seed in (1, 2, 3):
        group, _ = louvain(graph(edges, 320), seed=seed)
        assert max(group) == 7
        majority = [Counter(group[40 * m : 40 * m + 40]).most_common(1)[0][0] for m in range(8)]
        assert sorted(majority) == list(range(8))
        misplaced = [u for u in range(320) if group[u] != majority[u // 40]]
        assert len(misplaced) <= 2, misplaced


def test_the_same_seed_gives_the_same_communities() -> None:
    # A random graph without planted structure: the answer depends on the visiting order,
    # which the seed fixes.
    rng = random.Random(3)
    edges = [(rng.randrange(60), rng.randrange(60), rng.randint(1, 3)) for _ in range(150)]
    edges = [(u, v, x) for u, v, x in edges if u != v]
    partners = graph(edges, 60)
    assert louvain(partners, seed=5) == louvain(partners, seed=5)
