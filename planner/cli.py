"""The `planner` command: a thin layer over the library.

Each command opens the database, makes one library call and prints the outcome; library
errors (`PlannerError`) become one sentence on stderr and exit code 1. No traceback
reaches a user unless PLANNER_DEBUG=1 is set.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import DBAPIError

from exports.errors import ImportFailed, PlannerError
from solvers.limits import StopRequest

if TYPE_CHECKING:
    from planner.importing import ImportReport

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

# Wide output when piped, so tables are not squeezed to 80 columns in logs and files.
# Markup and emoji codes are off: names are data (a municipality called `Kommune [/]` or
# `:bomb:` is printed as written, and can never make a command fail after it committed);
# the few styled words are `rich.text.Text` objects.
out = Console(
    highlight=False,
    markup=False,
    emoji=False,
    soft_wrap=True,
    width=None if sys.stdout.isatty() else 240,
)
err = Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)


class State:
    db: str | None = None


@app.callback()
def _main(
    db: Annotated[
        Optional[str],
        typer.Option(
            "--db",
            envvar="PLANNER_DB",
            metavar="URL",
            help="Database: a SQLite file path (default planner.db) or a URL such as "
            "postgresql+psycopg://user@host/planner.",
        ),
    ] = None,
) -> None:
    State.db = db


def _engine():  # type: ignore[no-untyped-def]
    from planner.db import open_database

    return open_database(State.db, notify=_note)


def _engine_or_scratch():  # type: ignore[no-untyped-def]
    from planner.db import open_database_or_scratch

    return open_database_or_scratch(State.db, notify=_note)


def _note(message: str) -> None:
    err.print(f"note: {message}", markup=False)


@app.command()
def template(
    file: Annotated[Path, typer.Argument(help="Where to write the empty workbook (.xlsx).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write an empty inventory workbook to fill in.

    Example: planner template nordby.xlsx
    """
    from inventories.template import write_template
    from exports.files import writable

    with writable(file, force) as tmp:
        write_template(tmp)
    out.print(f"Wrote the inventory template to {file}")


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="Inventory workbooks, one per municipality.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate only; write nothing.")
    ] = False,
    municipality: Annotated[
        Optional[str],
        typer.Option(
            "--municipality",
            "-m",
            help="Municipality the file describes (required for formats other than the "
            "template; overrides the template's Municipality sheet).",
        ),
    ] = None,
    format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="auto, template, rvtools, ad, kitos, aws-cmf, azure-migrate, "
            "spreadsheet (your own spreadsheet, read through --mapping) or "
            "connections (observed network traffic).",
        ),
    ] = "auto",
    mapping: Annotated[
        Optional[Path],
        typer.Option(
            "--mapping",
            help="TOML mapping file: [[sheets]] for your own spreadsheets (write one "
            "with `planner mapping suggest FILE`), "
            "[columns] for custom columns of tool exports.",
        ),
    ] = None,
    source: Annotated[
        Optional[str],
        typer.Option(
            "--source",
            help="The source the file is stored as (default: format:file stem, e.g. "
            "workbook:nordby); importing it again replaces that source only.",
        ),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the change set per source as JSON (with --dry-run: what would change).",
        ),
    ] = False,
) -> None:
    """Validate and import inventory workbooks, all or nothing.

    Every problem is listed as FILE:SHEET!CELL: message; if there is any, nothing is
    written and the exit code is 1. Re-importing a file changes nothing; a corrected file
    updates its municipality and removes items it no longer lists (a warning names them).

    Besides the template, RVTools exports (.xlsx or the folder of RVTools_tab*.csv), Active
    Directory computer lists (Export-Csv, csvde), OS2kitos system overviews and AWS CMF /
    Azure Migrate intake files are detected and merged into the municipality's records
    (matched by name, FQDN or short name; conflicts are listed).

    Your own spreadsheets (.xlsx, .xlsm, .ods, .xls, .csv) are read through a mapping file:
    planner mapping suggest FILE -o map.toml writes one to check.

    Example: planner import nordby.xlsx sydby.xlsx
    Example: planner import RVTools_export.xlsx --municipality Nordby
    Example: planner import Serveroversigt.xlsx --municipality Nordby --mapping map.toml

    Connection captures (Azure Migrate's dependency export, or a CSV of source, destination,
    port) become observed `uses` dependencies, replacing the municipality's previous capture;
    noise rules come from [connections] in ./plan.toml.
    Example: planner import connections.csv --format connections --municipality Nordby
    """
    reports = _import(files, dry_run, municipality, format, mapping, source)
    _print_imports(reports, dry_run, as_json)


