"""What changed between two plans: moved, added and removed items, and waves whose dates changed.

Why: after a re-plan everyone holds the old plan; the programme office needs the list of
changes, not two spreadsheets to compare. Where the cause of a move is known it is named:
a pin, the item's recorded status, a change of the item in the inventory (its effort or
downtime), or a change of the wave's capacity or the calendar in plan.toml. Items are
matched by their id case-insensitively, so a re-import that only changes case moves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from exports.model import ExportChange
from planner.config import PlanConfig
from exports.errors import PlannerError
from planner.models import Plan, PlanItem
from planner.planning import latest_plan, plan_config, plan_items
from planner.progress import DONE, State, current


@dataclass
class PlanDiff:
    """The changes from `plan_a` to `plan_b`, with plan B's moved objective and its bound."""

    plan_a: int
    plan_b: int
    changes: list[ExportChange] = field(default_factory=list)
    moved_groups: float | None = None
    moved_bound: float | None = None

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    def headline(self) -> str:
        text = (
            f"{self.count('moved')} moved, {self.count('added')} added, "
            f"{self.count('removed')} removed, "
            f"{self.count('wave_dates') + self.count('wave_cancelled')} wave(s) changed"
        )
        if self.moved_groups is not None:
            text += f"; {self.moved_groups:g} move group(s) moved"
            if self.moved_bound is not None:
                text += f" against a bound of {self.moved_bound:g}"
        return text

    def as_dict(self) -> dict[str, Any]:
        """The JSON of `planner diff --json`."""

        def item(c: ExportChange) -> dict[str, Any]:
            return {"item": c.item, "from": c.from_wave, "to": c.to_wave, "why": c.why}

        def span(d: Any) -> dict[str, str] | None:
            return {"start": d[0].isoformat(), "end": d[1].isoformat()} if d else None

        def wave(c: ExportChange) -> dict[str, Any]:
            return {
                "wave": c.wave,
                "change": "dates" if c.kind == "wave_dates" else "cancelled",
                "from": span(c.from_dates),
                "to": span(c.to_dates),
                "why": c.why,
            }

        return {
            "plan_a": self.plan_a,
            "plan_b": self.plan_b,
            "moved": [item(c) for c in self.changes if c.kind == "moved"],
            "added": [item(c) for c in self.changes if c.kind == "added"],
            "removed": [item(c) for c in self.changes if c.kind == "removed"],
            "waves": [wave(c) for c in self.changes if c.kind in ("wave_dates", "wave_cancelled")],
            "summary": {
                "moved": self.count("moved"),
                "added": self.count("added"),
                "removed": self.count("removed"),
                "waves": self.count("wave_dates") + self.count("wave_cancelled"),
                "moved_groups": self.moved_groups,
                "moved_bound": self.moved_bound,
            },
        }


def _plans(engine: Engine, a: int | None, b: int | None) -> tuple[Plan, Plan]:
    plan_b = latest_plan(engine, b)
    if a is None:
        if plan_b.parent_id is None:
            raise PlannerError(
                f"plan {plan_b.id} is not a re-plan, so it has no parent to compare "
                "with; name two plans: planner diff A B"
            )
        a = plan_b.parent_id
    return latest_plan(engine, a), plan_b


def _config(plan: Plan) -> PlanConfig:
    return plan_config(plan)  # with the first wave recorded when it was made


