"""Building the solver's `WaveProblem` from the inventory graph and `plan.toml`.

This is the one boundary between the planner's world (items, municipalities, hours,
dates) and the solver's (integer task indices, integer demands). Tasks are move groups;
hours are scaled by `SCALE` so that 1.5 h per PC stays exact.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from inventories.values import parse_ranges
from planner.config import TEAMS, PlanConfig
from planner.effort import Defaults, downtime_hours, effort_hours
from exports.errors import PlannerError
from planner.graph import BEFORE_OR_SAME, STRICTLY_BEFORE, DependencyGraph, group_edges, soft_pairs
from planner.snapshot import Item
from solvers.waves.problem import WaveProblem

SCALE = 10  # tenths of an hour


def scaled(hours: float) -> int:
    """A demand in solver units, rounded up so a plan the solver accepts never overloads a wave."""
    return int(math.ceil(hours * SCALE - 1e-9))


def scaled_capacity(hours: float) -> int:
    """A capacity in solver units, rounded down for the same reason."""
    return int(math.floor(hours * SCALE + 1e-9))


@dataclass
class PlanningProblem:
    """The solver problem plus the maps needed to read its answer back."""

    problem: WaveProblem
    groups: list[str]  # task index -> move group id
    members: dict[str, list[str]]  # move group id -> item ids
    windows: list[tuple[date, date]]
    resource_labels: dict[str, str]  # resource name -> words for messages
    pins: dict[str, int] = field(
        default_factory=dict
    )  # item id -> wave (config + handed-back pins)
    frozen: dict[str, int] = field(
        default_factory=dict
    )  # item id -> wave kept from the previous plan
    item_windows: dict[str, tuple[int, int, str]] = field(
        default_factory=dict
    )  # item -> (lo, hi, why)
    blackouts: dict[str, list[int]] = field(
        default_factory=dict
    )  # item -> waves its blackout forbids
    notes: list[str] = field(default_factory=list)


def team_of(item: Item) -> str:
    """Each item belongs to the team of its kind."""
    return item.kind


def criticality_weight(item: Item, config: PlanConfig) -> int:
    return config.weights.criticality.get(item.get("criticality") or "medium", 2)


def build_problem(
    graph: DependencyGraph,
    config: PlanConfig,
    *,
    pins: dict[str, int] | None = None,
    previous: dict[str, int] | None = None,
    freeze_through: int = 0,
) -> PlanningProblem:
    """Translate graph + configuration into a WaveProblem over move groups."""
    windows = config.wave_windows()
    m = len(windows)
    groups = [g.id for g in graph.groups]
    index = {g: i for i, g in enumerate(groups)}
    members = {g.id: g.members for g in graph.groups}
    planning = PlanningProblem(None, groups, members, windows, {})  # type: ignore[arg-type]

    resources, labels = _resources(graph, config)
    planning.resource_labels = labels
    demand = _demand(graph, config, resources, index)
    capacity = [
        [_capacity(resource, wave, config, graph) for resource in resources]
        for wave in range(1, m + 1)
    ]
    _check_target_totals(graph, config)
    earliest, latest = _group_windows(graph, config, planning, index, m)
    resolved_pins = _group_pins(graph, config, planning, index, pins, previous, freeze_through)
    if freeze_through:
        # Nothing new may be placed in an executed wave.
        frozen_groups = {t for t, (w, _) in resolved_pins.items() if w <= freeze_through}
        for t in range(len(groups)):
            if t not in frozen_groups and freeze_through + 1 <= m:
                earliest[t] = max(earliest[t], freeze_through + 1)
    forbidden = _blackout_waves(graph, planning, index)
    before, strict, soft = _precedence(graph, config, index)

    problem = WaveProblem(
        names=tuple(_label(members[g]) for g in groups),
        resources=tuple(resources),
        demand=tuple(tuple(row) for row in demand),
        capacity=tuple(tuple(row) for row in capacity),
        max_waves=m,
        before_or_same=tuple(before),
        strictly_before=tuple(strict),
        soft=tuple(soft),
        earliest=tuple(earliest),
        latest=tuple(latest),
        pins=tuple((t, w) for t, (w, _) in sorted(resolved_pins.items())),
        forbidden=tuple((t, tuple(sorted(ws))) for t, ws in sorted(forbidden.items())),
        downtime_weight=tuple(_downtime_weights(graph, config, index)),
        previous=tuple(_previous_waves(graph, index, previous, m)) if previous else (),
    )
    planning.problem = problem
    return planning


def _demand(
    graph: DependencyGraph, config: PlanConfig, resources: list[str], index: dict[str, int]
) -> list[list[int]]:
    """Each move group's demand on each resource, summed over its members."""
    defaults: Defaults = config.effort_defaults()
    r_index = {r: i for i, r in enumerate(resources)}
    demand = [[0] * len(resources) for _ in index]
    for g in graph.groups:
        row = demand[index[g.id]]
        for node in g.members:
            _add_demand(row, r_index, graph.snapshot.items[node], config, defaults)
    return demand


