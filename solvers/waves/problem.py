"""The wave-planning problem, its results, and the two checks every plan can get without a solver.

The problem is a frozen, validated object with integer indices only, so that the solver
layer never needs the database; the result always carries status, per-phase objective and
bound, and runtime, and never holds `None` where a value is expected.

Objectives are lexicographic and solved in phases (`PHASES`); each phase fixes its
objective before the next one starts, so a later phase can never make an earlier objective
worse. `evaluate` is the one place a plan's objective values are computed (the phase
driver, the greedy and the large-neighbourhood search all ask it); `violations` re-checks
every hard rule apart from the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "PHASES",
    "GreedyResult",
    "PartResult",
    "PhaseResult",
    "ProgressEvent",
    "WaveProblem",
    "WaveResult",
    "evaluate",
    "parts_line",
    "violations",
]

PHASES: tuple[str, ...] = ("waves", "splits", "downtime", "moved")
"""Phase names in their lexicographic order."""


@dataclass(frozen=True)
class WaveProblem:
    """Tasks (move groups) to place in waves 1..max_waves.

    All numbers are integers (callers scale hours by 10).
    """

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
        m = self.max_waves
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise ValueError(f"max_waves must be a positive integer, got {m!r}.")
        _check_rows(self)
        _check_pairs(self)
        _check_windows(self)
        _check_per_task(self)

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


def _check_rows(p: WaveProblem) -> None:
    """Demand per task and capacity per wave: one non-negative value per resource."""
    n, k, m = len(p.names), len(p.resources), p.max_waves
    if len(p.demand) != n:
        raise ValueError(f"demand has {len(p.demand)} rows but there are {n} tasks.")
    for t, row in enumerate(p.demand):
        if len(row) != k:
            raise ValueError(f"demand row {t} has {len(row)} values but there are {k} resources.")
        if any(v < 0 for v in row):
            raise ValueError(f"demand row {t} ({p.names[t]}) has a negative value.")
    if len(p.capacity) != m:
        raise ValueError(f"capacity has {len(p.capacity)} rows but max_waves is {m}.")
    for w, row in enumerate(p.capacity, start=1):
        if len(row) != k:
            raise ValueError(
                f"capacity row for wave {w} has {len(row)} values but there are {k} resources."
            )
        if any(v < 0 for v in row):
            raise ValueError(f"capacity row for wave {w} has a negative value.")


def _check_pairs(p: WaveProblem) -> None:
    """Precedence and soft pairs point at tasks; soft weights are positive."""
    n = len(p.names)
    _pairs_ok(p.before_or_same, n, "before_or_same")
    _pairs_ok(p.strictly_before, n, "strictly_before")
    _pairs_ok(p.same_wave, n, "same_wave")
    for a, b, weight in p.soft:
        _pairs_ok(((a, b),), n, "soft")
        if weight <= 0:
            raise ValueError(f"soft pair ({a}, {b}) has weight {weight}; weights must be positive.")


def _pairs_ok(pairs: Sequence[tuple[int, int]], n: int, what: str) -> None:
    """Reject pair lists that point outside the task range, naming the first bad pair."""
    for a, b in pairs:
        if not (0 <= a < n and 0 <= b < n):
            raise ValueError(f"{what} pair ({a}, {b}) refers to a task outside 0..{n - 1}.")
        if a == b and what != "before_or_same" and what != "same_wave":
            raise ValueError(f"{what} pair ({a}, {b}) relates a task to itself.")


def _check_windows(p: WaveProblem) -> None:
    """Windows, pins and blackouts name existing tasks and waves 1..max_waves."""
    n, m = len(p.names), p.max_waves
    for what, values in (("earliest", p.earliest), ("latest", p.latest)):
        if values and len(values) != n:
            raise ValueError(f"{what} has {len(values)} values but there are {n} tasks.")
        for t, w in enumerate(values):
            if not 1 <= w <= m:
                raise ValueError(f"{what}[{t}] = {w} is outside waves 1..{m}.")
    for t, (lo, hi) in enumerate(zip(p.earliest, p.latest)):
        if lo > hi:
            raise ValueError(f"task {t} ({p.names[t]}) has earliest {lo} after latest {hi}.")
    for t, w in p.pins:
        if not 0 <= t < n:
            raise ValueError(f"pin refers to task {t} outside 0..{n - 1}.")
        if not 1 <= w <= m:
            raise ValueError(f"pin of task {t} to wave {w} is outside waves 1..{m}.")
    for t, waves in p.forbidden:
        if not 0 <= t < n:
            raise ValueError(f"forbidden entry refers to task {t} outside 0..{n - 1}.")
        for w in waves:
            if not 1 <= w <= m:
                raise ValueError(f"forbidden wave {w} of task {t} is outside waves 1..{m}.")


def _check_per_task(p: WaveProblem) -> None:
    """Downtime weights and previous waves: one per task, in range."""
    n, m = len(p.names), p.max_waves
    if p.downtime_weight:
        if len(p.downtime_weight) != n:
            raise ValueError(
                f"downtime_weight has {len(p.downtime_weight)} values but there are {n} tasks."
            )
        if any(v < 0 for v in p.downtime_weight):
            raise ValueError("downtime_weight has a negative value.")
    if p.previous:
        if len(p.previous) != n:
            raise ValueError(f"previous has {len(p.previous)} values but there are {n} tasks.")
        for t, w in enumerate(p.previous):
            if not 0 <= w <= m:
                raise ValueError(
                    f"previous[{t}] = {w} is outside 0..{m} (0 means no previous wave)."
                )


@dataclass(frozen=True)
class ProgressEvent:
    """One line of live progress: emitted on every improving solution and at each phase end.

    The first event of a solve that has a greedy plan has phase "greedy" (objective: its
    wave count, bound: the wave lower bound): the plan is verified and kept from then on.
    """

    phase: str
    objective: float
    bound: float
    elapsed: float


@dataclass(frozen=True)
class PartResult:
    """One part of a decomposed phase (a cluster of soft-connected tasks solved on its own):
    its size, status, objective and proven bound; the phase's bound is the parts' sum."""

    tasks: int
    status: str
    objective: float
    bound: float


@dataclass(frozen=True)
class PhaseResult:
    """Outcome of one lexicographic phase, with the proven bound so gaps are honest.

    `parts`: when the phase was decomposed (the splits phase of a big instance), every
    part's own result, smallest first."""

    name: str
    status: str
    objective: float
    bound: float
    gap: float
    runtime: float
    parts: tuple[PartResult, ...] = ()


