"""Tests for solvers.schedule (the RCPSP core) and solvers.psplib (the PSPLIB reader).

Every instance is tiny and written inline, with a comment deriving its optimal makespan;
every schedule a test gets back is audited by check_schedule.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import pytest

from solvers.psplib import (
    instance_key,
    parse_bound_table,
    parse_makespan_table,
    read_sm,
)
from solvers.schedule import (
    ScheduleProblem,
    ScheduleResult,
    check_schedule,
    lower_bound,
    priority_rules,
    serial_sgs,
    solve,
    tasks_over_deadline,
)

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


# ------------------------------------------------------------------ instances


@pytest.fixture
def chain_and_branch() -> ScheduleProblem:
    """Precedence-bound: a(3) -> b(2) -> d(4) and a -> c(5) -> d, capacity never binds.

    Longest path a, c, d = 3 + 5 + 4 = 12, and b and c can run side by side (capacity 2).
    """
    return make([3, 2, 5, 4], capacities=(2,), precedence=[(0, 1), (0, 2), (1, 3), (2, 3)])


@pytest.fixture
def three_on_one_machine() -> ScheduleProblem:
    """Resource-bound: three independent tasks 2, 3, 4 long on a capacity-1 resource.

    No precedence, so the critical path is only 4, but they must run one after the other:
    2 + 3 + 4 = 9.
    """
    return make([2, 3, 4], capacities=(1,))


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
    problem = make([2, 2, 3], demands=[(2,), (2,), (1,)], capacities=(3,),
                   precedence=[(0, 2)])
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


def test_deadline_infeasible_by_precedence_is_quick():
    """a(3) -> b(3) but b must end by 5: it cannot end before 6, found without CP-SAT."""
    problem = make([3, 3], capacities=(1,), precedence=[(0, 1)], deadline=(None, 5))
    result = solved(problem)
    assert result.status == "infeasible"
    assert result.starts == ()
    assert result.makespan == math.inf
    assert "'b'" in result.message
    assert result.runtime < 1.0


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
        names=("a", "m", "b"), durations=(3, 0, 2), resources=("r",), capacities=(1,),
        demands=((1,), (1,), (1,)), precedence=((0, 1), (1, 2)))
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


@pytest.fixture
def pairwise_exclusive() -> ScheduleProblem:
    """Five tasks 1..5 long, each needing 2 of 3 units: no two overlap, so 1+2+3+4+5 = 15.

    The energy bound is only 2 * 15 / 3 = 10, but the five tasks are a clique of mutually
    exclusive tasks (2 + 2 > 3), so the clique bound inside solve() is already 15.
    """
    return make([1, 2, 3, 4, 5], demands=[(2,)] * 5, capacities=(3,))


@pytest.fixture
def two_at_a_time() -> ScheduleProblem:
    """Five 3-long tasks, each needing 1 of 2 units: like two machines, so three rounds, 9.

    The energy bound is only ceil(15 / 2) = 8 and no two tasks exclude each other, so
    CP-SAT must do the proof; many schedules are optimal, a fair test of determinism.
    """
    return make([3] * 5, capacities=(2,))


def test_clique_bound_proves_without_cp_sat(pairwise_exclusive):
    assert lower_bound(pairwise_exclusive) == 10  # the public bound: critical path, energy
    result = solved(pairwise_exclusive)
    assert (result.status, result.makespan, result.bound) == ("optimal", 15, 15)
    assert "greedy" in result.message


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


def test_head_counts_what_the_predecessors_need():
    """a(1) -> b(3), c(3) -> d(1) on capacity 1: a, b and c cannot overlap, so d starts at 7.

    The longest chain only says d starts at 4; the resource its predecessors need says
    1 + 3 + 3 = 7, so a deadline of 6 on d is infeasible before CP-SAT starts, and with
    a deadline of 8 the optimum is 8.
    """
    problem = make([1, 3, 3, 1], capacities=(1,),
                   precedence=[(0, 1), (0, 2), (1, 3), (2, 3)], deadline=(None, None, None, 6))
    result = solved(problem)
    assert result.status == "infeasible"
    assert "'d'" in result.message and "predecessors need" in result.message
    relaxed = make([1, 3, 3, 1], capacities=(1,), precedence=[(0, 1), (0, 2), (1, 3), (2, 3)],
                   deadline=(None, None, None, 8))
    result = solved(relaxed)
    assert (result.status, result.makespan, result.bound) == ("optimal", 8, 8)


def test_result_has_no_none_when_infeasible():
    result = solve(make([3, 3], capacities=(1,), precedence=[(0, 1)], deadline=(None, 5)))
    assert result.starts == () and result.ends(make([1], capacities=(1,))) == ()
    assert result.bound == math.inf and result.gap == math.inf


# ------------------------------------------------------- greedy and the checker


def test_serial_sgs_is_feasible_and_no_better_than_optimum(three_on_one_machine):
    for rule, priority in priority_rules(three_on_one_machine).items():
        starts = serial_sgs(three_on_one_machine, priority)
        assert starts is not None, rule
        assert check_schedule(three_on_one_machine, starts) == []
        assert max(s + d for s, d in zip(starts, three_on_one_machine.durations)) == 9


def test_serial_sgs_fails_on_deadline_it_cannot_meet():
    """LFT puts a (due 4) before b (due 10); forcing b first pushes a past its deadline."""
    problem = make([4, 4], capacities=(1,), deadline=(4, 10))
    assert serial_sgs(problem) == (0, 4)
    assert serial_sgs(problem, priority=(1, 0)) is None


def test_lower_bound_is_critical_path_or_energy(chain_and_branch, three_on_one_machine):
    assert lower_bound(chain_and_branch) == 12  # critical path
    assert lower_bound(three_on_one_machine) == 9  # energy 9 / capacity 1


def test_check_schedule_finds_each_violation():
    problem = make([2, 2], capacities=(1,), precedence=[(0, 1)], release=(1, 0),
                   deadline=(None, 5), horizon=6)
    assert check_schedule(problem, (1, 3)) == []
    text = " ".join(check_schedule(problem, (0, 1)))
    assert "'a' starts at 0, before its release 1" in text
    assert "'b' starts at 1 before its predecessor 'a' ends at 2" in text
    assert "'r0' needs 2 at time 1 but has 1 (tasks a, b)" in text
    assert check_schedule(problem, (1, 4)) == ["task 'b' ends at 6, after its deadline 5."]
    assert "after the horizon 6" in check_schedule(problem, (1, 5))[-1]
    assert check_schedule(problem, (1,)) == ["schedule has 1 starts for 2 tasks."]


def test_check_schedule_back_to_back_is_fine():
    """A task ending at 2 and another starting at 2 do not overlap."""
    problem = make([2, 2], capacities=(1,))
    assert check_schedule(problem, (0, 2)) == []
    assert check_schedule(problem, (0, 1)) != []


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"durations": (1, -1)}, "durations must be integers >= 0"),
        ({"durations": (1,)}, "durations has 1 entries for 2 tasks"),
        ({"durations": (1, 1.5)}, "durations must be integers"),
        ({"capacities": (1, 1)}, "capacities has 2 entries for 1 resources"),
        ({"capacities": (-1,), "demands": ((0,), (0,))}, "capacities must be integers >= 0"),
        ({"demands": ((1,), (3,))}, "demands 3 of resource 'r0' but its capacity is 2"),
        ({"demands": ((1,), (-1,))}, "demands must be integers >= 0"),
        ({"demands": ((1,),)}, "demands has 1 rows for 2 tasks"),
        ({"demands": ((1,), (1, 1))}, "has 2 demands for 1 resources"),
        ({"precedence": ((0, 2),)}, "outside 0..1"),
        ({"precedence": ((0, 0),)}, "cannot precede itself"),
        ({"precedence": ((0, 1), (1, 0))}, "cycle: a -> b -> a"),
        ({"release": (0,)}, "release has 1 entries for 2 tasks"),
        ({"release": (0, -2)}, "releases must be integers >= 0"),
        ({"deadline": (3,)}, "deadline has 1 entries for 2 tasks"),
        ({"deadline": (3, -1)}, "deadlines must be integers >= 0 or None"),
        ({"horizon": -1}, "horizon is -1"),
        ({"names": ("a", "a")}, "task name 'a' appears more than once"),
    ],
)
def test_validation_errors(changes, message):
    fields = {"names": ("a", "b"), "durations": (1, 2), "resources": ("r0",),
              "capacities": (2,), "demands": ((1,), (2,)), "precedence": ((0, 1),),
              "release": (0, 1), "deadline": (None, 10), "horizon": 20}
    ScheduleProblem(**fields)  # the passing case beside each failing one
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        ScheduleProblem(**{**fields, **changes})


def test_validation_accepts_lists_and_stores_tuples():
    problem = ScheduleProblem(names=["a"], durations=[1], resources=["r"], capacities=[1],
                              demands=[[1]], precedence=[])
    assert problem.demands == ((1,),) and isinstance(problem.names, tuple)


def test_longer_cycle_is_named():
    with pytest.raises(ValueError, match="cycle: b -> c -> d -> b"):
        make([1, 1, 1, 1], capacities=(1,), precedence=[(0, 1), (1, 2), (2, 3), (3, 1)])


# ------------------------------------------------------------------ PSPLIB reader

TINY_SM = """\
************************************************************************
file with basedata            : tiny.bas
initial value random generator: 1
************************************************************************
projects                      :  1
jobs (incl. supersource/sink ):  5
horizon                       :  12
RESOURCES
  - renewable                 :  2   R
  - nonrenewable              :  0   N
  - doubly constrained        :  0   D
