"""`solvers.limits`: the time budget's arithmetic and the stop request."""

from __future__ import annotations

import math
import time

import pytest

from solvers.limits import StopRequest, TimeBudget


def test_a_time_limit_is_units_and_a_deadline() -> None:
    # 10 s: 10 units, and a deadline 10 wall seconds from now.
    budget = TimeBudget.start(10)
    assert budget.units == 10 and budget.deterministic
    assert 9 < budget.wall_left() <= 10
    assert budget.left() == 10
    wall = TimeBudget.start(10, deterministic=False)
    assert math.isinf(wall.units) and not wall.deterministic
    assert 9 < wall.left() <= 10  # in wall-clock mode the clock decides


def test_split_shares_units_and_wall_time() -> None:
    # A phase of 0.25 of a 20 s budget: 5 units, and a quarter of the wall time left.
    budget = TimeBudget(20.0, time.monotonic() + 20)
    phase = budget.split(0.25)
    assert phase.units == 5
    assert 4 < phase.wall_left() <= 5
    assert budget.split(1.0) == budget  # the last phase keeps the deadline itself


def test_part_shares_units_under_the_same_deadline() -> None:
    budget = TimeBudget(20.0, time.monotonic() + 20)
    step = budget.part(0.4)
    assert step.units == 8 and step.deadline == budget.deadline
    wall = TimeBudget(math.inf, time.monotonic() + 20)
    assert 7 < wall.part(0.4).wall_left() <= 8  # no units: the wall time is shared instead


def test_charge_spends_units_and_never_goes_below_zero() -> None:
    budget = TimeBudget(3.0, time.monotonic() + 10)
    assert budget.charge(1.0).units == 2 and budget.units == 3  # a value: the original stays
    assert budget.charge(5.0).units == 0
    wall = TimeBudget(math.inf, budget.deadline)
    assert wall.charge(5.0) == wall


def test_a_stop_request_is_shared_and_remembers_when() -> None:
    stop = StopRequest()
    start = time.monotonic()
    assert not stop.requested
    stop.request()
    stop.request()  # a second request changes nothing
    assert stop.requested
    assert 0 <= stop.seconds_after(start) < 5
    assert stop.seconds_after(start + 100) == 0  # never negative


@pytest.mark.parametrize("share", [0.0, -1.0])
def test_an_empty_share_leaves_nothing(share: float) -> None:
    budget = TimeBudget(10.0, time.monotonic() + 10)
    assert budget.split(share).units == 0 and budget.split(share).wall_left() == 0
    assert budget.part(share).units == 0
