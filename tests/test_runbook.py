"""Tests for cutover runbooks: one wave's steps scheduled under team staff inside its window.

Every wave is a handful of items with a known optimal makespan, derived in a comment
beside the assertion. Each test imports a real workbook, makes a real plan with one wave
(so every item is in wave 1) and runs the independent verifier on it; the runbook is
then built from the stored plan as `planner runbook` builds it.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy.engine import Engine

from exports import write
from exports.csv_export import write_runbook_csv
from exports.model import ExportPlan, ExportRunbook, ExportRunbookStep
from exports.xlsx import RUNBOOK_COLUMNS, write_xlsx
from planner.config import Cutover, parse_config
from exports.errors import PlannerError
from planner.export_data import load_export
from planner.planning import make_plan
from planner.runbook import CAPPED_NOTE, MOVE_NOTE, Runbook, build_runbook, parse_window
from planner.verify import verify_plan
from solvers.limits import TimeBudget
from tests.conftest import ROOT
from tests.tiny_inventory import Sheets, app, dep, import_inventory, server

N = "Nordby"
FAST = dict(time_limit=5, workers=1, seed=0)
RUNBOOK = dict(time_limit=5, workers=1)


def nid(kind: str, name: str) -> str:
    return f"{N}/{kind}/{name}"


def toml(staff: dict[str, int], cutover: str = "") -> str:
    """One weekly wave from Saturday 2027-03-06 with ample team hours, and a [cutover] section."""
    lines = [
        "[calendar]",
        "start = 2027-03-06",
        "wave_length_days = 7",
        "max_waves = 1",
        "[capacity]",
    ]
    lines += [
        f"{team} = 1000" for team in ("network", "directory", "server", "application", "workplace")
    ]
    lines += [
        "[cutover]",
        "staff = { " + ", ".join(f"{k} = {v}" for k, v in staff.items()) + " }",
        cutover,
    ]
    return "\n".join(lines) + "\n"


def planned(engine: Engine, folder: Path, sheets: Sheets, config_text: str) -> int:
    """Import, plan (all in wave 1), verify independently; the plan's id."""
    import_inventory(engine, folder, {N: sheets})
    outcome = make_plan(engine, parse_config(config_text), config_text, **FAST)
    assert verify_plan(engine, outcome.plan) == []
    assert set(outcome.item_waves.values()) == {1}
    return outcome.plan.id or 0


def step_of(runbook: Runbook, kind: str, name: str) -> Any:
    return next(s for s in runbook.steps if s.item_id == nid(kind, name))


#: Three servers of 2 h and an application of 4 h on S1 (runs_on: the server's step first).
THREE_SERVERS_ONE_APP: Sheets = {
    "Servers": [server(f"S{i}", downtime_hours=2) for i in (1, 2, 3)],
    "Applications": [app("A", servers="S1", downtime_hours=4)],
}


# ----------------------------------------------------------------------------- known optima
def test_three_servers_and_an_application_take_six_hours(engine: Engine, tmp_path: Path) -> None:
    # 2 server staff: S1 and S2 at 0-2 h, S3 at 2-4 h; A needs S1 done: 2-6 h. The critical
    # path S1 -> A is 2 + 4 = 6 h, so 6 h = 360 min is optimal and proven.
    plan_id = planned(
        engine, tmp_path, THREE_SERVERS_ONE_APP, toml({"server": 2, "application": 1})
    )
    runbook = build_runbook(engine, 1, plan_id=plan_id, **RUNBOOK)
    assert (runbook.makespan, runbook.bound, runbook.status, runbook.fits) == (
        360,
        360,
        "optimal",
        True,
    )
    assert runbook.items_to_move == () and runbook.notes == ()
    # The default window: the wave's first day at 08:00 for 36 h (the [cutover] defaults).
    assert (runbook.window_start, runbook.window_end) == (
        datetime(2027, 3, 6, 8),
        datetime(2027, 3, 7, 20),
    )
    s1, a = step_of(runbook, "server", "S1"), step_of(runbook, "application", "A")
    assert (s1.start, s1.end, s1.team, s1.minutes) == (
        datetime(2027, 3, 6, 8),
        datetime(2027, 3, 6, 10),
        "server",
        120,
    )
    assert (a.start, a.end, a.team) == (
        datetime(2027, 3, 6, 10),
        datetime(2027, 3, 6, 14),
        "application",
    )
    assert a.depends_on == (s1.number,)
    assert [s.number for s in runbook.steps] == [1, 2, 3, 4]
    assert [s.start for s in runbook.steps] == sorted(s.start for s in runbook.steps)
    assert runbook.end == datetime(2027, 3, 6, 14)


