"""Municipalities' own spreadsheets (`inventories.spreadsheet`, issue 18): the shapes users have,
each imported with a mapping written to the contract and with `mapping suggest`'s output,
and each silent misread of the old version now a warning or an error.

Every file is written here (openpyxl for .xlsx; LibreOffice converts to .ods and .xls, and
those tests skip with a reason without it). Expected numbers are derived in comments.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from inventories.detect import read_any
from inventories.mapping import load_mapping
from inventories.records import Inventory
from inventories.schema import Kind
from inventories.suggest import suggest_mapping
from exports.errors import ImportFailed, PlannerError


def workbook(
    path: Path, sheets: dict[str, list[list[Any]]], merge: dict[str, str] | None = None
) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for values in rows:
            sheet.append(values)
        if merge and title in merge:
            sheet.merge_cells(merge[title])
    book.save(path)
    return path


def toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def convert(path: Path, suffix: str, tmp_path: Path) -> Path:
    """The same workbook as .ods or .xls, written by LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; .ci/run installs it to run this test")
    result = subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            suffix,
            "--outdir",
            str(tmp_path / "converted"),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    converted = tmp_path / "converted" / f"{path.stem}.{suffix}"
    assert result.returncode == 0 and converted.exists(), result.stderr + result.stdout
    return converted


def items(inventory: Inventory, kind: Kind) -> dict[str, dict[str, Any]]:
    return {item.name: item.fields for item in inventory.items if item.kind == kind}


def total(inventory: Inventory, kind: Kind, field: str) -> float:
    return sum(fields.get(field, 0) for fields in items(inventory, kind).values())


def problems(path: Path, mapping: Path, municipality: str = "Nordby") -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        read_any(path, municipality=municipality, mapping=load_mapping(mapping))
    return caught.value.problems


# ---------------------------------------------------------------- a title block over a server list

SERVEROVERSIGT = {
    "Serveroversigt": [
        ["Serveroversigt – Nordby Kommune"],  # a title block, merged over A1:F1
        ["Opdateret 1. marts 2026 af IT-drift"],
        [],
        [
            "Servernavn",
            "IP-adresse",
            "RAM (GB)",
            "vCPU",
            "Miljø",
            "Forretningskritisk",
            "Bemærkning",
        ],
        ["NB-SQL01", "10.1.0.5", 16, 4, "Prod", "Ja", "primær"],
        ["NB-APP02", "10.1.0.6", "1.500,5", 8, "Test", "Nej", None],
        ["NB-WEB03", "10.1.0.7", "8,5", 2, "Utv", "Ja", None],
        ["I alt", None, "=SUM(C5:C7)", "=SUM(D5:D7)"],
    ]
}

SERVER_MAP = """
[[sheets]]
sheet = "Serveroversigt"
kind = "servers"
[sheets.columns]
"Servernavn" = "name"
"Forretningskritisk" = "criticality"
"Bemærkning" = ""
[sheets.values.criticality]
"Ja" = "critical"
"Nej" = ""
"""


def test_issue18_title_block_server_list_with_a_mapping(tmp_path: Path) -> None:
    path = workbook(tmp_path / "servere.xlsx", SERVEROVERSIGT, {"Serveroversigt": "A1:F1"})
    inventory = read_any(
        path, municipality="Nordby", mapping=load_mapping(toml(tmp_path / "m.toml", SERVER_MAP))
    )
    servers = items(inventory, Kind.SERVER)
    assert sorted(servers) == ["NB-APP02", "NB-SQL01", "NB-WEB03"]  # the "I alt" row is no server
    assert (
        total(inventory, Kind.SERVER, "ram_gb") == 16 + 1500.5 + 8.5
    )  # "1.500,5" is Danish for 1500.5
    assert total(inventory, Kind.SERVER, "vcpu") == 14
    assert (
        servers["NB-SQL01"]["criticality"] == "critical"
        and "criticality" not in servers["NB-APP02"]
    )
    assert servers["NB-WEB03"]["environment"] == "dev"  # Swedish/Danish "Utv" (utveckling)
    assert inventory.format == "spreadsheet" and inventory.mode == "merge"
    assert inventory.warnings == [
        f"{path}:Serveroversigt!A8: row 8 skipped: a total row (=SUM(C5:C7))"
    ]


