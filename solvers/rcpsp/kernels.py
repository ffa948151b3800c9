"""Compiled inner loops of the genetic search (`solvers.rcpsp.genetic`): serial SGS, double
justification and the GA's generations.

Kept apart so that importing the solvers never imports numba (the search imports this
module when it runs); the first call compiles
these functions and numba caches the machine code on disk (`cache=True`), so later
processes load it in a fraction of a second. Everything is integer arrays:
`dur[n]`, `dem[n, k]`, `cap[k]`, predecessor and successor lists in CSR form
(`ptr[n + 1]`, `idx`), `release[n]`, `usage[horizon, k]` (a zeroed scratch profile that
every call leaves zeroed again) and `topo[n]` (each task's topological rank, which breaks
ties so that zero-length tasks never precede their predecessors).
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True)
def sgs(order, dur, dem, cap, pptr, pidx, release, usage):  # noqa: ANN001, ANN201
    """Serial SGS over a precedence-feasible list: each task at its earliest feasible start."""
    n = dur.shape[0]
    k = cap.shape[0]
    starts = np.empty(n, np.int64)
    used_to = 0
    for i in range(n):
        t = order[i]
        s = release[t]
        for j in range(pptr[t], pptr[t + 1]):
            e = starts[pidx[j]] + dur[pidx[j]]
            if e > s:
                s = e
        d = dur[t]
        while True:  # jump past the latest clash in [s, s + d) until none is left
            clash = -1
            for u in range(s + d - 1, s - 1, -1):
                for r in range(k):
                    if usage[u, r] + dem[t, r] > cap[r]:
                        clash = u
                        break
                if clash >= 0:
                    break
            if clash < 0:
                break
            s = clash + 1
        for u in range(s, s + d):
            for r in range(k):
                usage[u, r] += dem[t, r]
        if s + d > used_to:
            used_to = s + d
        starts[t] = s
    for u in range(used_to):
        for r in range(k):
            usage[u, r] = 0
    return starts


@nb.njit(cache=True)
def makespan(starts, dur):  # noqa: ANN001, ANN201
    m = 0
    for t in range(dur.shape[0]):
        if starts[t] + dur[t] > m:
            m = starts[t] + dur[t]
    return m


@nb.njit(cache=True)
def order_of(starts, topo):  # noqa: ANN001, ANN201
    """The activity list of a schedule: by start, ties in topological order."""
    return np.argsort(starts * starts.shape[0] + topo)


@nb.njit(cache=True)
def justify(starts, dur, dem, cap, pptr, pidx, sptr, sidx, release, zero, usage, topo):  # noqa: ANN001, ANN201
    """Double justification: right-justify (backward SGS by latest end), then left-justify
    (forward SGS by the right-justified starts); repeated while the makespan shrinks."""
    n = dur.shape[0]
    best = starts.copy()
    best_ms = makespan(best, dur)
    key = np.empty(n, np.int64)
    for _ in range(4):
        for t in range(n):
            key[t] = -(best[t] + dur[t]) * n - topo[t]
        back = sgs(np.argsort(key), dur, dem, cap, sptr, sidx, zero, usage)
        for t in range(n):  # the mirror's latest end is the real schedule's earliest start
            key[t] = -(back[t] + dur[t]) * n + topo[t]
        forward = sgs(np.argsort(key), dur, dem, cap, pptr, pidx, release, usage)
        ms = makespan(forward, dur)
        if ms >= best_ms:
            break
        best, best_ms = forward, ms
    return best, best_ms


@nb.njit(cache=True)
def generations(
    pop,
    fit,
    count,
    mutation,
    direct,
    seed,
    dur,
    dem,
    cap,
    pptr,
    pidx,
    sptr,
    sidx,
    release,
    zero,
    usage,
    topo,
):  # noqa: ANN001, ANN201
    """Run `count` generations in place on `pop` (activity lists) and `fit` (makespans).

    Returns the best schedule produced by these generations and its makespan.
    """
    np.random.seed(seed)
    size, n = pop.shape
    child = np.empty((size, n), np.int64)
    child_fit = np.empty(size, np.int64)
    taken = np.zeros(n, np.bool_)
    best = np.zeros(n, np.int64)
    best_ms = np.iinfo(np.int64).max
    for _ in range(count):
        pairing = np.random.permutation(size)
        for c in range(size):
            _crossover(pop[pairing[c]], pop[pairing[(c + 1) % size]], child[c], taken)
            _mutate(child[c], mutation, direct)
            starts = sgs(child[c], dur, dem, cap, pptr, pidx, release, usage)
            starts, ms = justify(
                starts, dur, dem, cap, pptr, pidx, sptr, sidx, release, zero, usage, topo
            )
            child[c] = order_of(starts, topo)
            child_fit[c] = ms
            if ms < best_ms:
                best_ms = ms
                best[:] = starts
        _select(pop, fit, child, child_fit)
    return best, best_ms


@nb.njit(cache=True)
def _crossover(mother, father, child, taken):  # noqa: ANN001, ANN202
    """Two-point crossover into `child`: the mother's head, the father's order for the middle,
    the mother's order for the rest; it keeps the lists precedence-feasible."""
    n = mother.shape[0]
    q1 = np.random.randint(0, n)
    q2 = np.random.randint(q1, n + 1)
    taken[:] = False
    pos = 0
    for i in range(q1):
        child[pos] = mother[i]
        taken[mother[i]] = True
        pos += 1
    for i in range(n):
        if pos >= q2:
            break
        if not taken[father[i]]:
            child[pos] = father[i]
            taken[father[i]] = True
            pos += 1
    for i in range(n):
        if not taken[mother[i]]:
            child[pos] = mother[i]
            taken[mother[i]] = True
            pos += 1


@nb.njit(cache=True)
def _mutate(child, mutation, direct):  # noqa: ANN001, ANN202
    """Swap neighbours with probability `mutation`, never a direct predecessor pair (the list
    stays precedence-feasible)."""
    for i in range(child.shape[0] - 1):
        if np.random.random() < mutation:
            a = child[i]
            b = child[i + 1]
            if not direct[a, b]:
                child[i] = b
                child[i + 1] = a


@nb.njit(cache=True)
def _select(pop, fit, child, child_fit):  # noqa: ANN001, ANN202
    """Keep the best half of parents and children in place (ties broken at random, so equal
    makespans do not always favour the parents)."""
    size, n = pop.shape
    merged = np.concatenate((fit, child_fit))
    rank = np.argsort(merged * 2.0 + np.random.random(2 * size))  # ties at random
    survivors = np.empty((size, n), np.int64)
    survivor_fit = np.empty(size, np.int64)
    for i in range(size):
        j = rank[i]
        if j < size:
            survivors[i] = pop[j]
        else:
            survivors[i] = child[j - size]
        survivor_fit[i] = merged[j]
    pop[:] = survivors
    fit[:] = survivor_fit
