"""Effort and downtime of an item, with the plan's defaults where the inventory is blank."""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.snapshot import Item


@dataclass(frozen=True)
class Defaults:
    """Hours used where the inventory leaves effort_hours/downtime_hours blank (`[defaults]` in
    plan.toml)."""

    effort_hours: dict[str, float] = field(
        default_factory=lambda: {
            "network": 16.0,
            "directory": 40.0,
            "server": 4.0,
            "application": 16.0,
            "workplace_per_pc": 1.5,
        }
    )
    downtime_hours: dict[str, float] = field(
        default_factory=lambda: {
            "network": 1.0,
            "directory": 1.0,
            "server": 2.0,
            "application": 4.0,
            "workplace": 0.0,
        }
    )
    #: per application strategy, overriding the application default (e.g. retire = 4 h)
    effort_by_strategy: dict[str, float] = field(default_factory=dict)


def effort_hours(item: Item, defaults: Defaults) -> float:
    """Hours of team work to move an item."""
    value = item.get("effort_hours")
    if value is not None:
        return float(value)
    if item.kind == "workplace":
        return float(item.get("pcs", 0)) * defaults.effort_hours.get("workplace_per_pc", 1.5)
    if item.kind == "application" and item.get("strategy") in defaults.effort_by_strategy:
        return defaults.effort_by_strategy[item.get("strategy")]
    return defaults.effort_hours.get(item.kind, 0.0)


def downtime_hours(item: Item, defaults: Defaults) -> float:
    """Hours an item is unavailable during its cutover."""
    value = item.get("downtime_hours")
    if value is not None:
        return float(value)
    return defaults.downtime_hours.get(item.kind, 0.0)
