"""Cutover runbooks: who does what, from when to when, inside one wave's cutover window.

A wave lasts days or weeks, but its downtime happens in a cutover window of a few hours
(`[cutover]` in plan.toml: `start_time`, `day_offset`, `hours`, `staff` per team).
`build_runbook` turns the wave's items into a resource-constrained scheduling problem
(`solvers.rcpsp`) and minimises the end of the last step:

* one step per item of the wave; its duration is the item's downtime in whole minutes;
* each step needs one person of the item's team (network, directory, server,
  application, workplace) while it runs; `[cutover].staff[team]` people are on duty;
* dependencies between two items of the wave are finish-to-start precedences: the needed
  item's step comes first (`before_or_same`, `strictly_before` and retired applications
  follow the graph's `first -> second`; a `same_wave` pair is ordered by the dependency,
  `edge.target` first, so a server's step precedes its applications'); soft
  dependencies impose nothing. Items that need each other would make a loop: orderings
  are read in a fixed order (wave orderings before same-wave pairs, then by item id) and
  the one that would close a loop is dropped, with a note.

When the best schedule does not fit the window, `items_to_move` names what to postpone to
a later wave. Postponing an item postpones its move group (the items that must share its
wave) and everything in the wave that depends on it. The choice is greedy, one move group
at a time, on a schedule with the least total overrun (`solve(allow_late=True)`): among
the steps that end after the window, postpone the one after whose removal the rest may
fit (its provable minimum length, critical path and staff hours, is within the window)
with the fewest items; while no removal can make the rest fit, the one that shortens that
minimum most per item moved. Re-schedule the rest and repeat until it fits. The schedule
that shows the rest fits is kept (`end_after_move`), so the advice is always sufficient,
though not always the smallest possible.

Time limits are wall-clock seconds for the whole runbook (`TimeBudget`, see
`solvers.limits`): 40 % of its deterministic budget for the solve of the runbook, 40 % and
what that solve left for the re-scheduling solves when it does not fit, each charged the
deterministic work it used
(after which each re-schedule is the best serial-SGS schedule, in milliseconds). Inside the
limit every solve stops on deterministic work, not on the clock, so the same plan, wave,
window, staff and seed give the same runbook and the same advice on any machine and under
any load: a runbook is handed to people, and two runs that disagree on who does what when
would undermine it. (Wall-clock limits gave a different set of items to move on two runs of
the demo's wave 4 in a 12-hour window.) Only when the wall clock cuts a solve on a slow or
busy machine can a run differ, and then the runbook's notes say so.
"""

from __future__ import annotations

import math
import re
import time as clock
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine

from exports.model import ExportRunbook, ExportRunbookStep
from planner.config import TEAMS, Cutover, PlanConfig
from exports.errors import PlannerError
from planner.graph import BEFORE_OR_SAME, SAME_WAVE, STRICTLY_BEFORE, Constraint
from planner.models import PlanItem
from planner.stored import StoredPlan, open_plan
from solvers.limits import TimeBudget
from solvers.rcpsp.greedy import priority_rules, serial_sgs
from solvers.rcpsp.problem import ScheduleProblem
from solvers.rcpsp.solve import solve

WINDOW_EXAMPLE = "2027-03-06T08:00..2027-03-07T20:00"
MOVE_NOTE = "move to a later wave"
#: Share of the time limit's deterministic budget for the runbook's solve; as much again is
#: for the re-scheduling when the wave does not fit, and the rest of the limit is for reading
#: the plan and building its graph first (about 2 s on the demo database at load 3).
SOLVE_SHARE = 0.4
CAPPED_NOTE = (
    "the time limit cut the scheduler short on this machine, so another run may give "
    "other steps; a longer --time-limit gives the same runbook every time"
)


@dataclass(frozen=True)
class Step:
    """One cutover step: one item's downtime, done by one person of its team."""

    number: int  # 1-based, in order of start
    item_id: str
    team: str
    start: datetime
    end: datetime
    minutes: int
    depends_on: tuple[int, ...] = ()  # step numbers that must end before this one starts
    move: bool = False  # listed in `Runbook.items_to_move`


