"""The greedy baseline of RCPSP: priority rules, the serial schedule generation scheme, and
forward-backward improvement.

`best_greedy()` is the first schedule of every solve and CP-SAT's first hint; `serial_sgs()`
also turns any order of tasks into a schedule (the runbook uses it to left-justify steps).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Sequence

from solvers.rcpsp.bounds import windows
from solvers.rcpsp.problem import ScheduleProblem, makespan

__all__ = ["best_greedy", "priority_rules", "serial_sgs"]


def priority_rules(problem: ScheduleProblem) -> dict[str, tuple[float, ...]]:
    """Classic serial-SGS priority rules; a lower value is scheduled first.

    lft: latest finish time, lst: latest start time, mts: most total successors,
    grpw: greatest rank positional weight, spt: shortest processing time.
    """
    n, dur = problem.num_tasks, problem.durations
    w = windows(problem)
    length = max(
        w.critical_path, max((w.earliest[t] + dur[t] + w.tail[t] for t in range(n)), default=0)
    )
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
        k = bisect.bisect_right(self.times, when) - 1
        if self.times[k] == when:
            return k
        self.times.insert(k + 1, when)
        self.usage.insert(k + 1, list(self.usage[k]))
        return k + 1

    def earliest_fit(
        self, start: int, duration: int, demand: Sequence[int], capacity: Sequence[int]
    ) -> int:
        """First time >= start at which `demand` fits for `duration` units."""
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


def serial_sgs(
    problem: ScheduleProblem, priority: Sequence[float] | None = None
) -> tuple[int, ...] | None:
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
        if (dl is not None and end > dl) or (problem.horizon is not None and end > problem.horizon):
            return None
        profile.add(s, dur[t], problem.demands[t])
        starts[t] = s
        for x in problem.successors[t]:
            earliest[x] = max(earliest[x], end)
            remaining[x] -= 1
            if remaining[x] == 0:
                heapq.heappush(ready, (priority[x], x))
    return tuple(starts)


def _reversed(problem: ScheduleProblem) -> ScheduleProblem:
    """The mirror image (precedences reversed, no windows) used for backward passes."""
    return ScheduleProblem(
        names=problem.names,
        durations=problem.durations,
        resources=problem.resources,
        capacities=problem.capacities,
        demands=problem.demands,
        precedence=tuple((b, a) for a, b in problem.precedence),
    )


def _justify(
    problem: ScheduleProblem, mirror: ScheduleProblem, starts: tuple[int, ...]
) -> tuple[int, ...]:
    """Forward-backward improvement (double justification); keeps the better schedule."""
    best, best_ms = starts, makespan(problem, starts)
    for _ in range(3):
        ends = [s + d for s, d in zip(best, problem.durations)]
        back = serial_sgs(mirror, [-e for e in ends])  # latest-ending first, right-justified
        if back is None:
            return best
        back_ends = [s + d for s, d in zip(back, problem.durations)]
        forward = serial_sgs(problem, [-e for e in back_ends])  # mirror end = real start
        if forward is None:
            return best
        ms = makespan(problem, forward)
        if ms >= best_ms:
            return best
        best, best_ms = forward, ms
    return best


def best_greedy(problem: ScheduleProblem) -> tuple[int, ...] | None:
    """Best of the priority rules, each improved by double justification."""
    best: tuple[int, ...] | None = None
    mirror = _reversed(problem)
    for prio in priority_rules(problem).values():
        starts = serial_sgs(problem, prio)
        if starts is None:
            continue
        starts = _justify(problem, mirror, starts)
        if best is None or makespan(problem, starts) < makespan(problem, best):
            best = starts
    return best
