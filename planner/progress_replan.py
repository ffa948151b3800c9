"""`planner replan --from-progress`: re-plan the rest of the programme from what really happened.

The rules (issue 22): items `done` stay in the wave they were done in and never move; `in
progress` items stay in their wave too; `failed` and `postponed` items and everything not
started are re-planned from the first wave not yet closed (the first wave that still holds a
planned or in-progress item, or later with `--freeze-through`), under the same rules, pins
and capacities, with the fewest moves of not-started items (the moved phase and its bound).
New items in the inventory are placed like any other.

A done item is a fact, not a decision: wave rules that touch it are dropped for the
solver (`planner.graph.without_rules_of`), so a failed server does not drag the application
that was already moved on top of it back with it; such done dependants are named in a
warning instead (they run against the old platform's copy). The plan stores its basis
(`ProgressBasis` table), which the independent verifier reads (`progress_checks`).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from planner.config import PlanConfig
from exports.errors import PlannerError
from planner.graph import DependencyGraph, without_rules_of
from planner.models import Plan, Progress
from planner.models import ProgressBasis as BasisRow
from planner.planning import plan_waves
from planner.progress import (
    DONE,
    IN_PROGRESS,
    MAX_COMMENT,
    PLANNED,
    TO_REDO,
    State,
    current,
    done_on_failed,
)
from solvers.waves.problem import WaveProblem, violations

KEPT = (DONE, IN_PROGRESS)
#: The solver's phases for a re-plan from progress: the fewest waves, then the fewest moves of
#: not-started items. Splits and downtime are not re-optimised: the agreed plan had them, and
#: re-optimising them would move hundreds of items nobody asked to move.
PHASES = ("waves", "moved")


@dataclass
class ProgressBasis:
    """What a re-plan from progress starts from: the parent plan's waves and recorded states."""

    parent: Plan
    waves: dict[str, int]
    states: dict[str, State]
    first_open: int
    warnings: list[str] = field(default_factory=list)
    new_items: list[str] = field(default_factory=list)
    phases: tuple[str, ...] = PHASES

    @classmethod
    def load(cls, engine: Engine, parent: Plan, freeze_through: int | None = None) -> ProgressBasis:
        """The basis for re-planning `parent`; the first open wave is the first that still holds
        a planned or in-progress item (or the wave after `freeze_through`, if later)."""
        assert parent.id is not None
        states = current(engine, parent.id)
        if not states:
            raise PlannerError(
                f"no progress is recorded for plan {parent.id}: record it with "
                "`planner import-progress edited.xlsx` first"
            )
        waves = plan_waves(engine, parent.id)
        open_waves = [
            w
            for item, w in waves.items()
            if states.get(item, State()).status in (PLANNED, IN_PROGRESS)
        ]
        first = min(open_waves) if open_waves else max(waves.values(), default=0) + 1
        first = max(first, (freeze_through or 0) + 1)
        basis = cls(parent, waves, states, first)
        basis.warnings = done_on_failed(engine, parent.id, states)
        return basis

    def status(self, item: str) -> str:
        return self.states.get(item, State()).status

    def prepare(
        self, graph: DependencyGraph, config: PlanConfig, pins: dict[str, int]
    ) -> tuple[DependencyGraph, PlanConfig, dict[str, int], dict[str, int], int]:
        """(graph, config, pins, previous waves, closed prefix) for `planning.build_problem`."""
        m = config.max_waves()
        if self.first_open > m:
            raise PlannerError(
                f"every wave up to {self.first_open - 1} is closed, but the calendar has "
                f"{m} waves: add waves ([calendar] max_waves in plan.toml) to re-plan"
            )
        kept = {
            n: w for n, w in self.waves.items() if self.status(n) in KEPT and n in graph.planned
        }
        settled = {n for n in kept if self.status(n) == DONE}
        graph = without_rules_of(graph, settled, config.effort_defaults())
        pins = self._pins(graph, pins, kept)
        config = self._config(graph, config, kept)
        previous = {
            n: w
            for n, w in self.waves.items()
            if n in graph.planned and self.status(n) == PLANNED and w >= self.first_open
        }
        self.new_items = sorted(n for n in graph.planned if n not in self.waves)
        return graph, config, pins, previous, self.first_open - 1

    def _pins(
        self, graph: DependencyGraph, pins: dict[str, int], kept: dict[str, int]
    ) -> dict[str, int]:
        """Stored pins, except on kept items (they stay where they are) and into closed waves."""
        result = {}
        for text, wave in pins.items():
            node = graph.snapshot.resolve(text)
            if node in kept:
                if wave != kept[node]:
                    self.warnings.append(
                        f"the pin of {node} to wave {wave} is ignored: it is "
                        f"{self.status(node)} in wave {kept[node]}"
                    )
            elif wave < self.first_open:
                self.warnings.append(
                    f"the pin of {text} to wave {wave} is ignored: waves before "
                    f"{self.first_open} are closed"
                )
            else:
                result[text] = wave
        return {**result, **kept}

    def _config(
        self, graph: DependencyGraph, config: PlanConfig, kept: dict[str, int]
    ) -> PlanConfig:
        """plan.toml without its pins on kept items (what happened beats what was wished)."""
        pins = {}
        for text, wave in config.pins.items():
            node = graph.snapshot.resolve(text)
            if node in kept and wave != kept[node]:
                self.warnings.append(
                    f"plan.toml pins {node} to wave {wave}, but it is "
                    f"{self.status(node)} in wave {kept[node]}; the pin is ignored"
                )
            elif node not in kept:
                pins[text] = wave
        return config.model_copy(update={"pins": pins})

    def store(self, session: Session, plan: Plan) -> None:
        """In the plan's own transaction: the basis row and the states carried over."""
        assert plan.id is not None and self.parent.id is not None
        session.add(
            BasisRow(plan_id=plan.id, parent_id=self.parent.id, first_open_wave=self.first_open)
        )
        now = datetime.now(plan.created.tzinfo)
        for item, state in sorted(self.states.items()):
            if state.status in KEPT:
                session.add(
                    Progress(
                        plan_id=plan.id,
                        item_id=item,
                        status=state.status,
                        actual_date=state.actual_date,
                        comment=state.comment,
                        source=f"plan {self.parent.id}",
                        recorded=now,
                    )
                )
            elif state.status in TO_REDO:
                when = f" on {state.actual_date.isoformat()}" if state.actual_date else ""
                note = (
                    f"{state.status}{when} in wave {self.waves.get(item)} of plan {self.parent.id}"
                )
                comment = f"{note}: {state.comment}" if state.comment else note
                session.add(
                    Progress(
                        plan_id=plan.id,
                        item_id=item,
                        status=PLANNED,
                        comment=comment[:MAX_COMMENT],
                        source=f"plan {self.parent.id}",
                        recorded=now,
                    )
                )

    def summary(
        self, item_waves: dict[str, int], objective: dict[str, Any], bound: dict[str, Any]
    ) -> str:
        """One paragraph: what was kept, re-planned and placed, and the moves against the bound."""
        count = {
            s: sum(1 for n in self.waves if self.status(n) == s)
            for s in (DONE, IN_PROGRESS, *TO_REDO)
        }
        moved = self.moved(item_waves)
        groups, limit = objective.get("moved"), bound.get("moved")
        against = (
            f" ({groups:g} move group(s); bound {limit:g})"
            if groups is not None and limit is not None
            else ""
        )
        return (
            f"From the progress of plan {self.parent.id}: {count[DONE]} done and "
            f"{count[IN_PROGRESS]} in progress kept in their waves; {count['failed']} failed and "
            f"{count['postponed']} postponed "
            f"re-planned from wave {self.first_open}; {len(self.new_items)} new item(s) placed; "
            f"{len(moved)} not-started item(s) moved{against}."
        )

    def start(self, problem: WaveProblem) -> list[int] | None:
        """The solver's first plan (`warm_start`)."""
        return warm_start(problem)

    def moved(self, item_waves: dict[str, int]) -> list[str]:
        """Not-started items whose wave changed."""
        return sorted(
            n
            for n, w in self.waves.items()
            if self.status(n) == PLANNED and n in item_waves and item_waves[n] != w
        )


