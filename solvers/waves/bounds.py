"""Combinatorial lower bounds and per-task wave windows.

These bounds do two jobs: they prove optimality without search when the greedy
meets them, and they shrink every task's domain before CP-SAT sees the model.
For SALBP-like instances the shrunken domains for a fixed wave count m are what
lets the feasibility check at m = LB close in milliseconds instead of minutes.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from solvers.waves.problem import WaveProblem


def bin_packing_bound(sizes: Sequence[int], cap: int) -> int:
    """Best of LB1 (ceil(sum/c)), Scholl's LB2/LB3 (halves, thirds) and Martello-Toth L2.

    All bins have size `cap`; returns a huge number if an item exceeds `cap` (no packing).
    """
    items = [s for s in sizes if s > 0]
    if not items:
        return 0
    if cap <= 0 or max(items) > cap:
        return 1 << 30
    lb1 = -(-sum(items) // cap)
    # Scholl LB2: items larger than half a bin need a bin each, exactly-half items pair up.
    halves = sum(2 for s in items if 2 * s > cap) + sum(1 for s in items if 2 * s == cap)
    lb2 = -(-halves // 2)
    # Scholl LB3 in sixths: >2c/3 -> 1, =2c/3 -> 2/3, (c/3, 2c/3) -> 1/2, =c/3 -> 1/3.
    sixths = 0
    for s in items:
        if 3 * s > 2 * cap:
            sixths += 6
        elif 3 * s == 2 * cap:
            sixths += 4
        elif 3 * s > cap:
            sixths += 3
        elif 3 * s == cap:
            sixths += 2
    lb3 = -(-sixths // 6)
    return max(lb1, lb2, lb3, _martello_toth_l2(items, cap))


def _martello_toth_l2(items: Sequence[int], cap: int) -> int:
    """Martello-Toth L2: big items each need a bin, small items fill only what big ones leave.

    O(n log n) with prefix sums, since it runs for every task's predecessor set.
    """
    srt = sorted(items)
    prefix = [0]
    for s in srt:
        prefix.append(prefix[-1] + s)
    n = len(srt)
    half_hi = bisect_right(srt, cap // 2)  # items <= c/2
    best = 0
    for k in {0, *srt[:half_hi]}:
        big = bisect_right(srt, cap - k)  # items <= c-k; the rest are N1
        n1 = n - big
        n2_lo = half_hi  # N2 = (c/2, c-k]
        n2 = max(0, big - n2_lo)
        sum_n2 = prefix[big] - prefix[n2_lo] if big > n2_lo else 0
        n3_lo = bisect_left(srt, k)  # N3 = [k, c/2]
        sum_n3 = prefix[half_hi] - prefix[n3_lo]
        spare = n2 * cap - sum_n2
        extra = max(0, -(-(sum_n3 - spare) // cap))
        best = max(best, n1 + n2 + extra)
    return best


@dataclass(frozen=True)
class _Closure:
    """Transitive precedence sets, computed once per problem.

    `anc[t]` holds every task that must be in a wave <= wave[t] (via any chain of
    before_or_same / strictly_before / same_wave); `sanc[t]` those that must be in
    a wave < wave[t] (the chain contains a strict arc). `desc`/`sdesc` mirror them.
    """

    anc: tuple[frozenset[int], ...]
    sanc: tuple[frozenset[int], ...]
    desc: tuple[frozenset[int], ...]
    sdesc: tuple[frozenset[int], ...]
    arcs: tuple[tuple[int, int, int], ...]  # (a, b, lag): wave[b] >= wave[a] + lag


def arcs_of(problem: WaveProblem) -> list[tuple[int, int, int]]:
    """All hard precedence rules as (a, b, lag) with wave[b] >= wave[a] + lag."""
    arcs = [(a, b, 0) for a, b in problem.before_or_same if a != b]
    arcs += [(a, b, 1) for a, b in problem.strictly_before]
    for a, b in problem.same_wave:
        if a != b:
            arcs += [(a, b, 0), (b, a, 0)]
    return sorted(set(arcs))


def _reach(
    n: int, arcs: Sequence[tuple[int, int, int]], forward: bool
) -> tuple[list[frozenset[int]], list[frozenset[int]]]:
    """For every task, the tasks reachable along arcs, and those reachable through a strict arc."""
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for a, b, lag in arcs:
        if forward:
            adj[a].append((b, lag))
        else:
            adj[b].append((a, lag))
    plain: list[frozenset[int]] = []
    strict: list[frozenset[int]] = []
    for t in range(n):
        seen = {(t, 0)}
        stack = [(t, 0)]
        while stack:
            u, s = stack.pop()
            for v, lag in adj[u]:
                state = (v, 1 if (s or lag) else 0)
                if state not in seen:
                    seen.add(state)
                    stack.append(state)
        plain.append(frozenset(v for v, _ in seen if v != t))
        strict.append(frozenset(v for v, s in seen if s))
    return plain, strict


def closure(problem: WaveProblem) -> _Closure:
    """Compute the transitive precedence sets (O(n * arcs), fine for a few thousand tasks)."""
    arcs = arcs_of(problem)
    anc, sanc = _reach(problem.n_tasks, arcs, forward=False)
    desc, sdesc = _reach(problem.n_tasks, arcs, forward=True)
    return _Closure(tuple(anc), tuple(sanc), tuple(desc), tuple(sdesc), tuple(arcs))


class WaveBounds:
    """Head/tail wave windows for a given horizon m, plus the global wave lower bound.

    Build once per problem; `windows(m)` is then cheap enough to call for every m
    the iterative wave search visits.
    """

    def __init__(self, problem: WaveProblem, mirror_of: WaveBounds | None = None) -> None:
        """`mirror_of`: the bounds of the problem that `problem` mirrors (every precedence
        rule reversed, same demand): its closure, turned around, and its set counts are
        reused, since at national scale computing them again costs seconds."""
        self.problem = problem
        self.cl: _Closure
        if mirror_of is not None:
            cl = mirror_of.cl
            self.cl = _Closure(
                cl.desc,
                cl.sdesc,
                cl.anc,
                cl.sanc,
                tuple(sorted((b, a, lag) for a, b, lag in cl.arcs)),
            )
        else:
            self.cl = closure(problem)
        n, k = problem.n_tasks, len(problem.resources)
        caps = problem.capacity
        # A resource with the same capacity in every wave admits bin-packing bounds.
        self.uniform: list[int | None] = [
            caps[0][r] if all(row[r] == caps[0][r] for row in caps) else None for r in range(k)
        ]
        self.forbidden = problem.forbidden_sets()
        # A wave too small for the task on its own is as good as forbidden.
        for t, row in enumerate(problem.demand):
            for w, cap in enumerate(caps, start=1):
                if any(d > c for d, c in zip(row, cap)):
                    self.forbidden[t].add(w)
        self.pins = problem.pin_of()
        self._windows_cache: dict[int, tuple[list[int], list[int]] | None] = {}
        # Waves needed to hold a set of tasks, counted from the first wave (head) or
        # as a pure count with uniform capacity (bin packing); both only depend on the set.
        self._count_cache: dict[frozenset[int], int] = (
            mirror_of._count_cache
            if mirror_of is not None and mirror_of.uniform == self.uniform
            else {}
        )
        self.head = [
            max(
                self._head_need(self.cl.anc[t] | {t}),
                self._head_need(self.cl.sanc[t]) + 1 if self.cl.sanc[t] else 1,
            )
            for t in range(n)
        ]

    # --- helpers -----------------------------------------------------------------
    def _totals(self, tasks: frozenset[int]) -> list[int]:
        """Summed demand per resource of a task set."""
        d = self.problem.demand
        return [sum(d[t][r] for t in tasks) for r in range(len(self.problem.resources))]

    def _count_need(self, tasks: frozenset[int]) -> int:
        """Bin-packing bound on the number of waves a set needs, over uniform resources."""
        if tasks not in self._count_cache:
            best = 1 if tasks else 0
            for r, cap in enumerate(self.uniform):
                if cap is not None:
                    sizes = [self.problem.demand[t][r] for t in tasks]
                    best = max(best, bin_packing_bound(sizes, cap))
            self._count_cache[tasks] = best
        return self._count_cache[tasks]

    def _head_need(self, tasks: frozenset[int]) -> int:
        """Smallest k such that waves 1..k can hold the set (cumulative capacity, bin packing)."""
        return self._need(tasks, self.problem.capacity)

    def _tail_need(self, tasks: frozenset[int], m: int) -> int:
        """Smallest k such that waves m-k+1..m can hold the set."""
        return self._need(tasks, self.problem.capacity[m - 1 :: -1] if m > 0 else ())

    def _need(self, tasks: frozenset[int], rows: Sequence[Sequence[int]]) -> int:
        """Smallest k such that the first k capacity `rows` can hold the set, and at least its
        bin-packing count; huge if none can."""
        if not tasks:
            return 0
        need = self._count_need(tasks)
        totals = self._totals(tasks)
        acc = [0] * len(totals)
        for k, row in enumerate(rows, start=1):
            acc = [a + c for a, c in zip(acc, row)]
            if all(a >= t for a, t in zip(acc, totals)):
                return max(need, k)
        return 1 << 30

    # --- public ------------------------------------------------------------------
    def windows(self, m: int) -> tuple[list[int], list[int]] | None:
        """`_windows(m)`, computed once per m (the lower bound, the greedy and every phase ask
        for the same horizons; at national scale one computation takes seconds); copies, so
        a caller may change them."""
        if m not in self._windows_cache:
            self._windows_cache[m] = self._windows(m)
        win = self._windows_cache[m]
        return None if win is None else (list(win[0]), list(win[1]))

    def _windows(self, m: int) -> tuple[list[int], list[int]] | None:
        """Per-task [lo, hi] wave windows valid for any plan using waves 1..m, or None if some
        window is empty.

        Combines user windows, pins and blackouts with head bounds (a task cannot
        come before its predecessors fit) and tail bounds (nor so late that its
        successors no longer fit before m), then propagates along precedence.
        """
        p, cl = self.problem, self.cl
        n = p.n_tasks
        if m < 1 or m > p.max_waves:
            return None
        lo, hi = [0] * n, [0] * n
        for t in range(n):
            a, b = p.window(t)
            a, b = max(a, self.head[t]), min(b, m)
            tail = self._tail_need(cl.desc[t] | {t}, m)
            b = min(b, m + 1 - tail)
            if cl.sdesc[t]:
                b = min(b, m - self._tail_need(cl.sdesc[t], m))
            if len(self.pins[t]) > 1:
                return None
            for w in self.pins[t]:
                a, b = max(a, w), min(b, w)
            lo[t], hi[t] = a, b
        changed = True
        while changed:
            changed = False
            for t in range(n):
                while lo[t] <= hi[t] and lo[t] in self.forbidden[t]:
                    lo[t] += 1
                while hi[t] >= lo[t] and hi[t] in self.forbidden[t]:
                    hi[t] -= 1
                if lo[t] > hi[t]:
                    return None
            for a, b, lag in cl.arcs:
                if lo[a] + lag > lo[b]:
                    lo[b] = lo[a] + lag
                    changed = True
                if hi[b] - lag < hi[a]:
                    hi[a] = hi[b] - lag
                    changed = True
        if not self._energy_ok(lo, hi, m):
            return None
        return lo, hi

    def _energy_ok(self, lo: Sequence[int], hi: Sequence[int], m: int) -> bool:
        """Interval energy: the tasks whose windows lie inside waves a..b fit in those waves'
        capacity.

        Checked for every interval per resource with prefix sums (O(m^2) per resource
        once the tasks are bucketed by window). For resources with uniform capacity the
        head and tail intervals (a..m and 1..b) also get the bin-packing bound, e.g. the
        workplaces that cannot move in wave 1 (their directory must be settled first)
        must pack into waves 2..m.
        """
        p = self.problem
        n = p.n_tasks
        for r in range(len(p.resources)):
            grid = [[0] * (m + 2) for _ in range(m + 2)]
            for t in range(n):
                d = p.demand[t][r]
                if d:
                    grid[lo[t]][hi[t]] += d
            if not any(any(row) for row in grid):
                continue
            cap = [0] * (m + 1)
            for w in range(1, m + 1):
                cap[w] = cap[w - 1] + p.capacity[w - 1][r]
            inside = [0] * (m + 2)  # inside[b] = demand of windows within a..b, for the current a
            for a in range(m, 0, -1):
                row = 0
                for b in range(a, m + 1):
                    row += grid[a][b]
                    inside[b] += row
                    if inside[b] > cap[b] - cap[a - 1]:
                        return False
            size = self.uniform[r]
            if size is None:
                continue
            heads = sorted({lo[t] for t in range(n) if p.demand[t][r] and lo[t] > 1})[:8]
            tails = sorted({hi[t] for t in range(n) if p.demand[t][r] and hi[t] < m}, reverse=True)[
                :8
            ]
            for a in heads:
                after = [p.demand[t][r] for t in range(n) if lo[t] >= a]
                if bin_packing_bound(after, size) > m - a + 1:
                    return False
            for b in tails:
                if bin_packing_bound([p.demand[t][r] for t in range(n) if hi[t] <= b], size) > b:
                    return False
        return True

    def capacity_bound(self) -> int:
        """Fewest waves whose capacity can hold all demand (LB1 per resource, bin packing if
        uniform)."""
        n = self.problem.n_tasks
        return self._head_need(frozenset(range(n))) if n else 0

    def lower_bound(self, start: int = 1) -> int:
        """Smallest m >= start whose windows are all non-empty; max_waves + 1 means infeasible.

        Every m below the answer is proven impossible: either total capacity is too
        small or some task has no wave left after head/tail/precedence reasoning.
        """
        p = self.problem
        m = max(start, self.capacity_bound(), 1)
        for t in range(p.n_tasks):
            m = max(m, self.head[t], min(p.window(t)[0], p.max_waves + 1))
            for w in self.pins[t]:
                m = max(m, w)
        while m <= p.max_waves and self.windows(m) is None:
            m += 1
        return m


def lower_bound_waves(problem: WaveProblem) -> int:
    """Best combinatorial lower bound on the highest wave used (max_waves + 1 if none fits)."""
    return WaveBounds(problem).lower_bound()


def downtime_bound(problem: WaveProblem, horizon: int) -> int:
    """A lower bound on the peak downtime in waves 1..horizon: the total spread evenly, or
    the largest single task."""
    weights = problem.downtime_weight or (0,)
    return max(-(-sum(weights) // max(1, horizon)), max(weights))


def moved_bound(
    problem: WaveProblem, lo: Sequence[int], hi: Sequence[int], banned: Sequence[set[int]]
) -> int:
    """A lower bound on the moved count: tasks whose previous wave is outside their window
    (or banned) must move."""
    return sum(
        1
        for t, p in enumerate(problem.previous)
        if p > 0 and not (lo[t] <= p <= hi[t] and p not in banned[t])
    )


def phase_bound(
    name: str,
    problem: WaveProblem,
    win: tuple[list[int], list[int]],
    banned: Sequence[set[int]],
    horizon: int,
) -> float:
    """A phase's bound without a CP-SAT model: 0 splits, `downtime_bound`, `moved_bound`."""
    if name == "downtime":
        return float(downtime_bound(problem, horizon))
    if name == "moved":
        return float(moved_bound(problem, win[0], win[1], banned))
    return 0.0