def test_whole_steps_beat_the_staff_hours_bound(engine: Engine, tmp_path: Path) -> None:
    # Five server steps of 3 h on 2 people: 15 staff-hours / 2 = 7.5 h is a lower bound,
    # but steps are not split, so one person does three of them: 9 h = 540 min is optimal.
    # The window follows [cutover]: one day after the wave's first day, 18:00, for 12 h.
    sheets: Sheets = {"Servers": [server(f"S{i}", downtime_hours=3) for i in range(1, 6)]}
    config = toml({"server": 2}, "start_time = 18:00:00\nday_offset = 1\nhours = 12")
    plan_id = planned(engine, tmp_path, sheets, config)
    runbook = build_runbook(engine, 1, plan_id=plan_id, **RUNBOOK)
    assert (runbook.makespan, runbook.bound, runbook.status, runbook.fits) == (
        540,
        540,
        "optimal",
        True,
    )
    assert (runbook.window_start, runbook.window_end) == (
        datetime(2027, 3, 7, 18),
        datetime(2027, 3, 8, 6),
    )
    per_start: dict[datetime, int] = {}
    for step in runbook.steps:
        per_start[step.start] = per_start.get(step.start, 0) + 1
    assert sorted(per_start.values()) == [1, 2, 2]  # never more than the 2 people on duty


def test_dependencies_order_the_steps(engine: Engine, tmp_path: Path) -> None:
    # One person per team. Network N (1 h default) before server S on it (2 h) before
    # application A on S (4 h); B and A integrate with each other (hard, both ways: a
    # same-wave loop), so one order is dropped with a note and A, read first, goes first.
    # The chain N -> S -> A -> B is 1 + 2 + 4 + 1 = 8 h = 480 min, optimal.
    sheets: Sheets = {
        "Networks": [dict(name="N", kind="administrative")],
        "Servers": [server("S", network="N", downtime_hours=2)],
        "Applications": [app("A", servers="S", downtime_hours=4), app("B", downtime_hours=1)],
        "Dependencies": [
            dep("application", "A", "application", "B", "integrates_with"),
            dep("application", "B", "application", "A", "integrates_with"),
        ],
    }
    plan_id = planned(engine, tmp_path, sheets, toml({"network": 1, "server": 1, "application": 1}))
    runbook = build_runbook(engine, 1, plan_id=plan_id, **RUNBOOK)
    assert (runbook.makespan, runbook.status) == (480, "optimal")
    order = [s.item_id for s in runbook.steps]
    assert order == [
        nid("network", "N"),
        nid("server", "S"),
        nid("application", "A"),
        nid("application", "B"),
    ]
    assert [s.depends_on for s in runbook.steps] == [(), (1,), (2,), (3,)]
    assert runbook.notes == (
        f"{nid('application', 'B')} and {nid('application', 'A')} need each other; "
        f"the runbook does {nid('application', 'A')} first",
    )


# ----------------------------------------------------------------------------- not fitting
def test_a_wave_that_does_not_fit_names_the_items_to_move(engine: Engine, tmp_path: Path) -> None:
    # One server and one application person; S1-S3 of 2 h, A of 4 h on S3; a 5 h window.
    # The chain S3 -> A alone takes 6 h, so S3 and A (one move group) must move; S1 and S2
    # then take 4 h and fit. Moving a lone server is not enough (the chain still takes 6 h).
    sheets: Sheets = {
        "Servers": [server(f"S{i}", downtime_hours=2) for i in (1, 2, 3)],
        "Applications": [app("A", servers="S3", downtime_hours=4)],
    }
    plan_id = planned(engine, tmp_path, sheets, toml({"server": 1, "application": 1}))
    window = parse_window("2027-03-06T08:00..2027-03-06T13:00")
    runbook = build_runbook(engine, 1, plan_id=plan_id, window=window, **RUNBOOK)
    assert (runbook.fits, runbook.makespan, runbook.bound, runbook.status) == (
        False,
        360,
        360,
        "optimal",
    )
    assert runbook.items_to_move == (nid("application", "A"), nid("server", "S3"))
    assert runbook.end_after_move == datetime(2027, 3, 6, 12)
    assert {s.item_id for s in runbook.steps if s.move} == set(runbook.items_to_move)
    assert len(runbook.steps) == 4  # the runbook still shows the whole wave
    exported = runbook.to_export()
    assert {s.item for s in exported.steps if s.note == MOVE_NOTE} == set(runbook.items_to_move)
    # The same wave in a 6 h window fits, as the optimum says (the passing twin).
    wide = build_runbook(
        engine,
        1,
        plan_id=plan_id,
        window=parse_window("2027-03-06T08:00..2027-03-06T14:00"),
        **RUNBOOK,
    )
    assert (wide.fits, wide.items_to_move, wide.end_after_move) == (True, (), None)


