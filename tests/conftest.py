"""Shared fixtures: a real database per test, small real workbooks, and the real CLI.

The database is a fresh SQLite file under `tmp_path` unless `PLANNER_TEST_DB_URL` names
a PostgreSQL database; then every test starts from an empty `public` schema there, so
the same tests prove both backends.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from inventories.schema import SHEETS
from inventories.template import write_workbook
from planner.db import open_database

ROOT = Path(__file__).resolve().parent.parent
TEST_DB_URL = os.environ.get("PLANNER_TEST_DB_URL")


def _reset_postgres(url: str) -> None:
    """Drop everything (tables, alembic_version) so a test starts from an empty schema."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A database URL that is empty at the start of the test.

    SQLite by default (a real file, so WAL, foreign keys and migrations behave as for a
    user); the PostgreSQL database in PLANNER_TEST_DB_URL when that is set.
    """
    if TEST_DB_URL:
        _reset_postgres(TEST_DB_URL)
        yield TEST_DB_URL
        _reset_postgres(TEST_DB_URL)
    else:
        yield f"sqlite:///{tmp_path / 'planner.db'}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The test database opened the way the CLI opens it: migrated to alembic head."""
    engine = open_database(db_url)
    yield engine
    engine.dispose()


def row(sheet: str, **values: Any) -> list[Any]:
    """One sheet row in template column order, from column names (unknown names fail)."""
    columns = next(s for s in SHEETS if s.name == sheet).columns
    unknown = set(values) - {c.name for c in columns}
    assert not unknown, f"no such column on {sheet}: {unknown}"
    return [values.get(c.name) for c in columns]


#: A small inventory that passes every check, with æøå in names, references of every
#: kind (network, directory, site, servers), IPv4 and IPv6 prefixes, a blackout range,
#: and dependencies of several kinds including one to another municipality.
#: Counts: 2 sites, 2 networks, 1 directory, 2 servers, 2 applications, 2 workplaces
#: (40 + 120 = 160 PCs), 4 dependencies.
VALID: dict[str, list[dict[str, Any]]] = {
    "Municipality": [
        dict(name="Østerå Kommune", code="0751", employees=3200.5, users=4100, country="DK")
    ],
    "Sites": [
        dict(name="Rådhuset", type="town_hall", network="ADM-Net", users=600),
        dict(name="Søndre Skole", type="school", network="PÆD-Net", users=450),
    ],
    "Networks": [
        dict(
            name="ADM-Net",
            kind="administrative",
            cidr="10.1.0.0/16",
            vlan=10,
            site="Rådhuset",
            bandwidth_mbps=1000,
        ),
        dict(name="PÆD-Net", kind="pedagogical", cidr="10.2.0.0/16, fd00:1::/48", vlan=20),
    ],
    "Directories": [
        dict(
            name="østerå.local", type="active_directory", forest="østerå.local", user_accounts=4100
        )
    ],
    "Servers": [
        dict(
            name="SRV-ØKO-01",
            os="Windows Server",
            os_version="2019",
            virtual="yes",
            vcpu=4,
            ram_gb=16,
            storage_gb=200,
            network="ADM-Net",
            directory="østerå.local",
            environment="prod",
            criticality="high",
            site="Rådhuset",
        ),
        dict(
            name="SRV-SKOLE-02",
            os="Ubuntu",
            os_version="22.04",
            virtual="no",
            vcpu=2,
            ram_gb=8,
            network="PÆD-Net",
            environment="test",
            criticality="low",
            site="Søndre Skole",
        ),
    ],
    "Applications": [
        dict(
            name="Økonomistyring",
            function="finance",
            vendor="KMD",
            criticality="critical",
            users=300,
            strategy="rehost",
            servers="SRV-ØKO-01",
            directory="østerå.local",
            owner="Søren Ågård",
            blackout="2027-01-01..2027-01-20",
        ),
        dict(
            name="Skoleportal",
            function="school",
            criticality="medium",
            strategy="consolidate",
            target="Nordby/Aula",
            servers="SRV-SKOLE-02",
        ),
    ],
    "Workplaces": [
        dict(
            name="Rådhus administration",
            site="Rådhuset",
            pcs=40,
            users=52,
            directory="østerå.local",
            network="ADM-Net",
        ),
        dict(name="Søndre Skole elever", site="Søndre Skole", pcs=120, network="PÆD-Net"),
    ],
    "Dependencies": [
        dict(
            from_kind="application",
            from_name="Økonomistyring",
            to_kind="directory",
            to_name="østerå.local",
            kind="authenticates_with",
        ),
        dict(
            from_kind="workplace",
            from_name="Rådhus administration",
            to_kind="application",
            to_name="Økonomistyring",
            kind="uses",
        ),
        dict(
            from_kind="application",
            from_name="Skoleportal",
            to_kind="application",
            to_name="Økonomistyring",
            kind="integrates_with",
            strength="soft",
            note="nightly file transfer",
        ),
        dict(
            from_kind="application",
            from_name="Økonomistyring",
            to_kind="application",
            to_name="SBSYS",
            to_municipality="Nordby",
            kind="integrates_with",
            strength="soft",
        ),
    ],
}

