"""Greedy list scheduling: a fast first plan, a CP-SAT hint, and a baseline to report.

Wave-oriented list scheduling (the classic SALBP station-oriented rule): open wave 1,
repeatedly put the highest-priority task whose predecessors are placed and that
still fits, and open the next wave when nothing fits. Same-wave groups move as one
unit. A few priority rules are tried and the lexicographically best plan is kept,
because no single rule dominates across instances.
"""

from __future__ import annotations

import dataclasses
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
        self.mean_cap = mean_cap
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


def _fill(
    gr: _Groups, w: int, room: list[int], wave_of: list[int], available: set[int], waiting: list[int],
    pos: list[int], node_limit: int,
) -> list[int]:
    """Hoffmann-style wave filling: the most loaded set of placeable groups found within a node budget.

    Groups are tried in a topological order (`pos`), only ever increasing, so every
    subset closed under precedence is enumerated once; successors freed inside the
    wave join the candidates. The first set found wins ties, so priority order matters.
    """
    best: list[int] = []
    best_load = -1.0
    nodes = 0
    full = sum(min(1.0, c / m) for c, m in zip(room, gr.mean_cap) if m > 0) - 1e-9  # a perfectly filled wave
    chosen: list[int] = []
    in_wave: set[int] = set()
    wait = waiting  # mutated and restored during the search

    def allowed(i: int) -> bool:
        """Window and blackouts allow wave w, and no strict predecessor sits in this wave."""
        if not gr.lo[i] <= w <= gr.hi[i] or w in gr.banned[i]:
            return False
        return not any(lag and p in in_wave for p, lag in gr.preds[i])

    def fits(i: int, rm: list[int]) -> bool:
        return all(d <= c for d, c in zip(gr.demand[i], rm))

    def dfs(cands: list[int], rm: list[int], load: float) -> None:
        # cands: allowed groups that fit `rm`, in increasing topological position.
        nonlocal best, best_load, nodes
        nodes += 1
        if load > best_load + 1e-12:
            best, best_load = list(chosen), load
        if nodes >= node_limit or best_load >= full:
            return
        if load + sum(gr.size[i] for i in cands) <= best_load + 1e-12:
            return
        for idx, i in enumerate(cands):
            if nodes >= node_limit or best_load >= full:
                return
            chosen.append(i)
            in_wave.add(i)
            rm2 = [c - d for c, d in zip(rm, gr.demand[i])]
            freed = []
            for s in gr.succs[i]:
                wait[s] -= 1
                if wait[s] == 0 and allowed(s) and fits(s, rm2):
                    freed.append(s)
            child = [c for c in cands[idx + 1 :] if fits(c, rm2)]
            if freed:
                child = sorted(child + freed, key=pos.__getitem__)
            dfs(child, rm2, load + gr.size[i])
            for s in gr.succs[i]:
                wait[s] += 1
            in_wave.discard(i)
            chosen.pop()

    start = [c for c in available if allowed(c) and fits(c, room)]
    dfs(sorted(start, key=pos.__getitem__), list(room), 0.0)
    return best


def _schedule_fill(problem: WaveProblem, gr: _Groups, key: Callable[[int], float], node_limit: int) -> list[int] | None:
    """Wave-oriented scheduling where each wave takes the best-filled set `_fill` finds."""
    ng = len(gr.members)
    # Topological positions, ties broken by priority (higher first).
    indeg = [len(gr.preds[i]) for i in range(ng)]
    ready = [i for i in range(ng) if indeg[i] == 0]
    pos = [0] * ng
    k = 0
    while ready:
        ready.sort(key=lambda i: (-key(i), i))
        i = ready.pop(0)
        pos[i] = k
        k += 1
        for s in gr.succs[i]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    if k < ng:
        return None  # precedence cycle
    wave_of = [0] * ng
    waiting = [len(gr.preds[i]) for i in range(ng)]
    available = {i for i in range(ng) if waiting[i] == 0}
    left = ng
    for w in range(1, problem.max_waves + 1):
        chosen = _fill(gr, w, list(problem.capacity[w - 1]), wave_of, available, waiting, pos, node_limit)
        for i in sorted(chosen, key=lambda c: pos[c]):
            wave_of[i] = w
            available.discard(i)
            left -= 1
            for s in gr.succs[i]:
                waiting[s] -= 1
                if waiting[s] == 0:
                    available.add(s)
        if left == 0:
            return [wave_of[gr.of[t]] for t in range(problem.n_tasks)]
        if any(gr.hi[i] <= w and wave_of[i] == 0 for i in range(ng)):
            return None
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


def _reversible(problem: WaveProblem) -> bool:
    """True when mirroring wave numbers maps plans to plans (uniform capacity, no unary rules, no objectives tied to waves)."""
    return (
        not problem.earliest and not problem.latest and not problem.pins and not problem.forbidden
        and not any(problem.previous) and all(row == problem.capacity[0] for row in problem.capacity)
    )


def greedy(
    problem: WaveProblem, *, seed: int = 0, tries: int = 12, bounds: WaveBounds | None = None, fill_nodes: int = 400,
    fill_rules: int = 17,
) -> GreedyResult:
    """Best plan over a handful of priority rules; `waves == ()` if none fits in max_waves.

    Plain list scheduling is tried with every rule; the Hoffmann-style filling (slower,
    usually one wave better on tight instances) with the first two rules.
    """
    start = time.perf_counter()
    if problem.n_tasks > 2000:
        fill_rules = min(fill_rules, 2)  # keep the greedy well under a second on big inventories
    bounds = bounds or WaveBounds(problem)
    gr = _Groups(problem, bounds)
    best: list[int] | None = None
    best_obj: tuple[float, ...] = ()
    if gr.ok:
        rules = _rules(gr, seed, tries)
        plans = [_schedule(problem, gr, rule) for rule in rules]
        if fill_nodes > 0 and not problem.latest and not problem.pins:
            plans += [_schedule_fill(problem, gr, rule, fill_nodes) for rule in rules[:fill_rules]]
        for plan in plans:
            if plan is None or violations(problem, plan):
                continue
            obj = tuple(evaluate(problem, plan).values())
            if best is None or obj < best_obj:
                best, best_obj = plan, obj
    if fill_nodes > 0 and _reversible(problem):
        # Filling from the last wave backwards (reversed precedence) often packs tight instances
        # better; it is only valid when no unary rule or capacity profile ties tasks to wave numbers.
        back = dataclasses.replace(
            problem,
            before_or_same=tuple((b, a) for a, b in problem.before_or_same),
            strictly_before=tuple((b, a) for a, b in problem.strictly_before),
        )
        bgr = _Groups(back, WaveBounds(back))
        if bgr.ok:
            for rule in _rules(bgr, seed, tries)[:fill_rules]:
                plan = _schedule_fill(back, bgr, rule, fill_nodes)
                if plan is None:
                    continue
                top = max(plan)
                plan = [top + 1 - w for w in plan]
                if violations(problem, plan):
                    continue
                obj = tuple(evaluate(problem, plan).values())
                if best is None or obj < best_obj:
                    best, best_obj = plan, obj
    waves: Sequence[int] = tuple(best) if best is not None else ()
    return GreedyResult(tuple(waves), evaluate(problem, waves), time.perf_counter() - start)
