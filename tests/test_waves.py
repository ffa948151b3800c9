"""Tests for the wave solver: tiny instances whose optimum is derived by hand in a comment.

Every solution a test gets is re-checked by `check_plan`, a feasibility checker
written here independently of the model (plain loops over the rules).
"""

from __future__ import annotations

import dataclasses
import random
import re
from typing import Any

import pytest

from solvers.wave_bounds import WaveBounds, bin_packing_bound, lower_bound_waves
from solvers.wave_explain import Cause, explain_infeasible
from solvers.wave_greedy import greedy
from solvers.waves import ProgressEvent, WaveProblem, WaveResult, evaluate, solve, violations

FAST = dict(time_limit=5.0, workers=1)


def make(demand: list[int] | list[tuple[int, ...]], cap: int | tuple[int, ...] = 100, waves: int = 4, **kw: Any) -> WaveProblem:
    """A problem with tasks t0, t1, ... and the same capacity in every wave (one resource unless tuples given)."""
    rows = tuple(d if isinstance(d, tuple) else (d,) for d in demand)
    caps = cap if isinstance(cap, tuple) else (cap,)
    resources = ("h",) if len(caps) == 1 else tuple(f"r{i}" for i in range(len(caps)))
    return WaveProblem(
        names=tuple(f"t{i}" for i in range(len(rows))),
        resources=resources,
        demand=rows,
        capacity=(caps,) * waves,
        max_waves=waves,
        **kw,
    )


def check_plan(p: WaveProblem, waves: tuple[int, ...]) -> None:
    """Independent feasibility check: every hard rule, written without looking at the model."""
    assert len(waves) == len(p.names)
    for t, w in enumerate(waves):
        assert 1 <= w <= p.max_waves
        if p.earliest:
            assert w >= p.earliest[t]
        if p.latest:
            assert w <= p.latest[t]
    for t, w in p.pins:
        assert waves[t] == w
    for t, banned in p.forbidden:
        assert waves[t] not in banned
    for a, b in p.before_or_same:
        assert waves[a] <= waves[b]
    for a, b in p.strictly_before:
        assert waves[a] < waves[b]
    for a, b in p.same_wave:
        assert waves[a] == waves[b]
    for w in range(1, p.max_waves + 1):
        for r in range(len(p.resources)):
            assert sum(p.demand[t][r] for t in range(len(waves)) if waves[t] == w) <= p.capacity[w - 1][r]


def solved(p: WaveProblem, **kw: Any) -> WaveResult:
    """Solve, then check the plan and the objective recomputation independently."""
    res = solve(p, **{**FAST, **kw})
    if res.waves:
        check_plan(p, res.waves)
        assert violations(p, res.waves) == []
        for name, value in res.objective.items():
            assert evaluate(p, res.waves)[name] == value
    if res.greedy is not None and res.greedy.waves:
        check_plan(p, res.greedy.waves)
    return res


def improved(phase: str, p: WaveProblem, start: list[int], *, seed: int = 1) -> Any:
    """One LNS run of `phase` over two waves from `start`, with a roomy budget; the plan is checked."""
    from solvers.wave_lns import improve

    bounds = WaveBounds(p)
    lo, hi = bounds.windows(2)  # type: ignore[misc]
    out = improve(phase, p, start, lo, hi, bounds.forbidden, horizon=2, det_budget=2.0,
                  wall_deadline=1e12, seed=seed)
    check_plan(p, out.waves)
    return out


def assert_optimal(res: WaveResult, **objective: float) -> None:
    """Status optimal, and each named phase has exactly this objective and bound."""
    assert res.status == "optimal", res.summary()
    for name, value in objective.items():
        assert res.objective[name] == value, res.summary()
        assert res.bound[name] == value, res.summary()


# --- capacity and the wave count ------------------------------------------------------------
def test_capacity_lower_bound() -> None:
    # Three 5 h tasks (scaled: 50), capacity 10 h (100): ceil(150/100) = 2 waves, and 2 fit (50+50, 50).
    res = solved(make([50, 50, 50]))
    assert_optimal(res, waves=2)
    assert res.lower_bound_waves == 2


