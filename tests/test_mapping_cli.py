"""`planner mapping suggest` and `planner import --mapping` as a user runs them: real processes,
the database checked afterwards (issue 18)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from planner.models import Server
from tests.test_spreadsheet import SERVEROVERSIGT, workbook


def servers(engine: Engine) -> dict[str, Server]:
    with Session(engine) as session:
        return {row.name: row for row in session.execute(select(Server)).scalars()}


def test_issue18_suggest_then_import_through_the_cli(
    run_cli: Any, engine: Engine, tmp_path: Path
) -> None:
    workbook(tmp_path / "Serveroversigt.xlsx", SERVEROVERSIGT, {"Serveroversigt": "A1:F1"})
    suggested = run_cli("mapping", "suggest", "Serveroversigt.xlsx", "-o", "map.toml")
    assert suggested.returncode == 0, suggested.stderr
    assert suggested.stdout.startswith(
        "Wrote the suggested mapping to map.toml; check it, then run: planner import "
        "Serveroversigt.xlsx --municipality NAME"
    )
    again = run_cli("mapping", "suggest", "Serveroversigt.xlsx", "-o", "map.toml")
    assert again.returncode == 1 and len(again.stderr.strip().splitlines()) == 1  # no --force
    imported = run_cli(
        "import", "Serveroversigt.xlsx", "--municipality", "Nordby", "--mapping", "map.toml"
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stderr.splitlines() == [
        "warning: Serveroversigt.xlsx:Serveroversigt!A8: row 8 skipped: a total row (=SUM(C5:C7))"
    ]
    stored = servers(engine)
    # three servers, not four: 16 + 1500.5 ("1.500,5") + 8.5 ("8,5") GB of RAM
    assert sorted(stored) == ["NB-APP02", "NB-SQL01", "NB-WEB03"]
    assert sum(row.ram_gb or 0 for row in stored.values()) == 1525.0
    assert stored["NB-SQL01"].criticality == "critical"


def test_issue18_a_mapping_mistake_is_one_line_and_nothing_is_written(
    run_cli: Any, engine: Engine, tmp_path: Path
) -> None:
    workbook(tmp_path / "Serveroversigt.xlsx", SERVEROVERSIGT)
    (tmp_path / "map.toml").write_text(
        '[[sheets]]\nsheet = "Serveroversigt"\nkind = "robots"\n', encoding="utf-8"
    )
    result = run_cli("import", "Serveroversigt.xlsx", "-m", "Nordby", "--mapping", "map.toml")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [  # the problem, then the import's summary
        "map.toml: [[sheets]] 1 (Serveroversigt) kind: unknown kind 'robots'; use sites, networks, "
        "directories, servers, applications, workplaces or dependencies",
        "1 problem(s); nothing was imported.",
    ]
    assert servers(engine) == {}
    # the same file without a mapping: not our template, and the message says what to do
    plain = run_cli("import", "Serveroversigt.xlsx", "-m", "Nordby")
    assert plain.returncode == 1 and "planner mapping suggest Serveroversigt.xlsx" in plain.stderr
    assert servers(engine) == {}
