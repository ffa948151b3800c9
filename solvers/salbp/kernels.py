"""Compiled (numba) station search for pure SALBP-1: the fast half of `branch_and_bound`.

`branch_and_bound.station_bb` is exact but runs in Python at about 2,000 nodes per second on the
297-task Scholl graph; there the stations must be almost exactly full, and a plan at the
proven lower bound needs far more nodes than that. This module runs the same search —
stations filled one at a time with maximal loads, fullest first, pruned by LB1–LB3 on
what remains, heads and tails, Jackson's dominance and a memory of task sets that cannot
be completed — compiled, with task sets as word arrays and an exact hash table as the
memory. It answers one question, "do m stations suffice?", with a plan, with "searched
to the end, none" (a refutation, since every rule is the Python search's), or with
"undecided" when its node budget ran out or a station had more loads than it keeps.

Arrays use the internal topological numbering of `branch_and_bound._Direction`: every
predecessor has a smaller index, so a load is enumerated by adding tasks in increasing
index only and each load is generated once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_EMPTY = np.int64(-1)


@njit(cache=True)
def _memo_find(keys: np.ndarray, vals: np.ndarray, bits: np.ndarray, h: np.uint64) -> int:
    """Slot of set `bits` (hash h) in the table, or -(free slot) - 1 when absent; -1 - size
    when full."""
    size = vals.shape[0]
    w = bits.shape[0]
    slot = np.int64(h >> np.uint64(1)) & (size - 1)
    for _ in range(64):
        if vals[slot] == _EMPTY:
            return -slot - 1
        same = True
        for q in range(w):
            if keys[slot, q] != bits[q]:
                same = False
                break
        if same:
            return slot
        slot = (slot + 1) & (size - 1)
    return -size - 1


@njit(cache=True)
def _memo_get(keys: np.ndarray, vals: np.ndarray, bits: np.ndarray, h: np.uint64) -> int:
    """Stations left with which `bits` is known not to complete, or -1."""
    s = _memo_find(keys, vals, bits, h)
    return vals[s] if s >= 0 else -1


@njit(cache=True)
def _memo_put(keys: np.ndarray, vals: np.ndarray, bits: np.ndarray, h: np.uint64, r: int) -> None:
    s = _memo_find(keys, vals, bits, h)
    if s >= 0:
        if r > vals[s]:
            vals[s] = r
        return
    if s == -vals.shape[0] - 1:
        return  # table crowded here: forget rather than overwrite
    s = -s - 1
    keys[s, :] = bits
    vals[s] = r


# Loads of one station are kept per level in `loads[field, level, load]`, fields:
_START, _COUNT, _LOAD, _W2, _W3, _ORDER = 0, 1, 2, 3, 4, 5
# and per level in `levels[field, level]`:
_NLOADS, _CUR, _END, _R, _LW2, _LW3, _INCOMPLETE = 0, 1, 2, 3, 4, 5, 6
# The arrays travel in three tuples, so that the helpers' signatures stay short (numba passes
# a tuple of arrays like its arrays; the benchmark's node counts and times did not change):
#   g = (t, head, tail, w2, w3, pptr, pidx, sptr, sidx, dom)         the problem, read only
#   memo = (zob, keys, vals)                                         the failure memory
#   space = (assigned, npl, bk, hk, buf, loads, levels, work, avl)   the search state
# with `work`'s rows 0 dist, 1 suf, 2 inl (in the load), 3 pick, 4 navl, 5 pos, 6 mustl.


@njit(cache=True)
def _enumerate(
    k: int, m: int, cap: int, max_loads: int, g: tuple, memo: tuple, space: tuple
) -> tuple[int, int, bool]:
    """Maximal loads of station k + 1 (0-based k stations placed) that pass every bound,
    written to `buf` after level k - 1's, and per load (`loads[field, k, i]`) its offset,
    task count, time and LB2/LB3 weights. Returns (number of loads, end offset in buf,
    truncated?).

    The load is built depth first, tasks added in increasing index. `avl[d]` holds, sorted
    by index, the tasks that could join at depth d (unassigned, all predecessors assigned
    or in the load, allowed in this station, not in the load), so each step looks at a
    few dozen tasks instead of all n.
    """
    t, head, tail, w2, w3, pptr, pidx, sptr, sidx, dom = g
    assigned, npl, bk, hk, buf, loads, levels, work, avl = space
    start = levels[_END, k - 1] if k > 0 else 0
    rest = m - k - 1
    need = levels[_R, k] - rest * cap
    W2, W3 = levels[_LW2, k], levels[_LW3, k]
    if need > cap or W2 > 2 * (rest + 1) or W3 > 6 * (rest + 1):
        return 0, start, False
    inl, pick, navl, pos, level = work[2], work[3], work[4], work[5], loads[:, k, :]
    nmust = _start_lists(k, m, cap, g, space)
    count, out, truncated = 0, start, False
    depth, load, lw2, lw3 = 0, 0, 0, 0
    entered = True
    while True:
        na = navl[depth]
        rem = cap - load
        if entered:
            entered = False
            if _maximal(depth, na, rem, t, avl):
                ok = load >= need and W2 - lw2 <= 2 * rest and W3 - lw3 <= 6 * rest
                if ok:  # the rules after the bounds, cheapest first
                    ok = _passes_rules(depth, na, rem, rest, nmust, k, g, memo, space)
                if ok:
                    if count >= max_loads or out + depth > buf.shape[0]:
                        truncated = True
                        break
                    _record(level, count, out, depth, load, lw2, lw3, pick, buf)
                    out += depth
                    count += 1
                pos[depth] = na  # a maximal load has no extension: back up (below)
        nxt, p = _next_candidate(depth, na, rem, load, need, pos, avl, t, work[1])
        if nxt >= 0:
            pos[depth] = p + 1
            _push(depth, na, nxt, k, g, space)
            load += t[nxt]
            lw2 += w2[nxt]
            lw3 += w3[nxt]
            depth += 1
            entered = True
            continue
        if depth == 0:
            break
        depth -= 1
        j = pick[depth]
        load -= t[j]
        lw2 -= w2[j]
        lw3 -= w3[j]
        inl[j] = 0
        _release(j, sptr, sidx, npl)
    _undo(depth, pick, inl, sptr, sidx, npl)
    return count, out, truncated


@njit(cache=True, inline="always")
def _start_lists(k: int, m: int, cap: int, g: tuple, space: tuple) -> int:
    """Set up depth 0 of the enumeration: the `need` cut (`work[1]`), an empty load, the
    tasks it must take (`work[6]`) and the candidates; returns how many tasks are musts."""
    t, head, tail, w2, w3, pptr, pidx, sptr, sidx, dom = g
    assigned, npl, bk, hk, buf, loads, levels, work, avl = space
    _suffix(k, cap, t, head, pptr, pidx, assigned, work[0], work[1], work[2])
    nmust, first = _first_lists(k, m, head, tail, assigned, npl, work[6], avl)
    work[4, 0] = first  # navl: candidates per depth
    work[5, 0] = 0  # pos: the next candidate to try per depth
    return nmust


@njit(cache=True, inline="always")
def _passes_rules(
    depth: int,
    na: int,
    rem: int,
    rest: int,
    nmust: int,
    k: int,
    g: tuple,
    memo: tuple,
    space: tuple,
) -> bool:
    """The rules a maximal load that passed the bounds must also pass, cheapest first: it
    takes the musts, no Jackson dominance, and the memory does not know it as failed."""
    t, dom = g[0], g[9]
    zob, keys, vals = memo
    bk, hk, work, avl = space[2], space[3], space[7], space[8]
    inl, pick, mustl = work[2], work[3], work[6]
    if not _takes_the_musts(nmust, mustl, inl):
        return False
    if _dominated(depth, na, rem, pick, avl, t, dom):
        return False
    return not _remembered(depth, rest, pick, bk[k], hk[k], zob, keys, vals)


@njit(cache=True, inline="always")
def _push(depth: int, na: int, nxt: int, k: int, g: tuple, space: tuple) -> None:
    """Add task `nxt` to the load at `depth`: its candidate list for depth + 1, with the
    position to resume from (candidates with larger indices than nxt only)."""
    head, sptr, sidx = g[1], g[7], g[8]
    assigned, npl, work, avl = space[0], space[1], space[7], space[8]
    inl, pick, navl, pos = work[2], work[3], work[4], work[5]
    c = _descend(depth, na, nxt, k, sptr, sidx, npl, assigned, head, avl)
    pick[depth] = nxt
    inl[nxt] = 1
    navl[depth + 1] = c
    b = 0  # candidates at the new depth have larger indices than nxt
    while b < c and avl[depth + 1, b] < nxt:
        b += 1
    pos[depth + 1] = b


@njit(cache=True, inline="always")
def _undo(
    depth: int,
    pick: np.ndarray,
    inl: np.ndarray,
    sptr: np.ndarray,
    sidx: np.ndarray,
    npl: np.ndarray,
) -> None:
    """Undo a truncated enumeration's partial picks, so the caller's counts stay right."""
    for d in range(depth - 1, -1, -1):
        inl[pick[d]] = 0
        _release(pick[d], sptr, sidx, npl)


@njit(cache=True, inline="always")
def _suffix(
    k: int,
    cap: int,
    t: np.ndarray,
    head: np.ndarray,
    pptr: np.ndarray,
    pidx: np.ndarray,
    assigned: np.ndarray,
    dist: np.ndarray,
    suf: np.ndarray,
    inl: np.ndarray,
) -> None:
    """suf[j]: time of tasks with index >= j that could still join this station (allowed
    here, and a chain of unassigned predecessors that fits): the `need` cut of the search.
    Also clears `inl` (the tasks in the load)."""
    n = t.shape[0]
    for j in range(n):
        inl[j] = 0
        dist[j] = 0
        if not assigned[j] and head[j] <= k + 1:
            d = 0
            for q in range(pptr[j], pptr[j + 1]):
                p = pidx[q]
                if not assigned[p] and dist[p] > d:
                    d = dist[p]
            dist[j] = d + t[j]
    acc = 0
    for j in range(n - 1, -1, -1):
        if not assigned[j] and head[j] <= k + 1 and dist[j] <= cap:
            acc += t[j]
        suf[j] = acc


@njit(cache=True, inline="always")
def _first_lists(
    k: int,
    m: int,
    head: np.ndarray,
    tail: np.ndarray,
    assigned: np.ndarray,
    npl: np.ndarray,
    mustl: np.ndarray,
    avl: np.ndarray,
) -> tuple[int, int]:
    """The tasks this load must take (their tails leave no later station), and the candidates
    at depth 0; returns both counts."""
    lim_tail = m - k - 1
    nmust = 0
    na = 0
    for j in range(head.shape[0]):
        if not assigned[j]:
            if tail[j] > lim_tail:
                mustl[nmust] = j
                nmust += 1
            if npl[j] == 0 and head[j] <= k + 1:
                avl[0, na] = j
                na += 1
    return nmust, na


@njit(cache=True, inline="always")
def _maximal(depth: int, na: int, rem: int, t: np.ndarray, avl: np.ndarray) -> bool:
    """No candidate fits the room left: the load is maximal."""
    for a in range(na):
        if t[avl[depth, a]] <= rem:
            return False
    return True


@njit(cache=True, inline="always")
def _takes_the_musts(nmust: int, mustl: np.ndarray, inl: np.ndarray) -> bool:
    """The load holds every task whose tail leaves no later station."""
    for a in range(nmust):
        if inl[mustl[a]] == 0:
            return False
    return True


@njit(cache=True, inline="always")
def _dominated(
    depth: int, na: int, rem: int, pick: np.ndarray, avl: np.ndarray, t: np.ndarray, dom: np.ndarray
) -> bool:
    """Jackson: an available unrelated task dominating one of the load's tasks would fit in
    its place."""
    for a in range(depth):
        j = pick[a]
        lim = t[j] + rem
        for b in range(na):
            i = avl[depth, b]
            if dom[j, i] and t[i] <= lim:
                return True
    return False


@njit(cache=True, inline="always")
def _remembered(
    depth: int,
    rest: int,
    pick: np.ndarray,
    bits: np.ndarray,
    h: np.uint64,
    zob: np.ndarray,
    keys: np.ndarray,
    vals: np.ndarray,
) -> bool:
    """Memory: the assigned tasks and this load already failed with this many stations left."""
    nb = bits.copy()
    hh = h
    for a in range(depth):
        j = pick[a]
        nb[j >> 6] |= np.uint64(1) << np.uint64(j & 63)
        hh ^= zob[j]
    return _memo_get(keys, vals, nb, hh) >= rest


@njit(cache=True, inline="always")
def _record(
    level: np.ndarray,
    count: int,
    out: int,
    depth: int,
    load: int,
    lw2: int,
    lw3: int,
    pick: np.ndarray,
    buf: np.ndarray,
) -> None:
    """Store load number `count`: its tasks at buf[out:out + depth] and its figures."""
    level[_START, count] = out
    level[_COUNT, count] = depth
    level[_LOAD, count] = load
    level[_W2, count] = lw2
    level[_W3, count] = lw3
    for a in range(depth):
        buf[out + a] = pick[a]


@njit(cache=True, inline="always")
def _next_candidate(
    depth: int,
    na: int,
    rem: int,
    load: int,
    need: int,
    pos: np.ndarray,
    avl: np.ndarray,
    t: np.ndarray,
    suf: np.ndarray,
) -> tuple[int, int]:
    """The next task at this depth that fits (its list position), or -1 when none can, or
    when even all later tasks could not bring the load up to `need`."""
    p = pos[depth]
    while p < na:
        j = avl[depth, p]
        if load + suf[j] < need:
            return -1, na
        if t[j] <= rem:
            return j, p
        p += 1
    return -1, p


@njit(cache=True, inline="always")
def _descend(
    depth: int,
    na: int,
    nxt: int,
    k: int,
    sptr: np.ndarray,
    sidx: np.ndarray,
    npl: np.ndarray,
    assigned: np.ndarray,
    head: np.ndarray,
    avl: np.ndarray,
) -> int:
    """The candidate list for depth + 1: this one without `nxt`, plus the successors that
    `nxt` makes available (kept sorted; successors have larger indices). Returns its length."""
    c = 0
    for a in range(na):
        x = avl[depth, a]
        if x != nxt:
            avl[depth + 1, c] = x
            c += 1
    for q in range(sptr[nxt], sptr[nxt + 1]):
        s2 = sidx[q]
        npl[s2] -= 1
        if npl[s2] == 0 and not assigned[s2] and head[s2] <= k + 1:
            b = c
            while b > 0 and avl[depth + 1, b - 1] > s2:
                avl[depth + 1, b] = avl[depth + 1, b - 1]
                b -= 1
            avl[depth + 1, b] = s2
            c += 1
    return c


@njit(cache=True, inline="always")
def _release(j: int, sptr: np.ndarray, sidx: np.ndarray, npl: np.ndarray) -> None:
    """Task j leaves the load (or the stations): its successors wait for it again."""
    for q in range(sptr[j], sptr[j + 1]):
        npl[sidx[q]] += 1


@njit(cache=True)
def search(
    m: int,
    t: np.ndarray,
    cap: int,
    head: np.ndarray,
    tail: np.ndarray,
    w2: np.ndarray,
    w3: np.ndarray,
    pptr: np.ndarray,
    pidx: np.ndarray,
    sptr: np.ndarray,
    sidx: np.ndarray,
    dom: np.ndarray,
    zob: np.ndarray,
    keys: np.ndarray,
    vals: np.ndarray,
    node_limit: int,
    seed: int,
    max_loads: int,
) -> tuple[np.ndarray, int, int]:
    """Depth-first search for an assignment to m stations.

    Returns (station per task, 1-based, or all zeros; nodes visited; status) with status
    1 = found, 0 = node limit reached, -1 = searched to the end without a plan, -2 = the
    same, but some station had more than `max_loads` loads and the rest were dropped.
    The memory (`keys`, `vals`: task set -> stations left with which it cannot be
    completed) is only written for subtrees searched to the end, so it stays valid across
    calls with other seeds; the seed only reorders equally full loads.
    """
    np.random.seed(seed)
    n = t.shape[0]
    g = (t, head, tail, w2, w3, pptr, pidx, sptr, sidx, dom)
    memo = (zob, keys, vals)
    space = _workspace(n, m, max_loads, keys.shape[1], t, w2, w3, pptr)
    assigned, npl, bk, hk, buf, loads, levels, work, avl = space
    nodes = 0
    station = np.zeros(n, np.int64)
    dropped = False
    k = 0
    _open_level(0, m, cap, max_loads, g, memo, space)
    while True:
        if levels[_CUR, k] >= 0:  # take back the load applied at level k, if any
            _place(k, loads, levels, buf, assigned, sptr, sidx, npl, 0)
        levels[_CUR, k] += 1
        if levels[_CUR, k] >= levels[_NLOADS, k]:  # level k is done
            if levels[_INCOMPLETE, k]:
                dropped = True
            else:
                _memo_put(keys, vals, bk[k], hk[k], m - k)
            if k == 0:
                return station, nodes, (-2 if dropped else -1)
            if levels[_INCOMPLETE, k]:
                levels[_INCOMPLETE, k - 1] = 1
            k -= 1
            continue
        _apply(k, loads, levels, buf, assigned, sptr, sidx, npl, bk, hk, zob)
        if levels[_R, k + 1] == 0:
            _stations(k, loads, levels, buf, station)
            return station, nodes, 1
        nodes += 1
        if nodes >= node_limit:
            return station, nodes, 0
        if k + 1 >= m:
            continue
        k += 1
        _open_level(k, m, cap, max_loads, g, memo, space)


@njit(cache=True, inline="always")
def _workspace(
    n: int,
    m: int,
    max_loads: int,
    words: int,
    t: np.ndarray,
    w2: np.ndarray,
    w3: np.ndarray,
    pptr: np.ndarray,
) -> tuple:
    """The search's arrays, allocated once per call: assigned flags, waiting-predecessor
    counts, per-level task sets and hashes, the load buffer, loads and levels (level 0 holds
    all the time and LB2/LB3 weights), and the enumeration's scratch rows."""
    assigned = np.zeros(n, np.int64)
    npl = np.zeros(n, np.int64)
    for j in range(n):
        npl[j] = pptr[j + 1] - pptr[j]
    work = np.zeros((7, n + 1), np.int64)
    avl = np.zeros((n + 2, n + 1), np.int64)
    buf = np.zeros(8_000_000, np.int32)
    loads = np.zeros((6, m + 1, max_loads), np.int64)  # fields _START.._ORDER
    levels = np.zeros((7, m + 2), np.int64)  # fields _NLOADS.._INCOMPLETE
    hk = np.zeros(m + 2, np.uint64)
    bk = np.zeros((m + 2, words), np.uint64)
    levels[_R, 0] = t.sum()
    levels[_LW2, 0] = w2.sum()
    levels[_LW3, 0] = w3.sum()
    return assigned, npl, bk, hk, buf, loads, levels, work, avl