@dataclass(frozen=True)
class Runbook:
    """The cutover schedule of one wave and whether it fits its window.

    `makespan` and `bound` are minutes from the window's start (`bound` is a proven lower
    bound on the makespan); `status` is the solver's ("optimal" only with a proof).
    `items_to_move` is empty when the runbook fits; otherwise postponing those items lets
    the remaining steps end by `end_after_move` (within the window).
    """

    plan_id: int
    wave: int
    window_start: datetime
    window_end: datetime
    steps: tuple[Step, ...]
    makespan: int
    fits: bool
    status: str
    bound: int
    items_to_move: tuple[str, ...] = ()
    end_after_move: datetime | None = None
    runtime: float = 0.0
    staff: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def end(self) -> datetime:
        """When the last step ends."""
        return self.window_start + timedelta(minutes=self.makespan)

    @property
    def window_minutes(self) -> int:
        return _minutes(self.window_end - self.window_start)

    def is_late(self, step: Step) -> bool:
        return step.end > self.window_end

    def to_export(self) -> ExportRunbook:
        """Plain data for the workbook and CSV writers."""
        return ExportRunbook(
            wave=self.wave,
            window_start=self.window_start,
            window_end=self.window_end,
            fits=self.fits,
            status=self.status,
            makespan_minutes=self.makespan,
            items_to_move=self.items_to_move,
            end_after_move=self.end_after_move,
            steps=tuple(
                ExportRunbookStep(
                    step=s.number,
                    start=s.start,
                    end=s.end,
                    team=s.team,
                    item=s.item_id,
                    depends_on=s.depends_on,
                    note=MOVE_NOTE
                    if s.move
                    else ("ends after the window" if self.is_late(s) else ""),
                )
                for s in self.steps
            ),
        )


# ---------------------------------------------------------------------- the window
def parse_window(text: str) -> tuple[datetime, datetime]:
    """`START..END` in ISO 8601 (`2027-03-06T08:00..2027-03-07T20:00`) -> (start, end)."""
    parts = text.split("..")
    if len(parts) != 2:
        raise PlannerError(
            f"--window must be START..END in ISO 8601, e.g. {WINDOW_EXAMPLE}; got {text!r}"
        )
    start, end = (_datetime(part.strip()) for part in parts)
    if (start.tzinfo is None) != (end.tzinfo is None):
        raise PlannerError(f"--window: give a UTC offset on both ends or on neither; got {text!r}")
    if not (start.year >= 2000 and end.year <= 2200):  # the calendar's range (planner.config)
        raise PlannerError(f"--window: {text!r} is outside the years 2000-2200")
    if end <= start:
        raise PlannerError(
            f"--window ends at {end.isoformat(timespec='minutes')}, which is not after its start "
            f"{start.isoformat(timespec='minutes')}"
        )
    if _minutes(end - start) < 1:
        raise PlannerError(f"--window is shorter than a minute: {text!r}")
    return start, end


def _datetime(text: str) -> datetime:
    if re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", text):
        raise PlannerError(f"--window: {text!r} has no time of day; write e.g. {text}T08:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise PlannerError(
            f"--window: {text!r} is not an ISO 8601 date and time (e.g. 2027-03-06T08:00)"
        ) from None


def default_window(
    config: PlanConfig, wave: int, cutover: Cutover | None = None
) -> tuple[datetime, datetime]:
    """The wave's first day + `day_offset` at `start_time`, for `hours` (from `[cutover]`)."""
    cutover = cutover or config.cutover
    windows = config.wave_windows()
    if wave > len(windows):
        raise PlannerError(
            f"the calendar has {len(windows)} waves, so wave {wave} has no cutover window; "
            f"give one with --window {WINDOW_EXAMPLE}"
        )
    day = windows[wave - 1][0] + timedelta(days=cutover.day_offset)
    start = datetime.combine(day, cutover.start_time)
    return start, start + timedelta(hours=cutover.hours)


