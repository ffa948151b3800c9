"""Regression tests for issue 20: hostile and careless input found by an outside probe.

Each test is named after the probe's case and runs the real `planner` as a subprocess on
the test database (SQLite, or PostgreSQL with PLANNER_TEST_DB_URL): bad input must end in
one sentence and exit code 1 with the old state kept, never an internal error.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable

from tests.conftest import InventoryBook

Run = Callable[..., subprocess.CompletedProcess[str]]

#: Rich console markup and emoji codes that the probe used as names.
MARKUP_MUNICIPALITY = "Kommune [bold red]X :bomb:"
MARKUP_SERVER = "SRV [/] [link]"


def assert_one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 1, no traceback, no internal error; returns stderr."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return result.stderr


def test_markup_in_municipality_name_is_printed_literally(book: InventoryBook, run_cli: Run) -> None:
    """`Kommune [/]` ended `planner import` with `internal error: MarkupError` after the
    commit, and `[bold red]X` was printed as `X`: names are data, in every command."""
    book.sheets["Municipality"][0]["name"] = MARKUP_MUNICIPALITY
    book.sheets["Servers"][0]["name"] = MARKUP_SERVER
    book.sheets["Applications"][0]["servers"] = MARKUP_SERVER
    path = book.write()
    imported = run_cli("import", path)
    assert imported.returncode == 0, imported.stderr
    assert MARKUP_MUNICIPALITY in imported.stdout
    for command in (["inventory"], ["summary"], ["check"]):
        result = run_cli(*command)
        assert result.returncode in (0, 1) and "internal error" not in result.stderr, result.stderr
        assert MARKUP_MUNICIPALITY in result.stdout, (command, result.stdout)
    shown = run_cli("graph", "show", f"{MARKUP_MUNICIPALITY}/server/{MARKUP_SERVER}")
    assert shown.returncode == 0, shown.stderr
    assert f"{MARKUP_MUNICIPALITY}/server/{MARKUP_SERVER}" in shown.stdout
    planned = run_cli("plan", "--time-limit", "5", "--workers", "1")
    assert planned.returncode == 0, planned.stderr
    assert "Verified" in planned.stdout and MARKUP_MUNICIPALITY in planned.stdout
