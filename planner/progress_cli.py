"""The project managers' loop on the command line: `import-progress`, `progress`, `diff`.

The commands register themselves on the CLI app (`register(app, engine_factory, out)` in
`planner/cli.py`). Each makes one library call (`planner.progress`, `planner.diff`) and
prints; `PlannerError`s reach `planner.cli.main`, which prints them as one sentence, exit 1.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

PlanOption = Annotated[int | None, typer.Option("--plan", help="Plan id (default: the latest).")]
COLUMNS = ("planned", "done", "failed", "postponed", "in_progress", "remaining")


def register(app: typer.Typer, engine_factory: Callable[[], Any], out: Console) -> None:
    """Add `import-progress`, `progress` and `diff` to `app`."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    _register_import(app, engine_factory, out, err)
    _register_progress(app, engine_factory, out, err)
    _register_diff(app, engine_factory, out)


def _register_import(
    app: typer.Typer, engine_factory: Callable[[], Any], out: Console, err: Console
) -> None:
    """`planner import-progress`."""

    @app.command("import-progress")
    def import_progress_command(
        file: Annotated[
            Path,
            typer.Argument(
                help="An exported plan.xlsx whose Items sheet's status, "
                "actual_date and comment columns were edited."
            ),
        ],
        plan_id: Annotated[
            int | None,
            typer.Option("--plan", help="The plan the workbook is of (default: the latest plan)."),
        ] = None,
    ) -> None:
        """Record what happened to each item (status, actual date, comment) from a plan.xlsx.

        All or nothing: every problem is reported as FILE:SHEET!CELL: message and nothing is
        stored. Each changed item gets a new history row with the file name and time; pins in
        the same workbook are read by `planner import-pins`.

        Example: planner import-progress edited.xlsx && planner progress
        """
        from planner.progress import import_progress

        summary = import_progress(engine_factory(), file, label=str(file), plan_id=plan_id)
        for warning in summary.warnings:
            err.print(f"warning: {warning}", markup=False)
        out.print(summary.line(str(file)), markup=False)


def _register_progress(
    app: typer.Typer, engine_factory: Callable[[], Any], out: Console, err: Console
) -> None:
    """`planner progress`."""

    @app.command("progress")
    def progress_command(
        plan_id: PlanOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
        history: Annotated[
            str | None,
            typer.Option(
                "--history",
                metavar="ITEM",
                help="Every recorded state of one item (municipality/kind/name).",
            ),
        ] = None,
        chart: Annotated[
            Path | None,
            typer.Option(
                "--chart",
                help="Also write the burn-up chart (planned against done, cumulative) to this "
                ".png/.svg.",
            ),
        ] = None,
        force: Annotated[
            bool, typer.Option("--force", help="Overwrite an existing chart file.")
        ] = False,
    ) -> None:
        """Progress per wave and municipality: planned, done, failed, postponed, remaining.

        Items and effort hours per status, and the programme's end date as planned and as
        forecast. `--history ITEM` lists every state recorded for one item, oldest first.

        Example: planner progress --plan 3 --chart progress.png
        """
        from planner.progress import history as item_history
        from planner.progress import progress_report

        engine = engine_factory()
        if history is not None:
            _history(out, *item_history(engine, history), as_json)
            return
        report = progress_report(engine, plan_id)
        if chart is not None:
            _chart(engine, report["plan"], chart, force)
        if as_json:
            print(json.dumps(report, ensure_ascii=False, indent=2))
        else:
            _print_report(out, report)
        if chart is not None:  # on stderr with --json, so stdout stays one JSON document
            (err if as_json else out).print(f"Wrote {chart}", markup=False)


