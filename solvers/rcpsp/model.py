"""The CP-SAT model of RCPSP and its tuning, one method per constraint family.

One fixed-size interval per task (start domains from releases, heads and deadlines),
finish-to-start precedences, a cumulative per resource with an extra full-capacity interval
from the makespan to the horizon (as in OR-Tools' `examples/python/rcpsp_sat.py`, so the
cumulative's energy reasoning pushes the makespan directly), and redundant tails and gaps
from `solvers.rcpsp.bounds.delays`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solvers.rcpsp.bounds import Delays
from solvers.rcpsp.problem import ScheduleProblem
from solvers.rcpsp.problem import makespan as makespan_of

if TYPE_CHECKING:  # the class of `CpSolver.parameters` (it moved between OR-Tools versions)
    from ortools.sat.python.cp_model_helper import SatParameters

__all__ = ["Model", "rates", "tune"]

#: CP-SAT's deterministic clock runs much slower on this model than on the wave models, and
#: the slower the more (task, resource) demands the cumulatives hold: measured inside
#: `solve()` with 2 interleaved workers at load 2-3 on the 2 cores, about 2.2-3.1 wall
#: seconds per deterministic second on j30 instances (120 demands), 4-6.7 on j60 (181) and
#: 1.5 on the demo's largest runbooks (72), and 1 on a runbook of 18 steps (so at least 1),
#: with a second of presolve and start-up on j60 that the clock does not count. Budget units
#: (wall seconds on the reference machine) charged per deterministic second, and per call,
#: for each demand, with some room for a busier machine, so that a run ends on its
#: deterministic budget (reproducible), not on the wall-clock deadline:
UNITS_PER_DEMAND = 0.03
OVERHEAD_PER_DEMAND = 0.005


class Model:
    """The CP-SAT model; `build()` is the table of contents, one method per constraint family."""

    def __init__(
        self, problem: ScheduleProblem, horizon: int, delays: Delays, lb: int, allow_late: bool
    ) -> None:
        self.p, self.horizon, self.delays, self.lb, self.allow_late = (
            problem,
            horizon,
            delays,
            lb,
            allow_late,
        )
        self.model = cp_model.CpModel()
        self.starts: list[cp_model.IntVar] = []
        self.ends: list[cp_model.LinearExpr] = []
        self.intervals: list[cp_model.IntervalVar] = []
        self.lateness: list[cp_model.IntVar] = []
        self.makespan: cp_model.IntVar | None = None
        self.weight = 0

    def build(self) -> cp_model.CpModel:
        """The model: tasks, makespan, precedence, resources, redundant rows, objective."""
        self._tasks()  # start domains already carry releases, earliest starts and deadlines
        self._makespan()
        self._precedence()
        self._resources()  # needs the makespan for its makespan interval
        self._redundant_tails()
        self._redundant_delays()
        self._objective()
        return self.model

    def _tasks(self) -> None:
        """One fixed-size interval per task, its start window from releases and deadlines."""
        p, m = self.p, self.model
        for t in range(p.num_tasks):
            d = p.durations[t]
            latest_end = self.horizon
            dl = p.deadline_of(t)
            if dl is not None and not self.allow_late:
                latest_end = min(latest_end, dl)
            # Redundant: predecessors already force start >= earliest[t] (and >= head[t]).
            first = self.delays.head[t]
            start = m.new_int_var(first, max(first, latest_end - d), f"start_{t}")
            end = start + d
            self.starts.append(start)
            self.ends.append(end)
            self.intervals.append(m.new_fixed_size_interval_var(start, d, f"task_{t}"))

    def _makespan(self) -> None:
        """The makespan variable, with the static lower bound as its lower limit (redundant)."""
        self.makespan = self.model.new_int_var(min(self.lb, self.horizon), self.horizon, "makespan")
        for t in range(self.p.num_tasks):
            self.model.add(self.makespan >= self.ends[t])

    def _precedence(self) -> None:
        """Finish-to-start: start[b] >= end[a]."""
        for a, b in dict.fromkeys(self.p.precedence):
            self.model.add(self.starts[b] >= self.ends[a])

    def _resources(self) -> None:
        """A cumulative per resource, plus a full-capacity interval from makespan to horizon.

        The extra interval lets cumulative's energy reasoning push the makespan up directly
        (OR-Tools' rcpsp_sat.py does the same).
        """
        p, m = self.p, self.model
        assert self.makespan is not None
        tail = m.new_int_var(0, self.horizon, "after_makespan")
        after = m.new_interval_var(self.makespan, tail, self.horizon, "after_makespan")
        for r in range(p.num_resources):
            users = [t for t in range(p.num_tasks) if p.demands[t][r] > 0 and p.durations[t] > 0]
            if not users:
                continue
            cap = p.capacities[r]
            intervals = [self.intervals[t] for t in users] + [after]
            demands = [p.demands[t][r] for t in users] + [cap]
            m.add_cumulative(intervals, demands, cap)

    def _redundant_tails(self) -> None:
        """Redundant: the makespan covers each task's end plus the time its successors need."""
        tails = self.delays.tail
        for t in range(self.p.num_tasks):
            if tails[t]:
                self.model.add(self.makespan >= self.ends[t] + tails[t])

    def _redundant_delays(self) -> None:
        """Redundant: start[b] >= end[a] + the time the tasks between a and b need."""
        for (a, b), gap in self.delays.gaps.items():
            self.model.add(self.starts[b] >= self.ends[a] + gap)

    def _objective(self) -> None:
        """Makespan; with allow_late, total lateness first (weighted above any makespan)."""
        p, m = self.p, self.model
        assert self.makespan is not None
        if not self.allow_late:
            m.minimize(self.makespan)
            return
        for t in range(p.num_tasks):
            dl = p.deadline_of(t)
            if dl is None:
                continue
            late = m.new_int_var(0, max(0, self.horizon - dl), f"late_{t}")
            m.add(late >= self.ends[t] - dl)
            self.lateness.append(late)
        self.weight = self.horizon + 1
        m.minimize(self.weight * sum(self.lateness) + self.makespan)

    def hint(self, starts: Sequence[int]) -> None:
        """Hint a complete schedule (the greedy's, or the genetic search's best)."""
        assert self.makespan is not None  # set by build(), which runs first
        for var, value in zip(self.starts, starts):
            self.model.add_hint(var, value)
        self.model.add_hint(self.makespan, makespan_of(self.p, starts))


def rates(problem: ScheduleProblem) -> tuple[float, float]:
    """Budget units per CP-SAT deterministic second on `problem`'s model, and per call
    (`solvers.cpsat.solve`'s `cost` and `overhead`)."""
    demands = sum(
        1 for t, row in enumerate(problem.demands) if problem.durations[t] for q in row if q
    )
    return max(1.0, UNITS_PER_DEMAND * demands), max(0.2, OVERHEAD_PER_DEMAND * demands)


def tune(workers: int) -> Callable[[SatParameters], None]:
    """CP-SAT parameters tuned on PSPLIB j30 and j60 (docs/benchmarks-history.md, RCPSP).

    The LP relaxation does not help RCPSP (its bound stays at the critical path) and slows
    the propagation-driven search that finds the proofs, so the full-problem worker runs
    without it. With two workers: one full "no_lp" worker for the proofs, and the other
    thread left to CP-SAT's LNS workers, which find the better schedules on j60 (two full
    workers, as before, never ran an LNS neighbourhood at all). One worker uses
    `linearization_level: 0`; more than two keep CP-SAT's default portfolio (not measured).
    The extra cumulative propagators (timetable edge finding, overload checker) cost more
    than they prune on the hard j30 instances and stay off.
    """

    def apply(params: SatParameters) -> None:
        params.push_all_tasks_toward_start = True  # the objective is a makespan
        if workers <= 1:
            params.linearization_level = 0
        elif workers == 2:
            params.num_full_subsolvers = 1
            params.subsolvers.append("no_lp")

    return apply