def test_the_same_inputs_give_the_same_runbook_and_advice(engine: Engine, tmp_path: Path) -> None:
    # A runbook is handed to people: two runs must not disagree on who does what when, or
    # on what to move. Twelve servers and six applications for two people per team in a
    # 6 h window need several re-schedules, with CP-SAT's two interleaved workers.
    sheets: Sheets = {
        "Servers": [server(f"S{i}", downtime_hours=1 + i % 3) for i in range(12)],
        "Applications": [
            app(f"A{i}", servers=f"S{2 * i}", downtime_hours=2 + i % 2) for i in range(6)
        ],
    }
    plan_id = planned(engine, tmp_path, sheets, toml({"server": 2, "application": 2}))
    window = parse_window("2027-03-06T08:00..2027-03-06T14:00")
    # A deterministic budget of 4 units with a wall-clock deadline far away (issue 21: a time
    # limit is wall-clock seconds now, which a busy machine may cut): the units end each search.
    runs = [
        build_runbook(
            engine,
            1,
            plan_id=plan_id,
            window=window,
            workers=2,
            budget=TimeBudget(4.0, time.monotonic() + 300),
        )
        for _ in range(2)
    ]
    assert all(CAPPED_NOTE not in run.notes for run in runs)
    assert not runs[0].fits and runs[0].items_to_move
    first, second = ([(s.item_id, s.start, s.end) for s in r.steps] for r in runs)
    assert first == second
    assert runs[0].items_to_move == runs[1].items_to_move


def test_issue_21_a_runbook_cut_short_by_the_wall_clock_says_so(
    engine: Engine, tmp_path: Path
) -> None:
    # The runbook above, once with a deadline that has passed before the solves begin: what
    # they find is still a valid runbook, but another run may differ, and it says so. With a
    # deadline far away the deterministic budget ends first: no such note.
    sheets: Sheets = {
        "Servers": [server(f"S{i}", downtime_hours=1 + i % 3) for i in range(12)],
        "Applications": [
            app(f"A{i}", servers=f"S{2 * i}", downtime_hours=2 + i % 2) for i in range(6)
        ],
    }
    plan_id = planned(engine, tmp_path, sheets, toml({"server": 2, "application": 2}))
    window = parse_window("2027-03-06T08:00..2027-03-06T14:00")
    cut = build_runbook(
        engine,
        1,
        plan_id=plan_id,
        window=window,
        workers=2,
        budget=TimeBudget(10.0, time.monotonic()),
    )
    assert CAPPED_NOTE in cut.notes and cut.steps and not cut.fits
    whole = build_runbook(
        engine,
        1,
        plan_id=plan_id,
        window=window,
        workers=2,
        budget=TimeBudget(4.0, time.monotonic() + 300),
    )
    assert CAPPED_NOTE not in whole.notes


def test_staff_from_another_cutover_section(engine: Engine, tmp_path: Path) -> None:
    # The stored plan has 1 server person: 3 servers of 2 h in a row take 6 h, over a 5 h
    # window. `cutover=` (planner runbook --config) with 3 people: all at once, 2 h.
    sheets: Sheets = {"Servers": [server(f"S{i}", downtime_hours=2) for i in (1, 2, 3)]}
    plan_id = planned(engine, tmp_path, sheets, toml({"server": 1}, "hours = 5"))
    assert build_runbook(engine, 1, plan_id=plan_id, **RUNBOOK).fits is False
    more = build_runbook(
        engine, 1, plan_id=plan_id, cutover=Cutover(hours=5, staff={"server": 3}), **RUNBOOK
    )
    assert (more.fits, more.makespan, more.staff["server"]) == (True, 120, 3)
    with pytest.raises(
        PlannerError, match=r"\[cutover\]\.staff has no server staff, but wave 1 has 3 server"
    ):
        build_runbook(engine, 1, plan_id=plan_id, cutover=Cutover(staff={"network": 1}), **RUNBOOK)
    with pytest.raises(
        PlannerError, match=r"\[cutover\]\.staff\.server is -1; staff is a number of people"
    ):
        build_runbook(engine, 1, plan_id=plan_id, cutover=Cutover(staff={"server": -1}), **RUNBOOK)
    with pytest.raises(PlannerError, match=r"unknown team 'servers'"):
        build_runbook(engine, 1, plan_id=plan_id, cutover=Cutover(staff={"servers": 3}), **RUNBOOK)
    with pytest.raises(
        PlannerError, match=rf"plan {plan_id} has no items in wave 2 \(it uses waves 1-1\)"
    ):
        build_runbook(engine, 2, plan_id=plan_id, **RUNBOOK)


