"""Small RCPSP instances for the solver tests, and the checks every schedule they get must pass."""

from __future__ import annotations

import math

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
        audited = problem if not kwargs.get("allow_late") else ScheduleProblem(
            problem.names, problem.durations, problem.resources, problem.capacities,
            problem.demands, problem.precedence, problem.release)
        assert check_schedule(audited, result.starts) == []
        assert result.lateness == sum(tasks_over_deadline(problem, result).values())
        assert result.makespan == max(result.ends(problem), default=0)
        assert result.bound <= result.makespan
    else:
        assert result.makespan == math.inf
    assert result.status in ("optimal", "feasible", "infeasible", "unknown", "invalid")
    return result