def test_bin_packing_bound_beats_sum_bound() -> None:
    # Three tasks of 60 with capacity 100: ceil(180/100) = 2, but no two share a wave, so 3.
    assert bin_packing_bound([60, 60, 60], 100) == 3
    assert lower_bound_waves(make([60, 60, 60])) == 3
    assert_optimal(solved(make([60, 60, 60])), waves=3)


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


# --- precedence -----------------------------------------------------------------------------
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


# --- later phases -----------------------------------------------------------------------------
def test_soft_splits_minimised() -> None:
    # Four 50-tasks => 2 waves of two. Pairings and split weight: {0,1}{2,3}: 1+1 = 2;
    # {0,2}{1,3}: 3+2 = 5; {0,3}{1,2}: 3+2+1+1 = 7. Optimum 2.
    p = make([50, 50, 50, 50], soft=((0, 1, 3), (2, 3, 2), (0, 2, 1), (1, 3, 1)))
    res = solved(p)
    assert_optimal(res, waves=2, splits=2)
    assert res.waves[0] == res.waves[1] and res.waves[2] == res.waves[3]


def test_downtime_spread_evenly() -> None:
    # Four 50-tasks => 2 waves of two; downtime weights 3,3,1,1: putting the 3s apart gives a peak of 4
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


# --- unary rules ------------------------------------------------------------------------------
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


# --- infeasibility ---------------------------------------------------------------------------
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
            [Cause("capacity", wave=1, resource="h"), Cause("capacity", wave=2, resource="h"), Cause("horizon")],
            id="capacity",
        ),
        pytest.param(  # two 60s pinned into the same wave; the unrelated t2 is not blamed
            make([60, 60, 10], waves=2, pins=((0, 1), (1, 1))),
            [Cause("pin", 0, wave=1), Cause("pin", 1, wave=1), Cause("capacity", wave=1, resource="h")],
            id="pins-and-capacity",
        ),
        pytest.param(  # same-wave partners that do not fit together
            make([60, 60], waves=3, same_wave=((0, 1),)),
            [Cause("capacity", wave=1, resource="h"), Cause("capacity", wave=2, resource="h"),
             Cause("capacity", wave=3, resource="h"), Cause("precedence", 0, 1, rule="same_wave")],
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


# --- determinism, progress, greedy, bounds -----------------------------------------------------
def random_problem(seed: int, n: int = 30) -> WaveProblem:
    """A mixed instance (two resources, precedence, soft pairs, downtime, previous plan) to exercise every phase."""
    rng = random.Random(seed)
    demand = tuple((rng.randint(5, 40), rng.randint(0, 3)) for _ in range(n))
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n) if rng.random() < 0.04]
    return WaveProblem(
        names=tuple(f"g{t}" for t in range(n)),
        resources=("hours", "servers"),
        demand=demand,
        capacity=((100, 8),) * 12,
        max_waves=12,
        before_or_same=tuple(pairs[::2]),
        strictly_before=tuple(pairs[1::4]),
        soft=tuple((*rng.sample(range(n), 2), rng.randint(1, 5)) for _ in range(10)),
        downtime_weight=tuple(rng.randint(0, 3) for _ in range(n)),
        previous=tuple(rng.randint(0, 8) for _ in range(n)),
    )


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
    p = make([3, 1, 7, 2, 3, 5, 7, 3, 7, 5], cap=10, waves=5, before_or_same=(
        (0, 1), (0, 3), (0, 9), (1, 3), (3, 5), (3, 6), (3, 8), (4, 6), (4, 8), (5, 6), (6, 9)))
    g = greedy(p)
    check_plan(p, g.waves)
    assert max(g.waves) == 5 == lower_bound_waves(p)