def _minutes(delta: timedelta) -> int:
    return math.floor(delta.total_seconds() / 60 + 1e-9)


# ---------------------------------------------------------------------- the runbook
def build_runbook(
    engine: Engine,
    wave: int,
    *,
    plan_id: int | None = None,
    window: tuple[datetime, datetime] | None = None,
    time_limit: float = 10.0,
    cutover: Cutover | None = None,
    workers: int = 2,
    seed: int = 0,
    budget: TimeBudget | None = None,
) -> Runbook:
    """Schedule the cutover of `wave` of a stored plan (default: the newest) within
    `time_limit` wall seconds (or `budget`, started by the caller, e.g. when its command began).

    The plan's stored configuration gives the calendar, the downtime defaults and the
    `[cutover]` section; `cutover` replaces that section (e.g. more staff, without
    re-planning) and `window` replaces the window it implies.
    """
    budget = budget or TimeBudget.start(time_limit)
    return _build(
        open_plan(engine, plan_id),
        wave,
        window=window,
        budget=budget,
        cutover=cutover,
        workers=workers,
        seed=seed,
    )


def runbooks_for_plan(
    engine: Engine, plan_id: int | None = None, *, time_limit: float = 10.0
) -> list[Runbook]:
    """The runbook of every wave of a plan that has items (a solve per wave of at most
    `time_limit` seconds: slow-ish)."""
    return stored_runbooks(open_plan(engine, plan_id), time_limit=time_limit)


def stored_runbooks(stored: StoredPlan, *, time_limit: float = 10.0) -> list[Runbook]:
    """`runbooks_for_plan` for a plan already opened (e.g. by the export that adds them)."""
    waves = sorted({row.wave for row in stored.rows})
    return [
        _build(stored, wave, window=None, budget=TimeBudget.start(time_limit)) for wave in waves
    ]


def _build(
    stored: StoredPlan,
    wave: int,
    *,
    window: tuple[datetime, datetime] | None,
    budget: TimeBudget,
    cutover: Cutover | None = None,
    workers: int = 2,
    seed: int = 0,
) -> Runbook:
    started = clock.perf_counter()
    config = stored.config
    cutover = cutover or config.cutover
    members = [row for row in stored.rows if row.wave == wave]
    if not members:
        used = sorted({row.wave for row in stored.rows})
        span = f"waves {used[0]}-{used[-1]}" if used else "no waves"
        raise PlannerError(f"plan {stored.id} has no items in wave {wave} (it uses {span})")
    notes: list[str] = []
    if window is None:
        window = default_window(config, wave, cutover)
    else:
        notes += _outside_wave(config, wave, window)
    start, end = window
    deadline = _minutes(end - start)

    staff = _staff(cutover, members, wave)
    precedence, loops = _precedence(stored.graph.constraints, members)
    notes += loops
    problem = _problem(members, staff, precedence)
    result = solve(problem, budget=budget.part(SOLVE_SHARE), workers=workers, seed=seed)
    capped = result.capped
    starts = _left_justify(problem, result.starts)
    makespan = _span(problem, starts)
    status, bound = result.status, int(result.bound)
    fits = makespan <= deadline
    moved: set[int] = set()
    end_after: int | None = None
    if not fits:
        rest = budget.charge(result.work + (1 - 2 * SOLVE_SHARE) * budget.units)
        postponed = _Postpone(
            problem, [row.move_group for row in members], deadline, rest, workers, seed
        )
        capped = capped or postponed.capped
        if postponed.fits_whole:  # the first solve had not proved its makespan; this one fits
            fits, starts = True, _left_justify(problem, postponed.starts)
            makespan = _span(problem, starts)
            status = "optimal" if makespan <= bound else "feasible"
        else:
            moved, end_after = postponed.moved, postponed.end_after
            if result.status != "optimal" and bound <= deadline:
                notes.append(
                    f"not proven: the best schedule found ends {makespan - deadline} min after the "
                    f"window, but no schedule is proven to need more than {bound} min"
                )
    if capped:
        notes.append(CAPPED_NOTE)
    steps = _steps(problem, members, starts, start, moved)
    return Runbook(
        plan_id=stored.id,
        wave=wave,
        window_start=start,
        window_end=end,
        steps=steps,
        makespan=makespan,
        fits=fits,
        status=status,
        bound=bound,
        items_to_move=tuple(sorted(problem.names[t] for t in moved)),
        end_after_move=None if end_after is None else start + timedelta(minutes=end_after),
        runtime=clock.perf_counter() - started,
        staff=staff,
        notes=tuple(notes),
    )