def test_issue18_suggested_mapping_imports_the_title_block_list_unchanged(tmp_path: Path) -> None:
    path = workbook(tmp_path / "servere.xlsx", SERVEROVERSIGT, {"Serveroversigt": "A1:F1"})
    text = suggest_mapping(path)
    assert "header_row = 4" in text and '"Servernavn" = "name"' in text
    assert (
        '"Bemærkning" = ""  # not mapped:' in text
    )  # every unmapped column is listed with the reason
    assert '"Ja" = "critical"' in text  # a proposed value map for the yes/no criticality column
    inventory = read_any(
        path, municipality="Nordby", mapping=load_mapping(toml(tmp_path / "s.toml", text))
    )
    assert (
        total(inventory, Kind.SERVER, "ram_gb") == 1525.0
        and len(items(inventory, Kind.SERVER)) == 3
    )


def test_issue18_total_row_without_a_formula_and_skip_names(tmp_path: Path) -> None:
    rows = [["Servernavn", "RAM"], ["A", 4], ["B", 8], ["Sum i alt", 12], ["Hele kommunen", 12]]
    path = workbook(tmp_path / "s.xlsx", {"Servere": rows})
    mapping = toml(
        tmp_path / "m.toml",
        '[[sheets]]\nsheet = "Servere"\nkind = "servers"\nskip_names = ["Hele kommunen"]\n',
    )
    inventory = read_any(path, municipality="Nordby", mapping=load_mapping(mapping))
    assert sorted(items(inventory, Kind.SERVER)) == ["A", "B"]  # 4 + 8; both total rows skipped
    assert [w.split(": ", 1)[1] for w in inventory.warnings] == [
        "row 4 skipped: a total row ('Sum i alt')",
        "row 5 skipped: a total row ('Hele kommunen')",
    ]


def test_issue18_a_units_row_under_the_header_is_part_of_it(tmp_path: Path) -> None:
    """A header split over two rows: names, then their units. 'RAM' over 'MB' is RAM in MB."""
    rows = [
        ["Servernavn", "RAM", "Disk", "vCPU"],
        [None, "MB", "(TB)", "stk"],
        ["A", 4096, 1, 2],
        ["B", 8192, "0,5", 4],
    ]
    path = workbook(tmp_path / "s.xlsx", {"Servere": rows})
    mapping = toml(tmp_path / "m.toml", '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n')
    inventory = read_any(path, municipality="N", mapping=load_mapping(mapping))
    # 4096 MB = 4 GB, 8192 MB = 8 GB; 1 TB = 1024 GB, 0,5 TB = 512 GB
    assert items(inventory, Kind.SERVER) == {
        "A": {"ram_gb": 4, "storage_gb": 1024, "vcpu": 2},
        "B": {"ram_gb": 8, "storage_gb": 512, "vcpu": 4},
    }
    assert inventory.warnings == []
    suggested = suggest_mapping(path)
    assert '"RAM (MB)" = "ram_gb"' in suggested and "header_row = 1" in suggested
    again = read_any(
        path, municipality="N", mapping=load_mapping(toml(tmp_path / "s.toml", suggested))
    )
    assert items(again, Kind.SERVER) == items(inventory, Kind.SERVER)


def test_issue18_a_repeated_column(tmp_path: Path) -> None:
    """The same header twice: its first column is read and the second named; two headers that
    mean one field are an error whose fix is accepted; list fields unite all their columns."""
    rows = [["Servernavn", "IP", "RAM", "IP", "Hukommelse"], ["A", "10.0.0.1", 4, "10.0.0.9", 4]]
    path = workbook(tmp_path / "s.xlsx", {"Servere": rows})
    base = '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n'
    assert problems(path, toml(tmp_path / "e.toml", base)) == [
        f"{path}:Servere!E1: column 'Hukommelse' and column C ('RAM') both mean ram_gb; map the "
        'one not to read to "" in [[sheets]] 1 (Servere).columns, e.g. "Hukommelse" = ""'
    ]
    fixed = load_mapping(toml(tmp_path / "f.toml", base + '[sheets.columns]\n"Hukommelse" = ""\n'))
    inventory = read_any(path, municipality="N", mapping=fixed)
    assert items(inventory, Kind.SERVER) == {"A": {"ip": "10.0.0.1", "ram_gb": 4}}
    assert inventory.warnings == [
        f"{path}:Servere!D1: column 'IP' repeats the header of column B, "
        "which is read as ip; this column is not imported"
    ]
    assert (
        suggest_mapping(path).count('"IP" =') == 1
    )  # and the suggestion is valid TOML that imports
    apps = workbook(
        tmp_path / "a.xlsx", {"Systemer": [["System", "Server 1", "Server 2"], ["Løn", "S1", "S2"]]}
    )
    both = toml(
        tmp_path / "b.toml",
        '[[sheets]]\nsheet = "Systemer"\nkind = '
        '"applications"\n[sheets.columns]\n"Server 1" = '
        '"servers"\n"Server 2" = "servers"\n',
    )
    assert items(
        read_any(apps, municipality="N", mapping=load_mapping(both)), Kind.APPLICATION
    ) == {"Løn": {"servers": "S1, S2"}}


