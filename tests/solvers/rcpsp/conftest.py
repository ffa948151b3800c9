"""Named RCPSP instances, each with a docstring deriving its optimum."""

from __future__ import annotations

import pytest

from solvers.rcpsp.problem import ScheduleProblem
from tests.solvers.rcpsp.instances import make


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
