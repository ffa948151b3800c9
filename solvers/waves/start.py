"""A soft-aware starting plan for the splits phase: wave-oriented list scheduling at the fixed
wave count that packs soft partners into the same wave.

The greedy (`solvers.waves.greedy`) minimises the wave count and ignores soft pairs; at
national scale its plan splits 16,679 soft pairs, and the local search and LNS of the
splits phase start far from the good region. Here every wave is filled like the greedy
fills it (units whose predecessors are placed, tasks tied by `same_wave` as one unit,
units whose last allowed wave has come first), but the next unit is the one with the
most soft weight to the units already in this wave: a wave grows along the soft graph
(a municipality's integrated applications together) until its room is used. The base
order is the incumbent's waves: they pace the work so that every team has work in every
wave (the generated programmes fill all 20 working waves to the hour, and a workplace
needs 10-22 applications of its municipality placed before it).

Where a wave has no unit with soft weight to it left, a new soft community opens
(`_Wave.seed`; communities by size-capped label propagation, `_clusters`): first the
rest of a community cut at the end of an earlier wave, then the first community in the
base order that fits the room whole, else the one that overflows it least. A second
construction opens them in the base order; the better plan is kept.

A third construction, tried first when the caller gives the packing a budget, is *guided*:
the soft graph's communities are packed into waves (`solvers.waves.packing`), and each
unit gets a target wave. A wave then takes the units whose target has passed first, then
those aiming at it (along the soft graph, as above), and a community's member never before
its target (unless its last allowed wave has come); units outside the communities follow
the base order. On 98 generated municipalities it splits 709-1,005 (eight packings) where
the wave-by-wave constructions split 6,218-6,738, and it fills waves (the last one, with
its workplaces) that the search from those never reached.

The rules come from `solvers.waves.local.Structure` (allowed waves, hard rules with
lags, demand and capacity per unit), the ones the local search keeps; the plan is
checked with `solvers.waves.problem.violations` before it is returned. A construction
that misses a deadline returns no plan (the caller keeps its incumbent): it pays off on
programmes of many loosely linked communities (98 generated municipalities), not on one
to twenty municipalities (see `TRIES`).

Deterministic: no random choice and no clock in any decision; ties by the base order,
then by unit. The work is counted in operations and charged at `OPS_PER_UNIT`.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

from solvers.waves.local import Structure
from solvers.waves.packing import Targets, packings
from solvers.waves.problem import WaveProblem, evaluate, violations

__all__ = ["StartOutcome", "soft_start"]

#: Operations (a heap entry, a partner's, a rule's or a label's look-up) per budget unit,
#: which is about one wall second on an idle machine: both constructions on 98 generated
#: municipalities count 2.3 million operations in 2.4 s of CPU (6.9 s wall at load 5).
OPS_PER_UNIT = 900_000.0

#: Operations per task that the constructions cost about (98 municipalities: 2.3 million
#: for 22,476 tasks): the caller skips them when its budget holds less.
OPS_PER_TASK = 100.0


@dataclass(frozen=True)
class StartOutcome:
    """The constructed plan (empty when every order missed a deadline), its split weight,
    the constructions tried, and the budget units used; with packings, the best guided
    construction's split weight (infinite when every one missed the wave count), its
    packing, and how many packings were tried."""

    waves: tuple[int, ...]
    splits: float
    tried: int
    units: float
    guided: float = math.inf
    packing: Targets | None = None
    packings: int = 0


_Key = tuple[int, ...]


class _Build:
    """One wave-oriented construction at unit level."""

    def __init__(
        self,
        s: Structure,
        rank: Sequence[int],
        group: Sequence[int],
        seeds: bool,
        target: Sequence[int] = (),
    ) -> None:
        self.s = s
        self.seeds = seeds
        self.target = target  # per unit, the wave it aims at (guided construction); or ()
        self.rank = rank
        count = len(s.members)
        self.wave = [0] * count
        self.waiting = [len(p) for p in s.preds]
        self.ready = [1] * count  # the earliest wave the placed predecessors allow
        self.last = [max(a, default=0) for a in s.allowed]
        self.placed = [0] * count  # soft weight to placed partners, any wave
        self.group = group
        k = len(s.cap[0])
        # demand of each community's unplaced units
        self.rest = [[0] * k for _ in range(max(group, default=-1) + 1)]
        for u, g in enumerate(group):
            if g >= 0:
                self.rest[g] = [x + d for x, d in zip(self.rest[g], s.demand[u])]
        self.total = [list(x) for x in self.rest]
        self.ops = 0

    def run(self) -> list[int] | None:
        """The unit waves, or None when some unit cannot be placed by its last wave."""
        s = self.s
        pending = {u for u, n in enumerate(self.waiting) if n == 0}
        left = len(s.members)
        for w in range(1, s.horizon + 1):
            left -= _Wave(self, w, pending).fill()
            if left == 0:
                return self.wave
            if any(self.last[u] <= w for u in pending):
                return None
        return None


class _Wave:
    """The filling of one wave: units whose last wave has come first, then the unit with
    most soft weight to this wave, then to the units placed so far, then the base order;
    with `seeds`, a soft unit with no weight to this wave gives way to the unit of the
    community `seed` opens."""

    def __init__(self, b: _Build, w: int, pending: set[int]) -> None:
        self.b, self.w, self.pending = b, w, pending
        self.seeds = b.seeds
        self.room = list(b.s.cap[w])
        self.here: dict[int, int] = {}  # soft weight to the units placed in this wave
        self.done: set[int] = set()  # placed, or found too big for this wave
        self.heap = [self.key(u) for u in pending if self.open(u)]
        heapq.heapify(self.heap)
        # per community, its open units as (-placed weight, rank, unit): the seed's choice
        self.firsts: dict[int, list[tuple[int, int, int]]] = {}
        if self.seeds:
            for entry in self.heap:
                self._first(entry[-1])

    def _first(self, u: int) -> None:
        """A fresh entry for an open unit in its community's heap."""
        g = self.b.group[u]
        if g >= 0:
            heapq.heappush(self.firsts.setdefault(g, []), (-self.b.placed[u], self.b.rank[u], u))

    def key(self, u: int) -> _Key:
        """A unit's priority now (smallest first); a heap entry is stale when it differs.
        Guided, units whose target has passed come first, then those aiming here."""
        b = self.b
        urgent = 0 if b.last[u] <= self.w else 1
        if b.target:
            due = 0 if b.target[u] < self.w else 1 if b.target[u] == self.w else 2
            here = -self.here.get(u, 0)
            return (urgent, due, here, -b.placed[u], b.target[u], b.rank[u], u)
        return (urgent, -self.here.get(u, 0), -b.placed[u], b.rank[u], u)

    def open(self, u: int) -> bool:
        """Whether unit u may take this wave now: allowed there, its predecessors' lags met;
        guided, a community's member not before its target unless its last wave has come."""
        b = self.b
        if b.target and b.group[u] >= 0 and b.target[u] > self.w < b.last[u]:
            return False
        return u not in self.done and b.ready[u] <= self.w and self.w in b.s.allowed[u]

    def fits(self, u: int) -> bool:
        """Whether unit u fits the room left in every resource."""
        return all(x <= c for x, c in zip(self.b.s.demand[u], self.room))

    def fill(self) -> int:
        """Place units until none fits; returns how many were placed."""
        b = self.b
        placed = 0
        while self.heap:
            entry = heapq.heappop(self.heap)
            u = entry[-1]
            b.ops += 1
            if u in self.done or entry != self.key(u):
                continue
            if self.seeds and entry[0] == 1 and entry[1] == 0 and b.group[u] >= 0:
                heapq.heappush(self.heap, entry)
                u = self.seed()
                if u < 0:
                    continue
            self.done.add(u)
            if self.fits(u):
                self.place(u)
                placed += 1
        return placed

    def push(self, u: int) -> None:
        """A fresh heap entry for a pending unit whose priority may have changed."""
        if u in self.pending and self.open(u):
            heapq.heappush(self.heap, self.key(u))
            if self.seeds:
                self._first(u)

    def place(self, u: int) -> None:
        """Put unit u in this wave: its community begun, its partners' affinities, its
        successors' readiness."""
        b, s, w = self.b, self.b.s, self.w
        b.wave[u] = w
        self.pending.discard(u)
        self.room = [c - x for c, x in zip(self.room, s.demand[u])]
        g = b.group[u]
        if g >= 0:
            b.rest[g] = [x - d for x, d in zip(b.rest[g], s.demand[u])]
        b.ops += len(s.partners[u]) + len(s.succs[u])
        for v, weight in s.partners[u]:
            b.placed[v] += weight
            self.here[v] = self.here.get(v, 0) + weight
            self.push(v)
        for v, lag in s.succs[u]:
            b.waiting[v] -= 1
            b.ready[v] = max(b.ready[v], w + lag)
            if b.waiting[v] == 0:
                self.pending.add(v)
                self.push(v)

    def seed(self) -> int:
        """The first unit of a new soft community in this wave: of a community begun in an
        earlier wave (its rest), else of the first in the base order whose unplaced demand
        fits the room, else of the one that overflows it least; -1 if no unit fits. Within
        a community, the open unit with most soft weight to placed units, then the base
        order. Units found too big for the room are marked done (room only shrinks)."""
        b = self.b
        best: tuple[tuple[int, float, int, int], int] | None = None
        for g, heap in list(self.firsts.items()):
            while heap:
                placed, _, u = heap[0]
                b.ops += 1
                if u in self.done or b.wave[u] or placed != -b.placed[u]:
                    heapq.heappop(heap)
                elif not self.fits(u):
                    self.done.add(u)
                    heapq.heappop(heap)
                else:
                    break
            if not heap:
                del self.firsts[g]
                continue
            over = max(
                (x / c if c > 0 else (0.0 if x == 0 else math.inf))
                for x, c in zip(b.rest[g], self.room)
            )
            begun = 0 if b.rest[g] != b.total[g] else 1
            score = (begun, 0.0 if over <= 1 else over, heap[0][1], heap[0][2])
            if best is None or score < best[0]:
                best = (score, g)
        return -1 if best is None else self.firsts[best[1]][0][2]


