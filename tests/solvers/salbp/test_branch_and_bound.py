"""`solvers.salbp.branch_and_bound`: tiny SALBP-1 instances whose optimum is derived by hand.

Every assignment a test gets is re-checked by `check` (tests/solvers/salbp/instances.py),
written without looking at the solver, and a brute-force subset DP cross-checks the
optimum on random instances.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

import solvers.salbp.branch_and_bound as bb
from solvers.limits import StopRequest
from solvers.salbp.branch_and_bound import station_bb
from tests.solvers.salbp.instances import brute_force, check, preds_of, random_instances


def naive_greedy(times: Sequence[int], cap: int, pairs: Sequence[tuple[int, int]]) -> int:
    """List scheduling: fill the open station with the lowest-index available task that fits,
    else open a new one."""
    n = len(times)
    preds = preds_of(n, pairs)
    done: set[int] = set()
    stations, load = 1, 0
    while len(done) < n:
        avail = [j for j in range(n) if j not in done and all(p in done for p in preds[j])]
        fit = [j for j in avail if load + times[j] <= cap]
        if fit:
            done.add(fit[0])
            load += times[fit[0]]
        else:
            stations, load = stations + 1, 0
    return stations


def test_exactly_full_stations_reach_lb1() -> None:
    # Sum 30, c = 10, so LB1 = 3. Three exactly full stations exist: {7, 3}, {2, 8}, {5, 5}
    # = tasks {0, 1}, {2, 3}, {4, 5}, and precedence 0->2, 1->3, 2->4, 3->5 orders them 1, 2, 3.
    times, pairs = [7, 3, 2, 8, 5, 5], [(0, 2), (1, 3), (2, 4), (3, 5)]
    res = station_bb(times, 10, preds_of(6, pairs), lower=1, upper=7, time_limit=5)
    assert (res.best, res.bound, res.proven) == (3, 3, True)
    assert res.stations == (1, 1, 2, 2, 3, 3)
    check(times, 10, pairs, res)


def test_chain_makes_two_stations_infeasible() -> None:
    # A=4, B=4, C=2, D=2 with c = 6 and the chain A <= B <= C <= D. Bin packing alone says 2
    # ({A,C}, {B,D}), but A and B cannot share a station (8 > 6), so B, C, D all sit in station 2
    # or later: 2 stations would put 8 into station 2. Three suffice: {A}, {B, C}, {D}.
    times, pairs = [4, 4, 2, 2], [(0, 1), (1, 2), (2, 3)]
    preds = preds_of(4, pairs)
    proof = station_bb(times, 6, preds, lower=2, upper=3, time_limit=5)
    assert proof.stations is None and proof.proven and proof.bound == 3 and proof.best == 3
    res = station_bb(times, 6, preds, lower=2, upper=5, time_limit=5)
    assert (res.best, res.bound, res.proven) == (3, 3, True)
    check(times, 6, pairs, res)


def test_beats_naive_greedy() -> None:
    # Times 5, 3, 3, 5, 4 with c = 10 and 0 before 4. Lowest-index list scheduling takes {5, 3},
    # then {3, 5}, then {4}: 3 stations. Sum 20 = 2 c, and {5, 5}, {3, 3, 4}
    # (tasks {0, 3}, {1, 2, 4})
    # fills both stations exactly with task 0 in station 1 <= task 4 in station 2: optimum 2.
    times, pairs = [5, 3, 3, 5, 4], [(0, 4)]
    assert naive_greedy(times, 10, pairs) == 3
    res = station_bb(times, 10, preds_of(5, pairs), lower=1, upper=3, time_limit=5)
    assert (res.best, res.proven) == (2, True)
    check(times, 10, pairs, res)


def test_nothing_better_than_upper_is_a_proof_without_plan() -> None:
    # Three tasks of 6 with c = 10: no two share a station, so 3 is optimal; with upper = 3 the
    # search proves 2 impossible (here already by the halves bound) and returns no plan.
    res = station_bb([6, 6, 6], 10, [[], [], []], lower=1, upper=3, time_limit=5)
    assert res.stations is None and res.proven and res.bound == 3


@pytest.mark.parametrize("direction", ["forward", "backward", "auto"])
def test_random_instances_match_brute_force(direction: str) -> None:
    # Random graphs (arcs only from lower to higher index, so acyclic) with up to 8 tasks:
    # the optimum must equal the subset DP's, in either search direction.
    for times, cap, pairs in random_instances(7, 40, (1, 8), (5, 15), 0.25):
        n = len(times)
        res = station_bb(
            times, cap, preds_of(n, pairs), lower=1, upper=n + 1, time_limit=5, direction=direction
        )
        assert res.proven
        assert res.best == brute_force(times, cap, pairs)
        check(times, cap, pairs, res)


def test_node_limit_gives_an_honest_unproven_result() -> None:
    # With one node allowed, a 12-task instance needing search cannot be finished: the result
    # must not claim a proof, and its bound stays a valid lower bound (<= the true optimum).
    rng = random.Random(3)
    times = [rng.randint(2, 9) for _ in range(12)]
    pairs = [(a, b) for a in range(12) for b in range(a + 1, 12) if rng.random() < 0.15]
    full = station_bb(times, 11, preds_of(12, pairs), lower=1, upper=13, time_limit=5)
    cut = station_bb(times, 11, preds_of(12, pairs), lower=1, upper=13, time_limit=5, node_limit=1)
    assert full.proven
    assert cut.bound <= full.best
    if cut.stations is None:
        assert not cut.proven or cut.bound == 13


def test_rejects_a_task_longer_than_the_cycle() -> None:
    # A task of 11 can never fit a station of 10: a malformed SALBP instance, reported at once.
    with pytest.raises(ValueError, match="0..cap"):
        station_bb([11], 10, [[]], lower=1, upper=2, time_limit=1)


def test_restarts_keep_the_search_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    # Restarting after every few nodes (memory kept, ties reordered at random) must not change
    # any optimum: memory is only written for subtrees searched to the end.
    monkeypatch.setattr(bb, "_RESTART_FIRST", 2)
    for times, cap, pairs in random_instances(11, 25, (4, 9), (6, 12), 0.2):
        n = len(times)
        res = station_bb(times, cap, preds_of(n, pairs), lower=1, upper=n + 1, time_limit=5)
        assert res.proven and res.best == brute_force(times, cap, pairs)
        check(times, cap, pairs, res)


def test_exactly_full_stations_found_by_the_compiled_search() -> None:
    # 12 tasks whose times sum to 4 × 25 with a chain forcing the order of the big ones: the
    # only plans at 4 stations fill every station exactly; station_bb must find one (through
    # the compiled search at the lower bound) and call it optimal.
    times = [11, 9, 12, 8, 13, 7, 5, 5, 4, 6, 3, 17]
    pairs = [(0, 2), (2, 4), (4, 11), (1, 3), (3, 5)]
    assert sum(times) == 100
    res = station_bb(times, 25, preds_of(12, pairs), lower=1, upper=13, time_limit=5)
    assert res.proven and res.best == 4
    check(times, 25, pairs, res)


def test_a_requested_stop_ends_the_search_without_a_false_proof() -> None:
    # Stopped before it began, the search claims nothing it did not show: its bound is still
    # at most the optimum, and a plan, if any, passes the check. Unstopped, it is exact.
    for times, cap, pairs in random_instances(21, 6, (8, 12), (6, 12), 0.2):
        n = len(times)
        stop = StopRequest()
        stop.request()
        res = station_bb(
            times, cap, preds_of(n, pairs), lower=1, upper=n + 1, time_limit=5, stop=stop
        )
        opt = brute_force(times, cap, pairs)
        assert res.bound <= opt
        if res.stations is not None:
            check(times, cap, pairs, res)
        full = station_bb(times, cap, preds_of(n, pairs), lower=1, upper=n + 1, time_limit=5)
        assert full.proven and full.best == opt
