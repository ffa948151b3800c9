"""The exchange of whole fragments between a few waves (`solvers.waves.exchange`), through
the LNS's incumbent (`solvers.waves.lns._Search.exchange`)."""

from __future__ import annotations

import random
import time

from solvers.limits import TimeBudget
from solvers.waves.bounds import WaveBounds
from solvers.waves.exchange import blocks_of, build_exchange
from solvers.waves.lns import _Search
from solvers.waves.problem import WaveProblem, evaluate, violations
from tests.solvers.waves.instances import check_plan, make

# Wave 1: t0-t1 (a community's larger side, 1 h each) and t2-t3 (a whole fragment, 1 h each);
# wave 2: t4 (the community's smaller side, 2 h, soft partner of t1 with weight 3) and t5-t6
# (a whole fragment). Capacity 4 h per wave, both waves full. No single move or swap of two
# tasks joins t4 with t1 without splitting t2-t3; trading t4 for the fragment t2-t3 does.
SOFT = ((0, 1, 1), (1, 4, 3), (2, 3, 1), (5, 6, 1))
START = [1, 1, 1, 1, 2, 2, 2]


def search_of(p: WaveProblem, start: list[int]) -> _Search:
    bounds = WaveBounds(p)
    lo, hi = bounds.windows(p.max_waves)  # type: ignore[misc]
    return _Search(p, start, lo, hi, bounds.forbidden, p.max_waves, None)


def exchanged(p: WaveProblem, start: list[int]) -> tuple[bool, _Search]:
    search = search_of(p, start)
    budget = TimeBudget(10.0, time.monotonic() + 600)
    improved, _, held = search.exchange(random.Random(1), budget, seed=1)
    assert held == sum(1 for t in range(p.n_tasks) if search.waves[t] in (1, 2))
    return improved, search


def test_a_whole_fragment_trades_places_with_a_communitys_smaller_side() -> None:
    p = make([1, 1, 1, 1, 2, 1, 1], cap=4, waves=2, soft=SOFT)
    assert evaluate(p, START)["splits"] == 3
    improved, search = exchanged(p, START)
    # Either t4 for t2-t3, or t0-t1 for t5-t6: both join t1-t4 and split nothing.
    assert improved and search.splits == evaluate(p, search.waves)["splits"] == 0
    assert search.waves in ([1, 1, 2, 2, 1, 2, 2], [2, 2, 1, 1, 2, 1, 1])
    check_plan(p, tuple(search.waves))
    assert violations(p, search.waves) == []
    # The incumbent's loads and wave contents follow the move.
    assert search.load[1] == [4] and search.load[2] == [4]
    assert search.in_wave[1] == {t for t, w in enumerate(search.waves) if w == 1}


def test_a_task_that_cannot_take_the_other_wave_is_a_block_of_its_own_and_stays() -> None:
    # t3 may not be in wave 2 (a payroll blackout): the fragment t2-t3 becomes two blocks,
    # t3's without a choice. The trade of t0-t1 for t5-t6 still joins the community.
    p = make([1, 1, 1, 1, 2, 1, 1], cap=4, waves=2, soft=SOFT, forbidden=((3, (2,)),))
    search = search_of(p, START)
    blocks = blocks_of(search, (1, 2))
    assert [2] in blocks and [3] in blocks and [0, 1] in blocks
    sub = build_exchange(search, (1, 2))
    assert sub is not None and sub.before == 3
    assert not sub.choice[sub.blocks.index([3])]
    improved, search = exchanged(p, START)
    assert improved and search.waves == [2, 2, 1, 1, 2, 1, 1]
    check_plan(p, tuple(search.waves))


def barred() -> WaveProblem:
    """The problem above with t5 barred from wave 1 and t2 strictly before t7 (0 h, wave 2)."""
    return make(
        [1, 1, 1, 1, 2, 1, 1, 0],
        cap=4,
        waves=2,
        soft=SOFT,
        forbidden=((5, (1,)),),
        strictly_before=((2, 7),),
    )


def test_the_exchange_keeps_blackouts_and_hard_rules_between_blocks() -> None:
    # t5 may not be in wave 1, so t5-t6 cannot trade places with t0-t1; and t2 must come
    # strictly before t7 (0 h, in wave 2), so t2-t3 cannot trade places with t4. No trade
    # that joins t1-t4 is left, and the plan stays as it is.
    p = barred()
    start = START + [2]
    improved, search = exchanged(p, start)
    assert not improved and search.waves == start and search.splits == 3


def test_an_unchanged_pair_of_waves_is_not_solved_again() -> None:
    p = barred()
    search = search_of(p, START + [2])
    budget = TimeBudget(10.0, time.monotonic() + 600)
    assert search.exchange(random.Random(1), budget, seed=1)[2] == 8
    assert search.exchange(random.Random(2), budget, seed=1) == (False, 0.0, 0)


# A community t0 (wave 1, 2 h), t1 (wave 2, 1 h), t7 (wave 3, 0 h) in a chain of soft pairs;
# t2 (2 h) fills wave 1, t3 (3 h) wave 2, t4 (2 h), t5 and t6 (1 h each) wave 3. Capacity
# 4 h. Waves 1 and 2 alone cannot join t0-t1 (t1 needs 1 h in wave 1, and the only block
# there that could leave, t2, is 2 h, for which wave 2 has no room); waves 2 and 3 join
# t1-t7 by trading t1 for t5 or t6. A ring over the three waves joins all: t1 and t7 into
# wave 1, t2 on to wave 3, t5 and t6 to waves 1 and 2.
RING = ((0, 1, 1), (1, 7, 1))
RING_START = [1, 2, 1, 2, 3, 3, 3, 3]


def ring() -> WaveProblem:
    return make([2, 1, 2, 3, 2, 1, 1, 0], cap=4, waves=3, soft=RING)


def test_a_ring_over_three_waves_joins_what_no_two_waves_can() -> None:
    p = ring()
    assert evaluate(p, RING_START)["splits"] == 2
    budget = TimeBudget(10.0, time.monotonic() + 600)
    for two in ((1, 2), (2, 3)):
        search = search_of(p, RING_START)
        search.exchange_waves(two, budget, seed=1)
        assert search.splits == evaluate(p, search.waves)["splits"] >= 1
    search = search_of(p, RING_START)
    # Either split pair leads to the community's third wave: all three waves are free.
    improved, _, held = search.exchange(random.Random(1), budget, seed=1)
    assert improved and held == p.n_tasks
    assert search.splits == evaluate(p, search.waves)["splits"] == 0
    assert search.waves[0] == search.waves[1] == search.waves[7]
    check_plan(p, tuple(search.waves))
    assert violations(p, search.waves) == []
    assert all(search.load[w] == [4] for w in (1, 2, 3))
