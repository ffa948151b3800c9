"""A fast local search for split soft dependencies, run on the incumbent before and between
the LNS's CP-SAT sub-models (`solvers.waves.lns`).

At national scale (22,476 move groups, 22 waves, every wave full to its capacity) a CP-SAT
sub-model re-places 60-150 tasks in a fraction of a second; a move of one task costs a few
microseconds here. The search works on *units* (tasks tied by `same_wave` move together)
and keeps, per unit and wave, the soft weight of its partners in that wave (the
affinity), so the gain of a shift is a subtraction. Four kinds of move, each applied only
when it lowers the split weight strictly and keeps every hard rule:

* **shift**: a unit to a wave holding more of its soft weight, where its window, pins,
  blackouts, the current waves of its hard-rule neighbours and the room left in every
  resource allow;
* **push**: the same, carrying along the neighbours a hard rule would otherwise break (a
  later wave pushes the successors that must not be earlier, an earlier wave pulls the
  predecessors), at most `_PUSH` units;
* **swap**: a unit whose target wave has no room exchanged with a unit of that wave whose
  demand keeps both waves within every capacity (the same demand always does), the one
  losing least soft weight first;
* **eject**: else a unit of the target wave big enough to make the room moved to any
  other wave with room for it (the generated programmes have slack in their first and
  last waves), again the unit losing least first.

Targets are tried in the order of their affinity. The first run begins with a pass over
every unit, later runs (after a sub-model changed the plan) with the units whose partners
moved; then passes over the units whose partners moved, and as many more passes over
every unit as the caller allows (`LocalSearch.run`). On 98 generated municipalities one
pass (and the passes over the units it touched) takes the greedy's 16,679 splits to 11,020
in 15 s, the search to a local optimum on to 10,268 in 29 s more (load 4.7; without the
ejects it stopped at 11,532); the LNS makes one more pass, then leaves the rest to its
sub-models, which gain more for the time.

Deterministic: candidates are visited in the order of their gain, ties by index; no random
choice and no clock in any decision. The work is counted in operations (partners, rules
and swap candidates looked at) and charged to the budget at `_OPS_PER_UNIT`; the
wall-clock deadline is only the safety net (`capped` says when it ended the search).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from solvers.limits import StopRequest, TimeBudget
from solvers.waves.bounds import arcs_of
from solvers.waves.problem import WaveProblem

__all__ = ["LocalOutcome", "LocalSearch", "local_search"]

#: Operations (a partner's, a rule's, a swap candidate's or a wave's look-up) per budget
#: unit, which is about one wall second: measured 3.5 million a second at load 4.7 on 98
#: generated municipalities (2.1-3.4 before the ejects, whose look-ups are cheaper), 4.8-5.0
#: million at load 1.6-3 (the search's own core mostly free), so a run ends on its count
#: (reproducibly) unless the machine is much slower than that.
_OPS_PER_UNIT = 5_000_000.0

#: The most units one push move carries along.
_PUSH = 8

#: Units of the target wave looked at per blocked move, for a swap and for an eject.
_SWAP_TRIES = 48


@dataclass(frozen=True)
class LocalOutcome:
    """The plan after the local search (every hard rule kept), its split weight, the moves
    applied, the budget units used, and whether the wall-clock deadline ended it."""

    waves: tuple[int, ...]
    splits: int
    moves: int
    units: float
    capped: bool


class Structure:
    """What the search needs of a problem and never changes: units, their demand, allowed
    waves, hard rules between units and soft weights between units. Built once per phase."""

    def __init__(
        self,
        problem: WaveProblem,
        lo: Sequence[int],
        hi: Sequence[int],
        banned: Sequence[set[int]],
        horizon: int,
    ) -> None:
        n = problem.n_tasks
        self.horizon = horizon
        self.unit = _same_wave_units(problem)
        count = max(self.unit, default=-1) + 1
        self.members: list[list[int]] = [[] for _ in range(count)]
        for t in range(n):
            self.members[self.unit[t]].append(t)
        k = len(problem.resources)
        self.demand = [
            tuple(sum(problem.demand[t][r] for t in ts) for r in range(k)) for ts in self.members
        ]
        self.cap = [(0,) * k] + [tuple(row) for row in problem.capacity[:horizon]]
        self.allowed = self._allowed(problem, lo, hi, banned)
        self.preds, self.succs = self._rules(problem)
        self.partners = self._partners(problem)

    def _allowed(
        self, problem: WaveProblem, lo: Sequence[int], hi: Sequence[int], banned: Sequence[set[int]]
    ) -> list[frozenset[int]]:
        """Per unit, the waves every member may take: windows, pins, blackouts, the horizon."""
        pins = problem.pin_of()
        out = []
        for ts in self.members:
            first = max([1] + [lo[t] for t in ts])
            last = min([self.horizon] + [hi[t] for t in ts])
            waves = set(range(first, last + 1))
            for t in ts:
                waves -= banned[t]
                if pins[t]:
                    waves &= pins[t]
            out.append(frozenset(waves))
        return out

    def _rules(
        self, problem: WaveProblem
    ) -> tuple[list[list[tuple[int, int]]], list[list[tuple[int, int]]]]:
        """Hard rules between units as (other unit, lag), the largest lag of each pair:
        wave[succ] >= wave[pred] + lag. Rules inside a unit hold whatever wave it takes."""
        lag_of: dict[tuple[int, int], int] = {}
        for a, b, lag in arcs_of(problem):
            ua, ub = self.unit[a], self.unit[b]
            if ua != ub:
                lag_of[(ua, ub)] = max(lag, lag_of.get((ua, ub), 0))
        preds: list[list[tuple[int, int]]] = [[] for _ in self.members]
        succs: list[list[tuple[int, int]]] = [[] for _ in self.members]
        for (ua, ub), lag in sorted(lag_of.items()):
            succs[ua].append((ub, lag))
            preds[ub].append((ua, lag))
        return preds, succs

    def _partners(self, problem: WaveProblem) -> list[list[tuple[int, int]]]:
        """Per unit, (partner unit, summed soft weight); pairs inside a unit are never split."""
        weight: dict[tuple[int, int], int] = {}
        for a, b, w in problem.soft:
            ua, ub = self.unit[a], self.unit[b]
            if ua != ub:
                key = (min(ua, ub), max(ua, ub))
                weight[key] = weight.get(key, 0) + w
        out: list[list[tuple[int, int]]] = [[] for _ in self.members]
        for (ua, ub), w in sorted(weight.items()):
            out[ua].append((ub, w))
            out[ub].append((ua, w))
        return out


def _same_wave_units(problem: WaveProblem) -> list[int]:
    """Per task, its unit: the connected component of `same_wave` pairs, numbered by the
    lowest task in it (union-find)."""
    parent = list(range(problem.n_tasks))

    def root(t: int) -> int:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    for a, b in problem.same_wave:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    number: dict[int, int] = {}
    return [number.setdefault(root(t), len(number)) for t in range(problem.n_tasks)]


class _State:
    """The incumbent at unit level: each unit's wave, the affinity table, the load per wave,
    the units per wave and demand, and the work done so far."""

    def __init__(self, s: Structure, waves: Sequence[int]) -> None:
        self.s = s
        self.wave = [waves[ts[0]] for ts in s.members]
        h = s.horizon
        self.aff = [[0] * (h + 1) for _ in s.members]
        for u, partners in enumerate(s.partners):
            row = self.aff[u]
            for v, w in partners:
                row[self.wave[v]] += w
        k = len(s.cap[0])
        self.load = [[0] * k for _ in range(h + 1)]
        self.by_key: list[dict[tuple[int, ...], set[int]]] = [{} for _ in range(h + 1)]
        for u, w in enumerate(self.wave):
            self._enter(u, w)
        self.ops = 0
        self.moves = 0
        self.split = sum(
            w
            for u, ps in enumerate(s.partners)
            for v, w in ps
            if u < v and self.wave[u] != self.wave[v]
        )
        self.touched: set[int] = set()  # units whose affinity changed since the last pass

    def _enter(self, u: int, w: int) -> None:
        row, d = self.load[w], self.s.demand[u]
        for r, x in enumerate(d):
            row[r] += x
        self.by_key[w].setdefault(d, set()).add(u)

    def _leave(self, u: int, w: int) -> None:
        row, d = self.load[w], self.s.demand[u]
        for r, x in enumerate(d):
            row[r] -= x
        self.by_key[w][d].discard(u)

    def gain(self, moves: dict[int, int]) -> int:
        """How much split weight the moves (unit -> new wave) remove; negative if they add."""
        g = 0
        wave = self.wave
        for u, b in moves.items():
            a = wave[u]
            partners = self.s.partners[u]
            self.ops += len(partners)
            for v, w in partners:
                if v in moves:
                    if v > u:
                        g += w * ((wave[v] != a) - (moves[v] != b))
                else:
                    x = wave[v]
                    g += w * ((x != a) - (x != b))
        return g

    def fits(self, moves: dict[int, int]) -> bool:
        """Whether the moves keep every hard rule: allowed waves, rules with every neighbour
        (moved or not), and every resource of every wave they touch."""
        return self.ruled(moves) and self._room(moves)

    def ruled(self, moves: dict[int, int]) -> bool:
        """Whether the moves keep every rule but capacity: allowed waves, and the hard rules
        with every neighbour, moved or not."""
        s, wave = self.s, self.wave
        for u, b in moves.items():
            if b not in s.allowed[u]:
                return False
            self.ops += len(s.preds[u]) + len(s.succs[u])
            for p, lag in s.preds[u]:
                if moves.get(p, wave[p]) + lag > b:
                    return False
            for q, lag in s.succs[u]:
                if b + lag > moves.get(q, wave[q]):
                    return False
        return True

    def _room(self, moves: dict[int, int]) -> bool:
        """Capacity after the moves, on the waves they change."""
        s = self.s
        delta: dict[int, list[int]] = {}
        for u, b in moves.items():
            a = self.wave[u]
            if a == b:
                continue
            d = s.demand[u]
            da = delta.setdefault(a, [0] * len(d))
            db = delta.setdefault(b, [0] * len(d))
            for r, x in enumerate(d):
                da[r] -= x
                db[r] += x
        for w, dw in delta.items():
            load, cap = self.load[w], s.cap[w]
            for r, x in enumerate(dw):
                if x > 0 and load[r] + x > cap[r]:
                    return False
        return True

    def apply(self, moves: dict[int, int]) -> None:
        """Make the moves: waves, affinities of the partners, loads, the split weight."""
        self.split -= self.gain(moves)
        for u, b in moves.items():
            a = self.wave[u]
            if a == b:
                continue
            for v, w in self.s.partners[u]:
                row = self.aff[v]
                row[a] -= w
                row[b] += w
                self.touched.add(v)
            self.touched.add(u)
            self._leave(u, a)
            self._enter(u, b)
            self.wave[u] = b
        self.moves += 1

    def push(self, u: int, b: int) -> dict[int, int] | None:
        """Unit u to wave b with the neighbours a hard rule drags along (successors to a later
        wave, predecessors to an earlier one); None when more than `_PUSH` units would move."""
        moves = {u: b}
        later = b > self.wave[u]
        todo = [u]
        s = self.s
        while todo:
            x = todo.pop()
            nx = moves[x]
            for y, lag in s.succs[x] if later else s.preds[x]:
                self.ops += 1
                need = nx + lag if later else nx - lag
                now = moves.get(y, self.wave[y])
                if (later and now < need) or (not later and now > need):
                    moves[y] = need
                    todo.append(y)
                    if len(moves) > _PUSH:
                        return None
        return moves


class LocalSearch:
    """The local search of one phase, kept between runs: its structure and its incumbent,
    which the caller keeps in step (`sync`) when another search changed the plan."""

    def __init__(
        self,
        problem: WaveProblem,
        waves: Sequence[int],
        lo: Sequence[int],
        hi: Sequence[int],
        banned: Sequence[set[int]],
        horizon: int,
    ) -> None:
        self.s = Structure(problem, lo, hi, banned, horizon)
        self.st = _State(self.s, waves)
        self.fresh = True  # no run yet: the first looks at every unit

    def sync(self, waves: Sequence[int], tasks: Sequence[int]) -> None:
        """Take over the waves of `tasks` from `waves` (a plan that keeps every hard rule,
        changed by another search only there)."""
        st = self.st
        moves = {self.s.unit[t]: waves[t] for t in tasks if waves[t] != st.wave[self.s.unit[t]]}
        if moves:
            st.apply(moves)
            st.moves -= 1  # not a move of this search

    def run(
        self, budget: TimeBudget, stop: StopRequest | None = None, *, full: int = 1_000_000
    ) -> LocalOutcome:
        """Moves until none improves (see the module docstring), the budget's units are spent,
        its deadline comes, or `stop`. The first run starts with a pass over every unit,
        later ones with the units whose partners moved since (here or by `sync`); then
        passes over the units whose partners moved, and once those are done, another pass
        over every unit (at most `full` of them), until such a pass moves none."""
        st = self.st
        start_ops, start_moves, before = st.ops, st.moves, st.split
        limit = start_ops + budget.units * _OPS_PER_UNIT
        capped = False
        focus = None if self.fresh else st.touched
        self.fresh = False
        last_full = -1  # the move count when the last pass over every unit began
        while True:
            if focus is not None and not focus:
                if full <= 0 or st.moves == last_full:
                    break
                focus, full = None, full - 1
            if focus is None:
                last_full = st.moves
            st.touched = set()
            order = _candidates(st, focus)
            for i, u in enumerate(order):
                if i % 32 == 0:
                    if st.ops >= limit or (stop is not None and stop.requested):
                        break
                    if time.monotonic() >= budget.deadline - 0.05:
                        capped = True
                        break
                _improve(st, u)
            else:
                focus = st.touched
                continue
            break
        assert st.split <= before
        plan = tuple(st.wave[u] for u in self.s.unit)
        return LocalOutcome(
            plan, st.split, st.moves - start_moves, (st.ops - start_ops) / _OPS_PER_UNIT, capped
        )


def local_search(
    problem: WaveProblem,
    waves: Sequence[int],
    lo: Sequence[int],
    hi: Sequence[int],
    banned: Sequence[set[int]],
    *,
    horizon: int,
    budget: TimeBudget,
    stop: StopRequest | None = None,
) -> LocalOutcome:
    """Lower the split weight of a feasible plan by shifts, pushes and swaps (see above) until
    no move improves it (a pass over every unit moves none), the budget's units are spent,
    its deadline comes, or `stop`.

    `waves` must keep every hard rule within waves 1..horizon (windows lo/hi, banned waves);
    so does the plan returned, whose split weight is never higher."""
    return LocalSearch(problem, waves, lo, hi, banned, horizon).run(budget, stop)


def _candidates(st: _State, focus: set[int] | None) -> list[int]:
    """Units (of `focus`, or all) with more soft weight in another wave than in their own,
    the largest possible gain first (ties by unit)."""
    out = []
    aff, wave = st.aff, st.wave
    units = range(len(aff)) if focus is None else focus
    for u in units:
        row = aff[u]
        best = max(row)
        here = row[wave[u]]
        if best > here:
            out.append((here - best, u))
    st.ops += len(units)
    out.sort()
    return [u for _, u in out]


def _improve(st: _State, u: int) -> int:
    """The first improving move of unit u, to the waves holding most of its soft weight
    first: a shift, else a push, else a swap. 1 if one was made."""
    a = st.wave[u]
    row = st.aff[u]
    here = row[a]
    allowed = st.s.allowed[u]
    targets = sorted(
        (b for b in range(1, len(row)) if row[b] > here and b in allowed),
        key=lambda b: (-row[b], b),
    )
    for b in targets:
        single = {u: b}
        if st.ruled(single):
            if st._room(single):
                st.apply(single)
                return 1
            if _swap(st, u, b) or _eject(st, u, b):
                return 1
            continue
        moves = st.push(u, b)
        if moves is not None and st.gain(moves) > 0 and st.fits(moves):
            st.apply(moves)
            return 1
    return 0


def _swap(st: _State, u: int, b: int) -> bool:
    """Unit u to wave b, which has no room, and a unit of b to u's wave, of a demand that
    lets both waves keep their capacity (the same demand always does): the best such
    exchange that lowers the split weight and keeps every rule."""
    a = st.wave[u]
    du = st.s.demand[u]
    # The demand x of the unit coming back must fit a once u left, and make room for u in b.
    top = [c - x + d for c, x, d in zip(st.s.cap[a], st.load[a], du)]
    low = [d - (c - x) for c, x, d in zip(st.s.cap[b], st.load[b], du)]
    aff = st.aff
    gain_u = aff[u][b] - aff[u][a]
    pool: list[tuple[int, int]] = []
    for key, units in st.by_key[b].items():
        st.ops += 1
        if units and (key == du or all(lo <= x <= hi for lo, x, hi in zip(low, key, top))):
            # the exchange gains gain_u - (aff[v][b] - aff[v][a]), less twice a pair (u, v)
            pool.extend(d for v in units if (d := (aff[v][b] - aff[v][a], v))[0] < gain_u)
    st.ops += len(pool)
    pool.sort()
    for _, v in pool[:_SWAP_TRIES]:
        moves = {u: b, v: a}
        if st.gain(moves) > 0 and st.ruled(moves):
            st.apply(moves)
            return True
    return False


def _eject(st: _State, u: int, b: int) -> bool:
    """Unit u to wave b, which has no room, and a unit of b large enough to make that room to
    any other wave with room for it (a wave with slack in its resources, often one at
    the start or end of the programme): the first such pair of moves that lowers the split
    weight and keeps every rule, units losing least soft weight by leaving b first."""
    a = st.wave[u]
    du = st.s.demand[u]
    need = [max(0, x + d - c) for x, d, c in zip(st.load[b], du, st.s.cap[b])]
    aff = st.aff
    gain_u = aff[u][b] - aff[u][a]
    pool: list[tuple[int, int]] = []
    for key, units in st.by_key[b].items():
        st.ops += 1
        if units and all(x >= n for x, n in zip(key, need)):
            pool.extend((aff[v][b], v) for v in units if aff[v][b] < gain_u + max(aff[v]))
    st.ops += len(pool)
    pool.sort()
    for _, v in pool[:_SWAP_TRIES]:
        row = aff[v]
        st.ops += len(row)
        for c in sorted(st.s.allowed[v], key=lambda w: (-row[w], w)):
            if gain_u + row[c] - row[b] <= 0:
                break  # the targets further on gain less (a pair (u, v) only lowers it)
            if c == b:
                continue
            moves = {u: b, v: c}
            if st.gain(moves) > 0 and st.fits(moves):
                st.apply(moves)
                return True
    return False