def _import(
    files: list[Path],
    dry_run: bool,
    municipality: str | None,
    format: str,
    mapping: Path | None,
    source: str | None,
) -> list[ImportReport]:
    """The one library call of `planner import`, after checking --format (typer cannot list
    the formats as choices without importing every reader at start-up)."""
    from inventories.detect import FORMATS
    from inventories.mapping import load_mapping
    from planner.importing import import_files

    if format != "auto" and format not in FORMATS:
        raise PlannerError(f"--format must be auto or one of {', '.join(FORMATS)}, got {format!r}")
    columns = load_mapping(mapping) if mapping else None
    return import_files(
        _engine_or_scratch if dry_run else _engine,
        files,
        dry_run=dry_run,
        municipality=municipality,
        format=format,
        mapping=columns,
        source=source,
    )


def _print_imports(reports: list[ImportReport], dry_run: bool, as_json: bool) -> None:
    """Print the import reports: JSON for scripts, else warnings on stderr and one line per
    source on stdout (with --dry-run, also what would change)."""
    if as_json:
        print(
            json.dumps(
                {"dry_run": dry_run, "imports": [r.as_dict() for r in reports]},
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
        return
    for report in reports:
        for warning in report.warnings:
            err.print(f"warning: {warning}", markup=False)
        out.print(("would import " if dry_run else "") + report.line(), markup=False)
        if dry_run:
            for line in report.change_lines():
                out.print(f"  {line}", markup=False)
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
        from planner.inventory import graph_counts  # issue 17: as `graph export` counts them

        for name, extra in graph_counts(_engine()).items():
            result.setdefault(name, {}).update(extra)
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
    municipalities: Annotated[
        int, typer.Option("--municipalities", "-n", min=1, max=50, help="How many municipalities.")
    ] = 3,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 1,
) -> None:
    """Write realistic, fictional inventory workbooks (one per municipality).

    Example: planner demo-data out --municipalities 3 && planner import out/*.xlsx
    """
    from inventories.demo_data import write_demo_data

    for path in write_demo_data(folder, municipalities, seed):
        out.print(f"Wrote {path}")


ConfigOption = Annotated[
    Optional[Path],
    typer.Option(
        "--config",
        "-c",
        help="Planning configuration (default: plan.toml in the working directory, if any).",
    ),
]
TimeLimit = Annotated[
    Optional[float],
    typer.Option(
        "--time-limit",
        min=0.1,
        max=1_000_000,
        help="Seconds for the optimiser (default: plan.toml [solver] time_limit, else 60); the "
        "best plan found by then is stored. Ctrl-C ends the search early and stores the best "
        "plan found so far; a second Ctrl-C aborts and stores nothing.",
    ),
]
Workers = Annotated[
    Optional[int], typer.Option("--workers", min=1, max=64, help="CP-SAT worker threads.")
]
Seed = Annotated[
    Optional[int],
    typer.Option(
        "--seed",
        min=0,
        max=2**31 - 1,
        help="Random seed; same seed and workers give the same plan.",
    ),
]


def _config(path: Path | None):  # type: ignore[no-untyped-def]
    from planner.config import load_config

    if path is None and Path("plan.toml").exists():
        path = Path("plan.toml")
    if path is None:
        err.print(
            "note: no plan.toml; "
            "using the defaults (write one with `planner plan --init plan.toml`)"
        )
    return load_config(path)


def _run_plan(
    config_path: Path | None,
    time_limit: float | None,
    workers: int | None,
    seed: int | None,
    parent_id: int | None = None,
    freeze_through: int = 0,
    replan: bool = False,
    from_progress: bool = False,
) -> None:
    from planner.report import plan_summary
    from planner.workflow import plan_and_verify

    from planner.db import require_writable

    config, text = _config(config_path)
    engine = _engine()
    require_writable(engine)
    with _progress() as progress, _ctrl_c_keeps_the_best() as stop:
        verified = plan_and_verify(
            engine,
            config,
            text,
            time_limit=time_limit,
            workers=workers,
            seed=seed,
            progress=progress,
            stop=stop,
            replan=replan,
            parent_id=parent_id,
            freeze_through=freeze_through,
            from_progress=from_progress,
        )
    outcome, problems, basis = verified.outcome, verified.violations, verified.basis
    out.print(plan_summary(outcome))
    if basis is not None:
        for warning in basis.warnings:
            err.print(f"warning: {warning}")
        out.print(basis.summary(outcome.item_waves, outcome.result.objective, outcome.result.bound))
    if problems:
        for v in problems:
            err.print(f"verify: {v.message}", markup=False)
        raise PlannerError(
            f"plan {outcome.plan.id} failed independent verification ({len(problems)} violations)"
        )
    out.print(f"Verified: plan {outcome.plan.id} satisfies every hard constraint.")


@contextmanager
def _ctrl_c_keeps_the_best() -> Iterator[StopRequest]:
    """While a plan is made, the first Ctrl-C ends the search and keeps its best plan (which
    is then stored and verified like any other); a second Ctrl-C, or SIGTERM, aborts as
    everywhere else and stores nothing. Solvers work this way (CP-SAT's own handler too), and
    an hour of search should not be lost to one key press. The stop request is handed to the
    solver (`make_plan(stop=...)`)."""
    stop = StopRequest()

    def first_stops(signum: int, frame: object) -> None:
        if stop.requested:
            raise _Interrupted(signum)
        stop.request()
        err.print(
            "Stopping the search; the best plan found so far will be stored and verified. "
            "Press Ctrl-C again to abort and store nothing.",
            markup=False,
        )

    if threading.current_thread() is not threading.main_thread():  # no signals reach it
        yield stop
        return
    previous = signal.signal(signal.SIGINT, first_stops)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def _progress():  # type: ignore[no-untyped-def]
    """A live status line: phase, best objective, bound, elapsed."""

    @contextmanager
    def live():  # type: ignore[no-untyped-def]
        status = err.status("optimising…")
        status.start()

        def update(event) -> None:  # type: ignore[no-untyped-def]
            if event.phase == "greedy":  # a verified plan exists from here on: say so for good
                err.print(
                    f"greedy plan (verified): {event.objective:g} waves, lower bound "
                    f"{event.bound:g}, after {event.elapsed:.1f} s",
                    markup=False,
                )
            status.update(
                f"phase {event.phase}: best {event.objective:g}, "
                f"bound {event.bound:g}, {event.elapsed:.1f} s"
            )

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
    init: Annotated[
        Optional[Path],
        typer.Option("--init", help="Write a commented example plan.toml here and stop."),
    ] = None,
) -> None:
    """Sequence the whole move into waves with the CP-SAT optimiser and store the plan.

    Objectives, in order: fewest waves; fewest soft dependencies split across waves;
    downtime spread evenly. The plan is re-checked by the independent verifier.

    Example: planner plan --config plan.toml --time-limit 60
    """
    if init is not None:
        from planner.config import EXAMPLE
        from exports.files import writable

        with writable(init) as tmp:
            tmp.write_text(EXAMPLE, encoding="utf-8")
        out.print(f"Wrote an example configuration to {init}")
        return
    _run_plan(config, time_limit, workers, seed)