def _outside_wave(config: PlanConfig, wave: int, window: tuple[datetime, datetime]) -> list[str]:
    windows = config.wave_windows()
    if wave > len(windows):
        return []
    first, last = windows[wave - 1]
    day: date = window[0].date()
    if first <= day <= last:
        return []
    return [f"the window starts on {day}, outside wave {wave} ({first} to {last})"]


def _staff(cutover: Cutover, members: Sequence[PlanItem], wave: int) -> dict[str, int]:
    """People on duty per team; every team with work in the wave needs at least one."""
    unknown = sorted(set(cutover.staff) - set(TEAMS))
    if unknown:
        raise PlannerError(
            f"[cutover].staff: unknown team {unknown[0]!r} (the teams are {', '.join(TEAMS)})"
        )
    staff = {team: int(cutover.staff.get(team, 0)) for team in TEAMS}
    for team in TEAMS:
        if staff[team] < 0:
            raise PlannerError(
                f"[cutover].staff.{team} is {staff[team]}; staff is a number of people, 0 or more"
            )
        busy = [row for row in members if row.kind == team and _duration(row) > 0]
        if busy and staff[team] < 1:
            raise PlannerError(
                f"[cutover].staff has no {team} staff, but wave {wave} has {len(busy)} {team} "
                f"step(s) with downtime; set e.g. staff = {{ {team} = 2, ... }} in plan.toml"
            )
    return staff


def _duration(row: PlanItem) -> int:
    return max(0, round(row.downtime_hours * 60))


def _precedence(
    constraints: Sequence[Constraint], members: Sequence[PlanItem]
) -> tuple[list[tuple[int, int]], list[str]]:
    """Finish-to-start pairs between the wave's items, loops dropped with a note each."""
    index = {row.item_id: i for i, row in enumerate(members)}
    wanted: list[tuple[int, int, str]] = []
    for c in constraints:
        if c.rule in (BEFORE_OR_SAME, STRICTLY_BEFORE):
            first, second = c.first, c.second
        elif c.rule == SAME_WAVE:
            first, second = c.edge.target, c.edge.source
        else:
            continue  # soft (and informational) dependencies do not order the cutover
        if first in index and second in index and first != second:
            wanted.append((index[first], index[second], c.rule))
    # Orderings before same-wave pairs, then by item, so the same inventory drops the same pair.
    wanted.sort(key=lambda w: (w[2] == SAME_WAVE, members[w[0]].item_id, members[w[1]].item_id))
    succ: list[set[int]] = [set() for _ in members]
    pairs: list[tuple[int, int]] = []
    notes: list[str] = []
    for a, b, _ in wanted:
        if b in succ[a]:
            continue
        if _reaches(succ, b, a):
            notes.append(
                f"{members[a].item_id} and {members[b].item_id} need each other; "
                f"the runbook does {members[b].item_id} first"
            )
            continue
        succ[a].add(b)
        pairs.append((a, b))
    return pairs, notes


def _reaches(succ: Sequence[set[int]], source: int, target: int) -> bool:
    seen, stack = {source}, [source]
    while stack:
        node = stack.pop()
        if node == target:
            return True
        for nxt in succ[node] - seen:
            seen.add(nxt)
            stack.append(nxt)
    return False