VALID_COUNTS = {
    "sites": 2,
    "networks": 2,
    "directories": 1,
    "servers": 2,
    "applications": 2,
    "workplaces": 2,
    "pcs": 160,
    "dependencies": 4,
}


@dataclass
class InventoryBook:
    """A small valid inventory as editable rows ({column: value} per row) that writes itself
    as a real .xlsx in the template layout; tests change one cell and write."""

    folder: Path
    sheets: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: copy.deepcopy(VALID))

    def write(self, name: str = "nordby.xlsx") -> Path:
        rows = {
            sheet: [row(sheet, **values) for values in rows] for sheet, rows in self.sheets.items()
        }
        return write_workbook(self.folder / name, rows)


@pytest.fixture
def book(tmp_path: Path) -> InventoryBook:
    """A fresh copy of the valid inventory, written into tmp_path on `book.write()`.

    Useful because every validation test is "the valid book with one cell changed", so
    each failure is paired with the passing original.
    """
    return InventoryBook(tmp_path)


def write_raw(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook with exactly these sheet titles and rows (first row = headers), for
    headers and sheet names the template writer would never produce."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for values in rows:
            sheet.append(list(values))
    workbook.save(path)
    return path


@pytest.fixture
def raw_workbook(tmp_path: Path) -> Callable[..., Path]:
    """`raw_workbook(name, {title: [header, *rows]})` -> path; for Danish/Swedish headers,
    duplicate headers and missing columns."""
    return lambda name, sheets: write_raw(tmp_path / name, sheets)


def rewrite_member(path: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    """Edit one XML file inside an .xlsx (e.g. to add a formula's cached value, which
    openpyxl never writes)."""
    with zipfile.ZipFile(path) as source:
        contents = {info.filename: source.read(info) for info in source.infolist()}
    contents[member] = change(contents[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in contents.items():
            target.writestr(name, data)


@pytest.fixture
def run_cli(tmp_path: Path, db_url: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run `python -m planner.cli ARGS…` as a real process in tmp_path, with PLANNER_DB set
    to the test database; returns the CompletedProcess (text, stdout/stderr captured).

    Extra environment variables (e.g. PLANNER_MAX_CELLS) go in `env=`. A real process is
    the only way to check exit codes, stderr and the absence of tracebacks as a user sees them.
    """

    def run(
        *args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
        environment.update(
            {
                "PLANNER_DB": db_url,
                "PYTHONIOENCODING": "utf-8",
                "COLUMNS": "200",
                "PYTHONPATH": str(ROOT),
            }
        )
        environment.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "planner.cli", *map(str, args)],
            cwd=cwd or tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
        )

    return run


@pytest.fixture
def samples() -> Path:
    """The shared sample folder; tests that need it are skipped when it is absent."""
    from tests.importer_files import SAMPLES

    if not SAMPLES.is_dir():
        pytest.skip(f"sample files not found at {SAMPLES}")
    return SAMPLES
