"""OS2kitos system overviews (`inventories.kitos`): workbook and CSV, and no column dropped
without a word."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from exports.errors import ImportFailed
from inventories.detect import detect_format, read_any
from inventories.records import Inventory
from inventories.schema import Kind
from tests.importer_files import (
    by_name,
    kinds,
    write_text,
)

KITOS_SYSTEMS = [
    [
        "Organisationsenhed",
        "IT System",
        "Leverandør",
        "Antal brugere",
        "Kritikalitet",
        "Forretningskritisk IT-system",
        "Systemejer",
        "Systemansvarlig",
        "Anvendte systemer",
        "Systemer der anvender systemet",
    ],
    [
        "Rådhus",
        "SBSYS",
        "Syddjurs Kommune",
        "50-100",
        "Høj",
        "Ja",
        "Søren Ågård",
        None,
        "Serviceplatformen, FK Organisation",
        None,
    ],
    ["Rådhus", "KMD Opus Løn", "KMD", ">100", None, "Ja", None, "Lønkontoret", None, "SBSYS"],
    ["Skole", "Aula", "Netcompany", 1200, "Middel", "Nej", "Skoleafdelingen", None, None, None],
    ["Skole", "SBSYS", "Syddjurs Kommune", "10-50", "Lav", "Nej", "Andersen", None, None, None],
]
KITOS_INTERFACES = [
    ["Snitflade", "Udstillersystem", "Anvendersystem"],
    ["Lønindberetning", "KMD Opus Løn", "SBSYS, Aula"],
]


def check_kitos(inventory: Inventory) -> None:
    """Three systems (SBSYS's second row is another organisation unit: first row wins);
    user bands read as their upper end; Forretningskritisk = Ja means at least high."""
    assert kinds(inventory) == {"application": 3}
    assert by_name(inventory, Kind.APPLICATION) == {
        "SBSYS": {
            "vendor": "Syddjurs Kommune",
            "users": 100,
            "criticality": "high",
            "owner": "Søren Ågård",
        },
        "KMD Opus Løn": {
            "vendor": "KMD",
            "users": 100,
            "criticality": "high",
            "owner": "Lønkontoret",
        },
        "Aula": {
            "vendor": "Netcompany",
            "users": 1200,
            "criticality": "medium",
            "owner": "Skoleafdelingen",
        },
    }


def test_kitos_workbook_systems_and_interfaces(raw_workbook: Any) -> None:
    path = raw_workbook(
        "kitos.xlsx",
        {"IT Systemer Overblik": KITOS_SYSTEMS, "IT Snitflader Overblik": KITOS_INTERFACES},
    )
    assert detect_format(path) == "kitos"
    inventory = read_any(path, municipality="Nordby")
    check_kitos(inventory)
    deps = {(d.from_name, d.to_name, d.note) for d in inventory.dependencies}
    assert deps == {
        ("SBSYS", "Serviceplatformen", "KITOS: anvendte systemer"),
        ("SBSYS", "FK Organisation", "KITOS: anvendte systemer"),
        ("SBSYS", "KMD Opus Løn", "KITOS: anvendte systemer"),
        ("SBSYS", "KMD Opus Løn", "KITOS interface: Lønindberetning"),
        ("Aula", "KMD Opus Løn", "KITOS interface: Lønindberetning"),
    }
    assert {(d.kind, d.strength) for d in inventory.dependencies} == {("integrates_with", "soft")}
    assert any(
        "systems not in this export" in w and "FK Organisation, Serviceplatformen" in w
        for w in inventory.warnings
    )


def test_kitos_csv_semicolons_windows_1252(tmp_path: Path) -> None:
    lines = [";".join("" if v is None else f'"{v}"' for v in row) for row in KITOS_SYSTEMS]
    path = write_text(
        tmp_path / "IT Systemer Overblik.csv", "\n".join(lines) + "\n", encoding="cp1252"
    )
    assert detect_format(path) == "kitos"
    check_kitos(read_any(path, municipality="Nordby"))


def test_kitos_bad_user_count_points_at_the_cell(raw_workbook: Any) -> None:
    rows = [list(r) for r in KITOS_SYSTEMS]
    rows[3][3] = "mange"
    path = raw_workbook("kitos.xlsx", {"IT Systemer Overblik": rows})
    with pytest.raises(ImportFailed) as caught:
        read_any(path, municipality="Nordby")
    assert caught.value.problems == [
        f"{path}:IT Systemer Overblik!D4: "
        "users must be a number or a range such as 10-50, got 'mange'"
    ]


def test_issue18_kitos_dependency_column_is_never_dropped_silently(raw_workbook: Any) -> None:
    """The old importer dropped an "Afhængigheder" column without a word; now it is named, and
    so is every other column no importer reads."""
    systems = [[*KITOS_SYSTEMS[0], "Afhængigheder", "Intern note"]]
    systems += [[*row, None, None] for row in KITOS_SYSTEMS[1:]]
    path = raw_workbook("kitos.xlsx", {"IT Systemer Overblik": systems})
    inventory = read_any(path, municipality="Nordby", label="kitos.xlsx")
    letter = chr(ord("A") + len(KITOS_SYSTEMS[0]))
    assert inventory.warnings[:2] == [
        f"kitos.xlsx:IT Systemer Overblik!{letter}1: column 'Afhængigheder' looks like "
        "dependencies but this format does not read it; import the sheet as your own spreadsheet "
        '(a mapping with [[sheets]] and [sheets.columns] "Afhængigheder" = { dependency = "uses", '
        'to_kind = "application" })',
        "kitos.xlsx:IT Systemer Overblik!A1: columns not imported: Organisationsenhed, Intern note "
        '(map one with --mapping, e.g. [columns] "Organisationsenhed" = "owner")',
    ]