def _group_windows(
    graph: DependencyGraph,
    config: PlanConfig,
    planning: PlanningProblem,
    index: dict[str, int],
    m: int,
) -> tuple[list[int], list[int]]:
    """Earliest and latest wave per move group: the tightest of its members' windows."""
    groups = planning.groups
    earliest, latest = [1] * len(groups), [m] * len(groups)
    why: list[list[str]] = [[] for _ in groups]
    for node, (lo, hi, reason) in _item_windows(graph, config, m).items():
        planning.item_windows[node] = (lo, hi, reason)
        t = index[graph.group_of[node]]
        earliest[t], latest[t] = max(earliest[t], lo), min(latest[t], hi)
        why[t].append(f"{node}: {reason}")
    for t in range(len(groups)):
        if earliest[t] > latest[t]:
            raise PlannerError(
                "no wave fits move group {0}: {1}".format(groups[t], "; ".join(why[t]))
            )
    return earliest, latest


def _group_pins(
    graph: DependencyGraph,
    config: PlanConfig,
    planning: PlanningProblem,
    index: dict[str, int],
    pins: dict[str, int] | None,
    previous: dict[str, int] | None,
    freeze_through: int,
) -> dict[int, tuple[int, str]]:
    """Pins (handed back and from plan.toml) and executed waves, per move group."""
    snapshot, groups, m = graph.snapshot, planning.groups, len(planning.windows)
    all_pins = {**(pins or {}), **{k: v for k, v in config.pins.items()}}
    resolved_pins: dict[int, tuple[int, str]] = {}
    for text, wave in sorted(all_pins.items()):
        resolved = snapshot.resolve(text)
        if resolved is None:
            raise PlannerError(f"pins: {text!r} names no item (write municipality/kind/name)")
        if resolved not in graph.planned:
            raise PlannerError(
                f"pins: {resolved} is not planned (retained applications and sites get no wave)"
            )
        if wave > m:
            raise PlannerError(
                f"pins: {resolved} is pinned to wave {wave}, but the calendar has {m} waves"
            )
        planning.pins[resolved] = wave
        _pin(resolved_pins, index[graph.group_of[resolved]], wave, resolved, groups)
    if previous and freeze_through:
        for node, wave in previous.items():
            if wave <= freeze_through and node in graph.group_of:
                planning.frozen[node] = wave
                _pin(
                    resolved_pins,
                    index[graph.group_of[node]],
                    wave,
                    f"{node} (executed in wave {wave})",
                    groups,
                )
    return resolved_pins


def _blackout_waves(
    graph: DependencyGraph, planning: PlanningProblem, index: dict[str, int]
) -> dict[int, set[int]]:
    """The waves whose dates overlap an application's blackout, per move group."""
    forbidden: dict[int, set[int]] = defaultdict(set)
    for node in graph.planned:
        item = graph.snapshot.items[node]
        if item.kind != "application" or not item.get("blackout"):
            continue
        ranges = parse_ranges(item.get("blackout"))
        blocked = [
            w
            for w, (start, end) in enumerate(planning.windows, start=1)
            if any(b_start <= end and start <= b_end for b_start, b_end in ranges)
        ]
        if blocked:
            planning.blackouts[node] = blocked
            forbidden[index[graph.group_of[node]]].update(blocked)
    return forbidden


