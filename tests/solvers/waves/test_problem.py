"""`solvers.waves.problem`: validation, `evaluate` and `violations`, with tiny inline cases."""

from __future__ import annotations

import re
from typing import Any

import pytest

from solvers.waves.problem import WaveProblem, evaluate, violations
from tests.solvers.waves.instances import BASE, make


def test_evaluate_recomputes_objectives() -> None:
    p = make(
        [10, 10, 10], soft=((0, 1, 2), (1, 2, 5)), downtime_weight=(1, 2, 4), previous=(1, 2, 0)
    )
    assert evaluate(p, (1, 2, 2)) == {"waves": 2.0, "splits": 2.0, "downtime": 6.0, "moved": 0.0}
    inf = float("inf")
    assert evaluate(p, ()) == {"waves": inf, "splits": inf, "downtime": inf, "moved": inf}


def test_violations_name_each_broken_rule() -> None:
    # t0 <= t1 (before_or_same), t1 < t2 (strictly), t2 pinned to wave 2, capacity 100 per wave.
    # (1, 1, 2) keeps every rule; (2, 1, 1) breaks the order, the strict order and the pin,
    # and puts 30 + 80 = 110 into wave 1.
    p = make(
        [20, 30, 80], waves=2, before_or_same=((0, 1),), strictly_before=((1, 2),), pins=((2, 2),)
    )
    assert violations(p, (1, 1, 2)) == []
    assert violations(p, (2, 1, 1)) == [
        "t2 pinned to 2 but in 1",
        "t0 must not be after t1",
        "t1 must be before t2",
        "wave 1 uses 110 h of 100",
    ]
    assert violations(p, (1, 1)) == ["assignment has 2 waves for 3 tasks"]


# --- validation: each error beside a passing case -----------------------------------------------
@pytest.mark.parametrize(
    ("bad", "good", "message"),
    [
        (dict(max_waves=0, capacity=()), dict(max_waves=1, capacity=((100,),)), "max_waves"),
        (dict(demand=((10,),)), dict(demand=((10,), (0,))), "demand has 1 rows"),
        (dict(demand=((10, 1), (10,))), dict(demand=((10,), (10,))), "demand row 0"),
        (dict(demand=((-1,), (10,))), dict(demand=((0,), (10,))), "negative"),
        (dict(capacity=((100,),)), dict(capacity=((100,), (50,))), "capacity has 1 rows"),
        (dict(capacity=((100,), (-5,))), dict(capacity=((100,), (0,))), "capacity row for wave 2"),
        (
            dict(before_or_same=((0, 2),)),
            dict(before_or_same=((0, 1),)),
            "before_or_same pair (0, 2)",
        ),
        (dict(strictly_before=((1, 1),)), dict(strictly_before=((1, 0),)), "itself"),
        (dict(same_wave=((-1, 0),)), dict(same_wave=((1, 0),)), "same_wave pair"),
        (dict(soft=((0, 1, 0),)), dict(soft=((0, 1, 1),)), "weight 0"),
        (dict(earliest=(1,)), dict(earliest=(1, 2)), "earliest has 1 values"),
        (dict(latest=(1, 3)), dict(latest=(1, 2)), "latest[1] = 3"),
        (
            dict(earliest=(2, 1), latest=(1, 2)),
            dict(earliest=(1, 1), latest=(1, 2)),
            "earliest 2 after latest 1",
        ),
        (dict(pins=((0, 3),)), dict(pins=((0, 2),)), "pin of task 0 to wave 3"),
        (dict(pins=((5, 1),)), dict(pins=((1, 1),)), "pin refers to task 5"),
        (dict(forbidden=((0, (0,)),)), dict(forbidden=((0, (1,)),)), "forbidden wave 0"),
        (
            dict(downtime_weight=(1, -1)),
            dict(downtime_weight=(1, 0)),
            "downtime_weight has a negative",
        ),
        (dict(previous=(3, 0)), dict(previous=(2, 0)), "previous[0] = 3"),
    ],
)
def test_validation(bad: dict[str, Any], good: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        WaveProblem(**{**BASE, **bad})
    WaveProblem(**{**BASE, **good})