def test_issue18_an_fqdn_copy_of_a_server_is_the_same_server(tmp_path: Path) -> None:
    rows = [
        ["Servernavn", "IP", "RAM"],
        ["NB-SQL01", "10.1.0.5", 16],
        ["web01.skole.local", "10.2.0.7", 4],
        ["nb-sql01.nordby.local", "10.1.0.5", None],
        ["web01.nordby.local", "10.1.0.7", 8],
    ]
    path = workbook(tmp_path / "s.xlsx", {"Servere": rows})
    mapping = toml(tmp_path / "m.toml", '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n')
    inventory = read_any(path, municipality="N", mapping=load_mapping(mapping))
    # NB-SQL01 once (16 GB, not twice); the two web01 FQDNs are in different domains: two servers
    assert sorted(items(inventory, Kind.SERVER)) == [
        "NB-SQL01",
        "web01.nordby.local",
        "web01.skole.local",
    ]
    assert total(inventory, Kind.SERVER, "ram_gb") == 16 + 4 + 8
    assert inventory.warnings == [
        f"{path}:Servere!A4: server 'nb-sql01.nordby.local' is read as "
        "the server 'NB-SQL01' of row 2: the same name with its domain"
    ]


# ---------------------------------------------------------------- a system list with dependencies

SYSTEMOVERSIGT = {
    "Systemoversigt": [
        ["Fagsystem", "Leverandør", "Systemejer", "Kritikalitet", "Afhængigheder"],
        ["SBSYS", "SBSYS A/S", "Jura", "Meget høj", "AD; Økonomi"],
        ["Økonomi", "KMD", "Økonomi", "Høj", "AD"],
        ["AD", "Microsoft", "IT", "Kritisk", None],
    ]
}


def test_issue18_system_list_dependency_column(tmp_path: Path) -> None:
    path = workbook(tmp_path / "systemer.xlsx", SYSTEMOVERSIGT)
    mapping = toml(
        tmp_path / "m.toml",
        """
[[sheets]]
sheet = "Systemoversigt"
kind = "applications"
[sheets.columns]
"Afhængigheder" = { dependency = "uses", to_kind = "application" }
""",
    )
    inventory = read_any(path, municipality="Nordby", mapping=load_mapping(mapping))
    apps = items(inventory, Kind.APPLICATION)
    assert apps["SBSYS"] == {"vendor": "SBSYS A/S", "owner": "Jura", "criticality": "critical"}
    # SBSYS uses AD and Økonomi, Økonomi uses AD: three dependencies
    assert sorted((d.from_name, d.to_name, d.kind) for d in inventory.dependencies) == [
        ("SBSYS", "AD", "uses"),
        ("SBSYS", "Økonomi", "uses"),
        ("Økonomi", "AD", "uses"),
    ]
    assert inventory.warnings == []


def test_issue18_unmapped_dependency_column_is_never_dropped_silently(tmp_path: Path) -> None:
    path = workbook(tmp_path / "systemer.xlsx", SYSTEMOVERSIGT)
    mapping = toml(
        tmp_path / "m.toml", '[[sheets]]\nsheet = "Systemoversigt"\nkind = "applications"\n'
    )
    inventory = read_any(path, municipality="Nordby", mapping=load_mapping(mapping))
    assert inventory.dependencies == []
    assert inventory.warnings == [
        f"{path}:Systemoversigt!E1: column 'Afhængigheder' is not imported, and it looks like "
        'dependencies; map it, e.g. [sheets.columns] "Afhængigheder" = { dependency = "uses", '
        'to_kind = "application" }'
    ]
    # the suggestion is accepted input: with it the three dependencies are read (previous test)


