"""`solvers.waves.bounds`: combinatorial lower bounds and head/tail windows."""

from __future__ import annotations

from solvers.waves.bounds import WaveBounds, bin_packing_bound, downtime_bound, lower_bound_waves
from tests.solvers.waves.instances import assert_optimal, make, solved


def test_capacity_lower_bound() -> None:
    # Three 5 h tasks (scaled: 50), capacity 10 h (100): ceil(150/100) = 2 waves, and 2 fit
    # (50+50, 50).
    res = solved(make([50, 50, 50]))
    assert_optimal(res, waves=2)
    assert res.lower_bound_waves == 2


def test_bin_packing_bound_beats_sum_bound() -> None:
    # Three tasks of 60 with capacity 100: ceil(180/100) = 2, but no two share a wave, so 3.
    assert bin_packing_bound([60, 60, 60], 100) == 3
    assert lower_bound_waves(make([60, 60, 60])) == 3
    assert_optimal(solved(make([60, 60, 60])), waves=3)


def test_windows_from_head_and_tail_bounds() -> None:
    # Chain t0 <= t1 <= t2 of 60 each: t1 cannot precede wave 2 (t0+t1 = 120 > 100) nor follow
    # wave m-1 (t1+t2 = 120); with m = 3 everything is fixed to waves 1, 2, 3.
    b = WaveBounds(make([60, 60, 60], before_or_same=((0, 1), (1, 2))))
    assert b.windows(3) == ([1, 2, 3], [1, 2, 3])
    assert b.windows(2) is None


def test_energy_bound_counts_waves_a_team_cannot_use() -> None:
    # t0 (resource r0 only) is strictly before t1 and t2 (r1, 10 h each, 10 h per wave).
    # Total r1 work needs 2 waves, but wave 1 is closed to both r1 tasks (t0 must settle
    # first), so they need waves 2 and 3: the optimum and the bound are 3 waves.
    p = make([(1, 0), (0, 10), (0, 10)], cap=(10, 10), waves=5, strictly_before=((0, 1), (0, 2)))
    assert lower_bound_waves(p) == 3
    res = solved(p)
    assert res.status == "optimal" and res.objective["waves"] == 3 and res.lower_bound_waves == 3


def test_downtime_bound_is_the_total_spread_evenly_or_the_largest_task() -> None:
    # Weights 4, 4, 4, 1, 1, 1 over 2 waves: ceil(15 / 2) = 8; over 5 waves the largest, 4.
    p = make([1] * 6, cap=3, waves=5, downtime_weight=(4, 4, 4, 1, 1, 1))
    assert downtime_bound(p, 2) == 8
    assert downtime_bound(p, 5) == 4
