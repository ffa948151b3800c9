"""The one place that reads the database for exports: a stored plan -> `ExportPlan`.

The plan's own rows are authoritative for waves, effort and downtime (a plan outlives
re-imports); the current inventory adds the fields project managers look up (owner,
function, blackout, …) and the dependencies. The calendar and capacities come from the
configuration stored with the plan, so an export shows the plan as it was made.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy.engine import Engine

from exports.model import TEAMS, ExportDependency, ExportItem, ExportPlan, ExportWave
from planner.config import PlanConfig
from planner.graph import DependencyGraph
from planner.items import item_sources
from planner.planning import latest_plan, plan_config, plan_items, stored_pins
from planner.progress import current
from planner.stored import StoredPlan, open_plan


def load_export(
    engine: Engine,
    plan_id: int | None = None,
    *,
    runbooks: bool = False,
    runbook_time_limit: float = 10.0,
) -> ExportPlan:
    """The plan with this id (default: the newest) as plain data for the exporters.

    `runbooks=True` adds every wave's cutover runbook (one solve per wave, up to
    `runbook_time_limit` seconds each, the search for items to move included): off by default
    so that a plain export stays fast.
    """
    stored = open_plan(engine, plan_id)
    plan, rows = stored.plan, stored.rows
    snapshot, graph = stored.snapshot, stored.graph
    pins = stored_pins(engine)
    states = current(engine, plan.id or 0)
    wave_of = stored.waves
    sources = item_sources(engine)  # issue 17: the sources that list each item

    dependencies, depends_on, needed_by = _dependencies(graph, wave_of)
    items = []
    for row in rows:
        inv = snapshot.items.get(row.item_id)
        fields: dict[str, Any] = inv.fields if inv else {}
        items.append(
            ExportItem(
                id=row.item_id,
                municipality=row.municipality,
                kind=row.kind,
                name=row.name,
                wave=row.wave,
                move_group=row.move_group,
                effort_hours=row.effort_hours,
                downtime_hours=row.downtime_hours,
                team=row.kind,
                function=fields.get("function"),
                criticality=fields.get("criticality"),
                owner=fields.get("owner"),
                blackout=fields.get("blackout"),
                strategy=fields.get("strategy"),
                sources=tuple(sources.get(row.item_id, ())),
                vcpu=fields.get("vcpu"),
                ram_gb=fields.get("ram_gb"),
                storage_gb=fields.get("storage_gb"),
                depends_on=tuple(sorted(depends_on.get(row.item_id, ()))),
                needed_by=tuple(sorted(needed_by.get(row.item_id, ()))),
                pinned=row.pinned,
                pin=pins.get(row.item_id),
                **_state(states.get(row.item_id)),
            )
        )
    items.sort(key=lambda i: (i.wave, i.municipality.casefold(), i.kind, i.name.casefold()))

    return _export_plan(engine, stored, items, dependencies, runbooks, runbook_time_limit, states)


def _dependencies(
    graph: DependencyGraph, wave_of: dict[str, int]
) -> tuple[list[ExportDependency], dict[str, set[str]], dict[str, set[str]]]:
    """The exported dependencies with both ends' waves, and each item's depends-on and
    needed-by sets (read from the same constraints, so the sheets agree)."""
    depends_on: dict[str, set[str]] = defaultdict(set)
    needed_by: dict[str, set[str]] = defaultdict(set)
    dependencies = []
    for c in graph.constraints:
        edge = c.edge
        depends_on[edge.source].add(edge.target)
        needed_by[edge.target].add(edge.source)
        dependencies.append(
            ExportDependency(
                source=edge.source,
                target=edge.target,
                kind=edge.kind,
                strength=edge.strength,
                rule=c.rule,
                origin=edge.origin,
                first=c.first,
                second=c.second,
                source_wave=wave_of.get(edge.source),
                target_wave=wave_of.get(edge.target),
                observed=edge.observed is not None,
                ports=edge.observed.ports if edge.observed else "",
                observations=edge.observed.observations if edge.observed else None,
            )
        )
    return dependencies, depends_on, needed_by


def _export_plan(
    engine: Engine,
    stored: StoredPlan,
    items: list[ExportItem],
    dependencies: list[ExportDependency],
    runbooks: bool,
    runbook_time_limit: float,
    states: dict[str, Any],
) -> ExportPlan:
    """The ExportPlan: the stored plan's figures as recorded, plus waves, findings, runbooks,
    changes, progress and lineage derived from it (the exporters never open a session)."""
    plan, rows, config, graph = stored.plan, stored.rows, stored.config, stored.graph
    wave_of = stored.waves
    waves = _waves(config, max([plan.waves_used, *wave_of.values()], default=0), items)
    progress, progress_end, done_by_date = _progress(engine, plan.id or 0, states)
    root, calendar_past = _lineage(engine, plan)
    return ExportPlan(
        id=plan.id or 0,
        status=plan.status,
        created=plan.created,
        objective=json.loads(plan.objective_json or "{}"),
        bound=json.loads(plan.bound_json or "{}"),
        gap=json.loads(plan.gap_json or "{}"),
        phases=json.loads(plan.phases_json or "[]"),
        greedy=json.loads(plan.greedy_json or "{}"),
        waves_used=plan.waves_used,
        lower_bound_waves=plan.lower_bound_waves,
        solve_seconds=plan.solve_seconds,
        first_solution_seconds=plan.first_solution_seconds,
        seed=plan.seed,
        workers=plan.workers,
        time_limit=plan.time_limit,
        parent_id=plan.parent_id,
        frozen_through=plan.frozen_through,
        config_toml=plan.config_toml,
        inventory_fingerprint=plan.inventory_fingerprint,
        municipalities=tuple(sorted({row.municipality for row in rows}, key=str.casefold)),
        waves=tuple(waves),
        items=tuple(items),
        dependencies=tuple(dependencies),
        findings=tuple(_findings(graph, config)),
        runbooks=tuple(_runbooks(stored, runbooks, runbook_time_limit)),
        changes=tuple(_changes(engine, plan)),
        progress=progress,
        progress_end=progress_end,
        done_by_date=done_by_date,
        lineage_root=root,
        calendar_past=calendar_past,
    )


def _waves(config: PlanConfig, last: int, items: list[ExportItem]) -> list[ExportWave]:
    """Waves 1..`last` with their dates, capacity, effort used, downtime and server sizes."""
    windows = config.wave_windows()
    waves = []
    for number in range(1, min(last, len(windows)) + 1):
        members = [i for i in items if i.wave == number]
        used = {team: 0.0 for team in TEAMS}
        downtime: dict[str, float] = defaultdict(float)
        for item in members:
            used[item.team] = used.get(item.team, 0.0) + item.effort_hours
            downtime[item.municipality] += item.downtime_hours
        servers = [i for i in members if i.kind == "server"]
        waves.append(
            ExportWave(
                number=number,
                start=windows[number - 1][0],
                end=windows[number - 1][1],
                items=len(members),
                capacity={team: config.team_capacity(team, number) for team in TEAMS},
                used=used,
                downtime=dict(sorted(downtime.items())),
                vcpu=sum(i.vcpu or 0 for i in servers),
                ram_gb=sum(i.ram_gb or 0 for i in servers),
                storage_gb=sum(i.storage_gb or 0 for i in servers),
            )
        )
    return waves


def _state(state: Any) -> dict[str, Any]:
    """An item's recorded progress as ExportItem fields (planned when nothing was recorded)."""
    if state is None:
        return {"status": "planned"}
    return {"status": state.status, "actual_date": state.actual_date, "comment": state.comment}