def test_issue18_suggestion_maps_the_dependency_column(tmp_path: Path) -> None:
    path = workbook(tmp_path / "systemer.xlsx", SYSTEMOVERSIGT)
    text = suggest_mapping(path)
    assert 'kind = "applications"' in text
    assert '"Afhængigheder" = { dependency = "uses", to_kind = "application" }' in text
    inventory = read_any(
        path, municipality="Nordby", mapping=load_mapping(toml(tmp_path / "s.toml", text))
    )
    assert len(inventory.dependencies) == 3 and len(items(inventory, Kind.APPLICATION)) == 3


# ------------------------------------------------------------ one row per application-server pair

PAIRS = {
    "Drift": [
        ["System", "Server", "RAM (GB)", "Systemejer"],
        ["Løn", "SRV-LØN-1", 8, "HR"],
        ["Løn", "SRV-LØN-2", 16, "HR"],
        ["ESDH", "SRV-ESDH", 32, "Jura"],
        ["Portal", "SRV-ESDH", 32, "IT"],  # a server shared by two systems: one server, RAM once
    ]
}


def test_issue18_application_server_pairs_give_both_kinds(tmp_path: Path) -> None:
    path = workbook(tmp_path / "drift.xlsx", PAIRS)
    mapping = toml(
        tmp_path / "m.toml",
        """
[[sheets]]
sheet = "Drift"
kind = "applications"
[sheets.columns]
"System" = "name"
"Server" = "servers"
"RAM (GB)" = ""

[[sheets]]
sheet = "Drift"
kind = "servers"
[sheets.columns]
"Server" = "name"
"System" = ""
"Systemejer" = ""
""",
    )
    inventory = read_any(path, municipality="Nordby", mapping=load_mapping(mapping))
    apps, servers = items(inventory, Kind.APPLICATION), items(inventory, Kind.SERVER)
    assert apps["Løn"] == {
        "servers": "SRV-LØN-1, SRV-LØN-2",
        "owner": "HR",
    }  # rows merged, lists united
    assert sorted(servers) == ["SRV-ESDH", "SRV-LØN-1", "SRV-LØN-2"]
    assert total(inventory, Kind.SERVER, "ram_gb") == 8 + 16 + 32
    assert inventory.warnings == []
    suggested = suggest_mapping(path)
    assert suggested.count("[[sheets]]") == 2
    again = read_any(
        path, municipality="Nordby", mapping=load_mapping(toml(tmp_path / "s.toml", suggested))
    )
    assert items(again, Kind.SERVER) == servers and items(again, Kind.APPLICATION) == apps


def test_issue18_rows_naming_one_item_with_different_values(tmp_path: Path) -> None:
    rows = [
        ["Servernavn", "RAM"],
        ["A", 4],
        ["a", 8],
    ]  # the same server (case-insensitive), two values
    path = workbook(tmp_path / "s.xlsx", {"Servere": rows})
    base = '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n'
    assert problems(path, toml(tmp_path / "e.toml", base)) == [
        f"{path}:Servere!B3: server 'A' has ram_gb '8' here but '4' in Servere!B2; correct one, or "
        'set on_conflict = "first" or "last" in [[sheets]] 1 (Servere)'
    ]
    last = read_any(
        path,
        municipality="N",
        mapping=load_mapping(toml(tmp_path / "l.toml", base + 'on_conflict = "last"\n')),
    )
    assert items(last, Kind.SERVER) == {"A": {"ram_gb": 8}}


# ---------------------------------------------------------------- Swedish, .ods and .xls

FORTECKNING = {
    "Serverförteckning": [
        ["Servernamn", "Virtuell", "Minne", "Lagring", "Miljö"],
        ["SE-APP1", "Ja", "16 GB", "1,5 TB", "Prod"],
        ["SE-APP2", "Nej", "32 GB", "500 GB", "Test"],
    ]
}
FORTECKNING_MAP = '[[sheets]]\nsheet = "Serverförteckning"\nkind = "servers"\n'