def test_windows_from_head_and_tail_bounds() -> None:
    # Chain t0 <= t1 <= t2 of 60 each: t1 cannot precede wave 2 (t0+t1 = 120 > 100) nor follow
    # wave m-1 (t1+t2 = 120); with m = 3 everything is fixed to waves 1, 2, 3.
    b = WaveBounds(make([60, 60, 60], before_or_same=((0, 1), (1, 2))))
    assert b.windows(3) == ([1, 2, 3], [1, 2, 3])
    assert b.windows(2) is None


def test_evaluate_recomputes_objectives() -> None:
    p = make([10, 10, 10], soft=((0, 1, 2), (1, 2, 5)), downtime_weight=(1, 2, 4), previous=(1, 2, 0))
    assert evaluate(p, (1, 2, 2)) == {"waves": 2.0, "splits": 2.0, "downtime": 6.0, "moved": 0.0}
    assert evaluate(p, ()) == {"waves": float("inf"), "splits": float("inf"), "downtime": float("inf"), "moved": float("inf")}


def test_random_instances_with_all_phases() -> None:
    for seed in range(3):
        p = random_problem(seed, n=20)
        res = solved(p, time_limit=2.0)
        assert res.status in ("optimal", "feasible")
        assert [ph.name for ph in res.phases] == ["waves", "splits", "downtime", "moved"]
        for ph in res.phases:
            assert ph.bound <= ph.objective


# --- validation: each error beside a passing case -----------------------------------------------
BASE: dict[str, Any] = dict(
    names=("a", "b"), resources=("h",), demand=((10,), (10,)), capacity=((100,), (100,)), max_waves=2
)


