"""The `planner` command: a thin layer over the library.

Each command opens the database, makes one library call and prints the outcome; library
errors (`PlannerError`) become one sentence on stderr and exit code 1. No traceback
reaches a user unless PLANNER_DEBUG=1 is set.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from planner.errors import ImportFailed, PlannerError

app = typer.Typer(
    help="Inventory and migration-wave planner for municipal IT consolidations.\n\n"
    "Typical session: planner template inventory.xlsx → fill it in → planner import *.xlsx → "
    "planner check → planner plan → planner export plan.xlsx",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class State:
    db: str | None = None


@app.callback()
def _main(
    db: Annotated[Optional[str], typer.Option(
        "--db", envvar="PLANNER_DB", metavar="URL",
        help="Database: a SQLite file path (default planner.db) or a URL such as "
             "postgresql+psycopg://user@host/planner.",
    )] = None,
) -> None:
    State.db = db


def _engine():  # type: ignore[no-untyped-def]
    from planner.db import open_database

    return open_database(State.db)


@app.command()
def template(
    file: Annotated[Path, typer.Argument(help="Where to write the empty workbook (.xlsx).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write an empty inventory workbook to fill in.

    Example: planner template nordby.xlsx
    """
    from inventories.template import write_template
    from planner.files import writable

    with writable(file, force) as tmp:
        write_template(tmp)
    out.print(f"Wrote the inventory template to {file}")


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="Inventory workbooks, one per municipality.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    municipality: Annotated[Optional[str], typer.Option(
        "--municipality", "-m", help="Municipality the file describes (overrides the Municipality sheet).")] = None,
) -> None:
    """Validate and import inventory workbooks, all or nothing.

    Every problem is listed as FILE:SHEET!CELL: message; if there is any, nothing is
    written and the exit code is 1. Re-importing a file changes nothing; a corrected file
    updates its municipality and removes items it no longer lists.

    Example: planner import nordby.xlsx sydby.xlsx
    """
    from planner.importing import import_files

    reports = import_files(_engine, files, dry_run=dry_run, municipality=municipality)
    for report in reports:
        for warning in report.warnings:
            err.print(f"warning: {warning}")
        out.print(("would import " if dry_run else "") + report.line())
    if dry_run:
        out.print("Dry run: nothing was written.")