def _precedence(
    graph: DependencyGraph,
    config: PlanConfig,
    index: dict[str, int],
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int, int]]]:
    """Before-or-same and strictly-before pairs of groups, and weighted soft pairs."""
    before, strict = [], []
    for (a, b), rule in sorted(group_edges(graph).items()):
        if rule == BEFORE_OR_SAME:
            before.append((index[a], index[b]))
        elif rule == STRICTLY_BEFORE:
            strict.append((index[a], index[b]))
    soft = [
        (index[a], index[b], w * config.weights.soft_split)
        for (a, b), w in sorted(soft_pairs(graph).items())
        if config.weights.soft_split > 0
    ]
    return before, strict, soft


def _downtime_weights(
    graph: DependencyGraph, config: PlanConfig, index: dict[str, int]
) -> list[int]:
    """Downtime weighted by criticality and users: what the downtime phase spreads out."""
    defaults = config.effort_defaults()
    weights = [0] * len(index)
    for g in graph.groups:
        for node in g.members:
            item = graph.snapshot.items[node]
            users = item.get("users") or 0
            weights[index[g.id]] += int(
                round(
                    downtime_hours(item, defaults)
                    * criticality_weight(item, config)
                    * (1 + users / 1000)
                )
            )
    return weights


def _previous_waves(
    graph: DependencyGraph, index: dict[str, int], previous: dict[str, int] | None, m: int
) -> list[int]:
    """Each group's wave in the previous plan (its members' most common one; 0: none)."""
    prev = [0] * len(index)
    for g in graph.groups:
        waves = Counter(
            previous[n] for n in g.members if previous and n in previous and previous[n] <= m
        )
        if waves:
            prev[index[g.id]] = waves.most_common(1)[0][0]
    return prev


def _label(members: list[str]) -> str:
    return members[0] if len(members) == 1 else f"{members[0]} (+{len(members) - 1} moving with it)"


def _pin(pins: dict[int, tuple[int, str]], t: int, wave: int, what: str, groups: list[str]) -> None:
    old = pins.get(t)
    if old and old[0] != wave:
        raise PlannerError(
            f"{what} is pinned to wave {wave}, but {old[1]} is pinned to wave {old[0]} "
            f"and both must move together (move group {groups[t]})"
        )
    pins[t] = (wave, what)


def _resources(graph: DependencyGraph, config: PlanConfig) -> tuple[list[str], dict[str, str]]:
    resources = list(TEAMS)
    labels = {team: f"{team} team capacity" for team in TEAMS}
    target = config.target
    for name in ("vcpu", "ram_gb", "storage_gb"):
        if getattr(target, f"onboard_{name}_per_wave") is not None:
            resources.append(f"onboard:{name}")
            labels[f"onboard:{name}"] = f"{name} onboarding per wave"
    if config.downtime.max_hours_per_municipality_per_wave is not None:
        for muni in graph.snapshot.municipalities:
            resources.append(f"downtime:{muni}")
            labels[f"downtime:{muni}"] = f"{muni}'s downtime limit per wave"
    if config.downtime.max_critical_hours_per_wave is not None:
        resources.append("downtime:critical")
        labels["downtime:critical"] = "the downtime limit of critical applications per wave"
    if config.order.max_user_share_per_wave is not None:
        for muni in graph.snapshot.municipalities:
            resources.append(f"users:{muni}")
            labels[f"users:{muni}"] = f"{muni}'s share of users affected per wave"
    return resources, labels


