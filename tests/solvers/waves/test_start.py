"""`solvers.waves.start`: the soft-aware starting plan of the splits phase, on instances whose
best plan is derived by hand, on random instances with every kind of hard rule (no plan may
break one), for determinism, and in the phase driver."""

from __future__ import annotations

import pytest

from solvers.waves.bounds import WaveBounds
from solvers.waves.local import Structure
from solvers.waves.problem import WaveProblem, evaluate, violations
from solvers.waves.start import StartOutcome, _clusters, soft_start
from tests.solvers.waves.instances import check_plan, make, random_instance, solved


def started(p: WaveProblem, incumbent: tuple[int, ...] | list[int], horizon: int) -> StartOutcome:
    """The construction within `horizon` waves from `incumbent`'s order; its plan, if any, is
    checked independently and its split weight recomputed."""
    win = WaveBounds(p).windows(horizon)
    assert win is not None
    out = soft_start(p, incumbent, win[0], win[1], WaveBounds(p).forbidden, horizon=horizon)
    if out.waves:
        check_plan(p, out.waves)
        assert violations(p, out.waves) == []
        assert max(out.waves) <= horizon
        assert out.splits == evaluate(p, out.waves)["splits"]
    return out


def two_cliques(size: int = 4) -> WaveProblem:
    """Two soft cliques of `size` one-hour tasks (t0.. and t`size`..), every pair of a clique
    weight 1, in two waves of `size` hours: each clique fills one wave."""
    soft = tuple(
        (base + a, base + b, 1)
        for base in (0, size)
        for a in range(size)
        for b in range(a + 1, size)
    )
    return make([1] * (2 * size), cap=size, waves=2, soft=soft)


def test_two_cliques_that_fit_a_wave_each_are_not_split() -> None:
    # The incumbent alternates the cliques' tasks over the two waves: each clique of 4 has 2
    # tasks in each wave, 4 of its 6 pairs split, 8 in all. A wave holds 4 hours, so a clique
    # fits one wave whole: the construction grows wave 1 along the first clique until it is
    # full and puts the second in wave 2, 0 splits (the optimum).
    p = two_cliques()
    incumbent = [1, 2, 1, 2, 1, 2, 1, 2]
    assert evaluate(p, incumbent)["splits"] == 8
    out = started(p, incumbent, 2)
    assert out.splits == 0
    assert len(set(out.waves[:4])) == 1 and len(set(out.waves[4:])) == 1


def test_a_community_too_big_for_a_wave_is_cut_once() -> None:
    # Capacity 3 per wave, three waves; a soft chain t0-t1-t2-t3 (4 hours: it cannot fit one
    # wave, so every plan splits at least one of its pairs) and five fillers without soft
    # pairs. Wave 1 grows along the chain until full (t0, t1, t2); its rest t3, which has
    # soft weight to a placed task, opens wave 2: 1 split, the optimum. The incumbent puts
    # every chain task in another wave than its neighbour (3 splits).
    p = make([1] * 9, cap=3, waves=3, soft=((0, 1, 1), (1, 2, 1), (2, 3, 1)))
    incumbent = [1, 2, 3, 1, 2, 3, 1, 2, 3]
    assert evaluate(p, incumbent)["splits"] == 3
    out = started(p, incumbent, 3)
    assert out.splits == 1
    assert out.waves[:4] == (1, 1, 1, 2)


def test_hard_rules_come_before_soft_weight() -> None:
    # t0 and t1 are soft partners, but t1 must be strictly after t0, and t2 must share a
    # wave with t1; capacity 2 per wave in 2 waves. The pair cannot be joined (1 forced
    # split); the construction keeps the rule and puts {t1, t2} in wave 2.
    p = make(
        [1, 1, 1],
        cap=2,
        waves=2,
        strictly_before=((0, 1),),
        same_wave=((1, 2),),
        soft=((0, 1, 1),),
    )
    out = started(p, [1, 2, 2], 2)
    assert out.waves == (1, 2, 2) and out.splits == 1


def test_no_plan_breaks_a_hard_rule_on_random_instances() -> None:
    # The property: whatever the instance (windows, pins, blackouts, both precedence kinds,
    # same-wave pairs, two resources at tight capacity), a constructed plan keeps every hard
    # rule (checked twice, independently) within the incumbent's waves; nearly every
    # construction meets its deadlines, and most split less than the greedy's plan.
    built = better = tried = 0
    for seed in range(60):
        p, start, m = random_instance(seed)
        if not start or max(start) > m:
            continue
        tried += 1
        out = started(p, start, m)
        built += bool(out.waves)
        better += out.splits < evaluate(p, start)["splits"]
    assert tried >= 30 and built >= tried - 5 and better >= tried // 2  # 56, 55, 45


def test_the_construction_is_deterministic() -> None:
    # Same instance, same incumbent: the same plan and the same work, every time.
    for seed in (3, 11, 29):
        p, start, m = random_instance(seed)
        if start and max(start) <= m:
            assert started(p, start, m) == started(p, start, m)


def test_communities_stay_within_half_a_wave() -> None:
    # Two cliques of 4 one-hour tasks joined by one pair (t3, t4). With 8 hours per wave a
    # community may weigh 4: label propagation finds the two cliques, not one community.
    p = make(
        [1] * 8,
        cap=8,
        waves=2,
        soft=two_cliques().soft + ((3, 4, 1),),
    )
    win = WaveBounds(p).windows(2)
    assert win is not None
    group, _ = _clusters(Structure(p, win[0], win[1], WaveBounds(p).forbidden, 2))
    assert len(set(group[:4])) == 1 and len(set(group[4:])) == 1
    assert group[0] != group[4]


def cliques_in_full_waves(count: int = 20, size: int = 8) -> WaveProblem:
    """`count` soft cliques of `size` one-hour tasks in `count` waves of `size` hours (every
    wave full), `count * size` tasks (160 at the defaults: the big-instance path runs).

    The greedy ignores soft pairs and fills waves in task order, taking the cliques as they
    come; every clique fits one wave whole, so 0 splits is the optimum."""
    tasks = count * size
    order = [(t * 7) % tasks for t in range(tasks)]  # the cliques' tasks interleaved
    soft = tuple(
        (order[c * size + a], order[c * size + b], 1)
        for c in range(count)
        for a in range(size)
        for b in range(a + 1, size)
    )
    return make([1] * tasks, cap=size, waves=count, soft=soft)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_splits_phase_starts_from_the_constructed_plan(workers: int) -> None:
    # The phase driver takes the constructed plan (verified) when it splits less than the
    # greedy's and says so in a note; the phase then reaches the optimum 0, proven by the
    # bound 0.
    p = cliques_in_full_waves()
    res = solved(p, time_limit=10.0, workers=workers, phases=("splits",))
    assert res.greedy is not None and res.greedy.objective["splits"] > 0
    assert res.objective["splits"] == 0, res.summary()
    assert any(
        note.startswith("splits: soft-aware start") and "splits, taken (" in note
        for note in res.notes
    ), res.summary()