@njit(cache=True, inline="always")
def _open_level(
    k: int, m: int, cap: int, max_loads: int, g: tuple, memo: tuple, space: tuple
) -> None:
    """Enumerate and sort the loads of station k + 1; none of them is applied yet."""
    loads, levels = space[5], space[6]
    cnt, e, tr = _enumerate(k, m, cap, max_loads, g, memo, space)
    levels[_NLOADS, k] = cnt
    levels[_END, k] = e
    levels[_INCOMPLETE, k] = 1 if tr else 0
    _sort_level(k, cnt, loads[_LOAD], loads[_COUNT], loads[_ORDER])
    levels[_CUR, k] = -1


@njit(cache=True, inline="always")
def _place(
    k: int,
    loads: np.ndarray,
    levels: np.ndarray,
    buf: np.ndarray,
    assigned: np.ndarray,
    sptr: np.ndarray,
    sidx: np.ndarray,
    npl: np.ndarray,
    value: int,
) -> None:
    """Mark the tasks of level k's current load assigned (`value` 1) or not (0), and count
    their successors' waiting predecessors down or up."""
    li = loads[_ORDER, k, levels[_CUR, k]]
    s0 = loads[_START, k, li]
    for a in range(loads[_COUNT, k, li]):
        j = buf[s0 + a]
        assigned[j] = value
        for q in range(sptr[j], sptr[j + 1]):
            npl[sidx[q]] += -1 if value else 1


