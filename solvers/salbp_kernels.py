"""Compiled (numba) station search for pure SALBP-1: the fast half of `salbp_bb`.

`salbp_bb.station_bb` is exact but runs in Python at about 2,000 nodes per second on the
297-task Scholl graph; there the stations must be almost exactly full, and a plan at the
proven lower bound needs far more nodes than that. This module runs the same search —
stations filled one at a time with maximal loads, fullest first, pruned by LB1–LB3 on
what remains, heads and tails, Jackson's dominance and a memory of task sets that cannot
be completed — compiled, with task sets as word arrays and an exact hash table as the
memory. It answers one question, "do m stations suffice?", with a plan, with "searched
to the end, none" (a refutation, since every rule is the Python search's), or with
"undecided" when its node budget ran out or a station had more loads than it keeps.

Arrays use the internal topological numbering of `salbp_bb._Direction`: every
predecessor has a smaller index, so a load is enumerated by adding tasks in increasing
index only and each load is generated once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_EMPTY = np.int64(-1)


@njit(cache=True)
def _memo_find(keys: np.ndarray, vals: np.ndarray, bits: np.ndarray, h: np.uint64) -> int:
    """Slot of set `bits` (hash h) in the table, or -(free slot) - 1 when absent; -1 - size when full."""
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


@njit(cache=True)
def _enumerate(
    k: int, m: int, R: int, W2: int, W3: int,
    t: np.ndarray, cap: int, head: np.ndarray, tail: np.ndarray, w2: np.ndarray, w3: np.ndarray,
    pptr: np.ndarray, pidx: np.ndarray, sptr: np.ndarray, sidx: np.ndarray, dom: np.ndarray,
    assigned: np.ndarray, npl: np.ndarray, bits: np.ndarray, h: np.uint64, zob: np.ndarray,
    keys: np.ndarray, vals: np.ndarray,
    buf: np.ndarray, start: int, lstart: np.ndarray, lcount: np.ndarray, lload: np.ndarray,
    lw2s: np.ndarray, lw3s: np.ndarray, max_loads: int, work: np.ndarray, avl: np.ndarray,
) -> tuple[int, int, bool]:
    """Maximal loads of station k + 1 (0-based k stations placed) that pass every bound.

    Loads are written to `buf` from `start`; per load its offset, task count, time, and
    LB2/LB3 weights. Returns (number of loads, end offset in buf, truncated?).

    The load is built depth first, tasks added in increasing index. `avl[d]` holds, sorted
    by index, the tasks that could join at depth d (unassigned, all predecessors assigned
    or in the load, allowed in this station, not in the load), so each step looks at a
    few dozen tasks instead of all n.
    """
    n = t.shape[0]
    rest = m - k - 1
    need = R - rest * cap
    if need > cap or W2 > 2 * (rest + 1) or W3 > 6 * (rest + 1):
        return 0, start, False
    dist = work[0]
    suf = work[1]
    inl = work[2]
    pick = work[3]
    navl = work[4]  # list length per depth
    pos = work[5]  # next list position to try per depth
    mustl = work[6]
    # suf[j]: time of tasks with index >= j that could still join this station (allowed
    # here, and a chain of unassigned predecessors that fits): the need cut below.
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
    # Tasks whose tails leave no later station: this load must take them.
    lim_tail = m - k - 1
    nmust = 0
    na = 0
    for j in range(n):
        if not assigned[j]:
            if tail[j] > lim_tail:
                mustl[nmust] = j
                nmust += 1
            if npl[j] == 0 and head[j] <= k + 1:
                avl[0, na] = j
                na += 1
    navl[0] = na
    pos[0] = 0
    count = 0
    out = start
    truncated = False
    depth = 0
    load = 0
    lw2 = 0
    lw3 = 0
    entered = True
    while True:
        na = navl[depth]
        rem = cap - load
        if entered:
            entered = False
            maximal = True
            for a in range(na):
                if t[avl[depth, a]] <= rem:
                    maximal = False
                    break
            if maximal:
                ok = load >= need and W2 - lw2 <= 2 * rest and W3 - lw3 <= 6 * rest
                if ok:
                    for a in range(nmust):
                        if inl[mustl[a]] == 0:
                            ok = False
                            break
                if ok:  # Jackson: an available unrelated task dominating j would fit in its place
                    for a in range(depth):
                        j = pick[a]
                        lim = t[j] + rem
                        for b in range(na):
                            i = avl[depth, b]
                            if dom[j, i] and t[i] <= lim:
                                ok = False
                                break
                        if not ok:
                            break
                if ok:  # memory: S ∪ L already failed with this many stations left
                    nb = bits.copy()
                    hh = h
                    for a in range(depth):
                        j = pick[a]
                        nb[j >> 6] |= np.uint64(1) << np.uint64(j & 63)
                        hh ^= zob[j]
                    if _memo_get(keys, vals, nb, hh) >= rest:
                        ok = False
                if ok:
                    if count >= max_loads or out + depth > buf.shape[0]:
                        truncated = True
                        break
                    lstart[count] = out
                    lcount[count] = depth
                    lload[count] = load
                    lw2s[count] = lw2
                    lw3s[count] = lw3
                    for a in range(depth):
                        buf[out + a] = pick[a]
                    out += depth
                    count += 1
                # a maximal load has no extension: back up (below)
                pos[depth] = na
        # the next candidate at this depth: list position >= pos[depth] that fits
        nxt = -1
        p = pos[depth]
        while p < na:
            j = avl[depth, p]
            if load + suf[j] < need:
                p = na
                break
            if t[j] <= rem:
                nxt = j
                break
            p += 1
        if nxt >= 0:
            pos[depth] = p + 1
            # list for depth + 1: this one without nxt, plus successors that become available
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
                    # insert keeping the list sorted (successors have larger indices)
                    b = c
                    while b > 0 and avl[depth + 1, b - 1] > s2:
                        avl[depth + 1, b] = avl[depth + 1, b - 1]
                        b -= 1
                    avl[depth + 1, b] = s2
                    c += 1
            pick[depth] = nxt
            inl[nxt] = 1
            load += t[nxt]
            lw2 += w2[nxt]
            lw3 += w3[nxt]
            depth += 1
            navl[depth] = c
            # candidates at the new depth have larger indices than nxt
            b = 0
            while b < c and avl[depth, b] < nxt:
                b += 1
            pos[depth] = b
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
        for q in range(sptr[j], sptr[j + 1]):
            npl[sidx[q]] += 1
    # undo a truncated enumeration's partial picks
    while depth > 0:
        depth -= 1
        j = pick[depth]
        inl[j] = 0
        for q in range(sptr[j], sptr[j + 1]):
            npl[sidx[q]] += 1
    return count, out, truncated


@njit(cache=True)
def search(
    m: int, t: np.ndarray, cap: int, head: np.ndarray, tail: np.ndarray,
    w2: np.ndarray, w3: np.ndarray, pptr: np.ndarray, pidx: np.ndarray,
    sptr: np.ndarray, sidx: np.ndarray, dom: np.ndarray, zob: np.ndarray,
    keys: np.ndarray, vals: np.ndarray, node_limit: int, seed: int, max_loads: int,
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
    w = keys.shape[1]
    assigned = np.zeros(n, np.int64)
    npl = np.zeros(n, np.int64)
    for j in range(n):
        npl[j] = pptr[j + 1] - pptr[j]
    total = 0
    W2t = 0
    W3t = 0
    for j in range(n):
        total += t[j]
        W2t += w2[j]
        W3t += w3[j]
    work = np.zeros((7, n + 1), np.int64)
    avl = np.zeros((n + 2, n + 1), np.int64)
    buf = np.zeros(8_000_000, np.int32)
    lstart = np.zeros((m + 1, max_loads), np.int64)
    lcount = np.zeros((m + 1, max_loads), np.int64)
    lload = np.zeros((m + 1, max_loads), np.int64)
    lw2s = np.zeros((m + 1, max_loads), np.int64)
    lw3s = np.zeros((m + 1, max_loads), np.int64)
    order = np.zeros((m + 1, max_loads), np.int64)
    nloads = np.zeros(m + 1, np.int64)
    cur = np.zeros(m + 1, np.int64)
    end = np.zeros(m + 2, np.int64)
    Rk = np.zeros(m + 2, np.int64)
    W2k = np.zeros(m + 2, np.int64)
    W3k = np.zeros(m + 2, np.int64)
    hk = np.zeros(m + 2, np.uint64)
    bk = np.zeros((m + 2, w), np.uint64)
    incomplete = np.zeros(m + 2, np.bool_)
    Rk[0] = total
    W2k[0] = W2t
    W3k[0] = W3t
    nodes = 0
    station = np.zeros(n, np.int64)
    dropped = False

    k = 0
    cnt, e, tr = _enumerate(0, m, Rk[0], W2k[0], W3k[0], t, cap, head, tail, w2, w3, pptr, pidx,
                            sptr, sidx, dom, assigned, npl, bk[0], hk[0], zob, keys, vals, buf, 0,
                            lstart[0], lcount[0], lload[0], lw2s[0], lw3s[0], max_loads, work, avl)
    nloads[0] = cnt
    end[0] = e
    incomplete[0] = tr
    _sort_level(0, cnt, lload, lcount, order)
    cur[0] = -1
    while True:
        # take back the load applied at level k, if any
        if cur[k] >= 0:
            li = order[k, cur[k]]
            s0 = lstart[k, li]
            for a in range(lcount[k, li]):
                j = buf[s0 + a]
                assigned[j] = 0
                for q in range(sptr[j], sptr[j + 1]):
                    npl[sidx[q]] += 1
        cur[k] += 1
        if cur[k] >= nloads[k]:
            if incomplete[k]:
                dropped = True
            else:
                _memo_put(keys, vals, bk[k], hk[k], m - k)
            if k == 0:
                return station, nodes, (-2 if dropped else -1)
            if incomplete[k]:
                incomplete[k - 1] = True
            k -= 1
            continue
        li = order[k, cur[k]]
        s0 = lstart[k, li]
        bk[k + 1, :] = bk[k]
        hh = hk[k]
        for a in range(lcount[k, li]):
            j = buf[s0 + a]
            assigned[j] = 1
            for q in range(sptr[j], sptr[j + 1]):
                npl[sidx[q]] -= 1
            bk[k + 1, j >> 6] |= np.uint64(1) << np.uint64(j & 63)
            hh ^= zob[j]
        hk[k + 1] = hh
        Rk[k + 1] = Rk[k] - lload[k, li]
        W2k[k + 1] = W2k[k] - lw2s[k, li]
        W3k[k + 1] = W3k[k] - lw3s[k, li]
        if Rk[k + 1] == 0:
            for kk in range(k + 1):
                lj = order[kk, cur[kk]]
                for a in range(lcount[kk, lj]):
                    station[buf[lstart[kk, lj] + a]] = kk + 1
            return station, nodes, 1
        nodes += 1
        if nodes >= node_limit:
            return station, nodes, 0
        if k + 1 >= m:
            continue
        k += 1
        incomplete[k] = False
        cnt, e, tr = _enumerate(k, m, Rk[k], W2k[k], W3k[k], t, cap, head, tail, w2, w3, pptr,
                                pidx, sptr, sidx, dom, assigned, npl, bk[k], hk[k], zob, keys,
                                vals, buf, end[k - 1], lstart[k], lcount[k], lload[k], lw2s[k],
                                lw3s[k], max_loads, work, avl)
        nloads[k] = cnt
        end[k] = e
        incomplete[k] = tr
        _sort_level(k, cnt, lload, lcount, order)
        cur[k] = -1


@njit(cache=True)
def _sort_level(k: int, cnt: int, lload: np.ndarray, lcount: np.ndarray, order: np.ndarray) -> None:
    """Fullest loads first, then fewer tasks, then at random (the seed varies ties per restart)."""
    key = np.empty(cnt, np.float64)
    for i in range(cnt):
        key[i] = -lload[k, i] * 1e6 + lcount[k, i] * 1e3 + np.random.random()
    idx = np.argsort(key)
    for i in range(cnt):
        order[k, i] = idx[i]
