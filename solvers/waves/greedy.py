"""Greedy list scheduling: a fast first plan, a CP-SAT hint, and a baseline to report.

Wave-oriented list scheduling (the classic SALBP station-oriented rule): open wave 1,
repeatedly put the highest-priority task whose predecessors are placed and that
still fits, and open the next wave when nothing fits. Same-wave groups move as one
unit. A few priority rules are tried and the lexicographically best plan is kept,
because no single rule dominates across instances.
"""

from __future__ import annotations

import dataclasses
import heapq
import random
import time
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet

from solvers.waves.bounds import WaveBounds
from solvers.waves.problem import GreedyResult, WaveProblem, evaluate, violations

# From this many tasks on, the greedy tries fewer rules (see `greedy`).
_NATIONAL = 5000


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
        self.demand = [
            [sum(problem.demand[t][r] for t in ms) for r in range(k)] for ms in self.members
        ]
        win = bounds.windows(problem.max_waves)
        self.ok = win is not None
        lo, hi = win if win is not None else ([1] * n, [problem.max_waves] * n)
        self.lo = [max(lo[t] for t in ms) for ms in self.members]
        self.hi = [min(hi[t] for t in ms) for ms in self.members]
        self.banned = [set().union(*(bounds.forbidden[t] for t in ms)) for ms in self.members]
        self.preds: list[list[tuple[int, int]]] = [[] for _ in range(g)]
        self.strict: list[list[int]] = [[] for _ in range(g)]  # predecessors with lag 1
        self.succs: list[list[int]] = [[] for _ in range(g)]
        for a, b, lag in bounds.cl.arcs:
            ga, gb = self.of[a], self.of[b]
            if ga == gb:
                if lag:
                    self.ok = False  # strictly before a task it must share a wave with
                continue
            self.preds[gb].append((ga, lag))
            self.succs[ga].append(gb)
            if lag:
                self.strict[gb].append(ga)
        # Sizes normalised by mean capacity, so several resources add up to one priority.
        mean_cap = [sum(row[r] for row in problem.capacity) / problem.max_waves for r in range(k)]
        self.mean_cap = mean_cap
        self.size = [
            sum(d[r] / mean_cap[r] for r in range(k) if mean_cap[r] > 0) for d in self.demand
        ]
        self.desc: Sequence[AbstractSet[int]]
        if g == n:  # no same-wave group: the closure's sets are the groups' (built once)
            self.desc = bounds.cl.desc
            return
        desc: list[set[int]] = [set() for _ in range(g)]
        for t in range(n):
            desc[self.of[t]].update(self.of[u] for u in bounds.cl.desc[t])
        for i in range(g):
            desc[i].discard(i)
        self.desc = desc


def _schedule(problem: WaveProblem, gr: _Groups, key: Callable[[int], float]) -> list[int] | None:
    """One wave-oriented list-scheduling pass; None if tasks remain after max_waves.

    Within a wave, room only shrinks and the set of strict predecessors placed in it
    only grows, so a group that does not fit now will not fit later in the same wave:
    one pass over a heap in priority order finds, each time, the best group that fits.
    """
    ng = len(gr.members)
    prio = [key(i) for i in range(ng)]  # rules are pure: evaluate each once
    wave_of = [0] * ng
    left = ng
    waiting = [len(gr.preds[i]) for i in range(ng)]
    available = [i for i in range(ng) if waiting[i] == 0]
    # Unplaced groups per last allowed wave, so a missed deadline is found without a scan.
    due = [0] * (problem.max_waves + 2)
    for i in range(ng):
        due[min(max(gr.hi[i], 0), problem.max_waves + 1)] += 1
    overdue = 0
    for w in range(1, problem.max_waves + 1):
        overdue += due[w] + (due[0] if w == 1 else 0)
        room = list(problem.capacity[w - 1])
        # Groups whose window closes now go first, then the rule's priority; index breaks ties.
        heap = [(0 if gr.hi[i] <= w else 1, -prio[i], i) for i in available]
        heapq.heapify(heap)
        later: list[int] = []
        while heap:
            _, _, i = heapq.heappop(heap)
            if (
                not gr.lo[i] <= w <= gr.hi[i]
                or w in gr.banned[i]
                or any(d > c for d, c in zip(gr.demand[i], room))
                or any(wave_of[p] == w for p in gr.strict[i])
            ):
                later.append(i)
                continue
            wave_of[i] = w
            room = [c - d for c, d in zip(room, gr.demand[i])]
            left -= 1
            if gr.hi[i] <= w:
                overdue -= 1
            due[min(max(gr.hi[i], 0), problem.max_waves + 1)] -= 1
            for s in gr.succs[i]:
                waiting[s] -= 1
                if waiting[s] == 0:
                    heapq.heappush(heap, (0 if gr.hi[s] <= w else 1, -prio[s], s))
        available = later
        if left == 0:
            return [wave_of[gr.of[t]] for t in range(problem.n_tasks)]
        if overdue > 0:
            return None  # a deadline was missed; later waves cannot repair it
    return None


