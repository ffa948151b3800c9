"""`solvers.waves.joinable`: the forced pairs plus what no task's wave has room to join."""

from __future__ import annotations

from solvers.waves.bounds import WaveBounds
from solvers.waves.joinable import joinable_bound
from solvers.waves.parts import forced_splits
from tests.solvers.waves.instances import make, solved


def test_a_hub_joins_only_the_partners_its_wave_has_room_for() -> None:
    # A 6-hour hub with soft pairs (weight 1) to four 3-hour partners; 12 hours per wave, 3
    # waves. The hub's wave has 6 hours left: at most two partners join it, so two pairs are
    # split in every plan. No pair is forced (every window is 1..3): the forced bound is 0,
    # the joinable bound 2, and the solver's optimum is 2.
    p = make([6, 3, 3, 3, 3], cap=12, waves=3, soft=tuple((0, t, 1) for t in range(1, 5)))
    b = WaveBounds(p)
    lo, hi = b.windows(3)
    assert forced_splits(p, lo, hi, b.forbidden, b.cl.sdesc) == 0
    assert joinable_bound(p, lo, hi, b.forbidden, b.cl.sdesc) == 2
    res = solved(p)
    assert (res.objective["splits"], res.bound["splits"]) == (2, 2)


def test_room_for_every_partner_gives_no_more_than_the_forced_pairs() -> None:
    # The same hub with 24 hours per wave: all four partners fit with it, and one pair is
    # forced by disjoint windows (partner 4 only in wave 3, the hub only in 1..2): bound 1.
    p = make(
        [6, 3, 3, 3, 3],
        cap=24,
        waves=3,
        soft=tuple((0, t, 1) for t in range(1, 5)),
        earliest=(1, 1, 1, 1, 3),
        latest=(2, 3, 3, 3, 3),
    )
    b = WaveBounds(p)
    lo, hi = b.windows(3)
    assert forced_splits(p, lo, hi, b.forbidden, b.cl.sdesc) == 1
    assert joinable_bound(p, lo, hi, b.forbidden, b.cl.sdesc) == 1
    res = solved(p)
    assert (res.objective["splits"], res.bound["splits"]) == (1, 1)
