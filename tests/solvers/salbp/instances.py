"""SALBP-1 instances for the tests, an independent checker, and a brute-force optimum."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from functools import cache

from solvers.salbp.branch_and_bound import BBResult


def preds_of(n: int, pairs: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Direct predecessor lists from (before, after) pairs."""
    out: list[list[int]] = [[] for _ in range(n)]
    for a, b in pairs:
        out[b].append(a)
    return out


def check(times: Sequence[int], cap: int, pairs: Sequence[tuple[int, int]], res: BBResult) -> None:
    """Independent check: stations 1..best, capacity per station, precedence as
    station(a) <= station(b)."""
    assert res.stations is not None
    st = res.stations
    assert len(st) == len(times)
    assert min(st) >= 1 and max(st) <= res.best
    for s in set(st):
        assert sum(t for t, x in zip(times, st) if x == s) <= cap
    for a, b in pairs:
        assert st[a] <= st[b]


def brute_force(times: Sequence[int], cap: int, pairs: Sequence[tuple[int, int]]) -> int:
    """Fewest stations by a DP over assigned sets: from S, any next load T with preds in S ∪ T
    that fits."""
    n = len(times)
    pm = [0] * n
    for a, b in pairs:
        pm[b] |= 1 << a
    full = (1 << n) - 1

    @cache
    def best(S: int) -> int:
        if S == full:
            return 0
        rest = full & ~S
        out = n + 1
        T = rest
        while T:  # every non-empty subset of the unassigned tasks
            if sum(times[j] for j in range(n) if T >> j & 1) <= cap and all(
                pm[j] & ~(S | T) == 0 for j in range(n) if T >> j & 1
            ):
                out = min(out, 1 + best(S | T))
            T = (T - 1) & rest
        return out

    return best(0)


def random_instances(
    seed: int, count: int, sizes: tuple[int, int], caps: tuple[int, int], density: float
) -> Iterator[tuple[list[int], int, list[tuple[int, int]]]]:
    """(times, cap, pairs) of random small instances; arcs only go from lower to higher index,
    so acyclic."""
    rng = random.Random(seed)
    for _ in range(count):
        n = rng.randint(*sizes)
        cap = rng.randint(*caps)
        times = [rng.randint(1, cap) for _ in range(n)]
        pairs = [(a, b) for a in range(n) for b in range(a + 1, n) if rng.random() < density]
        yield times, cap, pairs
