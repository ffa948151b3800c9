"""Migration-wave planning: `solve()`, the phase driver.

The greedy plan and the combinatorial bounds come first; then one stage per lexicographic
phase (`PHASES`), each keeping the value of the ones before. The waves phase climbs from
the lower bound with feasibility checks, then squeezes the plan into one wave fewer
(single resource) or minimises the wave count directly, and on pure SALBP-1 instances
hands the rest of its time to the exact station branch and bound (`solvers.salbp`). The
later phases solve the full model on small instances and a large-neighbourhood search
(`solvers.waves.lns`) on big ones. The splits phase of a big instance has a bound of its
own: the forced pairs and the clusters of soft pairs solved on their own
(`solvers.waves.parts`, in parallel lanes when `workers` > 1), and, where the whole model
is small enough, the full splits model after the LNS (`solvers.waves.full`), whose proven
bound and better plan are taken. One function per strategy, below `solve()`.

Time: `time_limit` is wall-clock seconds, split over the phases by `_PHASE_SHARE` as a
`TimeBudget` (deterministic units inside a wall-clock deadline, see `solvers.limits`), so
the same problem, seed and workers give the same waves unless the deadline cut a search;
a note then says so. Unused time of a phase rolls over to the next.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from solvers import cpsat
from solvers.limits import StopRequest, TimeBudget
from solvers.salbp.branch_and_bound import station_bb
from solvers.waves.bounds import WaveBounds, phase_bound
from solvers.waves.full import FullOutcome, fits, solve_full
from solvers.waves.greedy import greedy
from solvers.waves.lns import LnsOutcome, improve
from solvers.waves.model import OBJECTIVES, WaveVars, build, hint, waves_objective
from solvers.waves.parts import (
    Setting,
    clusters,
    combine,
    evaluate_part,
    forced_splits,
    solve_parts,
)
from solvers.waves.problem import (
    PHASES,
    GreedyResult,
    PartResult,
    PhaseResult,
    ProgressEvent,
    WaveProblem,
    WaveResult,
    evaluate,
    violations,
)
from solvers.waves.start import OPS_PER_TASK, OPS_PER_UNIT, soft_start

__all__ = ["solve"]

# Share of the time budget per phase; the first phase gets most because the wave
# count dominates everything else. Unused time of a phase rolls over to the next.
_PHASE_SHARE: dict[str, float] = {"waves": 0.55, "splits": 0.2, "downtime": 0.15, "moved": 0.1}

# From this many tasks on, the splits phase runs a large-neighbourhood search over small
# CP-SAT sub-models (solvers/waves/lns.py) instead of one full model: the full model's
# presolve and hint completion alone take most of a minute at 1,000 tasks.
_LNS_TASKS = 150

# On such instances, when the greedy plan is already within one wave of the lower bound,
# the wave phase gets this share (closing the last wave is rarely possible there) and
# the splits phase this one, so the soft dependencies (the higher objective) get the time.
_BIG_SHARE: dict[str, float] = {"waves": 0.15, "splits": 0.65, "downtime": 0.1, "moved": 0.1}

# Tasks x waves above which the waves phase builds no full model (at 98 generated
# municipalities, 22,476 x 22: building it took a minute and 3 GB; the limit is 2 GB).
_MODEL_CELLS = 200_000

# Share of a big instance's splits phase the parts (clusters of soft-connected tasks, solved
# on their own for a bound and a combined plan) may use; the rest goes to the LNS.
_PARTS_SHARE = 0.35

# Share of what the parts leave that the full splits model gets after the LNS, where it is
# small enough (`_splits_phase`). Measured on 5 generated municipalities thinned to 337 soft
# pairs (1,163 groups x 18 waves, load 4-5): the full model beside the LNS from the start
# (one worker each) found nothing in 40 s and slowed the LNS (74 splits against 24 alone);
# the full model with 2 workers from the LNS's plan took it from 30 to 19 splits in 60 s.
_FULL_SHARE = 0.5

_FULL_SKIPPED = FullOutcome("skipped", (), math.inf, 0.0, 0.0, False)

# Share of the remaining wave-phase budget a feasibility check at one m may use; the rest
# goes to the hinted optimisation model if the check is undecided.
_CHECK_SHARE = 0.4

# Pure SALBP-1 problems (see `_pure_salbp`): CP-SAT gets this share of the wave phase, the
# exact station branch and bound (solvers/salbp) the rest if CP-SAT leaves a gap.
_BB_CP_SHARE = 0.3

_CAPPED = "{}: wall-clock safety limit hit, this run may not be reproducible"
_MEMORY = (
    "{}: search stopped at its memory limit ({:,} MB above what the planner held), "
    "this run may not be reproducible"
)

# Budget units per task charged, when the caller's limit began earlier (`since`), for the work
# before the first search: reading the inventory, building the graph and the problem, the
# bounds and the greedy. It is counted against the wall clock but by no search's units, so
# without this charge the searches were promised more units than wall seconds were left and
# ended on the wall clock even on an idle machine. A fixed rate per task keeps the charge
# deterministic. Measured idle (2026-12-06): 98 generated municipalities, 22,476 move
# groups, first plan 10.4-10.6 s after make_plan began (0.00047 s a task); 0.0006 leaves
# room for a slower disk or a loaded machine.
_SETUP_UNITS_PER_TASK = 0.0006


def solve(
    problem: WaveProblem,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    phases: Sequence[str] = PHASES,
    progress: Callable[[ProgressEvent], None] | None = None,
    deterministic: bool = True,
    stop: StopRequest | None = None,
    start: Sequence[int] | None = None,
    since: float | None = None,
) -> WaveResult:
    """Solve the phases in lexicographic order within `time_limit` wall seconds and return
    an honest result.

    With `deterministic=True` (the default) every search is limited by deterministic work
    units inside the wall-clock limit, and several CP-SAT workers interleave their search
    (`solvers.cpsat`), because a wall-clock limit or free-running parallel workers make the
    answer depend on machine load: the same problem, seed and workers give the same waves.
    If the wall clock cuts a search on a slow or loaded machine, the result is still
    correct but may not be reproducible, and a note says so. Pass `deterministic=False` for
    plain wall-clock limits and the full parallel portfolio (faster on hard instances, not
    reproducible).
    After `stop.request()` (the first Ctrl-C of `planner plan`) the running solve ends as if
    its time were up and later phases are not searched: the result is the best plan found
    by then, as honest as any other (a note says when it was stopped).
    `start` is a plan to begin from (a re-plan's repaired previous plan): used instead of the
    greedy plan when it breaks no rule and needs no more waves.
    `since` (a `time.monotonic()` instant, e.g. when the user's command started) is when the
    wall-clock limit began: reading the inventory and building the problem count against it
    (at national scale about ten seconds), and the work units are charged for them at a
    fixed rate per task (`_SETUP_UNITS_PER_TASK`), so that the searches end on their units.
    """
    active = _active_phases(problem, phases)
    started = time.monotonic() if since is None else since
    run = _Run(problem, workers, seed, progress, stop, started=started)
    run.start = list(start) if start is not None and not violations(problem, start) else None
    budget = TimeBudget.start(time_limit, deterministic=deterministic, since=started)
    if since is not None:
        budget = budget.charge(_SETUP_UNITS_PER_TASK * problem.n_tasks)
    return _solve(run, active, budget)


def _active_phases(problem: WaveProblem, phases: Sequence[str]) -> list[str]:
    """Phases worth solving: unknown names are rejected, trivially-zero ones are skipped."""
    for name in phases:
        if name not in PHASES:
            raise ValueError(f"unknown phase {name!r}; expected some of {', '.join(PHASES)}.")
    active = [p for p in PHASES if p in phases]
    if not problem.soft:
        active = [p for p in active if p != "splits"]
    if not any(problem.downtime_weight):
        active = [p for p in active if p != "downtime"]
    if not any(problem.previous):
        active = [p for p in active if p != "moved"]
    return active


def _pure_salbp(problem: WaveProblem) -> bool:
    """One resource, one capacity in every wave, only before_or_same; no windows, pins,
    forbidden waves or previous waves."""
    caps = {row[0] for row in problem.capacity}
    return (
        len(problem.resources) == 1
        and len(caps) == 1
        and min(caps) > 0
        and all(d[0] <= problem.capacity[0][0] for d in problem.demand)
        and not (problem.strictly_before or problem.same_wave or problem.pins or problem.forbidden)
        and not any(problem.previous)
        and all(w == 1 for w in problem.earliest)
        and all(w == problem.max_waves for w in problem.latest)
    )


# --- the state of one solve ------------------------------------------------------------------
@dataclass
class _Outcome:
    """What one stage produced, reduced to plain values."""

    status: str
    waves: list[int] | None
    objective: float
    bound: float


@dataclass
class _Run:
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
        if budget.deterministic and _CAPPED.format(phase) not in self.notes:
            self.notes.append(_CAPPED.format(phase))
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
                name, status, objective, bound, _gap(objective, bound), self.elapsed() - t0, parts
            )
        )

    def cp(
        self,
        model: cp_model.CpModel,
        v: WaveVars,
        budget: TimeBudget,
        phase: str,
        label: float | None = None,
    ) -> tuple[_Outcome, float]:
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
            return _Outcome(out.status, None, math.inf, -math.inf), out.units
        waves = v.waves_of(out.value)
        if label is not None:
            return _Outcome(out.status, waves, label, label), out.units
        return _Outcome(out.status, waves, out.objective, out.bound), out.units

    def capped_note(self, phase: str, capped: bool, memory: bool) -> None:
        """Once per phase, the note that a limit other than its units ended a search."""
        note = _MEMORY.format(phase, cpsat.SEARCH_MEMORY_MB) if memory else _CAPPED.format(phase)
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
            phases=tuple(_final(p, values[p.name]) if plan else p for p in self.results),
            objective={p.name: (values[p.name] if plan else math.inf) for p in self.results},
            bound={p.name: p.bound for p in self.results},
            lower_bound_waves=self.lb,
            runtime=self.elapsed(),
            first_solution_seconds=self.first,
            greedy=self.greedy,
            notes=tuple(self.notes),
        )


class _Shares:
    """Each phase's share of what is left of the budget when it starts."""

    def __init__(self, shares: dict[str, float]) -> None:
        self.shares = shares
        self.left = sum(shares.values())

    def take(self, name: str, budget: TimeBudget) -> TimeBudget:
        """The budget of phase `name`: its share of what the earlier phases left."""
        part = self.shares[name] / self.left if self.left > 0 else 0.0
        self.left -= self.shares[name]
        return budget.split(part)


def _spent(phase: TimeBudget, left: TimeBudget) -> float:
    """Units a phase used, from its budget and what is left of it (0 in wall-clock mode)."""
    return phase.units - left.units if phase.deterministic else 0.0


# --- the phases --------------------------------------------------------------------------------
def _solve(run: _Run, active: list[str], budget: TimeBudget) -> WaveResult:
    """Greedy, bounds, then one stage per active phase, each fixing its objective for the next."""
    problem = run.problem
    if run.lb > problem.max_waves:
        # The head/tail/capacity bounds already prove that no plan fits: a combinatorial proof.
        if "waves" in active:
            run.record("waves", "infeasible", math.inf, math.inf, 0.0)
        return run.finish("infeasible")
    run.greedy = greedy(problem, seed=run.seed, bounds=run.bounds)
    if run.greedy.waves:
        # The greedy only returns plans that `violations` passes: a verified plan exists now,
        # before any CP-SAT search, and is what a stop from here on keeps at the least.
        run.found(run.greedy.waves)
        run.emit("greedy", run.greedy.objective["waves"], float(run.lb))
    if run.start and (run.incumbent is None or max(run.start) <= max(run.incumbent)):
        run.found(run.start)
    shares = {p: _PHASE_SHARE[p] for p in active}
    if problem.n_tasks >= _LNS_TASKS and run.incumbent and max(run.incumbent) <= run.lb + 1:
        shares = {p: _BIG_SHARE[p] for p in shares}
    split = _Shares(shares)
    horizon = problem.max_waves
    if "waves" in active:
        phase = split.take("waves", budget)
        left, top = _waves_phase(run, phase)
        budget = budget.charge(_spent(phase, left))
        if top is None:
            return run.finish(run.results[-1].status)
        horizon = top
    fixed: list[tuple[str, float]] = []
    for name in active:
        if name == "waves":
            continue
        phase = split.take(name, budget)
        win = run.bounds.windows(horizon)
        if win is None:  # cannot happen after a solution at this horizon; kept for safety
            break
        left, value = _objective_phase(run, name, phase, win, horizon, fixed)
        budget = budget.charge(_spent(phase, left))
        if value is None:
            return run.finish(run.results[-1].status)
        fixed.append((name, value))
    if run.incumbent is None:
        return _feasibility(run, budget, horizon)
    return run.finish("optimal" if all(p.status == "optimal" for p in run.results) else "feasible")


@dataclass
class _Waves:
    """The waves phase's bracket: the best plan's wave count and the proven lower bound."""

    ub: int
    proven: int


def _waves_phase(run: _Run, phase: TimeBudget) -> tuple[TimeBudget, int | None]:
    """Phase 1, the number of waves; returns what is left of the phase's budget and the
    wave count reached (None when no plan was found)."""
    t0 = run.elapsed()
    problem = run.problem
    w = _Waves(ub=max(run.incumbent) if run.incumbent else problem.max_waves + 1, proven=run.lb)
    pure = _pure_salbp(problem)
    # CP-SAT gets its share of the budget and of the wall time; station_bb the rest (below).
    search = phase.split(_BB_CP_SHARE) if pure else phase
    if run.incumbent and _too_big(problem, w):
        # Building the full model alone would take minutes and gigabytes: the greedy's wave
        # count stands against the combinatorial bound, and the time goes to the later phases.
        run.notes.append(
            f"waves: {problem.n_tasks:,} move groups x {w.ub} waves is too big for "
            "the full model; the greedy plan's wave count stands"
        )
        left = search
    else:
        left = _ladder(run, search, w)
    if w.proven < w.ub and run.has_time(left, "waves") and not _too_big(problem, w):
        if run.incumbent and len(problem.resources) == 1 and w.ub - 1 >= w.proven:
            left = _squeeze(run, left, w)
        else:
            left = _minimise_waves(run, left, w)
    if pure:
        left = phase.charge(_spent(search, left))
        if w.proven < w.ub and run.incumbent and not run.stopped():
            left = _station_bb(run, left, w)
    run.lb = max(run.lb, min(w.proven, problem.max_waves + 1))
    if run.incumbent is None:
        status = "infeasible" if w.proven > problem.max_waves else "unknown"
        run.results.append(
            PhaseResult("waves", status, math.inf, float(w.proven), math.inf, run.elapsed() - t0)
        )
        run.emit("waves", math.inf, float(w.proven))
        return left, None
    # Optimal needs a proof: CP-SAT's, or infeasibility of every smaller m, or the bounds.
    run.record(
        "waves", "optimal" if w.proven >= w.ub else "feasible", float(w.ub), float(w.proven), t0
    )
    run.emit("waves", float(w.ub), float(w.proven))
    return left, w.ub


def _too_big(problem: WaveProblem, w: _Waves) -> bool:
    """Whether the full model at the incumbent's wave count exceeds `_MODEL_CELLS`."""
    return w.ub <= problem.max_waves and problem.n_tasks * w.ub > _MODEL_CELLS


def _ladder(run: _Run, budget: TimeBudget, w: _Waves) -> TimeBudget:
    """Feasibility checks from the lower bound up, each m with the tightest windows for it;
    stops at the first plan, or at a check it cannot decide."""
    problem, bounds = run.problem, run.bounds
    m = w.proven
    while m < w.ub and run.has_time(budget, "waves"):
        win = bounds.windows(m)
        if win is None:
            w.proven = m = m + 1
            continue
        model, v = build(problem, win[0], win[1], bounds.forbidden, horizon=m, dominance=True)
        share = _CHECK_SHARE if m + 1 < w.ub else max(_CHECK_SHARE, 0.5)
        out, used = run.cp(model, v, budget.part(share), "waves", label=m)
        budget = budget.charge(used)
        if out.waves is not None:
            run.found(out.waves)
            w.ub = m
        elif out.status == "infeasible":
            w.proven = m = m + 1
            continue
        break
    return budget


def _squeeze(run: _Run, budget: TimeBudget, w: _Waves) -> TimeBudget:
    """Squeeze the incumbent into ub-1 waves, letting the last one overflow, and minimise the
    overflow: local search gets a gradient that "fewer waves?" alone does not give. The
    model relaxes "ub-1 waves suffice", so a positive proven bound proves they do not."""
    problem, bounds = run.problem, run.bounds
    assert run.incumbent is not None
    top = w.ub - 1
    win = bounds.windows(w.ub)
    if win is None:
        return budget
    hi = [min(h, top) for h in win[1]]
    model, v = build(problem, win[0], hi, bounds.forbidden, horizon=top, overflow=True)
    assert v.overflow is not None
    model.minimize(v.overflow)
    hint(model, v, [min(x, top) for x in run.incumbent])
    out, used = run.cp(model, v, budget, "waves")
    if out.waves is not None and out.objective == 0:
        run.found(out.waves)
        w.ub = top
    elif out.status in ("infeasible", "optimal") or out.bound > 0:
        w.proven = w.ub
    return budget.charge(used)


def _minimise_waves(run: _Run, budget: TimeBudget, w: _Waves) -> TimeBudget:
    """Optimise the wave count directly, hinted with the incumbent."""
    problem, bounds = run.problem, run.bounds
    top = min(w.ub, problem.max_waves)
    win = bounds.windows(top)
    if win is None:
        return budget
    model, v = build(
        problem,
        win[0],
        win[1],
        bounds.forbidden,
        horizon=top,
        min_waves=w.proven,
        minimise_waves=True,
        dominance=True,
    )
    model.minimize(waves_objective(model, problem, v))
    if run.incumbent:
        hint(model, v, run.incumbent)
    out, used = run.cp(model, v, budget, "waves")
    if out.waves is not None and max(out.waves) <= w.ub:
        run.found(out.waves)
        w.ub = max(out.waves)
    if out.status == "optimal":
        w.proven = w.ub
    elif out.status == "infeasible" and not run.incumbent:
        w.proven = problem.max_waves + 1
    elif out.waves is not None:
        w.proven = max(w.proven, math.ceil(out.bound - 1e-9))
    return budget.charge(used)


def _station_bb(run: _Run, budget: TimeBudget, w: _Waves) -> TimeBudget:
    """Pure SALBP-1: the exact station-oriented branch and bound (maximal loads, memory)
    with the rest of the phase; it runs on wall-clock time, so say so if it stops undecided."""
    problem = run.problem
    preds: list[list[int]] = [[] for _ in problem.names]
    for a, b in problem.before_or_same:
        if a != b:
            preds[b].append(a)
    seconds = max(0.0, min(budget.left(), budget.wall_left()))
    bb = station_bb(
        [d[0] for d in problem.demand],
        problem.capacity[0][0],
        preds,
        lower=w.proven,
        upper=w.ub,
        time_limit=seconds,
        stop=run.stop,
    )
    if budget.deterministic:
        budget = budget.charge(bb.runtime)
        if not bb.proven and not run.stopped():
            run.notes.append(
                "waves: station_bb stopped at its wall-clock limit; run may not be reproducible"
            )
    if bb.stations is not None and not violations(problem, bb.stations):
        run.found(bb.stations)
        w.ub = bb.best
    w.proven = max(w.proven, bb.bound)
    return budget


def _objective_phase(
    run: _Run,
    name: str,
    phase: TimeBudget,
    win: tuple[list[int], list[int]],
    horizon: int,
    fixed: list[tuple[str, float]],
) -> tuple[TimeBudget, float | None]:
    """Phases 2-4 (splits, downtime, moved): returns what is left of the phase's budget and
    the phase's value (None when there is no plan)."""
    t0 = run.elapsed()
    problem, incumbent = run.problem, run.incumbent
    if incumbent is not None and (run.stopped() or not run.has_time(phase, name)):
        # Stopped by the user, or no wall time left (a busy machine ate it before this phase):
        # the incumbent's value against a bound that needs no search.
        bound = phase_bound(name, problem, win, run.bounds.forbidden, horizon)
        value = evaluate(problem, incumbent)[name]
        out, left = _Outcome("feasible", incumbent, value, bound), phase
    elif problem.n_tasks >= _LNS_TASKS and incumbent is not None:
        # The full model of a big instance spends most of the time in presolve: LNS instead.
        out, left = _lns_phase(run, name, phase, win, horizon)
    else:
        out, left = _model_phase(run, name, phase, win, horizon, fixed)
    if out.waves is not None:
        run.found(out.waves)
        value, bound, status = out.objective, out.bound, out.status
        if name == "splits":  # pairs no plan can join: a bound whatever the search proved
            cl = run.bounds.cl
            bound = max(
                bound, float(forced_splits(problem, win[0], win[1], run.bounds.forbidden, cl.sdesc))
            )
    elif run.incumbent is not None:
        value, bound, status = evaluate(problem, run.incumbent)[name], -math.inf, "feasible"
    else:
        status = "infeasible" if out.status == "infeasible" else "unknown"
        run.results.append(
            PhaseResult(name, status, math.inf, out.bound, math.inf, run.elapsed() - t0)
        )
        return left, None
    bound = max(bound, 0.0)
    run.record(
        name,
        "optimal" if value <= bound else status,
        value,
        bound,
        t0,
        run.parts if name == "splits" else (),
    )
    run.emit(name, value, bound)
    return left, value


def _model_phase(
    run: _Run,
    name: str,
    phase: TimeBudget,
    win: tuple[list[int], list[int]],
    horizon: int,
    fixed: list[tuple[str, float]],
) -> tuple[_Outcome, TimeBudget]:
    """The full model with this phase's objective, the earlier phases' values kept."""
    problem = run.problem
    model, v = build(problem, win[0], win[1], run.bounds.forbidden, horizon=horizon)
    for prev, value in fixed:
        model.add(OBJECTIVES[prev](model, problem, v) <= round(value))
    model.minimize(OBJECTIVES[name](model, problem, v))
    if run.incumbent:
        hint(model, v, run.incumbent)
    out, used = run.cp(model, v, phase, name)
    return out, phase.charge(used)


def _lns_phase(
    run: _Run, name: str, phase: TimeBudget, win: tuple[list[int], list[int]], horizon: int
) -> tuple[_Outcome, TimeBudget]:
    """The splits, downtime or moved phase of a big instance: LNS from the incumbent.

    Splits get the bound of `_splits_phase`; downtime and moved the bounds of `phase_bound`.
    The later searches never split more or raise the peak downtime, so the earlier
    phases' values hold.
    """
    problem = run.problem
    assert run.incumbent is not None
    if name == "splits":
        return _splits_phase(run, phase, win, horizon)
    bound = phase_bound(name, problem, win, run.bounds.forbidden, horizon)
    out = _lns(run, name, phase, win, horizon, bound, (), run.stop)
    value = out.objective[name]
    status = "optimal" if value <= bound else "feasible"
    return _Outcome(status, list(out.waves), value, bound), phase.charge(out.units)


def _lns(
    run: _Run,
    name: str,
    phase: TimeBudget,
    win: tuple[list[int], list[int]],
    horizon: int,
    bound: float,
    first: Sequence[list[int]],
    stop: StopRequest | None,
) -> LnsOutcome:
    """One large-neighbourhood search from the incumbent, with its notes."""
    assert run.incumbent is not None
    out = improve(
        name,
        run.problem,
        run.incumbent,
        win[0],
        win[1],
        run.bounds.forbidden,
        horizon=horizon,
        budget=phase,
        stop=stop,
        seed=run.seed,
        on_improve=lambda value: run.emit(name, value, bound),
        floor=bound,
        first=first,
    )
    run.capped_note(name, out.capped and phase.deterministic, out.memory)
    run.notes.append(
        f"{name}: large-neighbourhood search, {out.iterations} sub-models, "
        f"{out.improvements} improvements"
    )
    return out


def _splits_phase(
    run: _Run, phase: TimeBudget, win: tuple[list[int], list[int]], horizon: int
) -> tuple[_Outcome, TimeBudget]:
    """The splits phase of a big instance: the parts (`_split_parts`) for a bound and a
    combined plan, then the LNS, and, where the whole model is small enough
    (`solvers.waves.full`), the LNS with `1 - _FULL_SHARE` of what the parts left and then
    the full model, with every worker, hinted with the LNS's plan, for the rest: a better
    bound, and a better plan (it takes the LNS's plan as its start)."""
    problem = run.problem
    assert run.incumbent is not None
    phase = _soft_start(run, phase, win, horizon)
    bound, phase, first = _split_parts(run, phase, win, horizon)
    value = evaluate(problem, run.incumbent)["splits"]
    if value <= bound:  # the parts' plans combined meet their summed bound: proven
        return _Outcome("optimal", list(run.incumbent), value, bound), phase
    if not run.has_time(phase, "splits") or not fits(problem, win[0], win[1], horizon):
        out = _lns(run, "splits", phase, win, horizon, bound, first, run.stop)
        value = out.objective["splits"]
        status = "optimal" if value <= bound else "feasible"
        return _Outcome(status, list(out.waves), value, bound), phase.charge(out.units)
    # Its share of the wall time too: hundreds of quick sub-models on a loaded machine can
    # take more wall time than their units, and that would be the full model's.
    lns = _lns(run, "splits", phase.split(1.0 - _FULL_SHARE), win, horizon, bound, first, run.stop)
    full, used = _FULL_SKIPPED, lns.units
    if lns.objective["splits"] > bound and run.has_time(phase.charge(used), "splits"):
        full = _full(run, phase.charge(used), win, horizon, bound, lns.waves)
        used += full.units
    _full_note(run, full, horizon, phase)
    return _pick(run, lns, full, bound), phase.charge(used)


def _full(
    run: _Run,
    budget: TimeBudget,
    win: tuple[list[int], list[int]],
    horizon: int,
    bound: float,
    start: Sequence[int],
) -> FullOutcome:
    """The full splits model from `start`, with every worker."""
    problem = run.problem
    return solve_full(
        problem,
        win[0],
        win[1],
        run.bounds.forbidden,
        horizon=horizon,
        incumbent=start,
        floor=bound,
        budget=budget,
        stop=run.stop,
        workers=run.workers,
        seed=run.seed,
    )


def _full_note(run: _Run, out: FullOutcome, horizon: int, budget: TimeBudget) -> None:
    """What the full splits model did, in the notes (from the calling thread, in a fixed
    order after the LNS's note)."""
    if out.status == "skipped":
        return
    run.notes.append(
        f"splits: full model ({run.problem.n_tasks:,} move groups x {horizon} waves) "
        f"{out.status}, objective {out.objective:g}, bound {out.bound:g}"
    )
    run.capped_note("splits", out.capped and budget.deterministic, out.memory)


def _pick(run: _Run, lns: LnsOutcome, full: FullOutcome, floor: float) -> _Outcome:
    """The splits phase's plan and bound from the LNS and the full model, in a fixed order:
    the LNS's plan if it met the parts' bound; else the full model's if it is proven optimal
    or better; the bound is the best either proved."""
    value = lns.objective["splits"]
    bound = max(floor, full.bound)
    if value > floor and full.waves and (full.status == "optimal" or full.objective < value):
        run.emit("splits", full.objective, bound)
        status = "optimal" if full.objective <= bound else "feasible"
        return _Outcome(status, list(full.waves), full.objective, bound)
    return _Outcome("optimal" if value <= bound else "feasible", list(lns.waves), value, bound)


def _soft_start(
    run: _Run, phase: TimeBudget, win: tuple[list[int], list[int]], horizon: int
) -> TimeBudget:
    """A soft-aware plan at the phase's wave count (`solvers.waves.start`) as the incumbent
    when it splits less (98 municipalities: 6,218 splits against the greedy's 16,679, in
    2.4 s of CPU), so that the parts, the local search and the LNS start near the good
    region; elsewhere a note says it was not taken.
    Skipped when the phase's budget holds less than the construction costs, or its wall
    time less than twice that (the construction checks no clock)."""
    problem = run.problem
    assert run.incumbent is not None
    cost = OPS_PER_TASK * problem.n_tasks / OPS_PER_UNIT
    if not run.has_time(phase, "splits") or min(phase.left(), phase.wall_left() / 2) < cost:
        return phase  # it has no deadline of its own: twice its cost in wall time, at least
    before = evaluate(problem, run.incumbent)["splits"]
    out = soft_start(problem, run.incumbent, win[0], win[1], run.bounds.forbidden, horizon=horizon)
    taken = bool(out.waves) and out.splits < before and not violations(problem, out.waves)
    if taken:
        run.found(out.waves)
        bound = forced_splits(problem, win[0], win[1], run.bounds.forbidden, run.bounds.cl.sdesc)
        run.emit("splits", out.splits, float(bound))
    if not out.waves:
        outcome = f"none fits the {horizon} waves, not taken"
    else:
        outcome = f"best {out.splits:g} splits, {'taken' if taken else 'not taken'}"
    run.notes.append(
        f"splits: soft-aware start, {out.tried} constructions against the plan's {before:g} "
        f"splits: {outcome} ({out.units:.1f} units)"
    )
    return phase.charge(out.units)


def _split_parts(
    run: _Run, phase: TimeBudget, win: tuple[list[int], list[int]], horizon: int
) -> tuple[float, TimeBudget, list[list[int]]]:
    """The splits phase's decomposition (`solvers.waves.parts`): every cluster of
    soft-connected tasks solved on its own for up to `_PARTS_SHARE` of the phase, their plans
    written over the incumbent where every hard rule still holds, and their bounds summed
    into the phase's bound. Returns the bound, what is left of the phase's budget, and the
    solved clusters still above their own optimum (the capacity the others use binds them):
    the LNS re-solves each of them whole, against the rest of the plan, first."""
    problem, cl = run.problem, run.bounds.cl
    assert run.incumbent is not None
    setting = Setting(
        problem,
        win[0],
        win[1],
        run.bounds.forbidden,
        cl.desc,
        cl.sdesc,
        horizon,
        run.incumbent,
        run.stop,
        run.workers,
        run.seed,
    )
    solved, used = solve_parts(setting, clusters(problem), phase.part(_PARTS_SHARE))
    bound = float(math.ceil(sum(part.bound for part in solved) - 1e-9))
    before = evaluate(problem, run.incumbent)["splits"]
    plan, taken = combine(problem, run.incumbent, solved, cl.arcs)
    value = evaluate(problem, plan)["splits"]
    if value < before and not violations(problem, plan):
        run.found(plan)
        run.emit("splits", value, bound)
    run.parts = tuple(PartResult(len(p.tasks), p.status, p.objective, p.bound) for p in solved)
    run.notes.append(
        f"splits: {len(solved)} parts solved on their own, {taken} of their plans "
        f"combined into the plan ({before:g} -> {min(value, before):g} splits); "
        f"bound {bound:g}"
    )
    current = list(run.incumbent)
    open_parts = [
        list(p.tasks)
        for p in solved
        if p.waves and evaluate_part(problem, p.tasks, current) > p.objective
    ]
    return bound, phase.charge(used), open_parts


def _feasibility(run: _Run, budget: TimeBudget, horizon: int) -> WaveResult:
    """No phase asked for a solve (or none was active): still return a plan if one exists."""
    win = run.bounds.windows(horizon)
    if win is None:
        return run.finish("infeasible")
    model, v = build(run.problem, win[0], win[1], run.bounds.forbidden, horizon=horizon)
    out, _ = run.cp(model, v, budget, "feasibility", label=0.0)
    if out.waves is None:
        return run.finish("infeasible" if out.status == "infeasible" else "unknown")
    run.found(out.waves)
    return run.finish("optimal" if all(p.status == "optimal" for p in run.results) else "feasible")


def _final(phase: PhaseResult, value: float) -> PhaseResult:
    """A phase's result with the final plan's value: a later phase may lower an earlier
    objective as a side effect (its constraint is "no worse"), and the report should show
    the plan that is returned, not an intermediate one."""
    if value >= phase.objective:
        return phase
    status = "optimal" if value <= phase.bound else phase.status
    return replace(phase, objective=value, status=status, gap=_gap(value, phase.bound))


def _gap(objective: float, bound: float) -> float:
    """Relative gap as in the contract; 0 when the bound meets the objective."""
    if math.isinf(objective):
        return math.inf
    return max(0.0, (objective - bound) / max(1.0, abs(objective)))
