"""A genetic algorithm for RCPSP schedules: the primal search that feeds CP-SAT a good hint.

Why it exists: on the hard PSPLIB groups (low resource strength) CP-SAT's single LNS
thread, started from the priority-rule greedy, stays 3–5 % above the best-known makespans
within 10 s. Thousands of schedules per second from a compiled serial SGS close most of
that gap before CP-SAT starts, and CP-SAT's LNS then works from there.

The method is the activity-list GA of Hartmann (1998) with the double justification
(forward-backward improvement) of Valls, Ballestín & Quintanilla (2005) applied to every
child, Lamarckian (the child's list is rewritten in the order of its justified schedule):
two-point crossover that keeps lists precedence-feasible, adjacent-swap mutation of
unrelated tasks, and elitist survival with random tie-breaking. When the best makespan
stalls, all but the best tenth of the population is replaced by freshly sampled lists
(priority rules with noise). The hot loops are compiled with numba, which is why they are
written over plain integer arrays.

Scope: releases are honoured; deadlines and the horizon are not modelled, so callers check
the result (`solvers.rcpsp.problem.check_schedule`) before they use it. The outcome depends
only on the problem, the seeds, the seed and `schedules` when a schedule budget is given;
with a time limit alone it also depends on the machine's speed. `schedule_cost` converts
schedules to time-budget units (`solvers.limits`), so that callers can give the search a
deterministic share of a time limit.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solvers.arrays import csr
from solvers.limits import StopRequest
from solvers.rcpsp.problem import ScheduleProblem

__all__ = ["GaResult", "evolve", "schedule_cost", "warm_up"]

# Population: 30 lists per task, within these limits. Large populations pay: on the hard
# j60 groups, 3 s of search left 45 units of excess over the best known with 60 lists,
# 18 with 1,000 and 15 with 2,000 (12 instances; docs/benchmarks-history.md).
POPULATION_PER_TASK = 30
POPULATION_MIN, POPULATION_MAX = 60, 2000
MUTATION = 0.05  # probability per adjacent pair
GENERATIONS_PER_CALL = 5  # generations per compiled call between clock checks, at most
STALL_SCHEDULES = 40_000  # no better makespan for this many schedules: refresh
#: ... and stop after this many refreshes without any improvement. One: a second refresh
#: never paid where it was measured (2026-12-06: every improvement on the 15 j30 instances
#: that reach the search at 10 s came within 15,000 schedules; on 12 hard j60 instances at
#: 30 s, within one refresh), and `solve()` gives the units a stalled search leaves to CP-SAT.
STALL_REFRESHES = 1
KEEP_ON_REFRESH = 0.1
MAX_TIME_UNITS = 2_000_000  # beyond this the resource profile array is too large

#: Budget units (wall seconds on the reference machine) per step of one schedule, where a
#: schedule costs n² + 2 × (summed durations) steps: the double justification's sorting and
#: passes grow with n², the resource profile's scan with the durations. Measured here: 7 µs
#: a schedule on j30 (n 32), 33 µs on j60 (n 62) and 225 µs on the demo's largest runbook
#: (78 steps, 11,040 minutes) at load 1, 58 µs on j60 at load 2-3; charged 19, 62 and 394 µs.
SECONDS_PER_STEP = 1.4e-8


def schedule_cost(problem: ScheduleProblem) -> float:
    """Budget units one schedule of the search costs on `problem` (see `SECONDS_PER_STEP`)."""
    n = problem.num_tasks
    return SECONDS_PER_STEP * (n * n + 2 * sum(problem.durations))


@dataclass(frozen=True)
class GaResult:
    """The best schedule found, how many schedules it took and why the search stopped."""

    starts: tuple[int, ...]
    makespan: int
    schedules: int
    generations: int
    runtime: float
    stopped: str  # "bound", "budget", "time", "stalled" or "stop"


def warm_up() -> None:
    """Compile the search's kernels now, or load them from numba's on-disk cache.

    The first call after installing compiles them, which takes 10-18 s on this project's
    reference machine (2 cores); a `planner runbook --time-limit 10` that paid for that
    inside its limit would overrun it. `planner demo` calls this, so the compile is paid
    once, where nobody waits on a limit. A run of a few thousand schedules on a small
    problem with a stall reaches every kernel (sampling, generations, refresh), with the
    same argument types as a real search, so numba caches the code a real search uses.
    """
    tasks = 8
    problem = ScheduleProblem(
        names=tuple(f"t{i}" for i in range(tasks)),
        durations=tuple(1 + i % 3 for i in range(tasks)),
        resources=("r",),
        capacities=(2,),
        demands=tuple((1 + i % 2,) for i in range(tasks)),
        precedence=((0, 2), (1, 3), (2, 5), (3, 6)),
    )
    evolve(problem, schedules=STALL_SCHEDULES * (STALL_REFRESHES + 2), lower_bound=0)


def evolve(
    problem: ScheduleProblem,
    *,
    schedules: int | None = None,
    seconds: float = math.inf,
    seed: int = 0,
    lower_bound: int = 0,
    priorities: Sequence[Sequence[float]] = (),
    stop: StopRequest | None = None,
) -> GaResult | None:
    """Search activity lists for a short schedule; None when the GA does not apply.

    Stops at `lower_bound` (nothing shorter exists), after `schedules` schedules when given
    (reproducible), after `seconds` of wall time, when refreshing the population has stopped
    paying, or on `stop`. `priorities` (lower first) seed the first population, e.g. the
    priority rules of the greedy, so the GA starts no worse than the greedy.
    """
    from solvers.rcpsp import kernels  # numba: imported (0.3 s) only when the search runs

    clock = time.perf_counter()
    n = problem.num_tasks
    if n < 2:
        return None
    data = _Arrays(problem)
    if data.usage.shape[0] > MAX_TIME_UNITS:
        return None
    rng = np.random.default_rng(seed)
    base = [np.asarray(p, dtype=float) for p in priorities] or [
        np.asarray(problem.topological_order, dtype=float).argsort().astype(float)
    ]
    size = min(POPULATION_MAX, max(POPULATION_MIN, POPULATION_PER_TASK * n))
    pop, fit = _sample(problem, data, base, rng, size)
    best_i = int(fit.argmin())
    best_ms = int(fit[best_i])
    best, _ = kernels.justify(kernels.sgs(pop[best_i], *data.forward), *data.both)
    done, generations, stalled, refreshes = size, 0, 0, 0
    stopped = "bound"
    while best_ms > lower_bound:
        reason = _stop_reason(schedules, done, time.perf_counter() - clock, seconds, stop)
        if reason:
            stopped = reason
            break
        count = GENERATIONS_PER_CALL  # fewer when the budget ends sooner
        if schedules is not None:
            count = max(1, min(count, -(-(schedules - done) // size)))
        starts, ms = kernels.generations(
            pop, fit, count, MUTATION, data.direct, int(rng.integers(2**31)), *data.both
        )
        generations += count
        done += count * size
        if ms < best_ms:
            best, best_ms, stalled, refreshes = starts.copy(), int(ms), 0, 0
            continue
        stalled += count * size
        if stalled >= STALL_SCHEDULES:
            refreshes += 1
            if refreshes > STALL_REFRESHES:
                stopped = "stalled"
                break
            done += _refresh(problem, data, base, rng, pop, fit)
            stalled = 0
    return GaResult(
        tuple(int(s) for s in best),
        best_ms,
        done,
        generations,
        time.perf_counter() - clock,
        stopped,
    )


def _stop_reason(
    schedules: int | None, done: int, elapsed: float, seconds: float, stop: StopRequest | None
) -> str:
    """Why the GA must stop before its next generations ("budget", "time", "stop"), or ""
    to go on; checked in this order so a reproducible budget wins over the clock."""
    if schedules is not None and done >= schedules:
        return "budget"
    if elapsed >= seconds:
        return "time"
    if stop is not None and stop.requested:
        return "stop"
    return ""


def _sample(
    problem: ScheduleProblem,
    data: _Arrays,
    base: list[np.ndarray],
    rng: np.random.Generator,
    count: int,
) -> tuple[np.ndarray, np.ndarray]:
    """`count` new population members and their makespans: the priority keys as given
    first, then the same keys with random noise, each list decoded, justified and stored in
    its schedule's start order (so crossover works on what was scheduled)."""
    from solvers.rcpsp import kernels  # numba: imported (0.3 s) only when the search runs

    n = problem.num_tasks
    pop = np.empty((count, n), np.int64)
    fit = np.empty(count, np.int64)
    for i in range(count):
        key = base[i % len(base)]
        if i >= len(base):
            key = key + rng.random(n) * (float(np.ptp(key)) + 1.0) * 0.3
        order = np.asarray(_order_by_key(problem, key), np.int64)
        starts = kernels.sgs(order, *data.forward)
        starts, ms = kernels.justify(starts, *data.both)
        pop[i] = kernels.order_of(starts, data.topo)
        fit[i] = ms
    return pop, fit