************************************************************************
PROJECT INFORMATION:
pronr.  #jobs rel.date duedate tardcost  MPM-Time
    1      3      0        7        1        7
************************************************************************
PRECEDENCE RELATIONS:
jobnr.    #modes  #successors   successors
   1        1          2           2   3
   2        1          1           4
   3        1          1           5
   4        1          1           5
   5        1          0
************************************************************************
REQUESTS/DURATIONS:
jobnr. mode duration  R 1  R 2
------------------------------------------------------------------------
  1      1     0       0    0
  2      1     3       2    0
  3      1     4       2    1
  4      1     2       1    1
  5      1     0       0    0
************************************************************************
RESOURCEAVAILABILITIES:
  R 1  R 2
    3    2
************************************************************************
"""


def test_read_sm_tiny(tmp_path: Path):
    """Jobs 2 (3 long, 2 of R1) and 3 (4 long, 2 of R1) cannot overlap on R1 = 3.

    Job 4 (2 long) follows 2. Best: 2 at 0-3, 4 at 3-5 (1 of R1 next to 3), 3 at 3-7:
    R1 use 2 + 1 = 3, R2 use 1 + 1 = 2, so 7. The other order, 3 then 2 then 4, is 9.
    """
    path = tmp_path / "j301_1.sm"
    path.write_text(TINY_SM)
    problem = read_sm(path)
    assert problem.names == ("1", "2", "3", "4", "5")
    assert problem.durations == (0, 3, 4, 2, 0)
    assert problem.capacities == (3, 2)
    assert problem.demands[2] == (2, 1)
    assert set(problem.precedence) == {(0, 1), (0, 2), (1, 3), (2, 4), (3, 4)}
    assert instance_key(path) == (1, 1)
    result = solved(problem)
    assert (result.status, result.makespan) == ("optimal", 7)


def test_read_sm_rejects_broken_file(tmp_path: Path):
    path = tmp_path / "broken.sm"
    path.write_text(TINY_SM.replace("   2        1          1           4",
                                    "   2        1          2           4"))
    with pytest.raises(ValueError, match="job 2 lists 1 successors but says 2"):
        read_sm(path)
    path.write_text(TINY_SM.replace("    3    2\n", "    3\n"))
    with pytest.raises(ValueError, match="1 capacities for 2 renewable resources"):
        read_sm(path)


def test_tables_and_keys():
    opt = parse_makespan_table(textwrap.dedent("""\
        Average CPU-Time : 28.97
        Paramter Instance Makespan CPU-Time[sec.]
        ------------------------------------------
        1       1         43       0.30
        48      10        54       0.01
        """))
    assert opt == {(1, 1): 43, (48, 10): 54}
    hrs = parse_makespan_table("Par\tInst\tMakespan\tDate\n1\t8\t75\t\tWed Aug 14 1996  Haase\n")
    assert hrs == {(1, 8): 75}
    lb = parse_bound_table("Par  Inst    UB   LB\n  1   1    77    77    *    \n"
                           " 13   2    90    86         Klein\n")
    assert lb[1, 1].proven and lb[1, 1].lb == 77
    assert not lb[13, 2].proven and (lb[13, 2].ub, lb[13, 2].lb) == (90, 86)
    assert instance_key("j6048_10.sm") == (48, 10)
    assert instance_key("/x/j1201_3.sm") == (1, 3)
    with pytest.raises(ValueError, match="not a PSPLIB instance name"):
        instance_key("tiny.sm")
