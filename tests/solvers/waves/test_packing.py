"""`solvers.waves.packing`: the options of a community (blackouts, the members that must
follow them, capacity), rules between communities, a bin packing the wave-by-wave
constructions cannot find, valid plans on random instances, determinism, and the note in
the phase driver."""

from __future__ import annotations

from solvers.waves.bounds import WaveBounds
from solvers.waves.local import Structure
from solvers.waves.packing import cost, pack, prepare
from solvers.waves.problem import WaveProblem, evaluate, violations
from solvers.waves.start import soft_start
from tests.solvers.waves.instances import check_plan, make, random_instance, solved


def structure(p: WaveProblem, horizon: int) -> Structure:
    win = WaveBounds(p).windows(horizon)
    assert win is not None
    return Structure(p, win[0], win[1], WaveBounds(p).forbidden, horizon)


def cliques(sizes: list[int]) -> tuple[tuple[int, int, int], ...]:
    """Soft cliques of consecutive tasks, every pair weight 1."""
    out, first = [], 0
    for size in sizes:
        out += [(first + a, first + b, 1) for a in range(size) for b in range(a + 1, size)]
        first += size
    return tuple(out)


def test_a_blacked_out_member_and_its_followers_go_to_the_next_wave() -> None:
    # One clique of four one-hour tasks; t0 may not move in wave 1, and t1 must not be
    # earlier than t0. As main wave 1 the community leaves t0 and t1 to wave 2: they cut
    # their 4 pairs to t2 and t3; wave 2 has no such cost.
    p = make(
        [1] * 4,
        cap=10,
        waves=2,
        soft=cliques([4]),
        forbidden=((0, (1,)),),
        before_or_same=((0, 1),),
    )
    s = structure(p, 2)
    pk = prepare(s, [0, 0, 0, 0])
    one, two = pk.options[0][1], pk.options[0][2]
    assert (one.cut, one.load, one.rest, one.rest_load) == (4, (2,), 2, (2,))
    assert (two.cut, two.load, two.rest, two.rest_load) == (0, (4,), 2, (0,))


def test_a_community_too_big_for_every_wave_is_left_out() -> None:
    # A clique of five hours and waves of four: no main wave, so no packing (None), and the
    # constructions go on without it.
    p = make([1] * 5, cap=4, waves=2, soft=cliques([5]))
    assert pack(structure(p, 2), [1, 1, 1, 2, 2], seed=1, units=1.0) is None


def test_a_rule_between_communities_orders_their_main_waves() -> None:
    # Communities {t0, t1} and {t2, t3}, two hours each, in waves of two hours; t2 must not
    # be earlier than t1. Either order fits; breaking the rule would hold t2 back (its pair
    # to t3, and its carry), so the packing puts the first community in wave 1.
    p = make([1] * 4, cap=2, waves=2, soft=cliques([2, 2]), before_or_same=((1, 2),))
    s = structure(p, 2)
    pk = prepare(s, [0, 0, 1, 1])
    assert [(a, b, lag) for a, b, lag, _ in pk.rules] == [(0, 1, 0)]
    assert cost(pk, [1, 2]) < cost(pk, [2, 1])
    out = pack(s, [2, 2, 1, 1], seed=1, units=1.0)
    assert out is not None and out.main == (1, 2)


# Six cliques of 5, 4, 3, 3, 3 and 2 hours in two waves of 10: only 5+3+2 and 4+3+3 fill
# both waves exactly. The incumbent puts every clique's tasks alternately into the waves.
SIZES = [5, 4, 3, 3, 3, 2]


def packing_instance() -> tuple[WaveProblem, list[int]]:
    p = make([1] * 20, cap=10, waves=2, soft=cliques(SIZES))
    return p, [1 + t % 2 for t in range(20)]


def test_the_packing_finds_the_exact_fill_the_wave_by_wave_constructions_miss() -> None:
    # The wave-by-wave constructions grow wave 1 along the 5-clique, then take the first
    # clique that fits (the 4), and must cut one to fill the last hour.
    # The packing puts 5+3+2 in one wave and 4+3+3 in the other, and the construction it
    # guides splits nothing: the optimum.
    p, incumbent = packing_instance()
    win = WaveBounds(p).windows(2)
    assert win is not None
    args = (p, incumbent, win[0], win[1], WaveBounds(p).forbidden)
    plain = soft_start(*args, horizon=2)
    assert plain.splits >= 1
    packed = soft_start(*args, horizon=2, packing=1.0, seed=1)
    assert packed.packing is not None and packed.guided == 0 == packed.splits
    check_plan(p, packed.waves)
    waves = packed.waves
    assert waves[0] == waves[18] != waves[5]  # 5+3+2 and 4+3+3
    assert packed.tried == packed.packings == 1  # nothing splits less than 0: no more tries


def test_the_packing_is_deterministic() -> None:
    p, incumbent = packing_instance()
    s = structure(p, 2)
    assert pack(s, incumbent, seed=4, units=1.0) == pack(s, incumbent, seed=4, units=1.0)


def test_guided_plans_keep_every_hard_rule_on_random_instances() -> None:
    # Windows, pins, blackouts, both precedence kinds, same-wave pairs, two resources: a
    # guided construction either misses the wave count or keeps every rule (checked
    # independently); soft_start keeps the best of all constructions.
    guided = 0
    for seed in range(40):
        p, start, m = random_instance(seed)
        if not start or max(start) > m:
            continue
        win = WaveBounds(p).windows(m)
        assert win is not None
        out = soft_start(
            p, start, win[0], win[1], WaveBounds(p).forbidden, horizon=m, packing=1.0, seed=1
        )
        if out.waves:
            check_plan(p, out.waves)
            assert violations(p, out.waves) == []
            assert out.splits == evaluate(p, out.waves)["splits"] <= out.guided
        guided += out.guided < float("inf")
    assert guided >= 5


def test_the_phase_driver_says_what_the_packing_did() -> None:
    # 20 cliques of 8 in 20 full waves (160 tasks: the big-instance path): the note of the
    # soft-aware start names the communities packed and the guided construction's splits.
    count, size = 20, 8
    tasks = count * size
    order = [(t * 7) % tasks for t in range(tasks)]
    soft = tuple(
        (order[c * size + a], order[c * size + b], 1)
        for c in range(count)
        for a in range(size)
        for b in range(a + 1, size)
    )
    p = make([1] * tasks, cap=size, waves=count, soft=soft)
    res = solved(p, time_limit=10.0, workers=1, phases=("splits",))
    assert res.objective["splits"] == 0
    notes = [n for n in res.notes if n.startswith("splits: soft-aware start")]
    assert len(notes) == 1
    assert "guided by 20 communities packed into 20 waves: best 0 splits" in notes[0]
