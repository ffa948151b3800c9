"""`solvers.waves.explain`: a small set of rules that make a problem infeasible."""

from __future__ import annotations

import pytest

from solvers.waves.explain import Cause, explain_infeasible
from solvers.waves.problem import WaveProblem
from solvers.waves.solve import solve
from tests.solvers.waves.instances import FAST, make


@pytest.mark.parametrize(
    ("problem", "causes"),
    [
        pytest.param(  # pin to wave 1, window starts at 2
            make([10], waves=3, pins=((0, 1),), earliest=(2,)),
            [Cause("pin", 0, wave=1), Cause("window", 0)],
            id="pin-outside-window",
        ),
        pytest.param(  # window 2..2 but wave 2 is blacked out
            make([10], waves=3, earliest=(2,), latest=(2,), forbidden=((0, (2,)),)),
            [Cause("window", 0), Cause("forbidden", 0)],
            id="window-blacked-out",
        ),
        pytest.param(  # every wave blacked out
            make([10], waves=2, forbidden=((0, (1, 2)),)),
            [Cause("forbidden", 0)],
            id="forbidden",
        ),
        pytest.param(  # 150 does not fit a 100 wave anywhere
            make([10, 150], waves=3),
            [Cause("oversized", 1, resource="h")],
            id="oversized",
        ),
        pytest.param(  # a strict chain of three with only two waves
            make([10, 10, 10], waves=2, strictly_before=((0, 1), (1, 2))),
            [
                Cause("precedence", 0, 1, rule="strictly_before"),
                Cause("precedence", 1, 2, rule="strictly_before"),
                Cause("horizon"),
            ],
            id="horizon",
        ),
        pytest.param(  # t0 < t1 and t1 <= t0: a cycle
            make([10, 10], waves=3, strictly_before=((0, 1),), before_or_same=((1, 0),)),
            [
                Cause("precedence", 0, 1, rule="strictly_before"),
                Cause("precedence", 1, 0, rule="before_or_same"),
            ],
            id="precedence-cycle",
        ),
        pytest.param(  # three 60s, two waves: both capacities and the horizon conflict
            make([60, 60, 60], waves=2),
            [
                Cause("capacity", wave=1, resource="h"),
                Cause("capacity", wave=2, resource="h"),
                Cause("horizon"),
            ],
            id="capacity",
        ),
        pytest.param(  # two 60s pinned into the same wave; the unrelated t2 is not blamed
            make([60, 60, 10], waves=2, pins=((0, 1), (1, 1))),
            [
                Cause("pin", 0, wave=1),
                Cause("pin", 1, wave=1),
                Cause("capacity", wave=1, resource="h"),
            ],
            id="pins-and-capacity",
        ),
        pytest.param(  # same-wave partners that do not fit together
            make([60, 60], waves=3, same_wave=((0, 1),)),
            [
                Cause("capacity", wave=1, resource="h"),
                Cause("capacity", wave=2, resource="h"),
                Cause("capacity", wave=3, resource="h"),
                Cause("precedence", 0, 1, rule="same_wave"),
            ],
            id="same-wave-too-big",
        ),
    ],
)
def test_explain_infeasible(problem: WaveProblem, causes: list[Cause]) -> None:
    """Each cause kind appears in the explanation of an instance built to trigger it."""
    assert solve(problem, **FAST).status == "infeasible"
    assert explain_infeasible(problem, time_limit=2.0) == causes


def test_explain_feasible_problem_has_no_causes() -> None:
    assert explain_infeasible(make([50, 50, 50]), time_limit=2.0) == []
