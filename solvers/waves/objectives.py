"""The phases after the wave count (splits, downtime, moved), one function per strategy:
the full model with the phase's objective on small instances; on big ones a
large-neighbourhood search (`solvers.waves.lns`) from the incumbent. The splits phase of a
big instance starts from a soft-aware construction (`solvers.waves.start`), has a bound of
its own (the forced pairs, and the clusters of soft pairs solved on their own,
`solvers.waves.parts`) and, where the whole model is small enough, the full splits model
after the LNS (`solvers.waves.full`), whose proven bound and better plan are taken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from solvers.limits import StopRequest, TimeBudget
from solvers.waves.bounds import phase_bound
from solvers.waves.full import FullOutcome, fits, solve_full
from solvers.waves.lns import LnsOutcome, improve
from solvers.waves.model import OBJECTIVES, build, hint
from solvers.waves.parts import (
    Setting,
    clusters,
    combine,
    evaluate_part,
    forced_splits,
    solve_parts,
)
from solvers.waves.problem import PartResult, PhaseResult, evaluate, violations
from solvers.waves.run import Outcome, Run
from solvers.waves.start import OPS_PER_TASK, OPS_PER_UNIT, StartOutcome, soft_start

# From this many tasks on, the splits phase runs a large-neighbourhood search over small
# CP-SAT sub-models (solvers/waves/lns.py) instead of one full model: the full model's
# presolve and hint completion alone take most of a minute at 1,000 tasks.
LNS_TASKS = 150

# Share of a big instance's splits phase the parts (clusters of soft-connected tasks, solved
# on their own for a bound and a combined plan) may use; the rest goes to the LNS.
_PARTS_SHARE = 0.35

# Share of what the parts leave that the full splits model gets after the LNS, where it is
# small enough (`_splits_phase`). Measured on 5 generated municipalities thinned to 337 soft
# pairs (1,163 groups x 18 waves, load 4-5): the full model beside the LNS from the start
# (one worker each) found nothing in 40 s and slowed the LNS (74 splits against 24 alone);
# the full model with 2 workers from the LNS's plan took it from 30 to 19 splits in 60 s.
_FULL_SHARE = 0.5

# Share of the splits phase's units that the packings of the soft graph's communities may
# use in the soft-aware start (`_soft_start`): one
# packing costs about 5.4 units on 98 generated municipalities and finding the communities
# 1.5-5, so a 120-s plan tries two or three packings and a 600-s plan the same ones and
# more, up to `solvers.waves.packing.MOST_PACKINGS`.
_PACK_SHARE = 0.15

_FULL_SKIPPED = FullOutcome("skipped", (), math.inf, 0.0, 0.0, False)


def objective_phase(
    run: Run,
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
        out, left = Outcome("feasible", incumbent, value, bound), phase
    elif problem.n_tasks >= LNS_TASKS and incumbent is not None:
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
    run: Run,
    name: str,
    phase: TimeBudget,
    win: tuple[list[int], list[int]],
    horizon: int,
    fixed: list[tuple[str, float]],
) -> tuple[Outcome, TimeBudget]:
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
    run: Run, name: str, phase: TimeBudget, win: tuple[list[int], list[int]], horizon: int
) -> tuple[Outcome, TimeBudget]:
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
    return Outcome(status, list(out.waves), value, bound), phase.charge(out.units)


def _lns(
    run: Run,
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
    run: Run, phase: TimeBudget, win: tuple[list[int], list[int]], horizon: int
) -> tuple[Outcome, TimeBudget]:
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
        return Outcome("optimal", list(run.incumbent), value, bound), phase
    if not run.has_time(phase, "splits") or not fits(problem, win[0], win[1], horizon):
        out = _lns(run, "splits", phase, win, horizon, bound, first, run.stop)
        value = out.objective["splits"]
        status = "optimal" if value <= bound else "feasible"
        return Outcome(status, list(out.waves), value, bound), phase.charge(out.units)
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
    run: Run,
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


def _full_note(run: Run, out: FullOutcome, horizon: int, budget: TimeBudget) -> None:
    """What the full splits model did, in the notes (from the calling thread, in a fixed
    order after the LNS's note)."""
    if out.status == "skipped":
        return
    run.notes.append(
        f"splits: full model ({run.problem.n_tasks:,} move groups x {horizon} waves) "
        f"{out.status}, objective {out.objective:g}, bound {out.bound:g}"
    )
    run.capped_note("splits", out.capped and budget.deterministic, out.memory)


def _pick(run: Run, lns: LnsOutcome, full: FullOutcome, floor: float) -> Outcome:
    """The splits phase's plan and bound from the LNS and the full model, in a fixed order:
    the LNS's plan if it met the parts' bound; else the full model's if it is proven optimal
    or better; the bound is the best either proved."""
    value = lns.objective["splits"]
    bound = max(floor, full.bound)
    if value > floor and full.waves and (full.status == "optimal" or full.objective < value):
        run.emit("splits", full.objective, bound)
        status = "optimal" if full.objective <= bound else "feasible"
        return Outcome(status, list(full.waves), full.objective, bound)
    return Outcome("optimal" if value <= bound else "feasible", list(lns.waves), value, bound)


def _soft_start(
    run: Run, phase: TimeBudget, win: tuple[list[int], list[int]], horizon: int
) -> TimeBudget:
    """A soft-aware plan at the phase's wave count (`solvers.waves.start`) as the incumbent
    when it splits less, so that the parts, the local search and the LNS start near the good
    region; elsewhere a note says it was not taken. The first constructions are guided by
    packings of the soft graph's communities into waves (`solvers.waves.packing`, for
    `_PACK_SHARE` of the phase); on 98 generated municipalities the best splits 718-778
    against the wave-by-wave constructions' 6,218-6,738, and the 120-s plans end at
    669-720 splits, where the build before ended at 2,314-2,531 (docs/benchmarks.md).
    Skipped when the phase's budget holds less than the construction costs, or its wall
    time less than twice that (the construction checks no clock)."""
    problem = run.problem
    assert run.incumbent is not None
    cost = OPS_PER_TASK * problem.n_tasks / OPS_PER_UNIT
    if not run.has_time(phase, "splits") or min(phase.left(), phase.wall_left() / 2) < cost:
        return phase  # it has no deadline of its own: twice its cost in wall time, at least
    before = evaluate(problem, run.incumbent)["splits"]
    out = soft_start(
        problem,
        run.incumbent,
        win[0],
        win[1],
        run.bounds.forbidden,
        horizon=horizon,
        packing=_PACK_SHARE * phase.left(),
        seed=run.seed,
    )
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
        f"splits: soft-aware start, {out.tried} construction{'s' * (out.tried != 1)} "
        f"against the plan's {before:g} "
        f"splits{_packed(out, horizon)}: {outcome} ({out.units:.1f} units)"
    )
    return phase.charge(out.units)


def _packed(out: StartOutcome, horizon: int) -> str:
    """What the constructions guided by packings did, for the soft-aware start's note."""
    if out.packing is None:
        return ""
    guided = "missed the wave count" if math.isinf(out.guided) else f"best {out.guided:g} splits"
    return (
        f" ({out.packings} guided by {max(out.packing.group) + 1} communities packed into "
        f"{horizon} waves: {guided})"
    )


def _split_parts(
    run: Run, phase: TimeBudget, win: tuple[list[int], list[int]], horizon: int
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
