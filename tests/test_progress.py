"""`planner import-progress` and `planner progress`: statuses, actual dates and comments typed
into an exported plan.xlsx come back, all or nothing, with their history; each bad input of
issue 22 is one line naming its cell, beside the passing case.

The inventory is the tiny one of `tests.conftest` (9 planned items, one municipality with
æøå in its names) on an 8-wave calendar; it plans optimally in well under a second:
wave 1 = the directory and the two networks, wave 2 = everything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

import exports
from planner.config import parse_config
from exports.errors import ImportFailed
from exports.json_export import schema
from planner.export_data import load_export
from planner.importing import import_files
from planner.models import Progress
from planner.pins import import_pins
from planner.planning import make_plan
from planner.progress import State, current, import_progress
from tests.conftest import InventoryBook

TOML = """
[calendar]
start = 2027-01-09
wave_length_days = 14
max_waves = 8
"""
M = "Østerå Kommune"
DIRECTORY = f"{M}/directory/østerå.local"
ADM_NET = f"{M}/network/ADM-Net"
PAED_NET = f"{M}/network/PÆD-Net"
ADMIN = f"{M}/workplace/Rådhus administration"
SCHOOL = f"{M}/workplace/Søndre Skole elever"
STATUS, ACTUAL, COMMENT = "S", "T", "U"  # the columns after `pin` (R)
DONE_DAY = date(2026, 11, 2)


def plan_once(engine: Engine, toml: str = TOML) -> int:
    outcome = make_plan(engine, parse_config(toml), toml, time_limit=5, workers=1, seed=0)
    assert outcome.plan.id is not None
    return outcome.plan.id


def edit(path: Path, changes: dict[str, dict[str, Any]], target: Path | None = None) -> Path:
    """Type into the status / actual_date / comment / pin cells of items, as a project manager."""
    book = openpyxl.load_workbook(path)
    ws = book["Items"]
    headers = [c.value for c in ws[1]]
    for r in range(2, ws.max_row + 1):
        for column, value in changes.get(ws.cell(r, 1).value, {}).items():
            ws.cell(r, headers.index(column) + 1).value = value
    book.save(target or path)
    return target or path


def row_of(path: Path, item: str) -> int:
    ws = openpyxl.load_workbook(path)["Items"]
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == item)


def stored(engine: Engine) -> list[tuple[str, str]]:
    with Session(engine) as session:
        return [(p.item_id, p.status) for p in session.execute(select(Progress)).scalars()]


@pytest.fixture
def exported(tmp_path: Path, engine: Engine) -> tuple[Engine, Path]:
    """A planned database (plan 1) and its exported workbook."""
    import_files(engine, [InventoryBook(tmp_path).write()])
    plan_once(engine)
    return engine, exports.write(tmp_path / "plan.xlsx", load_export(engine))


WAVE_1_DONE: dict[str, dict[str, Any]] = {
    DIRECTORY: {
        "status": "done",
        "actual_date": datetime(2026, 11, 2),
        "comment": "Søren: ingen fejl",
    },
    ADM_NET: {"status": "Done", "actual_date": "2026-11-03"},  # typed as text, capital D
    PAED_NET: {
        "status": "failed",
        "actual_date": datetime(2026, 11, 4),
        "comment": "rollback: VLAN 20",
    },
    SCHOOL: {"status": "postponed", "comment": "skolen har eksamen"},
    ADMIN: {"status": "in progress"},
}


def test_round_trip_of_statuses_dates_and_comments(
    exported: tuple[Engine, Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    engine, path = exported
    edit(path, WAVE_1_DONE)
    result = run_cli("import-progress", path)
    assert result.returncode == 0, result.stderr
    assert "2 done, 1 failed, 1 postponed" in result.stdout and "(5 changed)" in result.stdout
    # the failed network is needed by the done-nothing yet: no warning; states as typed
    states = current(engine, 1)
    assert states[DIRECTORY].same(State("done", DONE_DAY, "Søren: ingen fejl"))
    assert states[ADM_NET].same(State("done", date(2026, 11, 3), None))
    assert states[PAED_NET].same(State("failed", date(2026, 11, 4), "rollback: VLAN 20"))
    assert states[SCHOOL].same(State("postponed", None, "skolen har eksamen"))
    assert states[ADMIN].status == "in progress" and states[ADMIN].source == "plan.xlsx"
    # the same file again changes nothing and adds no history
    again = run_cli("import-progress", path)
    assert again.returncode == 0 and "(0 changed)" in again.stdout
    assert len(stored(engine)) == 5
    # the next export pre-fills the columns with what was recorded
    second = exports.write(tmp_path / "second.xlsx", load_export(engine))
    ws = openpyxl.load_workbook(second)["Items"]
    r = row_of(second, DIRECTORY)
    assert (ws[f"{STATUS}{r}"].value, ws[f"{ACTUAL}{r}"].value, ws[f"{COMMENT}{r}"].value) == (
        "done",
        datetime(2026, 11, 2),
        "Søren: ingen fejl",
    )
    assert ws[f"{STATUS}{row_of(second, SCHOOL)}"].value == "postponed"
    # a correction is a new history row
    edit(second, {ADMIN: {"status": "done", "actual_date": datetime(2026, 11, 20)}})
    assert run_cli("import-progress", second).returncode == 0
    history = run_cli("progress", "--history", ADMIN.upper(), "--json")
    assert history.returncode == 0, history.stderr
    rows = json.loads(history.stdout)
    assert rows["item"] == ADMIN
    assert [(h["status"], h["actual_date"], h["source"]) for h in rows["history"]] == [
        ("in progress", None, "plan.xlsx"),
        ("done", "2026-11-20", "second.xlsx"),
    ]
    table = run_cli("progress", "--history", ADMIN)
    assert table.returncode == 0 and "second.xlsx" in table.stdout


def test_status_column_is_a_drop_down_of_the_five_statuses(exported: tuple[Engine, Path]) -> None:
    _, path = exported
    ws = openpyxl.load_workbook(path)["Items"]
    lists = [v for v in ws.data_validations.dataValidation if v.type == "list"]
    assert len(lists) == 1
    assert lists[0].formula1 == '"planned,in progress,done,failed,postponed"'
    assert str(lists[0].sqref).startswith(f"{STATUS}2:{STATUS}")
    assert [ws.cell(1, c).value for c in range(18, 22)] == [
        "pin",
        "status",
        "actual_date",
        "comment",
    ]


def test_one_workbook_carries_pins_and_progress(exported: tuple[Engine, Path]) -> None:
    engine, path = exported
    edit(
        path,
        {
            SCHOOL: {"pin": 4, "status": "postponed"},
            DIRECTORY: {"status": "done", "actual_date": DONE_DAY},
        },
    )
    assert import_pins(engine, path) == 1
    summary = import_progress(engine, path)
    assert summary.counts == {"planned": 7, "postponed": 1, "done": 1} and summary.changed == 2


def test_progress_report_per_wave_and_municipality(
    exported: tuple[Engine, Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    engine, path = exported
    import_progress(engine, edit(path, WAVE_1_DONE))
    result = run_cli("progress", "--json", "--chart", "progress.png")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    wave1, wave2 = report["waves"]
    # wave 1: directory 40 h + ADM-Net 16 h done, PÆD-Net 16 h failed
    assert wave1["items"] == {
        "planned": 3,
        "in_progress": 0,
        "done": 2,
        "failed": 1,
        "postponed": 0,
        "remaining": 1,
    }
    assert wave1["hours"]["done"] == 56.0 and wave1["hours"]["remaining"] == 16.0
    assert wave2["items"]["postponed"] == 1 and wave2["items"]["in_progress"] == 1
    assert wave2["items"]["remaining"] == 6
    assert report["municipalities"][0]["municipality"] == M
    assert report["total"]["items"]["done"] == 2 and report["total"]["items"]["planned"] == 9
    assert report["end"]["planned"] == "2027-02-05"
    assert report["end"]["forecast"] >= report["end"]["planned"]
    burn = report["burn_up"]
    assert burn[-1]["planned_items"] == 9 and burn[-1]["done_items"] == 2
    assert (tmp_path / "progress.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = run_cli("progress")
    assert text.returncode == 0 and "forecast" in text.stdout and M in text.stdout
    # the workbook gets a Progress sheet once progress is recorded
    book = openpyxl.load_workbook(exports.write(tmp_path / "p.xlsx", load_export(engine)))
    sheet = book["Progress"]
    assert [c.value for c in sheet[1]][:5] == [
        "wave",
        "start",
        "end",
        "planned_items",
        "done_items",
    ]
    assert [c.value for c in sheet[2]][3:5] == [3, 2]


def test_plan_json_carries_the_recorded_progress(
    exported: tuple[Engine, Path], run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """plan.json, for other programs, says each item's recorded status, date and comment, and
    the progress per wave and the end dates as `planner progress --json` counts them; before
    anything is recorded, every item is planned and progress is null. Validated by the schema."""
    engine, path = exported
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    before = json.loads(exports.write(tmp_path / "before.json", load_export(engine)).read_text())
    validator.validate(before)
    assert before["progress"] is None and {i["status"] for i in before["items"]} == {"planned"}
    import_progress(engine, edit(path, WAVE_1_DONE))
    document = json.loads(exports.write(tmp_path / "plan.json", load_export(engine)).read_text())
    validator.validate(document)
    items = {i["id"]: i for i in document["items"]}
    assert (items[DIRECTORY]["status"], items[DIRECTORY]["actual_date"]) == ("done", "2026-11-02")
    assert items[DIRECTORY]["comment"] == "Søren: ingen fejl"
    assert items[SCHOOL]["status"] == "postponed" and items[SCHOOL]["actual_date"] is None
    report = json.loads(run_cli("progress", "--json").stdout)
    assert document["progress"]["waves"] == report["waves"]
    assert document["progress"]["end"] == report["end"]


def test_nothing_recorded_is_all_planned(
    exported: tuple[Engine, Path], run_cli: Callable[..., Any]
) -> None:
    result = run_cli("progress", "--json")
    report = json.loads(result.stdout)
    assert report["recorded"] == 0 and report["total"]["items"]["remaining"] == 9
    assert "Progress" not in openpyxl.load_workbook(exported[1]).sheetnames


# ---------------------------------------------------------------------- bad input
FUTURE = date.today() + timedelta(days=40)


@pytest.mark.parametrize(
    "changes, cell, message",
    [
        (
            {DIRECTORY: {"status": "finished"}},
            (DIRECTORY, STATUS),
            "status 'finished' is not one of planned, in progress, done, failed, postponed",
        ),
        (
            {DIRECTORY: {"status": "done"}},
            (DIRECTORY, ACTUAL),
            f"{DIRECTORY} is done but has no actual date",
        ),
        (
            {
                DIRECTORY: {
                    "status": "done",
                    "actual_date": datetime.combine(FUTURE, datetime.min.time()),
                }
            },
            (DIRECTORY, ACTUAL),
            f"the actual date {FUTURE.isoformat()} is in the future",
        ),
        (
            {ADMIN: {"status": "done", "actual_date": DONE_DAY}},
            (ADMIN, STATUS),
            (
                f"{ADMIN} is done in wave 2, but it depends on {DIRECTORY} (wave 1) and "
                f"{ADM_NET} (wave 1), which are "
                "still planned"
            ),
        ),
        (
            {DIRECTORY: {"actual_date": DONE_DAY}},
            (DIRECTORY, ACTUAL),
            "an actual date on an item whose status is planned",
        ),
        (
            {DIRECTORY: {"status": "done", "actual_date": "2.11.2026"}},
            (DIRECTORY, ACTUAL),
            "'2.11.2026' is not a date (write YYYY-MM-DD)",
        ),
        (
            {DIRECTORY: {"status": "done", "actual_date": DONE_DAY, "comment": "x" * 2001}},
            (DIRECTORY, COMMENT),
            "the comment has 2,001 characters",
        ),
        (
            {DIRECTORY: {"status": '="done"'}},
            (DIRECTORY, STATUS),
            "a formula; type the status itself",
        ),
        (
            {DIRECTORY: {"id": f"{M}/server/NO-SUCH"}},
            (DIRECTORY, "A"),
            f"'{M}/server/NO-SUCH' is not an item of plan 1",
        ),
        ({DIRECTORY: {"id": ADM_NET.upper()}}, (ADM_NET, "A"), "is listed twice (also on row 2)"),
    ],
)
def test_bad_progress_is_one_line_with_its_cell_and_nothing_is_stored(
    exported: tuple[Engine, Path],
    changes: dict[str, dict[str, Any]],
    cell: tuple[str, str],
    message: str,
) -> None:
    engine, path = exported
    row = row_of(path, cell[0])
    edit(path, changes)
    with pytest.raises(ImportFailed) as failed:
        import_progress(engine, path)
    assert len(failed.value.problems) == 1
    problem = failed.value.problems[0]
    assert problem.startswith(f"{path}:Items!{cell[1]}{row}: "), problem
    assert message in problem
    assert stored(engine) == []


def test_the_passing_twin_of_the_dependency_case(exported: tuple[Engine, Path]) -> None:
    """Admin done in wave 2 is fine once what it needs is done (or failed: then a warning)."""
    engine, path = exported
    edit(
        path,
        {
            ADMIN: {"status": "done", "actual_date": DONE_DAY},
            DIRECTORY: {"status": "failed", "actual_date": DONE_DAY},
            ADM_NET: {"status": "done", "actual_date": DONE_DAY},
        },
    )
    summary = import_progress(engine, path)
    assert summary.counts == {"planned": 6, "done": 2, "failed": 1}
    assert len(summary.warnings) == 1
    assert summary.warnings[0].startswith(f"{DIRECTORY} is failed, but {ADMIN} is done")


def test_a_workbook_of_another_plan_is_refused(
    exported: tuple[Engine, Path], run_cli: Callable[..., Any]
) -> None:
    engine, path = exported
    plan_once(engine)  # plan 2 is now the latest
    edit(path, {DIRECTORY: {"status": "done", "actual_date": DONE_DAY}})
    result = run_cli("import-progress", path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0] == (
        f"{path}:Overview!B22: this workbook is of plan '1', but progress is recorded for "
        "plan 2 (export plan 2 and edit that, or name the workbook's plan with --plan)"
    )
    assert lines[1] == "1 problem(s); nothing was imported." and "Traceback" not in result.stderr
    assert stored(engine) == []
    assert (
        run_cli("import-progress", path, "--plan", "1").returncode == 0
    )  # named: recorded for plan 1
    assert current(engine, 1)[DIRECTORY].status == "done" and current(engine, 2) == {}


def test_a_workbook_from_another_inventory_is_refused(exported: tuple[Engine, Path]) -> None:
    engine, path = exported
    book = openpyxl.load_workbook(path)
    assert book["Overview"]["A21"].value == "Inventory fingerprint"
    book["Overview"]["B21"] = "0" * 64
    book.save(path)
    with pytest.raises(ImportFailed) as failed:
        import_progress(engine, path)
    assert failed.value.problems[0].startswith(
        f"{path}:Overview!B21: the inventory fingerprint is not plan 1's"
    )
    assert stored(engine) == []


def test_an_old_workbook_without_the_columns_names_them(exported: tuple[Engine, Path]) -> None:
    engine, path = exported
    book = openpyxl.load_workbook(path)
    book["Items"].delete_cols(19, 3)
    book.save(path)
    with pytest.raises(ImportFailed) as failed:
        import_progress(engine, path)
    assert failed.value.problems == [
        f"{path}:Items!A1: no column named '{n}' in the header row (export the "
        "plan again to get it)"
        for n in ("status", "actual_date", "comment")
    ]


def test_a_municipality_renamed_on_purpose_keeps_its_progress_history(
    exported: tuple[Engine, Path], run_cli: Callable[..., Any]
) -> None:
    """`planner municipality rename` carries item ids in plans and pins along (issue 17); the
    recorded progress is keyed by the same ids, so it follows too, or the history is lost."""
    engine, path = exported
    edit(path, WAVE_1_DONE)
    assert run_cli("import-progress", path).returncode == 0
    renamed = run_cli("municipality", "rename", M, "Østerå Kommune Syd")
    assert renamed.returncode == 0, renamed.stderr
    new_id = DIRECTORY.replace(M, "Østerå Kommune Syd", 1)
    assert current(engine, 1)[new_id].same(State("done", DONE_DAY, "Søren: ingen fejl"))
    history = run_cli("progress", "--history", new_id, "--json")
    assert history.returncode == 0, history.stderr
    assert [h["status"] for h in json.loads(history.stdout)["history"]] == ["done"]