def _closure_order(gr: _Groups) -> list[float]:
    """Priority that finishes one dependant's prerequisites at a time (higher = earlier).

    Plain priority rules spread the early waves over the prerequisites of every
    dependant at once (e.g. the applications of all workplaces of all municipalities),
    so no dependant becomes ready until most prerequisites are done and its team idles.
    Here the dependants without successors are taken in order of the least *new*
    prerequisite work they need, and each one's missing prerequisites are queued just
    before it; dependants that need nothing new are left to fill the room that remains.
    """
    ng = len(gr.members)
    anc: list[set[int]] = [set() for _ in range(ng)]
    for i in range(ng):
        for j in gr.desc[i]:
            anc[j].add(i)
    sinks = [i for i in range(ng) if not gr.desc[i] and anc[i]]
    cost = {i: sum(gr.size[a] for a in anc[i]) for i in sinks}
    users: list[list[int]] = [[] for _ in range(ng)]
    for i in sinks:
        for a in anc[i]:
            users[a].append(i)
    # Topological rank, so a closure is queued prerequisites first.
    indeg = [len(gr.preds[i]) for i in range(ng)]
    ready = [i for i in range(ng) if indeg[i] == 0]
    topo = [0] * ng
    k = 0
    while ready:
        i = ready.pop()
        topo[i] = k
        k += 1
        for s in gr.succs[i]:
            indeg[s] -= 1
            if indeg[s] == 0:
                ready.append(s)
    queued = [False] * ng
    order: list[int] = []
    heap: list[tuple[bool, float, int]] = []

    def queue(i: int) -> None:
        if not queued[i]:
            queued[i] = True
            order.append(i)
            for u in users[i]:
                cost[u] -= gr.size[i]
                heapq.heappush(heap, (cost[u] <= 1e-9, cost[u], u))

    # Every change of a cost pushes a fresh entry, and stale ones are dropped when popped: the
    # heap picks the same dependant as a scan for the least cost would (ties by index).
    heap.extend((cost[i] <= 1e-9, cost[i], i) for i in sinks)
    heapq.heapify(heap)
    done: set[int] = set()
    while heap:
        _, c, best = heapq.heappop(heap)
        if best in done or c != cost[best]:
            continue
        if cost[best] <= 1e-9:
            break  # every remaining dependant is ready whenever its own team has room
        done.add(best)
        for a in sorted((a for a in anc[best] if not queued[a]), key=topo.__getitem__):
            queue(a)
        queue(best)
    pos = [float(ng)] * ng
    for rank, i in enumerate(order):
        pos[i] = float(rank)
    return [-p for p in pos]


def _fill(
    gr: _Groups,
    w: int,
    room: list[int],
    wave_of: list[int],
    available: set[int],
    waiting: list[int],
    pos: list[int],
    node_limit: int,
) -> list[int]:
    """Hoffmann-style wave filling: the most loaded set of placeable groups found within a node
    budget.

    Groups are tried in a topological order (`pos`), only ever increasing, so every
    subset closed under precedence is enumerated once; successors freed inside the
    wave join the candidates. The first set found wins ties, so priority order matters.
    """
    best: list[int] = []
    best_load = -1.0
    nodes = 0
    # a perfectly filled wave
    full = sum(min(1.0, c / m) for c, m in zip(room, gr.mean_cap) if m > 0) - 1e-9
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


def _schedule_fill(
    problem: WaveProblem, gr: _Groups, key: Callable[[int], float], node_limit: int
) -> list[int] | None:
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
        room = list(problem.capacity[w - 1])
        chosen = _fill(gr, w, room, wave_of, available, waiting, pos, node_limit)
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
    focus = _closure_order(gr)
    rules.append(lambda i: focus[i] * big + pw[i])
    rng = random.Random(seed)
    for _ in range(tries):
        noise = [1.0 + 0.3 * rng.random() for _ in pw]
        alpha = rng.random()

        def perturbed(i: int, noise: list[float] = noise, alpha: float = alpha) -> float:
            return noise[i] * (alpha * pw[i] + (1 - alpha) * gr.size[i] * big / 4)

        rules.append(perturbed)
    return rules


