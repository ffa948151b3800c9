"""`solvers.waves.greedy`: the list-scheduling baseline; every plan it returns is checked."""

from __future__ import annotations

import random

from solvers.waves.bounds import lower_bound_waves
from solvers.waves.greedy import greedy
from solvers.waves.problem import evaluate, violations
from tests.solvers.waves.instances import check_plan, make, random_problem


def test_greedy_is_feasible_and_evaluated() -> None:
    p = random_problem(11)
    g = greedy(p)
    assert g.waves
    check_plan(p, g.waves)
    assert g.objective == evaluate(p, g.waves)


def test_greedy_reports_failure_as_empty_tuple() -> None:
    assert greedy(make([60, 60, 60], waves=2)).waves == ()


def test_greedy_falls_back_to_a_roomy_horizon() -> None:
    # Found by a random search (seed 7738): 43 h in waves of 10 h need 5 waves, and 5 suffice,
    # but list scheduling with the 5-wave horizon's head/tail windows as deadlines misses
    # them. The greedy then schedules on a roomy horizon (one wave per task) and keeps that
    # plan because it fits in 5; without the fallback it would report no plan at all.
    p = make(
        [3, 1, 7, 2, 3, 5, 7, 3, 7, 5],
        cap=10,
        waves=5,
        before_or_same=(
            (0, 1),
            (0, 3),
            (0, 9),
            (1, 3),
            (3, 5),
            (3, 6),
            (3, 8),
            (4, 6),
            (4, 8),
            (5, 6),
            (6, 9),
        ),
    )
    g = greedy(p)
    check_plan(p, g.waves)
    assert max(g.waves) == 5 == lower_bound_waves(p)


def test_greedy_justification_respects_blackouts_and_windows() -> None:
    # The mirrored passes map windows and blackouts too: every plan the greedy returns is checked.
    rng = random.Random(4)
    n = 40
    p = make(
        [rng.randint(5, 40) for _ in range(n)],
        cap=100,
        waves=12,
        before_or_same=tuple((i, i + 1) for i in range(0, n - 1, 3)),
        forbidden=((3, (1, 2)), (7, (4,))),
        earliest=tuple(2 if t == 5 else 1 for t in range(n)),
        latest=tuple(6 if t == 9 else 12 for t in range(n)),
    )
    g = greedy(p, seed=1)
    assert g.waves and violations(p, g.waves) == []
    check_plan(p, g.waves)