def _refresh(
    problem: ScheduleProblem,
    data: _Arrays,
    base: list[np.ndarray],
    rng: np.random.Generator,
    pop: np.ndarray,
    fit: np.ndarray,
) -> int:
    """Keep the best `KEEP_ON_REFRESH` of a stalled population and replace the rest with
    fresh samples, in place; returns the schedules that cost."""
    size = pop.shape[0]
    keep = max(1, int(size * KEEP_ON_REFRESH))
    order = np.argsort(fit, kind="stable")
    fresh_pop, fresh_fit = _sample(problem, data, base, rng, size - keep)
    pop[:] = np.concatenate((pop[order[:keep]], fresh_pop))
    fit[:] = np.concatenate((fit[order[:keep]], fresh_fit))
    return size - keep


def _order_by_key(problem: ScheduleProblem, key: np.ndarray) -> list[int]:
    """A precedence-feasible activity list: the eligible task with the lowest key next."""
    remaining = [len(p) for p in problem.predecessors]
    ready = [(key[t], t) for t in range(problem.num_tasks) if remaining[t] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, t = heapq.heappop(ready)
        order.append(t)
        for s in problem.successors[t]:
            remaining[s] -= 1
            if remaining[s] == 0:
                heapq.heappush(ready, (key[s], s))
    return order


class _Arrays:
    """The problem as the integer arrays the compiled kernels take."""

    def __init__(self, problem: ScheduleProblem) -> None:
        n, k = problem.num_tasks, problem.num_resources
        dur = np.asarray(problem.durations, np.int64)
        dem = np.asarray(problem.demands, np.int64).reshape(n, k)
        cap = np.asarray(problem.capacities, np.int64)
        release = np.asarray([problem.release_of(t) for t in range(n)], np.int64)
        pptr, pidx = csr(problem.predecessors)
        sptr, sidx = csr(problem.successors)
        horizon = int(dur.sum() + (release.max() if n else 0) + 1)
        self.usage = np.zeros((horizon, max(k, 1)), np.int64)
        if k == 0:
            dem = np.zeros((n, 1), np.int64)
            cap = np.zeros(1, np.int64)
        self.topo = np.empty(n, np.int64)
        self.topo[list(problem.topological_order)] = np.arange(n)
        self.direct = np.zeros((n, n), np.bool_)
        for a, b in problem.precedence:
            self.direct[a, b] = True
        zero = np.zeros(n, np.int64)
        self.forward = (dur, dem, cap, pptr, pidx, release, self.usage)
        self.both = (dur, dem, cap, pptr, pidx, sptr, sidx, release, zero, self.usage, self.topo)
