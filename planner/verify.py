"""The independent plan verifier.

Written apart from the solver model and the problem builder: it re-reads the stored
plan, the inventory and the plan's own configuration, recomputes every hard
constraint item by item in plain loops, and lists each violation in words. A plan the
tests solve is always passed through here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from inventories.values import parse_ranges
from planner.config import TEAMS, PlanConfig
from planner.effort import downtime_hours, effort_hours
from planner.graph import BEFORE_OR_SAME, SAME_WAVE, STRICTLY_BEFORE, DependencyGraph
from planner.models import Plan, PlanItem
from planner.snapshot import Snapshot
from planner.progress_replan import progress_checks
from planner.stored import StoredPlan

EPS = 1e-6


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str


def verify_plan(engine: Engine, plan: Plan, snapshot: Snapshot | None = None) -> list[Violation]:
    """Every hard constraint the stored plan breaks, in words (empty: the plan is valid).

    `snapshot` checks against the inventory the plan was made from (right after planning,
    while a colleague may have imported since); by default the current inventory.
    """
    return verify_stored(StoredPlan.of(engine, plan, snapshot))


def verify_stored(stored: StoredPlan) -> list[Violation]:
    """`verify_plan` for a plan opened with `planner.stored.open_plan`."""
    config, snapshot, graph = stored.config, stored.snapshot, stored.graph
    wave = stored.waves
    m = len(config.wave_windows())
    # A re-plan from progress takes done items as facts: their rules are not checked.
    settled, progress_rules = progress_checks(stored.engine, stored.plan, wave, graph.planned)
    return [
        *_coverage(graph, wave, m),
        *(Violation(rule, message) for rule, message in progress_rules),
        *_dependencies(graph, wave, settled),
        *_capacities(config, snapshot, wave, m),
        *_target_totals(config, snapshot, wave),
        *_blackouts_and_rules(config, snapshot, wave),
        *_windows_and_pins(config, snapshot, wave, stored.rows, m),
        *_pilot(config, graph, wave, m),
        *_frozen(stored),
    ]


def _coverage(graph: DependencyGraph, wave: dict[str, int], m: int) -> list[Violation]:
    """Every planned item has exactly one wave inside the calendar; nothing else has one."""
    found = [
        Violation("coverage", f"{node} has no wave")
        for node in sorted(graph.planned)
        if node not in wave
    ]
    for node, w in sorted(wave.items()):
        if node not in graph.snapshot.items:
            found.append(
                Violation("coverage", f"{node} is in the plan but no longer in the inventory")
            )
        elif node not in graph.planned:
            found.append(
                Violation("coverage", f"{node} gets wave {w} but is not moved (retained or a site)")
            )
        if not 1 <= w <= m:
            found.append(
                Violation("calendar", f"{node} is in wave {w}, outside the calendar's waves 1..{m}")
            )
    return found


def _dependencies(
    graph: DependencyGraph, wave: dict[str, int], settled: set[str]
) -> list[Violation]:
    """Dependencies, item by item (not group by group, as the solver sees them)."""
    found = []
    for c in graph.constraints:
        if c.first not in wave or c.second not in wave or c.first in settled or c.second in settled:
            continue
        a, b = wave[c.first], wave[c.second]
        ok = {SAME_WAVE: a == b, BEFORE_OR_SAME: a <= b, STRICTLY_BEFORE: a < b}.get(c.rule, True)
        if not ok:
            found.append(
                Violation(
                    c.rule,
                    f"{c.first} (wave {a}) and {c.second} (wave {b}) break '{c.rule}' from "
                    f"{c.edge.kind} ({c.edge.origin})",
                )
            )
    return found


def _wave_loads(
    config: PlanConfig, snapshot: Snapshot, wave: dict[str, int]
) -> defaultdict[tuple[str, int], float]:
    """Hours, onboarded resources, downtime and users per (what, wave), summed item by item."""
    defaults = config.effort_defaults()
    load_by: defaultdict[tuple[str, int], float] = defaultdict(float)
    for node, w in wave.items():
        item = snapshot.items.get(node)
        if item is None:
            continue
        load_by[(item.kind, w)] += effort_hours(item, defaults)
        if item.kind == "server":
            for name in ("vcpu", "ram_gb", "storage_gb"):
                load_by[(f"onboard:{name}", w)] += item.get(name) or 0
        down = downtime_hours(item, defaults)
        load_by[(f"downtime:{item.municipality}", w)] += down
        if item.kind == "application" and item.get("criticality") == "critical":
            load_by[("downtime:critical", w)] += down
        if item.kind == "workplace":
            load_by[(f"users:{item.municipality}", w)] += item.get("users") or 0
    return load_by


def _capacities(
    config: PlanConfig, snapshot: Snapshot, wave: dict[str, int], m: int
) -> list[Violation]:
    """Team capacities, onboarding, downtime limits and user shares, wave by wave."""
    load_by = _wave_loads(config, snapshot, wave)
    found = []
    for w in range(1, m + 1):
        for team in TEAMS:
            cap = config.team_capacity(team, w)
            if load_by[(team, w)] > cap + EPS:
                found.append(
                    Violation(
                        "capacity",
                        f"wave {w}: {team} effort {load_by[(team, w)]:.1f} h exceeds {cap:.1f} h",
                    )
                )
        for name in ("vcpu", "ram_gb", "storage_gb"):
            cap = getattr(config.target, f"onboard_{name}_per_wave")
            if cap is not None and load_by[(f"onboard:{name}", w)] > cap + EPS:
                found.append(
                    Violation(
                        "onboarding",
                        f"wave {w}: "
                        f"onboards {load_by[(f'onboard:{name}', w)]:.0f} {name} > {cap:.0f}",
                    )
                )
        found += _downtime_and_users(config, snapshot, load_by, w)
    return found


def _downtime_and_users(
    config: PlanConfig, snapshot: Snapshot, load_by: defaultdict[tuple[str, int], float], w: int
) -> list[Violation]:
    """The downtime limits and the share of each municipality's users affected in wave `w`."""
    found = []
    limit = config.downtime.max_hours_per_municipality_per_wave
    if limit is not None:
        for muni in snapshot.municipalities:
            hours = load_by[(f"downtime:{muni}", w)]
            if hours > limit + EPS:
                found.append(
                    Violation("downtime", f"wave {w}: {muni} has {hours:.1f} h downtime > {limit}")
                )
    limit = config.downtime.max_critical_hours_per_wave
    if limit is not None and load_by[("downtime:critical", w)] > limit + EPS:
        found.append(
            Violation(
                "downtime",
                f"wave {w}: critical applications have "
                f"{load_by[('downtime:critical', w)]:.1f} h downtime > {limit}",
            )
        )
    share = config.order.max_user_share_per_wave
    if share is not None:
        for muni, info in snapshot.municipalities.items():
            users = info.get("users") or sum(
                i.get("users") or 0 for i in snapshot.of_kind("workplace") if i.municipality == muni
            )
            if load_by[(f"users:{muni}", w)] > share * users + EPS:
                found.append(
                    Violation(
                        "users",
                        f"wave {w}: {load_by[(f'users:{muni}', w)]:.0f} "
                        f"of {muni}'s {users} users affected",
                    )
                )
    return found