@pytest.mark.parametrize(
    ("bad", "good", "message"),
    [
        (dict(max_waves=0, capacity=()), dict(max_waves=1, capacity=((100,),)), "max_waves"),
        (dict(demand=((10,),)), dict(demand=((10,), (0,))), "demand has 1 rows"),
        (dict(demand=((10, 1), (10,))), dict(demand=((10,), (10,))), "demand row 0"),
        (dict(demand=((-1,), (10,))), dict(demand=((0,), (10,))), "negative"),
        (dict(capacity=((100,),)), dict(capacity=((100,), (50,))), "capacity has 1 rows"),
        (dict(capacity=((100,), (-5,))), dict(capacity=((100,), (0,))), "capacity row for wave 2"),
        (dict(before_or_same=((0, 2),)), dict(before_or_same=((0, 1),)), "before_or_same pair (0, 2)"),
        (dict(strictly_before=((1, 1),)), dict(strictly_before=((1, 0),)), "itself"),
        (dict(same_wave=((-1, 0),)), dict(same_wave=((1, 0),)), "same_wave pair"),
        (dict(soft=((0, 1, 0),)), dict(soft=((0, 1, 1),)), "weight 0"),
        (dict(earliest=(1,)), dict(earliest=(1, 2)), "earliest has 1 values"),
        (dict(latest=(1, 3)), dict(latest=(1, 2)), "latest[1] = 3"),
        (dict(earliest=(2, 1), latest=(1, 2)), dict(earliest=(1, 1), latest=(1, 2)), "earliest 2 after latest 1"),
        (dict(pins=((0, 3),)), dict(pins=((0, 2),)), "pin of task 0 to wave 3"),
        (dict(pins=((5, 1),)), dict(pins=((1, 1),)), "pin refers to task 5"),
        (dict(forbidden=((0, (0,)),)), dict(forbidden=((0, (1,)),)), "forbidden wave 0"),
        (dict(downtime_weight=(1, -1)), dict(downtime_weight=(1, 0)), "downtime_weight has a negative"),
        (dict(previous=(3, 0)), dict(previous=(2, 0)), "previous[0] = 3"),
    ],
)
def test_validation(bad: dict[str, Any], good: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        WaveProblem(**{**BASE, **bad})
    WaveProblem(**{**BASE, **good})


def test_unknown_phase_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown phase"):
        solve(WaveProblem(**BASE), phases=("speed",))
    assert solve(WaveProblem(**BASE), phases=("waves",)).status == "optimal"


# --- issue 4 at scale: interval-energy bound, greedy justification, splits LNS --------------------
def test_energy_bound_counts_waves_a_team_cannot_use() -> None:
    # t0 (resource r0 only) is strictly before t1 and t2 (r1, 10 h each, 10 h per wave).
    # Total r1 work needs 2 waves, but wave 1 is closed to both r1 tasks (t0 must settle
    # first), so they need waves 2 and 3: the optimum and the bound are 3 waves.
    p = make([(1, 0), (0, 10), (0, 10)], cap=(10, 10), waves=5, strictly_before=((0, 1), (0, 2)))
    assert lower_bound_waves(p) == 3
    res = solved(p)
    assert res.status == "optimal" and res.objective["waves"] == 3 and res.lower_bound_waves == 3


def test_greedy_justification_respects_blackouts_and_windows() -> None:
    # The mirrored passes map windows and blackouts too: every plan the greedy returns is checked.
    rng = random.Random(4)
    n = 40
    p = make([rng.randint(5, 40) for _ in range(n)], cap=100, waves=12,
             before_or_same=tuple((i, i + 1) for i in range(0, n - 1, 3)),
             forbidden=((3, (1, 2)), (7, (4,))), earliest=tuple(2 if t == 5 else 1 for t in range(n)),
             latest=tuple(6 if t == 9 else 12 for t in range(n)))
    g = greedy(p, seed=1)
    assert g.waves and violations(p, g.waves) == []
    check_plan(p, g.waves)


def test_splits_lns_repairs_a_split_plan() -> None:
    # Four unit tasks, two per wave, soft pairs (t0, t1) and (t2, t3). The plan [1, 2, 1, 2]
    # splits both; swapping t1 and t2 joins both pairs: 0 splits, the optimum.
    p = make([1, 1, 1, 1], cap=2, waves=2, soft=((0, 1, 1), (2, 3, 1)))
    out = improved("splits", p, [1, 2, 1, 2], seed=3)
    assert out.splits == 0 and out.improvements >= 1


def test_downtime_lns_lowers_the_peak_without_splitting_more() -> None:
    # Six tasks of 1 h, 3 per wave over 2 waves; downtime 4, 4, 4, 1, 1, 1. The start plan puts
    # the three heavy ones in wave 1: peak 12. Two heavy and one light task in one wave, the
    # rest in the other, gives 9 and 6: the optimum peak is 9 (the bound max(ceil(15 / 2), 4)
    # is 8). The soft pair (t0, t1) is joined at the start and must stay joined.
    from solvers.wave_lns import downtime_bound, peak_downtime

    p = make([1] * 6, cap=3, waves=2, soft=((0, 1, 1),), downtime_weight=(4, 4, 4, 1, 1, 1))
    start = [1, 1, 1, 2, 2, 2]
    out = improved("downtime", p, start)
    assert downtime_bound(p, 2) == 8 and peak_downtime(p, start) == 12
    assert out.downtime == peak_downtime(p, out.waves) == 9 and out.improvements >= 1
    assert out.splits == 0 and out.waves[0] == out.waves[1]


def test_big_instances_optimise_downtime_by_lns() -> None:
    # 160 tasks (the LNS takes over from 150): the downtime phase runs, reports its real
    # bound, and never splits more than the splits phase left.
    from solvers.wave_lns import downtime_bound

    rng = random.Random(5)
    n = 160
    p = make([rng.randint(1, 10) for _ in range(n)], cap=100, waves=12,
             soft=tuple((*rng.sample(range(n), 2), 1) for _ in range(40)),
             downtime_weight=tuple(rng.randint(0, 5) for _ in range(n)),
             before_or_same=tuple((a, a + 1) for a in range(0, n - 1, 7)))
    res = solved(p, time_limit=6.0, workers=1)
    phases = {phase.name: phase for phase in res.phases}
    assert any(note.startswith("downtime: large-neighbourhood search") for note in res.notes), res.notes
    # Here it reaches the bound (the total spread evenly), so the optimum is proven: 45
    # against the greedy plan's peak of 109, with the splits phase's 0 kept.
    assert res.objective["downtime"] == phases["downtime"].bound == downtime_bound(p, max(res.waves)) == 45
    assert phases["downtime"].status == "optimal"
    assert res.objective["splits"] == phases["splits"].objective == 0
    assert res.greedy is not None and evaluate(p, res.greedy.waves)["downtime"] == 109


def test_moved_lns_returns_tasks_to_their_previous_waves() -> None:
    # Six tasks of 1 h, 3 per wave over 2 waves, previously t0-t2 in wave 1 and t3-t5 in wave 2.
    # The start plan swapped t0 and t3: 2 moved. Swapping back restores both (0 moved), but
    # the soft pair (t0, t4) is joined in the start plan (both in wave 2): returning t0
    # alone would split it, so t4 must then move too, which the capacity forbids unless
    # another task makes room; the search may not split more, so it keeps the pair joined.
    from solvers.wave_lns import moved_bound, moved_count

    p = make([1] * 6, cap=3, waves=2, previous=(1, 1, 1, 2, 2, 2))
    start = [2, 1, 1, 1, 2, 2]
    out = improved("moved", p, start)
    bounds = WaveBounds(p)
    lo, hi = bounds.windows(2)  # type: ignore[misc]
    assert moved_count(p, start) == 2 and moved_bound(p, lo, hi, bounds.forbidden) == 0
    assert out.moved == 0 and out.waves == (1, 1, 1, 2, 2, 2)

    joined = dataclasses.replace(p, soft=((0, 4, 1),))
    out = improved("moved", joined, start)
    assert out.splits == 0 and out.waves[0] == out.waves[4]  # never more splits than at the start
    assert out.moved == moved_count(joined, out.waves) <= 2


def test_big_replans_minimise_moves_by_lns() -> None:
    # 160 tasks previously spread in order over 12 waves; the plan needs only 11, so the 13
    # tasks of previous wave 12 (t147..t159) must move: the moved bound. The moved phase
    # runs the LNS from the greedy plan and gets most of the rest back.
    rng = random.Random(8)
    n = 160
    base = make([rng.randint(1, 10) for _ in range(n)], cap=100, waves=12,
                downtime_weight=tuple(rng.randint(0, 5) for _ in range(n)))
    previous = tuple(1 + t * 12 // n for t in range(n))  # tasks in order over 12 waves
    p = dataclasses.replace(base, previous=previous, capacity=((80,),) * 12)
    res = solved(p, time_limit=6.0, workers=1)
    phases = {phase.name: phase for phase in res.phases}
    assert any(note.startswith("moved: large-neighbourhood search") for note in res.notes), res.notes
    assert res.greedy is not None
    assert phases["waves"].objective == 11 and phases["moved"].bound == 13
    assert 13 <= res.objective["moved"] == phases["moved"].objective < evaluate(p, res.greedy.waves)["moved"]


def test_a_stopped_search_returns_the_best_plan_found_so_far(stop_cleared: None) -> None:
    """After `cpsat.request_stop()` (the first Ctrl-C of `planner plan`) no phase searches:
    the greedy plan comes back, checked, with every phase reported honestly and a note."""
    from solvers import cpsat

    p = random_problem(7)
    cpsat.request_stop()
    res = solved(p, time_limit=60.0, workers=2, seed=3)
    cpsat.clear_stop()
    assert res.greedy is not None and res.waves == res.greedy.waves
    assert [phase.name for phase in res.phases] == ["waves", "splits", "downtime", "moved"]
    assert res.status == "feasible" and res.runtime < 10
    for phase in res.phases:
        assert phase.bound <= phase.objective
        assert phase.status == ("optimal" if phase.objective <= phase.bound else "feasible")
    assert any(note.startswith("stopped by the user after ") for note in res.notes), res.notes
    unstopped = solved(p, time_limit=10.0, workers=2, seed=3)
    assert unstopped.objective["splits"] < res.objective["splits"]  # the search was skipped
