"""`solvers.rcpsp.problem`: validation and the independent schedule checker."""

from __future__ import annotations

import pytest

from solvers.rcpsp.problem import ScheduleProblem, check_schedule
from tests.solvers.rcpsp.instances import make


def test_check_schedule_finds_each_violation():
    problem = make(
        [2, 2], capacities=(1,), precedence=[(0, 1)], release=(1, 0), deadline=(None, 5), horizon=6
    )
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
    fields = {
        "names": ("a", "b"),
        "durations": (1, 2),
        "resources": ("r0",),
        "capacities": (2,),
        "demands": ((1,), (2,)),
        "precedence": ((0, 1),),
        "release": (0, 1),
        "deadline": (None, 10),
        "horizon": 20,
    }
    ScheduleProblem(**fields)  # the passing case beside each failing one
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        ScheduleProblem(**{**fields, **changes})


def test_validation_accepts_lists_and_stores_tuples():
    problem = ScheduleProblem(
        names=["a"], durations=[1], resources=["r"], capacities=[1], demands=[[1]], precedence=[]
    )
    assert problem.demands == ((1,),) and isinstance(problem.names, tuple)


def test_longer_cycle_is_named():
    with pytest.raises(ValueError, match="cycle: b -> c -> d -> b"):
        make([1, 1, 1, 1], capacities=(1,), precedence=[(0, 1), (1, 2), (2, 3), (3, 1)])
