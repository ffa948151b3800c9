"""The full model of a big instance's splits phase, run after the large-neighbourhood search
for a better bound and plan (issue 23).

On instances of 150 tasks and more the splits phase improves its plan by a large-neighbourhood
search (`solvers.waves.lns`), which proves nothing; its bound is the forced pairs and the
clusters solved on their own (`solvers.waves.parts`), which do not see the capacity that the
other tasks take. Where the whole problem's model is small enough (`fits`: task-wave cells
plus precedence and split rows per wave), one CP-SAT model of it — waves fixed at the horizon
the waves phase reached, every hard rule, minimising the split weight, hinted with the LNS's
plan in full (split literals included) and bounded below by what the parts proved — runs
after the LNS with every worker: its proven bound raises the phase's, and its plan is taken
when it is better (`solvers.waves.objectives._splits_phase`).

Why after, not beside: the full model in a thread beside the LNS from the start (one CP-SAT
worker each; CP-SAT releases the GIL: two such searches in two threads used 8.1 CPU seconds
in 8.3 wall seconds, each as much deterministic time as alone) found no plan in 40 s on 5
generated municipalities (1,163 tasks x 18 waves, 337 soft pairs, load 4-5) and slowed the
LNS (74 splits against 24 alone), while from the LNS's plan, with both workers, it went on
from 30 splits to 19 in 60 s. The parts' lanes (`solvers.waves.parts`) use the threads.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from solvers import cpsat
from solvers.limits import StopRequest, TimeBudget
from solvers.waves.bounds import arcs_of
from solvers.waves.model import build, hint, split_terms
from solvers.waves.problem import WaveProblem, violations

if TYPE_CHECKING:  # the class of `CpSolver.parameters` (it moved between OR-Tools versions)
    from ortools.sat.python.cp_model_helper import SatParameters

__all__ = ["FullOutcome", "LinkedStop", "fits", "join_quietly", "model_size", "solve_full"]

#: Model size (`model_size`) up to which the full splits model runs. Measured (2026-12-06,
#: 2-core machine at load 4-7, 60-s plans): 5 generated municipalities with 337 soft pairs
#: (1,163 tasks x 16-18 waves, size 127,000-143,000) build in 1.5 s and reach their hint in
#: 5 s; the demo (681 tasks, 1,400 pairs, 26 waves, size 181,000) found no plan in its 10 s,
#: nor did 5 municipalities unthinned (2,382 pairs, size 205,000+) in 40 s: there the time
#: is the LNS's. 98 municipalities (22,476 tasks) are far above.
FULL_SIZE = 150_000

#: Budget units per CP-SAT deterministic second of the full model with one worker: it ran
#: 0.33-0.4 deterministic seconds per wall second at load 3.5-4 (0.6 on an idle machine),
#: so that a run ends on its units (reproducible), not on the wall-clock deadline.
COST = 2.5

#: Budget units per unit of `model_size` for building the model in Python and copying it
#: into CP-SAT, which CP-SAT's deterministic clock does not see (1.5 s at 33,000).
_BUILD_COST = 4e-5

#: Model size above which the full model's presolve is cut short (`_light_presolve`).
_LIGHT_PRESOLVE_SIZE = 40_000


class LinkedStop(StopRequest):
    """A stop for one of two concurrent searches: requested by its own `request()` (the other
    search has made it pointless) or by the user's stop it is linked to."""

    def __init__(self, parent: StopRequest | None) -> None:
        super().__init__()
        self.parent = parent

    @property
    def requested(self) -> bool:
        """True once this stop or the user's was requested."""
        return super().requested or (self.parent is not None and self.parent.requested)


def join_quietly(thread: threading.Thread, stop: StopRequest) -> None:
    """Wait for a search thread: the process must not exit while CP-SAT's threads still run
    (it aborts). A signal that raises meanwhile (Ctrl-C) requests `stop`, which the thread
    watches, and is raised again once the thread has ended."""
    caught: BaseException | None = None
    while thread.is_alive():
        try:
            thread.join(0.1)
        except BaseException as exc:  # noqa: BLE001 - raised again below
            caught = caught or exc
            stop.request()
    if caught is not None:
        raise caught


