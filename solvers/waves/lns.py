"""Large-neighbourhood search for the splits, downtime and moved phases on big instances.

With a thousand tasks and two thousand soft pairs, the full model of the splits phase
has some 50,000 variables and 200,000 clauses; CP-SAT spends most of a minute in
presolve and in completing the hint before its own LNS starts. Here the incumbent
stays fixed except for a small neighbourhood of tasks (soft partners of a split pair,
plus tasks sharing their waves so there is room to swap), and a small CP-SAT model
(`solvers.waves.model.build_part`: the full model's assignment, capacity and precedence
families, against the capacity the fixed tasks leave) re-places only those tasks. Each
sub-solve takes a fraction of a second, and an improvement is accepted only if it is
strictly better, so the plan never gets worse and every plan it returns satisfies every
hard rule (windows, blackouts, pins, precedence with fixed and free tasks, capacity, the
horizon). In the splits phase, the local search of `solvers.waves.local` (shifts,
pushes, swaps and ejects of single units, microseconds each) runs first and after every
improving sub-model, so the sub-models spend their time on what single moves cannot reach. A
split pair's neighbourhood is its smaller side whole (the tasks soft-connected to it inside
its wave), with room in the two waves, first from the tasks that gain by moving. Every
`_EXCHANGE_EVERY`-th step is instead an exchange (`solvers.waves.exchange`): all tasks of a
split pair's two waves and of the wave holding most of the rest of their community, as
whole fragments, trade places, which joins a community that full waves cut in pieces (the
neighbourhoods rarely do: its smaller side only fits if as much work, split by nothing,
leaves the other wave).

The downtime phase works the same way: it frees tasks of a peak-downtime wave and of
quiet waves, and re-places them to lower the peak (or the number of waves at the peak)
while the split weight they touch may not grow, so the splits phase's result holds. The
"moved" phase of a re-plan frees tasks that left their previous wave, with the tasks of
those waves, and puts as many back as fit, with neither more splits nor a higher peak.

Deterministic for a given seed and deterministic budget: one CP-SAT worker per sub-solve,
limited by deterministic time; the neighbourhoods come from a seeded random generator.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solvers import cpsat
from solvers.limits import StopRequest, TimeBudget
from solvers.waves.bounds import arcs_of, downtime_bound, moved_bound
from solvers.waves.exchange import build_exchange, window
from solvers.waves.local import LocalSearch
from solvers.waves.model import WaveVars, apart_from, build_part, hint, moved_terms, split_literal
from solvers.waves.problem import WaveProblem, evaluate

#: Budget units per CP-SAT deterministic second of a sub-solve. Hundreds of small sub-models,
#: each with a presolve and a model copy that CP-SAT's deterministic clock does not count,
#: run at about 0.65 deterministic seconds per wall second here (80 sub-models of the demo:
#: 12.8 in 19.2 s), and 10-20 % slower when the virtual machine is. Charging 2 units each
#: leaves room for that slowdown, so that a run ends on its budget, which is reproducible,
#: and not on the wall-clock deadline, which is not (at 1 / 0.6 the demo's splits phase
#: ended on the wall clock in one of two runs on a day the machine was 15 % slower). At
#: national scale the sub-models run slower on CP-SAT's clock: 98 generated municipalities,
#: 236 sub-models of 60-300 tasks, load 1.1-1.4: wall = 0.00022 s per task + 2.7 x
#: deterministic seconds; with 2.6, 5 generated municipalities at 60 s (idle) end their
#: splits phase on its units again (with 2 and today's short steps, on the wall clock).
COST = 2.6

#: Deterministic seconds charged per freed task of a sub-model on top of CP-SAT's own
#: count: building the model in Python and CP-SAT's presolve, which its deterministic clock
#: does not see; hundreds of quick sub-solves would otherwise overrun the phase's wall
#: time and end on the wall-clock limit, which is not reproducible. Measured on 98
#: generated municipalities (sub-models of 60-300 tasks, domains without the waves a task
#: cannot fit, load 3.5-4.3): wall = 0.005 s + 0.0003 s per task + 3.8 x deterministic
#: seconds; the search had about half a core there, so some 0.00017 s per task idle
#: (estimated, not measured idle; 0.0006 before the domains were cut to the waves with room).
_COST_PER_TASK = 0.0001

#: Deterministic seconds of one sub-solve at most. Short steps pay at national scale: most
#: sub-models are solved to optimality in a few hundredths of a second, and the rest gain
#: little for the longer search (98 generated municipalities, 60 units from the greedy
#: plan, seed 1, the charges before: 8,025 splits with 0.3, 7,382 with 0.1, 7,003 with
#: 0.05, 7,369 with 0.02). The search is path-dependent, so one seed says little: seeds
#: 1-3 with 0.05 and today's charges gave 6,233, 4,887 and 5,009 splits, against 8,025,
#: 7,268 and 7,567 with 0.3 and the charges before.
_STEP = 0.05

#: Every this many sub-models of the splits phase, one is an exchange of whole fragments
#: (`solvers.waves.exchange`) instead of a neighbourhood. Every 3rd: 2,547 splits against
#: 2,312 (98 generated municipalities, seed 1, 95 units).
_EXCHANGE_EVERY = 5

#: An exchange frees a split pair's two waves and a third: the one holding most soft
#: weight of the pair's fragments (their first this many tasks). On 98 generated
#: municipalities, 95 units from the soft-aware start: 2,312 and 2,526 splits (seeds 1, 2)
#: against 3,013 and 3,164 with the two waves alone (docs/benchmarks.md); a random third
#: wave gave 3,330 (seed 1), the wave next to the two 2,824, the two heaviest waves (four
#: in all) 2,378.
_EXCHANGE_REACH = 200

#: Deterministic seconds of one exchange at most.
_EXCHANGE_STEP = 0.5

#: Deterministic seconds charged per task of an exchange's blocks on top of CP-SAT's own
#: count (finding the blocks, building the model in Python). Measured on 98 generated
#: municipalities: 124 exchanges of about 2,100 tasks took 0.085 wall seconds each and 0.0056
#: deterministic seconds of CP-SAT; at 0.00001 per task, the 120-s and 600-s plans ended
#: their splits phase on the wall clock, so the charge leaves room for a slower machine.
#: Three waves (seed 1, 30 units, idle): 27 exchanges of a median 2,937 tasks, 0.47 wall and
#: 0.062 deterministic seconds each; the 120-s plans still end their splits phase on units.
_EXCHANGE_COST_PER_TASK = 0.00002

#: Split pairs drawn for an exchange until one leads to waves that changed since their
#: last exchange.
_EXCHANGE_DRAWS = 8

#: Budget units of the first local search of the splits phase, whose plan is announced at
#: once: at national scale one pass over every unit takes 15 s at load 5, and the first
#: better plan should come in seconds. One more pass over every unit follows, not a search
#: to a local optimum: its later passes gain little for their cost (98 municipalities, 40
#: units from the greedy: 8,601 splits with one more pass, 10,287 to a local optimum).
_FIRST_POLISH = 2.0

#: The downtime and moved searches stop after this many sub-models in a row without a
#: better plan: on instances whose waves are full to capacity no swap lowers the peak
#: (plan-scale size 1: 0 improvements in 265 sub-models), and the time is better returned.
_DOWNTIME_STALL = 60


@dataclass(frozen=True)
class LnsOutcome:
    """The improved plan with its objective values (`evaluate`), and what the search spent:
    budget units, sub-models, improvements (improving sub-models and local searches),
    whether the wall-clock deadline or the memory limit (not the units) ended it, and
    whether a sub-solve was stopped by the memory limit."""

    waves: tuple[int, ...]
    objective: dict[str, float]
    units: float
    iterations: int
    improvements: int
    capped: bool
    memory: bool = False


class _Search:
    """State of one LNS run: the incumbent, wave loads, and the lookups neighbourhoods need."""

    def __init__(
        self,
        problem: WaveProblem,
        waves: Sequence[int],
        lo: Sequence[int],
        hi: Sequence[int],
        banned: Sequence[set[int]],
        horizon: int,
        stop: StopRequest | None,
    ) -> None:
        self.p = problem
        self.waves = list(waves)
        self.lo, self.hi, self.banned, self.horizon = lo, hi, banned, horizon
        self.stop = stop
        self.capped = False  # a sub-solve ended on the wall-clock deadline or memory limit
        self.memory = False  # a sub-solve ended on the memory limit
        n, k = problem.n_tasks, len(problem.resources)
        self.load = [[0] * k for _ in range(horizon + 1)]
        for t, w in enumerate(self.waves):
            for r in range(k):
                self.load[w][r] += problem.demand[t][r]
        self.preds: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        self.succs: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for a, b, lag in arcs_of(problem):
            self.preds[b].append((a, lag))
            self.succs[a].append((b, lag))
        pair_weight: dict[tuple[int, int], int] = {}
        for a, b, weight in problem.soft:
            if a != b:
                key = (min(a, b), max(a, b))
                pair_weight[key] = pair_weight.get(key, 0) + weight
        # (partner, summed weight) per task
        self.soft_of: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for (a, b), weight in sorted(pair_weight.items()):
            self.soft_of[a].append((b, weight))
            self.soft_of[b].append((a, weight))
        self.dt = list(problem.downtime_weight) if problem.downtime_weight else [0] * n
        self._index()
        # The incumbent's split weight, kept up to date by the splits phase's steps (the
        # whole-plan `evaluate` took 14 ms at national scale, after every improvement).
        self.splits = evaluate(problem, self.waves)["splits"]
        self.local: LocalSearch | None = None  # the splits phase's, built when first used
        self.changed: set[int] = set()  # tasks the sub-models moved since the last local search
        # Per wave, a count of the changes to its tasks; per set of waves, the counts when
        # their exchange was last solved (solved again only after a change: it is exact).
        self.version = [0] * (horizon + 1)
        self.exchanged: dict[tuple[int, ...], tuple[int, ...]] = {}

    def _index(self) -> None:
        """The tasks of each wave and its downtime, from `self.waves`."""
        self.in_wave: list[set[int]] = [set() for _ in range(self.horizon + 1)]
        self.dt_load = [0] * (self.horizon + 1)
        for t, w in enumerate(self.waves):
            self.in_wave[w].add(t)
            self.dt_load[w] += self.dt[t]

    def polish(self, budget: TimeBudget, full: int = 0) -> tuple[bool, float]:
        """The local search of `solvers.waves.local` on the incumbent (shifts, pushes, swaps
        and ejects of units): one pass over every unit the first time, then around what
        changed, and at most `full` more passes over every unit; True if it lowered the
        splits, and the budget units used."""
        if self.local is None:
            self.local = LocalSearch(
                self.p, self.waves, self.lo, self.hi, self.banned, self.horizon
            )
        else:
            self.local.sync(self.waves, sorted(self.changed))
        self.changed = set()
        out = self.local.run(budget, self.stop, full=full)
        self.capped = self.capped or out.capped
        if out.moves == 0:
            return False, out.units
        self.splits = out.splits
        k = len(self.p.resources)
        for t, (old, new) in enumerate(zip(self.waves, out.waves)):
            if old != new:
                for r in range(k):
                    self.load[old][r] -= self.p.demand[t][r]
                    self.load[new][r] += self.p.demand[t][r]
                self.version[old] += 1
                self.version[new] += 1
        self.waves = list(out.waves)
        self._index()
        return True, out.units

    # --- neighbourhoods ----------------------------------------------------------------------
    def neighbourhood(self, rng: random.Random, size: int) -> list[int]:
        """A split pair's smaller side, whole, and room for it to join the other side.

        Each task of the pair lies in a fragment: the tasks soft-connected to it inside its
        wave. The smaller fragment is freed whole (connected tasks that move together cost no
        split), with tasks of the pair's two waves for room to swap: half of them those with
        the most split weight (they gain by moving too), half at random. On 98 generated
        municipalities, 40 units from the soft-aware start, seeds 1-3: 3,216, 3,388 and 3,136
        splits, against 4,456, 4,537 and 4,636 when the pair's soft-connected tasks of both
        waves were grown at random and the room drawn at random (docs/benchmarks.md)."""
        pair = self._split_pair(rng)
        if pair is None:
            return []
        a, b = pair
        side_a, side_b = self._fragment(a, size), self._fragment(b, size)
        if len(side_a) >= size and len(side_b) >= size:  # both large: part of one, at random
            side = (side_a if rng.random() < 0.5 else side_b)[: size // 2]
        else:
            side = side_a if len(side_a) <= len(side_b) else side_b
        free = set(side)
        pool = sorted((self.in_wave[self.waves[a]] | self.in_wave[self.waves[b]]) - free)
        rng.shuffle(pool)
        room = max(0, size - len(free))
        gainers = heapq.nlargest(room // 2, pool, key=self._split_weight)
        free.update(gainers)
        rest = [t for t in pool if t not in free]
        free.update(rng.sample(rest, min(len(rest), room - len(gainers))))
        return sorted(free)

    def _split_pair(self, rng: random.Random) -> tuple[int, int] | None:
        """A split soft pair, uniformly at random: drawn from all pairs until one is split
        (a few draws while many are), from the list of split pairs when few are."""
        soft = self.p.soft
        for _ in range(64 if soft else 0):
            a, b, _w = soft[rng.randrange(len(soft))]
            if self.waves[a] != self.waves[b]:
                return a, b
        split = [(a, b) for a, b, _ in soft if self.waves[a] != self.waves[b]]
        return split[rng.randrange(len(split))] if split else None

    def _fragment(self, t: int, limit: int) -> list[int]:
        """The tasks soft-connected to `t` inside its wave, breadth first, at most `limit`."""
        wave, seen, order = self.waves[t], {t}, [t]
        for x in order:
            if len(order) >= limit:
                break
            for u, _ in self.soft_of[x]:
                if u not in seen and self.waves[u] == wave:
                    seen.add(u)
                    order.append(u)
        return order[:limit]

    def _split_weight(self, t: int) -> int:
        """The weight of `t`'s soft pairs split in the incumbent."""
        wave = self.waves[t]
        return sum(weight for u, weight in self.soft_of[t] if self.waves[u] != wave)

    def downtime_neighbourhood(self, rng: random.Random, size: int) -> list[int]:
        """Tasks with downtime in one peak wave, plus tasks of two of the quietest waves."""
        peak = max(self.dt_load[1:])
        if peak == 0:
            return []
        hot = [w for w in range(1, self.horizon + 1) if self.dt_load[w] == peak]
        w = hot[rng.randrange(len(hot))]
        heavy = sorted(t for t in self.in_wave[w] if self.dt[t] > 0)
        rng.shuffle(heavy)
        free = set(heavy[: size // 2])
        by_load = sorted(range(1, self.horizon + 1), key=lambda u: (self.dt_load[u], u))
        quiet = by_load[: max(2, self.horizon // 3)]
        for u in rng.sample(quiet, min(2, len(quiet))):
            pool = sorted(self.in_wave[u] - free)
            rng.shuffle(pool)
            free.update(pool[: max(0, (size - len(free)) // 2)])
        return sorted(free)

    def moved_neighbourhood(self, rng: random.Random, size: int) -> list[int]:
        """Some tasks away from their previous wave, plus tasks of those waves (room to return)."""
        previous = self.p.previous
        away = [t for t, p in enumerate(previous) if 0 < p <= self.horizon and self.waves[t] != p]
        if not away:
            return []
        free = set(rng.sample(away, min(len(away), max(1, size // 4))))
        waves = sorted({previous[t] for t in free} | {self.waves[t] for t in free})
        pool = sorted(set().union(*(self.in_wave[w] for w in waves)) - free)
        rng.shuffle(pool)
        free.update(pool[: max(0, size - len(free))])
        return sorted(free)

    # --- re-placing a neighbourhood, one objective per phase ---------------------------------
    def resolve(self, free: list[int], budget: TimeBudget, seed: int) -> tuple[bool, float]:
        """Re-place the free tasks optimally for the splits they touch; True if the plan
        improved, and the deterministic seconds the sub-solve used."""
        sub = self._sub_model(free)
        if sub is None:
            return False, 0.0
        model, v, terms, before = sub
        model.minimize(sum(terms))
        gain, spent = self._solve(model, v, free, before, budget, seed)
        self.splits -= gain  # the terms are every pair a free task is in: the whole change
        return gain > 0, spent

    def resolve_downtime(
        self, free: list[int], budget: TimeBudget, seed: int
    ) -> tuple[bool, float]:
        """Re-place the free tasks to lower the peak downtime, then the number of waves at the
        peak, without splitting more; True if the plan improved."""
        sub = self._kept_splits(free)
        if sub is None:
            return False, 0.0
        model, v = sub
        peak = max(self.dt_load[1:])
        loads = self._downtime_in(free, v)
        touched = sorted(loads)
        others = max(
            (self.dt_load[w] for w in range(1, self.horizon + 1) if w not in loads), default=0
        )
        new_peak = model.new_int_var(others, peak, "")
        at_peak = []
        for fixed, users in loads.values():
            load = fixed + sum(d * lit for d, lit in users)
            model.add(new_peak >= load)
            hot = model.new_bool_var("")
            model.add(load <= peak - 1).only_enforce_if(hot.Not())
            at_peak.append(hot)
        scale = len(touched) + 1
        model.minimize(scale * new_peak + sum(at_peak))
        before = scale * peak + sum(1 for w in touched if self.dt_load[w] >= peak)
        gain, spent = self._solve(model, v, free, before, budget, seed)
        return gain > 0, spent

    def resolve_moved(self, free: list[int], budget: TimeBudget, seed: int) -> tuple[bool, float]:
        """Return free tasks to their previous waves where they fit, without more splits and
        without raising the peak downtime; True if the plan improved."""
        sub = self._kept_splits(free)
        if sub is None:
            return False, 0.0
        model, v = sub
        peak = max(self.dt_load[1:])
        for fixed, users in self._downtime_in(free, v).values():
            if users and fixed + sum(d for d, _ in users) > peak:
                model.add(fixed + sum(d * lit for d, lit in users) <= peak)
        previous = self.p.previous
        before = sum(1 for t in free if previous[t] > 0 and self.waves[t] != previous[t])
        model.minimize(sum(moved_terms(self.p, v)))
        gain, spent = self._solve(model, v, free, before, budget, seed)
        return gain > 0, spent

    # --- the sub-model -----------------------------------------------------------------------
    def _kept_splits(self, free: list[int]) -> tuple[cp_model.CpModel, WaveVars] | None:
        """The sub-model of the phases after splits: it may not split more than the incumbent."""
        sub = self._sub_model(free)
        if sub is None:
            return None
        model, v, terms, before = sub
        model.add(sum(terms) <= before)
        return model, v

    def _downtime_in(
        self, free: list[int], v: WaveVars
    ) -> dict[int, tuple[int, list[tuple[int, cp_model.IntVar]]]]:
        """Per wave a free task may take: the downtime of the tasks that stay, and the
        (downtime, literal) pairs of the free tasks with downtime."""
        fs = set(free)
        x = v.x
        return {
            w: (
                self.dt_load[w] - sum(self.dt[t] for t in self.in_wave[w] & fs),
                [(self.dt[t], x[t][w]) for t in free if w in x[t] and self.dt[t]],
            )
            for w in sorted({w for t in free for w in x[t]})
        }

    def _sub_model(
        self, free: list[int]
    ) -> tuple[cp_model.CpModel, WaveVars, list[cp_model.LinearExprT], int] | None:
        """The free tasks' model against the fixed rest (`build_part`), the split terms they
        touch (with their current weight), and the incumbent's hint; None if the incumbent
        does not fit (which cannot happen for a feasible incumbent)."""
        fs = set(free)
        room = self._room(free)
        home = {self.waves[t] for t in free}
        allowed: dict[int, list[int]] = {}
        for t in free:
            lo, hi = window(self, t, fs)
            # A wave no free task leaves has only its fixed slack: a task that does not fit
            # there alone never goes there, so the wave is left out of its domain (exact).
            demand = self.p.demand[t]
            allowed[t] = [
                w
                for w in range(lo, hi + 1)
                if w not in self.banned[t]
                and (w in home or all(d <= r for d, r in zip(demand, room[w - 1])))
            ]
            if self.waves[t] not in allowed[t]:
                return None
        arcs = [(t, b, lag) for t in free for b, lag in self.succs[t] if b in fs]
        model, v = build_part(self.p, allowed, room, arcs, horizon=self.horizon)
        terms, before = self._split_terms(model, v, free)
        hint(model, v, self.waves)
        return model, v, terms, before

    def _room(self, free: list[int]) -> list[list[int]]:
        """Per wave and resource, the capacity the tasks outside `free` leave."""
        k = len(self.p.resources)
        room = [
            [cap - used for cap, used in zip(self.p.capacity[w - 1], self.load[w])]
            for w in range(1, self.horizon + 1)
        ]
        for t in free:
            row = room[self.waves[t] - 1]
            for r in range(k):
                row[r] += self.p.demand[t][r]
        return room

    def _split_terms(
        self, model: cp_model.CpModel, v: WaveVars, free: list[int]
    ) -> tuple[list[cp_model.LinearExprT], int]:
        """The weighted split of every soft pair with a free task (pairs with both tasks
        fixed cannot change), and their weight split in the incumbent."""
        fs = set(free)
        terms: list[cp_model.LinearExprT] = []
        before = 0
        seen: set[tuple[int, int]] = set()
        for t in free:
            for u, weight in self.soft_of[t]:
                key = (min(t, u), max(t, u))
                if u in fs and key in seen:
                    continue
                seen.add(key)
                before += weight if self.waves[t] != self.waves[u] else 0
                if u in fs:
                    terms.append(weight * split_literal(model, v, t, u))
                else:
                    terms.append(weight * apart_from(v, t, self.waves[u]))
        return terms, before

    def _solve(
        self,
        model: cp_model.CpModel,
        v: WaveVars,
        free: list[int],
        before: float,
        budget: TimeBudget,
        seed: int,
    ) -> tuple[float, float]:
        """Solve a sub-model; apply its placement only if its objective beats `before`.
        Returns how much it lowered the objective (0 if not applied), and the deterministic
        seconds CP-SAT used."""
        out, spent = self._better(model, before, budget, seed)
        if out is None:
            return 0.0, spent
        for t in free:
            self._move(t, out.value(v.wave[t]))
        return before - out.objective, spent

    def _better(
        self, model: cp_model.CpModel, before: float, budget: TimeBudget, seed: int
    ) -> tuple[cpsat.Outcome | None, float]:
        """One CP-SAT worker on a sub-model: its outcome if it beats `before` (else None),
        and the deterministic seconds it used."""
        out = cpsat.solve(model, budget, self.stop, cost=COST, workers=1, seed=seed)
        self.capped = self.capped or out.capped
        self.memory = self.memory or out.memory
        spent = out.units / COST
        if not out.found or out.objective >= before - 1e-9:
            return None, spent
        return out, spent

    def _move(self, t: int, new: int) -> None:
        """Put task t in wave `new`, keeping loads, wave contents and versions up to date."""
        old = self.waves[t]
        if new == old:
            return
        for r, demand in enumerate(self.p.demand[t]):
            self.load[old][r] -= demand
            self.load[new][r] += demand
        self.dt_load[old] -= self.dt[t]
        self.dt_load[new] += self.dt[t]
        self.in_wave[old].discard(t)
        self.in_wave[new].add(t)
        self.waves[t] = new
        self.changed.add(t)
        self.version[old] += 1
        self.version[new] += 1

    def exchange(
        self, rng: random.Random, budget: TimeBudget, seed: int
    ) -> tuple[bool, float, int]:
        """The exchange (`solvers.waves.exchange`) of a split pair's waves and a third, the
        first of a few drawn whose waves changed since their last exchange: True if it
        lowered the splits, the deterministic seconds used, and the tasks its model held."""
        for _ in range(_EXCHANGE_DRAWS):
            pair = self._split_pair(rng)
            if pair is None:
                return False, 0.0, 0
            waves = self._exchange_waves_of(pair)
            if self.exchanged.get(waves) != tuple(self.version[w] for w in waves):
                break
        else:
            return False, 0.0, 0
        return self.exchange_waves(waves, budget, seed)

    def _exchange_waves_of(self, pair: tuple[int, int]) -> tuple[int, ...]:
        """The split pair's two waves and the other wave that holds most of the soft weight
        of their two fragments (where the rest of their community lies), if any."""
        a, b = pair
        waves = {self.waves[a], self.waves[b]}
        weight: dict[int, int] = {}
        for t in self._fragment(a, _EXCHANGE_REACH) + self._fragment(b, _EXCHANGE_REACH):
            for u, w in self.soft_of[t]:
                if self.waves[u] not in waves:
                    weight[self.waves[u]] = weight.get(self.waves[u], 0) + w
        if weight:
            waves.add(max(sorted(weight), key=weight.__getitem__))
        return tuple(sorted(waves))

    def exchange_waves(
        self, waves: tuple[int, ...], budget: TimeBudget, seed: int
    ) -> tuple[bool, float, int]:
        """The exchange of `waves`, applied if it lowers the splits; the waves are marked
        exchanged as they are afterwards."""
        improved, spent, size = False, 0.0, 0
        sub = build_exchange(self, waves)
        if sub is not None:
            size = sum(len(block) for block in sub.blocks)
            out, spent = self._better(sub.model, sub.before, budget, seed)
            if out is not None:
                for t, wave in sub.moves(out.value).items():
                    self._move(t, wave)
                self.splits -= sub.before - out.objective
                improved = True
        self.exchanged[waves] = tuple(self.version[w] for w in waves)
        return improved, spent, size


def improve(
    phase: str,
    problem: WaveProblem,
    waves: Sequence[int],
    lo: Sequence[int],
    hi: Sequence[int],
    banned: Sequence[set[int]],
    *,
    horizon: int,
    budget: TimeBudget,
    stop: StopRequest | None = None,
    seed: int = 0,
    on_improve: Callable[[float], None] | None = None,
    floor: float = 0.0,
    first: Sequence[list[int]] = (),
) -> LnsOutcome:
    """Improve a feasible plan within waves 1..horizon (windows lo/hi, banned waves) for one phase.

    "splits": lower the split weight; stops early at `floor` (a proven lower bound); the
    neighbourhoods `first` (whole clusters of soft-connected tasks) are re-solved before the
    random ones.
    "downtime": lower the peak downtime without splitting
    more; stops early at `downtime_bound`. "moved": return tasks of a re-plan to their
    previous waves, never splitting more or raising the peak; stops early at `moved_bound`.
    Each sub-solve is limited by deterministic time, also in wall-clock mode; the search
    ends when `budget`'s units are spent (reproducible), at its deadline, or on `stop`.
    """
    search = _Search(problem, waves, lo, hi, banned, horizon, stop)
    loop = _Loop(search, phase, budget, seed, on_improve)
    if phase == "splits":
        queue = [list(ts) for ts in first]

        def neighbourhood(rng: random.Random, size: int) -> list[int]:
            return queue.pop(0) if queue else search.neighbourhood(rng, size)

        return loop.run(
            neighbourhood,
            search.resolve,
            done=floor,
            polish=search.polish,
            exchange=search.exchange,
        )
    if phase == "downtime":
        return loop.run(
            search.downtime_neighbourhood,
            search.resolve_downtime,
            done=float(downtime_bound(problem, horizon)),
            stall=_DOWNTIME_STALL,
        )
    if phase == "moved":
        return loop.run(
            search.moved_neighbourhood,
            search.resolve_moved,
            done=float(moved_bound(problem, lo, hi, banned)),
            stall=_DOWNTIME_STALL,
        )
    raise ValueError(f"no LNS for phase {phase!r}")


def _resized(size: int, used: float, step: float, most: int) -> int:
    """The next neighbourhood size: larger while sub-solves are cheap, smaller when they hit
    their limit."""
    if used < 0.2 * step:
        return min(most, size + 10)
    if used >= 0.95 * step:
        return max(20, size - 10)
    return size


@dataclass
class _Loop:
    """The LNS loop of one phase: free a neighbourhood, re-solve it, keep strict improvements."""

    search: _Search
    phase: str
    budget: TimeBudget
    seed: int
    on_improve: Callable[[float], None] | None
    polished: int = 0  # local searches that improved the plan

    def run(
        self,
        neighbourhood: Callable[[random.Random, int], list[int]],
        resolve: Callable[[list[int], TimeBudget, int], tuple[bool, float]],
        *,
        done: float,
        stall: int | None = None,
        polish: Callable[[TimeBudget, int], tuple[bool, float]] | None = None,
        exchange: Callable[[random.Random, TimeBudget, int], tuple[bool, float, int]] | None = None,
    ) -> LnsOutcome:
        """Until the deterministic budget is spent, the objective reaches `done` (a lower
        bound), `stall` sub-models in a row brought nothing, the deadline comes, or the
        user stops the search. `polish` (the splits phase's local search) runs first and
        after every improving sub-model: it is cheap, and a sub-model's new placement often
        opens single moves elsewhere."""
        search, problem = self.search, self.search.p
        rng = random.Random(self.seed)
        size = min(problem.n_tasks, 60)
        det_budget = self.budget.units / COST  # inf in wall-clock mode: the deadline decides
        spent = 0.0
        iterations = improvements = idle = 0
        capped = False
        current = self._objective()
        if polish is not None:  # a quick first pass (announced), then one more pass
            spent, current = self._polish(
                polish, det_budget, spent, current, done, most=_FIRST_POLISH
            )
            spent, current = self._polish(polish, det_budget, spent, current, done, full=1)
        while spent < det_budget and current > done and (stall is None or idle < stall):
            if time.monotonic() >= self.budget.deadline - 0.05:
                capped = True
                break
            if search.stop is not None and search.stop.requested:  # keep what we have
                break
            if exchange is not None and iterations % _EXCHANGE_EVERY == _EXCHANGE_EVERY - 1:
                step = min(_EXCHANGE_STEP, det_budget - spent)
                sub = TimeBudget(step * COST, self.budget.deadline)
                improved, used, held = exchange(rng, sub, self.seed + iterations)
                spent += used + _EXCHANGE_COST_PER_TASK * held
                iterations += 1
            else:
                free = neighbourhood(rng, size)
                if not free:
                    break
                step = min(_STEP, det_budget - spent)
                sub = TimeBudget(step * COST, self.budget.deadline)
                improved, used = resolve(free, sub, self.seed + iterations)
                spent += used + _COST_PER_TASK * len(free)
                iterations += 1
                size = _resized(size, used, step, problem.n_tasks)
            idle = 0 if improved else idle + 1
            if improved:
                improvements += 1
                current = self._improved(current)
                if polish is not None:
                    spent, current = self._polish(polish, det_budget, spent, current, done)
        plan = tuple(search.waves)
        return LnsOutcome(
            plan,
            evaluate(problem, plan),
            spent * COST,
            iterations,
            improvements + self.polished,
            capped or search.capped,
            search.memory,
        )

    def _polish(
        self,
        polish: Callable[[TimeBudget, int], tuple[bool, float]],
        det_budget: float,
        spent: float,
        current: float,
        done: float,
        full: int = 0,
        most: float = math.inf,
    ) -> tuple[float, float]:
        """One local search with what is left of the budget (at most `most` units): the
        deterministic seconds spent after it, and the objective."""
        if spent >= det_budget or current <= done:
            return spent, current
        units = min((det_budget - spent) * COST, most)
        improved, units = polish(TimeBudget(units, self.budget.deadline), full)
        spent += units / COST
        if not improved:
            return spent, current
        self.polished += 1
        return spent, self._improved(current)

    def _improved(self, current: float) -> float:
        """The objective after an improving step, announced if it is lower."""
        value = self._objective()
        if value < current and self.on_improve is not None:
            self.on_improve(value)
        return value

    def _objective(self) -> float:
        """The phase's objective of the current plan."""
        if self.phase == "splits":
            return float(self.search.splits)
        return evaluate(self.search.p, self.search.waves)[self.phase]
