"""The one way every solver runs CP-SAT: its parameters, its status names, and its stop.

`solve(model, budget, stop, ...)` sets every parameter that concerns time, workers,
seeds and reproducibility (a model family adds its own tuning through `tune`), runs the
search so that signals and a `StopRequest` end it at once, and returns the status as one
of "optimal", "feasible", "infeasible", "unknown" or "invalid", with the work it used in
budget units.

Reproducibility: with a deterministic budget (`TimeBudget.deterministic`) the search is
limited by CP-SAT's deterministic time, `(budget.units - overhead) / cost` (budget units
per call and per deterministic second, calibrated per model family, since CP-SAT's clock
runs at very different speeds on different models), and several workers interleave their search in
fixed batches. The same model, seed and workers then give the same answer on any machine.
Sources: OR-Tools maintainers state CP-SAT is deterministic single-threaded and that
wall-clock limits can never be (google/or-tools#1145, #4195); multi-worker determinism
needs `interleave_search` (google/or-tools#4783, #4946). The wall clock is the safety net:
a call may run `OVERRUN` times its units' nominal seconds plus a second, never past the
budget's deadline; a call that the net ends instead of its units is `capped` (correct,
but another run may differ). The net is this module's own: the waiting thread stops the
search at the cap. CP-SAT's `max_time_in_seconds` is no such net: CP-SAT ends a search as
soon as its longest step so far would overrun that limit, and with interleaved workers a
step is a whole batch (a full-problem worker's deterministic second, 3.4 wall seconds on a
j30 instance at load 3), so a search ended seconds before the limit, short of its units,
at a point that depended on the load, and `capped` did not say so (2026-12-06). Here
CP-SAT's limit is only a backstop that cannot end a search before the cap. In wall-clock
mode (`units` infinite) only the deadline limits the search and CP-SAT's full parallel
portfolio runs.

Signals: by default CP-SAT installs its own SIGINT handler for the length of a solve, so
Ctrl-C only ended that one solve and the caller went on to the next phase; and a Python
signal handler (SIGTERM, or SIGINT without CP-SAT's) only runs when the solve returns,
which can be a minute later. Here the solve runs in a worker thread while the calling
thread waits; a signal handler that raises (KeyboardInterrupt, or the CLI's own interrupt)
then interrupts the wait, the search is stopped, and the exception goes on up. The wait
also watches the `StopRequest`: once it is requested, the running search ends as if its
time were up (CP-SAT keeps its best solution), and later solves return at once.

Memory: CP-SAT's clauses and its workers' copies of the model grow with the search. A search
may take `SEARCH_MEMORY_MB` above what the process held when it started; past that the
waiting thread stops it as at a time limit (the best solution kept), and the outcome says
so (`memory`). The process's memory is read from /proc (Linux); where it cannot be read
there is no such limit. (CP-SAT's own `max_memory_in_mb` is no such limit: OR-Tools
9.15's CP-SAT search ran on at 10 MB, 2026-12-06.)
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solvers.limits import StopRequest, TimeBudget

if TYPE_CHECKING:  # the class of `CpSolver.parameters` (it moved between OR-Tools versions)
    from ortools.sat.python.cp_model_helper import SatParameters

__all__ = ["OVERRUN", "SEARCH_MEMORY_MB", "Outcome", "solve"]

#: Memory in MB one search may add to the process. Measured (2026-12-06, idle): the waves
#: model of 20 generated municipalities (4,584 move groups x 22 waves, 2 workers) took the
#: planning process from 1.3 GB (60-s plan) to 5.7 GB (600-s plan, 100 s of waves search).
SEARCH_MEMORY_MB = 1500

_NAMES = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "invalid",
}

#: A deterministic call may run this many times its units' nominal seconds (plus one second)
#: of wall time: on a loaded machine deterministic time runs slower than the wall clock, and
#: a call that overstays more would eat the later calls' share of the time limit (the
#: budget's deadline bounds them all in any case). 2.5, not 1.5 as before: interleaved
#: workers stop only between batches, so a call of a few units cannot end early, and the
#: runbook test's 1.6-unit call (1.42 deterministic s) took 3.3-3.4 wall s at load 5.4-5.9,
#: over 1.5's 3.4 s cap; CP-SAT's own look-ahead (see above) had hidden that (2026-12-06).
OVERRUN = 2.5


@dataclass(frozen=True)
class Outcome:
    """One CP-SAT call: its status (see above), the solver to read values from, the budget
    units it used, whether the wall-clock cap or the memory limit (not its units) ended it,
    and whether it was the memory limit."""

    status: str
    solver: cp_model.CpSolver
    units: float
    capped: bool
    memory: bool = False

    @property
    def found(self) -> bool:
        """True when the solver holds a solution (optimal or feasible)."""
        return self.status in ("optimal", "feasible")

    @property
    def objective(self) -> float:
        return float(self.solver.objective_value)

    @property
    def bound(self) -> float:
        return float(self.solver.best_objective_bound)

    def value(self, expression: cp_model.LinearExprT) -> int:
        return int(self.solver.value(expression))


def solve(
    model: cp_model.CpModel,
    budget: TimeBudget,
    stop: StopRequest | None = None,
    *,
    cost: float = 1.0,
    overhead: float = 0.0,
    workers: int = 1,
    seed: int = 0,
    tune: Callable[[SatParameters], None] | None = None,
    on_solution: Callable[[float, float], None] | None = None,
) -> Outcome:
    """Solve `model` within `budget` (see the module docstring); `on_solution(objective,
    bound)` is called on every improving solution, from CP-SAT's thread.

    `cost` is the budget units one CP-SAT deterministic second costs on this model family,
    `overhead` the units a call costs before its search (loading the model, presolve, the
    workers' start: wall time that CP-SAT's deterministic clock does not count). Both are
    calibrated per model family on the reference machine; the call is charged
    `overhead + deterministic time × cost` (wall seconds in wall-clock mode).
    """
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = max(1, workers)
    prm.random_seed = seed
    prm.catch_sigint_signal = False  # signals are handled by `_run`, see above
    cap: float | None = None  # wall seconds after which `_run` stops a deterministic search
    if budget.deterministic:
        prm.max_deterministic_time = max(0.0, budget.units - overhead) / cost
        cap = max(0.01, min(OVERRUN * budget.units + 1.0, budget.wall_left()))
        # A backstop only (see above): CP-SAT's look-ahead ends a search at the earliest when
        # the elapsed time plus its longest step reaches this, and both are below the cap.
        prm.max_time_in_seconds = 2 * cap + 1.0
        prm.interleave_search = workers > 1
    else:
        prm.max_time_in_seconds = max(0.01, budget.wall_left())
    if tune is not None:
        tune(prm)
    if stop is not None and stop.requested:  # stopped before it began: the hint at most
        prm.max_time_in_seconds = 0.0
    callback = _Callback(on_solution) if on_solution is not None else None
    resident = _resident_mb()
    limit = None if resident is None else resident + SEARCH_MEMORY_MB
    code, cut, memory = _run(solver, model, callback, stop, cap, limit)
    status = _NAMES.get(code, "unknown")
    stopped = stop is not None and stop.requested
    short = status in ("feasible", "unknown") and not stopped
    if budget.deterministic:
        used = overhead + solver.deterministic_time * cost
    else:
        used = solver.wall_time
    return Outcome(status, solver, used, short and (cut or memory), short and memory)


def _resident_mb() -> float | None:
    """This process's resident memory in MB, None where it cannot be read (not Linux)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return None


