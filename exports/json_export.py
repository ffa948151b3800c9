"""`plan.json`: the plan for other programs, validated by `plan.schema.json` (draft 2020-12).

The four top-level keys and their fields are the contract in the README; extra fields
(phases, gap, greedy baseline, wave downtime, dependency origin, recorded progress) may be
added, never removed. `progress` (per wave, and the planned and forecast end) is null until
progress is recorded with `planner import-progress`; each item says its own status.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from exports.model import ExportPlan

SCHEMA_FILE = "plan.schema.json"


def schema() -> dict[str, Any]:
    """The JSON Schema kept beside this module (also shipped as package data)."""
    return json.loads(resources.files("exports").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


def _number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _utc(moment: datetime) -> datetime:
    """Stored times are UTC; SQLite returns them without a zone, RFC 3339 needs one."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def plan_document(plan: ExportPlan) -> dict[str, Any]:
    """The JSON document as Python data."""
    return {
        "plan": {
            "id": plan.id,
            "status": plan.status,
            "objective": {k: _number(v) for k, v in plan.objective.items()},
            "bound": {k: _number(v) for k, v in plan.bound.items()},
            "gap": {k: _number(v) for k, v in plan.gap.items()},
            "created": _utc(plan.created).isoformat(),
            "waves_used": plan.waves_used,
            "lower_bound_waves": plan.lower_bound_waves,
            "solve_seconds": plan.solve_seconds,
            "parent_id": plan.parent_id,
            "frozen_through": plan.frozen_through,
            "greedy": plan.greedy,
            "municipalities": list(plan.municipalities),
            "inventory_fingerprint": plan.inventory_fingerprint,
        },
        "waves": [
            {
                "number": w.number,
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "items": w.items,
                "capacity": dict(w.capacity),
                "used": dict(w.used),
                "downtime": dict(w.downtime),
                "onboard": {"vcpu": w.vcpu, "ram_gb": w.ram_gb, "storage_gb": w.storage_gb},
            }
            for w in plan.waves
        ],
        "items": [
            {
                "id": i.id,
                "municipality": i.municipality,
                "kind": i.kind,
                "name": i.name,
                "wave": i.wave,
                "move_group": i.move_group,
                "effort_hours": i.effort_hours,
                "downtime_hours": i.downtime_hours,
                "team": i.team,
                "pinned": i.pinned,
                "sources": list(i.sources),
                "status": i.status,
                "actual_date": i.actual_date.isoformat() if i.actual_date else None,
                "comment": i.comment,
            }
            for i in plan.items
        ],
        "dependencies": [
            {
                "from": d.source,
                "to": d.target,
                "kind": d.kind,
                "strength": d.strength,
                "rule": d.rule,
                "origin": d.origin,
                "first": d.first,
                "second": d.second,
                "observed": d.observed,
                "ports": d.ports or None,
                "observations": d.observations,
            }
            for d in plan.dependencies
        ],
        "progress": _progress(plan),
    }


def _progress(plan: ExportPlan) -> dict[str, Any] | None:
    """Recorded progress per wave (as `planner progress --json` counts it) and the planned
    and forecast end; None while nothing is recorded."""
    if not plan.progress:
        return None
    return {
        "waves": [
            {
                "wave": w.wave,
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "items": dict(w.items),
                "hours": {k: _number(v) for k, v in w.hours.items()},
            }
            for w in plan.progress
        ],
        "end": dict(plan.progress_end),
    }


def write_json(plan: ExportPlan, path: Path) -> Path:
    Path(path).write_text(
        json.dumps(plan_document(plan), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return path
