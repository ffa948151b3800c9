"""Why is a wave problem infeasible? A small set of user-facing rules that cannot all hold.

Cheap prechecks first (they name the obvious culprits exactly and need no solver),
then CP-SAT with one assumption literal per rule group the user can change (a pin,
a window, a task's blackouts, one wave's capacity of one resource, one precedence
pair, the horizon). CP-SAT returns a sufficient subset of assumptions; deleting
literals one at a time and re-solving shrinks it further, so the planner sees a
handful of rules instead of hundreds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from solvers import cpsat
from solvers.limits import TimeBudget
from solvers.waves.bounds import arcs_of
from solvers.waves.problem import WaveProblem

_KINDS = ("pin", "window", "forbidden", "capacity", "precedence", "horizon", "oversized")


@dataclass(frozen=True)
class Cause:
    """One rule that takes part in the conflict; the lead's CLI turns it into a sentence."""

    kind: str
    task: int | None = None
    other: int | None = None
    wave: int | None = None
    resource: str | None = None
    rule: str | None = None

    def sort_key(self) -> tuple[int, int, int, int, str, str]:
        """Deterministic order: by kind, then task, other task, wave, resource, rule."""
        return (
            _KINDS.index(self.kind),
            -1 if self.task is None else self.task,
            -1 if self.other is None else self.other,
            -1 if self.wave is None else self.wave,
            self.resource or "",
            self.rule or "",
        )


def _sorted(causes: list[Cause]) -> list[Cause]:
    """Unique causes in deterministic order."""
    return sorted(set(causes), key=Cause.sort_key)


def _has_window(problem: WaveProblem, t: int) -> bool:
    """True if the user narrowed task t's window (the default 1..max_waves is not a cause)."""
    return problem.window(t) != (1, problem.max_waves)


def _unary_conflicts(problem: WaveProblem) -> list[Cause]:
    """Tasks left without any wave by their own pins, window and blackouts (e.g. a pin outside
    the window)."""
    forbidden = problem.forbidden_sets()
    pins: dict[int, list[int]] = {}
    for t, w in problem.pins:
        pins.setdefault(t, []).append(w)
    out: list[Cause] = []
    for t in range(problem.n_tasks):
        tp = sorted(set(pins.get(t, [])))
        lo, hi = problem.window(t)
        if len(tp) > 1:
            out += [Cause("pin", t, wave=w) for w in tp]
        elif tp:
            w = tp[0]
            if not lo <= w <= hi:
                out += [Cause("pin", t, wave=w), Cause("window", t)]
            elif w in forbidden[t]:
                out += [Cause("pin", t, wave=w), Cause("forbidden", t)]
        elif all(w in forbidden[t] for w in range(lo, hi + 1)):
            out.append(Cause("forbidden", t))
            if _has_window(problem, t):
                out.append(Cause("window", t))
    return out


def _oversized(problem: WaveProblem) -> list[Cause]:
    """Tasks that exceed some resource's capacity in every wave: no plan of any shape can hold
    them."""
    out: list[Cause] = []
    for t, row in enumerate(problem.demand):
        for r, res in enumerate(problem.resources):
            if all(row[r] > cap[r] for cap in problem.capacity):
                out.append(Cause("oversized", t, resource=res))
                break
    return out


def _arc_causes(problem: WaveProblem) -> dict[tuple[int, int, int], Cause]:
    """Map every (a, b, lag) arc back to the user rule it came from (first rule wins)."""
    out: dict[tuple[int, int, int], Cause] = {}
    for a, b in problem.same_wave:
        out.setdefault((a, b, 0), Cause("precedence", a, b, rule="same_wave"))
        out.setdefault((b, a, 0), Cause("precedence", a, b, rule="same_wave"))
    for a, b in problem.before_or_same:
        out[(a, b, 0)] = Cause("precedence", a, b, rule="before_or_same")
    for a, b in problem.strictly_before:
        out[(a, b, 1)] = Cause("precedence", a, b, rule="strictly_before")
    return out


def _chains(problem: WaveProblem) -> list[Cause]:
    """A strict precedence cycle, or a strictly-before chain needing more than max_waves waves
    (horizon)."""
    n = problem.n_tasks
    arcs = arcs_of(problem)
    causes = _arc_causes(problem)
    dist = [1] * n
    pred: list[tuple[int, int, int] | None] = [None] * n
    last = -1
    for _ in range(n + 1):
        last = -1
        for a, b, lag in arcs:
            if dist[a] + lag > dist[b]:
                dist[b], pred[b], last = dist[a] + lag, (a, b, lag), b
        if last < 0:
            break
    if last >= 0:
        # Still relaxing after n rounds: walk back n steps to land on the positive cycle.
        v = last
        for _ in range(n):
            v = pred[v][0]  # type: ignore[index]
        cycle, u = [], v
        while True:
            arc = pred[u]
            assert arc is not None
            cycle.append(causes[arc])
            u = arc[0]
            if u == v:
                break
        return cycle
    top = max(range(n), key=lambda t: (dist[t], -t), default=-1)
    if top < 0 or dist[top] <= problem.max_waves:
        return []
    chain = [Cause("horizon")]
    u = top
    while pred[u] is not None:
        arc = pred[u]
        assert arc is not None
        chain.append(causes[arc])
        u = arc[0]
    return chain


def _prechecks(problem: WaveProblem) -> list[Cause]:
    """Conflicts found without a solver, in order of how specific their message is."""
    for check in (_unary_conflicts, _oversized, _chains):
        found = check(problem)
        if found:
            return found
    return []


