"""Migration-wave planning: the problem, the result, and the `solve()` entry point.

The problem is a frozen, validated object with integer indices only, so that the
solver layer never needs the database; the result always carries status, per-phase
objective and bound, and runtime, and never holds `None` where a value is expected.

Objectives are lexicographic and solved in phases ("waves", "splits", "downtime",
"moved"); each phase fixes its objective before the next one starts, so a later
phase can never make an earlier objective worse.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

PHASES: tuple[str, ...] = ("waves", "splits", "downtime", "moved")
"""Phase names in their lexicographic order."""

# Share of the time budget per phase; the first phase gets most because the wave
# count dominates everything else. Unused time of a phase rolls over to the next.
_PHASE_SHARE: dict[str, float] = {"waves": 0.55, "splits": 0.2, "downtime": 0.15, "moved": 0.1}

# CP-SAT deterministic time units per wall second, measured on the 2-core reference machine
# (about 1.0 when idle, 0.3-0.6 when other jobs share the cores). time_limit is given in
# seconds; in deterministic mode it is converted with this constant, so an idle run is
# reproducible and takes roughly that long (a loaded one is capped by the wall clock).
_DET_PER_SECOND = 1.0

# The same for the splits and downtime LNS: hundreds of small sub-models, each with a
# presolve and a model copy that CP-SAT's deterministic clock does not count, run at about
# 0.65 deterministic units per wall second here (80 sub-models of the demo: 12.8 units in
# 19.2 s), and 10-20 % slower when the virtual machine is. Its budget is scaled by this,
# with room for that slowdown, so that a run ends on its budget, which is reproducible,
# and not on the wall-clock safety limit, which is not: at 0.6 the demo's splits phase
# ended on the wall clock in one of two runs on a day the machine was 15 % slower.
_LNS_DET_PER_SECOND = 0.5

# From this many tasks on, the splits phase runs a large-neighbourhood search over small
# CP-SAT sub-models (solvers/wave_lns.py) instead of one full model: the full model's
# presolve and hint completion alone take most of a minute at 1,000 tasks.
_LNS_TASKS = 150

# On such instances, when the greedy plan is already within one wave of the lower bound,
# the wave phase gets this share (closing the last wave is rarely possible there) and
# the splits phase this one, so the soft dependencies (the higher objective) get the time.
_BIG_SHARE: dict[str, float] = {"waves": 0.15, "splits": 0.65, "downtime": 0.1, "moved": 0.1}

# Share of the remaining wave-phase budget a feasibility check at one m may use; the rest
# goes to the hinted optimisation model if the check is undecided.
_CHECK_SHARE = 0.4

# Pure SALBP-1 problems (see `_pure_salbp`): CP-SAT gets this share of the wave phase, the
# exact station branch and bound (solvers/salbp_bb.py) the rest if CP-SAT leaves a gap.
_BB_CP_SHARE = 0.3


def _pairs_ok(pairs: Sequence[tuple[int, int]], n: int, what: str) -> None:
    """Reject pair lists that point outside the task range, naming the first bad pair."""
    for a, b in pairs:
        if not (0 <= a < n and 0 <= b < n):
            raise ValueError(f"{what} pair ({a}, {b}) refers to a task outside 0..{n - 1}.")
        if a == b and what != "before_or_same" and what != "same_wave":
            raise ValueError(f"{what} pair ({a}, {b}) relates a task to itself.")


@dataclass(frozen=True)
class WaveProblem:
    """Tasks (move groups) to place in waves 1..max_waves. All numbers are integers (callers scale hours by 10)."""

    names: tuple[str, ...]
    resources: tuple[str, ...]
    demand: tuple[tuple[int, ...], ...]
    capacity: tuple[tuple[int, ...], ...]
    max_waves: int
    before_or_same: tuple[tuple[int, int], ...] = ()
    strictly_before: tuple[tuple[int, int], ...] = ()
    same_wave: tuple[tuple[int, int], ...] = ()
    soft: tuple[tuple[int, int, int], ...] = ()
    earliest: tuple[int, ...] = ()
    latest: tuple[int, ...] = ()
    pins: tuple[tuple[int, int], ...] = ()
    forbidden: tuple[tuple[int, tuple[int, ...]], ...] = ()
    downtime_weight: tuple[int, ...] = ()
    previous: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        """Check sizes and ranges once, here, so the model builders can trust every index."""
        n, k, m = len(self.names), len(self.resources), self.max_waves
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise ValueError(f"max_waves must be a positive integer, got {m!r}.")
        if len(self.demand) != n:
            raise ValueError(f"demand has {len(self.demand)} rows but there are {n} tasks.")
        for t, row in enumerate(self.demand):
            if len(row) != k:
                raise ValueError(f"demand row {t} has {len(row)} values but there are {k} resources.")
            if any(v < 0 for v in row):
                raise ValueError(f"demand row {t} ({self.names[t]}) has a negative value.")
        if len(self.capacity) != m:
            raise ValueError(f"capacity has {len(self.capacity)} rows but max_waves is {m}.")
        for w, row in enumerate(self.capacity, start=1):
            if len(row) != k:
                raise ValueError(f"capacity row for wave {w} has {len(row)} values but there are {k} resources.")
            if any(v < 0 for v in row):
                raise ValueError(f"capacity row for wave {w} has a negative value.")
        _pairs_ok(self.before_or_same, n, "before_or_same")
        _pairs_ok(self.strictly_before, n, "strictly_before")
        _pairs_ok(self.same_wave, n, "same_wave")
        for a, b, weight in self.soft:
            _pairs_ok(((a, b),), n, "soft")
            if weight <= 0:
                raise ValueError(f"soft pair ({a}, {b}) has weight {weight}; weights must be positive.")
        for what, values in (("earliest", self.earliest), ("latest", self.latest)):
            if values and len(values) != n:
                raise ValueError(f"{what} has {len(values)} values but there are {n} tasks.")
            for t, w in enumerate(values):
                if not 1 <= w <= m:
                    raise ValueError(f"{what}[{t}] = {w} is outside waves 1..{m}.")
        for t, (lo, hi) in enumerate(zip(self.earliest, self.latest)):
            if lo > hi:
                raise ValueError(f"task {t} ({self.names[t]}) has earliest {lo} after latest {hi}.")
        for t, w in self.pins:
            if not 0 <= t < n:
                raise ValueError(f"pin refers to task {t} outside 0..{n - 1}.")
            if not 1 <= w <= m:
                raise ValueError(f"pin of task {t} to wave {w} is outside waves 1..{m}.")
        for t, waves in self.forbidden:
            if not 0 <= t < n:
                raise ValueError(f"forbidden entry refers to task {t} outside 0..{n - 1}.")
            for w in waves:
                if not 1 <= w <= m:
                    raise ValueError(f"forbidden wave {w} of task {t} is outside waves 1..{m}.")
        if self.downtime_weight:
            if len(self.downtime_weight) != n:
                raise ValueError(f"downtime_weight has {len(self.downtime_weight)} values but there are {n} tasks.")
            if any(v < 0 for v in self.downtime_weight):
                raise ValueError("downtime_weight has a negative value.")
        if self.previous:
            if len(self.previous) != n:
                raise ValueError(f"previous has {len(self.previous)} values but there are {n} tasks.")
            for t, w in enumerate(self.previous):
                if not 0 <= w <= m:
                    raise ValueError(f"previous[{t}] = {w} is outside 0..{m} (0 means no previous wave).")

    # Lookups computed on demand; cheap enough that caching would only add state.
    @property
    def n_tasks(self) -> int:
        """Number of tasks, the length of every per-task tuple."""
        return len(self.names)

    def window(self, t: int) -> tuple[int, int]:
        """The user window of task t with the empty-tuple defaults filled in."""
        lo = self.earliest[t] if self.earliest else 1
        hi = self.latest[t] if self.latest else self.max_waves
        return lo, hi

    def forbidden_sets(self) -> list[set[int]]:
        """Per task, the waves it may not use (several entries for one task are merged)."""
        out: list[set[int]] = [set() for _ in self.names]
        for t, waves in self.forbidden:
            out[t].update(waves)
        return out

    def pin_of(self) -> list[set[int]]:
        """Per task, the set of pinned waves (two different pins make the task infeasible)."""
        out: list[set[int]] = [set() for _ in self.names]
        for t, w in self.pins:
            out[t].add(w)
        return out


@dataclass(frozen=True)
class ProgressEvent:
    """One line of live progress: emitted on every improving solution and at each phase end."""

    phase: str
    objective: float
    bound: float
    elapsed: float


@dataclass(frozen=True)
class PhaseResult:
    """Outcome of one lexicographic phase, with the proven bound so gaps are honest."""

    name: str
    status: str
    objective: float
    bound: float
    gap: float
    runtime: float


@dataclass(frozen=True)
class GreedyResult:
    """The list-scheduling baseline; kept in the result so reports can show what CP-SAT added."""

    waves: tuple[int, ...]
    objective: dict[str, float]
    runtime: float


@dataclass(frozen=True)
class WaveResult:
    """Everything the caller needs to report a plan honestly; no field is ever None except greedy."""

    status: str
    waves: tuple[int, ...]
    phases: tuple[PhaseResult, ...]
    objective: dict[str, float]
    bound: dict[str, float]
    lower_bound_waves: int
    runtime: float
    first_solution_seconds: float
    greedy: GreedyResult | None
    notes: tuple[str, ...] = field(default=())

    def is_feasible(self) -> bool:
        """True when the result holds an assignment (status optimal or feasible)."""
        return bool(self.waves)

    def summary(self) -> str:
        """A few human lines for logs and the CLI."""
        lines = [f"status {self.status}, {self.runtime:.2f} s, wave lower bound {self.lower_bound_waves}"]
        for p in self.phases:
            gap = f", gap {p.gap:.1%}" if p.status == "feasible" else ""
            lines.append(
                f"  {p.name:<8} {p.status:<10} objective {p.objective:g} bound {p.bound:g}{gap} ({p.runtime:.2f} s)"
            )
        if self.greedy is not None and self.greedy.waves:
            obj = ", ".join(f"{k} {v:g}" for k, v in self.greedy.objective.items())
            lines.append(f"  greedy   {obj} ({self.greedy.runtime:.3f} s)")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


def evaluate(problem: WaveProblem, waves: Sequence[int]) -> dict[str, float]:
    """Objective values of any assignment, recomputed without the solver (waves = max wave used, splits = sum of soft weights split, downtime = max over waves of summed downtime_weight, moved = count of tasks with previous>0 and wave != previous)."""
    if not waves:
        return {name: math.inf for name in PHASES}
    load: dict[int, int] = {}
    if problem.downtime_weight:
        for t, w in enumerate(waves):
            load[w] = load.get(w, 0) + problem.downtime_weight[t]
    return {
        "waves": float(max(waves)),
        "splits": float(sum(weight for a, b, weight in problem.soft if waves[a] != waves[b])),
        "downtime": float(max(load.values(), default=0)),
        "moved": float(sum(1 for t, p in enumerate(problem.previous) if p > 0 and waves[t] != p)),
    }


def violations(problem: WaveProblem, waves: Sequence[int]) -> list[str]:
    """Every hard rule an assignment breaks, as short sentences; empty means feasible.

    Kept apart from the model so that a plan loaded from disk (or produced by a
    heuristic) can be checked without trusting the solver.
    """
    n = problem.n_tasks
    if len(waves) != n:
        return [f"assignment has {len(waves)} waves for {n} tasks"]
    out: list[str] = []
    forbidden = problem.forbidden_sets()
    for t, w in enumerate(waves):
        lo, hi = problem.window(t)
        if not lo <= w <= hi:
            out.append(f"{problem.names[t]} in wave {w} outside window {lo}..{hi}")
        if w in forbidden[t]:
            out.append(f"{problem.names[t]} in forbidden wave {w}")
    for t, w in problem.pins:
        if waves[t] != w:
            out.append(f"{problem.names[t]} pinned to {w} but in {waves[t]}")
    for a, b in problem.before_or_same:
        if waves[a] > waves[b]:
            out.append(f"{problem.names[a]} must not be after {problem.names[b]}")
    for a, b in problem.strictly_before:
        if waves[a] >= waves[b]:
            out.append(f"{problem.names[a]} must be before {problem.names[b]}")
    for a, b in problem.same_wave:
        if waves[a] != waves[b]:
            out.append(f"{problem.names[a]} and {problem.names[b]} must share a wave")
    for w in range(1, problem.max_waves + 1):
        for r, res in enumerate(problem.resources):
            used = sum(problem.demand[t][r] for t in range(n) if waves[t] == w)
            if used > problem.capacity[w - 1][r]:
                out.append(f"wave {w} uses {used} {res} of {problem.capacity[w - 1][r]}")
    return out


def _pure_salbp(problem: WaveProblem) -> bool:
    """One resource, one capacity in every wave, only before_or_same, no windows, pins, forbidden or previous waves."""
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


def solve(
    problem: WaveProblem,
    *,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    phases: Sequence[str] = PHASES,
    progress: Callable[[ProgressEvent], None] | None = None,
    deterministic: bool = True,
) -> WaveResult:
    """Solve the phases in lexicographic order and return an honest result.

    With `deterministic=True` (the default) every CP-SAT call is limited by
    deterministic time (`max_deterministic_time`, a measure of work that does not
    depend on machine load; `time_limit` seconds are converted with `_DET_PER_SECOND`) and uses `interleave_search` when
    workers > 1, because a wall-clock limit or free-running parallel workers make
    the answer depend on machine load. Phase budgets are then also split in
    deterministic time, so the same problem, seed and workers give the same waves.
    A wall-clock safety net remains (1.5 x each call's budget, never past the limit); if it fires, the
    result is still correct but no longer reproducible, and a note says so.
    Sources: OR-Tools maintainers state CP-SAT is deterministic single-threaded and
    that wall-clock limits can never be (google/or-tools#1145, #4195); multi-worker
    determinism needs `interleave_search` (google/or-tools#4783, #4946).
    Pass `deterministic=False` for plain wall-clock limits and the full parallel
    portfolio (faster on hard instances, not reproducible).
    After `solvers.cpsat.request_stop()` (the first Ctrl-C of `planner plan`) the running
    solve ends as if its time were up and later phases are not searched: the result is the
    best plan found by then, as honest as any other (a note says when it was stopped).
    """
    active = _active_phases(problem, phases)
    return _run_phases(
        problem,
        active=active,
        shares={p: _PHASE_SHARE[p] for p in active},
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        progress=progress,
        deterministic=deterministic,
    )


# --- orchestration -------------------------------------------------------------------
@dataclass
class _Clock:
    """Budget accounting in deterministic seconds (reproducible) or wall seconds."""

    deterministic: bool
    limit: float
    start: float = field(default_factory=time.perf_counter)
    spent_det: float = 0.0
    notes: list[str] = field(default_factory=list)
    phase_end: float = math.inf  # wall seconds (since start) the current phase must end by
    stopped_at: float | None = None  # wall seconds (since start) when the user stopped the search

    def wall_left(self) -> float:
        """Wall seconds the current phase may still use: its own share, never past the limit;
        none once the user stopped the search (`solvers.cpsat.request_stop`)."""
        if self.stopped():
            return 0.0
        limit = self.limit / _DET_PER_SECOND if self.deterministic else self.limit
        return max(0.0, min(limit, self.phase_end) - self.elapsed())

    def stopped(self) -> bool:
        """Whether the user stopped the search; the first time, a note says when."""
        from solvers import cpsat

        if not cpsat.stop_requested():
            return False
        if self.stopped_at is None:
            self.stopped_at = self.elapsed()
            self.notes.append(f"stopped by the user after {self.stopped_at:.1f} s: this is the best "
                              "plan found by then, and phases after the stop were not searched")
        return True

    def elapsed(self) -> float:
        """Wall seconds since solve() started (always reported, never used for decisions when deterministic)."""
        return time.perf_counter() - self.start

    def remaining(self) -> float:
        """Budget left, in the unit that drives decisions (none once the user stopped)."""
        if self.stopped():
            return 0.0
        spent = self.spent_det if self.deterministic else self.elapsed()
        return max(0.0, self.limit - spent)


@dataclass
class _Outcome:
    """What one CP-SAT call produced, reduced to plain values."""

    status: str
    waves: list[int] | None
    objective: float
    bound: float


def _cp_solve(
    model: object,
    wave_vars: object,
    *,
    budget: float,
    clock: _Clock,
    workers: int,
    seed: int,
    phase: str,
    progress: Callable[[ProgressEvent], None] | None,
    label: float | None = None,
) -> _Outcome:
    """One CP-SAT call with the reproducibility settings; `label` is the objective to report for pure feasibility models."""
    from ortools.sat.python import cp_model

    from solvers import cpsat

    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = max(1, workers)
    prm.random_seed = seed
    budget = max(budget, 0.01)
    if clock.deterministic:
        # Deterministic time is load-independent; interleaving makes multi-worker runs reproducible.
        prm.max_deterministic_time = budget
        # The user's time limit is a promise in wall seconds: never run past it, even if
        # that costs reproducibility on a loaded machine (a note says so).
        # 1.5 x the budget (not more): on a loaded machine deterministic time runs slower than
        # the wall clock, and a phase that overstays eats the later phases' share of the limit.
        prm.max_time_in_seconds = max(0.05, min(1.5 * budget / _DET_PER_SECOND + 1.0, clock.wall_left()))
        if workers > 1:
            prm.interleave_search = True
    else:
        prm.max_time_in_seconds = budget

    class _Callback(cp_model.CpSolverSolutionCallback):
        """Forwards each improving solution to the progress hook."""

        def on_solution_callback(self) -> None:
            if progress is not None:
                obj = label if label is not None else self.objective_value
                bnd = label if label is not None else self.best_objective_bound
                progress(ProgressEvent(phase, float(obj), float(bnd), clock.elapsed()))

    assert isinstance(model, cp_model.CpModel)
    st = cpsat.run(solver, model, _Callback())
    clock.spent_det += solver.deterministic_time
    name = {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
        cp_model.MODEL_INVALID: "invalid",
    }.get(st, "unknown")
    if (clock.deterministic and name in ("feasible", "unknown") and not clock.stopped()
            and solver.wall_time >= prm.max_time_in_seconds * 0.98):
        clock.notes.append(f"{phase}: wall-clock safety limit hit, this run may not be reproducible")
    if name not in ("optimal", "feasible"):
        return _Outcome(name, None, math.inf, -math.inf)
    waves = [int(solver.value(w)) for w in wave_vars.wave]  # type: ignore[attr-defined]
    if label is not None:
        return _Outcome(name, waves, label, label)
    return _Outcome(name, waves, float(solver.objective_value), float(solver.best_objective_bound))


def _lns(
    name: str,
    problem: WaveProblem,
    incumbent: list[int],
    win: tuple[list[int], list[int]],
    banned: Sequence[set[int]],
    horizon: int,
    budget: float,
    clock: _Clock,
    seed: int,
    progress: Callable[[ProgressEvent], None] | None,
) -> _Outcome:
    """The splits, downtime or moved phase of a big instance: LNS from the incumbent
    (solvers/wave_lns.py).

    Splits have only the trivial bound 0; downtime and moved the bounds of
    `wave_lns.downtime_bound` and `moved_bound`. The later searches never split more or
    raise the peak downtime, so the earlier phases' values hold.
    """
    from solvers.wave_lns import improve

    deadline = time.perf_counter() + clock.wall_left()
    bound = _cheap_bound(name, problem, win, banned, horizon)

    def on_improve(value: int) -> None:
        if progress is not None:
            progress(ProgressEvent(name, float(value), bound, clock.elapsed()))

    if clock.deterministic:
        det_budget = budget * _LNS_DET_PER_SECOND / _DET_PER_SECOND
    else:  # wall mode: convert the wall budget, and let the deadline stop it
        det_budget = budget * 10.0
        deadline = min(deadline, time.perf_counter() + budget)
    out = improve(name, problem, incumbent, win[0], win[1], banned, horizon=horizon, det_budget=det_budget,
                  wall_deadline=deadline, seed=seed, on_improve=on_improve)
    # Charged at the rate its budget was converted with, so that the next phase's budget
    # (what is left of the limit) matches the wall time that is really left.
    clock.spent_det += out.det_time * _DET_PER_SECOND / _LNS_DET_PER_SECOND
    if out.wall_capped and clock.deterministic:
        clock.notes.append(f"{name}: wall-clock safety limit hit, this run may not be reproducible")
    clock.notes.append(f"{name}: large-neighbourhood search, {out.iterations} sub-models, "
                       f"{out.improvements} improvements")
    value = float({"splits": out.splits, "downtime": out.downtime, "moved": out.moved}[name])
    return _Outcome("optimal" if value <= bound else "feasible", list(out.waves), value, bound)


def _cheap_bound(name: str, problem: WaveProblem, win: tuple[list[int], list[int]],
                 banned: Sequence[set[int]], horizon: int) -> float:
    """A phase's bound without a CP-SAT model: 0 splits; the downtime and moved bounds of
    `solvers.wave_lns`."""
    from solvers.wave_lns import downtime_bound, moved_bound

    if name == "downtime":
        return float(downtime_bound(problem, horizon))
    if name == "moved":
        return float(moved_bound(problem, win[0], win[1], banned))
    return 0.0


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


def _run_phases(
    problem: WaveProblem,
    *,
    active: list[str],
    shares: dict[str, float],
    time_limit: float,
    workers: int,
    seed: int,
    progress: Callable[[ProgressEvent], None] | None,
    deterministic: bool,
) -> WaveResult:
    """Greedy, bounds, then one CP-SAT stage per active phase, each fixing its objective for the next."""
    from solvers import wave_model
    from solvers.wave_bounds import WaveBounds
    from solvers.wave_greedy import greedy

    clock = _Clock(deterministic, time_limit * _DET_PER_SECOND if deterministic else time_limit)
    bounds = WaveBounds(problem)
    lb = bounds.lower_bound()
    results: list[PhaseResult] = []

    def cp(model: object, v: object, *, budget: float, phase: str, label: float | None = None) -> _Outcome:
        return _cp_solve(
            model, v, budget=budget, clock=clock, workers=workers, seed=seed, phase=phase, progress=progress, label=label
        )

    def emit(phase: str, objective: float, bound: float) -> None:
        if progress is not None:
            progress(ProgressEvent(phase, objective, bound, clock.elapsed()))

    def finish(status: str, waves: Sequence[int] | None, g: GreedyResult | None, first: float) -> WaveResult:
        plan = tuple(waves) if waves else ()
        values = evaluate(problem, plan)
        clock.stopped()  # a stop during the last solve still gets its note
        return WaveResult(
            status=status,
            waves=plan,
            phases=tuple(_final(phase, values[phase.name]) if plan else phase for phase in results),
            objective={p.name: (values[p.name] if plan else math.inf) for p in results},
            bound={p.name: p.bound for p in results},
            lower_bound_waves=lb,
            runtime=clock.elapsed(),
            first_solution_seconds=first,
            greedy=g,
            notes=tuple(clock.notes),
        )

    if lb > problem.max_waves:
        # The head/tail/capacity bounds already prove that no plan fits: a combinatorial proof.
        if "waves" in active:
            results.append(PhaseResult("waves", "infeasible", math.inf, math.inf, math.inf, clock.elapsed()))
        return finish("infeasible", None, None, math.inf)

    g = greedy(problem, seed=seed, bounds=bounds)
    incumbent: list[int] | None = list(g.waves) or None
    first = clock.elapsed() if incumbent else math.inf

    def note_first() -> None:
        nonlocal first
        if math.isinf(first) and incumbent:
            first = clock.elapsed()

    horizon = problem.max_waves
    banned = bounds.forbidden
    big = problem.n_tasks >= _LNS_TASKS
    if big and incumbent and max(incumbent) <= lb + 1:
        shares = {p: _BIG_SHARE[p] for p in shares}
    share_left = sum(shares.values())

    def phase_budget(name: str) -> float:
        nonlocal share_left
        part = shares[name] / share_left if share_left > 0 else 0.0
        budget = clock.remaining() * part
        # The same share of the wall time left, so a phase slowed by machine load cannot eat
        # the later phases' time (the last phase gets everything that is left).
        wall = (clock.limit / _DET_PER_SECOND if clock.deterministic else clock.limit) - clock.elapsed()
        clock.phase_end = clock.elapsed() + max(0.0, wall) * part if part < 1.0 - 1e-9 else math.inf
        share_left -= shares[name]
        return budget

    if "waves" in active:
        t0 = clock.elapsed()
        budget = phase_budget("waves")
        bb_budget, phase_end = 0.0, clock.phase_end
        if _pure_salbp(problem):
            # CP-SAT gets its share of the budget and of the wall time; station_bb the rest (below).
            bb_budget = budget * (1 - _BB_CP_SHARE)
            budget -= bb_budget
            clock.phase_end = clock.elapsed() + clock.wall_left() * _BB_CP_SHARE
        det0 = clock.spent_det if deterministic else t0
        def spent() -> float:
            """Budget used so far; all of it once the phase's wall share is (nearly) gone."""
            if clock.wall_left() <= 0.2:
                return budget
            return (clock.spent_det if deterministic else clock.elapsed()) - det0

        ub = max(incumbent) if incumbent else problem.max_waves + 1
        proven = lb
        # Iterative feasibility from the lower bound up: each m gets the tightest windows for that m.
        m = lb
        while m < ub and budget - spent() > 0:
            win = bounds.windows(m)
            if win is None:
                proven = m = m + 1
                continue
            model, v = wave_model.build(problem, win[0], win[1], banned, horizon=m, dominance=True)
            left = budget - spent()
            out = cp(model, v, budget=left * _CHECK_SHARE if m + 1 < ub else left * max(_CHECK_SHARE, 0.5), phase="waves", label=m)
            if out.waves is not None:
                incumbent, ub = out.waves, m
                note_first()
            elif out.status == "infeasible":
                proven = m = m + 1
                continue
            break
        if proven < ub and budget - spent() > 0 and incumbent and len(problem.resources) == 1 and ub - 1 >= proven:
            # Squeeze the incumbent into ub-1 waves, letting the last one overflow, and minimise the
            # overflow: local search gets a gradient that "fewer waves?" alone does not give. The
            # model relaxes "ub-1 waves suffice", so a positive proven bound proves they do not.
            top = ub - 1
            win = bounds.windows(ub)
            if win is not None:
                hi = [min(h, top) for h in win[1]]
                model, v = wave_model.build(problem, win[0], hi, banned, horizon=top, overflow=True)
                assert v.overflow is not None
                model.minimize(v.overflow)
                wave_model.hint(model, v, [min(w, top) for w in incumbent])
                out = cp(model, v, budget=budget - spent(), phase="waves")
                if out.waves is not None and out.objective == 0:
                    incumbent, ub = out.waves, top
                    note_first()
                elif out.status in ("infeasible", "optimal") or out.bound > 0:
                    proven = ub
        elif proven < ub and budget - spent() > 0:
            # Fall back to optimising the wave count directly, hinted with the incumbent.
            top = min(ub, problem.max_waves)
            win = bounds.windows(top)
            if win is not None:
                model, v = wave_model.build(
                    problem, win[0], win[1], banned, horizon=top, min_waves=proven, minimise_waves=True, dominance=True
                )
                model.minimize(wave_model.waves_objective(model, problem, v))
                if incumbent:
                    wave_model.hint(model, v, incumbent)
                out = cp(model, v, budget=budget - spent(), phase="waves")
                if out.waves is not None and max(out.waves) <= ub:
                    incumbent, ub = out.waves, max(out.waves)
                    note_first()
                if out.status == "optimal":
                    proven = ub
                elif out.status == "infeasible" and not incumbent:
                    proven = problem.max_waves + 1
                elif out.waves is not None:
                    proven = max(proven, math.ceil(out.bound - 1e-9))
        clock.phase_end = phase_end
        if proven < ub and incumbent and bb_budget > 0:
            # Pure SALBP-1: an exact station-oriented branch and bound (maximal loads, memory) with
            # the rest of the phase; it runs on wall-clock time, so say so if it stops undecided.
            from solvers.salbp_bb import station_bb

            unit = _DET_PER_SECOND if deterministic else 1.0
            seconds = min((budget + bb_budget - spent()) / unit, clock.wall_left())
            preds: list[list[int]] = [[] for _ in problem.names]
            for a, b in problem.before_or_same:
                if a != b:
                    preds[b].append(a)
            bb = station_bb(
                [d[0] for d in problem.demand], problem.capacity[0][0], preds,
                lower=proven, upper=ub, time_limit=max(0.0, seconds),
            )
            if deterministic:
                clock.spent_det += bb.runtime * unit
                if not bb.proven:
                    clock.notes.append("waves: station_bb stopped at its wall-clock limit; run may not be reproducible")
            if bb.stations is not None and not violations(problem, bb.stations):
                incumbent, ub = list(bb.stations), bb.best
                note_first()
            proven = max(proven, bb.bound)
        lb = max(lb, min(proven, problem.max_waves + 1))
        if incumbent is None:
            status = "infeasible" if proven > problem.max_waves else "unknown"
            results.append(PhaseResult("waves", status, math.inf, float(proven), math.inf, clock.elapsed() - t0))
            emit("waves", math.inf, float(proven))
            return finish(status, None, g, first)
        # Optimal needs a proof: CP-SAT's, or infeasibility of every smaller m, or the combinatorial bound.
        status = "optimal" if proven >= ub else "feasible"
        results.append(PhaseResult("waves", status, float(ub), float(proven), _gap(ub, proven), clock.elapsed() - t0))
        emit("waves", float(ub), float(proven))
        horizon = ub

    fixed: list[tuple[str, float]] = []
    for name in active:
        if name == "waves":
            continue
        t0 = clock.elapsed()
        budget = phase_budget(name)
        win = bounds.windows(horizon)
        if win is None:  # cannot happen after a solution at this horizon; kept for safety
            break
        if clock.stopped() and incumbent is not None:
            # Stopped by the user: the incumbent's value against a bound that needs no search.
            out = _Outcome("feasible", list(incumbent), evaluate(problem, incumbent)[name],
                           _cheap_bound(name, problem, win, banned, horizon))
        elif big and incumbent is not None:
            # The full model of a big instance spends most of the time in presolve: LNS instead.
            out = _lns(name, problem, incumbent, win, banned, horizon, budget, clock, seed, progress)
        else:
            model, v = wave_model.build(problem, win[0], win[1], banned, horizon=horizon)
            for prev, value in fixed:
                model.add(wave_model.OBJECTIVES[prev](model, problem, v) <= round(value))
            model.minimize(wave_model.OBJECTIVES[name](model, problem, v))
            if incumbent:
                wave_model.hint(model, v, incumbent)
            out = cp(model, v, budget=budget, phase=name)
        if out.waves is not None:
            incumbent = out.waves
            note_first()
            value, bound, status = out.objective, out.bound, out.status
        elif incumbent is not None:
            value, bound, status = evaluate(problem, incumbent)[name], -math.inf, "feasible"
        else:
            status = "infeasible" if out.status == "infeasible" else "unknown"
            results.append(PhaseResult(name, status, math.inf, out.bound, math.inf, clock.elapsed() - t0))
            return finish(status, None, g, first)
        bound = max(bound, 0.0)
        if value <= bound:
            status = "optimal"
        results.append(PhaseResult(name, status, value, bound, _gap(value, bound), clock.elapsed() - t0))
        emit(name, value, bound)
        fixed.append((name, value))

    if incumbent is None:
        # No phase asked for a solve (or none was active): still return a plan if one exists.
        win = bounds.windows(horizon)
        if win is not None:
            model, v = wave_model.build(problem, win[0], win[1], banned, horizon=horizon)
            out = cp(model, v, budget=clock.remaining(), phase="feasibility", label=0.0)
            incumbent = out.waves
            note_first()
            if incumbent is None:
                return finish("infeasible" if out.status == "infeasible" else "unknown", None, g, first)
        else:
            return finish("infeasible", None, g, first)
    overall = "optimal" if all(p.status == "optimal" for p in results) else "feasible"
    return finish(overall, incumbent, g, first)
