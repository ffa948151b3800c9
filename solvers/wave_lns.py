"""Large-neighbourhood search for the splits and downtime phases on big instances.

With a thousand tasks and two thousand soft pairs, the full model of the splits phase
has some 50,000 variables and 200,000 clauses; CP-SAT spends most of a minute in
presolve and in completing the hint before its own LNS starts. Here the incumbent
stays fixed except for a small neighbourhood of tasks (soft partners of a split pair,
plus tasks sharing their waves so there is room to swap), and a small CP-SAT model
re-places only those tasks against the capacity the fixed ones leave. Each sub-solve
takes a fraction of a second, and an improvement is accepted only if it is strictly
better, so the plan never gets worse and every plan it returns satisfies every hard rule
(windows, blackouts, pins, precedence with fixed and free tasks, capacity, the horizon).

The downtime phase works the same way: it frees tasks of a peak-downtime wave and of
quiet waves, and re-places them to lower the peak (or the number of waves at the peak)
while the split weight they touch may not grow, so the splits phase's result holds. The
"moved" phase of a re-plan frees tasks that left their previous wave, with the tasks of
those waves, and puts as many back as fit, with neither more splits nor a higher peak.

Deterministic for a given seed: one CP-SAT worker per sub-solve, limited by
deterministic time; the neighbourhoods come from a seeded random generator.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solvers import cpsat
from solvers.wave_bounds import arcs_of
from solvers.waves import WaveProblem

#: Deterministic seconds charged per freed task of a sub-model on top of CP-SAT's own
#: count: building the model in Python and CP-SAT's presolve take about 0.0006 wall
#: seconds per task (0.017 s at 50 tasks, 0.06 s at 90), which its deterministic clock
#: does not see; hundreds of quick sub-solves would otherwise overrun the phase's wall
#: time and end on the wall-clock limit, which is not reproducible.
_COST_PER_TASK = 0.0005

#: The downtime and moved searches stop after this many sub-models in a row without a better plan: on
#: instances whose waves are full to capacity no swap lowers the peak (plan-scale size 1:
#: 0 improvements in 265 sub-models), and the time is better returned to the user.
_DOWNTIME_STALL = 60


@dataclass(frozen=True)
class LnsOutcome:
    """The improved plan, its split weight, peak downtime and moved count, and what the search spent."""

    waves: tuple[int, ...]
    splits: int
    downtime: int
    moved: int
    det_time: float
    iterations: int
    improvements: int
    wall_capped: bool


def split_weight(problem: WaveProblem, waves: Sequence[int]) -> int:
    """Summed weight of soft pairs whose tasks sit in different waves."""
    return sum(weight for a, b, weight in problem.soft if waves[a] != waves[b])


def peak_downtime(problem: WaveProblem, waves: Sequence[int]) -> int:
    """The largest summed downtime weight of any wave (the downtime objective)."""
    load: dict[int, int] = {}
    for t, w in enumerate(waves):
        load[w] = load.get(w, 0) + (problem.downtime_weight[t] if problem.downtime_weight else 0)
    return max(load.values(), default=0)


def moved_count(problem: WaveProblem, waves: Sequence[int]) -> int:
    """Tasks with a previous wave that are not in it (the "moved" objective)."""
    return sum(1 for t, p in enumerate(problem.previous) if p > 0 and waves[t] != p)


def moved_bound(problem: WaveProblem, lo: Sequence[int], hi: Sequence[int],
                banned: Sequence[set[int]]) -> int:
    """A lower bound on the moved count: tasks whose previous wave is outside their window
    (or banned) must move."""
    return sum(1 for t, p in enumerate(problem.previous)
               if p > 0 and not (lo[t] <= p <= hi[t] and p not in banned[t]))


def downtime_bound(problem: WaveProblem, horizon: int) -> int:
    """A lower bound on the peak downtime in waves 1..horizon: the total spread evenly, or
    the largest single task."""
    weights = problem.downtime_weight or (0,)
    return max(-(-sum(weights) // max(1, horizon)), max(weights))


class _Search:
    """State of one LNS run: the incumbent, wave loads, and the lookups neighbourhoods need."""

    def __init__(self, problem: WaveProblem, waves: Sequence[int], lo: Sequence[int], hi: Sequence[int],
                 banned: Sequence[set[int]], horizon: int) -> None:
        self.p = problem
        self.waves = list(waves)
        self.lo, self.hi, self.banned, self.horizon = lo, hi, banned, horizon
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
        self.soft_of: list[list[tuple[int, int]]] = [[] for _ in range(n)]  # (partner, summed weight)
        for (a, b), weight in sorted(pair_weight.items()):
            self.soft_of[a].append((b, weight))
            self.soft_of[b].append((a, weight))
        self.in_wave: list[set[int]] = [set() for _ in range(horizon + 1)]
        for t, w in enumerate(self.waves):
            self.in_wave[w].add(t)
        self.dt = list(problem.downtime_weight) if problem.downtime_weight else [0] * n
        self.dt_load = [0] * (horizon + 1)
        for t, w in enumerate(self.waves):
            self.dt_load[w] += self.dt[t]

    def neighbourhood(self, rng: random.Random, size: int) -> list[int]:
        """A split pair's soft-connected tasks plus tasks of the waves they sit in (room to swap)."""
        split = [(a, b) for a, b, _ in self.p.soft if self.waves[a] != self.waves[b]]
        if not split:
            return []
        a, b = split[rng.randrange(len(split))]
        free: set[int] = set()
        frontier = [a, b]
        while frontier and len(free) < size // 2:
            t = frontier.pop(rng.randrange(len(frontier)))
            if t in free:
                continue
            free.add(t)
            frontier.extend(u for u, _ in self.soft_of[t] if u not in free)
        waves = sorted({self.waves[t] for t in free})
        pool = sorted(set().union(*(self.in_wave[w] for w in waves)) - free)
        rng.shuffle(pool)
        free.update(pool[: max(0, size - len(free))])
        return sorted(free)

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
        quiet = sorted(range(1, self.horizon + 1), key=lambda u: (self.dt_load[u], u))[: max(2, self.horizon // 3)]
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

    def resolve(self, free: list[int], det_limit: float, wall_limit: float, seed: int) -> tuple[bool, float]:
        """Re-place the free tasks optimally for the splits they touch; True if the plan improved."""
        sub = self._sub_model(free)
        if sub is None:
            return False, 0.0
        model, x, wave, terms, before = sub
        model.minimize(sum(terms))
        return self._solve(model, wave, free, before, det_limit, wall_limit, seed)

    def resolve_downtime(self, free: list[int], det_limit: float, wall_limit: float,
                         seed: int) -> tuple[bool, float]:
        """Re-place the free tasks to lower the peak downtime, then the number of waves at the
        peak, without splitting more; True if the plan improved."""
        sub = self._kept_splits(free)
        if sub is None:
            return False, 0.0
        model, x, wave = sub
        peak = max(self.dt_load[1:])
        loads = self._downtime_in(free, x)
        touched = sorted(loads)
        others = max((self.dt_load[w] for w in range(1, self.horizon + 1) if w not in loads), default=0)
        new_peak = model.new_int_var(others, peak, "")
        at_peak = []
        for w, (fixed, users) in loads.items():
            load = fixed + sum(d * lit for d, lit in users)
            model.add(new_peak >= load)
            hot = model.new_bool_var("")
            model.add(load <= peak - 1).only_enforce_if(hot.Not())
            at_peak.append(hot)
        scale = len(touched) + 1
        model.minimize(scale * new_peak + sum(at_peak))
        before = scale * peak + sum(1 for w in touched if self.dt_load[w] >= peak)
        return self._solve(model, wave, free, before, det_limit, wall_limit, seed)

    def resolve_moved(self, free: list[int], det_limit: float, wall_limit: float,
                      seed: int) -> tuple[bool, float]:
        """Return free tasks to their previous waves where they fit, without more splits and
        without raising the peak downtime; True if the plan improved."""
        sub = self._kept_splits(free)
        if sub is None:
            return False, 0.0
        model, x, wave = sub
        peak = max(self.dt_load[1:])
        for fixed, users in self._downtime_in(free, x).values():
            if users and fixed + sum(d for d, _ in users) > peak:
                model.add(fixed + sum(d * lit for d, lit in users) <= peak)
        previous = self.p.previous
        away: list[cp_model.LinearExprT] = []
        before = 0
        for t in free:
            p = previous[t]
            if p > 0:
                before += self.waves[t] != p
                away.append(1 - x[t][p] if p in x[t] else 1)
        model.minimize(sum(away))
        return self._solve(model, wave, free, before, det_limit, wall_limit, seed)

    def _kept_splits(self, free: list[int]) -> tuple[cp_model.CpModel, dict[int, dict[int, cp_model.IntVar]],
                                                    dict[int, cp_model.IntVar]] | None:
        """The sub-model of the phases after splits: it may not split more than the incumbent."""
        sub = self._sub_model(free)
        if sub is None:
            return None
        model, x, wave, terms, before = sub
        model.add(sum(terms) <= before)
        return model, x, wave

    def _downtime_in(self, free: list[int], x: dict[int, dict[int, cp_model.IntVar]]
                     ) -> dict[int, tuple[int, list[tuple[int, cp_model.IntVar]]]]:
        """Per wave a free task may take: the downtime of the tasks that stay, and the
        (downtime, literal) pairs of the free tasks with downtime."""
        fs = set(free)
        return {w: (self.dt_load[w] - sum(self.dt[t] for t in self.in_wave[w] & fs),
                    [(self.dt[t], x[t][w]) for t in free if w in x[t] and self.dt[t]])
                for w in sorted({w for t in free for w in x[t]})}

    def _sub_model(self, free: list[int]) -> tuple[cp_model.CpModel, dict[int, dict[int, cp_model.IntVar]],
                                                  dict[int, cp_model.IntVar], list[cp_model.LinearExprT],
                                                  int] | None:
        """The free tasks' model against the fixed rest: windows, capacity, precedence, and the
        split terms they touch (with their current weight); None if the incumbent does not fit."""
        p = self.p
        fs = set(free)
        k = len(p.resources)
        model = cp_model.CpModel()
        x: dict[int, dict[int, cp_model.IntVar]] = {}
        wave: dict[int, cp_model.IntVar] = {}
        for t in free:
            lo, hi = self.lo[t], self.hi[t]
            for a, lag in self.preds[t]:
                if a not in fs:
                    lo = max(lo, self.waves[a] + lag)
            for b, lag in self.succs[t]:
                if b not in fs:
                    hi = min(hi, self.waves[b] - lag)
            allowed = [w for w in range(lo, hi + 1) if w not in self.banned[t]]
            if self.waves[t] not in allowed:  # cannot happen for a feasible incumbent; stay safe
                return None
            x[t] = {w: model.new_bool_var("") for w in allowed}
            model.add_exactly_one(x[t].values())
            wave[t] = model.new_int_var(allowed[0], allowed[-1], "")
            model.add(wave[t] == sum(w * b for w, b in x[t].items()))
        # Capacity left by the fixed tasks.
        for w in range(1, self.horizon + 1):
            for r in range(k):
                usage = [(p.demand[t][r], x[t][w]) for t in free if w in x[t] and p.demand[t][r]]
                if not usage:
                    continue
                fixed = self.load[w][r] - sum(p.demand[t][r] for t in free if self.waves[t] == w)
                room = p.capacity[w - 1][r] - fixed
                if sum(d for d, _ in usage) > room:
                    model.add(sum(d * b for d, b in usage) <= room)
        # Precedence among free tasks.
        for t in free:
            for b, lag in self.succs[t]:
                if b in fs:
                    model.add(wave[b] >= wave[t] + lag)
        # Splits touching the free tasks (pairs with both ends fixed cannot change).
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
                    s = model.new_bool_var("")
                    model.add(wave[t] == wave[u]).only_enforce_if(s.Not())
                    for w in set(x[t]) | set(x[u]):
                        xt, xu = x[t].get(w, 0), x[u].get(w, 0)
                        model.add(s >= xt - xu)
                    terms.append(weight * s)
                else:
                    w = self.waves[u]
                    terms.append(weight * (1 - x[t][w]) if w in x[t] else weight)
        for t in free:
            for w, lit in x[t].items():
                model.add_hint(lit, w == self.waves[t])
            model.add_hint(wave[t], self.waves[t])
        return model, x, wave, terms, before

    def _solve(self, model: cp_model.CpModel, wave: dict[int, cp_model.IntVar], free: list[int],
               before: float, det_limit: float, wall_limit: float, seed: int) -> tuple[bool, float]:
        """Solve a sub-model; apply its placement only if its objective beats `before`."""
        p, k = self.p, len(self.p.resources)
        solver = cp_model.CpSolver()
        prm = solver.parameters
        prm.num_workers = 1
        prm.random_seed = seed
        prm.max_deterministic_time = det_limit
        prm.max_time_in_seconds = max(0.01, wall_limit)
        status = cpsat.run(solver, model)
        spent = solver.deterministic_time
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE) or solver.objective_value >= before - 1e-9:
            return False, spent
        for t in free:
            new = int(solver.value(wave[t]))
            old = self.waves[t]
            if new != old:
                for r in range(k):
                    self.load[old][r] -= p.demand[t][r]
                    self.load[new][r] += p.demand[t][r]
                self.dt_load[old] -= self.dt[t]
                self.dt_load[new] += self.dt[t]
                self.in_wave[old].discard(t)
                self.in_wave[new].add(t)
                self.waves[t] = new
        return True, spent


def improve(
    phase: str,
    problem: WaveProblem,
    waves: Sequence[int],
    lo: Sequence[int],
    hi: Sequence[int],
    banned: Sequence[set[int]],
    *,
    horizon: int,
    det_budget: float,
    wall_deadline: float,
    seed: int = 0,
    on_improve: Callable[[int], None] | None = None,
) -> LnsOutcome:
    """Improve a feasible plan within waves 1..horizon (windows lo/hi, banned waves) for one phase.

    "splits": lower the split weight. "downtime": lower the peak downtime without splitting
    more; stops early at `downtime_bound`. "moved": return tasks of a re-plan to their
    previous waves, never splitting more or raising the peak; stops early at `moved_bound`.
    `det_budget` is in CP-SAT deterministic seconds (the reproducible budget);
    `wall_deadline` is a `time.perf_counter()` instant the search never runs past.
    """
    search = _Search(problem, waves, lo, hi, banned, horizon)
    if phase == "splits":
        return _run(search, search.neighbourhood, search.resolve, lambda: split_weight(problem, search.waves),
                    done=0, det_budget=det_budget, wall_deadline=wall_deadline, seed=seed, on_improve=on_improve)
    if phase == "downtime":
        return _run(search, search.downtime_neighbourhood, search.resolve_downtime,
                    lambda: peak_downtime(problem, search.waves), done=downtime_bound(problem, horizon),
                    det_budget=det_budget, wall_deadline=wall_deadline, seed=seed, on_improve=on_improve,
                    stall=_DOWNTIME_STALL)
    if phase == "moved":
        return _run(search, search.moved_neighbourhood, search.resolve_moved,
                    lambda: moved_count(problem, search.waves), done=moved_bound(problem, lo, hi, banned),
                    det_budget=det_budget, wall_deadline=wall_deadline, seed=seed, on_improve=on_improve,
                    stall=_DOWNTIME_STALL)
    raise ValueError(f"no LNS for phase {phase!r}")


def _run(
    search: _Search,
    neighbourhood: Callable[[random.Random, int], list[int]],
    resolve: Callable[[list[int], float, float, int], tuple[bool, float]],
    objective: Callable[[], int],
    *,
    done: int,
    det_budget: float,
    wall_deadline: float,
    seed: int,
    on_improve: Callable[[int], None] | None,
    stall: int | None = None,
) -> LnsOutcome:
    """The LNS loop: free a neighbourhood, re-solve it, keep strict improvements, until the
    budget is spent, the objective reaches `done` (a lower bound), or `stall` sub-models in
    a row brought nothing."""
    problem = search.p
    rng = random.Random(seed)
    size = min(problem.n_tasks, 60)
    spent = 0.0
    iterations = improvements = 0
    wall_capped = False
    current = objective()
    idle = 0
    while spent < det_budget and current > done and (stall is None or idle < stall):
        if time.perf_counter() >= wall_deadline - 0.05:
            wall_capped = True
            break
        if cpsat.stop_requested():  # the user stopped the search: keep what we have
            break
        free = neighbourhood(rng, size)
        if not free:
            break
        step = min(0.3, det_budget - spent)
        improved, used = resolve(free, step, wall_deadline - time.perf_counter(), seed + iterations)
        spent += used + _COST_PER_TASK * len(free)
        iterations += 1
        # Grow the neighbourhood while sub-solves are cheap, shrink it when they hit their limit.
        if used < 0.2 * step:
            size = min(problem.n_tasks, size + 10)
        elif used >= 0.95 * step:
            size = max(20, size - 10)
        idle = 0 if improved else idle + 1
        if improved:
            improvements += 1
            value = objective()
            if value < current and on_improve is not None:
                on_improve(value)
            current = value
    return LnsOutcome(tuple(search.waves), split_weight(problem, search.waves),
                      peak_downtime(problem, search.waves), moved_count(problem, search.waves), spent,
                      iterations, improvements, wall_capped)
