"""Resource-constrained project scheduling (RCPSP) on OR-Tools CP-SAT: `solve()`.

A plain problem goes in and a plain result comes out (`solvers.rcpsp.problem`): `solve()`
minimises the end of the last task. It never claims more than it proved: a result is
"optimal" only when CP-SAT proved it or a lower bound (critical path, resource energy,
the resource-aware heads and tails of `solvers.rcpsp.bounds.delays`, CP-SAT's bound) meets
the makespan. Every schedule it returns has passed `check_schedule()`.

`solve()` is a hybrid: the greedy (`solvers.rcpsp.greedy`, also the first hint), CP-SAT
for a short slice (small problems such as cutover runbooks are proven there), then, if the
gap is still open, the genetic search of `solvers.rcpsp.genetic` (compiled serial SGS,
thousands of schedules a second), then CP-SAT again for the rest of the time, hinted with
the best schedule and restricted to schedules no longer than it. A genetic search that
stalls ends before its share is spent, and CP-SAT gets what it leaves.

Deadlines are hard by default, so a cutover window that cannot be met gives "infeasible",
usually before CP-SAT starts (a forward pass over releases, durations and precedences).
`solve(..., allow_late=True)` makes them soft instead: it minimises the total lateness
first and the makespan second, and `tasks_over_deadline()` lists the overshoot per task.

Time: `time_limit` is wall-clock seconds, spent as a `TimeBudget` (`solvers.limits`):
deterministic units decide where each stage stops, so the same problem, seed and workers
give the same schedule, unless the wall clock cuts a stage on a slow or loaded machine
(`ScheduleResult.capped` then says so).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from solvers import cpsat
from solvers.limits import StopRequest, TimeBudget
from solvers.rcpsp.bounds import deadline_conflict, delays, head_conflict, windows
from solvers.rcpsp.genetic import evolve, schedule_cost
from solvers.rcpsp.greedy import best_greedy, priority_rules
from solvers.rcpsp.model import Model, rates, tune
from solvers.rcpsp.problem import (
    ScheduleProblem,
    ScheduleResult,
    check_schedule,
    makespan,
    total_lateness,
    without_deadlines,
)

__all__ = ["solve"]

FIRST_SHARE = 0.1  # of the budget for CP-SAT before the genetic search, but at least
FIRST_UNITS = 1.0  # this many units more than the call's overhead
SEARCH_SHARE = 0.3  # of the budget for the genetic search before CP-SAT's second run


def solve(
    problem: ScheduleProblem,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    allow_late: bool = False,
    deterministic: bool = True,
    budget: TimeBudget | None = None,
    stop: StopRequest | None = None,
) -> ScheduleResult:
    """Minimise the makespan of `problem` within `time_limit` wall seconds: greedy, CP-SAT,
    genetic search, CP-SAT (see above).

    With `allow_late=True` deadlines become soft: total lateness is minimised first, then
    the makespan; see `tasks_over_deadline()`. With `deterministic=True` (default) the
    result depends only on the problem, `seed` and `workers` unless `capped`; with
    `deterministic=False` only the wall clock limits the search and CP-SAT's full parallel
    portfolio runs. `budget`, when given, replaces `time_limit` and `deterministic` (for
    callers that share one budget between several solves).
    """
    clock = time.perf_counter()
    budget = budget or TimeBudget.start(time_limit, deterministic=deterministic)
    w = windows(problem)
    d = delays(problem, w)
    lb = max(w.critical_path, w.energy, d.bound)
    conflict = ""
    if problem.horizon is not None and lb > problem.horizon:
        conflict = f"the makespan is at least {lb} but the horizon is {problem.horizon}."
    if not allow_late:
        conflict = conflict or deadline_conflict(problem, w) or head_conflict(problem, d)
    elif problem.horizon is not None and not conflict:
        conflict = deadline_conflict(without_deadlines(problem), w)
    if conflict:
        return _result("infeasible", (), problem, math.inf, clock, math.inf, message=conflict)

    greedy = best_greedy(without_deadlines(problem) if allow_late else problem)
    greedy_ms = math.inf if greedy is None else makespan(problem, greedy)
    if greedy is not None and greedy_ms <= lb and total_lateness(problem, greedy) == 0:
        return _result(
            "optimal",
            greedy,
            problem,
            lb,
            clock,
            greedy_ms,
            message="the greedy schedule meets the static lower bound.",
        )
    trivial = max((problem.release_of(t) for t in range(problem.num_tasks)), default=0) + sum(
        problem.durations
    )
    horizon = trivial if problem.horizon is None else problem.horizon
    if greedy is not None and not allow_late:
        horizon = min(horizon, int(greedy_ms))  # the optimum is no worse than the greedy
    built = Model(problem, max(horizon, 0), d, lb, allow_late)
    built.build()
    if greedy is not None:
        built.hint(greedy)
    hybrid = _Hybrid(problem, built, lb, workers, seed, stop)
    return hybrid.run(greedy, budget, clock, greedy_ms)


@dataclass(frozen=True)
class _Stage:
    """One CP-SAT run: its status, best schedule (may be empty), proven bound, the budget
    units it used, and whether the wall clock cut it."""

    status: str
    starts: tuple[int, ...]
    bound: int
    work: float = 0.0
    capped: bool = False

    def merged(self, earlier: _Stage, found: tuple[int, ...]) -> _Stage:
        """This run after `earlier` and the search's `found`: the best schedule of the
        three and the better bound. This run's model only admits schedules no longer than
        `found`, so its "optimal" is global and its "infeasible" only says nothing shorter."""
        if self.status == "optimal":
            return self
        bound = max(self.bound, earlier.bound)
        if self.status == "infeasible":  # nothing shorter than `found` exists
            return replace(self, status="optimal", starts=found, bound=bound)
        return replace(self, status="feasible", starts=self.starts or found, bound=bound)


@dataclass
class _Hybrid:
    """The stages of one solve after the greedy: CP-SAT, genetic search, CP-SAT."""

    problem: ScheduleProblem
    built: Model
    lb: int
    workers: int
    seed: int
    stop: StopRequest | None

    def run(
        self, greedy: tuple[int, ...] | None, budget: TimeBudget, clock: float, greedy_ms: float
    ) -> ScheduleResult:
        """Solve within `budget` and report; the greedy schedule is the fallback."""
        problem, built = self.problem, self.built
        search = not built.allow_late and greedy is not None and problem.num_tasks >= 2
        # Hybrid: a short CP-SAT run proves the easy cases (every small runbook); if it does
        # not, the genetic search improves the schedule and CP-SAT gets the rest of the time.
        first = self._cp_sat(self._first_slice(budget) if search else budget)
        stage, work, capped = first, first.work, first.capped
        if search and first.status in ("feasible", "unknown"):
            assert greedy is not None
            found, used, cut = self._search(first.starts or greedy, budget.part(SEARCH_SHARE))
            work, capped = work + used, capped or cut
            if makespan(problem, found) <= self.lb:
                return _result(
                    "optimal",
                    found,
                    problem,
                    self.lb,
                    clock,
                    greedy_ms,
                    work=work,
                    capped=capped,
                    message="the genetic search met the static lower bound.",
                )
            built.model.clear_hints()
            built.hint(found)
            assert built.makespan is not None
            built.model.add(built.makespan <= makespan(problem, found))  # only better ones
            left = budget.charge(work)
            if left.deterministic:
                left = replace(left, units=max(left.units, 0.1 * budget.units))
            second = self._cp_sat(left)
            work, capped = work + second.work, capped or second.capped
            stage = second.merged(first, found)
        return self._report(stage, greedy, clock, greedy_ms, work, capped)

    def _first_slice(self, budget: TimeBudget) -> TimeBudget:
        """The first CP-SAT run's share: `FIRST_SHARE`, at least `FIRST_UNITS` more than a
        call's overhead (or all)."""
        if not budget.deterministic:
            return budget.split(FIRST_SHARE)
        least = rates(self.problem)[1] + FIRST_UNITS
        return replace(budget, units=min(budget.units, max(FIRST_SHARE * budget.units, least)))

    def _cp_sat(self, budget: TimeBudget) -> _Stage:
        """One CP-SAT run on the model."""
        cost, overhead = rates(self.problem)
        out = cpsat.solve(
            self.built.model,
            budget,
            self.stop,
            cost=cost,
            overhead=overhead,
            workers=self.workers,
            seed=self.seed,
            tune=tune(self.workers),
        )
        starts: tuple[int, ...] = ()
        bound = 0
        if out.found:
            starts = tuple(out.value(v) for v in self.built.starts)
            bound = math.ceil(out.bound - 1e-6)
        elif out.status == "unknown" and math.isfinite(out.bound):
            bound = math.ceil(out.bound - 1e-6)
        return _Stage(out.status, starts, bound, out.units, out.capped)

    def _search(
        self, incumbent: tuple[int, ...], budget: TimeBudget
    ) -> tuple[tuple[int, ...], float, bool]:
        """The genetic search, seeded with `incumbent` and the priority rules: the better
        schedule, the units it used, and whether the wall clock cut it. Returns `incumbent`
        unless the search found a shorter schedule that passes `check_schedule` (the GA does
        not model deadlines or the horizon).

        Why: on hard instances thousands of compiled SGS schedules per second get closer to
        the optimum than CP-SAT's single LNS thread does in the same time, and CP-SAT then
        continues from the better hint.
        """
        problem = self.problem
        cost = schedule_cost(problem)
        if budget.deterministic:
            schedules: int | None = int(budget.units / cost)
            seconds = min(cpsat.OVERRUN * budget.units + 1.0, budget.wall_left())
        else:
            schedules, seconds = None, budget.wall_left()
        rules = [incumbent, *priority_rules(problem).values()]
        found = evolve(
            problem,
            schedules=schedules,
            seconds=seconds,
            seed=self.seed,
            lower_bound=self.lb,
            priorities=rules,
            stop=self.stop,
        )
        if found is None:
            return incumbent, 0.0, False
        used = found.schedules * cost if budget.deterministic else found.runtime
        cut = budget.deterministic and found.stopped == "time"
        if found.makespan >= makespan(problem, incumbent) or check_schedule(problem, found.starts):
            return incumbent, used, cut
        return found.starts, used, cut

    def _report(
        self,
        stage: _Stage,
        greedy: tuple[int, ...] | None,
        clock: float,
        greedy_ms: float,
        work: float,
        capped: bool,
    ) -> ScheduleResult:
        """The result of the best stage (or the greedy), with an honest status and bound."""
        problem, built = self.problem, self.built
        if stage.status in ("optimal", "feasible"):
            starts = stage.starts
            ms = makespan(problem, starts)
            late = total_lateness(problem, starts) if built.allow_late else 0
            bound = max(self.lb, min(stage.bound - built.weight * late, ms))
            proven = stage.status == "optimal" or (late == 0 and bound >= ms)
            return _result(
                "optimal" if proven else "feasible",
                starts,
                problem,
                bound,
                clock,
                greedy_ms,
                lateness=late,
                work=work,
                capped=capped,
            )
        if stage.status == "infeasible":
            return _result(
                "infeasible",
                (),
                problem,
                math.inf,
                clock,
                greedy_ms,
                work=work,
                message="CP-SAT proved that no schedule meets the deadlines, releases and horizon.",
            )
        if stage.status == "invalid":
            return _result(
                "invalid",
                (),
                problem,
                self.lb,
                clock,
                greedy_ms,
                work=work,
                message=f"CP-SAT rejected the model: {built.model.validate()}",
            )
        if greedy is not None:  # no CP-SAT solution in time; the greedy one is still valid
            late = total_lateness(problem, greedy) if built.allow_late else 0
            return _result(
                "feasible",
                greedy,
                problem,
                self.lb,
                clock,
                greedy_ms,
                work=work,
                lateness=late,
                capped=capped,
            )
        return _result(
            "unknown",
            (),
            problem,
            self.lb,
            clock,
            greedy_ms,
            work=work,
            capped=capped,
            message="no schedule found within the time limit.",
        )


def _result(
    status: str,
    starts: Sequence[int],
    problem: ScheduleProblem,
    bound: float,
    clock: float,
    greedy_ms: float,
    *,
    lateness: int = 0,
    message: str = "",
    work: float = 0.0,
    capped: bool = False,
) -> ScheduleResult:
    """The result, after `check_schedule` (a failure there is a solver bug, never a user's)."""
    starts = tuple(starts)
    solved = status in ("optimal", "feasible")
    if solved:
        violations = check_schedule(
            problem if lateness == 0 else without_deadlines(problem), starts
        )
        if violations:  # a solver bug, never a user error: fail loudly
            raise RuntimeError("solver returned an infeasible schedule: " + violations[0])
    ms: float = makespan(problem, starts) if solved else math.inf
    if solved:
        gap = 0.0 if ms == bound else (ms - bound) / max(ms, 1)
    else:
        gap = math.inf
    return ScheduleResult(
        status=status,
        starts=starts,
        makespan=ms,
        bound=bound,
        gap=gap,
        runtime=time.perf_counter() - clock,
        greedy_makespan=greedy_ms,
        lateness=lateness,
        message=message,
        work=work,
        capped=capped,
    )
