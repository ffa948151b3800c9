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
