"""Validation of a filled-in template (`inventories.template_reader`): every rule with its
exact `FILE:SHEET!CELL: message`, each failure paired with a passing case.

All cases start from the valid `book` fixture and change one cell; the cell letters
follow the template's column order (Servers: A name … G vcpu, H ram_gb, J network …).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from inventories.schema import Kind
from inventories.template_reader import read_template
from inventories.workbook import _sheet_files
from exports.errors import ImportFailed
from tests.conftest import InventoryBook, rewrite_member


def problems(path: Path) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        read_template(path, label=path.name)
    return caught.value.problems


def item(path: Path, kind: Kind, name: str) -> dict[str, Any]:
    inventory = read_template(path, label=path.name)
    return next(i.fields for i in inventory.items if i.kind == kind and i.name == name)


def test_the_valid_book_reads_without_problems_or_warnings(book: InventoryBook) -> None:
    inventory = read_template(book.write(), label="nordby.xlsx")
    assert inventory.municipality == "Østerå Kommune"
    assert inventory.municipality_fields == {
        "code": "0751",
        "employees": 3200.5,
        "users": 4100,
        "country": "DK",
    }
    assert {kind: inventory.count(kind) for kind in Kind} == {
        Kind.SITE: 2,
        Kind.NETWORK: 2,
        Kind.DIRECTORY: 1,
        Kind.SERVER: 2,
        Kind.APPLICATION: 2,
        Kind.WORKPLACE: 2,
    }
    assert len(inventory.dependencies) == 4
    assert inventory.warnings == []
    server = item(book.write(), Kind.SERVER, "SRV-ØKO-01")
    assert server["virtual"] is True and server["vcpu"] == 4 and server["ram_gb"] == 16


# (sheet, row index, column, bad value, expected problem, good value, good value as stored)
CELL_CASES = [
    # required cells
    ("Networks", 0, "kind", None, "Networks!B2: kind is required", "dmz", "dmz"),
    ("Workplaces", 1, "pcs", None, "Workplaces!C3: pcs is required", 0, 0),
    (
        "Dependencies",
        0,
        "to_name",
        "  ",
        "Dependencies!D2: to_name is required",
        "Østerå.local",
        "Østerå.local",
    ),
    ("Dependencies", 0, "kind", None, "Dependencies!F2: kind is required", "uses", "uses"),
    # whole numbers and numbers (incl. decimal comma) and ranges
    ("Servers", 0, "vcpu", 2.5, "Servers!G2: vcpu must be a whole number, got '2.5'", "8", 8),
    (
        "Servers",
        0,
        "ram_gb",
        "sixteen",
        "Servers!H2: ram_gb must be a number, got 'sixteen'",
        "15,5",
        15.5,
    ),
    (
        "Servers",
        0,
        "storage_gb",
        -100,
        "Servers!I2: storage_gb must be at least 0, got '-100'",
        0,
        0,
    ),
    ("Workplaces", 0, "pcs", -3, "Workplaces!C2: pcs must be at least 0, got '-3'", "40", 40),
    ("Networks", 0, "vlan", 4095, "Networks!D2: vlan must be at most 4094, got '4095'", 4094, 4094),
    ("Networks", 0, "vlan", 0, "Networks!D2: vlan must be at least 1, got '0'", 1, 1),
    (
        "Municipality",
        0,
        "employees",
        "mange",
        "Municipality!C2: employees must be a number, got 'mange'",
        "3200,5",
        3200.5,
    ),
    # enums, with Danish/Swedish aliases on the passing side
    (
        "Servers",
        0,
        "criticality",
        "urgent",
        "Servers!M2: criticality must be one of low, medium, high, critical, got 'urgent'",
        "Kritisk",
        "critical",
    ),
    (
        "Servers",
        0,
        "environment",
        "stagging",
        "Servers!L2: environment must be one of prod, test, dev, got 'stagging'",
        "Produktion",
        "prod",
    ),
    (
        "Sites",
        1,
        "type",
        "kindergarten",
        "Sites!B3: type must be one of town_hall, school, "
        "institution, jobcentre, other, got 'kindergarten'",
        "Skola",
        "school",
    ),
    (
        "Applications",
        0,
        "strategy",
        "lift",
        "Applications!G2: strategy must be one of rehost, "
        "replatform, replace, consolidate, retire, retain, saas, "
        "got 'lift'",
        "Retire",
        "retire",
    ),
    (
        "Dependencies",
        0,
        "strength",
        "medium",
        "Dependencies!G2: strength must be one of hard, soft, got 'medium'",
        "mjuk",
        "soft",
    ),
    (
        "Servers",
        0,
        "virtual",
        "maybe",
        "Servers!D2: virtual must be yes or no, got 'maybe'",
        "Nej",
        False,
    ),
    # CIDR
    (
        "Networks",
        0,
        "cidr",
        "10.1.0.1/16",
        "Networks!C2: cidr '10.1.0.1/16' has host bits set; did you mean 10.1.0.0/16?",
        "10.1.0.0/16",
        "10.1.0.0/16",
    ),
    (
        "Networks",
        1,
        "cidr",
        "10.2.0.0/16, fd00:1::1/48",
        "Networks!C3: cidr 'fd00:1::1/48' has host bits set; did you mean fd00:1::/48?",
        "10.2.0.0/16,fd00:1::/48",
        "10.2.0.0/16, fd00:1::/48",
    ),
    (
        "Networks",
        0,
        "cidr",
        "10.1.0.0",
        "Networks!C2: cidr '10.1.0.0' has no prefix length; write e.g. 10.1.0.0/24",
        "10.1.0.0/24",
        "10.1.0.0/24",
    ),
    (
        "Networks",
        0,
        "cidr",
        "10.1.0.0/99",
        "Networks!C2: cidr '10.1.0.0/99' is not an IPv4 or IPv6 prefix such as 10.1.0.0/16",
        "2001:db8::/32",
        "2001:db8::/32",
    ),
    # blackout dates
    (
        "Applications",
        0,
        "blackout",
        "2027-01-20..2027-01-01",
        "Applications!N2: blackout '2027-01-20..2027-01-01' ends before it starts",
        "2027-01-01..2027-01-20, 2027-06-24",
        "2027-01-01..2027-01-20, 2027-06-24..2027-06-24",
    ),
    (
        "Applications",
        0,
        "blackout",
        "2027-02-29..2027-03-01",
        "Applications!N2: blackout '2027-02-29..2027-03-01' is not a valid date",
        "2028-02-29..2028-03-01",
        "2028-02-29..2028-03-01",
    ),
    (
        "Applications",
        0,
        "blackout",
        "uge 7",
        "Applications!N2: blackout 'uge 7' is not a date range YYYY-MM-DD..YYYY-MM-DD",
        None,
        None,
    ),
    # references in network/directory/site/servers columns (matched case-insensitively)
    (
        "Servers",
        0,
        "network",
        "NOPE",
        "Servers!J2: network 'NOPE' names no network on the Networks sheet",
        "adm-net",
        "adm-net",
    ),
    (
        "Servers",
        0,
        "directory",
        "nordby.local",
        "Servers!K2: directory 'nordby.local' names no directory on the Directories sheet",
        "ØSTERÅ.LOCAL",
        "ØSTERÅ.LOCAL",
    ),
    (
        "Servers",
        1,
        "site",
        "Nordskolen",
        "Servers!N3: site 'Nordskolen' names no site on the Sites sheet",
        "søndre skole",
        "søndre skole",
    ),
    (
        "Networks",
        0,
        "site",
        "Rådhus",
        "Networks!E2: site 'Rådhus' names no site on the Sites sheet",
        "Rådhuset",
        "Rådhuset",
    ),
    (
        "Sites",
        0,
        "network",
        "ADM",
        "Sites!C2: network 'ADM' names no network on the Networks sheet",
        "PÆD-Net",
        "PÆD-Net",
    ),
    (
        "Applications",
        0,
        "servers",
        "SRV-ØKO-01, SRV-GHOST",
        "Applications!I2: servers 'SRV-GHOST' names no server on the Servers sheet",
        "SRV-ØKO-01; srv-skole-02",
        "SRV-ØKO-01, srv-skole-02",
    ),
    (
        "Applications",
        1,
        "directory",
        "skole.local",
        "Applications!J3: directory 'skole.local' names no directory on the Directories sheet",
        "østerå.local",
        "østerå.local",
    ),
    (
        "Workplaces",
        0,
        "site",
        "Rådhus",
        "Workplaces!B2: site 'Rådhus' names no site on the Sites sheet",
        "RÅDHUSET",
        "RÅDHUSET",
    ),
    (
        "Workplaces",
        1,
        "network",
        "Elevnet",
        "Workplaces!G3: network 'Elevnet' names no network on the Networks sheet",
        "PÆD-NET",
        "PÆD-NET",
    ),
    # text: too long, control characters
    (
        "Servers",
        0,
        "owner",
        "x" * 10_001,
        "Servers!R2: owner is 10,001 characters long; at most 10,000 are accepted",
        "x" * 10_000,
        "x" * 10_000,
    ),
    (
        "Servers",
        0,
        "owner",
        "Drift\x7f",
        "Servers!R2: owner contains the control character U+007F",
        "Drift\tteam",
        "Drift\tteam",
    ),
]


def _kind_of(sheet: str) -> Kind | None:
    return {
        "Sites": Kind.SITE,
        "Networks": Kind.NETWORK,
        "Directories": Kind.DIRECTORY,
        "Servers": Kind.SERVER,
        "Applications": Kind.APPLICATION,
        "Workplaces": Kind.WORKPLACE,
    }.get(sheet)


@pytest.mark.parametrize(
    ("sheet", "index", "column", "bad", "message", "good", "stored"),
    CELL_CASES,
    ids=[f"{c[0]}.{c[2]}={str(c[3])[:20]!r}" for c in CELL_CASES],
)
def test_cell_rule(
    book: InventoryBook,
    sheet: str,
    index: int,
    column: str,
    bad: Any,
    message: str,
    good: Any,
    stored: Any,
) -> None:
    book.sheets[sheet][index][column] = bad
    found = problems(book.write())
    # enumeration messages end with the value-map fix (tests/test_values.py checks it)
    assert [line.split("; or map it in the mapping file, e.g. ")[0] for line in found] == [
        f"nordby.xlsx:{message}"
    ]

    book.sheets[sheet][index][column] = good
    inventory = read_template(book.write(), label="nordby.xlsx")
    kind = _kind_of(sheet)
    if kind is not None:
        fields = next(i.fields for i in inventory.items if i.kind == kind and i.row == index + 2)
        assert fields.get(column) == stored
    elif sheet == "Municipality":
        assert inventory.municipality_fields[column] == stored
    else:
        dependency = next(d for d in inventory.dependencies if d.row == index + 2)
        assert getattr(dependency, column) == stored


@pytest.mark.parametrize(
    ("sheet", "duplicate", "message"),
    [
        ("Servers", "srv-øko-01", "Servers!A4: name 'srv-øko-01' is already used on row 2"),
        ("Sites", " RÅDHUSET ", "Sites!A4: name 'RÅDHUSET' is already used on row 2"),
        (
            "Applications",
            "ØKONOMISTYRING",
            "Applications!A4: name 'ØKONOMISTYRING' is already used on row 2",
        ),
    ],
)
def test_duplicate_names_case_insensitively(
    book: InventoryBook, sheet: str, duplicate: str, message: str
) -> None:
    book.sheets[sheet].append({"name": duplicate})
    assert problems(book.write()) == [f"nordby.xlsx:{message}"]
    book.sheets[sheet][-1]["name"] = "Noget andet"
    read_template(book.write(), label="nordby.xlsx")


def test_same_name_in_two_kinds_is_fine(book: InventoryBook) -> None:
    book.sheets["Directories"].append({"name": "SRV-ØKO-01"})
    read_template(book.write(), label="nordby.xlsx")


@pytest.mark.parametrize(
    ("end", "column", "name", "message"),
    [
        (
            "from",
            "from_name",
            "Ghost",
            "Dependencies!B2: from_name 'Ghost' names no application in this workbook",
        ),
        (
            "to",
            "to_name",
            "Ghost",
            "Dependencies!D2: to_name 'Ghost' names no directory in this workbook",
        ),
    ],
)
def test_dependency_ends_must_name_an_item(
    book: InventoryBook, end: str, column: str, name: str, message: str
) -> None:
    book.sheets["Dependencies"][0][column] = name
    assert problems(book.write()) == [f"nordby.xlsx:{message}"]
    book.sheets["Dependencies"][0][column] = "ØKONOMISTYRING" if end == "from" else "ØSTERÅ.LOCAL"
    read_template(book.write(), label="nordby.xlsx")


def test_dependency_kind_must_match_the_named_item(book: InventoryBook) -> None:
    book.sheets["Dependencies"][0]["to_kind"] = (
        "server"  # østerå.local is a directory, not a server
    )
    assert problems(book.write()) == [
        "nordby.xlsx:Dependencies!D2: to_name 'østerå.local' names no server in this workbook"
    ]


def test_dependency_to_another_municipality_is_not_checked_here(book: InventoryBook) -> None:
    # row 5 names SBSYS in Nordby, which this workbook cannot know; naming this municipality checks
    # again
    book.sheets["Dependencies"][3]["to_municipality"] = "østerå kommune"
    assert problems(book.write()) == [
        "nordby.xlsx:Dependencies!D5: to_name 'SBSYS' names no application in this workbook"
    ]
    book.sheets["Dependencies"][3]["to_municipality"] = "Nordby"
    inventory = read_template(book.write(), label="nordby.xlsx")
    assert inventory.dependencies[3].to_municipality == "Nordby"
    assert inventory.dependencies[0].to_municipality is None
    assert inventory.dependencies[0].strength == "hard"  # the default


def test_every_problem_is_reported_in_sheet_order(book: InventoryBook) -> None:
    book.sheets["Servers"][0]["ram_gb"] = "sixteen"
    book.sheets["Servers"][1]["vcpu"] = "two"
    book.sheets["Networks"][1]["vlan"] = 5000
    book.sheets["Dependencies"][1]["from_name"] = "Ghost"
    assert problems(book.write()) == [
        "nordby.xlsx:Networks!D3: vlan must be at most 4094, got '5000'",
        "nordby.xlsx:Servers!H2: ram_gb must be a number, got 'sixteen'",
        "nordby.xlsx:Servers!G3: vcpu must be a whole number, got 'two'",
        "nordby.xlsx:Dependencies!B3: from_name 'Ghost' names no workplace in this workbook",
    ]


def test_an_invalid_name_is_reported_once(book: InventoryBook) -> None:
    # the bad name is not also reported as "names no server" by the application that lists it
    book.sheets["Servers"][0]["name"] = "SRV\x7f"
    found = problems(book.write())
    assert found[0] == "nordby.xlsx:Servers!A2: name contains the control character U+007F"


# --- the Municipality sheet ----------------------------------------------------------------


def test_two_municipality_rows(book: InventoryBook) -> None:
    book.sheets["Municipality"].append({"name": "Nordby Kommune"})
    assert problems(book.write()) == [
        "nordby.xlsx:Municipality!A3: only one municipality per workbook; remove this row"
    ]


def test_municipality_name_required(book: InventoryBook) -> None:
    book.sheets["Municipality"][0]["name"] = None
    assert problems(book.write()) == ["nordby.xlsx:Municipality!A2: name is required"]


def test_a_required_cell_showing_an_error_says_so(book: InventoryBook) -> None:
    # openpyxl writes '#REF!' as an error cell, as Excel stores a broken reference: the name
    # reads as blank, and the message says what the cell shows, not only that it is empty.
    book.sheets["Municipality"][0]["name"] = "#REF!"
    assert problems(book.write()) == [
        "nordby.xlsx:Municipality!A2: name is required; the cell shows the error #REF!"
    ]


def test_empty_template_names_no_municipality(book: InventoryBook) -> None:
    book.sheets = {}
    assert problems(book.write()) == [
        "nordby.xlsx:Municipality!A2: "
        "the Municipality sheet must name the municipality in its first row"
    ]
    # … unless the caller names it (planner import --municipality)
    inventory = read_template(book.write(), label="nordby.xlsx", municipality="Nordby")
    assert inventory.municipality == "Nordby" and inventory.items == []


# --- headers -------------------------------------------------------------------------------


MUNI = {"Municipality": [["name"], ["Østerå"]]}


def test_missing_required_column(raw_workbook) -> None:  # type: ignore[no-untyped-def]
    path = raw_workbook(
        "nordby.xlsx", {**MUNI, "Networks": [["name", "cidr"], ["ADM", "10.0.0.0/8"]]}
    )
    assert problems(path) == [
        "nordby.xlsx:Networks!A1: required column 'kind' is missing from the header row"
    ]
    path = raw_workbook(
        "nordby.xlsx",
        {**MUNI, "Networks": [["name", "cidr", "Type"], ["ADM", "10.0.0.0/8", "dmz"]]},
    )
    assert read_template(path).count(Kind.NETWORK) == 1


def test_duplicate_header(raw_workbook) -> None:  # type: ignore[no-untyped-def]
    path = raw_workbook(
        "nordby.xlsx", {**MUNI, "Servers": [["Servernavn", "OS", "Servernamn"], ["A", "B", "C"]]}
    )
    assert problems(path) == [
        "nordby.xlsx:Servers!C1: column 'Servernamn' repeats 'name' (already in column A)"
    ]
    path = raw_workbook(
        "nordby.xlsx", {**MUNI, "Servers": [["Servernavn", "OS", "Note"], ["A", "B", "C"]]}
    )
    inventory = read_template(path, label="nordby.xlsx")
    assert inventory.warnings == ["nordby.xlsx:Servers!C1: unknown column 'Note' ignored"]


def test_header_may_start_below_a_title_row_and_blank_rows_are_skipped(raw_workbook) -> None:  # type: ignore[no-untyped-def]
    path = raw_workbook(
        "nordby.xlsx", {**MUNI, "Servers": [[], ["Servernavn", "RAM"], ["A", 4], [], ["B", 8]]}
    )
    inventory = read_template(path)
    assert [(i.name, i.row, i.fields) for i in inventory.items] == [
        ("A", 3, {"ram_gb": 4}),
        ("B", 5, {"ram_gb": 8}),
    ]


def test_a_second_sheet_of_the_same_kind(raw_workbook) -> None:  # type: ignore[no-untyped-def]
    path = raw_workbook(
        "nordby.xlsx", {**MUNI, "Servers": [["name"], ["A"]], "Servere": [["name"], ["B"]]}
    )
    assert problems(path) == [
        "nordby.xlsx:Servere!A1: a second 'Servers' sheet (already read 'Servers')"
    ]


def test_unknown_and_hidden_sheets_are_warned_about(book: InventoryBook) -> None:
    import openpyxl

    path = book.write()
    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("Ark1")
    workbook["Directories"].sheet_state = "hidden"
    workbook.save(path)
    inventory = read_template(path, label="nordby.xlsx")
    assert inventory.warnings == [
        "nordby.xlsx:Directories!A1: the sheet is hidden; it was read all the same",
        "nordby.xlsx:Ark1!A1: unknown sheet ignored (not a sheet of the inventory template)",
    ]
    assert inventory.count(Kind.DIRECTORY) == 1


DANISH = {
    "Kommune": [["Kommune", "Kommunekode", "Årsværk"], ["Østerå Kommune", "0751", "3200,5"]],
    "Lokationer": [
        ["Lokation", "Type", "Netværk"],
        ["Rådhuset", "Rådhus", "ADM"],
        ["Søndre Skole", "Skole", "PÆD"],
    ],
    "Netværk": [
        ["Netværk", "Type", "Adresseområde", "VLAN"],
        ["ADM", "Administrativ", "10.1.0.0/16", 10],
        ["PÆD", "Pædagogisk", "fd00:1::/48", 20],
    ],
    "Katalogtjenester": [["Domæne", "Type"], ["østerå.local", "AD"]],
    "Servere": [
        [
            "Servernavn",
            "Operativsystem",
            "Virtuel",
            "RAM (GB)",
            "Netværk",
            "Domæne",
            "Miljø",
            "Kritikalitet",
        ],
        ["SRV-ØKO-01", "Windows Server", "Ja", "16,5", "ADM", "østerå.local", "Produktion", "Høj"],
    ],
    "Applikationer": [
        ["Applikation", "Leverandør", "Servere", "Strategi", "Spærreperiode"],
        ["Økonomistyring", "KMD", "SRV-ØKO-01", "rehost", "2027-01-01..2027-01-20"],
    ],
    "Arbejdspladser": [
        ["Arbejdsplads", "Lokation", "PC'er"],
        ["Rådhus administration", "Rådhuset", 40],
    ],
    "Afhængigheder": [
        ["Fra type", "Fra", "Til type", "Til", "Type", "Styrke"],
        ["Applikation", "Økonomistyring", "Katalog", "østerå.local", "authenticates_with", "Hård"],
        ["Arbejdsplads", "Rådhus administration", "Applikation", "Økonomistyring", "uses", "blød"],
    ],
}

SWEDISH = {
    "Kommun": [["Kommun", "Kommunkod", "Anställda"], ["Strandköping", "0180", 5000]],
    "Platser": [
        ["Plats", "Typ", "Nätverk"],
        ["Kommunhuset", "Kommunhus", "ADM"],
        ["Ängsskolan", "Skola", "PED"],
    ],
    "Nätverk": [
        ["Nätverk", "Typ", "Prefix", "VLAN"],
        ["ADM", "Administrativt", "10.1.0.0/16", 10],
        ["PED", "Pedagogiskt", "10.2.0.0/16", 20],
    ],
    "Katalogtjänster": [["Domän", "Typ"], ["strandköping.local", "AD"]],
    "Servrar": [
        [
            "Servernamn",
            "Operativsystem",
            "Virtuell",
            "Minne",
            "Nätverk",
            "Domän",
            "Miljö",
            "Kritikalitet",
        ],
        [
            "SRV-EKO-01",
            "Windows Server",
            "Ja",
            "16,5",
            "ADM",
            "strandköping.local",
            "Produktion",
            "Hög",
        ],
    ],
    "Applikationer": [
        ["System", "Leverantör", "Servrar", "Strategi", "Spärrperiod"],
        ["Ekonomi", "Visma", "SRV-EKO-01", "rehost", "2027-01-01..2027-01-20"],
    ],
    "Arbetsplatser": [
        ["Arbetsplats", "Plats", "Datorer"],
        ["Kommunhuset kansli", "Kommunhuset", 40],
    ],
    "Beroenden": [
        ["Från typ", "Från", "Till typ", "Till", "Typ", "Styrka"],
        ["System", "Ekonomi", "Katalogtjänst", "strandköping.local", "authenticates_with", "hård"],
        ["Arbetsplats", "Kommunhuset kansli", "System", "Ekonomi", "uses", "mjuk"],
    ],
}


@pytest.mark.parametrize(
    ("sheets", "municipality", "server"),
    [(DANISH, "Østerå Kommune", "SRV-ØKO-01"), (SWEDISH, "Strandköping", "SRV-EKO-01")],
    ids=["da", "sv"],
)
def test_danish_and_swedish_workbooks(raw_workbook, sheets, municipality: str, server: str) -> None:  # type: ignore[no-untyped-def]
    inventory = read_template(raw_workbook("kommune.xlsx", sheets), label="kommune.xlsx")
    assert inventory.warnings == []
    assert inventory.municipality == municipality
    assert [inventory.count(kind) for kind in Kind] == [2, 2, 1, 1, 1, 1]
    fields = next(i.fields for i in inventory.items if i.name == server)
    assert fields["virtual"] is True and fields["ram_gb"] == 16.5
    assert fields["environment"] == "prod" and fields["criticality"] == "high"
    sites = {i.name: i.fields["type"] for i in inventory.items if i.kind == Kind.SITE}
    assert sorted(sites.values()) == ["school", "town_hall"]
    assert [(d.from_kind, d.to_kind, d.strength) for d in inventory.dependencies] == [
        ("application", "directory", "hard"),
        ("workplace", "application", "soft"),
    ]


# --- formulas ------------------------------------------------------------------------------


def _servers_member(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return _sheet_files(archive)["Servers"]


def test_formula_is_not_evaluated_and_warned_about(book: InventoryBook) -> None:
    """openpyxl writes formulas without a cached result, so the cell reads as blank, and says so."""
    book.sheets["Servers"][0]["vcpu"] = "=2*2"
    path = book.write()
    inventory = read_template(path, label="nordby.xlsx")
    assert inventory.warnings == [
        "nordby.xlsx:Servers!G2: vcpu: the formula has no saved value (the file was written by a "
        "program and never calculated; open and save it in Excel or LibreOffice); read as blank"
    ]
    assert "vcpu" not in next(i.fields for i in inventory.items if i.name == "SRV-ØKO-01")


def test_formula_cached_value_is_used(book: InventoryBook) -> None:
    """What Excel saves: the formula and its last result; we read the result, never evaluate."""
    book.sheets["Servers"][0]["vcpu"] = "=2*2"
    path = book.write()
    rewrite_member(
        path,
        _servers_member(path),
        lambda xml: xml.replace(b"<f>2*2</f><v />", b"<f>2*2</f><v>6</v>"),
    )
    inventory = read_template(path, label="nordby.xlsx")
    assert inventory.warnings == [
        "nordby.xlsx:Servers!G2: formula not evaluated; its cached value was used"
    ]
    assert (
        next(i.fields for i in inventory.items if i.name == "SRV-ØKO-01")["vcpu"] == 6
    )  # cached, not 2*2


def test_formula_without_cached_value_in_a_required_cell(book: InventoryBook) -> None:
    book.sheets["Workplaces"][0]["pcs"] = "=20*2"
    path = book.write()
    assert problems(path) == [
        "nordby.xlsx:Workplaces!C2: pcs is required; the cell holds a formula with no saved value"
    ]


# --- issue 18: never silently wrong --------------------------------------------------------


def test_issue18_own_spreadsheet_as_template_is_refused_not_imported_empty(
    raw_workbook: Any,
) -> None:
    """The old version printed "unknown sheet ignored … 1 created" and exit 0 for this file."""
    path = raw_workbook("servere.xlsx", {"Serveroversigt": [["Servernavn", "RAM"], ["A", 4]]})
    with pytest.raises(ImportFailed) as caught:
        read_template(path, label="servere.xlsx", municipality="Nordby")
    assert caught.value.problems == [
        "servere.xlsx: no sheet of the inventory template (Servers, Applications, Netværk, …) in "
        "this workbook; for your own spreadsheet write a mapping with `planner mapping suggest "
        "servere.xlsx -o map.toml` and import with --mapping map.toml"
    ]


def test_issue18_total_row_in_the_template_is_skipped_with_a_warning(raw_workbook: Any) -> None:
    """An "I alt" row with =SUM(…) used to become a server and double RAM and vCPU."""
    servers = [
        ["Servernavn", "RAM", "vCPU"],
        ["A", 4, 2],
        ["B", 8, 2],
        ["I alt", "=SUM(B2:B3)", "=SUM(C2:C3)"],
    ]
    path = raw_workbook("nordby.xlsx", {**MUNI, "Servers": servers})
    inventory = read_template(path, label="nordby.xlsx")
    assert [i.name for i in inventory.items] == ["A", "B"]  # RAM 4 + 8 = 12, not 24
    assert "nordby.xlsx:Servers!A4: row 4 skipped: a total row (=SUM(B2:B3))" in inventory.warnings


def test_issue18_title_block_above_the_template_header(raw_workbook: Any) -> None:
    servers = [["Servere i Nordby"], [], ["Servernavn", "RAM"], ["A", 4]]
    path = raw_workbook("nordby.xlsx", {**MUNI, "Servers": servers})
    assert [(i.name, i.fields) for i in read_template(path).items] == [("A", {"ram_gb": 4})]
