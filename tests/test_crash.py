"""Crash safety: SIGKILL a real `planner` process halfway through its work.

The process stops at a known point inside its transaction or file write
(PLANNER_TEST_PAUSE_IN_IMPORT / _IN_PLAN_STORE / _IN_WRITE), the test kills it with no
chance to clean up, and then compares a full dump of every table with the dump taken
before the command: they must be identical, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy.engine import Engine

from inventories.demo_data import write_demo_data
from planner.config import PlanConfig
from planner.importing import import_files
from planner.inventory import counts
from planner.planning import list_plans, make_plan
from tests.conftest import InventoryBook
from tests.processes import dump, finish, kill, start, wait_for_pause


@pytest.fixture
def planned(engine: Engine, book: InventoryBook) -> Engine:
    """The valid inventory imported and one plan stored: the state every crash must keep."""
    import_files(engine, [book.write()])
    make_plan(engine, PlanConfig(), "", time_limit=5, workers=1, seed=0)
    return engine


def pause_env(tmp_path: Path, point: str) -> dict[str, str]:
    marker = tmp_path / f"{point}.paused"
    marker.unlink(missing_ok=True)
    return {f"PLANNER_TEST_PAUSE_{point}": "300", "PLANNER_TEST_PAUSE_MARKER": str(marker)}


def kill_at_pause(db_url: str, tmp_path: Path, point: str, *args: str | Path) -> None:
    process = start(db_url, *args, cwd=tmp_path, **pause_env(tmp_path, point))
    wait_for_pause(process, tmp_path / f"{point}.paused")
    kill(process)


def test_killed_large_import_leaves_the_database_as_before(
    db_url: str, planned: Engine, tmp_path: Path
) -> None:
    (large,) = write_demo_data(tmp_path / "large", municipalities=1)  # about 2,000 items
    before = dump(db_url)
    kill_at_pause(db_url, tmp_path, "IN_IMPORT", "import", large)
    assert dump(db_url) == before
    # The database is still usable: the same import, uninterrupted, lands completely.
    code, _, err = finish(start(db_url, "import", large, cwd=tmp_path))
    assert code == 0, err
    assert len(counts(planned)) == 2


def test_killed_reimport_leaves_the_old_version_whole(
    db_url: str, planned: Engine, book: InventoryBook, tmp_path: Path
) -> None:
    book.sheets["Servers"][0]["ram_gb"] = 64
    book.sheets["Sites"].append(dict(name="Nørre Bibliotek", type="institution"))
    del book.sheets["Workplaces"][1]
    changed = book.write("changed.xlsx")
    before = dump(db_url)
    kill_at_pause(db_url, tmp_path, "IN_IMPORT", "import", changed)
    assert dump(db_url) == before


def test_killed_plan_store_leaves_the_database_as_before(
    db_url: str, planned: Engine, tmp_path: Path
) -> None:
    before = dump(db_url)
    assert len(before["plan"]) == 1 and before["plan_item"]
    kill_at_pause(db_url, tmp_path, "IN_PLAN_STORE", "plan", "--time-limit", "5", "--workers", "1")
    assert dump(db_url) == before
    code, _, err = finish(
        start(db_url, "plan", "--time-limit", "5", "--workers", "1", cwd=tmp_path)
    )
    assert code == 0, err
    assert len(list_plans(planned)) == 2


def _xlsx_ok(path: Path) -> None:
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert "Items" in workbook.sheetnames
    workbook.close()


def test_killed_export_leaves_no_file(db_url: str, planned: Engine, tmp_path: Path) -> None:
    kill_at_pause(db_url, tmp_path, "IN_WRITE", "export", "plan.xlsx")
    assert not (tmp_path / "plan.xlsx").exists()
    [left] = tmp_path.glob(".plan.*.xlsx")  # SIGKILL skips every cleanup
    # A temporary file of a process that is still running is not touched.
    head, _pid, rest = left.name.rsplit("-", 2)
    sibling = left.with_name(f"{head}-{os.getpid()}-{rest}")
    sibling.write_bytes(b"in progress")
    code, _, err = finish(start(db_url, "export", "plan.xlsx", cwd=tmp_path))
    assert code == 0, err
    _xlsx_ok(tmp_path / "plan.xlsx")
    assert list(tmp_path.glob(".plan.*.xlsx")) == [sibling]  # the next export removed the stale one


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_export_cleans_up_and_says_so(
    db_url: str, planned: Engine, tmp_path: Path, signum: signal.Signals
) -> None:
    """SIGTERM (a service stop, `kill`) and Ctrl-C remove the temporary file and say so."""
    process = start(db_url, "export", "plan.xlsx", cwd=tmp_path, **pause_env(tmp_path, "IN_WRITE"))
    wait_for_pause(process, tmp_path / "IN_WRITE.paused")
    process.send_signal(signum)
    code, out, err = finish(process)
    assert code == 130 and err.strip() == "Interrupted; nothing half-written was kept.", (
        code,
        out,
        err,
    )
    assert not list(tmp_path.glob("*plan*.xlsx"))


def _plan_in_its_first_solve(
    db_url: str, planned: Engine, tmp_path: Path, **env: str
) -> subprocess.Popen[str]:
    """`planner plan` with a 600 s limit on a generated municipality, once CP-SAT runs."""
    (large,) = write_demo_data(tmp_path / "large", municipalities=1)  # a plan that runs long
    import_files(planned, [large])
    marker = tmp_path / "solving"
    process = start(
        db_url,
        marker,
        "plan",
        "--time-limit",
        "600",
        "--workers",
        "1",
        cwd=tmp_path,
        module="tests.solve_marker",
        **env,
    )
    wait_for_pause(process, marker)  # the first CP-SAT solve has started
    return process


def test_sigterm_stops_a_plan_during_the_solve_and_stores_nothing(
    db_url: str, planned: Engine, tmp_path: Path
) -> None:
    """SIGTERM (a service stop) while CP-SAT runs: the plan stops at once, nothing is stored.

    Before, SIGTERM waited for the solve to return.
    """
    process = _plan_in_its_first_solve(db_url, planned, tmp_path)
    before = dump(db_url)
    process.send_signal(signal.SIGTERM)
    clock = time.monotonic()
    code, out, err = finish(process)
    assert code == 130 and err.strip().endswith("Interrupted; nothing half-written was kept."), (
        code,
        out,
        err,
    )
    assert time.monotonic() - clock < 60, "the plan ran on after the signal"  # its limit is 600 s
    assert dump(db_url) == before


def test_ctrl_c_ends_the_search_and_stores_the_best_plan_so_far(
    db_url: str, planned: Engine, tmp_path: Path
) -> None:
    """The first Ctrl-C ends the search at once; the best plan found by then is stored,
    verified and marked as stopped (status feasible unless a bound proves it)."""
    process = _plan_in_its_first_solve(db_url, planned, tmp_path)
    plans = len(list_plans(planned))
    process.send_signal(signal.SIGINT)
    clock = time.monotonic()
    code, out, err = finish(process)
    assert code == 0, (out, err)
    assert time.monotonic() - clock < 60, "the plan ran on after Ctrl-C"  # its limit is 600 s
    assert "Stopping the search; the best plan found so far will be stored and verified." in err
    assert "note: stopped by the user after " in out and "Verified: plan " in out, out
    stored = list_plans(planned)
    assert len(stored) == plans + 1 and stored[-1].status in ("feasible", "optimal")


def test_a_second_ctrl_c_aborts_and_stores_nothing(
    db_url: str, planned: Engine, tmp_path: Path
) -> None:
    """Ctrl-C, then Ctrl-C again while the stopped plan is being stored: nothing is kept."""
    paused = tmp_path / "IN_PLAN_STORE.paused"
    process = _plan_in_its_first_solve(
        db_url,
        planned,
        tmp_path,
        PLANNER_TEST_PAUSE_IN_PLAN_STORE="300",
        PLANNER_TEST_PAUSE_MARKER=str(paused),
    )
    before = dump(db_url)
    process.send_signal(signal.SIGINT)
    wait_for_pause(process, paused)  # half of the plan's items are written
    process.send_signal(signal.SIGINT)
    code, out, err = finish(process)
    assert code == 130 and err.strip().endswith("Interrupted; nothing half-written was kept."), (
        code,
        out,
        err,
    )
    assert dump(db_url) == before


def test_killed_export_keeps_the_complete_old_file(
    db_url: str, planned: Engine, tmp_path: Path
) -> None:
    code, _, err = finish(start(db_url, "export", "plan.xlsx", cwd=tmp_path))
    assert code == 0, err
    target = tmp_path / "plan.xlsx"
    old = target.read_bytes()
    _xlsx_ok(target)

    # Without --force nothing is touched.
    code, _, err = finish(start(db_url, "export", "plan.xlsx", cwd=tmp_path))
    assert (
        code == 1 and err.strip() == "error: plan.xlsx already exists; use --force to overwrite it"
    )
    assert target.read_bytes() == old

    # Killed with the new file complete but not yet renamed into place.
    kill_at_pause(db_url, tmp_path, "IN_WRITE", "export", "plan.xlsx", "--force")
    assert target.read_bytes() == old

    # Killed while the workbook is being written (as soon as its temporary file appears).
    process = start(db_url, "export", "plan.xlsx", "--force", cwd=tmp_path)
    existing = set(tmp_path.glob(".plan.*.xlsx"))
    deadline = time.monotonic() + 120
    while not set(tmp_path.glob(".plan.*.xlsx")) - existing and process.poll() is None:
        assert time.monotonic() < deadline, "export never started writing"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)  # a no-op if it already finished
    finish(process)
    data = target.read_bytes()
    assert (
        data == old or process.returncode == 0
    )  # killed: the old file; finished first: a new, whole one
    _xlsx_ok(target)