def _clusters(s: Structure, rounds: int = 10) -> tuple[list[int], int]:
    """Per unit, its community in the soft graph (-1 without soft partners): label
    propagation, units in index order, each taking the label its partners weigh most on
    (ties: the smallest) while that community's demand stays within half a wave's capacity
    (plain propagation merged 40 municipalities through their shared systems), until a
    round changes none or after `rounds`; numbered 0.. in order of first unit."""
    k = len(s.cap[0])
    top = [max(row[r] for row in s.cap[1:]) // 2 for r in range(k)]
    label = [u if ps else -1 for u, ps in enumerate(s.partners)]
    size = [list(d) for d in s.demand]
    ops = 0
    for _ in range(rounds):
        changed = False
        ops += len(label) + sum(len(ps) for ps in s.partners)
        for u, ps in enumerate(s.partners):
            if not ps:
                continue
            weight: dict[int, int] = {}
            for v, x in ps:
                weight[label[v]] = weight.get(label[v], 0) + x
            d, own = s.demand[u], label[u]
            for lab in sorted(weight, key=lambda lab: (-weight[lab], lab)):
                if weight[lab] <= weight.get(own, 0):
                    break
                if all(x + y <= c for x, y, c in zip(size[lab], d, top)):
                    size[own] = [x - y for x, y in zip(size[own], d)]
                    size[lab] = [x + y for x, y in zip(size[lab], d)]
                    label[u] = lab
                    changed = True
                    break
        if not changed:
            break
    number: dict[int, int] = {}
    return [-1 if lab < 0 else number.setdefault(lab, len(number)) for lab in label], ops


#: The constructions tried: new soft communities opened by `_Wave.seed` (True) or in the
#: base order (False). On 98 generated municipalities 6,218 and 6,567 splits (the greedy's
#: plan: 16,679). On 1, 5 and 20 municipalities both miss the wave count: with one to
#: twenty municipalities the few communities do not leave the slack that packing the
#: workplaces (each waiting for 10-22 applications) to the hour needs; there the greedy's
#: plan stays, for 0.02-0.6 units. Neither pacing the applications by the incumbent's
#: workplaces nor keeping the units without soft pairs in their waves changed that.
TRIES: tuple[bool, ...] = (True, False)


def soft_start(
    problem: WaveProblem,
    incumbent: Sequence[int],
    lo: Sequence[int],
    hi: Sequence[int],
    banned: Sequence[set[int]],
    *,
    horizon: int,
    tries: Sequence[bool] = TRIES,
    packing: float = 0.0,
    seed: int = 0,
) -> StartOutcome:
    """The plan with the fewest splits of the constructions `tries` within waves 1..horizon
    (windows lo/hi, banned waves), each checked with `violations`; the base order is the
    incumbent's (a feasible plan: its waves pace the work so that every team is fed).
    With `packing` budget units (above 0), first the constructions guided by packings of
    the soft graph's communities into waves (`solvers.waves.packing.packings`, seeded from
    `seed`), as many as those units pay for."""
    s = Structure(problem, lo, hi, banned, horizon)
    group, ops = _clusters(s)
    n = problem.n_tasks
    ops += n + sum(len(ps) + len(qs) for ps, qs in zip(s.partners, s.preds))
    rank = [min(incumbent[t] * n + t for t in ts) for ts in s.members]
    best = _Best(problem, s, ops)
    packed: Targets | None = None
    guided, units = math.inf, 0.0
    base = [incumbent[ts[0]] for ts in s.members]
    for targets in packings(s, base, seed=seed, units=packing) if packing > 0 else ():
        value = best.run(_Build(s, rank, targets.group, False, targets.target))
        units += targets.units
        if packed is None or value < guided:
            packed, guided = targets, value
        if units >= packing or best.value == 0:  # the budget is used, or nothing splits less
            break
    count = best.tried
    for seeds in tries:
        if best.value == 0:  # nothing splits less
            break
        best.run(_Build(s, rank, group, seeds))
    units += best.ops / OPS_PER_UNIT
    return StartOutcome(best.plan, best.value, best.tried, units, guided, packed, count)


class _Best:
    """The constructions run so far: the best plan, its split weight, how many, and their
    operations."""

    def __init__(self, problem: WaveProblem, s: Structure, ops: int) -> None:
        self.problem, self.s, self.ops = problem, s, ops
        self.plan: tuple[int, ...] = ()
        self.value = math.inf
        self.tried = 0

    def run(self, build: _Build) -> float:
        """Run one construction; its split weight (infinite when it missed a deadline)."""
        plan, used = _built(self.problem, self.s, build)
        value = evaluate(self.problem, plan)["splits"] if plan else math.inf
        self.ops += used
        self.tried += 1
        if value < self.value:
            self.plan, self.value = plan, value
        return value


def _built(problem: WaveProblem, s: Structure, build: _Build) -> tuple[tuple[int, ...], int]:
    """The construction's plan per task (empty when it missed a deadline or, which the
    construction should never allow, breaks a rule) and the operations it used."""
    unit_waves = build.run()
    if unit_waves is None:
        return (), build.ops
    plan = tuple(unit_waves[u] for u in s.unit)
    return (() if violations(problem, plan) else plan), build.ops + problem.n_tasks