# ----------------------------------------------------------------------------- the window
@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2027-03-06T08:00..2027-03-07T20:00", datetime(2027, 3, 6, 8), datetime(2027, 3, 7, 20)),
        (
            " 2027-03-06 08:00 .. 2027-03-06T08:01 ",
            datetime(2027, 3, 6, 8),
            datetime(2027, 3, 6, 8, 1),
        ),
        (
            "2027-03-06T22:30:00..2027-03-07T02:00:00",
            datetime(2027, 3, 6, 22, 30),
            datetime(2027, 3, 7, 2),
        ),
    ],
)
def test_window_parses(text: str, start: datetime, end: datetime) -> None:
    assert parse_window(text) == (start, end)


def test_window_with_utc_offsets() -> None:
    start, end = parse_window("2027-03-06T08:00+01:00..2027-03-06T20:00+01:00")
    assert (end - start).total_seconds() == 12 * 3600 and start.utcoffset() is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "2027-03-06T08:00",
            "--window must be START..END in ISO 8601, e.g. "
            "2027-03-06T08:00..2027-03-07T20:00; got '2027-03-06T08:00'",
        ),
        ("2027-03-06T08:00..2027-03-07T20:00..2027-03-08T08:00", "--window must be START..END"),
        (
            "2027-03-07T20:00..2027-03-06T08:00",
            "--window ends at 2027-03-06T08:00, which is not after its start 2027-03-07T20:00",
        ),
        (
            "2027-03-06T08:00..2027-03-06T08:00",
            "--window ends at 2027-03-06T08:00, which is not after its start 2027-03-06T08:00",
        ),
        ("2027-03-06T08:00..2027-03-06T08:00:30", "--window is shorter than a minute"),
        (
            "2027-13-06T08:00..2027-03-07T20:00",
            "--window: '2027-13-06T08:00' is not an ISO 8601 date and time",
        ),
        ("saturday..sunday", "--window: 'saturday' is not an ISO 8601 date and time"),
        (
            "2027-03-06..2027-03-07",
            "--window: '2027-03-06' has no time of day; write e.g. 2027-03-06T08:00",
        ),
        (
            "2027-03-06T08:00+01:00..2027-03-06T20:00",
            "--window: give a UTC offset on both ends or on neither",
        ),
    ],
)
def test_window_errors(text: str, message: str) -> None:
    with pytest.raises(PlannerError) as caught:
        parse_window(text)
    assert str(caught.value).startswith(message)