def diff_plans(engine: Engine, a: int | None = None, b: int | None = None) -> PlanDiff:
    """The changes from plan `a` (default: `b`'s parent) to plan `b` (default: the latest)."""
    plan_a, plan_b = _plans(engine, a, b)
    assert plan_a.id is not None and plan_b.id is not None
    rows_a = {r.item_id.casefold(): r for r in plan_items(engine, plan_a.id)}
    rows_b = {r.item_id.casefold(): r for r in plan_items(engine, plan_b.id)}
    config_a, config_b = _config(plan_a), _config(plan_b)
    states = current(engine, plan_a.id)
    inventory_changed = plan_a.inventory_fingerprint != plan_b.inventory_fingerprint
    result = PlanDiff(plan_a.id, plan_b.id)
    for key in sorted(rows_a.keys() | rows_b.keys()):
        old, new = rows_a.get(key), rows_b.get(key)
        if old is None and new is not None:
            why = "new in the inventory" if inventory_changed else ""
            result.changes.append(
                ExportChange("added", new.item_id, new.wave, to_wave=new.wave, why=why)
            )
        elif new is None and old is not None:
            result.changes.append(
                ExportChange(
                    "removed",
                    old.item_id,
                    old.wave,
                    from_wave=old.wave,
                    why=_removed_why(engine, old),
                )
            )
        elif old is not None and new is not None and old.wave != new.wave:
            why = _moved_why(old, new, states.get(old.item_id, State()), config_a, config_b)
            result.changes.append(
                ExportChange("moved", new.item_id, new.wave, old.wave, new.wave, why=why)
            )
    result.changes += _wave_changes(rows_a.values(), rows_b.values(), config_a, config_b)
    if plan_b.parent_id == plan_a.id:
        import json

        result.moved_groups = json.loads(plan_b.objective_json or "{}").get("moved")
        result.moved_bound = json.loads(plan_b.bound_json or "{}").get("moved")
    return result


def _moved_why(
    old: PlanItem, new: PlanItem, state: State, config_a: PlanConfig, config_b: PlanConfig
) -> str:
    """The first known cause of a move, in the words a project manager uses."""
    reasons = []
    if state.status not in ("planned", DONE):
        when = f" on {state.actual_date.isoformat()}" if state.actual_date else ""
        reasons.append(
            f"{state.status}{when} in wave {old.wave}"
            + (f" ({state.comment})" if state.comment else "")
        )
    if new.pinned is not None and new.pinned == new.wave and old.pinned != new.pinned:
        reasons.append(f"pinned to wave {new.pinned}")
    if abs(old.effort_hours - new.effort_hours) > 1e-9:
        reasons.append(f"inventory change: effort {old.effort_hours:g} h → {new.effort_hours:g} h")
    if abs(old.downtime_hours - new.downtime_hours) > 1e-9:
        reasons.append(
            f"inventory change: downtime {old.downtime_hours:g} h → {new.downtime_hours:g} h"
        )
    if old.wave > config_b.max_waves():
        reasons.append(f"the calendar has no wave {old.wave} any more")
    elif config_b.team_capacity(old.kind, old.wave) < config_a.team_capacity(old.kind, old.wave):
        reasons.append(
            f"capacity: the {old.kind} team's hours in wave {old.wave} fell from "
            f"{config_a.team_capacity(old.kind, old.wave):g} to "
            f"{config_b.team_capacity(old.kind, old.wave):g}"
        )
    return "; ".join(reasons)


def _removed_why(engine: Engine, old: PlanItem) -> str:
    from planner.snapshot import load

    snapshot = load(engine)
    if snapshot.resolve(old.item_id) is None:
        return "no longer in the inventory"
    return "no longer moved (retained, or not a moving kind)"


def _wave_changes(
    rows_a: Any, rows_b: Any, config_a: PlanConfig, config_b: PlanConfig
) -> list[ExportChange]:
    """Waves used in both plans whose dates differ, and waves plan B no longer uses."""
    used_a, used_b = {r.wave for r in rows_a}, {r.wave for r in rows_b}
    windows_a, windows_b = config_a.wave_windows(), config_b.wave_windows()
    found = []
    for wave in sorted(used_a | used_b):
        old = windows_a[wave - 1] if wave <= len(windows_a) else None
        new = windows_b[wave - 1] if wave <= len(windows_b) else None
        if wave in used_a and wave not in used_b:
            found.append(
                ExportChange(
                    "wave_cancelled",
                    None,
                    wave,
                    from_dates=old,
                    to_dates=None,
                    why="no item is planned in it any more",
                )
            )
        elif wave in used_a and old != new:
            found.append(
                ExportChange(
                    "wave_dates",
                    None,
                    wave,
                    from_dates=old,
                    to_dates=new,
                    why="the calendar in plan.toml changed",
                )
            )
    return found
