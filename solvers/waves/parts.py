"""Lower bounds on split soft dependencies, and the exact decomposition of the splits phase.

Three bounds, all valid for every plan within waves 1..horizon:

* Forced splits. A soft pair whose two tasks cannot share a wave — their windows for this
  horizon (user windows, pins, blackouts, head/tail bounds, precedence) have no common
  wave, or a chain of hard rules with a strictly-before step runs from one to the other —
  is split in every plan. Their summed weight is a bound at any size, in milliseconds.
* Joinable weight (`solvers.waves.joinable`): the forced pairs plus, per task, the weight
  of its pairs whose partners cannot all fit in its wave with it. A cluster's bound starts
  there, also when it is too big for a model.
* Parts. The soft pairs fall into connected clusters (`clusters`); every split pair lies
  inside one. A cluster on its own — its tasks, their windows, the hard rules among them
  (also those implied through tasks outside it, from the transitive closure) and the
  capacity with only its own demand — is a relaxation of the whole problem restricted to
  it: any plan of the whole problem, read on the cluster, is a plan of it. So the least
  split weight of each cluster on its own, or any lower bound of it (CP-SAT's proven
  bound), sums to a lower bound of the whole. Each cluster is solved by its own small
  CP-SAT model (`solve_parts`), with its own status and bound: every cluster of up to
  `MAX_PART_TASKS` tasks, larger ones while their task-wave cells stay within
  `MAX_PART_CELLS`; the others keep the joinable bound ("skipped"). With more than one
  worker the clusters are solved in parallel lanes (threads, one CP-SAT worker each, each
  lane on its own units and its clusters fixed in advance, so the answer does not depend on
  which lane finishes first).

What the parts cannot see is the capacity the other clusters and the tasks without soft
pairs take: the full splits model (`solvers.waves.full`) sees it, where it is small enough,
and the phase's bound is the better of the two.

Decomposition is exact when the parts' plans can be put together: `combine` writes each
part's plan over the incumbent, one part at a time, keeping it only if every hard rule
still holds (capacity with the other tasks, precedence with tasks outside the part). When
every part is optimal and every part's plan is kept, the combined plan meets the summed
bound: the splits phase is optimal, proven. Otherwise the summed bound still holds, and
the large-neighbourhood search improves the (combined) plan.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace

from solvers import cpsat
from solvers.limits import StopRequest, TimeBudget
from solvers.waves.full import LinkedStop, join_quietly
from solvers.waves.joinable import forced_and_free, joinable_bound
from solvers.waves.model import build_part, hint, split_literal
from solvers.waves.problem import WaveProblem

__all__ = [
    "Part",
    "Setting",
    "clusters",
    "combine",
    "evaluate_part",
    "forced_splits",
    "lanes",
    "modelled",
    "solve_parts",
]

#: Budget units per CP-SAT deterministic second of a part's model (as the LNS sub-models:
#: many small models whose load and presolve the deterministic clock does not count).
COST = 2.0

#: Clusters with more tasks than this get the forced-split bound only: their model is as hard
#: as the whole problem's (the national instance has one cluster of 15,000 tasks).
MAX_PART_TASKS = 120

#: Larger clusters get a model too while their task-wave cells stay within this (a cluster
#: of 400 tasks in 25 waves); the national instance's cluster of 15,000 tasks does not.
MAX_PART_CELLS = 10_000


@dataclass(frozen=True)
class Part:
    """One cluster of soft-connected tasks solved on its own: its status ("optimal",
    "feasible", "unknown", or "skipped" when too big for a model), the split weight of its
    plan (inf without one), its proven bound, and its plan (task -> wave; empty without one)."""

    tasks: tuple[int, ...]
    status: str
    objective: float
    bound: float
    waves: dict[int, int]


def _allowed(lo: Sequence[int], hi: Sequence[int], banned: Sequence[set[int]], t: int) -> list[int]:
    """The waves task t may take for this horizon."""
    return [w for w in range(lo[t], hi[t] + 1) if w not in banned[t]]


def forced_splits(
    problem: WaveProblem,
    lo: Sequence[int],
    hi: Sequence[int],
    banned: Sequence[set[int]],
    sdesc: Sequence[frozenset[int]],
    tasks: set[int] | None = None,
) -> int:
    """Summed weight of the soft pairs (of `tasks`, or all) that no plan can put in one wave."""
    return forced_and_free(problem, lo, hi, banned, sdesc, tasks)[0]


def clusters(problem: WaveProblem) -> list[list[int]]:
    """Connected components of the soft pairs (tasks without one are in none), smallest
    first, ties by first task: the parts of the splits phase."""
    parent = list(range(problem.n_tasks))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in problem.soft:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for a, b, _ in problem.soft:
        for t in (a, b):
            members.setdefault(find(t), [])
    for t in range(problem.n_tasks):
        root = find(t)
        if root in members:
            members[root].append(t)
    return sorted(members.values(), key=lambda ts: (len(ts), ts[0]))


@dataclass(frozen=True)
class Setting:
    """What the parts' models share: windows and banned waves for the horizon, the transitive
    precedence sets, the incumbent (for hints), and how to run CP-SAT."""

    problem: WaveProblem
    lo: Sequence[int]
    hi: Sequence[int]
    banned: Sequence[set[int]]
    desc: Sequence[frozenset[int]]
    sdesc: Sequence[frozenset[int]]
    horizon: int
    incumbent: Sequence[int]
    stop: StopRequest | None
    workers: int
    seed: int


def solve_parts(s: Setting, parts: list[list[int]], budget: TimeBudget) -> tuple[list[Part], float]:
    """Solve every part on its own within `budget`; returns the parts (in the order given)
    and the units they used.

    The parts that need a model are dealt round-robin, smallest first, to `lanes(s)` lanes:
    one lane when `s.workers` is 1, else one per worker, each in a thread of its own with one
    CP-SAT worker and the whole of `budget` (they run at the same time). Inside a lane the
    budget is shared out in order, smallest part first, so what a small part leaves goes to
    the bigger ones. Which lane a part is in depends only on the parts, and each lane on its
    own units, so the answer does not depend on which lane finishes first."""
    out: list[Part | None] = [None] * len(parts)
    floors = [
        float(joinable_bound(s.problem, s.lo, s.hi, s.banned, s.sdesc, set(tasks)))
        for tasks in parts
    ]
    todo: list[int] = []
    for k, tasks in enumerate(parts):
        forced = floors[k]
        now = evaluate_part(s.problem, tasks, s.incumbent)
        if now <= forced:  # the incumbent already meets the forced bound here: no model needed
            out[k] = Part(tuple(tasks), "optimal", now, forced, {t: s.incumbent[t] for t in tasks})
        elif not modelled(s, tasks):
            out[k] = Part(tuple(tasks), "skipped", float("inf"), forced, {})
        else:
            todo.append(k)
    count = lanes(s, len(todo))
    used = [0.0] * count
    stop = LinkedStop(s.stop)
    lane_setting = replace(s, stop=stop, workers=1 if count > 1 else s.workers)

    failures: list[BaseException] = []

    def lane(i: int) -> None:
        try:
            used[i] = _lane(lane_setting, parts, floors, todo[i::count], budget, out)
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread below
            failures.append(exc)
            stop.request()

    threads = [
        threading.Thread(target=lane, args=(i,), name=f"parts-lane-{i}", daemon=True)
        for i in range(1, count)
    ]
    for thread in threads:
        thread.start()
    lane(0)  # Ctrl-C here is caught in `lane`, ends the other lanes and is raised below
    for thread in threads:
        join_quietly(thread, stop)
    if failures:
        raise failures[0]
    done = [part for part in out if part is not None]
    return done, (max(used, default=0.0) if budget.deterministic else 0.0)


def lanes(s: Setting, parts: int) -> int:
    """How many parts are solved at the same time: one per worker, at most one per part."""
    return max(1, min(s.workers, parts))


def modelled(s: Setting, tasks: Sequence[int]) -> bool:
    """Whether a part gets a model: up to `MAX_PART_TASKS` tasks always, larger ones while
    their task-wave cells stay within `MAX_PART_CELLS`."""
    if len(tasks) <= MAX_PART_TASKS:
        return True
    cells = sum(len(_allowed(s.lo, s.hi, s.banned, t)) for t in tasks)
    return cells <= MAX_PART_CELLS


def _lane(
    s: Setting,
    parts: list[list[int]],
    floors: list[float],
    mine: list[int],
    budget: TimeBudget,
    out: list[Part | None],
) -> float:
    """Solve the parts `mine` (indices into `parts`; `floors`, their combinatorial bounds) in
    order within `budget`, writing each result to its place in `out`; returns the units used."""
    start = budget.units
    for j, k in enumerate(mine):
        tasks, forced = parts[k], floors[k]
        if budget.left() <= 0 or (s.stop and s.stop.requested):
            out[k] = Part(tuple(tasks), "skipped", float("inf"), forced, {})
            continue
        part, used = _solve_part(s, tasks, budget.part(1.0 / (len(mine) - j)))
        budget = budget.charge(used)
        out[k] = Part(part.tasks, part.status, part.objective, max(part.bound, forced), part.waves)
    return start - budget.units if budget.deterministic else 0.0


def _solve_part(s: Setting, tasks: list[int], budget: TimeBudget) -> tuple[Part, float]:
    """One cluster's model (see the module docstring) minimising its split weight."""
    p, ts = s.problem, set(tasks)
    allowed = {t: _allowed(s.lo, s.hi, s.banned, t) for t in tasks}
    arcs = [(a, b, 1 if b in s.sdesc[a] else 0) for a in tasks for b in s.desc[a] & ts if b != a]
    room = [list(row) for row in p.capacity[: s.horizon]]
    model, v = build_part(p, allowed, room, arcs, horizon=s.horizon)
    terms = [w * split_literal(model, v, a, b) for a, b, w in p.soft if a in ts]
    model.minimize(sum(terms))
    if all(s.incumbent[t] in allowed[t] for t in tasks):
        hint(model, v, s.incumbent)
    out = cpsat.solve(model, budget, s.stop, cost=COST, workers=s.workers, seed=s.seed)
    if not out.found:  # no plan in time (a relaxation of a feasible plan is never infeasible)
        return Part(tuple(tasks), "unknown", float("inf"), 0.0, {}), out.units
    waves = {t: out.value(v.wave[t]) for t in tasks}
    return Part(tuple(tasks), out.status, out.objective, max(0.0, out.bound), waves), out.units


