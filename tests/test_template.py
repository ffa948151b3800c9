"""The empty template (`inventories.template`) and the schema it is generated from."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from inventories.schema import SHEETS, normalise_header, sheet_for
from inventories.template import write_template


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    """The template opened for inspection (not read-only: comments and validations need it)."""
    path = write_template(tmp_path_factory.mktemp("template") / "template.xlsx")
    return openpyxl.load_workbook(path)


def test_template_has_instructions_then_one_sheet_per_entity(template: openpyxl.Workbook) -> None:
    assert template.sheetnames == [
        "Instructions",
        "Municipality",
        "Sites",
        "Networks",
        "Directories",
        "Servers",
        "Applications",
        "Workplaces",
        "Dependencies",
    ]
    assert "planner import FILE.xlsx" in "\n".join(
        str(c.value) for c in template["Instructions"]["A"]
    )


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_headers_comments_and_frozen_panes(template: openpyxl.Workbook, sheet) -> None:  # type: ignore[no-untyped-def]
    ws = template[sheet.name]
    assert [c.value for c in ws[1]] == [c.name for c in sheet.columns]
    for cell, column in zip(ws[1], sheet.columns):
        assert cell.comment is not None, f"{sheet.name}!{cell.coordinate} has no comment"
        assert cell.comment.text.startswith(column.help)
        assert ("Required." in cell.comment.text) == column.required
    assert ws.freeze_panes == "B2"
    assert ws.max_row == 1  # nothing but the header


ISSUE_HEADERS = {  # the columns issue 2 lists, at least
    "Municipality": "name code employees users",
    "Sites": "name type network users",
    "Networks": "name kind cidr vlan site bandwidth_mbps",
    "Directories": "name type forest user_accounts computer_accounts",
    "Servers": "name os os_version virtual host cluster vcpu ram_gb storage_gb network directory "
    "environment criticality site ip effort_hours downtime_hours",
    "Applications": "name function vendor version criticality users strategy target servers "
    "directory owner effort_hours downtime_hours blackout",
    "Workplaces": "name site pcs users os directory network effort_hours",
    "Dependencies": "from_kind from_name to_kind to_name to_municipality kind strength note",
}


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_every_column_the_issue_asks_for_is_there(sheet) -> None:  # type: ignore[no-untyped-def]
    assert set(ISSUE_HEADERS[sheet.name].split()) <= {c.name for c in sheet.columns}


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_every_enumerated_column_has_a_drop_down(template: openpyxl.Workbook, sheet) -> None:  # type: ignore[no-untyped-def]
    ws = template[sheet.name]
    lists = {}
    for validation in ws.data_validations.dataValidation:
        assert validation.type == "list"
        for cell_range in validation.sqref.ranges:
            lists[cell_range.coord.split(":")[0].rstrip("0123456789")] = (
                validation.formula1,
                str(cell_range.coord),
            )
    for index, column in enumerate(sheet.columns, start=1):
        letter = openpyxl.utils.get_column_letter(index)
        if column.choices:
            formula, coord = lists.pop(letter)
            assert formula == '"' + ",".join(column.choices) + '"'
            assert coord == f"{letter}2:{letter}5000"
    assert not lists, f"drop-downs on columns without choices: {lists}"


def test_required_columns_are_the_ones_the_issue_stars() -> None:
    required = {s.name: [c.name for c in s.columns if c.required] for s in SHEETS}
    assert required == {
        "Municipality": ["name"],
        "Sites": ["name"],
        "Networks": ["name", "kind"],
        "Directories": ["name"],
        "Servers": ["name"],
        "Applications": ["name"],
        "Workplaces": ["name", "pcs"],
        "Dependencies": ["from_kind", "from_name", "to_kind", "to_name", "kind"],
    }


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_no_header_alias_means_two_columns_of_one_sheet(sheet) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, str] = {}
    for column in sheet.columns:
        for alias in (column.name, *column.aliases):
            key = normalise_header(alias)
            assert seen.setdefault(key, column.name) == column.name, (
                f"{sheet.name}: header {alias!r} means both {seen[key]} and {column.name}"
            )


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Kommune", "Municipality"),
        ("Kommun", "Municipality"),
        ("lokationer", "Sites"),
        ("Platser", "Sites"),
        ("Netværk", "Networks"),
        ("Nätverk", "Networks"),
        ("Katalogtjenester", "Directories"),
        ("Domäner", "Directories"),
        ("Servere", "Servers"),
        ("Servrar", "Servers"),
        ("Applikationer", "Applications"),
        ("Fagsystemer", "Applications"),
        ("Arbejdspladser", "Workplaces"),
        ("Arbetsplatser", "Workplaces"),
        ("Afhængigheder", "Dependencies"),
        ("Beroenden", "Dependencies"),
        (" SERVERS ", "Servers"),
    ],
)
def test_danish_and_swedish_sheet_names(title: str, expected: str) -> None:
    sheet = sheet_for(title)
    assert sheet is not None and sheet.name == expected
    assert sheet_for("Ark1") is None


@pytest.mark.parametrize(
    ("sheet", "header", "expected"),
    [
        ("Municipality", "Kommune", "name"),
        ("Municipality", "Kommun", "name"),
        ("Servers", "Servernavn", "name"),
        ("Servers", "Servernamn", "name"),
        ("Servers", "Server Name", "name"),
        ("Servers", "Serverfarve", None),
        ("Servers", "RAM i GB", "ram_gb"),
        ("Servers", "Disk [TB]", "storage_gb"),
        ("Servers", "RAM (GB)", "ram_gb"),
        ("Servers", "Ram_GB", "ram_gb"),
        ("Servers", "Netværk", "network"),
        ("Servers", "Nätverk", "network"),
        ("Servers", "Miljø", "environment"),
        ("Servers", "Virtuel", "virtual"),
        ("Applications", "Applikation", "name"),
        ("Applications", "Leverandør", "vendor"),
        ("Applications", "Leverantör", "vendor"),
        ("Applications", "Servere", "servers"),
        ("Applications", "Spærreperiode", "blackout"),
        ("Workplaces", "Antal PC'er", "pcs"),
        ("Workplaces", "PC'er", "pcs"),
        ("Workplaces", "Datorer", "pcs"),
        ("Networks", "Nätverk", "name"),
        ("Dependencies", "Fra type", "from_kind"),
        ("Dependencies", "Till typ", "to_kind"),
        ("Dependencies", "name*", None),
        ("Networks", "name*", "name"),
    ],
)
def test_header_matching_ignores_case_spaces_units_and_accepts_aliases(
    sheet: str, header: str, expected: str | None
) -> None:
    column = next(s for s in SHEETS if s.name == sheet).column(header)
    assert (column.name if column else None) == expected


def test_cli_template_refuses_to_overwrite(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = run_cli("template", "nordby.xlsx")
    assert first.returncode == 0, first.stderr
    assert openpyxl.load_workbook(tmp_path / "nordby.xlsx").sheetnames[0] == "Instructions"
    again = run_cli("template", "nordby.xlsx")
    assert again.returncode == 1
    assert again.stderr.strip() == "error: nordby.xlsx already exists; use --force to overwrite it"
    assert run_cli("template", "nordby.xlsx", "--force").returncode == 0
