"""Greedy list scheduling: a fast first plan, a CP-SAT hint, and a baseline to report.

Wave-oriented list scheduling (the classic SALBP station-oriented rule): open wave 1,
repeatedly put the highest-priority task whose predecessors are placed and that
still fits, and open the next wave when nothing fits. Same-wave groups move as one
unit. A few priority rules are tried and the lexicographically best plan is kept,
because no single rule dominates across instances.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from solvers.wave_bounds import WaveBounds
from solvers.waves import GreedyResult, WaveProblem, evaluate, violations


class _Groups:
    """Same-wave groups (union-find) with merged demand, windows and precedence arcs."""

    def __init__(self, problem: WaveProblem, bounds: WaveBounds) -> None:
        n = problem.n_tasks
        parent = list(range(n))

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b in problem.same_wave:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
        roots = sorted({find(t) for t in range(n)})
        index = {r: i for i, r in enumerate(roots)}
        self.of = [index[find(t)] for t in range(n)]
        g = len(roots)
        self.members: list[list[int]] = [[] for _ in range(g)]
        for t in range(n):
            self.members[self.of[t]].append(t)
        k = len(problem.resources)
        self.demand = [[sum(problem.demand[t][r] for t in ms) for r in range(k)] for ms in self.members]
        win = bounds.windows(problem.max_waves)
        self.ok = win is not None
        lo, hi = win if win is not None else ([1] * n, [problem.max_waves] * n)
        self.lo = [max(lo[t] for t in ms) for ms in self.members]
        self.hi = [min(hi[t] for t in ms) for ms in self.members]
        self.banned = [set().union(*(bounds.forbidden[t] for t in ms)) for ms in self.members]
        self.preds: list[list[tuple[int, int]]] = [[] for _ in range(g)]
        self.succs: list[list[int]] = [[] for _ in range(g)]
        for a, b, lag in bounds.cl.arcs:
            ga, gb = self.of[a], self.of[b]
            if ga == gb:
                if lag:
                    self.ok = False  # strictly before a task it must share a wave with
                continue
            self.preds[gb].append((ga, lag))
            self.succs[ga].append(gb)
        # Sizes normalised by mean capacity, so several resources add up to one priority.
        mean_cap = [sum(row[r] for row in problem.capacity) / problem.max_waves for r in range(k)]
        self.size = [sum(d[r] / mean_cap[r] for r in range(k) if mean_cap[r] > 0) for d in self.demand]
        desc = [set() for _ in range(g)]
        for t in range(n):
            desc[self.of[t]].update(self.of[u] for u in bounds.cl.desc[t])
        for i in range(g):
            desc[i].discard(i)
        self.desc = desc


def _schedule(problem: WaveProblem, gr: _Groups, key: Callable[[int], float]) -> list[int] | None:
    """One wave-oriented list-scheduling pass; None if tasks remain after max_waves."""
    ng = len(gr.members)
    wave_of = [0] * ng
    left = ng
    waiting = [len(gr.preds[i]) for i in range(ng)]
    available = {i for i in range(ng) if waiting[i] == 0}
    for w in range(1, problem.max_waves + 1):
        room = list(problem.capacity[w - 1])
        placed_now: set[int] = set()
        while True:
            best, best_key = -1, (0, 0.0)
            for i in available:
                if not gr.lo[i] <= w <= gr.hi[i] or w in gr.banned[i]:
                    continue
                if any(lag and wave_of[p] == w for p, lag in gr.preds[i]):
                    continue
                if any(d > c for d, c in zip(gr.demand[i], room)):
                    continue
                # Tasks whose window closes now go first, then the rule's priority; index breaks ties.
                k = (0 if gr.hi[i] <= w else 1, -key(i))
                if best < 0 or k < best_key or (k == best_key and i < best):
                    best, best_key = i, k
            if best < 0:
                break
            wave_of[best] = w
            placed_now.add(best)
            room = [c - d for c, d in zip(room, gr.demand[best])]
            available.discard(best)
            left -= 1
            for s in gr.succs[best]:
                waiting[s] -= 1
                if waiting[s] == 0:
                    available.add(s)
        if left == 0:
            return [wave_of[gr.of[t]] for t in range(problem.n_tasks)]
        if any(gr.hi[i] <= w for i in available) or any(gr.hi[i] <= w and wave_of[i] == 0 for i in range(ng)):
            return None  # a deadline was missed; later waves cannot repair it
    return None


def _rules(gr: _Groups, seed: int, tries: int) -> list[Callable[[int], float]]:
    """Priority rules: positional weight, successors, size, latest wave, and perturbed variants."""
    pw = [gr.size[i] + sum(gr.size[j] for j in gr.desc[i]) for i in range(len(gr.members))]
    nd = [len(gr.desc[i]) for i in range(len(gr.members))]
    big = max(pw, default=1.0) + 1.0
    rules: list[Callable[[int], float]] = [
        lambda i: pw[i],
        lambda i: gr.size[i] * big + pw[i],
        lambda i: nd[i] * big + gr.size[i],
        lambda i: -gr.hi[i] * big * big + pw[i],
        lambda i: pw[i] + gr.size[i] * nd[i],
    ]
    rng = random.Random(seed)
    for _ in range(tries):
        noise = [1.0 + 0.3 * rng.random() for _ in pw]
        alpha = rng.random()
        rules.append(lambda i, noise=noise, alpha=alpha: noise[i] * (alpha * pw[i] + (1 - alpha) * gr.size[i] * big / 4))
    return rules


def greedy(problem: WaveProblem, *, seed: int = 0, tries: int = 12, bounds: WaveBounds | None = None) -> GreedyResult:
    """Best plan over a handful of priority rules; `waves == ()` if none fits in max_waves."""
    start = time.perf_counter()
    bounds = bounds or WaveBounds(problem)
    gr = _Groups(problem, bounds)
    best: list[int] | None = None
    best_obj: tuple[float, ...] = ()
    if gr.ok:
        for rule in _rules(gr, seed, tries):
            plan = _schedule(problem, gr, rule)
            if plan is None or violations(problem, plan):
                continue
            obj = tuple(evaluate(problem, plan).values())
            if best is None or obj < best_obj:
                best, best_obj = plan, obj
    waves: Sequence[int] = tuple(best) if best is not None else ()
    return GreedyResult(tuple(waves), evaluate(problem, waves), time.perf_counter() - start)
