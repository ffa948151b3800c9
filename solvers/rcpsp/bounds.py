"""Static lower bounds of RCPSP and the conflicts they prove, in milliseconds, before any search.

The critical path (with releases) and the resource energy bound the makespan; the
resource-aware heads, tails and gaps of `delays()` (after the pairwise delays of OR-Tools'
`examples/python/rcpsp_sat.py`, with static bounds instead of a sub-solve per pair) bound
it further and strengthen the CP-SAT model. A deadline that these bounds already rule out
gives "infeasible" before CP-SAT starts, with a sentence naming the task.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from solvers.arrays import bits
from solvers.rcpsp.problem import ScheduleProblem

__all__ = [
    "Delays",
    "Windows",
    "deadline_conflict",
    "delays",
    "head_conflict",
    "lower_bound",
    "windows",
]


@dataclass(frozen=True)
class Windows:
    """Earliest starts and tails from the precedence graph alone (resources ignored)."""

    earliest: tuple[int, ...]  # earliest start, from releases and predecessors
    tail: tuple[int, ...]  # longest chain of durations after the task ends
    critical_path: int  # max over tasks of earliest + duration + tail
    energy: int  # max over resources of ceil(sum of duration * demand / capacity)


def windows(problem: ScheduleProblem) -> Windows:
    n, dur = problem.num_tasks, problem.durations
    earliest = [problem.release_of(t) for t in range(n)]
    for t in problem.topological_order:
        for s in problem.successors[t]:
            earliest[s] = max(earliest[s], earliest[t] + dur[t])
    tail = [0] * n
    for t in reversed(problem.topological_order):
        for s in problem.successors[t]:
            tail[t] = max(tail[t], dur[s] + tail[s])
    cp = max((earliest[t] + dur[t] for t in range(n)), default=0)
    energy = 0
    for r, cap in enumerate(problem.capacities):
        work = sum(dur[t] * problem.demands[t][r] for t in range(n))
        if work and cap:
            energy = max(energy, -(-work // cap))
    return Windows(tuple(earliest), tuple(tail), cp, energy)


def lower_bound(problem: ScheduleProblem) -> int:
    """Critical path (with releases) and resource energy bound on the makespan."""
    w = windows(problem)
    return max(w.critical_path, w.energy)


def deadline_conflict(problem: ScheduleProblem, w: Windows) -> str:
    """A sentence naming a task that cannot meet its deadline or the horizon, or ''."""
    latest_end: list[float] = [math.inf] * problem.num_tasks
    for t in range(problem.num_tasks):
        dl = problem.deadline_of(t)
        if dl is not None:
            latest_end[t] = dl
        if problem.horizon is not None:
            latest_end[t] = min(latest_end[t], problem.horizon)
    for t in reversed(problem.topological_order):
        for s in problem.successors[t]:
            latest_end[t] = min(latest_end[t], latest_end[s] - problem.durations[s])
    for t in problem.topological_order:  # a task's own deadline first: the clearer story
        end = w.earliest[t] + problem.durations[t]
        dl = problem.deadline_of(t)
        if dl is not None and end > dl:
            return (
                f"task {problem.names[t]!r} cannot end before {end} (releases and "
                f"predecessors) but its deadline is {dl}."
            )
    for t in problem.topological_order:
        end = w.earliest[t] + problem.durations[t]
        if end > latest_end[t]:
            return (
                f"task {problem.names[t]!r} cannot end before {end} (releases and "
                f"predecessors) but must end by {latest_end[t]:g} (deadlines, "
                "horizon and successors)."
            )
    return ""


@dataclass(frozen=True)
class Delays:
    """Resource-aware distances in the precedence graph.

    The idea of the pairwise delays in OR-Tools' rcpsp_sat.py, with static bounds where
    it runs a sub-solve per pair (measured too slow for a 10 s budget). Every task
    strictly between `a` and a later task `b` must run after `a` ends and before `b`
    starts, so `start[b] - end[a]` is at least the time that set needs on the resources.
    Likewise a task starts no earlier than its predecessors need (`head`), and the
    makespan is at least its end plus the time its successors need (`tail`). "Time a set
    needs" is the larger of its energy per resource and its greedy clique of mutually
    exclusive tasks (two tasks exclude each other when together they need more than a
    capacity). Only gaps longer than the longest chain are kept: the others follow from
    the precedences anyway.
    """

    gaps: dict[tuple[int, int], int]  # (a, b) -> start[b] >= end[a] + gap
    head: tuple[int, ...]  # start[t] >= head[t]
    tail: tuple[int, ...]  # makespan >= end[t] + tail[t]
    bound: int  # a makespan lower bound: max of head + duration + tail, and of all tasks


def _set_length(problem: ScheduleProblem, tasks: list[int], exclusive: list[int]) -> int:
    """Energy and clique bound on the time `tasks` need on the resources (precedence aside)."""
    dur, dem = problem.durations, problem.demands
    best = 0
    for r, cap in enumerate(problem.capacities):
        if cap:
            work = sum(dur[t] * dem[t][r] for t in tasks)
            best = max(best, -(-work // cap))
    clique, allowed = 0, -1
    for t in sorted(tasks, key=lambda x: -dur[x]):  # greedy clique, longest first
        if allowed >> t & 1 and dur[t]:
            clique += dur[t]
            allowed &= exclusive[t]
    return max(best, clique)


_GAP_TASKS = 150  # gaps cost about n^3 steps; above this many tasks only heads and tails
_HEAD_TASKS = 1000  # heads and tails about n^2 log n; above this, plain precedence windows


def delays(problem: ScheduleProblem, w: Windows) -> Delays:
    """Heads, tails and gaps (see `Delays`) from static set bounds, in milliseconds."""
    n, dur, dem, cap = (problem.num_tasks, problem.durations, problem.demands, problem.capacities)
    if n > _HEAD_TASKS:
        return Delays({}, w.earliest, w.tail, max(w.critical_path, w.energy))
    order = problem.topological_order
    exclusive = [0] * n  # bitset of the tasks that cannot overlap t
    for a in range(n):
        if not dur[a]:
            continue
        for b in range(a + 1, n):
            if dur[b] and any(dem[a][r] + dem[b][r] > cap[r] for r in range(len(cap))):
                exclusive[a] |= 1 << b
                exclusive[b] |= 1 << a
    desc = [0] * n
    for t in reversed(order):
        for s in problem.successors[t]:
            desc[t] |= (1 << s) | desc[s]
    anc = [0] * n
    for t in order:
        for p in problem.predecessors[t]:
            anc[t] |= (1 << p) | anc[p]
    rank = {t: k for k, t in enumerate(order)}

    # Longest chain from the end of a to the start of each descendant b, and the set between.
    chains: dict[tuple[int, int], int] = {}
    between: dict[tuple[int, int], int] = {}
    for a in range(n if n <= _GAP_TASKS else 0):
        chain: dict[int, int] = {}
        for b in sorted(bits(desc[a]), key=rank.__getitem__):
            chain[b] = max(
                (
                    0 if p == a else chain[p] + dur[p]
                    for p in problem.predecessors[b]
                    if p == a or p in chain
                ),
                default=0,
            )
            mask = desc[a] & anc[b]
            if mask & (mask - 1):  # at least two tasks in between
                chains[(a, b)] = chain[b]
                between[(a, b)] = mask

    length: dict[int, int] = {}  # set bitmask -> lower bound on the time the set needs
    for mask in [*anc, *desc, *between.values()]:
        if mask and mask not in length:
            length[mask] = _set_length(problem, bits(mask), exclusive)

    head = list(w.earliest)
    tail = list(w.tail)
    for t in range(n):
        if anc[t]:
            first = min(problem.release_of(x) for x in bits(anc[t]))
            head[t] = max(head[t], first + length[anc[t]])
        if desc[t]:
            tail[t] = max(tail[t], length[desc[t]])
    for t in order:  # propagate the stronger heads and tails along precedence
        for s in problem.successors[t]:
            head[s] = max(head[s], head[t] + dur[t])
    for t in reversed(order):
        for s in problem.successors[t]:
            tail[t] = max(tail[t], dur[s] + tail[s])
    gaps = {pair: length[mask] for pair, mask in between.items() if length[mask] > chains[pair]}
    everything = _set_length(problem, list(range(n)), exclusive)  # the clique of all tasks
    bound = max([everything, *(head[t] + dur[t] + tail[t] for t in range(n))])
    return Delays(gaps, tuple(head), tuple(tail), bound)


def head_conflict(problem: ScheduleProblem, d: Delays) -> str:
    """A sentence naming a task whose predecessors need too long for its deadline, or ''."""
    for t in problem.topological_order:
        end = d.head[t] + problem.durations[t]
        dl = problem.deadline_of(t)
        if dl is not None and end > dl:
            return (
                f"task {problem.names[t]!r} cannot end before {end} (the resources its "
                f"predecessors need) but its deadline is {dl}."
            )
    return ""
