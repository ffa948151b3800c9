"""`solvers.rcpsp.solve`: the hybrid solver on tiny instances whose optimum is derived by hand.

Every schedule a test gets back is audited by `check_schedule` (tests/solvers/rcpsp/instances.py).
"""

from __future__ import annotations

import math
import time

from solvers.limits import StopRequest, TimeBudget
from solvers.rcpsp.bounds import lower_bound
from solvers.rcpsp.problem import ScheduleProblem, check_schedule, tasks_over_deadline
from solvers.rcpsp.solve import solve
from tests.solvers.rcpsp.instances import make, random_problem, solved


def test_precedence_bound(chain_and_branch):
    result = solved(chain_and_branch)
    assert result.status == "optimal"
    assert result.makespan == 12
    starts = result.starts
    assert starts[3] >= max(starts[1] + 2, starts[2] + 5)


def test_resource_bound(three_on_one_machine):
    result = solved(three_on_one_machine)
    assert result.status == "optimal"
    assert result.makespan == 9
    assert result.bound == 9
    assert result.gap == 0.0


def test_resource_and_precedence_interact():
    """a(2) and b(2) need 2 of 3 units, so they cannot overlap; c(3) needs 1 and follows a.

    a and b in sequence take 4. c can overlap b (2 + 1 <= 3) if a goes first: a 0-2,
    b 2-4, c 2-5 gives 5. Lower: c must follow a (2) and last 3 -> 5 if a starts at 0.
    """
    problem = make([2, 2, 3], demands=[(2,), (2,), (1,)], capacities=(3,), precedence=[(0, 2)])
    result = solved(problem)
    assert (result.status, result.makespan) == ("optimal", 5)


def test_two_resources():
    """a needs r0, b needs r1, c needs both; capacities 1. a and b overlap; c runs alone.

    a(4) || b(3) takes 4, then c(2): 6. No way round it, c conflicts with both.
    """
    problem = make([4, 3, 2], demands=[(1, 0), (0, 1), (1, 1)], capacities=(1, 1))
    result = solved(problem)
    assert (result.status, result.makespan) == ("optimal", 6)


def test_release_dates():
    """a(2) released at 5, b(3) released at 0, b -> nothing, capacity 1.

    b runs 0-3, a cannot start before 5, so the makespan is 5 + 2 = 7.
    """
    problem = make([2, 3], capacities=(1,), release=(5, 0))
    result = solved(problem)
    assert (result.status, result.makespan) == ("optimal", 7)
    assert result.starts[0] >= 5


def test_release_pushes_successors():
    """a(2) released at 4 precedes b(1): b cannot start before 6, so 7."""
    problem = make([2, 1], capacities=(1,), precedence=[(0, 1)], release=(4, 0))
    assert solved(problem).makespan == 7


def test_deadline_met(three_on_one_machine):
    """Same three tasks, but c (4 long) must end by 4: c first, 0-4, then a and b: 9."""
    problem = make([2, 3, 4], capacities=(1,), deadline=(None, None, 4))
    result = solved(problem)
    assert (result.status, result.makespan) == ("optimal", 9)
    assert result.starts[2] == 0


def test_deadline_infeasible_by_resources():
    """Three 2-long tasks on capacity 1 all due by 5: they need 6, so CP-SAT proves no."""
    problem = make([2, 2, 2], capacities=(1,), deadline=(5, 5, 5))
    result = solved(problem)
    assert result.status == "infeasible"
    assert result.starts == ()


def test_horizon_too_short_is_infeasible(three_on_one_machine):
    """The three tasks need 9; a horizon of 8 leaves none, a horizon of 9 exactly one."""
    tight = make([2, 3, 4], capacities=(1,), horizon=8)
    assert solved(tight).status == "infeasible"
    exact = make([2, 3, 4], capacities=(1,), horizon=9)
    assert solved(exact).makespan == 9


def test_allow_late_minimises_lateness_then_makespan():
    """The three 2-long tasks all due by 5 need 6: one task ends 1 late, makespan 6."""
    problem = make([2, 2, 2], capacities=(1,), deadline=(5, 5, 5))
    result = solved(problem, allow_late=True)
    assert result.status == "optimal"
    assert result.makespan == 6
    assert result.lateness == 1
    late = tasks_over_deadline(problem, result)
    assert list(late.values()) == [1]


