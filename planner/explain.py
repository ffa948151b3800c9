"""Infeasibility in the planner's words.

The solver returns a small set of conflicting rule groups (`solvers.waves.explain.Cause`);
this module names the items, dependencies, dates and capacities behind each of them.
"""

from __future__ import annotations

from planner.graph import SAME_WAVE, STRICTLY_BEFORE, Constraint, DependencyGraph
from planner.problem import SCALE, PlanningProblem
from solvers.waves.explain import Cause, explain_infeasible

VERBS = {
    "runs_on": "runs on",
    "connected_via": "is connected via",
    "joined_to": "is joined to",
    "authenticates_with": "authenticates with",
    "uses": "uses",
    "integrates_with": "integrates with",
    "hosted_by": "is hosted by",
    "consolidates_into": "is consolidated into",
    "located_at": "is located at",
}
RULE_WORDS = {
    SAME_WAVE: "so both move in the same wave",
    STRICTLY_BEFORE: "which must move in an earlier wave",
    "before_or_same": "which must move in the same or an earlier wave",
}


def explain(
    planning: PlanningProblem, graph: DependencyGraph, time_limit: float = 20.0
) -> list[str]:
    """Sentences naming a small set of rules that together admit no plan."""
    causes = explain_infeasible(planning.problem, time_limit=time_limit)
    if not causes:
        return [
            "CP-SAT proved that no plan exists, but no small set of causes was isolated in time; "
            "try fewer pins and windows, or more waves or capacity"
        ]
    return [describe(cause, planning, graph) for cause in causes]


def _members(planning: PlanningProblem, task: int | None) -> list[str]:
    return planning.members[planning.groups[task]] if task is not None else []


def _label(planning: PlanningProblem, task: int | None) -> str:
    return planning.problem.names[task] if task is not None else "?"


def describe(cause: Cause, planning: PlanningProblem, graph: DependencyGraph) -> str:
    """One sentence for one cause."""
    members = _members(planning, cause.task)
    if cause.kind == "pin":
        pinned = [
            n
            for n in members
            if planning.pins.get(n) == cause.wave or planning.frozen.get(n) == cause.wave
        ]
        who = pinned[0] if pinned else _label(planning, cause.task)
        how = "was executed in" if pinned and pinned[0] in planning.frozen else "is pinned to"
        return f"{who} {how} wave {cause.wave}" + _together(members, who)
    if cause.kind == "window":
        lo, hi = planning.problem.window(cause.task or 0)
        reasons = sorted(
            {planning.item_windows[n][2] for n in members if n in planning.item_windows}
        )
        return f"{_label(planning, cause.task)} may only move in waves {lo}..{hi}" + (
            f" ({'; '.join(reasons)})" if reasons else ""
        )
    if cause.kind == "forbidden":
        parts = [
            f"{n}'s blackout dates rule out waves {_ranges(planning.blackouts[n])}"
            for n in members
            if n in planning.blackouts
        ]
        return "; ".join(parts) or f"{_label(planning, cause.task)} has blackout dates"
    if cause.kind == "capacity":
        r = planning.problem.resources.index(cause.resource or "")
        cap = planning.problem.capacity[(cause.wave or 1) - 1][r]
        label = planning.resource_labels.get(cause.resource or "", cause.resource)
        return f"wave {cause.wave} has {_amount(cause.resource, cap)} of {label}"
    if cause.kind == "precedence":
        return _precedence(cause, planning, graph)
    if cause.kind == "horizon":
        return (
            f"the calendar has only {planning.problem.max_waves} waves (calendar.max_waves, "
            "no_wave_dates)"
        )
    if cause.kind == "oversized":
        r = planning.problem.resources.index(cause.resource or "")
        need = planning.problem.demand[cause.task or 0][r]
        most = max(row[r] for row in planning.problem.capacity)
        label = planning.resource_labels.get(cause.resource or "", cause.resource)
        return (
            f"{_label(planning, cause.task)} needs {_amount(cause.resource, need)} of {label}, "
            f"more than any wave has ({_amount(cause.resource, most)}); "
            "its members must move together: "
            + ", ".join(members[:8])
            + (" …" if len(members) > 8 else "")
        )
    return f"{cause.kind} rule of {_label(planning, cause.task)}"


def _together(members: list[str], who: str) -> str:
    others = [n for n in members if n != who]
    if not others:
        return ""
    return (
        f", and {others[0]}"
        + (f" and {len(others) - 1} more" if len(others) > 1 else "")
        + " must move with it"
    )


def _precedence(cause: Cause, planning: PlanningProblem, graph: DependencyGraph) -> str:
    first, second = planning.groups[cause.task or 0], planning.groups[cause.other or 0]
    found: Constraint | None = None
    for c in graph.constraints:
        if graph.group_of[c.first] == first and graph.group_of[c.second] == second:
            found = c
            if c.rule == cause.rule:
                break
    if found is None:
        return (
            f"{_label(planning, cause.task)} must move {cause.rule} {_label(planning, cause.other)}"
        )
    edge = found.edge
    verb = VERBS.get(edge.kind, edge.kind.replace("_", " "))
    if found.first == edge.source:  # a retired application: its users come first
        return (
            f"{edge.source} {verb} {edge.target}, "
            f"which is retired no earlier than it ({edge.origin})"
        )
    return (
        f"{edge.source} {verb} {edge.target}, "
        f"{RULE_WORDS.get(found.rule, found.rule)} ({edge.origin})"
    )


def _amount(resource: str | None, value: int) -> str:
    if resource and resource.startswith("users:"):
        return f"{value:,} users"
    hours = value / SCALE
    unit = "" if resource and resource.startswith("onboard:") else " h"
    return f"{hours:,.1f}{unit}"


def _ranges(waves: list[int]) -> str:
    parts: list[str] = []
    start: int | None = waves[0]  # None only after the last wave
    for a, b in zip(waves, waves[1:] + [None]):  # type: ignore[operator]
        if b != a + 1:
            parts.append(f"{start}" if start == a else f"{start}-{a}")
            start = b
    return ", ".join(parts)
