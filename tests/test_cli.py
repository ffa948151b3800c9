"""The CLI contract as a whole: every command has help with an example, is in the README,
and errors never reach the user as a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from planner.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(name, command) for every leaf command; typer vendors click, so groups are found by shape."""
    found = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found.extend(_commands(command, f"{prefix}{name} "))
        else:
            found.append((f"{prefix}{name}", command))
    return found


COMMANDS = _commands(typer.main.get_command(app))  # type: ignore[arg-type]


def test_there_are_commands() -> None:
    names = {name for name, _ in COMMANDS}
    assert {
        "template",
        "import",
        "inventory",
        "demo-data",
        "check",
        "summary",
        "plan",
        "replan",
        "verify",
        "export",
        "import-pins",
        "demo",
        "runbook",
        "graph export",
        "graph show",
        "db upgrade",
    } <= names


@pytest.mark.parametrize("name,command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_has_help_with_an_example(name: str, command: Any) -> None:
    assert command.help and "Example:" in command.help, (
        f"planner {name} needs help text with an example"
    )


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_every_command_is_in_the_readme(name: str) -> None:
    assert f"planner {name}" in README or f"planner --db planner.db {name}" in README, (
        f"README.md does not mention `planner {name}`"
    )


def test_readme_starts_with_the_two_commands() -> None:
    head = "\n".join(README.splitlines()[:40])
    assert "planner demo" in head and "python -m pytest" in head


def test_unknown_command_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "planner.cli", "no-such-command"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert "No such command" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_database_is_one_sentence(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "planner.cli", "--db", str(tmp_path / "nope" / "x.db"), "inventory"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 1
    assert (
        result.stderr.startswith("error: cannot open database") and "Traceback" not in result.stderr
    )
    assert f"the folder {tmp_path / 'nope'} does not exist" in result.stderr
