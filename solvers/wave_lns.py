"""Large-neighbourhood search for the splits phase on big instances.

With a thousand tasks and two thousand soft pairs, the full model of the splits phase
has some 50,000 variables and 200,000 clauses; CP-SAT spends most of a minute in
presolve and in completing the hint before its own LNS starts. Here the incumbent
stays fixed except for a small neighbourhood of tasks (soft partners of a split pair,
plus tasks sharing their waves so there is room to swap), and a small CP-SAT model
re-places only those tasks against the capacity the fixed ones leave. Each sub-solve
takes a fraction of a second, and an improvement is accepted only if it is strictly
better, so the plan never gets worse and every plan it returns satisfies every hard rule
(windows, blackouts, pins, precedence with fixed and free tasks, capacity, the horizon).

Deterministic for a given seed: one CP-SAT worker per sub-solve, limited by
deterministic time; the neighbourhoods come from a seeded random generator.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solvers.wave_bounds import arcs_of
from solvers.waves import WaveProblem


@dataclass(frozen=True)
class LnsOutcome:
    """The improved plan, its split weight, and what the search spent."""

    waves: tuple[int, ...]
    splits: int
    det_time: float
    iterations: int
    improvements: int
    wall_capped: bool


def split_weight(problem: WaveProblem, waves: Sequence[int]) -> int:
    """Summed weight of soft pairs whose tasks sit in different waves."""
    return sum(weight for a, b, weight in problem.soft if waves[a] != waves[b])


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

    def resolve(self, free: list[int], det_limit: float, wall_limit: float, seed: int) -> tuple[bool, float]:
        """Re-place the free tasks optimally for the splits they touch; True if the plan improved."""
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
                return False, 0.0
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
        model.minimize(sum(terms))
        for t in free:
            for w, lit in x[t].items():
                model.add_hint(lit, w == self.waves[t])
            model.add_hint(wave[t], self.waves[t])
        solver = cp_model.CpSolver()
        prm = solver.parameters
        prm.num_workers = 1
        prm.random_seed = seed
        prm.max_deterministic_time = det_limit
        prm.max_time_in_seconds = max(0.01, wall_limit)
        status = solver.solve(model)
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
                self.in_wave[old].discard(t)
                self.in_wave[new].add(t)
                self.waves[t] = new
        return True, spent


def improve_splits(
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
    """Lower the split weight of a feasible plan within waves 1..horizon (windows lo/hi, banned waves).

    `det_budget` is in CP-SAT deterministic seconds (the reproducible budget);
    `wall_deadline` is a `time.perf_counter()` instant the search never runs past.
    """
    search = _Search(problem, waves, lo, hi, banned, horizon)
    rng = random.Random(seed)
    size = min(problem.n_tasks, 60)
    spent = 0.0
    iterations = improvements = 0
    wall_capped = False
    current = split_weight(problem, search.waves)
    while spent < det_budget and current > 0:
        if time.perf_counter() >= wall_deadline - 0.05:
            wall_capped = True
            break
        free = search.neighbourhood(rng, size)
        if not free:
            break
        step = min(0.3, det_budget - spent)
        improved, used = search.resolve(free, step, wall_deadline - time.perf_counter(), seed + iterations)
        spent += used
        iterations += 1
        # Grow the neighbourhood while sub-solves are cheap, shrink it when they hit their limit.
        if used < 0.2 * step:
            size = min(problem.n_tasks, size + 10)
        elif used >= 0.95 * step:
            size = max(20, size - 10)
        if improved:
            improvements += 1
            current = split_weight(problem, search.waves)
            if on_improve is not None:
                on_improve(current)
    return LnsOutcome(tuple(search.waves), current, spent, iterations, improvements, wall_capped)
