"""The CP-SAT model of wave planning, one function per constraint family.

Variables: a boolean x[t][w] for every wave w a task may use (windows, pins, blackouts,
head/tail bounds and "too big for that wave" are all applied by simply not creating the
other booleans), an integer wave[t] = sum w*x[t][w], and — only while the wave count is
still being minimised — monotone booleans used[w].

Two builders share the families. `build()` models every task for a fixed horizon m
(waves 1..m); the phase driver adds one objective per phase with `OBJECTIVES` and keeps
an earlier phase's value by bounding its objective. `build_part()` models a few tasks
(a neighbourhood of the large-neighbourhood search, `solvers.waves.lns`) against the rest
of a plan, fixed: the same assignment, capacity and precedence families, with the
capacity the fixed tasks leave and windows narrowed by the fixed neighbours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from solvers.waves.problem import WaveProblem

LinearExpr = cp_model.LinearExprT


@dataclass
class WaveVars:
    """Handles on the model's variables, so objectives and hints can be added after building.

    `tasks` are the tasks the model places (all of them, or a neighbourhood); `x`, `wave`
    and the step literals `y` (with each task's first and last wave `lo`, `hi`) are keyed
    by task.
    """

    horizon: int
    tasks: list[int]
    x: dict[int, dict[int, cp_model.IntVar]]
    wave: dict[int, cp_model.IntVar]
    used: dict[int, cp_model.IntVar] = field(default_factory=dict)
    max_wave: cp_model.IntVar | None = None
    y: dict[int, dict[int, cp_model.IntVar]] = field(default_factory=dict)
    lo: dict[int, int] = field(default_factory=dict)
    hi: dict[int, int] = field(default_factory=dict)
    overflow: cp_model.IntVar | None = None

    def le(self, t: int, w: int) -> cp_model.IntVar | int:
        """The literal [wave[t] <= w] ("step" variable), or the constant 0/1 outside t's window."""
        if w < self.lo[t]:
            return 0
        if w >= self.hi[t]:
            return 1
        return self.y[t][w]

    def waves_of(self, value: Callable[[cp_model.IntVar], int]) -> list[int]:
        """The wave of every task of the model, in `tasks` order, read with `value`."""
        return [value(self.wave[t]) for t in self.tasks]


def build(
    problem: WaveProblem,
    lo: Sequence[int],
    hi: Sequence[int],
    banned: Sequence[set[int]],
    *,
    horizon: int,
    min_waves: int = 1,
    minimise_waves: bool = False,
    dominance: bool = False,
    overflow: bool = False,
    prefix_rows: bool = True,
) -> tuple[cp_model.CpModel, WaveVars]:
    """Model of all hard rules, every task in its window [lo[t], hi[t]] minus banned waves.

    With `minimise_waves`, waves above `min_waves` may stay empty and `max_wave` counts the
    used ones; otherwise every task must simply fit in 1..horizon. `dominance` adds the
    maximal-load rule, valid only while nothing but the wave count is optimised (it moves
    tasks earlier, which later phases may not want). `overflow` lets the last wave's first
    resource overflow by `v.overflow` (for squeezing a plan into fewer waves).
    `prefix_rows=False` leaves out the redundant prefix-load rows, which help prove wave
    counts but are dense (every task, per wave and resource): without them the splits model
    of 1,216 tasks x 10 waves reached its hint in 6 s instead of 16 (load 3-4).
    """
    model = cp_model.CpModel()
    tasks = list(range(problem.n_tasks))
    x: dict[int, dict[int, cp_model.IntVar]] = {}
    for t in tasks:
        allowed = [w for w in range(lo[t], min(hi[t], horizon) + 1) if w not in banned[t]]
        x[t] = {w: model.new_bool_var(f"x[{t},{w}]") for w in allowed}
    wave = {
        t: model.new_int_var_from_domain(
            cp_model.Domain.from_values(sorted(x[t]) or [1]), f"wave[{t}]"
        )
        for t in tasks
    }
    v = WaveVars(horizon=horizon, tasks=tasks, x=x, wave=wave)
    if overflow:
        v.overflow = model.new_int_var(0, sum(row[0] for row in problem.demand), "overflow")
    _steps(model, problem, v)
    if minimise_waves:
        _wave_count(model, problem, v, min_waves)
    _add_constraints(model, problem, v, prefix_rows)
    if dominance:
        _maximal_load(model, problem, v)
    return model, v


def build_part(
    problem: WaveProblem,
    allowed: Mapping[int, Sequence[int]],
    room: Sequence[Sequence[int]],
    arcs: Iterable[tuple[int, int, int]],
    *,
    horizon: int,
) -> tuple[cp_model.CpModel, WaveVars]:
    """Model of the tasks in `allowed` (each with the waves it may take, ascending) while the
    rest of a plan stays fixed: `room[w - 1][r]` is the capacity the fixed tasks leave, and
    `arcs` (a, b, lag) the precedence among these tasks (precedence with fixed tasks is
    already in `allowed`). No step literals: the parts are small and solved at once."""
    model = cp_model.CpModel()
    x: dict[int, dict[int, cp_model.IntVar]] = {}
    wave: dict[int, cp_model.IntVar] = {}
    for t, waves in allowed.items():
        x[t] = {w: model.new_bool_var("") for w in waves}
        wave[t] = model.new_int_var(waves[0], waves[-1], "")
    v = WaveVars(horizon=horizon, tasks=list(allowed), x=x, wave=wave)
    _assign_once(model, problem, v)
    _capacity(model, problem, v, room)
    precedence(model, v, arcs)
    return model, v


def _steps(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> None:
    """Step literals y[t][w] = [wave[t] <= w]: precedence becomes clauses, prefix loads linear."""
    for t in v.tasks:
        dom = sorted(v.x[t]) or [1]
        v.lo[t] = dom[0]
        v.hi[t] = dom[-1]
        steps: dict[int, cp_model.IntVar] = {}
        for w in range(dom[0], dom[-1]):
            steps[w] = model.new_bool_var(f"y[{t},{w}]")
            if w > dom[0]:
                model.add_implication(steps[w - 1], steps[w])
            model.add(steps[w] == sum(b for u, b in v.x[t].items() if u <= w))
        v.y[t] = steps


def _add_constraints(
    model: cp_model.CpModel, problem: WaveProblem, v: WaveVars, prefix_rows: bool = True
) -> None:
    """Table of contents of the hard rules; order does not matter to CP-SAT, only to readers."""
    _assign_once(model, problem, v)
    _capacity(model, problem, v, problem.capacity)
    _before_or_same(model, problem, v)
    _strictly_before(model, problem, v)
    _same_wave(model, problem, v)
    _pins_windows_blackouts(model, problem, v)
    _redundant_total_capacity(model, problem, v)
    if prefix_rows:
        _redundant_prefix_load(model, problem, v)


def _assign_once(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> None:
    """Every task goes to exactly one wave, and wave[t] names it (no allowed wave: infeasible)."""
    for t in v.tasks:
        if not v.x[t]:
            model.add_bool_or([])  # no allowed wave: infeasible by construction
            continue
        model.add_exactly_one(v.x[t].values())
        model.add(v.wave[t] == sum(w * b for w, b in v.x[t].items()))


def _capacity(
    model: cp_model.CpModel, problem: WaveProblem, v: WaveVars, room: Sequence[Sequence[int]]
) -> None:
    """Per wave and resource, the summed demand of the model's tasks stays within `room`
    (times used[w] when waves are counted)."""
    for w in range(1, v.horizon + 1):
        for r in range(len(problem.resources)):
            terms = [
                (problem.demand[t][r], v.x[t][w])
                for t in v.tasks
                if w in v.x[t] and problem.demand[t][r]
            ]
            cap = room[w - 1][r]
            if not terms or sum(d for d, _ in terms) <= cap:
                continue
            load = sum(d * b for d, b in terms)
            if w in v.used:
                # Stronger LP: an unused wave has no capacity at all.
                model.add(load <= cap * v.used[w])
            elif v.overflow is not None and w == v.horizon and r == 0:
                model.add(load <= cap + v.overflow)
            else:
                model.add(load <= cap)


def precedence(model: cp_model.CpModel, v: WaveVars, arcs: Iterable[tuple[int, int, int]]) -> None:
    """wave[b] >= wave[a] + lag for every arc (a, b, lag): an integer inequality and, where
    the model has step literals, the clauses [b <= w] -> [a <= w - lag]."""
    for a, b, lag in arcs:
        model.add(v.wave[b] >= v.wave[a] + lag)
        if b not in v.y:
            continue
        for w in range(v.lo[b], v.hi[b]):
            before_b, before_a = v.le(b, w), v.le(a, w - lag)
            if isinstance(before_a, int):
                if before_a == 0:
                    model.add(before_b == 0)
            else:
                model.add_implication(before_b, before_a)


def _before_or_same(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> None:
    """A prerequisite (e.g. the network) must move in the same wave as its dependant or earlier."""
    precedence(model, v, ((a, b, 0) for a, b in problem.before_or_same if a != b))


def _strictly_before(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> None:
    """Some prerequisites must be finished (and stable) a whole wave before the dependant moves."""
    precedence(model, v, ((a, b, 1) for a, b in problem.strictly_before))


def _same_wave(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> None:
    """Tightly coupled systems move together; a wave only one of them may use is closed for both."""
    for a, b in problem.same_wave:
        if a == b:
            continue
        model.add(v.wave[a] == v.wave[b])
        for w in set(v.x[a]) | set(v.x[b]):
            if w in v.x[a] and w in v.x[b]:
                model.add(v.x[a][w] == v.x[b][w])
            elif w in v.x[a]:
                model.add(v.x[a][w] == 0)
            else:
                model.add(v.x[b][w] == 0)


def _pins_windows_blackouts(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> None:
    """Pins, user windows and blackout dates are already in the domains; re-stated so the
    model stands alone."""
    forbidden = problem.forbidden_sets()
    for t in v.tasks:
        lo, hi = problem.window(t)
        for w, b in v.x[t].items():
            if not lo <= w <= hi or w in forbidden[t]:
                model.add(b == 0)
    for t, w in problem.pins:
        if w in v.x[t]:
            model.add(v.x[t][w] == 1)
        else:
            model.add_bool_or([])


def _redundant_total_capacity(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> None:
    """Redundant: total demand fits in the capacity of the used waves (helps the LP bound on
    the wave count)."""
    if not v.used:
        return
    for r in range(len(problem.resources)):
        total = sum(row[r] for row in problem.demand)
        if total > 0:
            model.add(sum(problem.capacity[w - 1][r] * u for w, u in v.used.items()) >= total)


def _redundant_prefix_load(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> None:
    """Redundant: waves 1..w hold at most their capacity and, with a fixed horizon, at least
    what waves w+1.. cannot."""
    n = problem.n_tasks
    for r in range(len(problem.resources)):
        total = sum(problem.demand[t][r] for t in range(n))
        if total == 0:
            continue
        head = 0
        for w in range(1, v.horizon):
            head += problem.capacity[w - 1][r]
            tail = sum(problem.capacity[u - 1][r] for u in range(w + 1, v.horizon + 1))
            terms = [(problem.demand[t][r], v.le(t, w)) for t in range(n) if problem.demand[t][r]]
            const = sum(d * lit for d, lit in terms if isinstance(lit, int))
            load = sum(d * lit for d, lit in terms if not isinstance(lit, int))
            if isinstance(load, int):
                continue
            if total - const > head - const:
                model.add(load <= head - const)
            if not v.used and v.overflow is None and total - tail > const:
                model.add(load >= total - tail - const)


def _maximal_load(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> None:
    """Dominance: a task whose predecessors are all in waves <= w but which sits later must
    not fit into wave w.

    Any plan can be turned into one obeying this by moving such tasks earlier (each move
    lowers the sum of waves, so it ends), without raising the highest wave. Used for
    single-resource problems; tasks in a same-wave group or pinned are left out.
    """
    if len(problem.resources) != 1:
        return
    coupled = {t for pair in problem.same_wave for t in pair} | {t for t, _ in problem.pins}
    preds: list[list[tuple[int, int]]] = [[] for _ in range(problem.n_tasks)]
    for a, b in problem.before_or_same:
        preds[b].append((a, 0))
    for a, b in problem.strictly_before:
        preds[b].append((a, 1))
    loads: dict[int, cp_model.LinearExprT] = {}
    for w in range(1, v.horizon + 1):
        loads[w] = sum(problem.demand[t][0] * v.x[t][w] for t in v.tasks if w in v.x[t])
    for t in v.tasks:
        d = problem.demand[t][0]
        if t in coupled or d == 0:
            continue
        for w in sorted(v.x[t]):
            if w == v.hi[t]:
                continue
            cap = problem.capacity[w - 1][0]
            if isinstance(loads[w], int) or d > cap:
                continue
            conds = [v.le(p, w - lag) for p, lag in preds[t]]
            if any(isinstance(c, int) and c == 0 for c in conds):
                continue
            lits: list[cp_model.BoolVarT] = [c for c in conds if not isinstance(c, int)]
            lits.append(v.le(t, w).Not())  # type: ignore[union-attr]
            model.add(loads[w] >= cap - d + 1).only_enforce_if(lits)


def _wave_count(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars, min_waves: int) -> None:
    """used[w] says wave w (or a later one) holds a task; their sum is the highest wave used."""
    for w in range(1, v.horizon + 1):
        v.used[w] = model.new_bool_var(f"used[{w}]")
        if w <= min_waves:
            model.add(v.used[w] == 1)  # proven by the lower bound
    for w in range(1, v.horizon):
        model.add_implication(v.used[w + 1], v.used[w])
    for t in v.tasks:
        for w, b in v.x[t].items():
            if w > min_waves:
                model.add_implication(b, v.used[w])
    v.max_wave = model.new_int_var(min_waves, v.horizon, "max_wave")
    model.add(v.max_wave == sum(v.used.values()))


# --- objective terms, shared by the full model and the neighbourhoods ----------------------
def split_literal(model: cp_model.CpModel, v: WaveVars, a: int, b: int) -> cp_model.IntVar:
    """A literal that is 1 when tasks a and b (both in the model) sit in different waves."""
    split = model.new_bool_var("")
    model.add(v.wave[a] == v.wave[b]).only_enforce_if(split.Not())
    for w in set(v.x[a]) | set(v.x[b]):
        model.add(split >= v.x[a].get(w, 0) - v.x[b].get(w, 0))
    return split


def apart_from(v: WaveVars, t: int, w: int) -> LinearExpr:
    """1 when task t (in the model) is not in wave w: the split of a pair whose other task
    is fixed in w, or a task's move away from its previous wave w."""
    return not_in(v.x[t], w)


def not_in(x: dict[int, cp_model.IntVar], w: int) -> LinearExpr:
    """1 when the one-hot wave literals `x` (wave -> literal) do not choose wave w."""
    return 1 - x[w] if w in x else 1


# --- objectives, one per phase ---------------------------------------------------------------
def waves_objective(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> LinearExpr:
    """Phase 1: the highest wave used (fewer waves = shorter programme)."""
    assert v.max_wave is not None, "build(minimise_waves=True) creates max_wave"
    return v.max_wave


def splits_objective(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> LinearExpr:
    """Phase 2: weighted soft pairs placed in different waves (splitting them costs
    coordination)."""
    return sum(weight * split for split, _, _, weight in split_terms(model, problem, v))


def split_terms(
    model: cp_model.CpModel, problem: WaveProblem, v: WaveVars
) -> list[tuple[cp_model.IntVar, int, int, int]]:
    """Per soft pair (a, b, weight) of the full model: (its split literal, a, b, weight), the
    literal with both directions' rows, so a caller can hint the literals too (a hint that
    leaves them out must be completed by CP-SAT, which on 1,000 tasks it often fails to do)."""
    out = []
    for a, b, weight in problem.soft:
        split = split_literal(model, v, a, b)
        _redundant_split_rows(model, v, a, b, split)
        out.append((split, a, b, weight))
    return out


def _redundant_split_rows(
    model: cp_model.CpModel, v: WaveVars, a: int, b: int, split: cp_model.IntVar
) -> None:
    """Redundant: the split rows of `split_literal` with a and b swapped, which tighten the
    LP relaxation of the full model (the small neighbourhoods do without them)."""
    for w in set(v.x[a]) | set(v.x[b]):
        model.add(split >= v.x[b].get(w, 0) - v.x[a].get(w, 0))


def downtime_objective(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> LinearExpr:
    """Phase 3: the heaviest wave's summed downtime weight, so outages are spread evenly."""
    weights = problem.downtime_weight
    total = sum(weights)
    peak = model.new_int_var(0, total, "downtime_peak")
    for w in range(1, v.horizon + 1):
        terms = [weights[t] * v.x[t][w] for t in v.tasks if weights[t] and w in v.x[t]]
        if terms:
            model.add(peak >= sum(terms))
    return peak


def moved_objective(model: cp_model.CpModel, problem: WaveProblem, v: WaveVars) -> LinearExpr:
    """Phase 4: tasks whose wave changes from the previous plan (stability for people already
    informed)."""
    return sum(moved_terms(problem, v))


def moved_terms(problem: WaveProblem, v: WaveVars) -> list[LinearExpr]:
    """Per task of the model with a previous wave: 1 when it is not there."""
    previous = problem.previous
    return [apart_from(v, t, previous[t]) for t in v.tasks if previous and previous[t] > 0]


OBJECTIVES = {
    "waves": waves_objective,
    "splits": splits_objective,
    "downtime": downtime_objective,
    "moved": moved_objective,
}


def hint(model: cp_model.CpModel, v: WaveVars, waves: Sequence[int]) -> None:
    """Hint a complete assignment (the greedy plan, or the previous phase's incumbent); `waves`
    holds every task's wave, also of tasks outside the model."""
    model.clear_hints()
    for t in v.tasks:
        w = waves[t]
        for u, b in v.x[t].items():
            model.add_hint(b, u == w)
        for u, b in v.y.get(t, {}).items():  # step literals too: partial hints are not completed
            model.add_hint(b, w <= u)
        model.add_hint(v.wave[t], w)
    top = max(waves, default=0)
    for w, used in v.used.items():
        model.add_hint(used, w <= top)
    if v.max_wave is not None:
        model.add_hint(v.max_wave, top)