def _unwindowed(problem: WaveProblem) -> bool:
    """True when no task has a user window narrower than the whole calendar (empty tuples or
    1..max_waves)."""
    return all(problem.window(t) == (1, problem.max_waves) for t in range(problem.n_tasks))


def _reversible(problem: WaveProblem) -> bool:
    """True when mirroring wave numbers maps plans to plans (uniform capacity, no unary rules,
    no objectives tied to waves)."""
    return (
        _unwindowed(problem)
        and not problem.pins
        and not problem.forbidden
        and not any(problem.previous)
        and all(row == problem.capacity[0] for row in problem.capacity)
    )


def _reverse(problem: WaveProblem) -> WaveProblem:
    """The same problem with every precedence rule turned around (plans read from the last wave
    back)."""
    return dataclasses.replace(
        problem,
        before_or_same=tuple((b, a) for a, b in problem.before_or_same),
        strictly_before=tuple((b, a) for a, b in problem.strictly_before),
    )


def _mirror(problem: WaveProblem, h: int) -> WaveProblem | None:
    """The problem read backwards from wave h: precedence reversed, wave w becomes h + 1 - w.

    Windows, pins, blackouts and per-wave capacities are mirrored too, so a plan of the
    mirror maps to a plan of the problem; None when some window or pin lies beyond h.
    """
    if not 1 <= h <= problem.max_waves:
        return None
    n = problem.n_tasks
    earliest, latest = [], []
    for t in range(n):
        lo, hi = problem.window(t)
        if lo > h:
            return None
        earliest.append(h + 1 - min(hi, h))
        latest.append(h + 1 - lo)
    if any(w > h for _, w in problem.pins):
        return None
    forbidden = tuple(
        (t, tuple(sorted(h + 1 - w for w in ws if w <= h))) for t, ws in problem.forbidden
    )
    return dataclasses.replace(
        _reverse(problem),
        capacity=tuple(problem.capacity[h - w] for w in range(1, h + 1)),
        max_waves=h,
        earliest=tuple(earliest),
        latest=tuple(latest),
        pins=tuple((t, h + 1 - w) for t, w in problem.pins),
        forbidden=tuple((t, ws) for t, ws in forbidden if ws),
        previous=(),
    )


def _justify(
    problem: WaveProblem,
    gr: _Groups,
    plan: Sequence[int],
    rounds: int,
    mirrors: dict[int, tuple[WaveProblem, _Groups] | None],
    bounds: WaveBounds,
) -> list[list[int]]:
    """Forward-backward improvement ("double justification", Valls et al. 2005) of a plan.

    Schedule the mirrored problem with the plan's latest waves first, map it back,
    then schedule forward again in that plan's order; each pass tends to close the
    gaps the previous one left (waves in which a team idles because its work was not
    ready). Returns every plan met on the way, in forward waves.
    """
    out: list[list[int]] = []
    fw = [plan[ms[0]] for ms in gr.members]
    for _ in range(rounds):
        bp = None
        for h in (max(fw) - 1, max(fw)):  # first try to lose a wave on the way back
            if h not in mirrors:
                back = _mirror(problem, h)
                bgr = (
                    _Groups(back, WaveBounds(back, mirror_of=bounds)) if back is not None else None
                )
                mirrors[h] = (
                    (back, bgr) if back is not None and bgr is not None and bgr.ok else None
                )
            entry = mirrors[h]
            if entry is not None:
                bp = _schedule(entry[0], entry[1], fw.__getitem__)
                if bp is not None:
                    break
        if bp is None:
            break
        mirrored = [h + 1 - w for w in bp]
        out.append(mirrored)
        order = [mirrored[ms[0]] for ms in gr.members]
        again = _schedule(problem, gr, lambda i: -order[i])  # _schedule evaluates the key at once
        if again is None:
            break
        out.append(again)
        fw = [again[ms[0]] for ms in gr.members]
    return out