@app.command()
def inventory(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Count the stored items per municipality and kind.

    Example: planner inventory --json
    """
    from planner.inventory import counts

    result = counts(_engine())
    if as_json:
        print(json.dumps({"municipalities": result}, ensure_ascii=False, indent=2))
        return
    if not result:
        out.print("The inventory is empty: import workbooks with `planner import FILE.xlsx`.")
        return
    keys = next(iter(result.values())).keys()
    table = Table("municipality", *keys)
    for name, row in result.items():
        table.add_row(name, *(f"{row[k]:,}" for k in keys))
    table.add_row("total", *(f"{sum(r[k] for r in result.values()):,}" for k in keys), style="bold")
    out.print(table)


@app.command("demo-data")
def demo_data(
    folder: Annotated[Path, typer.Argument(help="Folder for the generated workbooks.")],
    municipalities: Annotated[int, typer.Option("--municipalities", "-n", min=1, max=50,
                                                help="How many municipalities.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 1,
) -> None:
    """Write realistic, fictional inventory workbooks (one per municipality).

    Example: planner demo-data out --municipalities 3 && planner import out/*.xlsx
    """
    from inventories.demo_data import write_demo_data

    for path in write_demo_data(folder, municipalities, seed):
        out.print(f"Wrote {path}")


ConfigOption = Annotated[Optional[Path], typer.Option(
    "--config", "-c", help="Planning configuration (default: plan.toml in the working directory, if any).")]
TimeLimit = Annotated[Optional[float], typer.Option("--time-limit", min=0.1, help="Seconds for the optimiser.")]
Workers = Annotated[Optional[int], typer.Option("--workers", min=1, max=64, help="CP-SAT worker threads.")]
Seed = Annotated[Optional[int], typer.Option("--seed", help="Random seed; same seed and workers give the same plan.")]


def _config(path: Path | None):  # type: ignore[no-untyped-def]
    from planner.config import load_config

    if path is None and Path("plan.toml").exists():
        path = Path("plan.toml")
    if path is None:
        err.print("note: no plan.toml; using the defaults (write one with `planner plan --init plan.toml`)")
    return load_config(path)


def _run_plan(config_path: Path | None, time_limit: float | None, workers: int | None, seed: int | None,
              parent_id: int | None = None, freeze_through: int = 0, replan: bool = False) -> None:
    from planner.planning import latest_plan, make_plan
    from planner.report import plan_summary
    from planner.verify import verify_plan

    config, text = _config(config_path)
    engine = _engine()
    parent = latest_plan(engine, parent_id) if replan else None
    with _progress() as progress:
        outcome = make_plan(engine, config, text, time_limit=time_limit, workers=workers, seed=seed,
                            progress=progress, parent=parent, freeze_through=freeze_through)
    out.print(plan_summary(outcome))
    problems = verify_plan(engine, outcome.plan)
    if problems:
        for v in problems:
            err.print(f"verify: {v.message}", markup=False)
        raise PlannerError(f"plan {outcome.plan.id} failed independent verification ({len(problems)} violations)")
    out.print(f"Verified: plan {outcome.plan.id} satisfies every hard constraint.")


def _progress():  # type: ignore[no-untyped-def]
    """A live status line: phase, best objective, bound, elapsed."""
    from contextlib import contextmanager

    @contextmanager
    def live():  # type: ignore[no-untyped-def]
        status = err.status("optimising…")
        status.start()

        def update(event) -> None:  # type: ignore[no-untyped-def]
            status.update(f"phase {event.phase}: best {event.objective:g}, bound {event.bound:g}, "
                          f"{event.elapsed:.1f} s")

        try:
            yield update
        finally:
            status.stop()

    return live()


@app.command()
def plan(
    config: ConfigOption = None,
    time_limit: TimeLimit = None,
    workers: Workers = None,
    seed: Seed = None,
    init: Annotated[Optional[Path], typer.Option("--init", help="Write a commented example plan.toml here and stop.")] = None,
) -> None:
    """Sequence the whole move into waves with the CP-SAT optimiser and store the plan.

    Objectives, in order: fewest waves; fewest soft dependencies split across waves;
    downtime spread evenly. The plan is re-checked by the independent verifier.

    Example: planner plan --config plan.toml --time-limit 60
    """
    if init is not None:
        from planner.config import EXAMPLE
        from planner.files import writable

        with writable(init) as tmp:
            tmp.write_text(EXAMPLE, encoding="utf-8")
        out.print(f"Wrote an example configuration to {init}")
        return
    _run_plan(config, time_limit, workers, seed)


@app.command()
def replan(
    freeze_through: Annotated[int, typer.Option("--freeze-through", min=0,
                                                help="Waves 1..W were executed: keep them as they are.")],
    config: ConfigOption = None,
    plan_id: Annotated[Optional[int], typer.Option("--plan", help="The plan to revise (default: the latest).")] = None,
    time_limit: TimeLimit = None,
    workers: Workers = None,
    seed: Seed = None,
) -> None:
    """Re-plan after inventory or configuration changes, keeping executed waves.

    Moves as few items as possible away from their wave in the previous plan, and
    honours pins handed back with `planner import-pins`.

    Example: planner replan --freeze-through 4
    """
    _run_plan(config, time_limit, workers, seed, parent_id=plan_id, freeze_through=freeze_through, replan=True)


@app.command()
def verify(
    plan_id: Annotated[Optional[int], typer.Argument(help="Plan id (default: the latest).")] = None,
) -> None:
    """Re-check a stored plan against the inventory with the independent verifier.

    Example: planner verify 3
    """
    from planner.planning import latest_plan
    from planner.verify import verify_plan

    engine = _engine()
    stored = latest_plan(engine, plan_id)
    problems = verify_plan(engine, stored)
    for v in problems:
        out.print(f"{v.rule}: {v.message}", markup=False)
    if problems:
        raise PlannerError(f"plan {stored.id} breaks {len(problems)} hard constraint(s)")
    out.print(f"Plan {stored.id} satisfies every hard constraint.")


@app.command()
def plans() -> None:
    """List stored plans with their status and wave counts.

    Example: planner plans
    """
    from planner.planning import list_plans

    table = Table("id", "created", "status", "waves", "lower bound", "solve s", "parent", "frozen")
    for p in list_plans(_engine()):
        table.add_row(str(p.id), p.created.strftime("%Y-%m-%d %H:%M"), p.status, str(p.waves_used),
                      str(p.lower_bound_waves), f"{p.solve_seconds:.1f}", str(p.parent_id or ""), str(p.frozen_through or ""))
    out.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to this program's version (safe to repeat).

    Example: planner --db planner.db db upgrade
    """
    from planner.db import current_revision, database_url, head_revision, make_engine, open_database

    engine = make_engine(database_url(State.db))
    before = current_revision(engine)
    open_database(State.db)
    out.print(f"Database schema: {before or 'none'} → {head_revision(engine)}")


def main() -> None:
    """Console-script entry point: run the app, turning errors into one sentence."""
    try:
        app()  # standalone: click shows usage errors and exits with their code itself
    except ImportFailed as exc:
        for problem in exc.problems:
            err.print(problem, markup=False)
        err.print(f"{len(exc.problems)} problem(s); nothing was imported.", markup=False)
        sys.exit(1)
    except PlannerError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("Interrupted; nothing half-written was kept.")
        sys.exit(130)
    except Exception as exc:  # a genuine bug: one line, not a traceback
        if os.environ.get("PLANNER_DEBUG"):
            traceback.print_exc()
        err.print(f"internal error: {type(exc).__name__}: {exc} (set PLANNER_DEBUG=1 for details, "
                  "and please report it)", markup=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