def _problem(
    members: Sequence[PlanItem], staff: dict[str, int], precedence: Sequence[tuple[int, int]]
) -> ScheduleProblem:
    durations = [_duration(row) for row in members]
    demands = tuple(
        tuple(1 if row.kind == team and d > 0 else 0 for team in TEAMS)
        for row, d in zip(members, durations)
    )
    return ScheduleProblem(
        names=tuple(row.item_id for row in members),
        durations=tuple(durations),
        resources=TEAMS,
        capacities=tuple(staff[t] for t in TEAMS),
        demands=demands,
        precedence=tuple(precedence),
    )


def _span(problem: ScheduleProblem, starts: Sequence[int]) -> int:
    return max((s + d for s, d in zip(starts, problem.durations)), default=0)


def _left_justify(problem: ScheduleProblem, starts: Sequence[int]) -> tuple[int, ...]:
    """Every step as early as the steps before it allow, none later than in `starts`.

    A serial schedule generation pass in order of the given starts keeps each step's
    slot free (it only ever moves earlier steps earlier), so the makespan never grows;
    the runbook then shows steps without slack started as soon as they can be.
    """
    order = serial_sgs(problem, [float(s) for s in starts])
    if order is None or any(
        a > b for a, b in zip(order, starts)
    ):  # cannot happen; keep the solver's
        return tuple(starts)
    return order


def _steps(
    problem: ScheduleProblem,
    members: Sequence[PlanItem],
    starts: Sequence[int],
    origin: datetime,
    moved: set[int],
) -> tuple[Step, ...]:
    team_rank = {team: i for i, team in enumerate(TEAMS)}
    order = sorted(
        range(problem.num_tasks),
        key=lambda t: (
            starts[t],
            starts[t] + problem.durations[t],
            team_rank.get(members[t].kind, 99),
            problem.names[t],
        ),
    )
    number = {t: n for n, t in enumerate(order, start=1)}
    return tuple(
        Step(
            number=number[t],
            item_id=problem.names[t],
            team=members[t].kind,
            start=origin + timedelta(minutes=starts[t]),
            end=origin + timedelta(minutes=starts[t] + problem.durations[t]),
            minutes=problem.durations[t],
            depends_on=tuple(sorted(number[p] for p in problem.predecessors[t])),
            move=t in moved,
        )
        for t in order
    )