@pytest.mark.parametrize("suffix", ["xlsx", "ods", "xls"])
def test_issue18_swedish_server_list_in_every_workbook_format(tmp_path: Path, suffix: str) -> None:
    path = workbook(tmp_path / "forteckning.xlsx", FORTECKNING)
    if suffix != "xlsx":
        path = convert(path, suffix, tmp_path)
    inventory = read_any(
        path,
        municipality="Strandköping",
        mapping=load_mapping(toml(tmp_path / "m.toml", FORTECKNING_MAP)),
    )
    servers = items(inventory, Kind.SERVER)
    assert servers["SE-APP1"]["virtual"] is True and servers["SE-APP2"]["virtual"] is False
    assert total(inventory, Kind.SERVER, "ram_gb") == 48  # 16 GB + 32 GB
    assert total(inventory, Kind.SERVER, "storage_gb") == 1536 + 500  # 1,5 TB = 1536 GB
    assert inventory.warnings == []


@pytest.mark.parametrize("suffix", ["xlsx", "ods", "xls"])
def test_issue18_sum_row_without_total_words_is_skipped_in_every_workbook_format(
    tmp_path: Path, suffix: str
) -> None:
    """A total row named like an item ('Nordby') is told by its =SUM formula, in .xls as well."""
    rows = [
        ["Servernavn", "RAM", "Dobbelt"],
        ["A", 4, "=B2*2"],
        ["B", 8, "=B3*2"],
        ["Nordby", "=SUM(B2:B3)", None],
    ]
    path = workbook(tmp_path / "servere.xlsx", {"Servere": rows})
    if suffix != "xlsx":
        path = convert(path, suffix, tmp_path)
    mapping = toml(
        tmp_path / "m.toml",
        '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n[sheets.columns]\n"Dobbelt" = ""\n',
    )
    inventory = read_any(path, municipality="Nordby", mapping=load_mapping(mapping))
    assert items(inventory, Kind.SERVER) == {
        "A": {"ram_gb": 4},
        "B": {"ram_gb": 8},
    }  # =B2*2 is no total
    [warning] = inventory.warnings
    assert warning.startswith(f"{path}:Servere!A4: row 4 skipped: a total row (=SUM("), warning


