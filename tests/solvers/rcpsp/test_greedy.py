"""`solvers.rcpsp.greedy`: priority rules and the serial schedule generation scheme."""

from __future__ import annotations

from solvers.rcpsp.greedy import priority_rules, serial_sgs
from solvers.rcpsp.problem import check_schedule
from tests.solvers.rcpsp.instances import make


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
