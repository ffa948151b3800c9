"""`solvers.waves.solve`: the phase driver, on tiny instances whose optimum is derived by hand.

Every solution a test gets is re-checked by `check_plan` (tests/solvers/waves/instances.py),
a feasibility checker written independently of the model.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from solvers.limits import StopRequest
from solvers.waves.bounds import downtime_bound
from solvers.waves.problem import ProgressEvent, WaveProblem, evaluate
from solvers.waves.solve import solve
from tests.solvers.waves.instances import BASE, assert_optimal, make, random_problem, solved


def test_capacity_per_wave_and_resource() -> None:
    # Two resources: each wave holds one r0-task (5 of 5) and one r1-task; four tasks => 2 waves.
    p = make([(5, 0), (5, 0), (0, 5), (0, 5)], cap=(5, 5))
    assert_optimal(solved(p), waves=2)


def test_capacity_varies_by_wave() -> None:
    # Wave 1 has no capacity (a freeze), so both 10-tasks go to wave 2 (10+10 <= 100): waves = 2.
    p = WaveProblem(("a", "b"), ("h",), ((10,), (10,)), ((0,), (100,), (100,)), 3)
    res = solved(p)
    assert_optimal(res, waves=2)
    assert res.waves == (2, 2)


def test_before_or_same_allows_one_wave() -> None:
    # A chain t0 <= t1 <= t2 of 10 each fits in one wave of 100: the rule allows "same wave".
    assert_optimal(solved(make([10, 10, 10], before_or_same=((0, 1), (1, 2)))), waves=1)


def test_before_or_same_forces_third_wave() -> None:
    # 70, 70, 30, 30 pair up as {70,30} twice (2 waves). With both 30s after both 70s, the 70s
    # take waves 1 and 2, one 30 joins wave 2 (100) and the other needs wave 3: 3 waves.
    p = make([70, 70, 30, 30], before_or_same=((0, 2), (0, 3), (1, 2), (1, 3)))
    assert_optimal(solved(p), waves=3)


def test_strictly_before_chain_needs_one_wave_each() -> None:
    # t0 < t1 < t2 strictly: three waves although everything fits in one.
    res = solved(make([10, 10, 10], strictly_before=((0, 1), (1, 2))))
    assert_optimal(res, waves=3)
    assert res.waves == (1, 2, 3)


def test_same_wave_forces_a_split() -> None:
    # t0=70 must share with t1=30 (100, full), so soft partner t2 of t1 cannot join: split weight 4.
    # Without same_wave, t1+t2 would share and nothing is split.
    p = make([70, 30, 30], same_wave=((0, 1),), soft=((1, 2, 4),))
    res = solved(p)
    assert_optimal(res, waves=2, splits=4)
    assert res.waves[0] == res.waves[1]
    assert_optimal(solved(dataclasses.replace(p, same_wave=())), waves=2, splits=0)


def test_soft_splits_minimised() -> None:
    # Four 50-tasks => 2 waves of two. Pairings and split weight: {0,1}{2,3}: 1+1 = 2;
    # {0,2}{1,3}: 3+2 = 5; {0,3}{1,2}: 3+2+1+1 = 7. Optimum 2.
    p = make([50, 50, 50, 50], soft=((0, 1, 3), (2, 3, 2), (0, 2, 1), (1, 3, 1)))
    res = solved(p)
    assert_optimal(res, waves=2, splits=2)
    assert res.waves[0] == res.waves[1] and res.waves[2] == res.waves[3]


def test_downtime_spread_evenly() -> None:
    # Four 50-tasks => 2 waves of two; downtime weights 3,3,1,1: putting the 3s apart gives a
    # peak of 4
    # (3+1 each); together the peak would be 6.
    p = make([50, 50, 50, 50], downtime_weight=(3, 3, 1, 1))
    res = solved(p)
    assert_optimal(res, waves=2, downtime=4)
    assert res.waves[0] != res.waves[1]


def test_moved_minimised_against_previous_plan() -> None:
    # The previous plan put three 50-tasks in wave 1, which holds only two: at least one moves.
    # Keeping t0,t1 in 1 and t3 in 2 and moving t2 to 2 moves exactly one.
    p = make([50, 50, 50, 50], previous=(1, 1, 1, 2))
    res = solved(p)
    assert_optimal(res, waves=2, moved=1)
    assert sum(res.waves[t] != (1, 1, 1, 2)[t] for t in range(4)) == 1


def test_phases_are_skipped_when_trivially_zero() -> None:
    # No soft pairs, no downtime weights, no previous plan: only the wave count is solved.
    res = solved(make([10, 20]))
    assert [p.name for p in res.phases] == ["waves"]


def test_pin_forces_a_later_wave() -> None:
    # Both tasks fit wave 1, but t1 is pinned to wave 2: highest wave 2.
    res = solved(make([10, 10], pins=((1, 2),)))
    assert_optimal(res, waves=2)
    assert res.waves[1] == 2


def test_window_earliest_forces_a_later_wave() -> None:
    # t1 may not start before wave 3: highest wave 3.
    assert_optimal(solved(make([10, 10], earliest=(1, 3))), waves=3)


def test_window_latest_binds_with_capacity() -> None:
    # Three 60-tasks need three waves; t2 must be in wave 1 (latest 1), the others take 2 and 3.
    res = solved(make([60, 60, 60], latest=(4, 4, 1)))
    assert_optimal(res, waves=3)
    assert res.waves[2] == 1


def test_forbidden_waves_are_avoided() -> None:
    # t0 is blacked out in waves 1 and 2, so it goes to 3: highest wave 3.
    res = solved(make([10, 10], forbidden=((0, (1, 2)),)))
    assert_optimal(res, waves=3)
    assert res.waves[0] == 3


def test_infeasible_by_bounds_has_empty_plan() -> None:
    # Three 60-tasks need 3 waves but only 2 exist: infeasible, and waves is () not None.
    res = solved(make([60, 60, 60], waves=2))
    assert res.status == "infeasible"
    assert res.waves == ()
    assert res.lower_bound_waves == 3


def test_infeasible_proven_by_cp_sat() -> None:
    # Two 60-tasks pinned to wave 1 (capacity 100): the bounds do not see it, CP-SAT proves it.
    res = solved(make([60, 60], waves=2, pins=((0, 1), (1, 1))))
    assert res.status == "infeasible" and res.waves == ()


def test_same_seed_same_result() -> None:
    # Deterministic time limits + interleaved search: two runs with 2 workers agree exactly.
    p = random_problem(7)
    # A roomy limit: the deterministic budget ends long before the wall-clock cap, which
    # (as a promise to the user) may cut a run short on a loaded machine.
    first = solved(p, time_limit=10.0, workers=2, seed=3)
    second = solved(p, time_limit=10.0, workers=2, seed=3)
    assert first.waves and first.waves == second.waves
    assert first.status == second.status
    assert first.objective == second.objective and first.bound == second.bound


def test_progress_events_are_emitted() -> None:
    events: list[ProgressEvent] = []
    res = solved(make([50, 50, 50, 50], soft=((0, 1, 1),)), progress=events.append)
    assert {e.phase for e in events} >= {"waves", "splits"}
    assert events[-1].objective == res.objective["splits"]


def test_random_instances_with_all_phases() -> None:
    for seed in range(3):
        p = random_problem(seed, n=20)
        res = solved(p, time_limit=2.0)
        assert res.status in ("optimal", "feasible")
        assert [ph.name for ph in res.phases] == ["waves", "splits", "downtime", "moved"]
        for ph in res.phases:
            assert ph.bound <= ph.objective


def test_unknown_phase_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown phase"):
        solve(WaveProblem(**BASE), phases=("speed",))
    assert solve(WaveProblem(**BASE), phases=("waves",)).status == "optimal"


def test_big_instances_optimise_downtime_by_lns() -> None:
    # 160 tasks (the LNS takes over from 150): the downtime phase runs, reports its real
    # bound, and never splits more than the splits phase left.
    rng = random.Random(5)
    n = 160
    p = make(
        [rng.randint(1, 10) for _ in range(n)],
        cap=100,
        waves=12,
        soft=tuple((*rng.sample(range(n), 2), 1) for _ in range(40)),
        downtime_weight=tuple(rng.randint(0, 5) for _ in range(n)),
        before_or_same=tuple((a, a + 1) for a in range(0, n - 1, 7)),
    )
    res = solved(p, time_limit=6.0, workers=1)
    phases = {phase.name: phase for phase in res.phases}
    lns = "downtime: large-neighbourhood search"
    assert any(note.startswith(lns) for note in res.notes), res.notes
    # Here it reaches the bound (the total spread evenly), so the optimum is proven: 45
    # against the greedy plan's peak of 109, with the splits phase's 0 kept.
    assert res.objective["downtime"] == phases["downtime"].bound == 45
    assert downtime_bound(p, max(res.waves)) == 45
    assert phases["downtime"].status == "optimal"
    assert res.objective["splits"] == phases["splits"].objective == 0
    assert res.greedy is not None and evaluate(p, res.greedy.waves)["downtime"] == 109


def test_big_replans_minimise_moves_by_lns() -> None:
    # 160 tasks previously spread in order over 12 waves; the plan needs only 11, so the 13
    # tasks of previous wave 12 (t147..t159) must move: the moved bound. The moved phase
    # runs the LNS from the greedy plan and gets most of the rest back.
    rng = random.Random(8)
    n = 160
    base = make(
        [rng.randint(1, 10) for _ in range(n)],
        cap=100,
        waves=12,
        downtime_weight=tuple(rng.randint(0, 5) for _ in range(n)),
    )
    previous = tuple(1 + t * 12 // n for t in range(n))  # tasks in order over 12 waves
    p = dataclasses.replace(base, previous=previous, capacity=((80,),) * 12)
    res = solved(p, time_limit=6.0, workers=1)
    phases = {phase.name: phase for phase in res.phases}
    lns = "moved: large-neighbourhood search"
    assert any(note.startswith(lns) for note in res.notes), res.notes
    assert res.greedy is not None
    assert phases["waves"].objective == 11 and phases["moved"].bound == 13
    greedy_moved = evaluate(p, res.greedy.waves)["moved"]
    assert 13 <= res.objective["moved"] == phases["moved"].objective < greedy_moved


def test_a_stopped_search_returns_the_best_plan_found_so_far() -> None:
    """After `stop.request()` (the first Ctrl-C of `planner plan`) no phase searches:
    the greedy plan comes back, checked, with every phase reported honestly and a note."""
    p = random_problem(7)
    stop = StopRequest()
    stop.request()
    res = solved(p, time_limit=60.0, workers=2, seed=3, stop=stop)
    assert res.greedy is not None and res.waves == res.greedy.waves
    assert [phase.name for phase in res.phases] == ["waves", "splits", "downtime", "moved"]
    assert res.status == "feasible" and res.runtime < 10
    for phase in res.phases:
        assert phase.bound <= phase.objective
        assert phase.status == ("optimal" if phase.objective <= phase.bound else "feasible")
    assert any(note.startswith("stopped by the user after ") for note in res.notes), res.notes
    unstopped = solved(p, time_limit=10.0, workers=2, seed=3)
    assert unstopped.objective["splits"] < res.objective["splits"]  # the search was skipped