@njit(cache=True, inline="always")
def _apply(
    k: int,
    loads: np.ndarray,
    levels: np.ndarray,
    buf: np.ndarray,
    assigned: np.ndarray,
    sptr: np.ndarray,
    sidx: np.ndarray,
    npl: np.ndarray,
    bk: np.ndarray,
    hk: np.ndarray,
    zob: np.ndarray,
) -> None:
    """Apply level k's current load: its tasks assigned, and level k + 1's task set, hash,
    remaining time and LB2/LB3 weights."""
    _place(k, loads, levels, buf, assigned, sptr, sidx, npl, 1)
    li = loads[_ORDER, k, levels[_CUR, k]]
    s0 = loads[_START, k, li]
    bk[k + 1, :] = bk[k]
    hh = hk[k]
    for a in range(loads[_COUNT, k, li]):
        j = buf[s0 + a]
        bk[k + 1, j >> 6] |= np.uint64(1) << np.uint64(j & 63)
        hh ^= zob[j]
    hk[k + 1] = hh
    levels[_R, k + 1] = levels[_R, k] - loads[_LOAD, k, li]
    levels[_LW2, k + 1] = levels[_LW2, k] - loads[_W2, k, li]
    levels[_LW3, k + 1] = levels[_LW3, k] - loads[_W3, k, li]


@njit(cache=True, inline="always")
def _stations(
    k: int, loads: np.ndarray, levels: np.ndarray, buf: np.ndarray, station: np.ndarray
) -> None:
    """The plan: the current loads of levels 0..k are stations 1..k + 1."""
    for kk in range(k + 1):
        lj = loads[_ORDER, kk, levels[_CUR, kk]]
        for a in range(loads[_COUNT, kk, lj]):
            station[buf[loads[_START, kk, lj] + a]] = kk + 1


@njit(cache=True)
def _sort_level(k: int, cnt: int, lload: np.ndarray, lcount: np.ndarray, order: np.ndarray) -> None:
    """Fullest loads first, then fewer tasks, then at random (the seed varies ties per restart)."""
    key = np.empty(cnt, np.float64)
    for i in range(cnt):
        key[i] = -lload[k, i] * 1e6 + lcount[k, i] * 1e3 + np.random.random()
    idx = np.argsort(key)
    for i in range(cnt):
        order[k, i] = idx[i]
