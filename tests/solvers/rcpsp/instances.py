"""Small RCPSP instances for the solver tests, and the checks every schedule they get must pass."""

from __future__ import annotations

import math
import random

from solvers.rcpsp.problem import (
    ScheduleProblem,
    ScheduleResult,
    check_schedule,
    tasks_over_deadline,
)
from solvers.rcpsp.solve import solve

FAST = {"time_limit": 5.0, "workers": 2}


def make(durations, demands=None, capacities=(1,), precedence=(), **kwargs) -> ScheduleProblem:
    """A problem with tasks named a, b, c... on resources named r0, r1..."""
    n = len(durations)
    if demands is None:
        demands = [(1,) * len(capacities)] * n
    return ScheduleProblem(
        names=tuple("abcdefghijklmnopqrstuvwxyz"[:n]),
        durations=tuple(durations),
        resources=tuple(f"r{i}" for i in range(len(capacities))),
        capacities=tuple(capacities),
        demands=tuple(tuple(row) for row in demands),
        precedence=tuple(precedence),
        **kwargs,
    )


def solved(problem: ScheduleProblem, **kwargs) -> ScheduleResult:
    """solve() plus the checks every solution must pass."""
    result = solve(problem, **{**FAST, **kwargs})
    if result.is_feasible():
        # With allow_late the deadlines are soft, so audit against the problem without them.
        audited = (
            problem
            if not kwargs.get("allow_late")
            else ScheduleProblem(
                problem.names,
                problem.durations,
                problem.resources,
                problem.capacities,
                problem.demands,
                problem.precedence,
                problem.release,
            )
        )
        assert check_schedule(audited, result.starts) == []
        assert result.lateness == sum(tasks_over_deadline(problem, result).values())
        assert result.makespan == max(result.ends(problem), default=0)
        assert result.bound <= result.makespan
    else:
        assert result.makespan == math.inf
    assert result.status in ("optimal", "feasible", "infeasible", "unknown", "invalid")
    return result


def random_problem(
    seed: int, n: int = 14, resources: int = 2, releases: bool = False
) -> ScheduleProblem:
    """A random RCPSP: tasks 0..n-1, arcs only forward, demands up to the capacity."""
    rng = random.Random(seed)
    caps = tuple(rng.randint(2, 5) for _ in range(resources))
    demands = tuple(tuple(rng.randint(0, c) for c in caps) for _ in range(n))
    arcs = {(a, b) for a in range(n) for b in range(a + 1, n) if rng.random() < 0.12}
    return ScheduleProblem(
        names=tuple(f"tæsk-{i}" for i in range(n)),
        durations=tuple(rng.randint(0 if i % 7 == 0 else 1, 6) for i in range(n)),
        resources=tuple(f"r{i}" for i in range(resources)),
        capacities=caps,
        demands=demands,
        precedence=tuple(sorted(arcs)),
        release=tuple(rng.choice((0, 0, 3, 5)) for _ in range(n)) if releases else (),
    )
