"""Human summaries of plans for the terminal."""

from __future__ import annotations

import json
from collections import defaultdict

from planner.planning import PlanOutcome


def plan_summary(outcome: PlanOutcome) -> str:
    """Waves used vs bound, splits vs greedy, downtime per municipality, solver honesty."""
    result, plan = outcome.result, outcome.plan
    objective, bound = result.objective, result.bound
    lines = [f"Plan {plan.id}: {result.status.upper()} — {int(objective.get('waves', 0))} waves "
             f"(lower bound {result.lower_bound_waves}), {len(outcome.item_waves):,} items in "
             f"{len(outcome.planning.groups):,} move groups, {result.runtime:.1f} s "
             f"(first solution after {result.first_solution_seconds:.1f} s)"]
    for phase in result.phases:
        gap = "" if phase.status == "optimal" else f", gap {phase.gap:.1%}"
        lines.append(f"  {phase.name:<9} {phase.status:<10} objective {phase.objective:g}, bound {phase.bound:g}{gap}")
    greedy = json.loads(plan.greedy_json or "{}").get("objective") or {}
    if greedy:
        lines.append("  greedy baseline: " + ", ".join(f"{k} {v:g}" for k, v in greedy.items() if v is not None)
                     + f"  vs plan: " + ", ".join(f"{k} {v:g}" for k, v in objective.items()))
    downtime: dict[str, float] = defaultdict(float)
    peak: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    defaults = None
    from planner.config import parse_config, PlanConfig
    from planner.effort import downtime_hours

    config = parse_config(plan.config_toml) if plan.config_toml else PlanConfig()
    defaults = config.effort_defaults()
    for node, wave in outcome.item_waves.items():
        item = outcome.graph.snapshot.items[node]
        hours = downtime_hours(item, defaults)
        downtime[item.municipality] += hours
        peak[item.municipality][wave] += hours
    lines.append("  downtime per municipality: " + ", ".join(
        f"{m} {h:,.0f} h (peak {max(peak[m].values()):,.0f} h/wave)" for m, h in sorted(downtime.items())))
    return "\n".join(lines)
