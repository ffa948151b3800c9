"""Planning runs: inventory + plan.toml -> solver -> a stored, honest plan.

`make_plan` is what `planner plan` and `planner replan` call. It reads one consistent
snapshot, builds the move groups and the solver problem, solves, and stores the plan
with its status, per-phase objectives and bounds, gaps, times and the greedy baseline.
When no plan exists it raises `NoPlan` with the causes in the planner's words.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from planner.config import PlanConfig, parse_config
from planner.db import transaction
from planner.effort import downtime_hours, effort_hours
from exports.errors import PlannerError
from planner.graph import DependencyGraph, build
from planner.models import Pin, Plan, PlanItem
from planner.problem import PlanningProblem, build_problem
from planner.snapshot import Snapshot, load
from exports.testhooks import pause
from solvers.limits import StopRequest
from solvers.waves.problem import PhaseResult, ProgressEvent, WaveResult
from solvers.waves.solve import solve


class NoPlan(PlannerError):
    """The inputs admit no plan; `causes` explains why, one sentence each."""

    def __init__(self, status: str, causes: list[str]) -> None:
        self.status = status
        self.causes = causes
        head = "no plan exists" if status == "infeasible" else f"no plan found ({status})"
        super().__init__(head + (":\n  " + "\n  ".join(causes) if causes else ""))


@dataclass
class PlanOutcome:
    """A stored plan and what the CLI prints about it."""

    plan: Plan
    result: WaveResult
    planning: PlanningProblem
    graph: DependencyGraph
    item_waves: dict[str, int] = field(default_factory=dict)


def stored_pins(engine: Engine) -> dict[str, int]:
    """Pins handed back by project managers (`planner import-pins`)."""
    with Session(engine) as session:
        return {p.item_id: p.wave for p in session.execute(select(Pin)).scalars()}


def make_plan(
    engine: Engine,
    config: PlanConfig,
    config_text: str = "",
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
    parent: Plan | None = None,
    freeze_through: int = 0,
    stop: StopRequest | None = None,
    basis: Any = None,
) -> PlanOutcome:
    """Plan (or re-plan after `parent`) and store the result in one transaction.

    `stop.request()` (the CLI's first Ctrl-C) ends the search early; the best plan found by
    then is stored like any other, with a note saying when it was stopped. The time limit
    counts from here: reading the inventory and building the problem are part of it."""
    started = time.monotonic()
    graph = _plannable_graph(engine, config)
    previous = plan_waves(engine, parent.id) if parent and parent.id else None
    pins = stored_pins(engine)
    problem_freeze = freeze_through
    if basis is not None:  # done items fixed, the rest from the first open wave
        graph, config, pins, previous, problem_freeze = basis.prepare(graph, config, pins)
        freeze_through = 0  # the basis, not a frozen prefix, says what stays
    planning = build_problem(
        graph, config, pins=pins, previous=previous, freeze_through=problem_freeze
    )
    limit = time_limit if time_limit is not None else config.solver.time_limit
    workers = workers if workers is not None else config.solver.workers
    seed = seed if seed is not None else config.solver.seed
    extra: dict[str, Any] = {}
    if basis is not None:  # from progress: the fewest moves, starting from the repaired old plan
        extra = {"phases": basis.phases, "start": basis.start(planning.problem)}
    result = solve(
        planning.problem,
        time_limit=limit,
        workers=workers,
        seed=seed,
        progress=progress,
        stop=stop,
        since=started,
        **extra,
    )
    if not result.waves:
        _raise_no_plan(result, planning, graph, stop)
    item_waves = {
        node: result.waves[i] for i, g in enumerate(planning.groups) for node in planning.members[g]
    }
    plan = _store(
        engine,
        config,
        config_text,
        result,
        planning,
        graph,
        item_waves,
        workers=workers,
        seed=seed,
        time_limit=limit,
        parent=parent,
        freeze_through=freeze_through,
        basis=basis,
    )
    return PlanOutcome(plan, result, planning, graph, item_waves)


def _plannable_graph(engine: Engine, config: PlanConfig) -> DependencyGraph:
    """The dependency graph of the current inventory, refused before any solving when it cannot
    give a plan (empty inventory, a strict dependency loop), so the user hears why at once."""
    snapshot = load(engine)
    if not snapshot.items:
        raise PlannerError(
            "the inventory is empty: import workbooks first (planner import FILE.xlsx)"
        )
    graph = build(snapshot, config.effort_defaults())
    strict_cycles = [path for path, strict in graph.cycles if strict]
    if strict_cycles:
        raise NoPlan(
            "infeasible",
            [
                "dependency loop with a strictly-before rule: " + " -> ".join(path)
                for path in strict_cycles[:5]
            ],
        )
    return graph


def _raise_no_plan(
    result: WaveResult, planning: PlanningProblem, graph: DependencyGraph, stop: StopRequest | None
) -> None:
    """Raise why a solve ended without waves: stopped by the user (nothing stored), or no plan
    (infeasible ones explained in the planner's words, so the user can fix the inputs)."""
    if stop is not None and stop.requested and result.status != "infeasible":
        raise PlannerError("the search was stopped before it found any plan; nothing was stored")
    from planner.explain import explain

    causes = explain(planning, graph) if result.status == "infeasible" else []
    raise NoPlan(result.status, causes)


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    return {
        k: (None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v)
        for k, v in values.items()
    }


def _parts(phase: PhaseResult) -> list[dict[str, Any]]:
    """A decomposed phase's parts as stored: size, status, objective and bound of each (their
    bounds add up to the phase's)."""
    return [
        {
            "tasks": part.tasks,
            "status": part.status,
            "objective": _finite({"v": part.objective})["v"],
            "bound": part.bound,
        }
        for part in phase.parts
    ]


def _store(
    engine: Engine,
    config: PlanConfig,
    config_text: str,
    result: WaveResult,
    planning: PlanningProblem,
    graph: DependencyGraph,
    item_waves: dict[str, int],
    **meta: Any,
) -> Plan:
    """Store the plan row and its items in one transaction (a crash leaves no half plan)."""
    basis = meta.pop("basis", None)
    plan = _plan_row(config, config_text, result, graph, **meta)
    with transaction(engine) as session:
        session.add(plan)
        session.flush()
        assert plan.id is not None  # assigned by the flush
        rows = _item_rows(plan.id, config, planning, graph, item_waves)
        # Bulk inserts (one object per row took 17 s for 50,000 items, past the time limit);
        # half first, so crash tests can kill the writer with half of the plan written.
        half = len(rows) // 2
        if half:
            session.execute(insert(PlanItem), rows[:half])
        pause("IN_PLAN_STORE")
        if rows[half:]:
            session.execute(insert(PlanItem), rows[half:])
        if basis is not None:
            basis.store(session, plan)
    return plan


def _plan_row(
    config: PlanConfig, config_text: str, result: WaveResult, graph: DependencyGraph, **meta: Any
) -> Plan:
    """The Plan row with the solver's honest figures (status, per-phase objectives, bounds, gaps,
    times, greedy baseline) as JSON, infinities stored as null."""
    parent: Plan | None = meta.pop("parent")
    phases = [
        {
            "name": p.name,
            "status": p.status,
            "objective": _finite({"v": p.objective})["v"],
            "bound": _finite({"v": p.bound})["v"],
            "gap": p.gap,
            "runtime": round(p.runtime, 3),
            **({"parts": _parts(p)} if p.parts else {}),
        }
        for p in result.phases
    ]
    greedy = (
        {"objective": _finite(result.greedy.objective), "runtime": result.greedy.runtime}
        if result.greedy and result.greedy.waves
        else {}
    )
    plan = Plan(
        parent_id=parent.id if parent else None,
        frozen_through=meta["freeze_through"],
        config_toml=config_text,
        status=result.status,
        waves_used=max(result.waves),
        objective_json=json.dumps(_finite(result.objective)),
        bound_json=json.dumps(_finite(result.bound)),
        gap_json=json.dumps({p["name"]: p["gap"] for p in phases}),
        phases_json=json.dumps(phases),
        greedy_json=json.dumps(greedy),
        lower_bound_waves=result.lower_bound_waves,
        solve_seconds=round(result.runtime, 3),
        first_solution_seconds=round(result.first_solution_seconds, 3),
        seed=meta["seed"],
        workers=meta["workers"],
        time_limit=meta["time_limit"],
        inventory_fingerprint=graph.snapshot.fingerprint(),
        calendar_start=config.calendar.start,
    )
    return plan


def _item_rows(
    plan_id: int,
    config: PlanConfig,
    planning: PlanningProblem,
    graph: DependencyGraph,
    item_waves: dict[str, int],
) -> list[dict[str, Any]]:
    """One PlanItem row per item as plain dicts, for the bulk insert (objects were too slow)."""
    defaults = config.effort_defaults()
    rows = []
    for node, wave in sorted(item_waves.items()):
        item = graph.snapshot.items[node]
        rows.append(
            dict(  # noqa: C408 (the keyword form reads like the model)
                plan_id=plan_id,
                item_id=node,
                municipality=item.municipality,
                kind=item.kind,
                name=item.name,
                wave=wave,
                move_group=graph.group_of[node],
                effort_hours=effort_hours(item, defaults),
                downtime_hours=downtime_hours(item, defaults),
                pinned=planning.pins.get(node) or planning.frozen.get(node),
            )
        )
    return rows


def latest_plan(engine: Engine, plan_id: int | None = None) -> Plan:
    """The plan with this id, or the newest one."""
    with Session(engine) as session:
        if plan_id is not None:
            plan = session.get(Plan, plan_id)
            if plan is None:
                raise PlannerError(f"there is no plan {plan_id} (see `planner plans`)")
            return plan
        plan = (
            session.execute(select(Plan).order_by(col(Plan.id).desc()).limit(1)).scalars().first()
        )
        if plan is None:
            raise PlannerError("there is no plan yet: run `planner plan` first")
        return plan


def plan_config(plan: Plan) -> PlanConfig:
    """The configuration `plan` was made with, as it was on the day it was made.

    Every reader of a stored plan (verify, export, pins, report, runbook) opens its config
    here, so the default first wave ("the coming Saturday") is the one recorded with the plan,
    not one computed again on the day the plan is read.
    """
    config = parse_config(plan.config_toml) if plan.config_toml else PlanConfig()
    if plan.calendar_start is None or config.calendar.start == plan.calendar_start:
        return config
    calendar = config.calendar.model_copy(update={"start": plan.calendar_start})
    return config.model_copy(update={"calendar": calendar})


def plan_waves(engine: Engine, plan_id: int) -> dict[str, int]:
    with Session(engine) as session:
        return {
            row.item_id: row.wave
            for row in session.execute(
                select(PlanItem).where(col(PlanItem.plan_id) == plan_id)
            ).scalars()
        }


def plan_items(engine: Engine, plan_id: int) -> list[PlanItem]:
    with Session(engine) as session:
        return list(
            session.execute(
                select(PlanItem)
                .where(col(PlanItem.plan_id) == plan_id)
                .order_by(col(PlanItem.wave), col(PlanItem.item_id))
            ).scalars()
        )


def inventory_state(plan: Plan, snapshot: Snapshot) -> str:
    """Whether the inventory is the one `plan` was made from: "current", "changed" (imported
    since), or "unknown" (a plan stored before plans recorded their inventory)."""
    if not plan.inventory_fingerprint:
        return "unknown"
    return "current" if plan.inventory_fingerprint == snapshot.fingerprint() else "changed"


def list_plans(engine: Engine) -> list[Plan]:
    with Session(engine) as session:
        return list(session.execute(select(Plan).order_by(col(Plan.id))).scalars())
