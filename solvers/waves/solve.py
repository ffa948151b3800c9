"""Migration-wave planning: `solve()`, the phase driver.

The greedy plan and the combinatorial bounds come first; then one stage per lexicographic
phase (`PHASES`), each keeping the value of the ones before. The waves phase climbs from
the lower bound with feasibility checks, then squeezes the plan into one wave fewer
(single resource) or minimises the wave count directly, and on pure SALBP-1 instances
hands the rest of its time to the exact station branch and bound (`solvers.salbp`); one
function per strategy, below `solve()`. The later phases (splits, downtime, moved) are
`solvers.waves.objectives`: the full model on small instances, a large-neighbourhood
search on big ones, and the splits phase's own bound and decomposition. The state they
share (the incumbent, the results, the notes) is `solvers.waves.run.Run`.

Time: `time_limit` is wall-clock seconds, split over the phases by `_PHASE_SHARE` as a
`TimeBudget` (deterministic units inside a wall-clock deadline, see `solvers.limits`), so
the same problem, seed and workers give the same waves unless the deadline cut a search;
a note then says so. Unused time of a phase rolls over to the next.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from solvers.limits import StopRequest, TimeBudget
from solvers.salbp.branch_and_bound import station_bb
from solvers.waves.greedy import greedy
from solvers.waves.model import build, hint, waves_objective
from solvers.waves.objectives import LNS_TASKS, objective_phase
from solvers.waves.problem import (
    PHASES,
    PhaseResult,
    ProgressEvent,
    WaveProblem,
    WaveResult,
    violations,
)
from solvers.waves.run import Run

__all__ = ["solve"]

# Share of the time budget per phase; the first phase gets most because the wave
# count dominates everything else. Unused time of a phase rolls over to the next.
_PHASE_SHARE: dict[str, float] = {"waves": 0.55, "splits": 0.2, "downtime": 0.15, "moved": 0.1}

# On big instances (from `LNS_TASKS` tasks on: large-neighbourhood searches), when the greedy
# plan is already within one wave of the lower bound, the wave phase gets this share (closing
# the last wave is rarely possible there) and the splits phase this one, so the soft
# dependencies (the higher objective) get the time.
_BIG_SHARE: dict[str, float] = {"waves": 0.15, "splits": 0.65, "downtime": 0.1, "moved": 0.1}

# Tasks x waves above which the waves phase builds no full model (at 98 generated
# municipalities, 22,476 x 22: building it took a minute and 3 GB; the limit is 2 GB).
_MODEL_CELLS = 200_000

# Share of the remaining wave-phase budget a feasibility check at one m may use; the rest
# goes to the hinted optimisation model if the check is undecided.
_CHECK_SHARE = 0.4

# Pure SALBP-1 problems (see `_pure_salbp`): CP-SAT gets this share of the wave phase, the
# exact station branch and bound (solvers/salbp) the rest if CP-SAT leaves a gap.
_BB_CP_SHARE = 0.3

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
    run = Run(problem, workers, seed, progress, stop, started=started)
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
def _solve(run: Run, active: list[str], budget: TimeBudget) -> WaveResult:
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
    if problem.n_tasks >= LNS_TASKS and run.incumbent and max(run.incumbent) <= run.lb + 1:
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
        left, value = objective_phase(run, name, phase, win, horizon, fixed)
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


def _waves_phase(run: Run, phase: TimeBudget) -> tuple[TimeBudget, int | None]:
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


def _ladder(run: Run, budget: TimeBudget, w: _Waves) -> TimeBudget:
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


def _squeeze(run: Run, budget: TimeBudget, w: _Waves) -> TimeBudget:
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


def _minimise_waves(run: Run, budget: TimeBudget, w: _Waves) -> TimeBudget:
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


def _station_bb(run: Run, budget: TimeBudget, w: _Waves) -> TimeBudget:
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


def _feasibility(run: Run, budget: TimeBudget, horizon: int) -> WaveResult:
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
