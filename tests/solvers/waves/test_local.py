"""`solvers.waves.local`: the local search for splits, on instances whose optimum is derived
by hand, on random instances with every kind of hard rule (no plan may break one), and for
determinism."""

from __future__ import annotations

import time

from solvers.limits import StopRequest, TimeBudget
from solvers.waves.bounds import WaveBounds
from solvers.waves.local import LocalOutcome, local_search
from solvers.waves.problem import WaveProblem, evaluate, violations
from tests.solvers.waves.instances import check_plan, make, random_instance


def searched(
    p: WaveProblem,
    start: list[int] | tuple[int, ...],
    horizon: int,
    stop: StopRequest | None = None,
) -> LocalOutcome:
    """One local search from `start` within `horizon` waves, roomy budget; the plan is
    checked independently and its split weight recomputed."""
    bounds = WaveBounds(p)
    win = bounds.windows(horizon)
    assert win is not None
    out = local_search(
        p,
        start,
        win[0],
        win[1],
        bounds.forbidden,
        horizon=horizon,
        budget=TimeBudget(10.0, time.monotonic() + 600),
        stop=stop,
    )
    check_plan(p, out.waves)
    assert violations(p, out.waves) == []
    assert max(out.waves) <= horizon
    assert out.splits == evaluate(p, out.waves)["splits"] <= evaluate(p, start)["splits"]
    return out


def test_swaps_join_every_pair_when_the_waves_are_full() -> None:
    # Six unit tasks, capacity 2 in each of 3 waves, soft pairs (t0, t1), (t2, t3), (t4, t5).
    # Start: wave 1 {t0, t5}, wave 2 {t1, t2}, wave 3 {t3, t4}: all three pairs split, and no
    # task fits anywhere else on its own. Swapping t0 and t2 joins (t0, t1); then swapping t2
    # and t4 joins (t2, t3) and (t4, t5): 0 splits, the optimum.
    p = make([1] * 6, cap=2, waves=3, soft=((0, 1, 1), (2, 3, 1), (4, 5, 1)))
    out = searched(p, [1, 2, 2, 3, 3, 1], 3)
    assert evaluate(p, [1, 2, 2, 3, 3, 1])["splits"] == 3
    assert out.splits == 0 and out.moves == 2


def test_an_eject_makes_room_in_a_full_wave() -> None:
    # Capacity 2 per wave. t0 (wave 1) and its partner t1 (wave 2) are split; wave 2 is full
    # with t1 and t2 (no soft pair). A swap of t0 and t2 is barred (t2 may not use wave 1),
    # but t2 can go to the empty wave 3: t0 joins t1, 0 splits, the optimum, in one move.
    p = make([1, 1, 1, 1], cap=2, waves=3, soft=((0, 1, 1),), forbidden=((2, (1,)),))
    out = searched(p, [1, 2, 2, 1], 3)
    assert out.splits == 0 and out.moves == 1 and out.waves == (2, 2, 3, 1)


def test_a_push_carries_the_successor_a_rule_would_break() -> None:
    # t0 in wave 1 with its soft partner t2 in wave 3; t0 must not be after t1 (wave 2). Moving
    # t0 alone to wave 3 breaks the rule; pushing t1 along (both to wave 3) joins the pair:
    # 0 splits. t1 has no soft pair, so the push costs nothing.
    p = make([1, 1, 1], cap=3, waves=3, before_or_same=((0, 1),), soft=((0, 2, 1),))
    out = searched(p, [1, 2, 3], 3)
    assert out.splits == 0 and out.waves == (3, 3, 3)


def test_same_wave_units_move_together_and_strict_rules_hold() -> None:
    # t0 and t1 must share a wave; t1's partner t2 sits in wave 2 and t0's partner t3 too,
    # so the unit {t0, t1} moves to wave 2 (weight 2 joined). t4 must be strictly before t2;
    # its partner t5, pinned to wave 2, cannot be joined (t4 cannot leave wave 1): 1 split
    # stays, the optimum.
    p = make(
        [1] * 6,
        cap=6,
        waves=2,
        same_wave=((0, 1),),
        strictly_before=((4, 2),),
        soft=((1, 2, 1), (0, 3, 1), (4, 5, 1)),
        pins=((5, 2),),
    )
    out = searched(p, [1, 1, 2, 2, 1, 2], 2)
    assert out.splits == 1 and out.waves[0] == out.waves[1] == 2 and out.waves[4] == 1


def test_no_plan_breaks_a_hard_rule_on_random_instances() -> None:
    # The property: whatever the instance, the plan returned keeps every hard rule (checked
    # twice, independently), never splits more, and the search does improve some of them.
    improved = tried = 0
    for seed in range(60):
        p, start, m = random_instance(seed)
        if not start or max(start) > m:
            continue
        tried += 1
        out = searched(p, start, m)
        improved += out.splits < evaluate(p, start)["splits"]
    assert tried >= 30 and improved >= 10


def test_the_search_is_deterministic() -> None:
    # Same instance, same start: the same plan, move count and work, every time.
    for seed in (3, 11, 29):
        p, start, m = random_instance(seed)
        if start and max(start) <= m:
            first, again = searched(p, start, m), searched(p, start, m)
            assert (first.waves, first.moves, first.units) == (
                again.waves,
                again.moves,
                again.units,
            )


def test_a_requested_stop_returns_the_start_plan() -> None:
    # Stopped before it began: no move, the plan as it was (3 splits; unstopped it reaches 0).
    p = make([1] * 6, cap=2, waves=3, soft=((0, 1, 1), (2, 3, 1), (4, 5, 1)))
    stop = StopRequest()
    stop.request()
    out = searched(p, [1, 2, 2, 3, 3, 1], 3, stop=stop)
    assert out.waves == (1, 2, 2, 3, 3, 1) and out.moves == 0 and out.splits == 3