def combine(
    problem: WaveProblem,
    incumbent: Sequence[int],
    parts: Sequence[Part],
    arcs: Sequence[tuple[int, int, int]],
) -> tuple[list[int], int]:
    """The incumbent with every part's plan written over it that keeps all hard rules and
    splits less there; returns the plan and how many parts were taken.

    A part's plan already keeps windows, pins, blackouts and the rules among its tasks;
    what is checked here is the capacity with everything else and the rules (`arcs`,
    (a, b, lag)) between its tasks and the rest.
    """
    plan = list(incumbent)
    k = len(problem.resources)
    load = [[0] * k for _ in range(problem.max_waves + 2)]
    for t, w in enumerate(plan):
        for r in range(k):
            load[w][r] += problem.demand[t][r]
    touching: list[list[tuple[int, int, int]]] = [[] for _ in range(problem.n_tasks)]
    for a, b, lag in arcs:
        touching[a].append((a, b, lag))
        touching[b].append((a, b, lag))
    soft_of: dict[int, list[tuple[int, int]]] = {}
    for a, b, weight in problem.soft:
        soft_of.setdefault(a, []).append((b, weight))
    taken = 0
    for part in parts:
        if not part.waves or _split_weight(soft_of, part.tasks, plan) <= part.objective:
            continue
        if _fits(problem, plan, load, part.waves, touching):
            _apply(problem, plan, load, part.waves)
            taken += 1
    return plan, taken