class _Callback(cp_model.CpSolverSolutionCallback):
    """Forwards each improving solution's objective and bound."""

    def __init__(self, report: Callable[[float, float], None]) -> None:
        super().__init__()
        self._report = report

    def on_solution_callback(self) -> None:
        self._report(float(self.objective_value), float(self.best_objective_bound))


def _run(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback | None,
    stop: StopRequest | None,
    cap: float | None = None,
    memory: float | None = None,
) -> tuple[cp_model.CpSolverStatus, bool, bool]:
    """`solver.solve(model, callback)` in a worker thread, ended at once by a signal handler
    that raises in the waiting thread, by `stop`, `cap` wall seconds after it started, or
    when the process holds more than `memory` MB; the status, whether the cap ended it, and
    whether the memory limit did."""
    outcome: list[cp_model.CpSolverStatus] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            outcome.append(solver.solve(model, callback))
        except BaseException as exc:  # handed to the waiting thread below
            failure.append(exc)
        finally:
            done.set()

    deadline = time.monotonic() + (math.inf if cap is None else cap)
    threading.Thread(target=work, name="cp-sat", daemon=True).start()
    stopping = cut = over = False
    try:
        # Returns as soon as the solve ends; signals run in between.
        while not done.wait(0.1 if stopping else min(0.1, deadline - time.monotonic())):
            if stopping:
                continue
            if stop is not None and stop.requested:
                stopping = True
            elif time.monotonic() >= deadline:
                stopping = cut = True
            elif memory is not None and (_resident_mb() or 0.0) > memory:
                stopping = over = True
            if stopping:
                solver.stop_search()  # ends like a time limit: the best solution is kept
    except BaseException:
        solver.stop_search()
        _wait_out(done)
        raise
    if failure:
        raise failure[0]
    return outcome[0], cut, over


def _wait_out(done: threading.Event) -> None:
    """Wait for a stopped solve to end, whatever further signals arrive meanwhile: the
    process must not exit while CP-SAT's threads still run (C++ aborts it)."""
    while True:
        try:
            if done.wait(0.1):
                return
        except BaseException:  # a second Ctrl-C: the first one is already being handled
            continue
