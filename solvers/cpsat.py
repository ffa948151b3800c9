"""One way to run a CP-SAT solve: so that Ctrl-C and SIGTERM stop it at once.

Why: by default CP-SAT installs its own SIGINT handler for the length of a solve, so Ctrl-C
only ended that one solve and the caller went on to the next phase as if nothing had
happened; and a Python signal handler (SIGTERM, or SIGINT without CP-SAT's) only runs when
the solve returns, which can be a minute later. Here the solve runs in a worker thread while
the main thread waits; a signal handler that raises (KeyboardInterrupt, or the CLI's own
interrupt) then interrupts the wait, the search is stopped, and the exception goes on up.

A gentler stop keeps the work done so far: `request_stop()` (the first Ctrl-C of
`planner plan`) ends the running solve as if its time were up, so the caller gets CP-SAT's
best solution, and every later solve in the process returns at once. Callers that loop over
solves check `stop_requested()` and wind up with what they have.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ortools.sat.python import cp_model

__all__ = ["clear_stop", "request_stop", "run", "stop_requested"]

_STOP = threading.Event()


def request_stop() -> None:
    """End the running solve and every later one as if their time were up (thread-safe;
    callable from a signal handler)."""
    _STOP.set()


def stop_requested() -> bool:
    """True once `request_stop()` was called (until `clear_stop()`)."""
    return _STOP.is_set()


def clear_stop() -> None:
    """Let solves run their full time again (after a stopped run, in the same process)."""
    _STOP.clear()


def run(solver: cp_model.CpSolver, model: cp_model.CpModel,
        callback: cp_model.CpSolverSolutionCallback | None = None) -> cp_model.CpSolverStatus:
    """`solver.solve(model, callback)`, stoppable by a signal handler that raises.

    Off the main thread (where no signal handler runs) this is a plain solve.
    """
    solver.parameters.catch_sigint_signal = False
    if _STOP.is_set():  # stopped before it began: return at once, with the hint at most
        solver.parameters.max_time_in_seconds = 0.0
    marker = os.environ.get("PLANNER_TEST_SOLVE_MARKER")  # tests: "a solve is running now"
    if threading.current_thread() is not threading.main_thread():
        return solver.solve(model, callback)
    outcome: list[cp_model.CpSolverStatus] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            if marker:
                Path(marker).touch()
            outcome.append(solver.solve(model, callback))
        except BaseException as exc:  # handed to the main thread below
            failure.append(exc)
        finally:
            done.set()

    threading.Thread(target=work, name="cp-sat", daemon=True).start()
    stopping = False
    try:
        while not done.wait(0.1):  # returns as soon as the solve ends; signals run in between
            if _STOP.is_set() and not stopping:
                solver.stop_search()  # ends like a time limit: the best solution is kept
                stopping = True
    except BaseException:
        solver.stop_search()
        _wait_out(done)
        raise
    if failure:
        raise failure[0]
    return outcome[0]


def _wait_out(done: threading.Event) -> None:
    """Wait for a stopped solve to end, whatever further signals arrive meanwhile: the
    process must not exit while CP-SAT's threads still run (C++ aborts it)."""
    while True:
        try:
            if done.wait(0.1):
                return
        except BaseException:  # a second Ctrl-C: the first one is already being handled
            continue
