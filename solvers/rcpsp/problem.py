"""Resource-constrained project scheduling (RCPSP): the problem, the result, and the checks.

`ScheduleProblem` holds tasks with integer durations, renewable resources with constant
capacities, finish-to-start precedences, release dates and deadlines; it validates itself
and computes its lookups (successors, predecessors, a topological order) once.
`check_schedule()` recomputes feasibility independently of every solver, and
`makespan`/`total_lateness` are the one place a schedule's objectives are computed.

Like all of solvers/, this package imports neither sqlmodel nor networkx.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Integral

__all__ = [
    "ScheduleProblem",
    "ScheduleResult",
    "check_schedule",
    "makespan",
    "tasks_over_deadline",
    "total_lateness",
    "without_deadlines",
]


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
        for name in (
            "names",
            "durations",
            "resources",
            "capacities",
            "demands",
            "precedence",
            "release",
            "deadline",
        ):
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
        """Check every field (first problem raised, in field order, so messages are stable)
        and compute successors, predecessors and a topological order once."""
        n = len(self.names)
        self._check_names()
        self._check_amounts()
        self._check_order_and_times()
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

    def _check_names(self) -> None:
        """Task and resource names are unique: results and messages refer to them by name."""
        n, k = len(self.names), len(self.resources)
        if len(set(self.names)) != n:
            dup = next(x for x in self.names if self.names.count(x) > 1)
            raise ValueError(f"task name {dup!r} appears more than once.")
        if len(set(self.resources)) != k:
            dup = next(x for x in self.resources if self.resources.count(x) > 1)
            raise ValueError(f"resource name {dup!r} appears more than once.")

    def _check_amounts(self) -> None:
        """Durations, capacities and demands: one per task or resource, integers >= 0, and no
        demand above its capacity (such a task could never be scheduled)."""
        n, k = len(self.names), len(self.resources)
        if len(self.durations) != n:
            raise ValueError(f"durations has {len(self.durations)} entries for {n} tasks.")
        for t, d in enumerate(self.durations):
            if not _is_int(d) or d < 0:
                raise ValueError(
                    f"task {self.names[t]!r} has duration {d!r}; durations must be integers >= 0."
                )
        if len(self.capacities) != k:
            raise ValueError(f"capacities has {len(self.capacities)} entries for {k} resources.")
        for r, c in enumerate(self.capacities):
            if not _is_int(c) or c < 0:
                raise ValueError(
                    f"resource {self.resources[r]!r} has capacity {c!r}; "
                    "capacities must be integers >= 0."
                )
        if len(self.demands) != n:
            raise ValueError(f"demands has {len(self.demands)} rows for {n} tasks.")
        for t, row in enumerate(self.demands):
            if len(row) != k:
                raise ValueError(
                    f"task {self.names[t]!r} has {len(row)} demands for {k} resources."
                )
            for r, q in enumerate(row):
                if not _is_int(q) or q < 0:
                    raise ValueError(
                        f"task {self.names[t]!r} demands {q!r} of resource "
                        f"{self.resources[r]!r}; demands must be integers >= 0."
                    )
                if q > self.capacities[r]:
                    raise ValueError(
                        f"task {self.names[t]!r} demands {q} of resource "
                        f"{self.resources[r]!r} but its "
                        f"capacity is {self.capacities[r]}."
                    )

    def _check_order_and_times(self) -> None:
        """Precedence pairs are valid task indices, and releases, deadlines and the horizon are
        integers >= 0 (deadlines may be None)."""
        n = len(self.names)
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
                    raise ValueError(
                        f"task {self.names[t]!r} has release {x!r}; releases must be integers >= 0."
                    )
        if self.deadline:
            if len(self.deadline) != n:
                raise ValueError(f"deadline has {len(self.deadline)} entries for {n} tasks.")
            for t, dl in enumerate(self.deadline):
                if dl is not None and (not _is_int(dl) or dl < 0):
                    raise ValueError(
                        f"task {self.names[t]!r} has deadline {dl!r}; "
                        "deadlines must be integers >= 0 or None."
                    )
        if self.horizon is not None and (not _is_int(self.horizon) or self.horizon < 0):
            raise ValueError(f"horizon is {self.horizon!r}; it must be an integer >= 0 or None.")


def _topological_order(succ: list[list[int]], pred: list[list[int]]) -> list[int] | None:
    """Kahn's algorithm, smallest index first so the order is reproducible; None on a cycle."""
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
                return stack[stack.index(nxt) :] + [nxt]
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
    unknown and invalid results. `work` is the budget units the solve used (deterministic:
    CP-SAT's time and the genetic search's schedules, each at its calibrated rate): unlike
    `runtime` it does not depend on the machine, so callers that share one budget between
    several solves (the runbook's move advice) stay reproducible by charging it. `capped`
    says the wall-clock deadline, not the deterministic budget, ended a search: the result
    is correct, but another run may differ.
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
    capped: bool = False

    def ends(self, problem: ScheduleProblem) -> tuple[int, ...]:
        return tuple(s + d for s, d in zip(self.starts, problem.durations))

    def is_feasible(self) -> bool:
        return self.status in ("optimal", "feasible")

    def summary(self) -> str:
        return (
            f"{self.status}: makespan {self.makespan:g}, bound {self.bound:g}, "
            f"gap {self.gap:.1%}, "
            f"greedy {self.greedy_makespan:g}, {self.runtime:.2f} s"
        )


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
            problems.append(
                f"task {names[t]!r} starts at {s}, before its release {problem.release_of(t)}."
            )
        dl = problem.deadline_of(t)
        if dl is not None and s + dur[t] > dl:
            problems.append(f"task {names[t]!r} ends at {s + dur[t]}, after its deadline {dl}.")
        if problem.horizon is not None and s + dur[t] > problem.horizon:
            problems.append(
                f"task {names[t]!r} ends at {s + dur[t]}, after the horizon {problem.horizon}."
            )
    if problems and any("not an integer" in p for p in problems):
        return problems
    for a, b in problem.precedence:
        if starts[b] < starts[a] + dur[a]:
            problems.append(
                f"task {names[b]!r} starts at {starts[b]} before its predecessor "
                f"{names[a]!r} ends at {starts[a] + dur[a]}."
            )
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
                problems.append(
                    f"resource {problem.resources[r]!r} needs {load} at time "
                    f"{when} but has {cap} (tasks {who})."
                )
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


def total_lateness(problem: ScheduleProblem, starts: Sequence[int]) -> int:
    """Sum over tasks of how far each ends after its deadline (0 for tasks on time)."""
    return sum(
        max(0, starts[t] + problem.durations[t] - dl)
        for t in range(problem.num_tasks)
        if (dl := problem.deadline_of(t)) is not None
    )


def makespan(problem: ScheduleProblem, starts: Sequence[int]) -> int:
    """The end of the last task."""
    return max((s + d for s, d in zip(starts, problem.durations)), default=0)


def without_deadlines(problem: ScheduleProblem) -> ScheduleProblem:
    """The same problem with every deadline dropped (for soft deadlines and the GA)."""
    return ScheduleProblem(
        problem.names,
        problem.durations,
        problem.resources,
        problem.capacities,
        problem.demands,
        problem.precedence,
        problem.release,
        (),
        problem.horizon,
    )