@app.command()
def replan(
    freeze_through: Annotated[
        Optional[int],
        typer.Option(
            "--freeze-through",
            min=0,
            max=520,
            help="Waves 1..W were executed: keep them as they are.",
        ),
    ] = None,
    from_progress: Annotated[
        bool,
        typer.Option(
            "--from-progress",
            help="Re-plan from the progress recorded with `planner import-progress`: done items "
            "stay, failed, postponed and not-started items are re-planned from the first open "
            "wave, moving as few as possible.",
        ),
    ] = False,
    config: ConfigOption = None,
    plan_id: Annotated[
        Optional[int],
        typer.Option(
            "--plan", min=1, max=2**31 - 1, help="The plan to revise (default: the latest)."
        ),
    ] = None,
    time_limit: TimeLimit = None,
    workers: Workers = None,
    seed: Seed = None,
) -> None:
    """Re-plan after inventory or configuration changes, keeping executed waves.

    Moves as few items as possible away from their wave in the previous plan, and
    honours pins handed back with `planner import-pins`. With --from-progress the recorded
    statuses say what stays (done, in progress) and what is re-planned (failed, postponed,
    not started); --freeze-through W then closes waves 1..W as well.

    Example: planner replan --freeze-through 4
    Example: planner import-progress edited.xlsx && planner replan --from-progress
    """
    if freeze_through is None and not from_progress:
        raise PlannerError(
            "name the executed waves with --freeze-through W, or re-plan from "
            "recorded progress with --from-progress"
        )
    _run_plan(
        config,
        time_limit,
        workers,
        seed,
        parent_id=plan_id,
        freeze_through=freeze_through or 0,
        replan=True,
        from_progress=from_progress,
    )


