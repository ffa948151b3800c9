"""`solvers.cpsat.run`: a signal stops a running CP-SAT solve at once, in a real process.

CP-SAT would otherwise swallow Ctrl-C for the length of a solve (it ended only that solve,
and the caller carried on), and a Python handler for SIGTERM would wait for the solve to
return. The solves here would run for a minute: 2^60 solutions to enumerate.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from solvers import cpsat
from tests.conftest import ROOT
from tests.processes import RUN_TIMEOUT, START_TIMEOUT

ENDLESS = """
import signal, sys, time
from ortools.sat.python import cp_model
from solvers import cpsat

def stop(signum, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
model = cp_model.CpModel()
for i in range(60):
    model.new_bool_var(f"x{i}")
solver = cp_model.CpSolver()
solver.parameters.enumerate_all_solutions = True
solver.parameters.max_time_in_seconds = 60
clock = time.monotonic()
try:
    status = cpsat.run(solver, model)
    print("returned", solver.status_name(status), flush=True)
except KeyboardInterrupt:
    print(f"interrupted after {time.monotonic() - clock:.1f} s", flush=True)
"""


def _endless(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    marker = tmp_path / "solving"
    process = subprocess.Popen(
        [sys.executable, "-c", ENDLESS], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={"PYTHONPATH": str(ROOT), "PLANNER_TEST_SOLVE_MARKER": str(marker), "PATH": "/usr/bin:/bin"})
    deadline = time.monotonic() + START_TIMEOUT
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the solve never started"
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the solve
    return process, marker


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_solve_at_once(tmp_path: Path, signum: signal.Signals) -> None:
    process, _ = _endless(tmp_path)
    process.send_signal(signum)
    out, err = process.communicate(timeout=RUN_TIMEOUT)
    # Before: SIGINT ended only the solve ("returned FEASIBLE" after 0.5 s, no interrupt
    # raised), and SIGTERM waited the full minute.
    assert out.startswith("interrupted after "), (out, err)
    assert float(out.split()[2]) < 30, out  # the solve's own limit is 60 s
    assert process.returncode == 0, err


def test_without_a_signal_the_solve_returns_its_status() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    model.maximize(x)
    solver = cp_model.CpSolver()
    assert cpsat.run(solver, model) == cp_model.OPTIMAL and solver.value(x) == 10


def test_off_the_main_thread_it_is_a_plain_solve() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    model.add(x >= 11)
    found: list[cp_model.CpSolverStatus] = []
    thread = threading.Thread(target=lambda: found.append(cpsat.run(cp_model.CpSolver(), model)))
    thread.start()
    thread.join(RUN_TIMEOUT)
    assert found == [cp_model.INFEASIBLE]


def test_a_requested_stop_ends_the_solve_and_keeps_its_solutions(stop_cleared: None) -> None:
    """The first Ctrl-C of `planner plan`: the solve returns normally, with what it found."""
    model = cp_model.CpModel()
    for i in range(60):
        model.new_bool_var(f"x{i}")
    solver = cp_model.CpSolver()
    solver.parameters.enumerate_all_solutions = True  # 2^60 solutions: a minute at least
    solver.parameters.max_time_in_seconds = 60
    threading.Timer(0.5, cpsat.request_stop).start()
    clock = time.monotonic()
    status = cpsat.run(solver, model)
    assert status == cp_model.FEASIBLE and time.monotonic() - clock < 30
    # Every later solve returns at once, until the stop is cleared.
    x = model.new_int_var(0, 10, "y")
    model.maximize(x)
    solver = cp_model.CpSolver()
    assert cpsat.run(solver, model) == cp_model.UNKNOWN
    cpsat.clear_stop()
    assert cpsat.run(cp_model.CpSolver(), model) == cp_model.OPTIMAL
