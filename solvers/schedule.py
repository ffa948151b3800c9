"""Resource-constrained project scheduling (RCPSP) on OR-Tools CP-SAT.

A plain problem goes in and a plain result comes out: `ScheduleProblem` holds tasks with
integer durations, renewable resources with constant capacities, finish-to-start
precedences, release dates and deadlines; `solve()` minimises the end of the last task.

The solver never claims more than it proved: a result is "optimal" only when CP-SAT proved
it or a lower bound (critical path, resource energy, the resource-aware heads and tails of
`_delays()`, CP-SAT's bound) meets the makespan.
`serial_sgs()` is the greedy baseline and the first solution hint; `check_schedule()`
recomputes feasibility independently of all solvers, and every solution `solve()` returns
has passed it.

`solve()` is a hybrid: CP-SAT first for a short slice (small problems such as cutover
runbooks are proven there), then, if the gap is still open, the genetic search of
`solvers.schedule_ga` (compiled serial SGS, tens of thousands of schedules a second), then
CP-SAT again for the rest of the time, hinted with the best schedule and restricted to
schedules no longer than it.

Deadlines are hard by default, so a cutover window that cannot be met gives "infeasible",
usually before CP-SAT starts (a forward pass over releases, durations and precedences).
`solve(..., allow_late=True)` makes them soft instead: it minimises the total lateness
first and the makespan second, and `tasks_over_deadline()` lists the overshoot per task.

Like all of solvers/, this module imports neither sqlmodel nor networkx.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Integral

from ortools.sat.python import cp_model

from solvers import cpsat

__all__ = [
    "ScheduleProblem",
    "ScheduleResult",
    "check_schedule",
    "lower_bound",
    "priority_rules",
    "serial_sgs",
    "solve",
    "tasks_over_deadline",
]

STATUSES = ("optimal", "feasible", "infeasible", "unknown", "invalid")
_USE_DELAYS = True  # redundant heads, tails and gaps (see _Delays); off for experiments


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


@dataclass(frozen=True)
class ScheduleProblem:
    """Tasks with integer durations on renewable resources; minimise the end of the last task.

    Indices are the currency: task `t` is `names[t]`, resource `r` is `resources[r]`.
    `deadline[t]` may be None for a task without one. `horizon`, when given, is a hard
    upper bound on every end; None lets the solver pick a safe one.
    """

    names: tuple[str, ...]
    durations: tuple[int, ...]
    resources: tuple[str, ...]
    capacities: tuple[int, ...]
    demands: tuple[tuple[int, ...], ...]
    precedence: tuple[tuple[int, int], ...] = ()
    release: tuple[int, ...] = ()
    deadline: tuple[int | None, ...] = ()
    horizon: int | None = None
    # Lookups computed once in __post_init__ (successors, predecessors, topological order).
    _succ: tuple[tuple[int, ...], ...] = field(default=(), init=False, repr=False, compare=False)
    _pred: tuple[tuple[int, ...], ...] = field(default=(), init=False, repr=False, compare=False)
    _order: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("names", "durations", "resources", "capacities", "demands",
                     "precedence", "release", "deadline"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, "demands", tuple(tuple(row) for row in self.demands))
        object.__setattr__(self, "precedence", tuple(tuple(p) for p in self.precedence))
        self._validate()

    @property
    def num_tasks(self) -> int:
        return len(self.names)

    @property
    def num_resources(self) -> int:
        return len(self.resources)

    @property
    def successors(self) -> tuple[tuple[int, ...], ...]:
        return self._succ

    @property
    def predecessors(self) -> tuple[tuple[int, ...], ...]:
        return self._pred

    @property
    def topological_order(self) -> tuple[int, ...]:
        return self._order

    def release_of(self, task: int) -> int:
        return self.release[task] if self.release else 0

    def deadline_of(self, task: int) -> int | None:
        return self.deadline[task] if self.deadline else None

    def _validate(self) -> None:
        n, k = len(self.names), len(self.resources)
        if len(set(self.names)) != n:
            dup = next(x for x in self.names if self.names.count(x) > 1)
            raise ValueError(f"task name {dup!r} appears more than once.")
        if len(set(self.resources)) != k:
            dup = next(x for x in self.resources if self.resources.count(x) > 1)
            raise ValueError(f"resource name {dup!r} appears more than once.")
        if len(self.durations) != n:
            raise ValueError(f"durations has {len(self.durations)} entries for {n} tasks.")
        for t, d in enumerate(self.durations):
            if not _is_int(d) or d < 0:
                raise ValueError(f"task {self.names[t]!r} has duration {d!r}; "
                                 "durations must be integers >= 0.")
        if len(self.capacities) != k:
            raise ValueError(f"capacities has {len(self.capacities)} entries for {k} resources.")
        for r, c in enumerate(self.capacities):
            if not _is_int(c) or c < 0:
                raise ValueError(f"resource {self.resources[r]!r} has capacity {c!r}; "
                                 "capacities must be integers >= 0.")
        if len(self.demands) != n:
            raise ValueError(f"demands has {len(self.demands)} rows for {n} tasks.")
        for t, row in enumerate(self.demands):
            if len(row) != k:
                raise ValueError(f"task {self.names[t]!r} has {len(row)} demands "
                                 f"for {k} resources.")
            for r, q in enumerate(row):
                if not _is_int(q) or q < 0:
                    raise ValueError(f"task {self.names[t]!r} demands {q!r} of resource "
                                     f"{self.resources[r]!r}; demands must be integers >= 0.")
                if q > self.capacities[r]:
                    raise ValueError(f"task {self.names[t]!r} demands {q} of resource "
                                     f"{self.resources[r]!r} but its capacity is "
                                     f"{self.capacities[r]}.")
        for pair in self.precedence:
            if len(pair) != 2 or not all(_is_int(x) for x in pair):
                raise ValueError(f"precedence {pair!r} is not a pair of task indices.")
            a, b = pair
            if not (0 <= a < n and 0 <= b < n):
                raise ValueError(f"precedence {pair!r} refers to a task index outside 0..{n - 1}.")
            if a == b:
                raise ValueError(f"task {self.names[a]!r} cannot precede itself.")
        if self.release:
            if len(self.release) != n:
                raise ValueError(f"release has {len(self.release)} entries for {n} tasks.")
            for t, x in enumerate(self.release):
                if not _is_int(x) or x < 0:
                    raise ValueError(f"task {self.names[t]!r} has release {x!r}; "
                                     "releases must be integers >= 0.")
        if self.deadline:
            if len(self.deadline) != n:
                raise ValueError(f"deadline has {len(self.deadline)} entries for {n} tasks.")
            for t, dl in enumerate(self.deadline):
                if dl is not None and (not _is_int(dl) or dl < 0):
                    raise ValueError(f"task {self.names[t]!r} has deadline {dl!r}; "
                                     "deadlines must be integers >= 0 or None.")
        if self.horizon is not None and (not _is_int(self.horizon) or self.horizon < 0):
            raise ValueError(f"horizon is {self.horizon!r}; it must be an integer >= 0 or None.")

        succ: list[list[int]] = [[] for _ in range(n)]
        pred: list[list[int]] = [[] for _ in range(n)]
        for a, b in dict.fromkeys(self.precedence):  # duplicates are harmless; drop them
            succ[a].append(b)
            pred[b].append(a)
        order = _topological_order(succ, pred)
        if order is None:
            cycle = _find_cycle(succ)
            path = " -> ".join(self.names[t] for t in cycle)
            raise ValueError(f"precedence has a cycle: {path}.")
        object.__setattr__(self, "_succ", tuple(tuple(s) for s in succ))
        object.__setattr__(self, "_pred", tuple(tuple(p) for p in pred))
        object.__setattr__(self, "_order", tuple(order))


def _topological_order(succ: list[list[int]], pred: list[list[int]]) -> list[int] | None:
    """Kahn's algorithm, smallest index first so the order is reproducible; None on a cycle."""
    import heapq

    indegree = [len(p) for p in pred]
    ready = [t for t, d in enumerate(indegree) if d == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        t = heapq.heappop(ready)
        order.append(t)
        for s in succ[t]:
            indegree[s] -= 1
            if indegree[s] == 0:
                heapq.heappush(ready, s)
    return order if len(order) == len(succ) else None


def _find_cycle(succ: list[list[int]]) -> list[int]:
    """One cycle of the precedence graph, closed (first == last), for the error message."""
    colour = [0] * len(succ)  # 0 new, 1 on stack, 2 done
    stack: list[int] = []
    for root in range(len(succ)):
        if colour[root]:
            continue
        work = [(root, iter(succ[root]))]
        colour[root] = 1
        stack.append(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is None:
                work.pop()
                stack.pop()
                colour[node] = 2
            elif colour[nxt] == 1:
                return stack[stack.index(nxt):] + [nxt]
            elif colour[nxt] == 0:
                colour[nxt] = 1
                stack.append(nxt)
                work.append((nxt, iter(succ[nxt])))
    return []


@dataclass(frozen=True)
class ScheduleResult:
    """What `solve()` found and proved.

    `starts` is empty and `makespan` is inf when there is no schedule, never None.
    `bound` is a proven lower bound on the makespan (inf when infeasible); with
    `allow_late=True` it bounds the makespan of schedules no later in total than this one.
    `lateness` is the total lateness of `starts` (sum over tasks of end - deadline, if
    positive); it is 0 unless `allow_late=True`. `message` says why, for infeasible,
    unknown and invalid results. `work` is the deterministic time used (CP-SAT's units
    plus, in deterministic mode, the genetic search's schedules at `SCHEDULES_PER_UNIT`):
    unlike `runtime` it does not depend on the machine, so callers that share a budget
    between several solves (the runbook's move advice) stay reproducible by charging it.
    """

    status: str
    starts: tuple[int, ...]
    makespan: float
    bound: float
    gap: float
    runtime: float
    greedy_makespan: float
    lateness: int = 0
    message: str = ""
    work: float = 0.0

    def ends(self, problem: ScheduleProblem) -> tuple[int, ...]:
        return tuple(s + d for s, d in zip(self.starts, problem.durations))

    def is_feasible(self) -> bool:
        return self.status in ("optimal", "feasible")

    def summary(self) -> str:
        return (f"{self.status}: makespan {self.makespan:g}, bound {self.bound:g}, "
                f"gap {self.gap:.1%}, greedy {self.greedy_makespan:g}, "
                f"{self.runtime:.2f} s")


# --------------------------------------------------------------------------- checking


def check_schedule(problem: ScheduleProblem, starts: Sequence[int]) -> list[str]:
    """Every violated constraint of `starts`, as human-readable sentences; [] if feasible.

    Written independently of the model and the greedy scheduler, so it can audit both.
    """
    n = problem.num_tasks
    if len(starts) != n:
        return [f"schedule has {len(starts)} starts for {n} tasks."]
    names, dur = problem.names, problem.durations
    problems: list[str] = []
    for t in range(n):
        s = starts[t]
        if not _is_int(s):
            problems.append(f"task {names[t]!r} starts at {s!r}, which is not an integer.")
            continue
        if s < problem.release_of(t):
            problems.append(f"task {names[t]!r} starts at {s}, before its release "
                            f"{problem.release_of(t)}.")
        dl = problem.deadline_of(t)
        if dl is not None and s + dur[t] > dl:
            problems.append(f"task {names[t]!r} ends at {s + dur[t]}, after its deadline {dl}.")
        if problem.horizon is not None and s + dur[t] > problem.horizon:
            problems.append(f"task {names[t]!r} ends at {s + dur[t]}, after the horizon "
                            f"{problem.horizon}.")
    if problems and any("not an integer" in p for p in problems):
        return problems
    for a, b in problem.precedence:
        if starts[b] < starts[a] + dur[a]:
            problems.append(f"task {names[b]!r} starts at {starts[b]} before its predecessor "
                            f"{names[a]!r} ends at {starts[a] + dur[a]}.")
    for r in range(problem.num_resources):
        cap = problem.capacities[r]
        events: list[tuple[int, int, int]] = []  # (time, +1 start / -1 end sorted ends first)
        for t in range(n):
            q = problem.demands[t][r]
            if q and dur[t]:
                events.append((starts[t], 1, t))
                events.append((starts[t] + dur[t], 0, t))
        events.sort()
        running: set[int] = set()
        load = 0
        for i, (when, kind, t) in enumerate(events):
            if kind == 0:
                running.discard(t)
                load -= problem.demands[t][r]
                continue
            running.add(t)
            load += problem.demands[t][r]
            next_same = i + 1 < len(events) and events[i + 1][:2] == (when, 1)
            if load > cap and not next_same:
                who = ", ".join(names[x] for x in sorted(running))
                problems.append(f"resource {problem.resources[r]!r} needs {load} at time "
                                f"{when} but has {cap} (tasks {who}).")
    return problems


def tasks_over_deadline(problem: ScheduleProblem, result: ScheduleResult) -> dict[int, int]:
    """Task index -> time units past its deadline, for the tasks that end late in `result`.

    Empty for a result without a schedule or without late tasks; meant for
    `solve(..., allow_late=True)`, where it says which cutover steps overrun the window.
    """
    if not result.starts:
        return {}
    late: dict[int, int] = {}
    for t, end in enumerate(result.ends(problem)):
        dl = problem.deadline_of(t)
        if dl is not None and end > dl:
            late[t] = end - dl
    return late


def _total_lateness(problem: ScheduleProblem, starts: Sequence[int]) -> int:
    return sum(
        max(0, starts[t] + problem.durations[t] - dl)
        for t in range(problem.num_tasks)
        if (dl := problem.deadline_of(t)) is not None
    )


# ------------------------------------------------------------------- static bounds


@dataclass(frozen=True)
class _Windows:
    """Earliest starts and tails from the precedence graph alone (resources ignored)."""

    earliest: tuple[int, ...]  # earliest start, from releases and predecessors
    tail: tuple[int, ...]  # longest chain of durations after the task ends
    critical_path: int  # max over tasks of earliest + duration + tail
    energy: int  # max over resources of ceil(sum of duration * demand / capacity)


def _windows(problem: ScheduleProblem) -> _Windows:
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
    return _Windows(tuple(earliest), tuple(tail), cp, energy)


def lower_bound(problem: ScheduleProblem) -> int:
    """Critical path (with releases) and resource energy bound on the makespan."""
    w = _windows(problem)
    return max(w.critical_path, w.energy)


def _deadline_conflict(problem: ScheduleProblem, w: _Windows) -> str:
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
            return (f"task {problem.names[t]!r} cannot end before {end} (releases and "
                    f"predecessors) but its deadline is {dl}.")
    for t in problem.topological_order:
        end = w.earliest[t] + problem.durations[t]
        if end > latest_end[t]:
            return (f"task {problem.names[t]!r} cannot end before {end} (releases and "
                    f"predecessors) but must end by {latest_end[t]:g} (deadlines, horizon "
                    "and successors).")
    return ""


# ---------------------------------------------------------- redundant delays


@dataclass(frozen=True)
class _Delays:
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


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


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


def _delays(problem: ScheduleProblem, w: _Windows) -> _Delays:
    """Heads, tails and gaps (see `_Delays`) from static set bounds, in milliseconds."""
    n, dur, dem, cap = (problem.num_tasks, problem.durations, problem.demands,
                        problem.capacities)
    if n > _HEAD_TASKS:
        return _Delays({}, w.earliest, w.tail, max(w.critical_path, w.energy))
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
        for b in sorted(_bits(desc[a]), key=rank.__getitem__):
            chain[b] = max((0 if p == a else chain[p] + dur[p]
                            for p in problem.predecessors[b]
                            if p == a or p in chain), default=0)
            mask = desc[a] & anc[b]
            if mask & (mask - 1):  # at least two tasks in between
                chains[(a, b)] = chain[b]
                between[(a, b)] = mask

    length: dict[int, int] = {}  # set bitmask -> lower bound on the time the set needs
    for mask in [*anc, *desc, *between.values()]:
        if mask and mask not in length:
            length[mask] = _set_length(problem, _bits(mask), exclusive)

    head = list(w.earliest)
    tail = list(w.tail)
    for t in range(n):
        if anc[t]:
            first = min(problem.release_of(x) for x in _bits(anc[t]))
            head[t] = max(head[t], first + length[anc[t]])
        if desc[t]:
            tail[t] = max(tail[t], length[desc[t]])
    for t in order:  # propagate the stronger heads and tails along precedence
        for s in problem.successors[t]:
            head[s] = max(head[s], head[t] + dur[t])
    for t in reversed(order):
        for s in problem.successors[t]:
            tail[t] = max(tail[t], dur[s] + tail[s])
    gaps = {pair: length[mask] for pair, mask in between.items()
            if length[mask] > chains[pair]}
    everything = _set_length(problem, list(range(n)), exclusive)  # the clique of all tasks
    bound = max([everything, *(head[t] + dur[t] + tail[t] for t in range(n))])
    return _Delays(gaps, tuple(head), tuple(tail), bound)


def _head_conflict(problem: ScheduleProblem, delays: _Delays | None) -> str:
    """A sentence naming a task whose predecessors need too long for its deadline, or ''."""
    if delays is None:
        return ""
    for t in problem.topological_order:
        end = delays.head[t] + problem.durations[t]
        dl = problem.deadline_of(t)
        if dl is not None and end > dl:
            return (f"task {problem.names[t]!r} cannot end before {end} (the resources its "
                    f"predecessors need) but its deadline is {dl}.")
    return ""


# ------------------------------------------------------------------ greedy baseline


def priority_rules(problem: ScheduleProblem) -> dict[str, tuple[float, ...]]:
    """Classic serial-SGS priority rules; a lower value is scheduled first.

    lft: latest finish time, lst: latest start time, mts: most total successors,
    grpw: greatest rank positional weight, spt: shortest processing time.
    """
    n, dur = problem.num_tasks, problem.durations
    w = _windows(problem)
    length = max(w.critical_path, max((w.earliest[t] + dur[t] + w.tail[t] for t in range(n)),
                                      default=0))
    lft = tuple(float(length - w.tail[t]) for t in range(n))
    lst = tuple(lft[t] - dur[t] for t in range(n))
    reach: list[set[int]] = [set() for _ in range(n)]
    for t in reversed(problem.topological_order):
        for s in problem.successors[t]:
            reach[t].add(s)
            reach[t] |= reach[s]
    mts = tuple(-float(len(reach[t])) for t in range(n))
    grpw = tuple(-float(dur[t] + sum(dur[s] for s in problem.successors[t])) for t in range(n))
    spt = tuple(float(d) for d in dur)
    return {"lft": lft, "lst": lst, "mts": mts, "grpw": grpw, "spt": spt}


class _Profile:
    """Piecewise-constant resource usage: usage[k] holds on [times[k], times[k+1])."""

    def __init__(self, num_resources: int) -> None:
        self.times: list[int] = [0]
        self.usage: list[list[int]] = [[0] * num_resources]

    def _split(self, when: int) -> int:
        """Index of the segment starting exactly at `when`, splitting one if needed."""
        import bisect

        k = bisect.bisect_right(self.times, when) - 1
        if self.times[k] == when:
            return k
        self.times.insert(k + 1, when)
        self.usage.insert(k + 1, list(self.usage[k]))
        return k + 1

    def earliest_fit(self, start: int, duration: int, demand: Sequence[int],
                     capacity: Sequence[int]) -> int:
        """First time >= start at which `demand` fits for `duration` units."""
        import bisect

        if duration == 0 or not any(demand):
            return start
        active = [r for r, q in enumerate(demand) if q]
        t = start
        while True:
            k = bisect.bisect_right(self.times, t) - 1
            ok = True
            while k < len(self.times) and self.times[k] < t + duration:
                use = self.usage[k]
                if any(use[r] + demand[r] > capacity[r] for r in active):
                    t = self.times[k + 1]  # the last segment is always empty, so k+1 exists
                    ok = False
                    break
                k += 1
            if ok:
                return t

    def add(self, start: int, duration: int, demand: Sequence[int]) -> None:
        if duration == 0 or not any(demand):
            return
        first = self._split(start)
        last = self._split(start + duration)
        for k in range(first, last):
            row = self.usage[k]
            for r, q in enumerate(demand):
                row[r] += q


def serial_sgs(problem: ScheduleProblem,
               priority: Sequence[float] | None = None) -> tuple[int, ...] | None:
    """Serial schedule generation scheme: a feasible schedule, or None on a missed deadline.

    Repeatedly takes the eligible task (all predecessors scheduled) with the lowest
    `priority` value, ties by index, and starts it as early as releases, predecessors
    and resources allow; None also when a task passes the horizon. `priority` defaults
    to the latest finish time rule. SGS never delays a task on purpose, so None does not
    prove that no schedule exists.
    """
    n, dur = problem.num_tasks, problem.durations
    if priority is None:
        priority = priority_rules(problem)["lft"]
    if len(priority) != n:
        raise ValueError(f"priority has {len(priority)} entries for {n} tasks.")
    import heapq

    remaining = [len(p) for p in problem.predecessors]
    ready = [(priority[t], t) for t in range(n) if remaining[t] == 0]
    heapq.heapify(ready)
    earliest = [problem.release_of(t) for t in range(n)]
    starts = [0] * n
    profile = _Profile(problem.num_resources)
    while ready:
        _, t = heapq.heappop(ready)
        s = profile.earliest_fit(earliest[t], dur[t], problem.demands[t], problem.capacities)
        end = s + dur[t]
        dl = problem.deadline_of(t)
        if (dl is not None and end > dl) or (problem.horizon is not None
                                             and end > problem.horizon):
            return None
        profile.add(s, dur[t], problem.demands[t])
        starts[t] = s
        for x in problem.successors[t]:
            earliest[x] = max(earliest[x], end)
            remaining[x] -= 1
            if remaining[x] == 0:
                heapq.heappush(ready, (priority[x], x))
    return tuple(starts)


def _makespan(problem: ScheduleProblem, starts: Sequence[int]) -> int:
    return max((s + d for s, d in zip(starts, problem.durations)), default=0)


def _reversed(problem: ScheduleProblem) -> ScheduleProblem:
    """The mirror image (precedences reversed, no windows) used for backward passes."""
    return ScheduleProblem(
        names=problem.names, durations=problem.durations, resources=problem.resources,
        capacities=problem.capacities, demands=problem.demands,
        precedence=tuple((b, a) for a, b in problem.precedence),
    )


def _justify(problem: ScheduleProblem, mirror: ScheduleProblem,
             starts: tuple[int, ...]) -> tuple[int, ...]:
    """Forward-backward improvement (double justification); keeps the better schedule."""
    best, best_ms = starts, _makespan(problem, starts)
    for _ in range(3):
        ends = [s + d for s, d in zip(best, problem.durations)]
        back = serial_sgs(mirror, [-e for e in ends])  # latest-ending first, right-justified
        if back is None:
            return best
        back_ends = [s + d for s, d in zip(back, problem.durations)]
        forward = serial_sgs(problem, [-e for e in back_ends])  # mirror end = real start
        if forward is None:
            return best
        ms = _makespan(problem, forward)
        if ms >= best_ms:
            return best
        best, best_ms = forward, ms
    return best


def _best_greedy(problem: ScheduleProblem) -> tuple[int, ...] | None:
    """Best of the priority rules, each improved by double justification."""
    best: tuple[int, ...] | None = None
    mirror = _reversed(problem)
    for prio in priority_rules(problem).values():
        starts = serial_sgs(problem, prio)
        if starts is None:
            continue
        starts = _justify(problem, mirror, starts)
        if best is None or _makespan(problem, starts) < _makespan(problem, best):
            best = starts
    return best


# --------------------------------------------------------------------- CP-SAT model


class _Model:
    """The CP-SAT model; `build()` is the table of contents, one method per constraint family."""

    def __init__(self, problem: ScheduleProblem, horizon: int, windows: _Windows,
                 delays: _Delays | None, lb: int, allow_late: bool) -> None:
        self.p, self.horizon, self.w, self.delays, self.lb, self.allow_late = (
            problem, horizon, windows, delays, lb, allow_late)
        self.model = cp_model.CpModel()
        self.starts: list[cp_model.IntVar] = []
        self.ends: list[cp_model.LinearExpr] = []
        self.intervals: list[cp_model.IntervalVar] = []
        self.lateness: list[cp_model.IntVar] = []
        self.makespan: cp_model.IntVar | None = None
        self.weight = 0

    def build(self) -> cp_model.CpModel:
        self._tasks()  # start domains already carry releases, earliest starts and deadlines
        self._makespan()
        self._precedence()
        self._resources()  # needs the makespan for its makespan interval
        self._redundant_tails()
        self._redundant_delays()
        self._objective()
        return self.model

    def _tasks(self) -> None:
        """One fixed-size interval per task, its start window from releases and deadlines."""
        p, m = self.p, self.model
        for t in range(p.num_tasks):
            d = p.durations[t]
            latest_end = self.horizon
            dl = p.deadline_of(t)
            if dl is not None and not self.allow_late:
                latest_end = min(latest_end, dl)
            # Redundant: predecessors already force start >= earliest[t] (and >= head[t]).
            first = self.w.earliest[t] if self.delays is None else self.delays.head[t]
            start = m.new_int_var(first, max(first, latest_end - d), f"start_{t}")
            end = start + d
            self.starts.append(start)
            self.ends.append(end)
            self.intervals.append(m.new_fixed_size_interval_var(start, d, f"task_{t}"))

    def _makespan(self) -> None:
        """The makespan variable, with the static lower bound as its lower limit (redundant)."""
        self.makespan = self.model.new_int_var(min(self.lb, self.horizon), self.horizon,
                                               "makespan")
        for t in range(self.p.num_tasks):
            self.model.add(self.makespan >= self.ends[t])

    def _precedence(self) -> None:
        """Finish-to-start: start[b] >= end[a]."""
        for a, b in dict.fromkeys(self.p.precedence):
            self.model.add(self.starts[b] >= self.ends[a])

    def _resources(self) -> None:
        """A cumulative per resource, plus a full-capacity interval from makespan to horizon.

        The extra interval lets cumulative's energy reasoning push the makespan up directly
        (OR-Tools' rcpsp_sat.py does the same).
        """
        p, m = self.p, self.model
        assert self.makespan is not None
        tail = m.new_int_var(0, self.horizon, "after_makespan")
        after = m.new_interval_var(self.makespan, tail, self.horizon, "after_makespan")
        for r in range(p.num_resources):
            users = [t for t in range(p.num_tasks)
                     if p.demands[t][r] > 0 and p.durations[t] > 0]
            if not users:
                continue
            cap = p.capacities[r]
            intervals = [self.intervals[t] for t in users] + [after]
            demands = [p.demands[t][r] for t in users] + [cap]
            m.add_cumulative(intervals, demands, cap)

    def _redundant_tails(self) -> None:
        """Redundant: the makespan covers each task's end plus the time its successors need."""
        tails = self.w.tail if self.delays is None else self.delays.tail
        for t in range(self.p.num_tasks):
            if tails[t]:
                self.model.add(self.makespan >= self.ends[t] + tails[t])

    def _redundant_delays(self) -> None:
        """Redundant: start[b] >= end[a] + the time the tasks between a and b need."""
        if self.delays is None:
            return
        for (a, b), gap in self.delays.gaps.items():
            self.model.add(self.starts[b] >= self.ends[a] + gap)

    def _objective(self) -> None:
        """Makespan; with allow_late, total lateness first (weighted above any makespan)."""
        p, m = self.p, self.model
        assert self.makespan is not None
        if not self.allow_late:
            m.minimize(self.makespan)
            return
        for t in range(p.num_tasks):
            dl = p.deadline_of(t)
            if dl is None:
                continue
            late = m.new_int_var(0, max(0, self.horizon - dl), f"late_{t}")
            m.add(late >= self.ends[t] - dl)
            self.lateness.append(late)
        self.weight = self.horizon + 1
        m.minimize(self.weight * sum(self.lateness) + self.makespan)

    def hint(self, starts: Sequence[int]) -> None:
        assert self.makespan is not None  # set by build(), which runs first
        for var, value in zip(self.starts, starts):
            self.model.add_hint(var, value)
        self.model.add_hint(self.makespan, _makespan(self.p, starts))


def _parameters(solver: cp_model.CpSolver, time_limit: float, workers: int, seed: int,
                deterministic: bool) -> None:
    """CP-SAT parameters tuned on PSPLIB j30 and j60 (see docs/benchmarks.md, RCPSP section).

    The LP relaxation does not help RCPSP (its bound stays at the critical path) and slows
    the propagation-driven search that finds the proofs, so the full-problem worker runs
    without it. With two workers: one full "no_lp" worker for the proofs, and the other
    thread left to CP-SAT's LNS workers, which find the better schedules on j60 (two full
    workers, as before, never ran an LNS neighbourhood at all). One worker uses
    `linearization_level: 0`; more than two keep CP-SAT's default portfolio (not measured).
    The extra cumulative propagators (timetable edge finding, overload checker) cost more
    than they prune on the hard j30 instances and stay off.
    """
    params = solver.parameters
    params.num_workers = max(1, workers)
    params.random_seed = seed
    params.push_all_tasks_toward_start = True  # the objective is a makespan
    if workers <= 1:
        params.linearization_level = 0
    elif workers == 2:
        params.num_full_subsolvers = 1
        params.subsolvers.append("no_lp")
    if deterministic:
        # Interleaved search runs the portfolio in fixed batches, so the result depends
        # only on the problem, seed and workers; the limit is in CP-SAT's deterministic
        # time units. The wall cap only guards against a badly overloaded machine.
        params.interleave_search = workers > 1
        params.max_deterministic_time = time_limit
        params.max_time_in_seconds = 4 * time_limit + 5
    else:
        params.max_time_in_seconds = time_limit


def solve(problem: ScheduleProblem, *, time_limit: float = 10.0, workers: int = 2,
          seed: int = 0, allow_late: bool = False, deterministic: bool = True) -> ScheduleResult:
    """Minimise the makespan of `problem`: greedy, CP-SAT, genetic search, CP-SAT (see above).

    With `allow_late=True` deadlines become soft: total lateness is minimised first, then
    the makespan; see `tasks_over_deadline()`. With `deterministic=True` (default) the
    result depends only on the problem, `seed` and `workers`: `time_limit` is then in
    CP-SAT deterministic time units (roughly seconds on a desktop core). With
    `deterministic=False` it is wall seconds and the full parallel portfolio runs.
    """
    clock = time.perf_counter()
    w = _windows(problem)
    lb = max(w.critical_path, w.energy)
    delays = _delays(problem, w) if _USE_DELAYS else None
    if delays is not None:
        lb = max(lb, delays.bound)
    if problem.horizon is not None:
        conflict = "" if lb <= problem.horizon else (
            f"the makespan is at least {lb} but the horizon is {problem.horizon}.")
    else:
        conflict = ""
    if not allow_late:
        conflict = conflict or _deadline_conflict(problem, w) or _head_conflict(problem, delays)
    elif problem.horizon is not None and not conflict:
        conflict = _deadline_conflict(_without_deadlines(problem), w)
    if conflict:
        return _result("infeasible", (), problem, math.inf, clock, math.inf, message=conflict)

    greedy = _best_greedy(_without_deadlines(problem) if allow_late else problem)
    greedy_ms = math.inf if greedy is None else _makespan(problem, greedy)
    greedy_late = 0 if greedy is None else _total_lateness(problem, greedy)
    if greedy is not None and greedy_ms <= lb and greedy_late == 0:
        return _result("optimal", greedy, problem, lb, clock, greedy_ms,
                       message="the greedy schedule meets the static lower bound.")

    trivial = max((problem.release_of(t) for t in range(problem.num_tasks)), default=0) + sum(
        problem.durations)
    horizon = trivial if problem.horizon is None else problem.horizon
    if greedy is not None and not allow_late:
        horizon = min(horizon, int(greedy_ms))  # the optimum is no worse than the greedy
    horizon = max(horizon, 0)

    built = _Model(problem, horizon, w, delays, lb, allow_late)
    model = built.build()
    if greedy is not None:
        built.hint(greedy)
    search = not allow_late and greedy is not None and problem.num_tasks >= 2
    # Hybrid: a short CP-SAT run proves the easy cases (every small runbook); if it does
    # not, the genetic search improves the schedule and CP-SAT gets the rest of the time.
    first = min(FIRST_SLICE, 0.1 * time_limit) if search else time_limit
    run = _cp_sat(built, first, workers, seed, deterministic)
    work = run.work
    if search and run.code in (cp_model.FEASIBLE, cp_model.UNKNOWN):
        assert greedy is not None
        incumbent = run.starts or greedy
        found, used = _search(problem, incumbent, lb, time_limit, seed, deterministic)
        work += used if deterministic else 0.0
        if _makespan(problem, found) <= lb:
            return _result("optimal", found, problem, lb, clock, greedy_ms, work=work,
                           message="the genetic search met the static lower bound.")
        spent = time.perf_counter() - clock if not deterministic else first + used
        model.clear_hints()
        built.hint(found)
        assert built.makespan is not None
        model.add(built.makespan <= _makespan(problem, found))  # only better ones are wanted
        second = _cp_sat(built, max(time_limit - spent, 0.1 * time_limit), workers, seed,
                         deterministic)
        work += second.work
        run = second.merged(run, found)

    if run.code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        starts = run.starts
        makespan = _makespan(problem, starts)
        late = _total_lateness(problem, starts) if allow_late else 0
        cp_bound = run.bound - built.weight * late
        bound = max(lb, min(cp_bound, makespan))
        proven = run.code == cp_model.OPTIMAL or (late == 0 and bound >= makespan)
        return _result("optimal" if proven else "feasible", starts, problem, bound, clock,
                       greedy_ms, lateness=late, work=work)
    if run.code == cp_model.INFEASIBLE:
        return _result("infeasible", (), problem, math.inf, clock, greedy_ms, work=work,
                       message="CP-SAT proved that no schedule meets the deadlines, "
                               "releases and horizon.")
    if run.code == cp_model.MODEL_INVALID:
        return _result("invalid", (), problem, lb, clock, greedy_ms, work=work,
                       message=f"CP-SAT rejected the model: {model.validate()}")
    if greedy is not None:  # no CP-SAT solution in time; the greedy one is still valid
        return _result("feasible", greedy, problem, lb, clock, greedy_ms, work=work,
                       lateness=greedy_late if allow_late else 0)
    return _result("unknown", (), problem, lb, clock, greedy_ms, work=work,
                   message="no schedule found within the time limit.")


@dataclass(frozen=True)
class _Run:
    """One CP-SAT call: its status code, best schedule (may be empty), proven bound and
    deterministic time used."""

    code: cp_model.CpSolverStatus
    starts: tuple[int, ...]
    bound: int
    work: float = 0.0

    def merged(self, earlier: _Run, found: tuple[int, ...]) -> _Run:
        """This run after `earlier` and the search's `found`: the best schedule of the
        three and the better bound. This run's model only admits schedules no longer than
        `found`, so its OPTIMAL is global and its INFEASIBLE only says nothing shorter."""
        if self.code == cp_model.OPTIMAL:
            return self
        bound = max(self.bound, earlier.bound)
        if self.code == cp_model.INFEASIBLE:  # nothing shorter than `found` exists
            return _Run(cp_model.OPTIMAL, found, bound, self.work)
        starts = self.starts or found
        return _Run(cp_model.FEASIBLE, starts, bound, self.work)


def _cp_sat(built: _Model, time_limit: float, workers: int, seed: int,
            deterministic: bool) -> _Run:
    solver = cp_model.CpSolver()
    _parameters(solver, time_limit, workers, seed, deterministic)
    code = cpsat.run(solver, built.model)
    starts: tuple[int, ...] = ()
    bound = 0
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        starts = tuple(int(solver.value(v)) for v in built.starts)
        bound = math.ceil(solver.best_objective_bound - 1e-6)
    elif code == cp_model.UNKNOWN:
        bound = math.ceil(solver.best_objective_bound - 1e-6) if math.isfinite(
            solver.best_objective_bound) else 0
    return _Run(code, starts, bound, solver.deterministic_time)


FIRST_SLICE = 1.0  # seconds (or deterministic units) of CP-SAT before the genetic search
SEARCH_SHARE = 0.3  # of the time limit for the genetic search before CP-SAT
SCHEDULES_PER_UNIT = 50_000  # the search's budget per deterministic unit (about a j60 wall second here)


def _search(problem: ScheduleProblem, incumbent: tuple[int, ...], lb: int, time_limit: float,
            seed: int, deterministic: bool) -> tuple[tuple[int, ...], float]:
    """The genetic search (solvers.schedule_ga), seeded with `incumbent` and the priority
    rules, and the time it used (deterministic units: schedules / SCHEDULES_PER_UNIT; else
    wall seconds). Returns `incumbent` unless the search found a shorter schedule that
    passes `check_schedule` (the GA does not model deadlines or the horizon).

    Why: on hard instances thousands of compiled SGS schedules per second get closer to
    the optimum than CP-SAT's single LNS thread does in the same time, and CP-SAT then
    continues from the better hint.
    """
    from solvers.schedule_ga import evolve

    share = SEARCH_SHARE * time_limit
    found = evolve(problem, time_limit=share if not deterministic else 4 * share + 5,
                   budget=int(share * SCHEDULES_PER_UNIT) if deterministic else None,
                   seed=seed, lower_bound=lb,
                   priorities=[incumbent, *priority_rules(problem).values()])
    if found is None:
        return incumbent, 0.0
    used = found.schedules / SCHEDULES_PER_UNIT if deterministic else found.runtime
    if found.makespan >= _makespan(problem, incumbent) or check_schedule(problem, found.starts):
        return incumbent, used
    return found.starts, used


def _result(status: str, starts: Sequence[int], problem: ScheduleProblem, bound: float,
            clock: float, greedy_ms: float, *, lateness: int = 0,
            message: str = "", work: float = 0.0) -> ScheduleResult:
    starts = tuple(starts)
    solved = status in ("optimal", "feasible")
    if solved:
        violations = check_schedule(problem if lateness == 0 else _without_deadlines(problem),
                                     starts)
        if violations:  # a solver bug, never a user error: fail loudly
            raise RuntimeError("solver returned an infeasible schedule: " + violations[0])
    makespan: float = _makespan(problem, starts) if solved else math.inf
    if solved:
        gap = 0.0 if makespan == bound else (makespan - bound) / max(makespan, 1)
    else:
        gap = math.inf
    return ScheduleResult(status=status, starts=starts, makespan=makespan, bound=bound,
                          gap=gap, runtime=time.perf_counter() - clock,
                          greedy_makespan=greedy_ms, lateness=lateness, message=message,
                          work=work)


def _without_deadlines(problem: ScheduleProblem) -> ScheduleProblem:
    return ScheduleProblem(problem.names, problem.durations, problem.resources,
                           problem.capacities, problem.demands, problem.precedence,
                           problem.release, (), problem.horizon)
