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
from planner.config import PlanConfig, parse_config
from planner.graph import build
from planner.planning import latest_plan, plan_items, stored_pins
from planner.snapshot import load


def load_export(engine: Engine, plan_id: int | None = None, *, runbooks: bool = False,
                runbook_time_limit: float = 10.0) -> ExportPlan:
    """The plan with this id (default: the newest) as plain data for the exporters.

    `runbooks=True` adds every wave's cutover runbook (one solve per wave, up to
    `runbook_time_limit` seconds each, the search for items to move included): off by default
    so that a plain export stays fast.
    """
    plan = latest_plan(engine, plan_id)
    rows = plan_items(engine, plan.id or 0)
    config = parse_config(plan.config_toml) if plan.config_toml else PlanConfig()
    snapshot = load(engine)
    graph = build(snapshot, config.effort_defaults())
    pins = stored_pins(engine)
    from planner.items import item_sources  # issue 17: where each item comes from

    sources = item_sources(engine)
    wave_of = {row.item_id: row.wave for row in rows}

    depends_on: dict[str, set[str]] = defaultdict(set)
    needed_by: dict[str, set[str]] = defaultdict(set)
    dependencies = []
    for c in graph.constraints:
        edge = c.edge
        depends_on[edge.source].add(edge.target)
        needed_by[edge.target].add(edge.source)
        dependencies.append(ExportDependency(
            source=edge.source, target=edge.target, kind=edge.kind, strength=edge.strength, rule=c.rule,
            origin=edge.origin, first=c.first, second=c.second, source_wave=wave_of.get(edge.source),
            target_wave=wave_of.get(edge.target)))

    items = []
    for row in rows:
        inv = snapshot.items.get(row.item_id)
        fields: dict[str, Any] = inv.fields if inv else {}
        items.append(ExportItem(
            id=row.item_id, municipality=row.municipality, kind=row.kind, name=row.name, wave=row.wave,
            move_group=row.move_group, effort_hours=row.effort_hours, downtime_hours=row.downtime_hours,
            team=row.kind, function=fields.get("function"), criticality=fields.get("criticality"),
            owner=fields.get("owner"), blackout=fields.get("blackout"), strategy=fields.get("strategy"),
            sources=tuple(sources.get(row.item_id, ())),
            vcpu=fields.get("vcpu"), ram_gb=fields.get("ram_gb"), storage_gb=fields.get("storage_gb"),
            depends_on=tuple(sorted(depends_on.get(row.item_id, ()))),
            needed_by=tuple(sorted(needed_by.get(row.item_id, ()))),
            pinned=row.pinned, pin=pins.get(row.item_id)))
    items.sort(key=lambda i: (i.wave, i.municipality.casefold(), i.kind, i.name.casefold()))

    windows = config.wave_windows()
    last = max([plan.waves_used, *wave_of.values()], default=0)
    waves = []
    for number in range(1, min(last, len(windows)) + 1):
        members = [i for i in items if i.wave == number]
        used = {team: 0.0 for team in TEAMS}
        downtime: dict[str, float] = defaultdict(float)
        for item in members:
            used[item.team] = used.get(item.team, 0.0) + item.effort_hours
            downtime[item.municipality] += item.downtime_hours
        servers = [i for i in members if i.kind == "server"]
        waves.append(ExportWave(
            number=number, start=windows[number - 1][0], end=windows[number - 1][1], items=len(members),
            capacity={team: config.team_capacity(team, number) for team in TEAMS}, used=used,
            downtime=dict(sorted(downtime.items())),
            vcpu=sum(i.vcpu or 0 for i in servers), ram_gb=sum(i.ram_gb or 0 for i in servers),
            storage_gb=sum(i.storage_gb or 0 for i in servers)))

    return ExportPlan(
        id=plan.id or 0, status=plan.status, created=plan.created,
        objective=json.loads(plan.objective_json or "{}"), bound=json.loads(plan.bound_json or "{}"),
        gap=json.loads(plan.gap_json or "{}"), phases=json.loads(plan.phases_json or "[]"),
        greedy=json.loads(plan.greedy_json or "{}"), waves_used=plan.waves_used,
        lower_bound_waves=plan.lower_bound_waves, solve_seconds=plan.solve_seconds,
        first_solution_seconds=plan.first_solution_seconds, seed=plan.seed, workers=plan.workers,
        time_limit=plan.time_limit, parent_id=plan.parent_id, frozen_through=plan.frozen_through,
        config_toml=plan.config_toml, inventory_fingerprint=plan.inventory_fingerprint,
        municipalities=tuple(sorted({row.municipality for row in rows}, key=str.casefold)),
        waves=tuple(waves), items=tuple(items), dependencies=tuple(dependencies),
        findings=tuple(_findings(graph, config)), runbooks=tuple(_runbooks(engine, plan.id, runbooks,
                                                                           runbook_time_limit)))


def _runbooks(engine: Engine, plan_id: int | None, wanted: bool, time_limit: float) -> list[Any]:
    if not wanted:
        return []
    from planner.runbook import runbooks_for_plan

    return [r.to_export() for r in runbooks_for_plan(engine, plan_id, time_limit=time_limit)]


def _findings(graph: Any, config: PlanConfig) -> list[dict[str, Any]]:
    """`planner check`'s findings as plain dicts for the Checks sheet."""
    from planner.checks import run_checks

    return [{"code": f.code, "severity": f.severity, "message": f.message, "items": list(f.items)}
            for f in run_checks(graph, config)]