class _Relaxable:
    """A model where every user-facing rule group holds only under its own assumption literal.

    Extra "overflow" waves after max_waves (with the largest capacity seen) make the
    horizon itself a relaxable rule: dropping its literal lets tasks use them.
    """

    def __init__(self, problem: WaveProblem) -> None:
        self.model = m = cp_model.CpModel()
        self.lits: list[tuple[cp_model.IntVar, Cause]] = []
        n, mw = problem.n_tasks, problem.max_waves
        top = mw + max(1, min(n, max(mw, 5)))  # enough spare waves to show the horizon is at fault
        big = [max(row[r] for row in problem.capacity) for r in range(len(problem.resources))]
        x = [{w: m.new_bool_var(f"x[{t},{w}]") for w in range(1, top + 1)} for t in range(n)]
        wave = [m.new_int_var(1, top, f"wave[{t}]") for t in range(n)]
        for t in range(n):
            m.add_exactly_one(x[t].values())
            m.add(wave[t] == sum(w * b for w, b in x[t].items()))

        horizon = self._lit(Cause("horizon"))
        for t in range(n):
            for w in range(mw + 1, top + 1):
                m.add_implication(horizon, x[t][w].Not())
        for t, w in problem.pins:
            m.add(x[t][w] == 1).only_enforce_if(self._lit(Cause("pin", t, wave=w)))
        for t in range(n):
            if _has_window(problem, t):
                lo, hi = problem.window(t)
                lit = self._lit(Cause("window", t))
                for w, placed in x[t].items():
                    if not lo <= w <= hi:
                        m.add_implication(lit, placed.Not())
        for t, banned in enumerate(problem.forbidden_sets()):
            if banned:
                lit = self._lit(Cause("forbidden", t))
                for w in sorted(banned):
                    m.add_implication(lit, x[t][w].Not())
        for r, res in enumerate(problem.resources):
            total = sum(row[r] for row in problem.demand)
            for w in range(1, top + 1):
                cap = problem.capacity[w - 1][r] if w <= mw else big[r]
                if total <= cap:
                    continue
                load = sum(problem.demand[t][r] * x[t][w] for t in range(n) if problem.demand[t][r])
                if w <= mw:
                    lit = self._lit(Cause("capacity", wave=w, resource=res))
                    m.add(load <= cap).only_enforce_if(lit)
                else:
                    m.add(load <= cap)
        for a, b in problem.before_or_same:
            lit = self._lit(Cause("precedence", a, b, rule="before_or_same"))
            m.add(wave[a] <= wave[b]).only_enforce_if(lit)
        for a, b in problem.strictly_before:
            lit = self._lit(Cause("precedence", a, b, rule="strictly_before"))
            m.add(wave[a] < wave[b]).only_enforce_if(lit)
        for a, b in problem.same_wave:
            lit = self._lit(Cause("precedence", a, b, rule="same_wave"))
            m.add(wave[a] == wave[b]).only_enforce_if(lit)

    def _lit(self, cause: Cause) -> cp_model.IntVar:
        """A fresh assumption literal standing for one rule group."""
        lit = self.model.new_bool_var(f"assume[{len(self.lits)}]")
        self.lits.append((lit, cause))
        return lit

    def solve(self, keep: list[int], budget: TimeBudget) -> tuple[str, list[int]]:
        """Solve with the assumptions `keep` (indices into lits); return status and, if
        infeasible, a core."""
        self.model.clear_assumptions()
        self.model.add_assumptions([self.lits[i][0] for i in keep])
        # One worker and deterministic time: cores must be reproducible, and the
        # assumption core is only reliable from a single sequential search.
        out = cpsat.solve(self.model, replace(budget, units=max(budget.units, 0.01)), workers=1)
        if out.status != "infeasible":
            return ("feasible" if out.found else "unknown"), []
        index = {self.lits[i][0].index: i for i in keep}
        found = out.solver.sufficient_assumptions_for_infeasibility()
        core = [index[v] for v in found if v in index]
        return "infeasible", sorted(core) or list(keep)


def explain_infeasible(problem: WaveProblem, *, time_limit: float = 10.0) -> list[Cause]:
    """A small set of rules that together make the problem infeasible; [] if it is feasible
    (or undecided within `time_limit` seconds).

    The set is irreducible when every deletion test finishes in time: dropping any one of
    the returned rules makes the remaining problem feasible. Half of the time goes to the
    first solve, the rest is shared by the deletion tests, in deterministic units, so the
    same problem gives the same causes unless the wall clock cuts a solve.
    """
    found = _prechecks(problem)
    if found:
        return _sorted(found)
    budget = TimeBudget.start(time_limit)
    relax = _Relaxable(problem)
    status, core = relax.solve(list(range(len(relax.lits))), budget.part(0.5))
    if status != "infeasible":
        return []
    # Deletion filter: try without each literal; if still infeasible, keep the smaller core.
    per_test = replace(budget, units=max(0.05, budget.units * 0.5 / max(1, len(core))))
    i = 0
    while i < len(core):
        trial = core[:i] + core[i + 1 :]
        st, smaller = relax.solve(trial, per_test)
        if st == "infeasible":
            core = [c for c in smaller if c in trial] or trial
            i = min(i, len(core))
            # Positions before i were already shown necessary; restart scanning from where we are.
        else:
            i += 1
    return _sorted([relax.lits[i][1] for i in core])
