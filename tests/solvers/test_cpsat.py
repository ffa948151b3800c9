"""`solvers.cpsat.solve`: a signal or a stop request ends a running CP-SAT solve at once, and
the wall clock caps a deterministic budget and says so.

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
from typing import TYPE_CHECKING

import pytest
from ortools.sat.python import cp_model

from solvers import cpsat
from solvers.limits import StopRequest, TimeBudget
from tests.conftest import ROOT
from tests.processes import RUN_TIMEOUT, START_TIMEOUT

if TYPE_CHECKING:
    from ortools.sat.python.cp_model_helper import SatParameters

# The first solution touches the marker file, so the test knows the solve is running.
ENDLESS = """
import signal, sys, time
from pathlib import Path
from ortools.sat.python import cp_model
from solvers import cpsat
from solvers.limits import TimeBudget

def stop(signum, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
model = cp_model.CpModel()
for i in range(60):
    model.new_bool_var(f"x{i}")
marker = Path(sys.argv[1])
clock = time.monotonic()
try:
    out = cpsat.solve(model, TimeBudget.start(60, deterministic=False),
                      tune=lambda p: setattr(p, "enumerate_all_solutions", True),
                      on_solution=lambda objective, bound: marker.touch())
    print("returned", out.status, flush=True)
except KeyboardInterrupt:
    print(f"interrupted after {time.monotonic() - clock:.1f} s", flush=True)
"""


def enumerate_all(params: SatParameters) -> None:
    """2^60 solutions of 60 free booleans: a solve that runs until it is stopped."""
    params.enumerate_all_solutions = True


def endless_model() -> cp_model.CpModel:
    model = cp_model.CpModel()
    for i in range(60):
        model.new_bool_var(f"x{i}")
    return model


def _endless(tmp_path: Path) -> subprocess.Popen[str]:
    marker = tmp_path / "solving"
    process = subprocess.Popen(
        [sys.executable, "-c", ENDLESS, str(marker)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    deadline = time.monotonic() + START_TIMEOUT
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the solve never started"
        time.sleep(0.05)
    time.sleep(0.5)  # well inside the solve
    return process


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_solve_at_once(tmp_path: Path, signum: signal.Signals) -> None:
    process = _endless(tmp_path)
    process.send_signal(signum)
    out, err = process.communicate(timeout=RUN_TIMEOUT)
    # Before: SIGINT ended only the solve ("returned feasible" after 0.5 s, no interrupt
    # raised), and SIGTERM waited the full minute.
    assert out.startswith("interrupted after "), (out, err)
    assert float(out.split()[2]) < 30, out  # the solve's own limit is 60 s
    assert process.returncode == 0, err


def test_without_a_signal_the_solve_returns_its_status() -> None:
    # max x over 0..10: the optimum 10, proven; status names are the solvers' own.
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    model.maximize(x)
    out = cpsat.solve(model, TimeBudget.start(10))
    assert (out.status, out.value(x), out.objective, out.bound) == ("optimal", 10, 10, 10)
    assert out.found and not out.capped and out.units > 0


def test_off_the_main_thread_it_is_a_plain_solve() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    model.add(x >= 11)
    found: list[cpsat.Outcome] = []
    thread = threading.Thread(target=lambda: found.append(cpsat.solve(model, TimeBudget.start(10))))
    thread.start()
    thread.join(RUN_TIMEOUT)
    assert [out.status for out in found] == ["infeasible"]


def test_a_requested_stop_ends_the_solve_and_keeps_its_solutions() -> None:
    """The first Ctrl-C of `planner plan`: the solve returns normally, with what it found."""
    stop = StopRequest()
    threading.Timer(0.5, stop.request).start()
    clock = time.monotonic()
    out = cpsat.solve(
        endless_model(), TimeBudget.start(60, deterministic=False), stop, tune=enumerate_all
    )
    assert out.status == "feasible" and time.monotonic() - clock < 30
    assert not out.capped  # the user stopped it, not the clock
    # Every later solve with the same request returns at once; a new request does not.
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "y")
    model.maximize(x)
    assert cpsat.solve(model, TimeBudget.start(10), stop).status == "unknown"
    assert cpsat.solve(model, TimeBudget.start(10), StopRequest()).status == "optimal"


def test_the_wall_clock_caps_a_deterministic_budget_and_says_so() -> None:
    # 1,000 deterministic seconds of enumeration under a deadline 0.5 s away: the deadline
    # ends it (capped: another run may differ); a budget that the units end is not capped.
    clock = time.monotonic()
    out = cpsat.solve(
        endless_model(), TimeBudget(1000.0, time.monotonic() + 0.5), tune=enumerate_all
    )
    assert out.status == "feasible" and out.capped and time.monotonic() - clock < 30
    out = cpsat.solve(endless_model(), TimeBudget(0.05, time.monotonic() + 60), tune=enumerate_all)
    assert out.status == "feasible" and not out.capped
    assert out.units == pytest.approx(out.solver.deterministic_time)  # cost 1: units = CP-SAT's


def test_a_model_family_cost_converts_units_to_deterministic_time() -> None:
    # With cost 4, a budget of 0.2 units allows CP-SAT 0.05 deterministic seconds, and the
    # units used are CP-SAT's time times 4.
    out = cpsat.solve(
        endless_model(), TimeBudget(0.2, time.monotonic() + 60), cost=4.0, tune=enumerate_all
    )
    assert out.solver.parameters.max_deterministic_time == pytest.approx(0.05)
    assert out.units == pytest.approx(4 * out.solver.deterministic_time)


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="memory is read from /proc")
def test_a_search_past_its_memory_limit_is_stopped_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No room at all above what the process holds: the search is stopped at the first look,
    # long before its 1,000 units or its deadline, and the outcome says why.
    monkeypatch.setattr(cpsat, "SEARCH_MEMORY_MB", -1)
    clock = time.monotonic()
    out = cpsat.solve(
        endless_model(), TimeBudget(1000.0, time.monotonic() + 60), tune=enumerate_all
    )
    assert out.memory and out.capped and time.monotonic() - clock < 30
    monkeypatch.setattr(cpsat, "SEARCH_MEMORY_MB", 1500)
    out = cpsat.solve(endless_model(), TimeBudget(0.3, time.monotonic() + 60), tune=enumerate_all)
    assert out.status == "feasible" and not out.memory and not out.capped