def _add_demand(
    row: list[int], r_index: dict[str, int], item: Item, config: PlanConfig, defaults: Defaults
) -> None:
    row[r_index[team_of(item)]] += scaled(effort_hours(item, defaults))
    if item.kind == "server":
        for name in ("vcpu", "ram_gb", "storage_gb"):
            key = f"onboard:{name}"
            if key in r_index:
                row[r_index[key]] += scaled(item.get(name) or 0)
    down = scaled(downtime_hours(item, defaults))
    key = f"downtime:{item.municipality}"
    if key in r_index:
        row[r_index[key]] += down
    if (
        "downtime:critical" in r_index
        and item.kind == "application"
        and item.get("criticality") == "critical"
    ):
        row[r_index["downtime:critical"]] += down
    key = f"users:{item.municipality}"
    if key in r_index and item.kind == "workplace":
        row[r_index[key]] += item.get("users") or 0


def _capacity(resource: str, wave: int, config: PlanConfig, graph: DependencyGraph) -> int:
    if resource in TEAMS:
        return scaled_capacity(config.team_capacity(resource, wave))
    kind, _, name = resource.partition(":")
    if kind == "onboard":
        return scaled_capacity(getattr(config.target, f"onboard_{name}_per_wave"))
    if kind == "downtime" and name == "critical":
        return scaled_capacity(config.downtime.max_critical_hours_per_wave or 0)
    if kind == "downtime":
        return scaled_capacity(config.downtime.max_hours_per_municipality_per_wave or 0)
    if kind == "users":
        users = graph.snapshot.municipalities[name].get("users") or sum(
            i.get("users") or 0
            for i in graph.snapshot.of_kind("workplace")
            if i.municipality == name
        )
        return int(math.floor((config.order.max_user_share_per_wave or 1) * users))
    raise AssertionError(resource)


def _check_target_totals(graph: DependencyGraph, config: PlanConfig) -> None:
    """The common platform must hold everything that moves onto it."""
    for name, label in (("vcpu", "vCPU"), ("ram_gb", "GB RAM"), ("storage_gb", "GB storage")):
        limit = getattr(config.target, name)
        if limit is None:
            continue
        total = sum(
            graph.snapshot.items[n].get(name) or 0
            for n in graph.planned
            if graph.snapshot.items[n].kind == "server"
        )
        if total > limit:
            raise PlannerError(
                f"the servers to move need {total:,.0f} {label}, but the target platform has "
                f"{limit:,.0f} (target.{name}); no plan can fit them"
            )


def _item_windows(
    graph: DependencyGraph, config: PlanConfig, m: int
) -> dict[str, tuple[int, int, str]]:
    """Earliest/latest wave per item from [windows], critical_not_before and the pilot."""
    result: dict[str, tuple[int, int, str]] = {}
    snapshot = graph.snapshot
    for text, window in config.windows.items():
        node = snapshot.resolve(text)
        if node is None:
            raise PlannerError(f"windows: {text!r} names no item (write municipality/kind/name)")
        lo, hi = window.earliest or 1, min(window.latest or m, m)
        if lo > m:
            raise PlannerError(
                f"windows: {node} may not move before wave {lo}, but the calendar has {m} waves"
            )
        result[node] = (lo, hi, f"window waves {lo}..{hi} in plan.toml")
    if config.rules.critical_not_before > 1:
        lo = min(config.rules.critical_not_before, m)
        for node in graph.planned:
            item = snapshot.items[node]
            if item.kind == "application" and item.get("criticality") == "critical":
                old = result.get(node, (1, m, ""))
                result[node] = (
                    max(old[0], lo),
                    old[1],
                    "critical applications not before wave "
                    f"{config.rules.critical_not_before}" + (f"; {old[2]}" if old[2] else ""),
                )
    pilot = config.order.pilot
    if pilot:
        name = snapshot.municipality_name(pilot)
        if name is None:
            raise PlannerError(f"order.pilot: {pilot!r} is not an imported municipality")
        pilot_groups = {
            graph.group_of[n] for n in graph.planned if snapshot.items[n].municipality == name
        }
        for node in graph.planned:
            if graph.group_of[node] not in pilot_groups and m > 1:
                old = result.get(node, (1, m, ""))
                result[node] = (
                    max(old[0], 2),
                    old[1],
                    f"wave 1 is the pilot {name}'s" + (f"; {old[2]}" if old[2] else ""),
                )
    return result
