"""`planner runbook`: one wave's cutover runbook as a table, a fit verdict and a CSV.

The command lives here and registers itself on the CLI app (`register(app, _engine, out)`
in `planner/cli.py`), so the runbook can grow options without touching the other
commands. Like every command it makes one library call (`build_runbook`) and prints;
`PlannerError`s reach `planner.cli.main`, which prints them as one sentence, exit code 1.

Decisions: a runbook that does not fit is a finding, not a failure: exit code 0 with a
warning naming the items to move, unless `--strict` (exit code 1, for scripts and CI).
The CSV is written only with `--csv FILE`, so running the command twice never trips over
its own file; an existing file is replaced only with `--force`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from planner.runbook import WINDOW_EXAMPLE, Runbook
from solvers.limits import TimeBudget

TIME = "%Y-%m-%d %H:%M"


def register(app: typer.Typer, engine_factory: Callable[[], Any], out_console: Console) -> None:
    """Add `planner runbook` to `app`; `engine_factory()` opens the database (honouring --db)."""

    @app.command("runbook")
    def runbook(
        wave: Annotated[
            int,
            typer.Option(
                "--wave", "-w", min=1, max=520, help="The wave whose cutover to schedule."
            ),
        ],
        window: Annotated[
            Optional[str],
            typer.Option(
                "--window",
                metavar="START..END",
                help=f"Cutover window in ISO 8601, e.g. {WINDOW_EXAMPLE} (default: from [cutover] "
                "in the plan's plan.toml: "
                "the wave's first day + day_offset at start_time, for hours).",
            ),
        ] = None,
        plan_id: Annotated[
            Optional[int],
            typer.Option("--plan", min=1, max=2**31 - 1, help="Plan id (default: the latest)."),
        ] = None,
        config: Annotated[
            Optional[Path],
            typer.Option(
                "--config",
                "-c",
                help="Take [cutover] (staff, start_time, day_offset, hours) from this plan.toml "
                "instead of the one stored with the plan; no re-plan needed.",
            ),
        ] = None,
        csv: Annotated[
            Optional[Path],
            typer.Option(
                "--csv",
                help="Also write the runbook to this CSV file (UTF-8 with BOM), "
                "e.g. runbook-w3.csv.",
            ),
        ] = None,
        force: Annotated[
            bool, typer.Option("--force", help="Overwrite an existing CSV file.")
        ] = False,
        time_limit: Annotated[
            float,
            typer.Option(
                "--time-limit",
                min=0.1,
                max=1_000_000,
                help="Seconds you wait (wall clock), the search for items to move when the wave "
                "does not fit included. The same inputs give the same runbook on any machine, "
                "unless the limit cuts the search short on a slow or busy one; "
                "the output then says so.",
            ),
        ] = 10.0,
        strict: Annotated[
            bool,
            typer.Option(
                "--strict", help="Exit with code 1 when the runbook does not fit its window."
            ),
        ] = False,
    ) -> None:
        """Schedule one wave's cutover steps under team staff and check they fit the window.

        One step per item of the wave, lasting its downtime and needing one person of its
        team; dependencies inside the wave order the steps. The end of the last step is
        minimised. When it does not fit the window, the items to move to a later wave are
        named (each with its move group and what depends on it in the wave).

        Example: planner runbook --wave 3 --window 2027-03-06T08:00..2027-03-07T20:00 --csv runbook-w3.csv
        """  # noqa: E501 (a command example stays one line)
        budget = TimeBudget.start(time_limit, since=_started())  # the user waits from then
        result = _build(engine_factory, wave, window, plan_id, config, budget)
        _report(result, out_console, csv, force)
        if strict and not result.fits:
            raise typer.Exit(1)


def _build(
    engine_factory: Callable[[], Any],
    wave: int,
    window: str | None,
    plan_id: int | None,
    config: Path | None,
    budget: TimeBudget,
) -> Runbook:
    """The one library call, with the window and [cutover] taken from the options when given
    (a --config cutover replaces the stored one, so no re-plan is needed)."""
    from planner.runbook import build_runbook, parse_window

    span = parse_window(window) if window else None
    cutover = None
    if config is not None:
        from planner.config import load_config

        cutover = load_config(config)[0].cutover
    return build_runbook(
        engine_factory(), wave, plan_id=plan_id, window=span, budget=budget, cutover=cutover
    )


def _report(result: Runbook, out_console: Console, csv: Path | None, force: bool) -> None:
    """Print the table, notes and verdict, and write the CSV only when --csv asks for it (an
    existing file only with --force)."""
    out_console.print(runbook_table(result))
    for note in result.notes:
        out_console.print(f"note: {note}", markup=False)
    for line in verdict(result):
        out_console.print(line, markup=False)
    if csv is not None:
        from exports.csv_export import write_runbook_csv
        from exports.files import writable

        with writable(csv, force) as tmp:
            write_runbook_csv(result.to_export(), tmp)
        out_console.print(f"Wrote {csv}", markup=False)


def _started() -> float:
    """The `time.monotonic()` instant this process started (Linux /proc; now elsewhere), so
    that the time limit counts the start-up the user waits for too."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        age = float(Path("/proc/uptime").read_text().split()[0]) - int(fields[19]) / os.sysconf(
            "SC_CLK_TCK"
        )
    except (OSError, ValueError, IndexError):
        age = 0.0
    return time.monotonic() - min(max(age, 0.0), 60.0)


def runbook_table(result: Runbook) -> Table:
    """The steps as a rich table (item names are text, never markup)."""
    table = Table(
        "step",
        "start",
        "end",
        "team",
        "item",
        "depends on",
        "note",
        title=f"Cutover runbook, plan {result.plan_id}, wave {result.wave}",
    )
    for step in result.steps:
        note = (
            "move to a later wave"
            if step.move
            else ("after the window" if result.is_late(step) else "")
        )
        table.add_row(
            str(step.number),
            step.start.strftime(TIME),
            step.end.strftime(TIME),
            step.team,
            Text(step.item_id),
            ", ".join(map(str, step.depends_on)),
            note,
            style="red" if result.is_late(step) else None,
        )
    return table


def verdict(result: Runbook) -> list[str]:
    """The fit line, the items to move, and the solver's honesty line."""
    window = f"{result.window_start.strftime(TIME)} - {result.window_end.strftime(TIME)}"
    used = f"{_hours(result.makespan)} of {_hours(result.window_minutes)}"
    lines = []
    if result.fits:
        lines.append(
            f"Fits the window {window}: the last step ends {result.end.strftime(TIME)} ({used})."
        )
    else:
        lines.append(
            f"warning: does not fit the window {window}: the last step ends "
            f"{result.end.strftime(TIME)} "
            f"({used})."
        )
        if result.items_to_move:
            rest = (
                f"; the rest then ends {result.end_after_move.strftime(TIME)}"
                if result.end_after_move and len(result.items_to_move) < len(result.steps)
                else ""
            )
            lines.append(f"Move {len(result.items_to_move)} item(s) to a later wave{rest}:")
            lines += [f"  {item}" for item in result.items_to_move]
            lines.append(
                "Pin them (plan.toml [pins] or the pin column of plan.xlsx, "
                "then planner import-pins) and "
                "run planner replan; or widen the window (--window) or add staff ([cutover].staff)."
            )
    lines.append(
        f"Solver: {result.status}, last step at {result.makespan} min, proven lower bound "
        f"{result.bound} min, {result.runtime:.1f} s."
    )
    return lines


def _hours(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d} min"
