"""A combinatorial lower bound on split soft pairs: the forced pairs, plus what no task's
wave has room to join (issue 23).

Give each soft pair that is not forced (`forced_and_free`) to one of its
two tasks, its owner. In any plan, the pairs a task t owns that are joined have their other
task in t's wave, so their summed demand fits, per resource, in the largest capacity of a
wave t may take less t's own demand. The joined weight is therefore at most the fractional
knapsack of t's owned pairs (weight = the pair's, size = the partner's demand) in that room,
for every resource; the rest of t's owned weight is split. Each pair has one owner, so these
excesses add up, and with the forced pairs (a disjoint set) they are a lower bound on the
split weight of every plan within the horizon. Pairs go to the endpoint with more of them,
so that the heavy hubs (a shared system with many partners) carry them, where the room binds.

It costs one pass over the pairs and a sort per task: it is the bound of clusters too big
for a model (`solvers.waves.parts`), and of every cluster before its model runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from solvers.waves.problem import WaveProblem

__all__ = ["forced_and_free", "joinable_bound"]


def joinable_bound(
    problem: WaveProblem,
    lo: Sequence[int],
    hi: Sequence[int],
    banned: Sequence[set[int]],
    sdesc: Sequence[frozenset[int]],
    tasks: set[int] | None = None,
) -> int:
    """Forced pairs plus the owners' excess (module docstring), over the soft pairs whose
    first task is in `tasks` (a cluster: all its pairs), or all of them."""
    forced, free, allowed = forced_and_free(problem, lo, hi, banned, sdesc, tasks)
    degree: dict[int, int] = {}
    for a, b, _ in free:
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    owned: dict[int, list[tuple[int, int]]] = {}
    for a, b, weight in free:
        owner, other = (a, b) if (degree[a], -a) >= (degree[b], -b) else (b, a)
        owned.setdefault(owner, []).append((other, weight))
    excess = sum(_excess(problem, t, pairs, allowed[t]) for t, pairs in owned.items())
    return forced + math.ceil(excess - 1e-9)


def forced_and_free(
    problem: WaveProblem,
    lo: Sequence[int],
    hi: Sequence[int],
    banned: Sequence[set[int]],
    sdesc: Sequence[frozenset[int]],
    tasks: set[int] | None = None,
) -> tuple[int, list[tuple[int, int, int]], dict[int, set[int]]]:
    """The soft pairs (whose first task is in `tasks`, or all) split into the summed weight of
    those no plan can put in one wave — their windows for this horizon share no wave, or a
    chain of hard rules with a strictly-before step joins them — and the others; with the
    waves each task met may take. The one place that decides what a forced pair is."""
    allowed: dict[int, set[int]] = {}
    forced = 0
    free: list[tuple[int, int, int]] = []
    for a, b, weight in problem.soft:
        if tasks is not None and a not in tasks:
            continue
        for t in (a, b):
            if t not in allowed:
                allowed[t] = {w for w in range(lo[t], hi[t] + 1) if w not in banned[t]}
        if b in sdesc[a] or a in sdesc[b] or not allowed[a] & allowed[b]:
            forced += weight
        else:
            free.append((a, b, weight))
    return forced, free, allowed


def _excess(problem: WaveProblem, t: int, pairs: list[tuple[int, int]], waves: set[int]) -> float:
    """The weight of t's owned pairs that cannot all be joined: the total less the largest
    fractional knapsack over the resources' rooms (the least joinable weight)."""
    total = float(sum(weight for _, weight in pairs))
    if not waves:
        return 0.0
    joinable = total
    for r in range(len(problem.resources)):
        room = max(problem.capacity[w - 1][r] for w in waves) - problem.demand[t][r]
        joinable = min(joinable, _knapsack(problem, pairs, r, room))
    return total - joinable


def _knapsack(problem: WaveProblem, pairs: list[tuple[int, int]], r: int, room: int) -> float:
    """Fractional knapsack: the most pair weight whose partners' demand on resource r fits
    in `room` (a piece of the last pair may be taken)."""
    items = sorted(
        ((weight, problem.demand[u][r]) for u, weight in pairs),
        key=lambda item: -item[0] / item[1] if item[1] else -math.inf,
    )
    left, gained = float(max(0, room)), 0.0
    for weight, size in items:
        if size <= left:
            left -= size
            gained += weight
        else:
            gained += weight * left / size
            break
    return gained
