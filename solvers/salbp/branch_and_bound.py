"""Exact station-oriented branch and bound for pure SALBP-1 (one resource, one cycle time).

The wave core (CP-SAT) is general but weak on the hardest SALBP-1 instances; the
literature's exact method there is a station-by-station enumeration of maximal loads
(SALOME-1, Scholl & Klein 1997) with a memory of visited task sets (BB&R, Sewell &
Jacobson 2012; Morrison, Sewell & Jacobson 2014). This module is that method in pure
Python, for the case the wave planner reduces to SALBP-1: one resource, equal capacity
in every wave, only "same wave or earlier" precedence.

How it searches (`station_bb`): for m = lower, lower + 1, ..., upper - 1 it asks "do m
stations suffice?" with a depth-first search that fills one station at a time with a
*maximal* load (no further available task fits), fullest loads first. Pruning, all of it
sound for feasibility of m:

* bin-packing bounds on the remaining tasks (LB1 = ceil(sum / c), Scholl's LB2 halves and
  LB3 thirds), kept incrementally;
* earliest / latest stations from heads and tails (a task cannot sit before the bin-packing
  bound of itself plus its predecessors, nor later than m + 1 - the bound of itself plus its
  successors);
* Jackson's dominance rule (a load holding j but not an available, unrelated i with
  t_i >= t_j and successors(i) >= successors(j) that would fit instead is skipped);
* memory: a set of assigned tasks S that could not be completed with r stations left is
  stored and never searched again with r or fewer (this survives the step from m to m + 1).

Like SALOME it first counts the maximal loads of station 1 forwards and on the reversed
graph and searches the direction with fewer. Task sets are Python ints used as bitmasks.
Every assignment is re-checked (capacity and precedence) before it is returned.

For each m the same search compiled with numba (`solvers.salbp.kernels`, roughly ten
times the nodes per second on the Scholl graph, restarts taking turns between the two
directions) goes first, for `_PRIMAL_SHARE` of the time left: on the tight Scholl
instances (slack under one time unit per station) a plan exists at the lower bound but
needs 10^4–10^5 nodes. If it finds no plan but searched to the end without dropping a
load, m is refuted; otherwise the Python search decides m with the rest of the time.
"""

from __future__ import annotations

import heapq
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from solvers.arrays import bits, csr
from solvers.limits import StopRequest

# Loads of one station are generated lazily and tried fullest first within chunks of this
# size: sorting all of them would cost too much on stations with thousands of maximal loads.
_CHUNK = 256
# Stop counting station-1 loads for the direction choice after this many (per direction).
_COUNT_CAP = 5000
# Node budget of the first restart (0: no restarts) and its growth per restart.
_RESTART_FIRST = 1000
_RESTART_GROWTH = 1.5
# Memory entries kept at most (about 150 bytes each); beyond it, new sets are not stored.
_MEMO_CAP = 2_000_000
# Share of the time left that the compiled search (salbp_kernels) gets for each m before the
# Python search; its loads per station are capped, and its memory table has this many
# slots (each holds one task set).
_PRIMAL_SHARE = 0.85
_PRIMAL_LOADS = 5000
_PRIMAL_SLOTS = 1 << 20
# Time weights of the chosen direction and the other one in the compiled search.
_PRIMAL_WEIGHTS = (4.0, 1.0)


@dataclass(frozen=True)
class BBResult:
    """Outcome of `station_bb`; `stations` is None when no assignment with fewer than `upper`
    stations was found."""

    stations: tuple[int, ...] | None  # 1-based station per task
    proven: bool  # best == bound: `best` stations are optimal
    best: int  # stations of the returned assignment, or `upper` when none was found
    bound: int  # proven lower bound (every m < bound is infeasible)
    nodes: int
    runtime: float


class _Abort(Exception):
    """Time or node limit reached inside the search; unwinds without storing memory."""


class _Restart(Exception):
    """The node budget of one restart is used up; unwinds without storing memory."""


