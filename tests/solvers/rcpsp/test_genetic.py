"""`solvers.rcpsp.genetic`: the genetic schedule search on small instances written here.

Every schedule it returns is re-checked by `check_schedule`; optima are known by hand or
proven by `solve()`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from solvers.rcpsp.genetic import evolve
from solvers.rcpsp.greedy import best_greedy, priority_rules, serial_sgs
from solvers.rcpsp.problem import ScheduleProblem, check_schedule, makespan
from solvers.rcpsp.solve import solve
from tests.solvers.rcpsp.instances import random_problem


def greedy_makespan(problem: ScheduleProblem) -> int:
    best = None
    for prio in priority_rules(problem).values():
        starts = serial_sgs(problem, prio)
        ms = max(s + d for s, d in zip(starts, problem.durations))
        best = ms if best is None else min(best, ms)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_schedules_are_feasible_and_no_worse_than_the_rules(seed):
    problem = random_problem(seed, releases=seed % 2 == 1)
    found = evolve(
        problem, schedules=3_000, seed=seed, priorities=list(priority_rules(problem).values())
    )
    assert found is not None
    assert check_schedule(problem, found.starts) == []
    assert found.makespan == max(s + d for s, d in zip(found.starts, problem.durations))
    assert found.makespan <= greedy_makespan(problem)
    assert found.stopped in ("budget", "stalled", "bound")


@pytest.mark.parametrize("seed", range(6))
def test_reaches_the_proven_optimum_on_small_instances(seed):
    problem = random_problem(100 + seed, n=12)
    exact = solve(problem, time_limit=10.0, workers=2)
    assert exact.status == "optimal"
    found = evolve(
        problem,
        schedules=20_000,
        seed=0,
        lower_bound=int(exact.makespan),
        priorities=list(priority_rules(problem).values()),
    )
    assert found is not None and found.makespan == exact.makespan
    assert found.stopped == "bound"
    assert check_schedule(problem, found.starts) == []


def test_same_seed_and_budget_same_schedule():
    problem = random_problem(7, n=20)
    runs = [evolve(problem, schedules=2_000, seed=3) for _ in range(2)]
    assert runs[0] is not None and runs[1] is not None
    assert runs[0].starts == runs[1].starts
    assert runs[0].schedules == runs[1].schedules


def test_without_resources_the_critical_path_is_found():
    """No resources: every list gives the earliest-start schedule, the critical path."""
    problem = ScheduleProblem(
        names=("a", "b", "c"),
        durations=(2, 3, 4),
        resources=(),
        capacities=(),
        demands=((), (), ()),
        precedence=((0, 1), (1, 2)),
    )
    found = evolve(problem, seconds=1.0, lower_bound=0)
    assert found is not None and found.starts == (0, 2, 5) and found.makespan == 9


def test_one_task_is_left_to_the_caller():
    problem = ScheduleProblem(
        names=("a",), durations=(3,), resources=("r",), capacities=(1,), demands=((1,),)
    )
    assert evolve(problem, seconds=1.0) is None


def test_solve_reports_the_greedy_as_baseline_and_a_checked_schedule():
    """solve() runs the search before CP-SAT; the greedy stays the reported baseline."""
    problem = random_problem(42, n=30, resources=3)
    result = solve(problem, time_limit=3.0, workers=2)
    assert result.is_feasible()
    assert check_schedule(problem, result.starts) == []
    assert result.greedy_makespan == makespan(problem, best_greedy(problem))
    assert result.makespan <= result.greedy_makespan


_WARM_UP = """
import json, sys
from solvers.rcpsp import kernels
from solvers.rcpsp.genetic import evolve, warm_up
from tests.solvers.rcpsp.instances import random_problem
names = ("sgs", "justify", "generations", "order_of")  # called from Python by the search
count = lambda: {name: len(getattr(kernels, name).signatures) for name in names}
before = count()
warm_up()
after = count()
evolve(random_problem(5, n=12), schedules=120_000, lower_bound=0)
print(json.dumps([before, after, count()]))
"""


def test_warm_up_compiles_every_kernel_a_search_uses() -> None:
    """`planner demo` calls `warm_up` so that the first `planner runbook` does not pay numba's
    compile inside its time limit. In a fresh process: before it no kernel has machine code,
    after it every kernel the search calls from Python has, and a real search needs no
    other (numba loads from its disk cache or compiles; either way the types must match)."""
    run = subprocess.run(
        [sys.executable, "-c", _WARM_UP], capture_output=True, text=True, check=True
    )
    before, after, searched = json.loads(run.stdout.splitlines()[-1])
    assert not any(before.values()), before
    assert all(after.values()), after
    assert searched == after