@app.command()
def verify(
    plan_id: Annotated[
        Optional[int], typer.Argument(min=1, max=2**31 - 1, help="Plan id (default: the latest).")
    ] = None,
) -> None:
    """Re-check a stored plan against the inventory with the independent verifier.

    If the inventory changed since the plan was made, a note says so first: a broken rule
    then usually means the plan is stale, not wrong.

    Example: planner verify 3
    """
    from planner.stored import open_plan
    from planner.verify import verify_stored

    stored = open_plan(_engine(), plan_id)
    problems = verify_stored(stored)
    if stored.inventory_state == "changed":
        err.print(
            f"note: the inventory has changed since plan {stored.id} was made "
            f"({stored.plan.created:%Y-%m-%d %H:%M} UTC); "
            "what follows is checked against today's inventory. "
            "`planner replan` revises the plan for it.",
            markup=False,
        )
    for v in problems:
        out.print(f"{v.rule}: {v.message}", markup=False)
    if problems:
        raise PlannerError(f"plan {stored.id} breaks {len(problems)} hard constraint(s)")
    out.print(f"Plan {stored.id} satisfies every hard constraint.")


@app.command()
def plans() -> None:
    """List stored plans with their status, wave counts and whether the inventory changed since.

    The inventory column is "current" when the stored inventory is the one the plan was
    made from, "changed" after an import that changed it, "unknown" for plans from before
    plans recorded their inventory.

    Example: planner plans
    """
    from planner.planning import inventory_state, list_plans
    from planner.snapshot import load

    engine = _engine()
    stored = list_plans(engine)
    snapshot = load(engine) if stored else None
    table = Table(
        "id",
        "created",
        "status",
        "waves",
        "lower bound",
        "solve s",
        "parent",
        "frozen",
        "inventory",
    )
    for p in stored:
        assert snapshot is not None
        table.add_row(
            str(p.id),
            p.created.strftime("%Y-%m-%d %H:%M"),
            p.status,
            str(p.waves_used),
            str(p.lower_bound_waves),
            f"{p.solve_seconds:.1f}",
            str(p.parent_id or ""),
            str(p.frozen_through or ""),
            inventory_state(p, snapshot),
        )
    out.print(table)