@pytest.mark.parametrize("suffix", ["xlsx", "ods", "xls"])
def test_issue18_error_cells_are_said_never_silently_blank(tmp_path: Path, suffix: str) -> None:
    """#N/A (a failed VLOOKUP) reads as blank in every format; the warning names the cell."""
    rows = [["Servernavn", "RAM", "vCPU"], ["A", "#N/A", 2], ["B", 8, "=1/0"]]
    path = workbook(tmp_path / "servere.xlsx", {"Servere": rows})
    if suffix == "xlsx":  # what Excel saves for =1/0: the formula and its error as the value
        rewrite = zipfile.ZipFile(path)
        xml = rewrite.read("xl/worksheets/sheet1.xml").replace(
            b'<c r="C3"><f>1/0</f><v /></c>', b'<c r="C3" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        )
        members = {name: rewrite.read(name) for name in rewrite.namelist()}
        rewrite.close()
        with zipfile.ZipFile(path, "w") as out:
            for name, data in members.items():
                out.writestr(name, xml if name == "xl/worksheets/sheet1.xml" else data)
    else:
        path = convert(path, suffix, tmp_path)
    mapping = toml(tmp_path / "m.toml", '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n')
    inventory = read_any(path, municipality="Nordby", mapping=load_mapping(mapping))
    assert items(inventory, Kind.SERVER) == {"A": {"vcpu": 2}, "B": {"ram_gb": 8}}
    assert inventory.warnings == [
        f"{path}:Servere!B2: ram_gb: the cell shows the error #N/A; read as blank",
        f"{path}:Servere!C3: vcpu: the cell shows the error #DIV/0!; read as blank",
    ]


def test_a_name_cell_showing_an_error_is_said_once_with_the_skipped_row(tmp_path: Path) -> None:
    """The row is skipped for its name, and the one warning says what the cell shows (it was
    two: the unreadable cell, then the skipped row)."""
    rows = [["Servernavn", "RAM"], ["A", 4], ["#N/A", 8]]
    path = workbook(tmp_path / "servere.xlsx", {"Servere": rows})
    mapping = toml(tmp_path / "m.toml", '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n')
    inventory = read_any(path, municipality="Nordby", mapping=load_mapping(mapping))
    assert items(inventory, Kind.SERVER) == {"A": {"ram_gb": 4}}
    assert inventory.warnings == [
        f"{path}:Servere!A3: row 3 skipped: it has values but no server name; "
        "the cell shows the error #N/A"
    ]


def test_issue18_trailing_note_and_heading_rows_are_no_items(tmp_path: Path) -> None:
    rows = [
        ["Servernavn", "RAM", "vCPU", "Miljø"],
        ["Rådhuset"],  # a heading over a group of servers
        ["RH-01", 8, 2, "Prod"],
        ["RH-02", 16, 4, "Test"],
        ["Skolerne"],
        ["SK-01", 4, 2, "Prod"],
        [],
        ["Kilde: vCenter, marts 2026"],
    ]  # a note below the table
    path = workbook(tmp_path / "s.xlsx", {"Servere": rows})
    mapping = toml(tmp_path / "m.toml", '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n')
    inventory = read_any(path, municipality="Nordby", mapping=load_mapping(mapping))
    assert sorted(items(inventory, Kind.SERVER)) == ["RH-01", "RH-02", "SK-01"]  # 8 + 16 + 4 GB
    assert total(inventory, Kind.SERVER, "ram_gb") == 28
    assert [w.split(": ", 1)[1].split(" (most")[0] for w in inventory.warnings] == [
        "row 2 skipped: only 'Rådhuset' in it, a heading",
        "row 5 skipped: only 'Skolerne' in it, a heading",
        "row 8 skipped: only 'Kilde: vCenter, marts 2026' in it, a note below the table",
    ]
    # a list of names only (no other cells anywhere) keeps every row
    names = workbook(tmp_path / "n.xlsx", {"Servere": [["Servernavn"], ["A"], ["B"], ["C"]]})
    assert (
        len(items(read_any(names, municipality="N", mapping=load_mapping(mapping)), Kind.SERVER))
        == 3
    )


def test_issue18_an_item_with_only_its_name_is_kept_and_named(tmp_path: Path) -> None:
    """A system with only its name filled in is still a system; one such row among many full
    ones is kept with a warning that gives the skip_names fix in case it is a heading."""
    rows = [
        ["Fagsystem", "Leverandør", "Systemejer"],
        *[[f"S{i}", "KMD", "IT"] for i in range(5)],
        ["Økonomi"],
    ]
    path = workbook(tmp_path / "a.xlsx", {"Systemer": rows})
    mapping = toml(tmp_path / "m.toml", '[[sheets]]\nsheet = "Systemer"\nkind = "applications"\n')
    inventory = read_any(path, municipality="N", mapping=load_mapping(mapping))
    assert (
        len(items(inventory, Kind.APPLICATION)) == 6
    )  # S0-S4 and Økonomi (the last row, but not a note:
    assert (
        inventory.warnings
        == [  # most rows fill 3 cells, so one bare name below them stands out)
            f"{path}:Systemer!A7: only 'Økonomi' in row 7 (most rows fill 3 cells or more): read "
            "as an item; if it is a heading, add it to skip_names in [[sheets]] 1 (Systemer)"
        ]
    )


def test_issue18_hidden_sheets_are_named(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Servere"
    book.active.append(["Servernavn", "RAM"])
    book.active.append(["A", 4])
    lookup = book.create_sheet("Opslag")
    lookup.append(["Miljø", "Kode"])
    lookup.sheet_state = "hidden"
    path = tmp_path / "s.xlsx"
    book.save(path)
    mapping = toml(tmp_path / "m.toml", '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n')
    inventory = read_any(path, municipality="N", mapping=load_mapping(mapping))
    assert inventory.warnings == [
        f"{path}:Opslag!A1: sheet not read (a hidden sheet, no "
        "[[sheets]] entry names it); add one to import it"
    ]


# -------------------------------------------------------------- CSV from Danish Excel and PowerCLI


def test_issue18_danish_excel_csv_in_windows_1252(tmp_path: Path) -> None:
    text = (
        "Servernavn;RAM (GB);Disk (GB);Idriftsat;Ejer\r\n"
        "SRV-ØKO;1.500,5;4.501,5;03-11-2026;Søren\r\n"
        "SRV-LØN;16;200;01.02.2025;Åse\r\n"
    )
    path = tmp_path / "servere.csv"
    path.write_bytes(text.encode("cp1252"))
    mapping = toml(
        tmp_path / "m.toml", '[[sheets]]\nkind = "servers"\n[sheets.columns]\n"Idriftsat" = ""\n'
    )
    inventory = read_any(path, municipality="Nordby", mapping=load_mapping(mapping))
    servers = items(inventory, Kind.SERVER)
    assert servers["SRV-ØKO"] == {"ram_gb": 1500.5, "storage_gb": 4501.5, "owner": "Søren"}
    assert total(inventory, Kind.SERVER, "storage_gb") == 4701.5
    assert inventory.warnings == []
    suggested = suggest_mapping(path)
    assert 'encoding = "cp1252"' in suggested and 'delimiter = ";"' in suggested
    again = read_any(
        path, municipality="Nordby", mapping=load_mapping(toml(tmp_path / "s.toml", suggested))
    )
    assert items(again, Kind.SERVER) == servers


def test_issue18_powercli_export_in_utf16_with_type_line(tmp_path: Path) -> None:
    text = (
        "#TYPE VMware.VimAutomation.ViCore.Impl.V1.VM.UniversalVirtualMachineImpl\r\n"
        '"Name","PowerState","NumCpu","MemoryGB","Notes"\r\n'
        '"vm-løn01","PoweredOn","4","16","Lønsystem"\r\n'
        '"vm-esdh","PoweredOff","2","8,5",""\r\n'
    )
    path = tmp_path / "vms.csv"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))  # Export-Csv -Encoding Unicode
    mapping = toml(
        tmp_path / "m.toml",
        '[[sheets]]\nkind = "servers"\n[sheets.columns]\n'
        '"NumCpu" = "vcpu"\n"MemoryGB" = "ram_gb"\n"PowerState" = ""\n"Notes" = ""\n',
    )
    inventory = read_any(path, municipality="Nordby", mapping=load_mapping(mapping))
    assert sorted(items(inventory, Kind.SERVER)) == ["vm-esdh", "vm-løn01"]
    assert (
        total(inventory, Kind.SERVER, "ram_gb") == 24.5
        and total(inventory, Kind.SERVER, "vcpu") == 6
    )