def _target_totals(config: PlanConfig, snapshot: Snapshot, wave: dict[str, int]) -> list[Violation]:
    """The common platform holds every server the plan moves onto it."""
    found = []
    for name in ("vcpu", "ram_gb", "storage_gb"):
        limit = getattr(config.target, name)
        total = sum(
            snapshot.items[n].get(name) or 0
            for n in wave
            if n in snapshot.items and snapshot.items[n].kind == "server"
        )
        if limit is not None and total > limit + EPS:
            found.append(
                Violation(
                    "target", f"the plan moves {total:.0f} {name} onto a platform of {limit:.0f}"
                )
            )
    return found


def _blackouts_and_rules(
    config: PlanConfig, snapshot: Snapshot, wave: dict[str, int]
) -> list[Violation]:
    """Items' blackouts against their wave's dates, and critical_not_before."""
    windows = config.wave_windows()
    m = len(windows)
    found = []
    for node, w in wave.items():
        item = snapshot.items.get(node)
        if item is None or not 1 <= w <= m:
            continue
        start, end = windows[w - 1]
        for b_start, b_end in parse_ranges(item.get("blackout")):
            if b_start <= end and start <= b_end:
                found.append(
                    Violation(
                        "blackout",
                        f"{node} is in wave {w} ({start}..{end}), "
                        f"which overlaps its blackout {b_start}..{b_end}",
                    )
                )
        not_before = config.rules.critical_not_before
        if item.kind == "application" and item.get("criticality") == "critical" and w < not_before:
            found.append(Violation("window", f"{node} is critical but in wave {w} < {not_before}"))
    return found


def _windows_and_pins(
    config: PlanConfig, snapshot: Snapshot, wave: dict[str, int], rows: list[PlanItem], m: int
) -> list[Violation]:
    """plan.toml's windows and pins, and the pins handed back with the plan's items."""
    found = []
    for text, window in config.windows.items():
        resolved = snapshot.resolve(text)
        if resolved in wave and not (
            (window.earliest or 1) <= wave[resolved] <= (window.latest or m)
        ):
            found.append(
                Violation(
                    "window",
                    f"{resolved} is in wave {wave[resolved]}, outside "
                    f"its window {window.earliest}..{window.latest}",
                )
            )
    for row in rows:
        if row.pinned is not None and row.wave != row.pinned:
            found.append(
                Violation(
                    "pin",
                    f"{row.item_id} is pinned to wave {row.pinned} but planned in wave {row.wave}",
                )
            )
    for text, pinned in config.pins.items():
        resolved = snapshot.resolve(text)
        if resolved in wave and wave[resolved] != pinned:
            found.append(
                Violation(
                    "pin",
                    f"{resolved} is pinned to wave {pinned} in plan.toml "
                    f"but planned in wave {wave[resolved]}",
                )
            )
    return found


def _pilot(
    config: PlanConfig, graph: DependencyGraph, wave: dict[str, int], m: int
) -> list[Violation]:
    """Wave 1 belongs to the pilot municipality (and what moves with it) alone."""
    if not config.order.pilot or m <= 1:
        return []
    snapshot = graph.snapshot
    pilot = snapshot.municipality_name(config.order.pilot)
    pilot_groups = {
        graph.group_of[n] for n in graph.planned if snapshot.items[n].municipality == pilot
    }
    return [
        Violation("pilot", f"{node} is in wave 1, which belongs to the pilot {pilot}")
        for node, w in wave.items()
        if w == 1 and node in graph.group_of and graph.group_of[node] not in pilot_groups
    ]


def _frozen(stored: StoredPlan) -> list[Violation]:
    """A re-plan keeps the executed waves of its parent exactly as they were."""
    plan, wave = stored.plan, stored.waves
    if not (plan.parent_id and plan.frozen_through):
        return []
    found = []
    before = stored.parent_waves
    for node, w in before.items():
        if w <= plan.frozen_through and node in wave and wave[node] != w:
            found.append(
                Violation(
                    "frozen",
                    f"{node} was executed in wave {w} but the re-plan "
                    f"moves it to wave {wave[node]}",
                )
            )
    for node, w in wave.items():
        if w <= plan.frozen_through and before.get(node) != w:
            found.append(Violation("frozen", f"{node} is placed in executed wave {w}"))
    return found