# ---------------------------------------------------------------------- what to postpone
class _Postpone:
    """Greedy postponement until the remaining steps fit the window (see the module docstring).

    `problem` carries the window as every step's deadline; after construction `fits_whole`
    says a schedule of all steps fits after all (then `starts` holds it), otherwise
    `moved` holds the postponed task indices and `end_after` the end of the rest.
    """

    def __init__(
        self,
        problem: ScheduleProblem,
        groups: Sequence[str],
        deadline: int,
        budget: TimeBudget,
        workers: int,
        seed: int,
    ) -> None:
        self.p, self.deadline, self.workers, self.seed = problem, deadline, workers, seed
        self.total = budget.units  # for the re-scheduling solves' shares
        self.budget = budget  # what they have left, charged with the work each used
        self.capped = False  # the wall clock cut one of them
        self.members: dict[str, list[int]] = {}
        for t, g in enumerate(groups):
            self.members.setdefault(g, []).append(t)
        self.groups = list(groups)
        self.fits_whole = False
        self.starts: tuple[int, ...] = ()
        self.moved: set[int] = set()
        self.end_after = 0
        self._run()

    def _run(self) -> None:
        remaining = set(range(self.p.num_tasks))
        ends = self._schedule(remaining, share=0.5)
        if self._fits(ends, remaining):
            self.fits_whole = True
            return
        while remaining and not self._fits(ends, remaining):
            now = self._lower_bound(remaining)
            best: tuple[tuple[object, ...], set[int]] | None = None
            for t in remaining:
                if ends[t] <= self.deadline:
                    continue
                closure = self._closure(t, remaining)
                after = self._lower_bound(remaining - closure)
                if after <= self.deadline:  # the rest may fit: the fewest items
                    key: tuple[object, ...] = (0, len(closure), after, -ends[t], self.p.names[t])
                else:  # the rest cannot fit yet: the most provable shortening per item
                    key = (1, -(now - after) / len(closure), after, -ends[t], self.p.names[t])
                if best is None or key < best[0]:
                    best = (key, closure)
            assert best is not None
            remaining -= best[1]
            self.moved |= best[1]
            if (
                remaining
                and not self._fits(ends, remaining)
                and self._lower_bound(remaining) <= self.deadline
            ):
                better = self._schedule(remaining, share=0.25)
                if self._lateness(better, remaining) <= self._lateness(ends, remaining):
                    ends.update(better)
        self.end_after = max((ends[t] for t in remaining), default=0)

    def _fits(self, ends: dict[int, int], tasks: set[int]) -> bool:
        return all(ends[t] <= self.deadline for t in tasks)

    def _lateness(self, ends: dict[int, int], tasks: set[int]) -> int:
        return sum(max(0, ends[t] - self.deadline) for t in tasks)

    def _closure(self, task: int, remaining: set[int]) -> set[int]:
        """The task, its move group and everything in the wave that depends on them."""
        found = {task}
        stack = [task]
        while stack:
            t = stack.pop()
            for other in (*self.members[self.groups[t]], *self.p.successors[t]):
                if other in remaining and other not in found:
                    found.add(other)
                    stack.append(other)
        return found

    def _lower_bound(self, tasks: set[int]) -> int:
        """Critical path and staff-hours bound of `tasks` (a set closed under predecessors)."""
        dur, p = self.p.durations, self.p
        earliest = dict.fromkeys(tasks, 0)
        for t in p.topological_order:
            if t in tasks:
                for s in p.successors[t]:
                    if s in tasks:
                        earliest[s] = max(earliest[s], earliest[t] + dur[t])
        bound = max((earliest[t] + dur[t] for t in tasks), default=0)
        for r, cap in enumerate(p.capacities):
            work = sum(dur[t] * p.demands[t][r] for t in tasks)
            if work and cap:
                bound = max(bound, -(-work // cap))
        return bound

    def _schedule(self, tasks: set[int], share: float) -> dict[int, int]:
        """Ends of a schedule of `tasks` with little total overrun.

        CP-SAT (total lateness, then makespan) for `share` of the budget while it lasts; after
        that the best serial-SGS schedule, which takes milliseconds.
        """
        keep = sorted(tasks)
        new = {t: i for i, t in enumerate(keep)}
        p = self.p
        sub = ScheduleProblem(
            names=tuple(p.names[t] for t in keep),
            durations=tuple(p.durations[t] for t in keep),
            resources=p.resources,
            capacities=p.capacities,
            demands=tuple(p.demands[t] for t in keep),
            precedence=tuple((new[a], new[b]) for a, b in p.precedence if a in new and b in new),
        )
        starts: tuple[int, ...] | None = None
        if self.budget.units > 0.05 and self.budget.wall_left() <= 0.05:
            self.capped = True  # the clock, not the budget, ends the search: say so
        elif self.budget.units > 0.05:
            late = ScheduleProblem(
                sub.names,
                sub.durations,
                sub.resources,
                sub.capacities,
                sub.demands,
                sub.precedence,
                deadline=(self.deadline,) * len(keep),
            )
            units = min(self.budget.units, max(0.1, share * self.total))
            result = solve(
                late,
                budget=replace(self.budget, units=units),
                workers=self.workers,
                seed=self.seed,
                allow_late=True,
            )
            self.budget = self.budget.charge(result.work)
            self.capped = self.capped or result.capped
            starts = result.starts or None
        if starts is None:
            candidates = [serial_sgs(sub, rule) for rule in priority_rules(sub).values()]
            starts = min((c for c in candidates if c is not None), key=lambda c: _span(sub, c))
        if len(keep) == p.num_tasks and self._lateness_of(sub, starts) == 0:
            self.starts = tuple(starts)
        return {t: starts[new[t]] + p.durations[t] for t in keep}

    def _lateness_of(self, problem: ScheduleProblem, starts: Sequence[int]) -> int:
        return sum(max(0, s + d - self.deadline) for s, d in zip(starts, problem.durations))