def test_issue18_excel_sep_line_and_tab_delimiter(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("sep=;\nServernavn;RAM\nA;4,5\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("Servernavn\tRAM\nA\t4\n", encoding="utf-8-sig")
    mapping = load_mapping(toml(tmp_path / "m.toml", '[[sheets]]\nkind = "servers"\n'))
    assert items(read_any(tmp_path / "a.csv", municipality="N", mapping=mapping), Kind.SERVER) == {
        "A": {"ram_gb": 4.5}
    }
    assert items(read_any(tmp_path / "b.csv", municipality="N", mapping=mapping), Kind.SERVER) == {
        "A": {"ram_gb": 4}
    }


def test_issue18_csv_messages_point_at_the_row(tmp_path: Path) -> None:
    """A CSV file has no sheets: its messages are FILE:ROW (column C), the row a text editor
    shows."""
    text = "sep=;\nServernavn;RAM (GB);Disk\nA;4;100\nB;seksten;100\nA;8;100\n"
    path = tmp_path / "servere.csv"
    path.write_text(text, encoding="utf-8")
    mapping = toml(tmp_path / "m.toml", '[[sheets]]\nkind = "servers"\n')
    # line 1 is Excel's sep= line, 2 the header: B is on line 4, the second A on line 5
    assert problems(path, mapping) == [
        f"{path}:4 (column B): ram_gb must be a number, got 'seksten'",
        f"{path}:5 (column B): server 'A' has ram_gb '8' here but '4' in row 3 (column B); correct "
        'one, or set on_conflict = "first" or "last" in [[sheets]] 1',
    ]
    path.write_text(text.replace("seksten", "16").replace("A;8", "A;4"), encoding="utf-8")
    assert (
        total(
            read_any(path, municipality="N", mapping=load_mapping(mapping)), Kind.SERVER, "ram_gb"
        )
        == 20
    )


# ---------------------------------------------------------------- misreads are errors


def test_issue18_ambiguous_number_column_is_one_error_and_its_fix_is_accepted(
    tmp_path: Path,
) -> None:
    rows = [["Servernavn", "RAM (GB)"], ["A", "1.500"], ["B", "2.000"]]
    path = workbook(tmp_path / "s.xlsx", {"Servere": rows})
    base = '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n'
    assert problems(path, toml(tmp_path / "e.toml", base)) == [
        f"{path}:Servere!B1: column 'RAM (GB)': '1.500' may be a thousands separator or a decimal "
        'mark and no cell of the column tells which; set [format] decimal = "," or decimal = "." '
        'in the mapping file (decimal = "," reads 1.500 as 1500)'
    ]
    fixed = load_mapping(toml(tmp_path / "f.toml", '[format]\ndecimal = ","\n' + base))
    assert total(read_any(path, municipality="N", mapping=fixed), Kind.SERVER, "ram_gb") == 3500


def test_issue18_unknown_enumeration_value_names_the_values_fix(tmp_path: Path) -> None:
    rows = [["Servernavn", "Kritikalitet"], ["A", "Meget vigtig"]]
    path = workbook(tmp_path / "s.xlsx", {"Servere": rows})
    base = '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n'
    assert problems(path, toml(tmp_path / "e.toml", base)) == [
        f"{path}:Servere!B2: criticality must be one of low, medium, high, critical, got "
        "'Meget vigtig'; or map it in the mapping file, e.g. [sheets.values.criticality] "
        '"Meget vigtig" = "low"'
    ]
    fixed = toml(
        tmp_path / "f.toml", base + '[sheets.values.criticality]\n"Meget vigtig" = "low"\n'
    )
    assert items(read_any(path, municipality="N", mapping=load_mapping(fixed)), Kind.SERVER)[
        "A"
    ] == {"criticality": "low"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[sheets]]\nsheet = "Nope"\nkind = "servers"\n',
            "[[sheets]] 1 (Nope) sheet: no sheet 'Nope' in ",
        ),
        (
            '[[sheets]]\nsheet = "Servere"\nkind = "robots"\n',
            "[[sheets]] 1 (Servere) kind: unknown kind 'robots'; ",
        ),
        (
            '[[sheets]]\nsheet = "Servere"\nkind = "servers"\nheaders = 2\n',
            "[[sheets]] 1 (Servere) headers: unknown key; ",
        ),
        (
            '[[sheets]]\nsheet = "Servere"\nkind = "servers"\n[sheets.columns]\nRAM = "ramm"\n',
            "[[sheets]] 1 (Servere).columns 'RAM' = 'ramm': unknown field for servers; ",
        ),
        (
            '[format]\ndecimals = ","\n[[sheets]]\nsheet = "Servere"\nkind = "servers"\n',
            "[format] decimals: unknown key",
        ),
    ],
)
def test_issue18_mapping_mistakes_are_one_line_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    path = workbook(tmp_path / "s.xlsx", {"Servere": [["Servernavn", "RAM"], ["A", 4]]})
    mapping = toml(tmp_path / "m.toml", text)
    with pytest.raises(PlannerError) as caught:
        read_any(path, municipality="N", mapping=load_mapping(mapping))
    lines = caught.value.problems if isinstance(caught.value, ImportFailed) else [str(caught.value)]
    assert len(lines) == 1 and lines[0].startswith(f"{mapping}: {message}"), lines


def test_issue18_every_template_field_is_mappable_including_name(tmp_path: Path) -> None:
    rows = [["Hostnavn", "Hukommelse i alt"], ["A", 4]]
    path = workbook(tmp_path / "s.xlsx", {"Ark1": rows})
    mapping = toml(
        tmp_path / "m.toml",
        "[[sheets]]\nsheet = 1\nkind = "
        '"servers"\n[sheets.columns]\n"HOSTNAVN " = '
        '"name"\n"hukommelse i alt" = "ram_gb"\n',
    )
    assert items(read_any(path, municipality="N", mapping=load_mapping(mapping)), Kind.SERVER) == {
        "A": {"ram_gb": 4}
    }


def test_issue18_the_template_read_through_a_mapping(book: Any, tmp_path: Path) -> None:
    path = book.write()
    mapping = toml(tmp_path / "m.toml", '[[sheets]]\nsheet = "Servers"\nkind = "servers"\n')
    inventory = read_any(path, municipality="Østerå", mapping=load_mapping(mapping))
    assert sorted(items(inventory, Kind.SERVER)) == ["SRV-SKOLE-02", "SRV-ØKO-01"]
    assert inventory.format == "spreadsheet"