def _register_diff(app: typer.Typer, engine_factory: Callable[[], Any], out: Console) -> None:
    """`planner diff`."""

    @app.command("diff")
    def diff_command(
        plan_a: Annotated[
            int | None, typer.Argument(help="The earlier plan (default: the parent of PLAN_B).")
        ] = None,
        plan_b: Annotated[
            int | None, typer.Argument(help="The later plan (default: the latest).")
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    ) -> None:
        """What changed between two plans: moved items (from → to, and why), added and removed
        items, and waves whose dates changed.

        With no plans named: the latest plan against its parent. One plan named: that plan
        against its parent.

        Example: planner diff 3 5 --json
        """
        from planner.diff import diff_plans

        if plan_b is None and plan_a is not None:  # one plan named: against its parent
            plan_a, plan_b = None, plan_a
        changes = diff_plans(engine_factory(), plan_a, plan_b)
        if as_json:
            print(json.dumps(changes.as_dict(), ensure_ascii=False, indent=2))
            return
        _print_diff(out, changes)


def _row(table: Table, *values: Any, style: str | None = None) -> None:
    """Names are data: cells are plain text, never console markup."""
    table.add_row(*(Text(str(v)) for v in values), style=style)


def _history(out: Console, item: str, rows: list[Any], as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "item": item,
                    "history": [
                        {
                            "plan": plan,
                            "status": s.status,
                            "actual_date": s.actual_date and s.actual_date.isoformat(),
                            "comment": s.comment,
                            "source": s.source,
                            "recorded": s.recorded and s.recorded.isoformat(),
                        }
                        for plan, s in rows
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not rows:
        out.print(f"No progress recorded for {item}: it is planned.", markup=False)
        return
    table = Table(
        "plan", "recorded (UTC)", "status", "actual date", "comment", "source", title=Text(item)
    )
    for plan, s in rows:
        _row(
            table,
            str(plan),
            s.recorded.strftime("%Y-%m-%d %H:%M") if s.recorded else "",
            s.status,
            s.actual_date.isoformat() if s.actual_date else "",
            s.comment or "",
            s.source or "",
        )
    out.print(table)


def _print_report(out: Console, report: dict[str, Any]) -> None:
    table = Table(
        "wave",
        "start",
        "end",
        *COLUMNS,
        "hours done / planned",
        title=f"Progress of plan {report['plan']}",
    )
    for wave in report["waves"]:
        items, hours = wave["items"], wave["hours"]
        _row(
            table,
            str(wave["wave"]),
            wave["start"] or "",
            wave["end"] or "",
            *(str(items[k]) for k in COLUMNS),
            f"{hours['done']:,.1f} / {hours['planned']:,.1f}",
        )
    total = report["total"]
    _row(
        table,
        "total",
        "",
        "",
        *(str(total["items"][k]) for k in COLUMNS),
        f"{total['hours']['done']:,.1f} / {total['hours']['planned']:,.1f}",
        style="bold",
    )
    out.print(table)
    per = Table("municipality", *COLUMNS, "hours done / planned")
    for row in report["municipalities"]:
        _row(
            per,
            row["municipality"],
            *(str(row["items"][k]) for k in COLUMNS),
            f"{row['hours']['done']:,.1f} / {row['hours']['planned']:,.1f}",
        )
    out.print(per)
    end = report["end"]
    out.print(
        f"End of the programme: planned {end['planned']}, forecast {end['forecast']} "
        f"({end['basis']}).",
        markup=False,
    )


def _chart(engine: Any, plan_id: int, path: Path, force: bool) -> None:
    from planner.export_data import load_export

    if path.suffix.lower() not in (".png", ".svg"):
        from exports.errors import PlannerError

        raise PlannerError(f"{path.name}: the burn-up chart is a .png or .svg file")
    from exports.burnup import write_burn_up
    from exports.files import writable

    plan = load_export(engine, plan_id)
    with writable(path, force) as tmp:
        write_burn_up(plan, tmp, path.suffix.lower()[1:])


def _print_diff(out: Console, changes: Any) -> None:
    out.print(f"Plan {changes.plan_a} → plan {changes.plan_b}: {changes.headline()}", markup=False)
    if not changes.changes:
        return
    table = Table("change", "item / wave", "from", "to", "why")
    for c in changes.changes:
        if c.kind == "wave_dates":
            old = f"{c.from_dates[0]}..{c.from_dates[1]}" if c.from_dates else "—"
            new = f"{c.to_dates[0]}..{c.to_dates[1]}" if c.to_dates else "—"
            _row(table, c.kind, f"wave {c.wave}", old, new, c.why)
        else:
            _row(table, c.kind, c.item or "", str(c.from_wave or "—"), str(c.to_wave or "—"), c.why)
    out.print(table)
