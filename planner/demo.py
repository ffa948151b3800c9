"""`planner demo`: the whole workflow on fictional data, in one command.

Generates three municipalities, imports them into a fresh SQLite database, checks,
plans within a short time limit, verifies, and writes the files a project manager gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from exports.errors import PlannerError

DEMO_CONFIG = """\
# The demo's planning configuration (see `planner plan --init` for every key).
[calendar]
start = 2027-01-09
wave_length_days = 14
max_waves = 40
no_wave_dates = ["2027-03-25..2027-03-29", "2027-12-20..2028-01-02"]

[capacity]
network = 80
directory = 120
server = 250
application = 400
workplace = 900

[target]
vcpu = 20000
ram_gb = 80000
storage_gb = 2000000
onboard_vcpu_per_wave = 800

[downtime]
max_hours_per_municipality_per_wave = 120
max_critical_hours_per_wave = 24

[rules]
ramp_up_waves = 3
ramp_up_start = 0.5
critical_not_before = 3

[cutover]
start_time = 08:00:00
hours = 36
staff = { network = 2, directory = 2, server = 4, application = 6, workplace = 8 }
"""


@dataclass
class DemoResult:
    folder: Path
    database: Path
    files: list[Path] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def run_demo(
    folder: Path,
    *,
    municipalities: int = 3,
    time_limit: float = 30.0,
    seed: int = 0,
    say: Callable[[str], None] = print,
    progress: Callable | None = None,
) -> DemoResult:  # type: ignore[type-arg]
    """Run the whole workflow into `folder` (which must not hold an earlier demo database)."""
    from exports import write
    from inventories.demo_data import write_demo_data
    from planner.checks import run_checks, summary_counts
    from planner.config import parse_config
    from planner.db import open_database
    from planner.export_data import load_export
    from planner.graph import build
    from planner.importing import import_files
    from planner.report import plan_summary
    from planner.snapshot import load
    from planner.workflow import plan_and_verify
    from solvers.rcpsp.genetic import warm_up

    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "planner.db"
    if database.exists():
        raise PlannerError(f"{database} exists already; give `planner demo` a new folder")
    result = DemoResult(folder, database)
    inventories = write_demo_data(folder / "inventories", municipalities, seed=seed + 1)
    say(f"1/5 Generated {len(inventories)} fictional municipalities in {folder / 'inventories'}")
    engine = open_database(str(database))
    reports = import_files(engine, inventories)
    say("2/5 Imported: " + "; ".join(r.line().split(": ", 1)[1] for r in reports))
    config = parse_config(DEMO_CONFIG)
    (folder / "plan.toml").write_text(DEMO_CONFIG, encoding="utf-8")
    graph = build(load(engine), config.effort_defaults())
    counts = summary_counts(run_checks(graph, config))
    say(
        f"3/5 Checked: {counts['error']} errors, "
        f"{counts['warning']} warnings, {counts['info']} info "
        f"(details: planner --db {database} check)"
    )
    verified = plan_and_verify(
        engine, config, DEMO_CONFIG, time_limit=time_limit, workers=2, seed=seed, progress=progress
    )
    outcome, violations = verified.outcome, verified.violations
    say("4/5 " + plan_summary(outcome))
    if violations:
        raise PlannerError(f"the demo plan failed verification: {violations[0].message}")
    say("    Verified by the independent checker: every hard constraint holds.")
    data = load_export(engine, outcome.plan.id)
    for name in ("plan.xlsx", "plan.json", "plan.csv", "plan.ics", "gantt.png"):
        result.files.append(write(folder / name, data, force=True))
    say("5/5 Wrote:")
    for path in result.files:
        say(f"    {path}")
    warm_up()
    say("    Cutover scheduler ready for `planner runbook --wave N` (compiled once, then cached)")
    return result
