"""The soft graph's communities packed into waves: the wave each unit aims at (its
*target*) in the guided construction of `solvers.waves.start`.

Why: at national scale (98 generated municipalities, 22,476 move groups, 22 waves, every
wave full to the hour) the large-neighbourhood search from the wave-by-wave construction
(6,218 splits) stalled on plateaus of 1,779-2,571 splits after 400 units. The good region
needs whole municipalities moved between waves, their workplaces with them, which no
neighbourhood of a few hundred tasks does. Here the communities (`louvain`; on that
programme one per municipality) are the items of a bin packing, solved for a few seconds
at community level; the construction then fills the waves by these targets, and the search
starts from there.

The model, one main wave per community:

* *options*: a community may take wave w when at least half its demand may go there, and
  fits its capacity (a community that fits no wave is left out of the packing); its
  members that may not (blackouts, windows), and the members that must follow them, go to
  the first later wave that all of them may take (`Option.rest`), and the soft weight they
  cut from the rest is the option's cost;
* *capacity*: load beyond a wave's capacity is carried to the next wave, as the
  construction carries what does not fit (the backlog of a fluid schedule), at `carry`
  split weight per demand unit: the weight per demand of the cheapest fifth of the members
  (those with the least weight to the rest are the ones left over); nothing may be carried
  past the last wave;
* *rules between communities*: a hard rule from community a to community b keeps b's
  main wave its lag after a's; else the members of b it holds back, and every member of b
  that must follow them, wait: their weight to the rest of b, and their carry;
* *tails*: units outside the communities whose community predecessors lie in one community
  (a municipality's workplaces) are released when its main wave (its rest wave, if it has
  one) is placed, and placed as early as their capacity allows; that backlog too must be
  empty after the last wave, within `TAIL_SHARE` of their capacity (the construction
  releases some later than the master assumes, when members wait for room).

A plan that leaves a backlog after the last wave is charged `_OVER` times the carry per
demand unit left. The search is simulated annealing over moving one community and
swapping two, from a least-loaded greedy packing; deterministic (seeded; no clock), its
work counted in operations.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from solvers.waves.communities import louvain
from solvers.waves.local import Structure

__all__ = ["Packing", "Targets", "cost", "pack", "packings", "prepare"]

#: Share of the tails' capacity the master may plan with (see the module docstring).
TAIL_SHARE = 0.97

#: Iterations of the annealing at most: 50,000 on 98 generated municipalities take 4-5 s.
ITERATIONS = 50_000

#: Packings (annealing seeds) at most: a long limit tries this many and keeps the best
#: construction (the search from a guided start levels off within a minute).
MOST_PACKINGS = 8

#: Iterations of the annealing per community at most (a handful of communities needs few).
_PER_COMMUNITY = 500

#: Louvain's operations (a neighbour's look-up) per budget unit, about one wall second:
#: 2.3 million in 1.3-1.6 s of CPU on 98 generated municipalities (load 0.5).
LOUVAIN_OPS_PER_UNIT = 1_500_000.0

#: The annealing's operations (a community's resource, a rule, a wave's resource looked at)
#: per budget unit: 50,000 iterations of 329 operations in 5.0 s of CPU (98 generated
#: municipalities, load 0.5).
ANNEAL_OPS_PER_UNIT = 3_000_000.0

#: Temperature of the annealing at its start, in split weight; it falls linearly to 0.
_T0 = 30.0

#: Weight of a backlog left after the last wave, in carries per demand unit.
_OVER = 50.0


@dataclass(frozen=True)
class Option:
    """One main wave of a community: the soft weight its members that may not take it cut
    from the rest, the demand placed there, the wave those members go to, their demand."""

    cut: int
    load: tuple[int, ...]
    rest: int
    rest_load: tuple[int, ...]


@dataclass(frozen=True)
class Packing:
    """The packing's data: per community its options by wave, its tails' demand and their
    first allowed wave; the rules between communities as (a, b, lag, cost); capacities;
    the carry per demand unit; and the resources the members and the tails use."""

    options: tuple[dict[int, Option], ...]
    tails: tuple[tuple[int, ...], ...]
    first: tuple[int, ...]
    rules: tuple[tuple[int, int, int, float], ...]
    cap: tuple[tuple[int, ...], ...]
    carry: float
    horizon: int
    loaded: tuple[int, ...]  # the resources the members use
    tailed: tuple[int, ...]  # the resources the tails use

    @property
    def eval_ops(self) -> int:
        """Operations one evaluation costs (a community's resource, a rule, a wave's)."""
        per_resource = len(self.loaded) + len(self.tailed)
        return (len(self.options) + self.horizon) * per_resource + len(self.rules)


def prepare(s: Structure, group: Sequence[int]) -> Packing:
    """The packing of the communities `group` (per unit; -1 outside) in `s`'s waves."""
    count = max(group, default=-1) + 1
    members: list[list[int]] = [[] for _ in range(count)]
    for u, g in enumerate(group):
        if g >= 0:
            members[g].append(u)
    carry = _carry(s, members)
    options = tuple(_options(s, ms, group, g) for g, ms in enumerate(members))
    tails, first = _tails(s, group, count)
    k = len(s.cap[0])
    loaded = [
        any(o.load[r] or o.rest_load[r] for os in options for o in os.values()) for r in range(k)
    ]
    return Packing(
        options,
        tails,
        first,
        _rules(s, group, carry),
        tuple(s.cap),
        carry,
        s.horizon,
        tuple(r for r in range(k) if loaded[r]),
        tuple(r for r in range(k) if any(t[r] for t in tails)),
    )


