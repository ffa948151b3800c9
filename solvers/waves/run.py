"""The state of one `solvers.waves.solve.solve` call, shared by its phases: the settings, the
best plan so far (`Run.incumbent`), the phases' results and the notes, and the one CP-SAT
call every full-model stage makes (`Run.cp`); `Outcome`, what one stage produced.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from solvers import cpsat
from solvers.limits import StopRequest, TimeBudget
from solvers.waves.bounds import WaveBounds
from solvers.waves.model import WaveVars
from solvers.waves.problem import (
    GreedyResult,
    PartResult,
    PhaseResult,
    ProgressEvent,
    WaveProblem,
    WaveResult,
    evaluate,
)

CAPPED = "{}: wall-clock safety limit hit, this run may not be reproducible"
MEMORY = (
    "{}: search stopped at its memory limit ({:,} MB above what the planner held), "
    "this run may not be reproducible"
)


@dataclass
class Outcome:
    """What one stage produced, reduced to plain values."""

    status: str
    waves: list[int] | None
    objective: float
    bound: float


@dataclass
class Run:
    """One solve: its settings, the best plan so far, the phases done, and the notes."""

    problem: WaveProblem
    workers: int
    seed: int
    progress: Callable[[ProgressEvent], None] | None
    stop: StopRequest | None
    started: float = field(default_factory=time.monotonic)
    parts: tuple[PartResult, ...] = ()  # the splits phase's parts, when it was decomposed
    incumbent: list[int] | None = None
    first: float = math.inf  # seconds to the first plan
    greedy: GreedyResult | None = None
    start: list[int] | None = None  # the caller's plan to begin from, checked
    results: list[PhaseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    bounds: WaveBounds = field(init=False)
    lb: int = field(init=False)

    def __post_init__(self) -> None:
        self.bounds = WaveBounds(self.problem)
        self.lb = self.bounds.lower_bound()

    def elapsed(self) -> float:
        """Wall seconds since the solve started (reported, never used for decisions)."""
        return time.monotonic() - self.started

    def stopped(self) -> bool:
        """Whether the user stopped the search; the first time, a note says when."""
        if self.stop is None or not self.stop.requested:
            return False
        note = (
            f"stopped by the user after {self.stop.seconds_after(self.started):.1f} s: this "
            "is the best plan found by then, and phases after the stop were not searched"
        )
        if not any(n.startswith("stopped by the user") for n in self.notes):
            self.notes.append(note)
        return True

    def has_time(self, budget: TimeBudget, phase: str) -> bool:
        """Whether a stage may start: budget left, more than a moment of wall time, no stop.
        Units left without the wall time for them: the clock cut the phase, and a note says so."""
        if budget.left() <= 0 or self.stopped():
            return False
        if budget.wall_left() > 0.2:
            return True
        if budget.deterministic and CAPPED.format(phase) not in self.notes:
            self.notes.append(CAPPED.format(phase))
        return False

    def found(self, waves: Sequence[int]) -> None:
        """A better plan: the new incumbent (and the first solution's time, if it is one)."""
        self.incumbent = list(waves)
        if math.isinf(self.first):
            self.first = self.elapsed()

    def emit(self, phase: str, objective: float, bound: float) -> None:
        """One progress event, if anyone listens."""
        if self.progress is not None:
            self.progress(ProgressEvent(phase, objective, bound, self.elapsed()))

    def record(
        self,
        name: str,
        status: str,
        objective: float,
        bound: float,
        t0: float,
        parts: tuple[PartResult, ...] = (),
    ) -> None:
        """A phase's result, with an honest gap and its runtime since `t0`."""
        self.results.append(
            PhaseResult(
                name, status, objective, bound, gap(objective, bound), self.elapsed() - t0, parts
            )
        )

    def cp(
        self,
        model: cp_model.CpModel,
        v: WaveVars,
        budget: TimeBudget,
        phase: str,
        label: float | None = None,
    ) -> tuple[Outcome, float]:
        """One CP-SAT call and the units it used; `label` is the objective to report for
        pure feasibility models."""

        def on_solution(objective: float, bound: float) -> None:
            if label is None:
                self.emit(phase, objective, bound)
            else:
                self.emit(phase, label, label)

        if budget.deterministic:
            budget = replace(budget, units=max(budget.units, 0.01))
        out = cpsat.solve(
            model, budget, self.stop, workers=self.workers, seed=self.seed, on_solution=on_solution
        )
        self.capped_note(phase, out.capped, out.memory)
        if not out.found:
            return Outcome(out.status, None, math.inf, -math.inf), out.units
        waves = v.waves_of(out.value)
        if label is not None:
            return Outcome(out.status, waves, label, label), out.units
        return Outcome(out.status, waves, out.objective, out.bound), out.units

    def capped_note(self, phase: str, capped: bool, memory: bool) -> None:
        """Once per phase, the note that a limit other than its units ended a search."""
        note = MEMORY.format(phase, cpsat.SEARCH_MEMORY_MB) if memory else CAPPED.format(phase)
        if (capped or memory) and note not in self.notes:
            self.notes.append(note)

    def finish(self, status: str) -> WaveResult:
        """The result with the incumbent (none unless `status` says there is a plan)."""
        plan = tuple(self.incumbent) if self.incumbent else ()
        values = evaluate(self.problem, plan)
        self.stopped()  # a stop during the last solve still gets its note
        return WaveResult(
            status=status,
            waves=plan,
            phases=tuple(finalised(p, values[p.name]) if plan else p for p in self.results),
            objective={p.name: (values[p.name] if plan else math.inf) for p in self.results},
            bound={p.name: p.bound for p in self.results},
            lower_bound_waves=self.lb,
            runtime=self.elapsed(),
            first_solution_seconds=self.first,
            greedy=self.greedy,
            notes=tuple(self.notes),
        )


def finalised(phase: PhaseResult, value: float) -> PhaseResult:
    """A phase's result with the final plan's value: a later phase may lower an earlier
    objective as a side effect (its constraint is "no worse"), and the report should show
    the plan that is returned, not an intermediate one."""
    if value >= phase.objective:
        return phase
    status = "optimal" if value <= phase.bound else phase.status
    return replace(phase, objective=value, status=status, gap=gap(value, phase.bound))


def gap(objective: float, bound: float) -> float:
    """Relative gap as in the contract; 0 when the bound meets the objective."""
    if math.isinf(objective):
        return math.inf
    return max(0.0, (objective - bound) / max(1.0, abs(objective)))