graph_app = typer.Typer(help="Explore and export the dependency graph.", no_args_is_help=True)
app.add_typer(graph_app, name="graph")


@app.command()
def check(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    config: ConfigOption = None,
) -> None:
    """Report what blocks or complicates the move: loops, dangling references, IP overlaps, …

    Each finding has a code, a severity (error, warning, info) and the items involved.
    With a plan.toml, move groups larger than any wave's capacity are errors too.
    Exit code 1 if there is any error.

    Example: planner check --json
    """
    from planner.checks import SEVERITY_ORDER as SEVERITY
    from planner.checks import run_checks, summary_counts
    from planner.config import load_config
    from planner.graph import build
    from planner.snapshot import load

    if config is None and Path("plan.toml").exists():
        config = Path("plan.toml")
    plan_config = load_config(config)[0] if config else None
    snapshot = load(_engine())
    graph = build(snapshot, plan_config.effort_defaults() if plan_config else None)
    findings = run_checks(graph, plan_config)
    from planner.source_checks import source_findings  # issue 17: what the sources disagree on

    findings = sorted(
        findings + source_findings(_engine()),
        key=lambda f: (SEVERITY[f.severity], f.code, f.items, f.message),
    )
    if as_json:
        print(
            json.dumps({"findings": [f.as_dict() for f in findings]}, ensure_ascii=False, indent=2)
        )
    else:
        styles = {"error": "bold red", "warning": "yellow", "info": "cyan"}
        for f in findings:
            out.print(
                Text.assemble(
                    (f"{f.severity:<7}", styles[f.severity]), f" {f.code:<28} ", f.message
                )
            )
        counts = summary_counts(findings)
        out.print(
            f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} info; "
            f"{len(graph.groups):,} move groups from {len(graph.planned):,} items to move"
        )
    if any(f.severity == "error" for f in findings):
        raise typer.Exit(1)