def progress_checks(
    engine: Engine, plan: Plan, wave: dict[str, int], planned: set[str]
) -> tuple[set[str], list[tuple[str, str]]]:
    """For the independent verifier: the items that were done when `plan` was made from progress
    (their wave rules are facts, not checked) and the progress rules the plan breaks, as
    (rule, message): done and in-progress items stay, nothing else lies in a closed wave."""
    with Session(engine) as session:
        basis = session.get(BasisRow, plan.id)
        if basis is None:
            return set(), []
        query = (
            select(Progress)
            .where(col(Progress.plan_id) == basis.parent_id)
            .order_by(col(Progress.id))
        )
        states: dict[str, str] = {}
        for row in session.execute(query).scalars():
            if row.recorded.replace(tzinfo=None) <= plan.created.replace(tzinfo=None):
                states[row.item_id] = row.status
    before = plan_waves(engine, basis.parent_id)
    found = []
    for node, w in sorted(wave.items()):
        status = states.get(node, PLANNED)
        if status in KEPT and before.get(node) != w:
            found.append(
                (
                    status.replace(" ", "_"),
                    (
                        f"{node} is {status} in wave {before.get(node)} of plan "
                        f"{basis.parent_id} but the re-plan puts it in wave {w}"
                    ),
                )
            )
        elif status not in KEPT and w < basis.first_open_wave:
            found.append(
                (
                    "closed",
                    (
                        f"{node} is {status} but placed in wave {w}, which was closed "
                        f"(the re-plan starts at wave {basis.first_open_wave})"
                    ),
                )
            )
    for node, w in sorted(before.items()):
        if states.get(node) in KEPT and node not in wave and node in planned:
            found.append(
                (
                    "done",
                    (
                        f"{node} is {states[node]} in wave {w} of plan {basis.parent_id} but "
                        "missing from the re-plan"
                    ),
                )
            )
    return {n for n, s in states.items() if s == DONE}, found


