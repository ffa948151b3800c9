"""One way to open a stored plan: the plan, its configuration, its items and the inventory.

Every reader of a stored plan (verify, export, pins, the runbook, a re-plan) needs some of
the same things: the plan row, the configuration it was made with (with the calendar start
recorded with it, `planning.plan_config`), its items, today's inventory snapshot, the
dependency graph built with the plan's effort defaults, and sometimes the planning problem.
They were opened by hand in six places, each a little differently; `open_plan` opens them
once, and reads the costly parts (snapshot, graph, problem) only when they are asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.engine import Engine

from planner.config import PlanConfig
from planner.graph import DependencyGraph, build
from planner.models import Plan, PlanItem
from planner.planning import inventory_state, latest_plan, plan_config, plan_items, plan_waves
from planner.problem import PlanningProblem, build_problem
from planner.snapshot import Snapshot, load


@dataclass
class StoredPlan:
    """A stored plan as its readers see it; the inventory parts are read on first use.

    `snapshot` is today's inventory unless the opener gave the one the plan was made from
    (right after planning, while a colleague may have imported since).
    """

    engine: Engine
    plan: Plan
    config: PlanConfig
    given_snapshot: Snapshot | None = field(default=None, repr=False)

    @property
    def id(self) -> int:
        return self.plan.id or 0

    @cached_property
    def rows(self) -> list[PlanItem]:
        """The plan's items, by wave then id: authoritative for waves, effort and downtime."""
        return plan_items(self.engine, self.id)

    @cached_property
    def waves(self) -> dict[str, int]:
        """item id -> wave."""
        return {row.item_id: row.wave for row in self.rows}

    @cached_property
    def snapshot(self) -> Snapshot:
        return self.given_snapshot if self.given_snapshot is not None else load(self.engine)

    @cached_property
    def graph(self) -> DependencyGraph:
        """The dependency graph of the inventory, with the plan's effort defaults."""
        return build(self.snapshot, self.config.effort_defaults())

    @cached_property
    def inventory_state(self) -> str:
        """ "current", "changed" (imported since the plan was made) or "unknown"."""
        return inventory_state(self.plan, self.snapshot)

    @cached_property
    def parent_waves(self) -> dict[str, int]:
        """The waves of the plan this one re-planned (empty for a first plan)."""
        return plan_waves(self.engine, self.plan.parent_id) if self.plan.parent_id else {}

    @cached_property
    def problem(self) -> PlanningProblem:
        """The planning problem this plan answers, rebuilt on the inventory it is read with.

        The pins are those stored with the plan's items (handed-back pins and executed
        waves), so the problem holds the same constraints as the one the plan was made for.
        """
        pins = {row.item_id: row.pinned for row in self.rows if row.pinned is not None}
        return build_problem(
            self.graph,
            self.config,
            pins=pins,
            previous=self.parent_waves or None,
            freeze_through=self.plan.frozen_through or 0,
        )

    @classmethod
    def of(cls, engine: Engine, plan: Plan, snapshot: Snapshot | None = None) -> StoredPlan:
        """A plan already in hand (e.g. one just made), opened like `open_plan` opens one."""
        return cls(engine, plan, plan_config(plan), snapshot)


def open_plan(
    engine: Engine, plan_id: int | None = None, *, snapshot: Snapshot | None = None
) -> StoredPlan:
    """The plan with this id (default: the newest); PlannerError in one sentence if none."""
    return StoredPlan.of(engine, latest_plan(engine, plan_id), snapshot)