def _progress(
    engine: Engine, plan_id: int, states: dict[str, Any]
) -> tuple[Any, dict[str, Any], Any]:
    """Per-wave progress, end dates and the done series, once any progress was recorded."""
    if not states:
        return (), {}, ()
    from datetime import date

    from exports.model import ExportProgressWave
    from planner.progress import progress_report

    report = progress_report(engine, plan_id)
    waves = tuple(
        ExportProgressWave(
            w["wave"],
            date.fromisoformat(w["start"]),
            date.fromisoformat(w["end"]),
            w["items"],
            w["hours"],
        )
        for w in report["waves"]
        if w["start"]
    )
    done, last = [], 0  # the done line ends at the last actual date, not at the plan's end
    for point in report["burn_up"]:
        if point["done_items"] > last:
            day = date.fromisoformat(point["date"])
            done.append((day, point["done_hours"], point["done_items"]))
            last = point["done_items"]
    return waves, report["end"], tuple(done)


def _lineage(engine: Engine, plan: Any) -> tuple[int, tuple[Any, ...]]:
    """The lineage's first plan and each earlier plan's calendar events (wave, municipality, start,
    end), root first: calendar UIDs stay the same across re-plans and SEQUENCE counts changes."""
    ancestors = []
    seen = {plan.id}
    current = plan
    while current.parent_id is not None and current.parent_id not in seen and len(seen) < 10_000:
        current = latest_plan(engine, current.parent_id)
        seen.add(current.id)
        ancestors.append(current)
    past = []
    for ancestor in reversed(ancestors):
        config = plan_config(ancestor)
        windows = config.wave_windows()
        used = sorted(
            {
                (row.wave, row.municipality)
                for row in plan_items(engine, ancestor.id or 0)
                if row.wave <= len(windows)
            }
        )
        past.append(tuple((w, m, *windows[w - 1]) for w, m in used))
    return (ancestors[-1].id if ancestors else plan.id) or 0, tuple(past)


def _changes(engine: Engine, plan: Any) -> list[Any]:
    """A re-plan's changes against its parent (the Changes sheet)."""
    if plan.parent_id is None:
        return []
    from planner.diff import diff_plans

    return diff_plans(engine, plan.parent_id, plan.id).changes


def _runbooks(stored: StoredPlan, wanted: bool, time_limit: float) -> list[Any]:
    if not wanted:
        return []
    from planner.runbook import stored_runbooks

    return [r.to_export() for r in stored_runbooks(stored, time_limit=time_limit)]


def _findings(graph: Any, config: PlanConfig) -> list[dict[str, Any]]:
    """`planner check`'s findings as plain dicts for the Checks sheet."""
    from planner.checks import run_checks

    return [
        {"code": f.code, "severity": f.severity, "message": f.message, "items": list(f.items)}
        for f in run_checks(graph, config)
    ]
