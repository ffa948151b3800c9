"""Small wave problems for the solver tests, and the checks every plan a test gets must pass.

`check_plan` is a feasibility checker written here independently of the model (plain
loops over the rules); `solved` re-checks every plan and the objective recomputation.
"""

from __future__ import annotations

import random
from typing import Any

from solvers.waves.greedy import greedy
from solvers.waves.problem import WaveProblem, WaveResult, evaluate, violations
from solvers.waves.solve import solve

FAST = dict(time_limit=5.0, workers=1)

#: Two 10 h tasks, two waves of 100: the smallest valid problem, for the validation cases.
BASE: dict[str, Any] = dict(
    names=("a", "b"),
    resources=("h",),
    demand=((10,), (10,)),
    capacity=((100,), (100,)),
    max_waves=2,
)


def make(
    demand: list[int] | list[tuple[int, ...]],
    cap: int | tuple[int, ...] = 100,
    waves: int = 4,
    **kw: Any,
) -> WaveProblem:
    """A problem with tasks t0, t1, ... and the same capacity in every wave (one resource
    unless tuples given)."""
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
            used = sum(p.demand[t][r] for t in range(len(waves)) if waves[t] == w)
            assert used <= p.capacity[w - 1][r]


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


def assert_optimal(res: WaveResult, **objective: float) -> None:
    """Status optimal, and each named phase has exactly this objective and bound."""
    assert res.status == "optimal", res.summary()
    for name, value in objective.items():
        assert res.objective[name] == value, res.summary()
        assert res.bound[name] == value, res.summary()


def random_problem(seed: int, n: int = 30) -> WaveProblem:
    """A mixed instance (two resources, precedence, soft pairs, downtime, previous plan) to
    exercise every phase."""
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


def random_instance(seed: int) -> tuple[WaveProblem, tuple[int, ...], int]:
    """A small instance with every hard rule the search must keep — windows, pins,
    blackouts, before_or_same, strictly_before, same_wave, two resources at tight capacity —
    many soft pairs, and a feasible start plan (the greedy's)."""
    rng = random.Random(seed)
    n, m = rng.randint(12, 40), rng.randint(4, 7)
    demand = tuple((rng.randint(1, 6), rng.randint(0, 2)) for _ in range(n))
    cap = (max(6, -(-sum(d[0] for d in demand) * 3 // (2 * m))), max(3, 2 * n // m))
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n) if rng.random() < 0.05]
    lo = [1 if rng.random() < 0.8 else rng.randint(1, 2) for _ in range(n)]
    hi = [m if rng.random() < 0.8 else rng.randint(max(lo[t], m - 1), m) for t in range(n)]
    p = WaveProblem(
        names=tuple(f"g{t}" for t in range(n)),
        resources=("hours", "servers"),
        demand=demand,
        capacity=(cap,) * m,
        max_waves=m,
        before_or_same=tuple(pairs[::3]),
        strictly_before=tuple(pairs[1::9]),
        same_wave=tuple((a, a + 1) for a in range(0, n - 1, 9)),
        soft=tuple((*rng.sample(range(n), 2), rng.randint(1, 3)) for _ in range(2 * n)),
        earliest=tuple(lo),
        latest=tuple(hi),
        pins=((n - 1, rng.randint(lo[n - 1], hi[n - 1])),) if rng.random() < 0.5 else (),
        forbidden=((n - 2, (1,)),) if lo[n - 2] == 1 and rng.random() < 0.5 else (),
    )
    return p, greedy(p, seed=seed).waves, m