@dataclass(frozen=True)
class GreedyResult:
    """The list-scheduling baseline; kept in the result so reports can show what CP-SAT added."""

    waves: tuple[int, ...]
    objective: dict[str, float]
    runtime: float


@dataclass(frozen=True)
class WaveResult:
    """Everything the caller needs to report a plan honestly; no field is ever None except greedy.

    `notes` say what the numbers alone do not: which phases ran a large-neighbourhood
    search, when the wall-clock cap (not the deterministic budget) ended a search, so that
    another run may differ, and when the user stopped the search.
    """

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
        lines = [
            f"status {self.status}, {self.runtime:.2f} s, wave lower bound {self.lower_bound_waves}"
        ]
        for p in self.phases:
            gap = f", gap {p.gap:.1%}" if p.status == "feasible" else ""
            lines.append(
                f"  {p.name:<8} {p.status:<10} objective {p.objective:g} "
                f"bound {p.bound:g}{gap} ({p.runtime:.2f} s)"
            )
            if p.parts:
                lines.append(f"  {'':<8} {parts_line(p.parts)}")
        if self.greedy is not None and self.greedy.waves:
            obj = ", ".join(f"{k} {v:g}" for k, v in self.greedy.objective.items())
            lines.append(f"  greedy   {obj} ({self.greedy.runtime:.3f} s)")
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


def parts_line(parts: Sequence[PartResult]) -> str:
    """One line about a decomposed phase: how many parts, their statuses, the summed bound."""
    counts: dict[str, int] = {}
    for part in parts:
        counts[part.status] = counts.get(part.status, 0) + 1
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    big = max(parts, key=lambda part: part.tasks)
    return (
        f"{len(parts)} parts solved on their own ({statuses}); their bounds add up to "
        f"{sum(part.bound for part in parts):g}; largest part {big.tasks} tasks, "
        f"{big.status}, objective {big.objective:g}, bound {big.bound:g}"
    )


def evaluate(problem: WaveProblem, waves: Sequence[int]) -> dict[str, float]:
    """Objective values of any assignment, recomputed without the solver.

    waves: the highest wave used; splits: the summed weight of soft pairs in different
    waves; downtime: the largest summed downtime weight of a wave; moved: the tasks with a
    previous wave (> 0) that are not in it. All infinite for an empty assignment.
    """
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
    names = problem.names
    for t, w in enumerate(waves):
        lo, hi = problem.window(t)
        if not lo <= w <= hi:
            out.append(f"{names[t]} in wave {w} outside window {lo}..{hi}")
        if w in forbidden[t]:
            out.append(f"{names[t]} in forbidden wave {w}")
    for t, w in problem.pins:
        if waves[t] != w:
            out.append(f"{names[t]} pinned to {w} but in {waves[t]}")
    for a, b in problem.before_or_same:
        if waves[a] > waves[b]:
            out.append(f"{names[a]} must not be after {names[b]}")
    for a, b in problem.strictly_before:
        if waves[a] >= waves[b]:
            out.append(f"{names[a]} must be before {names[b]}")
    for a, b in problem.same_wave:
        if waves[a] != waves[b]:
            out.append(f"{names[a]} and {names[b]} must share a wave")
    # One pass over the tasks (not one per wave): the check runs on every greedy candidate.
    k = len(problem.resources)
    load = [[0] * k for _ in range(problem.max_waves + 1)]
    for t, w in enumerate(waves):
        if 1 <= w <= problem.max_waves:
            row = load[w]
            for r, d in enumerate(problem.demand[t]):
                row[r] += d
    for w in range(1, problem.max_waves + 1):
        for r, res in enumerate(problem.resources):
            used = load[w][r]
            if used > problem.capacity[w - 1][r]:
                out.append(f"wave {w} uses {used} {res} of {problem.capacity[w - 1][r]}")
    return out
