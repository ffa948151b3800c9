"""Human summaries of plans for the terminal."""

from __future__ import annotations

import json
from collections import defaultdict

from planner.effort import downtime_hours
from planner.planning import PlanOutcome, plan_config


def plan_summary(outcome: PlanOutcome) -> str:
    """Waves used vs bound, splits vs greedy, downtime per municipality, solver honesty."""
    result, plan = outcome.result, outcome.plan
    objective = result.objective
    lines = [
        f"Plan {plan.id}: {result.status.upper()} — {int(objective.get('waves', 0))} waves "
        f"(lower bound {result.lower_bound_waves}), {len(outcome.item_waves):,} items in "
        f"{len(outcome.planning.groups):,} move groups, {result.runtime:.1f} s "
        f"(first solution after {result.first_solution_seconds:.1f} s)"
    ]
    for phase in result.phases:
        gap = "" if phase.status == "optimal" else f", gap {phase.gap:.1%}"
        lines.append(
            f"  {phase.name:<9} {phase.status:<10} objective {phase.objective:g}, "
            f"bound {phase.bound:g}{gap}"
        )
    greedy = json.loads(plan.greedy_json or "{}").get("objective") or {}
    if greedy:
        lines.append(
            "  greedy baseline: "
            + ", ".join(f"{k} {v:g}" for k, v in greedy.items() if v is not None)
            + "  vs plan: "
            + ", ".join(f"{k} {v:g}" for k, v in objective.items())
        )
    lines.extend(f"  note: {note}" for note in result.notes)
    config = plan_config(plan)
    defaults = config.effort_defaults()
    total: dict[str, float] = defaultdict(float)
    per_wave: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for node, wave in outcome.item_waves.items():
        item = outcome.graph.snapshot.items[node]
        hours = downtime_hours(item, defaults)
        total[item.municipality] += hours
        per_wave[item.municipality][wave] += hours
    lines.append(
        "  downtime per municipality: "
        + ", ".join(
            f"{m} {h:,.0f} h (peak {max(per_wave[m].values()):,.0f} h/wave)"
            for m, h in sorted(total.items())
        )
    )
    return "\n".join(lines)