def warm_start(problem: WaveProblem) -> list[int] | None:
    """The agreed plan, repaired: every task keeps its previous wave (its capacity reserved
    first) unless what it needs now lies later; the rest (failed, postponed and new items, and
    what must follow them) go, in dependency order, to the first wave that fits. Handed to the
    solver as its first plan, so the search for the fewest moves starts from few moves, not
    from a greedy plan that ignores the old one. None when the repair breaks a rule."""
    n = problem.n_tasks
    preds: dict[int, list[tuple[int, int]]] = defaultdict(list)
    succs: dict[int, list[int]] = defaultdict(list)
    for pairs, gap in ((problem.before_or_same, 0), (problem.strictly_before, 1)):
        for a, b in pairs:
            preds[b].append((a, gap))
            succs[a].append(b)
    order = _topological(n, preds, succs)
    if order is None or problem.same_wave:
        return None
    pins, forbidden = dict(problem.pins), problem.forbidden_sets()
    load = [[0] * len(problem.resources) for _ in range(problem.max_waves + 1)]
    kept = {t: pins.get(t) or (problem.previous[t] if problem.previous else 0) for t in range(n)}
    kept = {t: w for t, w in kept.items() if w > 0}
    for t, w in kept.items():
        _take(load, problem.demand[t], w, +1)
    waves = [0] * n
    for t in order:
        lo, hi = problem.window(t)
        lo = max([lo, *(waves[a] + gap for a, gap in preds[t])])
        if t in kept and (lo <= kept[t] or t in pins):
            waves[t] = kept[t]
            continue
        if t in kept:
            _take(load, problem.demand[t], kept[t], -1)
        fits = [
            w
            for w in range(lo, hi + 1)
            if w not in forbidden[t]
            and all(
                load[w][r] + d <= problem.capacity[w - 1][r]
                for r, d in enumerate(problem.demand[t])
            )
        ]
        if not fits:
            return None
        waves[t] = fits[0]
        _take(load, problem.demand[t], fits[0], +1)
    return waves if not violations(problem, waves) else None


def _take(load: list[list[int]], demand: tuple[int, ...], wave: int, sign: int) -> None:
    for r, d in enumerate(demand):
        load[wave][r] += sign * d


def _topological(
    n: int, preds: dict[int, list[tuple[int, int]]], succs: dict[int, list[int]]
) -> list[int] | None:
    """Tasks in dependency order (Kahn, smallest index first); None if the rules loop."""
    count = [len(preds[t]) for t in range(n)]
    ready = [t for t in range(n) if count[t] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        t = heapq.heappop(ready)
        order.append(t)
        for b in succs[t]:
            count[b] -= 1
            if count[b] == 0:
                heapq.heappush(ready, b)
    return order if len(order) == n else None