def test_allow_late_without_lateness_is_plain(three_on_one_machine):
    result = solved(make([2, 3, 4], capacities=(1,), deadline=(20, 20, 20)), allow_late=True)
    assert (result.status, result.makespan, result.lateness) == ("optimal", 9, 0)
    assert tasks_over_deadline(three_on_one_machine, result) == {}


def test_zero_duration_tasks():
    """A zero-length milestone m between a(3) and b(2) costs nothing: 3 + 0 + 2 = 5.

    It demands the full capacity but, lasting no time, never uses it.
    """
    problem = ScheduleProblem(
        names=("a", "m", "b"),
        durations=(3, 0, 2),
        resources=("r",),
        capacities=(1,),
        demands=((1,), (1,), (1,)),
        precedence=((0, 1), (1, 2)),
    )
    result = solved(problem)
    assert (result.status, result.makespan) == ("optimal", 5)
    assert result.starts[1] == 3


def test_all_zero_durations_and_no_tasks():
    only_zero = make([0, 0], capacities=(1,), precedence=[(0, 1)])
    assert solved(only_zero).makespan == 0
    empty = ScheduleProblem(names=(), durations=(), resources=(), capacities=(), demands=())
    result = solved(empty)
    assert (result.status, result.makespan, result.starts) == ("optimal", 0, ())


def test_zero_capacity_resource_unused():
    """A resource with capacity 0 is fine as long as nobody needs it."""
    problem = make([2, 2], demands=[(1, 0), (1, 0)], capacities=(2, 0))
    assert solved(problem).makespan == 2


def test_cp_sat_proves_what_the_static_bound_cannot(two_at_a_time):
    assert lower_bound(two_at_a_time) == 8
    result = solved(two_at_a_time)
    assert (result.status, result.makespan, result.bound) == ("optimal", 9, 9)
    assert result.message == ""


def test_same_seed_same_schedule(two_at_a_time):
    """Deterministic mode: the same problem, seed and workers give the same starts."""
    runs = [solve(two_at_a_time, time_limit=2.0, workers=2, seed=7) for _ in range(3)]
    assert len({r.starts for r in runs}) == 1
    assert {r.status for r in runs} == {"optimal"}
    single = [solve(two_at_a_time, time_limit=2.0, workers=1, seed=3) for _ in range(2)]
    assert single[0].starts == single[1].starts


def test_work_is_the_deterministic_time_used(two_at_a_time):
    """`work` is what callers with a shared budget charge: machine-independent, so equal
    for equal runs, and positive once CP-SAT has run."""
    runs = [solve(two_at_a_time, time_limit=2.0, workers=2, seed=7) for _ in range(2)]
    assert runs[0].work > 0
    assert runs[0].work == runs[1].work


def test_result_has_no_none_when_infeasible():
    result = solve(make([3, 3], capacities=(1,), precedence=[(0, 1)], deadline=(None, 5)))
    assert result.starts == () and result.ends(make([1], capacities=(1,))) == ()
    assert result.bound == math.inf and result.gap == math.inf


def test_a_search_the_wall_clock_cut_says_so(two_at_a_time):
    """A deadline that has passed before the search begins: the answer is still a checked
    schedule (here the greedy's), but `capped` says another run may differ. With a roomy
    deadline the deterministic budget (or a proof) ends it, and nothing is capped."""
    problem = random_problem(42, n=30, resources=3)
    cut = solve(problem, budget=TimeBudget(10.0, time.monotonic()), workers=2)
    assert cut.is_feasible() and cut.capped
    assert check_schedule(problem, cut.starts) == []
    proven = solve(two_at_a_time, budget=TimeBudget(10.0, time.monotonic() + 60), workers=2)
    assert proven.status == "optimal" and not proven.capped


def test_a_requested_stop_keeps_the_best_schedule_so_far():
    """Stopped before it began: no search, and the greedy schedule comes back, checked."""
    problem = random_problem(42, n=30, resources=3)
    stop = StopRequest()
    stop.request()
    result = solve(problem, time_limit=60, workers=2, stop=stop)
    assert result.is_feasible() and result.runtime < 30
    assert result.makespan <= result.greedy_makespan
    assert check_schedule(problem, result.starts) == []