def evaluate_part(problem: WaveProblem, tasks: Sequence[int], plan: Sequence[int]) -> float:
    """The split weight of the soft pairs among `tasks` in `plan`."""
    ts = set(tasks)
    return float(sum(w for a, b, w in problem.soft if a in ts and b in ts and plan[a] != plan[b]))


def _split_weight(
    soft_of: dict[int, list[tuple[int, int]]], tasks: Sequence[int], plan: Sequence[int]
) -> float:
    """The split weight among `tasks` (a cluster: all its pairs lie inside it) in `plan`."""
    return float(sum(w for a in tasks for b, w in soft_of.get(a, ()) if plan[a] != plan[b]))


def _fits(
    problem: WaveProblem,
    plan: list[int],
    load: list[list[int]],
    new: dict[int, int],
    touching: list[list[tuple[int, int, int]]],
) -> bool:
    """Whether moving the tasks of `new` keeps every capacity and every rule touching them."""

    def wave(t: int) -> int:
        return new.get(t, plan[t])

    for t in new:
        for a, b, lag in touching[t]:
            if wave(b) < wave(a) + lag:
                return False
    delta: dict[int, list[int]] = {}
    for t, w in new.items():
        if w == plan[t]:
            continue
        for u, sign in ((plan[t], -1), (w, 1)):
            row = delta.setdefault(u, [0] * len(problem.resources))
            for r, d in enumerate(problem.demand[t]):
                row[r] += sign * d
    for w, row in delta.items():
        cap = problem.capacity[w - 1]
        if any(load[w][r] + row[r] > cap[r] for r in range(len(row)) if row[r] > 0):
            return False
    return True


def _apply(
    problem: WaveProblem, plan: list[int], load: list[list[int]], new: dict[int, int]
) -> None:
    """Move the tasks of `new` in `plan` and the wave loads."""
    for t, w in new.items():
        for r, d in enumerate(problem.demand[t]):
            load[plan[t]][r] -= d
            load[w][r] += d
        plan[t] = w
