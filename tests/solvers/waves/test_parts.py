"""`solvers.waves.parts`: split bounds and the exact decomposition of the splits phase, on
instances whose optimal split count is derived by hand (issue 23).

Every plan is re-checked by `check_plan` (via `solved`), written apart from the model.
"""

from __future__ import annotations

import random

import pytest

from solvers.waves import full as full_module
from solvers.waves import parts as parts_module
from solvers.waves.bounds import WaveBounds
from solvers.waves.parts import clusters, forced_splits
from solvers.waves.problem import WaveProblem
from tests.solvers.waves.instances import make, solved


def triangles(count: int) -> WaveProblem:
    """`count` triangles a_i, b_i, c_i: a_i strictly before b_i, soft pairs a-b, a-c, b-c of
    weight 1, one hour each, 1,000 per wave (capacity never binds), 4 waves.

    Derivation: a_i and b_i are in different waves (strict rule), so a-b is split in every
    plan (forced); c_i shares a wave with at most one of them, so one of a-c, b-c is split
    too: 2 per triangle, reached by c_i in a_i's wave. Waves: 2 (one strict step)."""
    soft = []
    strict = []
    for i in range(count):
        a, b, c = 3 * i, 3 * i + 1, 3 * i + 2
        strict.append((a, b))
        soft += [(a, b, 1), (a, c, 1), (b, c, 1)]
    return make(
        [1] * (3 * count), cap=1000, waves=4, strictly_before=tuple(strict), soft=tuple(soft)
    )


def test_forced_splits_counts_pairs_no_plan_can_join() -> None:
    # t0 strictly before t1 through t2 (t0 < t2 <= t1): forced. t3 in wave 1..1 and t4 in 2..3:
    # forced. t5-t6 free: not forced. Weights 2 + 3 => 5.
    p = make(
        [1] * 7,
        waves=3,
        strictly_before=((0, 2),),
        before_or_same=((2, 1),),
        earliest=(1, 1, 1, 1, 2, 1, 1),
        latest=(3, 3, 3, 1, 3, 3, 3),
        soft=((0, 1, 2), (3, 4, 3), (5, 6, 7)),
    )
    b = WaveBounds(p)
    lo, hi = b.windows(3)
    assert forced_splits(p, lo, hi, b.forbidden, b.cl.sdesc) == 5


def test_a_small_instance_proves_its_forced_splits() -> None:
    # Two tasks with windows 1..1 and 2..2 and a soft pair: 1 split in every plan; 2 waves.
    p = make([1, 1], waves=2, earliest=(1, 2), latest=(1, 2), soft=((0, 1, 1),))
    res = solved(p)
    splits = {ph.name: ph for ph in res.phases}["splits"]
    assert (splits.objective, splits.bound, splits.status) == (1, 1, "optimal")


@pytest.mark.parametrize("workers", [1, 2])
def test_triangles_decompose_and_their_parts_bounds_add_up_to_the_reported_bound(
    workers: int,
) -> None:
    # 60 triangles (180 tasks: the big-instance path). Optimum 2 per triangle => 120 (see
    # `triangles`). Forced pairs alone prove 60; each triangle on its own proves 2, and the
    # 60 parts' plans combine (capacity never binds), so the phase is optimal at 120. With two
    # workers the parts are solved in two lanes at once, with the same results.
    p = triangles(60)
    assert len(clusters(p)) == 60
    res = solved(p, time_limit=30.0, workers=workers)
    splits = {ph.name: ph for ph in res.phases}["splits"]
    assert (splits.objective, splits.bound, splits.status) == (120, 120, "optimal")
    assert len(splits.parts) == 60
    assert all(
        (part.tasks, part.status, part.objective, part.bound) == (3, "optimal", 2, 2)
        for part in splits.parts
    )
    assert sum(part.bound for part in splits.parts) == splits.bound
    assert res.status == "optimal" and res.objective["waves"] == 2
    assert "60 parts solved on their own (60 optimal); their bounds add up to 120" in res.summary()