# ----------------------------------------------------------------------------- exports
def test_runbook_sheet_and_csv_read_back(engine: Engine, tmp_path: Path) -> None:
    plan_id = planned(
        engine, tmp_path, THREE_SERVERS_ONE_APP, toml({"server": 2, "application": 1})
    )
    assert load_export(engine, plan_id).runbooks == ()  # the default export stays fast
    plan = load_export(engine, plan_id, runbooks=True, runbook_time_limit=5)
    assert [r.wave for r in plan.runbooks] == [1]
    write(tmp_path / "plan.xlsx", plan)
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert book.sheetnames[-1] == "Runbook 1"
    rows = list(book["Runbook 1"].iter_rows(values_only=True))
    headers = [h for h, _ in RUNBOOK_COLUMNS]
    assert list(rows[0]) == headers
    steps = [dict(zip(headers, r)) for r in rows[1:5]]
    app_row = next(s for s in steps if s["item"] == nid("application", "A"))
    s1_row = next(s for s in steps if s["item"] == nid("server", "S1"))
    assert (app_row["start"], app_row["end"], app_row["team"]) == (
        datetime(2027, 3, 6, 10),
        datetime(2027, 3, 6, 14),
        "application",
    )
    assert app_row["depends_on"] == str(s1_row["step"]) and app_row["note"] is None
    assert [s["step"] for s in steps] == [1, 2, 3, 4]
    labels = {r[0]: r[1] for r in rows[6:] if r[0]}
    assert labels["Fits the window"] == "yes" and labels["Solver status"] == "optimal"
    assert labels["Last step ends"] == datetime(2027, 3, 6, 14)

    path = write_runbook_csv(plan.runbooks[0], tmp_path / "runbook-w1.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle))
    assert table[0] == headers and len(table) == 5
    app_csv = next(r for r in table[1:] if r[4] == nid("application", "A"))
    assert app_csv[1:4] == ["2027-03-06 10:00", "2027-03-06 14:00", "application"]


def test_runbook_exports_never_hold_formulas(tmp_path: Path) -> None:
    # Hand-made, as the writers see it: an item id that a spreadsheet would evaluate.
    at = datetime(2027, 3, 6, 8)
    hostile = '=HYPERLINK("http://evil","x")'
    runbook = ExportRunbook(
        wave=2,
        window_start=at,
        window_end=datetime(2027, 3, 6, 9),
        fits=False,
        status="optimal",
        makespan_minutes=120,
        items_to_move=("@SUM(A1)",),
        steps=(
            ExportRunbookStep(1, at, datetime(2027, 3, 6, 10), "server", hostile),
            ExportRunbookStep(2, at, at, "server", "@SUM(A1)", (1,), MOVE_NOTE),
        ),
    )
    with open(
        write_runbook_csv(runbook, tmp_path / "r.csv"), encoding="utf-8-sig", newline=""
    ) as handle:
        items = [r[4] for r in list(csv.reader(handle))[1:]]
    assert items == ["'" + hostile, "'@SUM(A1)"]
    plan = ExportPlan(
        id=1,
        status="optimal",
        created=at,
        objective={},
        bound={},
        municipalities=("Runbook 2",),
        runbooks=(runbook,),
    )
    write_xlsx(plan, tmp_path / "p.xlsx")
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert (
        "Runbook 2" in book.sheetnames and "Runbook 2 (2)" in book.sheetnames
    )  # the municipality yields
    cell = book["Runbook 2"]["E2"]
    assert (cell.value, cell.data_type) == (hostile, "s")


# ----------------------------------------------------------------------------- the command
REGISTERED_CLI = (
    "import sys\n"
    "from planner import cli\n"
    "from planner.runbook_cli import register\n"
    "if not any(c.name == 'runbook' for c in cli.app.registered_commands):\n"
    "    register(cli.app, cli._engine, cli.out)\n"
    "sys.argv[0] = 'planner'\n"
    "cli.main()\n"
)


def planner(tmp_path: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`planner ARGS…` as a user runs it, with `runbook` registered as cli.py will register it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env.update(
        {
            "PLANNER_DB": db_url,
            "PYTHONIOENCODING": "utf-8",
            "COLUMNS": "200",
            "PYTHONPATH": str(ROOT),
        }
    )
    return subprocess.run(
        [sys.executable, "-c", REGISTERED_CLI, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_runbook_command(engine: Engine, db_url: str, tmp_path: Path) -> None:
    planned(engine, tmp_path, THREE_SERVERS_ONE_APP, toml({"server": 1, "application": 1}))
    fits = planner(
        tmp_path, db_url, "runbook", "--wave", "1", "--csv", "runbook-w1.csv", "--time-limit", "5"
    )
    assert fits.returncode == 0, fits.stderr
    assert "Fits the window 2027-03-06 08:00 - 2027-03-07 20:00" in fits.stdout
    assert "Wrote runbook-w1.csv" in fits.stdout
    assert nid("application", "A") in fits.stdout
    assert len(list(csv.reader((tmp_path / "runbook-w1.csv").open(encoding="utf-8-sig")))) == 5

    # 1 server person: S1, S2, S3 take 6 h, over a 5 h window; --strict turns it into exit 1,
    # and the existing CSV is not overwritten without --force.
    late = planner(
        tmp_path,
        db_url,
        "runbook",
        "--wave",
        "1",
        "--window",
        "2027-03-06T08:00..2027-03-06T13:00",
        "--strict",
        "--time-limit",
        "5",
    )
    assert late.returncode == 1, late.stderr
    assert (
        "warning: does not fit the window" in late.stdout
        and "Move 2 item(s) to a later wave" in late.stdout
    )
    again = planner(
        tmp_path, db_url, "runbook", "--wave", "1", "--csv", "runbook-w1.csv", "--window", "x..y"
    )
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert (
        again.stderr.strip()
        == "error: --window: 'x' is not an ISO 8601 date and time (e.g. 2027-03-06T08:00)"
    )