def _bin_bound(sizes: Sequence[int], cap: int) -> int:
    """max(LB1, LB2, LB3) of Scholl for items `sizes` in bins of size `cap`."""
    total = halves = sixths = 0
    for s in sizes:
        total += s
        halves += 2 if 2 * s > cap else (1 if 2 * s == cap else 0)
        sixths += _sixths(s, cap)
    return max(-(-total // cap), -(-halves // 2), -(-sixths // 6))


def _sixths(s: int, cap: int) -> int:
    """Scholl's LB3 weight of an item in sixths of a bin: >2c/3 -> 1, =2c/3 -> 2/3,
    (c/3,2c/3) -> 1/2, =c/3 -> 1/3."""
    if 3 * s > 2 * cap:
        return 6
    if 3 * s == 2 * cap:
        return 4
    if 3 * s > cap:
        return 3
    if 3 * s == cap:
        return 2
    return 0


class _Direction:
    """One orientation of the instance (forward, or the reversed graph), renumbered for
    bitmask search.

    Tasks get internal indices in a topological order (by positional weight among the
    ready tasks), so a load can be enumerated by adding tasks in increasing index only:
    every predecessor of a task has a smaller index, so each load is generated once.
    """

    def __init__(self, times: Sequence[int], cap: int, preds: Sequence[Sequence[int]]) -> None:
        n = len(times)
        self.n = n
        self.cap = cap
        self._number(times, preds)
        self._closures()
        self._heads_and_tails()
        t = self.t
        # fit[r]: tasks with time <= r.
        fit = [0] * (cap + 1)
        by_time = sorted(range(n), key=lambda k: t[k])
        acc, p = 0, 0
        for r in range(cap + 1):
            while p < n and t[by_time[p]] <= r:
                acc |= 1 << by_time[p]
                p += 1
            fit[r] = acc
        self.fit = fit
        self.above = [self.full & ~((2 << k) - 1) for k in range(n)]
        self.w2 = [2 if 2 * x > cap else (1 if 2 * x == cap else 0) for x in t]
        self.w3 = [_sixths(x, cap) for x in t]
        self.dom_by = self._dominance()
        self.root_avail = sum(1 << k for k in range(n) if not self.pmask[k])
        self.total = sum(t)
        self.W2 = sum(self.w2)
        self.W3 = sum(self.w3)

    def _number(self, times: Sequence[int], preds: Sequence[Sequence[int]]) -> None:
        """Internal numbering: topological, ties by positional weight (heavier first)."""
        n = self.n
        succs: list[list[int]] = [[] for _ in range(n)]
        for j, ps in enumerate(preds):
            for i in ps:
                succs[i].append(j)
        # Transitive successor sets (original indices) for positional weights.
        order = _topological(n, preds, succs, key=None)
        desc = [0] * n
        for j in reversed(order):
            d = 0
            for s in succs[j]:
                d |= desc[s] | (1 << s)
            desc[j] = d
        posw = [times[j] + sum(times[s] for s in bits(desc[j])) for j in range(n)]
        order = _topological(n, preds, succs, key=lambda j: (-posw[j], j))
        self.perm = order  # internal index -> original task
        inv = [0] * n
        for k, j in enumerate(order):
            inv[j] = k
        self.t = [times[order[k]] for k in range(n)]
        self.pmask = [sum(1 << inv[i] for i in set(preds[order[k]])) for k in range(n)]
        self.succ = [sorted({inv[s] for s in succs[order[k]]}) for k in range(n)]
        self.pred = [sorted({inv[i] for i in preds[order[k]]}) for k in range(n)]
        self.full = (1 << n) - 1

    def _closures(self) -> None:
        """Transitive successors (`desc`) and predecessors (`anc`) as bitmasks."""
        n = self.n
        self.desc = [0] * n
        self.anc = [0] * n
        for k in range(n - 1, -1, -1):
            d = 0
            for s in self.succ[k]:
                d |= self.desc[s] | (1 << s)
            self.desc[k] = d
        for k in range(n):
            a = self.pmask[k]
            for i in bits(self.pmask[k]):
                a |= self.anc[i]
            self.anc[k] = a

    def _heads_and_tails(self) -> None:
        """Heads: earliest station; tails: stations needed from the task to the end
        (latest = m + 1 - tail); head_le[s]: tasks allowed in station s; tail_gt[r]: tasks
        that need more than r stations."""
        n, t, cap = self.n, self.t, self.cap
        self.head = [_bin_bound([t[k], *(t[i] for i in bits(self.anc[k]))], cap) for k in range(n)]
        self.tail = [_bin_bound([t[k], *(t[i] for i in bits(self.desc[k]))], cap) for k in range(n)]
        top = max([n + 2, *self.head, *self.tail]) + 1
        self.head_le = [sum(1 << k for k in range(n) if self.head[k] <= s) for s in range(top)]
        self.tail_gt = [sum(1 << k for k in range(n) if self.tail[k] > r) for r in range(top)]
        self.top = top

    def _dominance(self) -> list[int]:
        """dom_by[j]: tasks i that potentially dominate j (Jackson): unrelated, t_i >= t_j,
        successors(i) ⊇ successors(j), strictly better in (time, #successors, -index)."""
        n, t = self.n, self.t
        dom = [0] * n
        for j in range(n):
            rel = self.anc[j] | self.desc[j] | (1 << j)
            dj, tj = self.desc[j], t[j]
            key_j = (tj, dj.bit_count(), -j)
            m = 0
            for i in range(n):
                if (rel >> i) & 1 or t[i] < tj or (dj & ~self.desc[i]):
                    continue
                if (t[i], self.desc[i].bit_count(), -i) > key_j:
                    m |= 1 << i
            dom[j] = m
        return dom


def _topological(
    n: int, preds: Sequence[Sequence[int]], succs: Sequence[Sequence[int]], key: object
) -> list[int]:
    """Kahn's algorithm; `key` orders the ready tasks (None: by index). Raises on a cycle."""
    indeg = [len(set(p)) for p in preds]
    kf = key if callable(key) else (lambda j: j)
    ready = [(kf(j), j) for j in range(n) if indeg[j] == 0]
    heapq.heapify(ready)
    out: list[int] = []
    seen_succ = [sorted(set(s)) for s in succs]
    while ready:
        _, j = heapq.heappop(ready)
        out.append(j)
        for s in seen_succ[j]:
            indeg[s] -= 1
            if indeg[s] == 0:
                heapq.heappush(ready, (kf(s), s))
    if len(out) != n:
        raise ValueError("precedence graph has a cycle")
    return out


class _Search:
    """Depth-first feasibility search for a fixed number of stations m, with memory across m."""

    def __init__(
        self, d: _Direction, deadline: float, node_limit: int | None, stop: StopRequest | None
    ) -> None:
        self.d = d
        self.stop = stop
        self.memo: dict[int, int] = {}
        self.deadline = deadline
        self.node_limit = node_limit
        self.nodes = 0
        self.ops = 0
        self.restart_at = -1  # node count at which the current restart gives up (-1: never)
        self.rng: random.Random | None = None

    def _tick(self) -> None:
        """Called often; checks the clock (and the user's stop) every 1024 calls."""
        self.ops += 1
        if self.ops & 1023 == 0 and (
            time.perf_counter() > self.deadline or (self.stop is not None and self.stop.requested)
        ):
            raise _Abort

    def loads(
        self, S: int, k: int, r: int, R: int, W2: int, W3: int, avail: int
    ) -> Iterator[tuple[int, int, int, int, int]]:
        """Maximal loads of station k + 1 given assigned set S (r stations left incl. this
        one) that pass every bound."""
        d = self.d
        cap, t, fit, succ, pmask, above = d.cap, d.t, d.fit, d.succ, d.pmask, d.above
        w2, w3, dom_by = d.w2, d.w3, d.dom_by
        allowed = d.head_le[min(k + 1, d.top - 1)]
        must = d.tail_gt[min(r - 1, d.top - 1)]  # tasks that must be done after this station
        memo = self.memo
        rest = r - 1
        need = R - rest * cap  # the load must be at least this (LB1 on what remains)
        tick = self._tick
        # suf[j]: total time of the tasks with index >= j that could still join this station
        # (allowed here, and a longest chain of unassigned predecessors fits): a load built
        # from tasks up to j - 1 cannot grow by more, so it is cut when it cannot reach `need`.
        n = d.n
        suf = [0] * (n + 1)
        if need > 0:
            dist = [0] * n
            pred = d.pred
            unass = allowed & ~S
            for j in range(n):
                if (unass >> j) & 1:
                    dist[j] = max([dist[p] for p in pred[j]], default=0) + t[j]
            acc = 0
            for j in range(n - 1, -1, -1):
                if (unass >> j) & 1 and dist[j] <= cap:
                    acc += t[j]
                suf[j] = acc

        def gen(
            L: int, load: int, av: int, lw2: int, lw3: int, abv: int
        ) -> Iterator[tuple[int, int, int, int, int]]:
            tick()
            rem = cap - load
            f = av & allowed & fit[rem]
            if not f:
                SL = S | L
                if load < need or W2 - lw2 > 2 * rest or W3 - lw3 > 6 * rest or must & ~SL:
                    return
                if memo.get(SL, -1) >= rest:
                    return
                x = L
                a = av & allowed
                while x:  # Jackson: a dominating task would fit in place of j
                    low = x & -x
                    j = low.bit_length() - 1
                    x ^= low
                    if dom_by[j] & a:
                        lim = t[j] + rem
                        if dom_by[j] & a & fit[min(cap, lim)]:
                            return
                yield (L, load, av, lw2, lw3)
                return
            cand = f & abv
            while cand:
                low = cand & -cand
                j = low.bit_length() - 1
                if load + suf[j] < need:
                    return
                cand ^= low
                SL = S | L | low
                nav = av ^ low
                for s in succ[j]:
                    if not pmask[s] & ~SL:
                        nav |= 1 << s
                yield from gen(L | low, load + t[j], nav, lw2 + w2[j], lw3 + w3[j], above[j])

        return gen(0, 0, avail, 0, 0, d.full)

    def dfs(self, S: int, k: int, m: int, R: int, W2: int, W3: int, avail: int) -> list[int] | None:
        """Loads for stations k+1..m completing S, or None if there are none (memory updated)."""
        if S == self.d.full:
            return []
        r = m - k
        if self.memo.get(S, -1) >= r:
            return None
        self.nodes += 1
        if self.node_limit is not None and self.nodes > self.node_limit:
            raise _Abort
        if self.nodes == self.restart_at:
            raise _Restart
        gen = self.loads(S, k, r, R, W2, W3, avail)
        while True:
            chunk = []
            for item in gen:
                chunk.append(item)
                if len(chunk) >= _CHUNK:
                    break
            if not chunk:
                break
            if self.rng is None:
                chunk.sort(key=lambda x: (-x[1], x[0].bit_count()))
            else:  # a restart: fullest first still, equally full loads in random order
                rnd = self.rng.random
                chunk.sort(key=lambda x: (-x[1], x[0].bit_count(), rnd()))
            for L, load, av, lw2, lw3 in chunk:
                res = self.dfs(S | L, k + 1, m, R - load, W2 - lw2, W3 - lw3, av)
                if res is not None:
                    res.append(L)
                    return res
        if len(self.memo) < _MEMO_CAP or S in self.memo:
            self.memo[S] = max(self.memo.get(S, -1), r)
        return None

    def count_first(self, m: int) -> int:
        """Maximal loads of station 1 (capped), for choosing the search direction."""
        d = self.d
        c = 0
        try:
            for _ in self.loads(0, 0, m, d.total, d.W2, d.W3, d.root_avail):
                c += 1
                if c >= _COUNT_CAP:
                    break
        except _Abort:
            pass
        return c

    def feasible(self, m: int) -> list[int] | None:
        """Station per internal task for m stations, or None when proven impossible (raises
        _Abort on a limit)."""
        d = self.d
        if (
            d.total > m * d.cap
            or d.W2 > 2 * m
            or d.W3 > 6 * m
            or any(h > m for h in d.head + d.tail)
        ):
            return None
        budget, attempt = _RESTART_FIRST, 0
        while True:
            # Restarts with growing node budgets (memory kept): a plain depth-first search can
            # spend all its time below one bad early station; each restart reorders ties.
            self.restart_at = self.nodes + budget if budget else -1
            self.rng = random.Random(attempt) if attempt else None
            try:
                res = self.dfs(0, 0, m, d.total, d.W2, d.W3, d.root_avail)
                break
            except _Restart:
                attempt += 1
                budget = int(budget * _RESTART_GROWTH)
            finally:
                self.restart_at = -1
        if res is None:
            return None
        station = [0] * d.n
        for s, L in enumerate(reversed(res), start=1):
            for k in bits(L):
                station[k] = s
        return station


def verify(
    times: Sequence[int], cap: int, preds: Sequence[Sequence[int]], stations: Sequence[int]
) -> list[str]:
    """Every capacity or precedence violation of a 1-based station assignment; empty means
    feasible."""
    out: list[str] = []
    if len(stations) != len(times) or any(s < 1 for s in stations):
        return ["assignment has the wrong length or a station below 1"]
    load: dict[int, int] = {}
    for j, s in enumerate(stations):
        load[s] = load.get(s, 0) + times[j]
    out += [f"station {s} holds {v} > {cap}" for s, v in sorted(load.items()) if v > cap]
    out += [
        f"task {i} after its successor {j}"
        for j, ps in enumerate(preds)
        for i in ps
        if stations[i] > stations[j]
    ]
    return out


def station_bb(
    times: Sequence[int],
    cap: int,
    preds: Sequence[Sequence[int]],
    *,
    lower: int,
    upper: int,
    time_limit: float,
    node_limit: int | None = None,
    direction: str = "auto",
    stop: StopRequest | None = None,
) -> BBResult:
    """Smallest m in [lower, upper) for which m stations suffice, by iterative deepening.

    `preds[j]` are the direct predecessors of task j (0-based); `lower` must be a valid
    lower bound and `upper` a station count the caller already has a solution for (or
    any number larger than the answer). With no assignment found below `upper`, `stations`
    is None and `best == upper`; `proven` then means every m < upper is infeasible. The
    search runs for `time_limit` wall seconds at most, or until `stop` is requested.
    """
    start = time.perf_counter()
    n = len(times)
    _check(times, cap, preds)
    if n == 0:
        return BBResult((), True, 0, 0, 0, time.perf_counter() - start)
    deadline = start + time_limit
    fwd = _Direction(times, cap, preds)
    rev_preds: list[list[int]] = [[] for _ in range(n)]
    for j, ps in enumerate(preds):
        for i in ps:
            rev_preds[i].append(j)
    bwd = _Direction(times, cap, rev_preds)
    lower = max(lower, 1, -(-sum(times) // cap), max(fwd.head), max(bwd.head))
    if lower >= upper:
        return BBResult(None, True, upper, upper, 0, time.perf_counter() - start)
    searches = [_Search(fwd, deadline, node_limit, stop), _Search(bwd, deadline, node_limit, stop)]
    counts = [s.count_first(lower) for s in searches]
    backward = counts[1] < counts[0] if direction == "auto" else direction == "backward"
    # For each m the compiled search goes first, the chosen direction first: it finds the
    # plan, or searches to the end without one (m refuted), or runs out of its share of the
    # time; then the exact (and slower) Python search decides m with the rest.
    dirs = [1, 0] if backward else [0, 1]
    if direction != "auto":
        dirs = dirs[:1]
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 20 * n + 1000))
    try:
        bound, found, primal_nodes = _deepen(
            searches, dirs, lower, upper, deadline, node_limit, stop
        )
    finally:
        sys.setrecursionlimit(old_limit)
    nodes = sum(s.nodes for s in searches) + primal_nodes
    if found is None:
        return BBResult(None, bound >= upper, upper, bound, nodes, time.perf_counter() - start)
    which, st = found
    d = searches[which].d
    m = max(st)  # the search may close with fewer stations than asked (only if `lower` was weak)
    stations = [0] * n
    for k, s in enumerate(st):
        stations[d.perm[k]] = (m + 1 - s) if which == 1 else s
    if verify(times, cap, preds, stations) or max(stations) > m:
        # A bug, never expected: return nothing rather than a wrong plan or a wrong proof.
        return BBResult(None, False, upper, 1, nodes, time.perf_counter() - start)
    return BBResult(tuple(stations), True, m, m, nodes, time.perf_counter() - start)


def _check(times: Sequence[int], cap: int, preds: Sequence[Sequence[int]]) -> None:
    """Reject inputs the search cannot take, naming what is wrong."""
    n = len(times)
    if len(preds) != n:
        raise ValueError(f"preds has {len(preds)} rows but there are {n} tasks.")
    if cap <= 0 or any(x < 0 or x > cap for x in times):
        raise ValueError("every task time must lie in 0..cap and cap must be positive.")
    for j, ps in enumerate(preds):
        for i in ps:
            if not 0 <= i < n or i == j:
                raise ValueError(
                    f"predecessor {i} of task {j} is outside 0..{n - 1} or the task itself."
                )


def _deepen(
    searches: list[_Search],
    dirs: list[int],
    lower: int,
    upper: int,
    deadline: float,
    node_limit: int | None,
    stop: StopRequest | None,
) -> tuple[int, tuple[int, list[int]] | None, int]:
    """m = lower, lower + 1, ... until a plan: (proven bound, (direction, station per internal
    task) or None, nodes of the compiled search). The Python search works in `dirs[0]`."""
    bound = lower
    primal_nodes = 0
    for m in range(lower, upper):
        seconds = (deadline - time.perf_counter()) * _PRIMAL_SHARE
        which, plan, used, refuted = _primal(
            [searches[i].d for i in dirs], m, seconds, node_limit, stop
        )
        primal_nodes += used
        if plan is not None:
            return bound, (dirs[which], plan), primal_nodes
        if refuted:
            bound = m + 1
            continue
        try:
            st = searches[dirs[0]].feasible(m)
        except _Abort:
            break
        if st is None:
            bound = m + 1
            continue
        return bound, (dirs[0], st), primal_nodes
    return bound, None, primal_nodes


def _primal(
    dirs: Sequence[_Direction],
    m: int,
    seconds: float,
    node_limit: int | None,
    stop: StopRequest | None,
) -> tuple[int, list[int] | None, int, bool]:
    """The compiled search at m stations: (index into dirs, station per internal task or
    None, nodes, refuted). `refuted` means one direction searched to the end without a plan
    and without dropping a load: the same exact search as the Python one, so m is infeasible.

    The directions take turns, their time in the ratio `_PRIMAL_WEIGHTS`, each with restarts
    of growing node budgets (1000 × 1.5^k, ties at random per restart, memory kept per
    direction); a direction that ends after dropping loads is set aside. The kernel has no
    clock, so each budget is also cut to what the measured node rate allows in the time left.
    """
    from solvers.salbp import kernels  # numba: imported (0.3 s) only when the search runs

    start = time.perf_counter()
    nodes = 0
    rng = np.random.default_rng(0)
    runs: list[list[Any]] = []  # per direction: arrays, zob, keys, vals, budget, seed
    for d in dirs:
        n = d.n
        zob = rng.integers(1, 2**63, n, dtype=np.int64).astype(np.uint64)
        keys = np.zeros((_PRIMAL_SLOTS, (n + 63) // 64), np.uint64)
        vals = np.full(_PRIMAL_SLOTS, -1, np.int64)
        runs.append([_kernel_arrays(d), zob, keys, vals, _RESTART_FIRST, 0])
    live = list(range(len(dirs)))
    used = [0.0] * len(dirs)
    rate = 0.0
    while live:
        # The first direction (fewer loads for station 1, as in SALOME) gets more of the time:
        # on the Scholl graph it is the one that finds the plans.
        i = min(live, key=lambda x: (used[x] / _PRIMAL_WEIGHTS[min(x, 1)], x))
        left = seconds - (time.perf_counter() - start)
        if left <= 0 or (node_limit is not None and nodes >= node_limit):
            break
        if stop is not None and stop.requested:
            break
        arrays, zob, keys, vals, budget, seed = runs[i]
        cut = budget if rate == 0.0 else max(100, min(budget, int(rate * left)))
        if node_limit is not None:
            cut = min(cut, node_limit - nodes)
        t0 = time.perf_counter()
        t, head, tail, w2, w3, pptr, pidx, sptr, sidx, dom = arrays
        st, done, status = kernels.search(
            m,
            t,
            dirs[i].cap,
            head,
            tail,
            w2,
            w3,
            pptr,
            pidx,
            sptr,
            sidx,
            dom,
            zob,
            keys,
            vals,
            cut,
            seed,
            _PRIMAL_LOADS,
        )
        spent = time.perf_counter() - t0
        used[i] += spent
        nodes += done
        rate = done / max(spent, 1e-6)
        if status == 1:
            return i, [int(x) for x in st], nodes, False
        if status == -1:
            return 0, None, nodes, True
        if status < 0:
            live.remove(i)
        runs[i][4], runs[i][5] = int(budget * _RESTART_GROWTH), seed + 1
    return 0, None, nodes, False


def _kernel_arrays(d: _Direction) -> tuple[np.ndarray, ...]:
    """One direction as the integer arrays `kernels.search` takes (after m, before cap)."""
    dom = np.zeros((d.n, d.n), np.bool_)
    for j in range(d.n):
        for i in bits(d.dom_by[j]):
            dom[j, i] = True
    ints = [np.array(x, np.int64) for x in (d.t, d.head, d.tail, d.w2, d.w3)]
    return (*ints, *csr(d.pred), *csr(d.succ), dom)