def test_a_part_too_big_for_a_model_keeps_the_forced_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same 60 triangles with no part small enough for a model, and no full model either:
    # the bound is the 60 forced pairs, the search still reaches the optimum 120, and the phase
    # says "feasible" (no proof).
    monkeypatch.setattr(parts_module, "MAX_PART_TASKS", 2)
    monkeypatch.setattr(parts_module, "MAX_PART_CELLS", 0)
    monkeypatch.setattr(full_module, "FULL_SIZE", 0)
    res = solved(triangles(60), time_limit=20.0, workers=1)
    splits = {ph.name: ph for ph in res.phases}["splits"]
    assert splits.bound == 60 and splits.status == "feasible"
    assert 120 <= splits.objective
    assert all(part.status == "skipped" and part.bound == 1 for part in splits.parts)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_full_model_proves_what_no_part_could(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    # No part gets a model (the bound from the parts is the 60 forced pairs), but the whole
    # problem is small enough for the full splits model, beside the LNS (two workers) or after
    # it (one): its proven bound is the optimum 120 (see `triangles`), so the phase is optimal.
    monkeypatch.setattr(parts_module, "MAX_PART_TASKS", 2)
    monkeypatch.setattr(parts_module, "MAX_PART_CELLS", 0)
    res = solved(triangles(60), time_limit=20.0, workers=workers)
    splits = {ph.name: ph for ph in res.phases}["splits"]
    assert (splits.objective, splits.bound, splits.status) == (120, 120, "optimal")
    assert any(
        note.startswith("splits: full model (180 move groups x 2 waves)") for note in res.notes
    ), res.summary()


def random_instance(seed: int, n: int = 160) -> WaveProblem:
    """Random tasks of 1-10 hours, 120 per wave over 10 waves (capacity binds: about 7 waves of
    work), sparse precedence (some strict), and 90 soft pairs of weight 1-3 among neighbours
    (so clusters of several sizes form)."""
    rng = random.Random(seed)
    near = [(a, b) for a in range(n) for b in range(a + 1, min(n, a + 6))]
    soft = [(a, b, rng.randint(1, 3)) for a, b in rng.sample(near, 90)]
    arcs = [(a, b) for a in range(n) for b in range(a + 1, n) if rng.random() < 0.004]
    return make(
        [rng.randint(1, 10) for _ in range(n)],
        cap=120,
        waves=10,
        before_or_same=tuple(arcs[::2]),
        strictly_before=tuple(arcs[1::2]),
        soft=tuple(soft),
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summed_bound_never_exceeds_the_plan(seed: int) -> None:
    # Whatever the parts prove, the bound is at most the split weight of the verified plan; it
    # is the parts' bounds added up, or the full splits model's where that proved more.
    p = random_instance(seed)
    res = solved(p, time_limit=15.0, workers=1, seed=seed)
    splits = {ph.name: ph for ph in res.phases}["splits"]
    assert 0 <= splits.bound <= splits.objective == res.objective["splits"]
    full = [
        float(note.rsplit("bound ", 1)[1])
        for note in res.notes
        if note.startswith("splits: full model")
    ]
    assert splits.bound == max([sum(part.bound for part in splits.parts), *full])


def crowded_pairs(tight: int = 30, loose: int = 15) -> WaveProblem:
    """`tight` soft pairs of two 3-hour tasks and `loose` of two 2-hour tasks, with a 5-hour
    filler pinned to each of the `2 * tight + loose` waves of 10 hours (no soft pair): 165
    tasks at the defaults, so the big-instance path runs.

    Derivation: the fillers fill every wave to 5; a joined tight pair needs 6 more, so every
    tight pair is split in every plan; a loose pair (4) joins in a wave of its own, and the
    tight pairs' tasks take one wave each (5 + 3), so the optimum is `tight`. Each pair on
    its own (6 <= 10) and every window (1..waves) allow a join: the forced pairs and the parts
    prove 0; only a model of the whole (the capacity the fillers take) proves `tight`."""
    waves = 2 * tight + loose
    demand = [5] * waves + [3] * (2 * tight) + [2] * (2 * loose)
    soft = tuple((waves + 2 * i, waves + 2 * i + 1, 1) for i in range(tight + loose))
    return make(
        demand, cap=10, waves=waves, pins=tuple((t, t + 1) for t in range(waves)), soft=soft
    )


@pytest.mark.parametrize("workers", [1, 2])
def test_the_full_model_proves_splits_the_capacity_of_other_tasks_forces(workers: int) -> None:
    # 165 tasks; optimum 30 (see `crowded_pairs`), which the parts cannot see (their bound
    # adds up to 0) and the full splits model proves.
    p = crowded_pairs()
    assert p.n_tasks >= 150
    res = solved(p, time_limit=30.0, workers=workers)
    splits = {ph.name: ph for ph in res.phases}["splits"]
    assert sum(part.bound for part in splits.parts) == 0
    assert (splits.objective, splits.bound, splits.status) == (30, 30, "optimal"), res.summary()
    assert res.objective["waves"] == 75
