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
from planner.config import TEAMS, PlanConfig, parse_config
from planner.effort import downtime_hours, effort_hours
from planner.graph import BEFORE_OR_SAME, SAME_WAVE, STRICTLY_BEFORE, build
from planner.models import Plan
from planner.planning import plan_items, plan_waves
from planner.snapshot import Snapshot, load

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
    config = parse_config(plan.config_toml) if plan.config_toml else PlanConfig()
    defaults = config.effort_defaults()
    snapshot = snapshot if snapshot is not None else load(engine)
    graph = build(snapshot, defaults)
    rows = plan_items(engine, plan.id or 0)
    wave = {row.item_id: row.wave for row in rows}
    windows = config.wave_windows()
    m = len(windows)
    found: list[Violation] = []

    def bad(rule: str, message: str) -> None:
        found.append(Violation(rule, message))

    # Coverage: every planned item has exactly one wave inside the calendar; nothing else has one.
    for node in sorted(graph.planned):
        if node not in wave:
            bad("coverage", f"{node} has no wave")
    for node, w in sorted(wave.items()):
        if node not in snapshot.items:
            bad("coverage", f"{node} is in the plan but no longer in the inventory")
        elif node not in graph.planned:
            bad("coverage", f"{node} gets wave {w} but is not moved (retained or a site)")
        if not 1 <= w <= m:
            bad("calendar", f"{node} is in wave {w}, outside the calendar's waves 1..{m}")

    # Dependencies, item by item; a re-plan from progress takes done items as facts.
    from planner.progress_replan import progress_checks

    settled, progress_rules = progress_checks(engine, plan, wave, graph.planned)
    found += [Violation(rule, message) for rule, message in progress_rules]
    for c in graph.constraints:
        if c.first not in wave or c.second not in wave or c.first in settled or c.second in settled:
            continue
        a, b = wave[c.first], wave[c.second]
        ok = {SAME_WAVE: a == b, BEFORE_OR_SAME: a <= b, STRICTLY_BEFORE: a < b}.get(c.rule, True)
        if not ok:
            bad(c.rule, f"{c.first} (wave {a}) and {c.second} (wave {b}) break '{c.rule}' from "
                        f"{c.edge.kind} ({c.edge.origin})")

    # Capacities per wave.
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
    for w in range(1, m + 1):
        for team in TEAMS:
            cap = config.team_capacity(team, w)
            if load_by[(team, w)] > cap + EPS:
                bad("capacity", f"wave {w}: {team} effort {load_by[(team, w)]:.1f} h exceeds {cap:.1f} h")
        for name in ("vcpu", "ram_gb", "storage_gb"):
            cap = getattr(config.target, f"onboard_{name}_per_wave")
            if cap is not None and load_by[(f"onboard:{name}", w)] > cap + EPS:
                bad("onboarding", f"wave {w}: onboards {load_by[(f'onboard:{name}', w)]:.0f} {name} > {cap:.0f}")
        limit = config.downtime.max_hours_per_municipality_per_wave
        if limit is not None:
            for muni in snapshot.municipalities:
                if load_by[(f"downtime:{muni}", w)] > limit + EPS:
                    bad("downtime", f"wave {w}: {muni} has {load_by[(f'downtime:{muni}', w)]:.1f} h downtime > {limit}")
        limit = config.downtime.max_critical_hours_per_wave
        if limit is not None and load_by[("downtime:critical", w)] > limit + EPS:
            bad("downtime", f"wave {w}: critical applications have {load_by[('downtime:critical', w)]:.1f} h "
                            f"downtime > {limit}")
        share = config.order.max_user_share_per_wave
        if share is not None:
            for muni, info in snapshot.municipalities.items():
                users = info.get("users") or sum(i.get("users") or 0 for i in snapshot.of_kind("workplace")
                                                 if i.municipality == muni)
                if load_by[(f"users:{muni}", w)] > share * users + EPS:
                    bad("users", f"wave {w}: {load_by[(f'users:{muni}', w)]:.0f} of {muni}'s {users} users affected")
    for name in ("vcpu", "ram_gb", "storage_gb"):
        limit = getattr(config.target, name)
        total = sum(snapshot.items[n].get(name) or 0 for n in wave if n in snapshot.items
                    and snapshot.items[n].kind == "server")
        if limit is not None and total > limit + EPS:
            bad("target", f"the plan moves {total:.0f} {name} onto a platform of {limit:.0f}")

    # Blackouts, windows, pins, rules.
    for node, w in wave.items():
        item = snapshot.items.get(node)
        if item is None or not 1 <= w <= m:
            continue
        start, end = windows[w - 1]
        for b_start, b_end in parse_ranges(item.get("blackout")):
            if b_start <= end and start <= b_end:
                bad("blackout", f"{node} is in wave {w} ({start}..{end}), which overlaps its blackout {b_start}..{b_end}")
        if item.kind == "application" and item.get("criticality") == "critical" and w < config.rules.critical_not_before:
            bad("window", f"{node} is critical but in wave {w} < {config.rules.critical_not_before}")
    for text, window in config.windows.items():
        resolved = snapshot.resolve(text)
        if resolved in wave and not ((window.earliest or 1) <= wave[resolved] <= (window.latest or m)):
            bad("window", f"{resolved} is in wave {wave[resolved]}, outside its window {window.earliest}..{window.latest}")
    for row in rows:
        if row.pinned is not None and row.wave != row.pinned:
            bad("pin", f"{row.item_id} is pinned to wave {row.pinned} but planned in wave {row.wave}")
    for text, pinned in config.pins.items():
        resolved = snapshot.resolve(text)
        if resolved in wave and wave[resolved] != pinned:
            bad("pin", f"{resolved} is pinned to wave {pinned} in plan.toml but planned in wave {wave[resolved]}")
    if config.order.pilot and m > 1:
        pilot = snapshot.municipality_name(config.order.pilot)
        pilot_groups = {graph.group_of[n] for n in graph.planned if snapshot.items[n].municipality == pilot}
        for node, w in wave.items():
            if w == 1 and node in graph.group_of and graph.group_of[node] not in pilot_groups:
                bad("pilot", f"{node} is in wave 1, which belongs to the pilot {pilot}")
    if plan.parent_id and plan.frozen_through:
        before = plan_waves(engine, plan.parent_id)
        for node, w in before.items():
            if w <= plan.frozen_through and node in wave and wave[node] != w:
                bad("frozen", f"{node} was executed in wave {w} but the re-plan moves it to wave {wave[node]}")
        for node, w in wave.items():
            if w <= plan.frozen_through and before.get(node) != w:
                bad("frozen", f"{node} is placed in executed wave {w}")
    return found