def greedy(
    problem: WaveProblem,
    *,
    seed: int = 0,
    tries: int = 12,
    bounds: WaveBounds | None = None,
    fill_nodes: int = 400,
    fill_rules: int = 17,
    justify_rounds: int = 3,
) -> GreedyResult:
    """Best plan over a handful of priority rules; `waves == ()` if none fits in max_waves.

    Plain list scheduling is tried with every rule; the Hoffmann-style filling (slower,
    usually one wave better on tight instances) with the first rules (fewer on big
    inventories, where one filling pass costs a large part of a second); and where
    mirroring is valid, the backward filling and forward-backward improvement of the
    best plans.
    """
    start = time.perf_counter()
    if problem.n_tasks > 300 and len(problem.resources) > 1:
        # One filling pass costs about a second per 1,000 tasks with several resources: keep
        # the greedy around a second on big inventories (justification does better there).
        fill_rules = min(fill_rules, 3 if problem.n_tasks <= 600 else 0)
    elif problem.n_tasks > 2000:
        fill_rules = min(fill_rules, 2)  # single resource (SALBP-like): filling is what packs waves
    if problem.n_tasks > _NATIONAL:
        # One list-scheduling pass costs seconds at national scale and each mirrored problem
        # needs its own bounds: a few rules and one forward-backward round on the best plan
        # keep the first plan within seconds; the CP-SAT phases do the rest.
        tries, justify_rounds = min(tries, 1), min(justify_rounds, 1)
    bounds = bounds or WaveBounds(problem)
    gr = _Groups(problem, bounds)
    scored: list[tuple[tuple[float, ...], list[int]]] = []

    def consider(plans: Sequence[list[int] | None]) -> None:
        for plan in plans:
            if plan is None or violations(problem, plan):
                continue
            scored.append((tuple(evaluate(problem, plan).values()), plan))

    if gr.ok:
        rules = _rules(gr, seed, tries)
        if problem.n_tasks > _NATIONAL:  # the closure order and the positional weight only:
            rules = rules[5:6] + rules[:1]  # the others were 8-12 waves worse at 98 municipalities
        consider([_schedule(problem, gr, rule) for rule in rules])
        if fill_nodes > 0 and _unwindowed(problem) and not problem.pins:
            consider([_schedule_fill(problem, gr, rule, fill_nodes) for rule in rules[:fill_rules]])
    if _reversible(problem) and fill_nodes > 0 and fill_rules > 0 and gr.ok:
        # Plans built from the last wave backwards (reversed precedence) often pack tight instances
        # better; only valid when no unary rule or capacity profile ties tasks to wave numbers.
        back = _reverse(problem)
        bgr = _Groups(back, WaveBounds(back, mirror_of=bounds))
        if bgr.ok:
            for rule in _rules(bgr, seed, tries)[:fill_rules]:
                plan = _schedule_fill(back, bgr, rule, fill_nodes)
                if plan is not None:
                    top = max(plan)
                    consider([[top + 1 - w for w in plan]])
    if justify_rounds > 0 and scored and gr.ok:
        scored.sort(key=lambda item: item[0])
        mirrors: dict[int, tuple[WaveProblem, _Groups] | None] = {}
        for _, plan in scored[: 1 if problem.n_tasks > _NATIONAL else 3]:
            consider(_justify(problem, gr, plan, justify_rounds, mirrors, bounds))
    best = min(scored, key=lambda item: item[0])[1] if scored else None
    if best is None and problem.max_waves < problem.n_tasks:
        # A tight horizon turns the head/tail windows into hard deadlines that list scheduling
        # can miss although a plan exists; schedule on a roomy horizon and keep what fits.
        best = _on_roomy_horizon(
            problem,
            seed=seed,
            tries=tries,
            fill_nodes=fill_nodes,
            fill_rules=fill_rules,
            justify_rounds=justify_rounds,
        )
    waves: Sequence[int] = tuple(best) if best is not None else ()
    return GreedyResult(tuple(waves), evaluate(problem, waves), time.perf_counter() - start)


def _on_roomy_horizon(problem: WaveProblem, **options: int) -> list[int] | None:
    """The greedy on max_waves = n_tasks (the last wave's capacity repeated); its plan if it
    fits the real horizon."""
    extra = problem.n_tasks - problem.max_waves
    capacity = problem.capacity + (problem.capacity[-1],) * extra
    roomy = dataclasses.replace(problem, max_waves=problem.n_tasks, capacity=capacity)
    plan = list(greedy(roomy, **options).waves)  # type: ignore[arg-type]
    if plan and max(plan) <= problem.max_waves and not violations(problem, plan):
        return plan
    return None