@dataclass(frozen=True)
class FullOutcome:
    """The full model's answer: status ("optimal", "feasible", "unknown", or "skipped"), its
    plan (empty without one), the plan's split weight and the proven bound (0 without a
    solution), the budget units it used, whether the wall clock or the memory limit (not its
    units) ended it, and whether it was the memory limit."""

    status: str
    waves: tuple[int, ...]
    objective: float
    bound: float
    units: float
    capped: bool
    memory: bool = False


def model_size(problem: WaveProblem, lo: Sequence[int], hi: Sequence[int], horizon: int) -> int:
    """Task-wave cells plus, per wave, one row per precedence rule and two per soft pair: what
    the full model's variables and constraints grow with."""
    cells = sum(max(0, min(hi[t], horizon) - lo[t] + 1) for t in range(problem.n_tasks))
    return cells + horizon * (len(arcs_of(problem)) + 2 * len(problem.soft))


def fits(problem: WaveProblem, lo: Sequence[int], hi: Sequence[int], horizon: int) -> bool:
    """Whether the full splits model is small enough to be worth its presolve (`FULL_SIZE`)."""
    return model_size(problem, lo, hi, horizon) <= FULL_SIZE


def _light_presolve(prm: SatParameters) -> None:
    """One presolve pass without probing, above `_LIGHT_PRESOLVE_SIZE`: the model's hint is
    complete, and CP-SAT's default presolve spent 6.9 of its deterministic seconds (19 s at
    load 5) before reaching it on 1,163 tasks x 18 waves (size 143,000); with this, 0.4 (5 s),
    and the same bound. Small models keep the default: its probing proves at once what search
    proves pair by pair (`tests/solvers/waves/test_parts.py::crowded_pairs`: 30 split pairs in
    under a second with probing, 1-2 of them in 4 s without)."""
    prm.max_presolve_iterations = 1
    prm.cp_model_probing_level = 0
    prm.presolve_probing_deterministic_time_limit = 0.5


def solve_full(
    problem: WaveProblem,
    lo: Sequence[int],
    hi: Sequence[int],
    banned: Sequence[set[int]],
    *,
    horizon: int,
    incumbent: Sequence[int],
    floor: float,
    budget: TimeBudget,
    stop: StopRequest | None,
    workers: int,
    seed: int,
) -> FullOutcome:
    """Minimise the split weight over every plan in waves 1..horizon, from `incumbent`;
    `floor` (a proven lower bound, e.g. the parts') is added as a constraint, which is valid
    and spares CP-SAT proving it again. Every plan it returns passes `violations`."""
    size = model_size(problem, lo, hi, horizon)
    overhead = _BUILD_COST * size
    if budget.deterministic and budget.units <= overhead:
        return FullOutcome("skipped", (), float("inf"), 0.0, 0.0, False)
    model, v = build(problem, lo, hi, banned, horizon=horizon, prefix_rows=False)
    terms = split_terms(model, problem, v)
    objective = sum(weight * split for split, _, _, weight in terms)
    if floor > 0:
        model.add(objective >= round(floor))
    model.minimize(objective)
    hint(model, v, incumbent)
    for split, a, b, _ in terms:
        model.add_hint(split, incumbent[a] != incumbent[b])
    light = size > _LIGHT_PRESOLVE_SIZE
    out = cpsat.solve(
        model,
        budget,
        stop,
        cost=COST,
        overhead=overhead,
        workers=workers,
        seed=seed,
        tune=_light_presolve if light else None,
    )
    if not out.found:
        return FullOutcome(out.status, (), float("inf"), 0.0, out.units, out.capped, out.memory)
    waves = tuple(v.waves_of(out.value))
    if violations(problem, waves):  # never expected: the model holds every hard rule
        return FullOutcome("unknown", (), float("inf"), 0.0, out.units, out.capped, out.memory)
    return FullOutcome(
        out.status, waves, out.objective, max(0.0, out.bound), out.units, out.capped, out.memory
    )