@app.command()
def summary(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """The consolidation picture: servers, capacity, directories, networks, systems, PCs, users.

    Distinct applications per function are counted before and after the planned
    consolidations (strategy consolidate/replace with a target; retire removes).

    Example: planner summary
    """
    from planner.snapshot import load
    from planner.summary import consolidation_summary

    data = consolidation_summary(load(_engine()))
    if as_json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if not data["municipalities"]:
        out.print("The inventory is empty.")
        return
    keys = list(data["total"])
    table = Table("municipality", *keys, title="Consolidation picture")
    for name, row in data["municipalities"].items():
        table.add_row(name, *(f"{row[k]:,.0f}" for k in keys))
    table.add_row("total", *(f"{data['total'][k]:,.0f}" for k in keys), style="bold")
    out.print(table)
    functions = Table(
        "function", "systems before", "systems after", title="Distinct applications per function"
    )
    for function, row in data["functions"].items():
        functions.add_row(function, str(row["before"]), str(row["after"]))
    d = data["distinct_applications"]
    functions.add_row("all", str(d["before"]), str(d["after"]), style="bold")
    out.print(functions)


@graph_app.command("export")
def graph_export(
    file: Annotated[Path, typer.Argument(help="Output file: .graphml, .dot, .svg, .png or .pdf.")],
    around: Annotated[
        Optional[str], typer.Option("--around", help="Only the neighbourhood of this item id.")
    ] = None,
    depth: Annotated[int, typer.Option("--depth", min=1, help="Steps out from --around.")] = 2,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the dependency graph for yEd/Gephi (GraphML), Graphviz (DOT) or as a picture.

    Pictures need Graphviz's `dot` program.
    Example: planner graph export deps.svg --around Nordby/application/SBSYS --depth 2
    """
    from exports.files import writable
    from planner.graph import build, neighbourhood
    from planner.graph_files import write_graph
    from planner.snapshot import load

    graph = build(load(_engine()))
    nx_graph = graph.graph
    if around:
        node = graph.snapshot.resolve(around)
        if node is None:
            raise PlannerError(f"{around!r} names no item (write municipality/kind/name)")
        nx_graph = neighbourhood(graph, node, depth)[0]
    with writable(file, force) as tmp:
        write_graph(nx_graph, tmp)
    out.print(
        f"Wrote {nx_graph.number_of_nodes():,} items and "
        f"{nx_graph.number_of_edges():,} dependencies to {file}"
    )


@graph_app.command("show")
def graph_show(
    item: Annotated[
        str, typer.Argument(help="Item id: municipality/kind/name (case-insensitive).")
    ],
    depth: Annotated[int, typer.Option("--depth", min=1, help="How many steps up and down.")] = 1,
) -> None:
    """Print an item's neighbourhood: what it needs (upstream) and what needs it (downstream).

    Example: planner graph show Nordby/server/NB-APP-007 --depth 2
    """
    from rich.tree import Tree

    from planner.graph import Branch, build, item_tree
    from planner.snapshot import load

    shown = item_tree(build(load(_engine())), item, depth)
    root = Tree(Text.assemble((shown.item, "bold"), f" (move group {shown.move_group or '—'})"))

    def grow(tree: Tree, branches: tuple[Branch, ...], upstream: bool) -> None:
        for branch in branches:
            traffic = f", observed: {branch.observed}" if branch.observed is not None else ""
            verb = "needs" if upstream else "needed by"
            label = Text(f"{verb} {branch.item}  ({branch.kind}, {branch.rule}{traffic})")
            grow(tree.add(label), branch.children, upstream)

    grow(root.add(Text("upstream", "bold")), shown.upstream, True)
    grow(root.add(Text("downstream", "bold")), shown.downstream, False)
    out.print(root)


@app.command()
def export(
    file: Annotated[
        Path,
        typer.Argument(
            help="Output: .xlsx, .json, .csv, .ics, .png or .svg (chosen by extension)."
        ),
    ],
    plan_id: Annotated[
        Optional[int],
        typer.Option("--plan", min=1, max=2**31 - 1, help="Plan id (default: the latest)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    runbooks: Annotated[
        bool,
        typer.Option(
            "--runbooks",
            help="Add a 'Runbook N' sheet per wave (one cutover schedule per wave: slower).",
        ),
    ] = False,
) -> None:
    """Write a plan for project managers: workbook, JSON, CSV, calendar or Gantt picture.

    The workbook has Overview, Waves, Items (with an editable pin column), one sheet per
    municipality, Gantt, Split dependencies, Checks and a capacity chart. Files are written
    to a temporary name and renamed, and never overwrite without --force.

    Example: planner export plan.xlsx --plan 3
    """
    from exports import write
    from planner.export_data import load_export

    path = write(file, load_export(_engine(), plan_id, runbooks=runbooks), force=force)
    out.print(f"Wrote {path}")


@app.command("import-pins")
def import_pins_command(
    file: Annotated[
        Path,
        typer.Argument(help="An exported plan.xlsx whose Items sheet's pin column was edited."),
    ],
) -> None:
    """Read wave pins back from an edited plan workbook; the next replan honours them.

    A number in the pin column pins the item to that wave; a blank cell removes its pin.
    Problems are reported as FILE:SHEET!CELL: message and nothing is stored.

    Example: planner import-pins edited.xlsx && planner replan --freeze-through 2
    """
    from planner.pins import import_pins

    count = import_pins(_engine(), file, label=str(file))
    out.print(
        f"Stored {count} pin(s) from {file}; run `planner replan --freeze-through W` to apply them."
    )


@app.command()
def demo(
    folder: Annotated[
        Path, typer.Argument(help="Folder for the demo's files and database.")
    ] = Path("demo"),
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=1, max=1_000_000, help="Seconds for the optimiser.")
    ] = 30,
    seed: Annotated[int, typer.Option(help="Seed of the generated data and the optimiser.")] = 0,
) -> None:
    """The whole workflow on three fictional municipalities, in one command.

    Generates inventories, imports them into a fresh SQLite database in FOLDER, checks,
    plans, verifies, and writes plan.xlsx, plan.json, plan.csv, plan.ics and gantt.png.

    Example: planner demo demo-output
    """
    from planner.demo import run_demo

    with _progress() as progress:
        result = run_demo(
            folder,
            time_limit=time_limit,
            seed=seed,
            say=lambda line: out.print(line, markup=False),
            progress=progress,
        )
    out.print(
        "Explore further with: "
        f"planner --db {result.database} summary | check | plans | graph show ITEM"
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to this program's version (safe to repeat).

    Example: planner --db planner.db db upgrade
    """
    from planner.db import current_revision, database_url, head_revision, make_engine, open_database

    engine = make_engine(database_url(State.db))
    try:
        before = current_revision(engine)
    except Exception as exc:  # unreachable server, not a database: open_database words it
        engine.dispose()
        open_database(State.db)
        raise PlannerError(f"cannot read the schema version: {exc}") from exc
    open_database(State.db)
    out.print(f"Database schema: {before or 'none'} → {head_revision(engine)}")


def _register_plugins() -> None:
    """Commands that live in their own modules."""
    from planner.mapping_cli import register as register_mapping
    from planner.progress_cli import register as register_progress
    from planner.runbook_cli import register as register_runbook
    from planner.sources_cli import register as register_sources

    register_runbook(app, _engine, out)
    register_sources(app, _engine, out)
    register_mapping(app, out)
    register_progress(app, _engine, out)


_register_plugins()


class _Interrupted(BaseException):
    """Ctrl-C or SIGTERM. A BaseException of our own, because Typer turns KeyboardInterrupt
    into a silent exit 130 before `main` could tell the user what happened."""


def _interrupt(signum: int, frame: object) -> None:
    raise _Interrupted(signum)


def _environment_problem(exc: BaseException) -> str | None:
    """One sentence for a failure of the machine around the program: a full or read-only
    disk, a lost database server, memory. Transactions roll back and files are written to
    a temporary name first, so nothing half-done is left; SQL and paths of the program's
    own files are not shown."""
    if isinstance(exc, MemoryError):
        return "out of memory; nothing was written"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or type(exc).__name__}; nothing half-written was kept"
    from planner.db import environment_failure

    return environment_failure(exc)


def _quiet_unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """Errors raised where Python cannot propagate them (a writer generator closed during
    garbage collection after a full disk, say) follow an error that is already reported;
    Python would print their traceback. Shown with PLANNER_DEBUG=1 only."""
    if os.environ.get("PLANNER_DEBUG"):
        sys.__unraisablehook__(unraisable)


def main() -> None:
    """Console-script entry point: run the app, turning errors into one sentence."""
    sys.unraisablehook = _quiet_unraisable
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)  # a stopped service cleans up like Ctrl-C
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
    except (_Interrupted, KeyboardInterrupt):
        err.print("Interrupted; nothing half-written was kept.", markup=False)
        sys.exit(130)
    except (OSError, MemoryError, DBAPIError) as exc:
        sentence = _environment_problem(exc)
        if sentence is None:
            _internal_error(exc)
        err.print(f"error: {sentence}", markup=False)
        sys.exit(1)
    except Exception as exc:  # a genuine bug: one line, not a traceback
        _internal_error(exc)


def _internal_error(exc: BaseException) -> NoReturn:
    """A genuine bug: one line (the traceback with PLANNER_DEBUG=1), exit code 2."""
    if os.environ.get("PLANNER_DEBUG"):
        traceback.print_exception(exc)
    err.print(
        f"internal error: {type(exc).__name__}: "
        f"{exc} (set PLANNER_DEBUG=1 for details, and please report it)",
        markup=False,
    )
    sys.exit(2)


if __name__ == "__main__":
    main()