def _carry(s: Structure, members: list[list[int]]) -> float:
    """Split weight per demand unit of the cheapest fifth of the community members."""
    ratios = sorted(
        sum(x for _, x in s.partners[u]) / max(1, sum(s.demand[u])) for ms in members for u in ms
    )
    return ratios[len(ratios) // 5] if ratios else 0.0


def _options(s: Structure, ms: list[int], group: Sequence[int], g: int) -> dict[int, Option]:
    """The waves community g may take as its main wave (see the module docstring)."""
    k = len(s.cap[0])
    total = [sum(s.demand[u][r] for u in ms) for r in range(k)]
    out: dict[int, Option] = {}
    for w in range(1, s.horizon + 1):
        away = sorted(_closure(s, group, {u for u in ms if w not in s.allowed[u]}, g))
        rest_load = tuple(sum(s.demand[u][r] for u in away) for r in range(k))
        if 2 * sum(rest_load) > sum(total):
            continue
        rest = w
        if away:
            later = (v for v in range(w + 1, s.horizon + 1) if all(v in s.allowed[u] for u in away))
            rest = next(later, 0)
            if not rest:
                continue
        inside = set(away)
        cut = _cut(s, group, inside, g)
        load = tuple(t - a for t, a in zip(total, rest_load))
        if any(x > c for x, c in zip(load, s.cap[w])):
            continue
        out[w] = Option(cut, load, rest, rest_load)
    return out


def _tails(
    s: Structure, group: Sequence[int], count: int
) -> tuple[tuple[tuple[int, ...], ...], tuple[int, ...]]:
    """Per community, the demand of its tails and the first wave they may all take."""
    k = len(s.cap[0])
    demand = [[0] * k for _ in range(count)]
    first = [1] * count
    for u, g in enumerate(group):
        if g >= 0:
            continue
        owners = {group[v] for v, _ in s.preds[u] if group[v] >= 0}
        if len(owners) == 1:
            c = owners.pop()
            demand[c] = [a + d for a, d in zip(demand[c], s.demand[u])]
            first[c] = max(first[c], min(s.allowed[u], default=s.horizon))
    return tuple(tuple(d) for d in demand), tuple(first)


def _rules(
    s: Structure, group: Sequence[int], carry: float
) -> tuple[tuple[int, int, int, float], ...]:
    """Hard rules between communities as (a, b, lag, cost of breaking): the held-back
    members of b and all that must follow them inside b: their weight to the rest of b,
    and their carry."""
    lags: dict[tuple[int, int], int] = {}
    heads: dict[tuple[int, int], set[int]] = {}
    for u, succs in enumerate(s.succs):
        for v, lag in succs:
            a, b = group[u], group[v]
            if a >= 0 and b >= 0 and a != b:
                lags[(a, b)] = max(lags.get((a, b), 0), lag)
                heads.setdefault((a, b), set()).add(v)
    out = []
    for (a, b), lag in sorted(lags.items()):
        waiting = _closure(s, group, heads[(a, b)], b)
        cut = _cut(s, group, waiting, b)
        out.append((a, b, lag, cut + carry * sum(sum(s.demand[u]) for u in waiting)))
    return tuple(out)


def _cut(s: Structure, group: Sequence[int], units: set[int], g: int) -> int:
    """The soft weight between `units` and the rest of community g."""
    return sum(x for u in units for v, x in s.partners[u] if group[v] == g and v not in units)


def _closure(s: Structure, group: Sequence[int], start: set[int], g: int) -> set[int]:
    """The units of community g that must follow `start` (start included)."""
    seen, stack = set(start), list(start)
    while stack:
        for v, _ in s.succs[stack.pop()]:
            if group[v] == g and v not in seen:
                seen.add(v)
                stack.append(v)
    return seen


@dataclass(frozen=True)
class Targets:
    """Per unit its community (-1 outside) and target wave, the communities' main waves,
    the packing's value (split weight, estimated) and the budget units it used."""

    group: tuple[int, ...]
    target: tuple[int, ...]
    main: tuple[int, ...]
    value: float
    units: float


def packings(s: Structure, base: Sequence[int], *, seed: int, units: float) -> Iterator[Targets]:
    """The targets of packings of the communities, one per annealing seed (seed, seed + 1,
    ...), at most `MOST_PACKINGS`, each of `ITERATIONS` iterations (fewer when `units`
    hold less than one packing's worth); the caller takes as many as it wants, and a
    longer limit gets the same packings as a shorter one first. Finding the communities is
    charged to the first. Nothing when no community has a main wave.

    Members aim at their community's main wave; units outside the communities with community
    successors a wave before the earliest of those (a municipality's directory before its
    applications, so that its workplaces, which must follow the directory, can go with
    them); every other unit at its wave in `base` (a feasible plan, per unit)."""
    group, ops = louvain(s.partners, seed)
    group, pk = _packable(s, group)
    if not pk.options:
        return
    most = min(ITERATIONS, _PER_COMMUNITY * len(pk.options))
    iterations = int(min(most, units * ANNEAL_OPS_PER_UNIT / pk.eval_ops))
    charge = ops / LOUVAIN_OPS_PER_UNIT
    for i in range(MOST_PACKINGS):
        main, value = _anneal(pk, random.Random(seed + i), iterations)
        charge += iterations * pk.eval_ops / ANNEAL_OPS_PER_UNIT
        target = [main[g] if g >= 0 else 0 for g in group]
        for u, g in enumerate(group):
            if g < 0:
                later = [target[v] for v, _ in s.succs[u] if group[v] >= 0]
                target[u] = max(1, min(later) - 1) if later else base[u]
        yield Targets(tuple(group), tuple(target), tuple(main), value, charge)
        charge = 0.0


def pack(s: Structure, base: Sequence[int], *, seed: int, units: float) -> Targets | None:
    """The first packing of `packings` (None when no community has a main wave)."""
    return next(packings(s, base, seed=seed, units=units), None)


def _packable(s: Structure, group: list[int]) -> tuple[list[int], Packing]:
    """The communities that fit some wave (the others' members are left free: -1), and
    their packing's data."""
    pk = prepare(s, group)
    dropped = {g for g, o in enumerate(pk.options) if not o}
    if dropped:
        group = [-1 if g in dropped else g for g in group]
        number: dict[int, int] = {}
        group = [g if g < 0 else number.setdefault(g, len(number)) for g in group]
        pk = prepare(s, group)
    return group, pk


def cost(pk: Packing, main: Sequence[int]) -> float:
    """The packing's value of main waves `main` (see the module docstring)."""
    h, loaded, tailed = pk.horizon, pk.loaded, pk.tailed
    load = [[0] * (h + 1) for _ in loaded]
    tail = [[0] * (h + 1) for _ in tailed]
    cut = 0
    for c, w in enumerate(main):
        o = pk.options[c][w]
        cut += o.cut
        for row, r in zip(load, loaded):
            row[w] += o.load[r]
            row[o.rest] += o.rest_load[r]
        first = max(o.rest, pk.first[c])
        for row, r in zip(tail, tailed):
            row[first] += pk.tails[c][r]
    carried = over = 0
    for row, r in zip(load, loaded):
        back = 0
        for w in range(1, h + 1):
            back = max(0, back + row[w] - pk.cap[w][r])
            carried += back
        over += back
    for row, r in zip(tail, tailed):
        back = 0
        for w in range(1, h + 1):
            back = max(0, back + row[w] - int(TAIL_SHARE * pk.cap[w][r]))
        over += back
    broken = sum(c for a, b, lag, c in pk.rules if main[b] < main[a] + lag)
    return cut + broken + pk.carry * (carried + _OVER * over)


def _anneal(pk: Packing, rng: random.Random, iterations: int) -> tuple[list[int], float]:
    """Simulated annealing from a least-loaded greedy packing: move one community to
    another of its waves, or swap two communities' waves; the best packing seen."""
    waves = [sorted(o) for o in pk.options]
    main = _greedy(pk, waves)
    current = cost(pk, main)
    best, best_main = current, list(main)
    n = len(main)
    for i in range(iterations):
        temperature = _T0 * (1.0 - i / iterations) + 0.01
        a = rng.randrange(n)
        moved: tuple[int, ...] = (a,)
        old: tuple[int, ...] = (main[a],)
        if rng.random() < 0.5:
            main[a] = rng.choice(waves[a])
        else:
            b = rng.randrange(n)
            if main[b] not in pk.options[a] or main[a] not in pk.options[b]:
                continue
            old, moved = (main[a], main[b]), (a, b)
            main[a], main[b] = main[b], main[a]
        value = cost(pk, main)
        if value <= current or rng.random() < math.exp((current - value) / temperature):
            current = value
            if value < best:
                best, best_main = value, list(main)
        else:
            for c, w in zip(moved, old):
                main[c] = w
    return best_main, best


def _greedy(pk: Packing, waves: list[list[int]]) -> list[int]:
    """Largest community first, each to its least-loaded wave (ties: the earliest)."""
    size = [sum(max(o.values(), key=lambda o: sum(o.load)).load) for o in pk.options]
    load = [0] * (pk.horizon + 1)
    main = [0] * len(pk.options)
    for c in sorted(range(len(size)), key=lambda c: (-size[c], c)):
        w = min(waves[c], key=lambda w: (load[w], w))
        main[c] = w
        load[w] += size[c]
    return main
