"""Cell parsing (`inventories.values`): every rule with its exact message, each failure
beside a value that passes."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from inventories import values
from inventories.schema import SHEETS, Column, normalise_header, normalise_value


def column(sheet: str, name: str) -> Column:
    return next(s for s in SHEETS if s.name == sheet).lookup[normalise_header(name)]


RAM = column("Servers", "ram_gb")
VCPU = column("Servers", "vcpu")
VLAN = column("Networks", "vlan")
CIDR = column("Networks", "cidr")
KIND = column("Networks", "kind")
VIRTUAL = column("Servers", "virtual")
BLACKOUT = column("Applications", "blackout")
NAME = column("Servers", "name")
SERVERS = column("Applications", "servers")


def bad(value: object, col: Column, **kw: int) -> str:
    with pytest.raises(values.BadValue) as caught:
        values.parse(value, col, **kw)
    return str(caught.value)


# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (16, 16),
        (16.5, 16.5),
        ("16", 16.0),
        ("16.5", 16.5),
        ("16,5", 16.5),
        (" 1 024 ", 1024.0),
        ("1\u00a0024,25", 1024.25),
        (0, 0),
    ],
)
def test_number_accepts_decimal_point_comma_and_thousand_spaces(
    raw: object, expected: float
) -> None:
    assert values.parse(raw, RAM) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("sixteen", "ram_gb must be a number, got 'sixteen'"),
        (
            "16 GX",
            "ram_gb '16 GX' has a unit that is not understood; "
            "use one of kb, kib, mb, mib, gb, gib, tb, tib, e.g. 16 GB",
        ),
        ("1.024.5", "ram_gb must be a number, got '1.024.5'"),
        (
            "1,500",
            "ram_gb '1,500' is ambiguous: write 1500 for a thousands separator or 1.5 for a "
            'decimal, or set [format] decimal = "," or "." in the mapping file',
        ),
        (
            "1.500",
            "ram_gb '1.500' is ambiguous: write 1500 for a thousands separator or 1.5 for a "
            'decimal, or set [format] decimal = "," or "." in the mapping file',
        ),
        (
            "-12.000",
            "ram_gb '-12.000' is ambiguous: write -12000 for a thousands separator or -12.0 "
            'for a decimal, or set [format] decimal = "," or "." in the mapping file',
        ),
        ("nan", "ram_gb must be a number, got 'nan'"),
        ("inf", "ram_gb must be a number, got 'inf'"),
        (True, "ram_gb must be a number, got 'True'"),
        (-1, "ram_gb must be at least 0, got '-1'"),
        ("-0,5", "ram_gb must be at least 0, got '-0,5'"),
    ],
)
def test_number_rejects_text_nan_booleans_and_negatives(raw: object, message: str) -> None:
    assert bad(raw, RAM) == message


@pytest.mark.parametrize(("raw", "expected"), [(4, 4), (4.0, 4), ("4", 4), ("4,0", 4)])
def test_whole_number_accepts_integral_values(raw: object, expected: int) -> None:
    result = values.parse(raw, VCPU)
    assert result == expected and isinstance(result, int)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (2.5, "vcpu must be a whole number, got '2.5'"),
        ("2,5", "vcpu must be a whole number, got '2,5'"),
        ("four", "vcpu must be a whole number, got 'four'"),
        (-2, "vcpu must be at least 0, got '-2'"),
    ],
)
def test_whole_number_rejects_fractions_and_text(raw: object, message: str) -> None:
    assert bad(raw, VCPU) == message


@pytest.mark.parametrize("raw", [1, 4094, "20"])
def test_vlan_in_range(raw: object) -> None:
    assert values.parse(raw, VLAN) == int(raw)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (0, "vlan must be at least 1, got '0'"),
        (-5, "vlan must be at least 1, got '-5'"),
        (4095, "vlan must be at most 4094, got '4095'"),
    ],
)
def test_vlan_out_of_range(raw: object, message: str) -> None:
    assert bad(raw, VLAN) == message


# --- enums and yes/no ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("administrative", "administrative"),
        ("Administrative", "administrative"),
        (" DMZ ", "dmz"),
        ("Administrativ", "administrative"),
        ("administrativt", "administrative"),  # da / sv
        ("Pædagogisk", "pedagogical"),
        ("pedagogiskt", "pedagogical"),
        ("Andet", "other"),
        ("annat", "other"),
    ],
)
def test_enum_accepts_english_danish_and_swedish(raw: str, expected: str) -> None:
    assert values.parse(raw, KIND) == expected


def test_enum_rejects_unknown_value_listing_the_choices() -> None:
    assert bad("school", KIND) == (
        "kind must be one of administrative, pedagogical, dmz, other, "
        "got 'school'; or map it in the mapping file, e.g. "
        '[sheets.values.kind] "school" = "administrative"'
    )


@pytest.mark.parametrize(
    ("sheet", "name", "raw", "expected"),
    [
        ("Servers", "criticality", "Kritisk", "critical"),
        ("Servers", "criticality", "høj", "high"),
        ("Servers", "criticality", "Hög", "high"),
        ("Servers", "environment", "Produktion", "prod"),
        ("Servers", "environment", "utveckling", "dev"),
        ("Sites", "type", "Rådhus", "town_hall"),
        ("Sites", "type", "Skola", "school"),
        ("Sites", "type", "town hall", "town_hall"),
        ("Directories", "type", "AD", "active_directory"),
        ("Dependencies", "strength", "blød", "soft"),
        ("Dependencies", "to_kind", "Nätverk", "network"),
        ("Dependencies", "from_kind", "Applikation", "application"),
        ("Dependencies", "kind", "runs on", "runs_on"),
    ],
)
def test_enum_aliases_per_column(sheet: str, name: str, raw: str, expected: str) -> None:
    assert values.parse(raw, column(sheet, name)) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", True),
        ("no", False),
        ("Ja", True),
        ("nej", False),
        ("x", True),
        (1, True),
        (0, False),
        (True, True),
        (False, False),
    ],
)
def test_yes_no_accepts_danish_swedish_and_booleans(raw: object, expected: bool) -> None:
    assert values.parse(raw, VIRTUAL) is expected


def test_yes_no_rejects_anything_else() -> None:
    assert bad("maybe", VIRTUAL) == (
        "virtual must be yes or no, got 'maybe'; or map it in the "
        'mapping file, e.g. [sheets.values.virtual] "maybe" = "yes"'
    )


# --- CIDR ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1.0.0/16", "10.1.0.0/16"),
        ("10.1.0.0/16, 192.168.4.0/24", "10.1.0.0/16, 192.168.4.0/24"),
        ("fd00:1::/48; 2001:db8::/32", "fd00:1::/48, 2001:db8::/32"),
        ("10.9.9.9/32", "10.9.9.9/32"),
    ],
)
def test_cidr_accepts_ipv4_and_ipv6_prefixes(raw: str, expected: str) -> None:
    assert values.parse(raw, CIDR) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("10.1.0.5/16", "cidr '10.1.0.5/16' has host bits set; did you mean 10.1.0.0/16?"),
        ("fd00::1/48", "cidr 'fd00::1/48' has host bits set; did you mean fd00::/48?"),
        ("10.1.0.0", "cidr '10.1.0.0' has no prefix length; write e.g. 10.1.0.0/24"),
        ("10.1.0.0/16, 10.2.0.0", "cidr '10.2.0.0' has no prefix length; write e.g. 10.2.0.0/24"),
        ("10.300.0.0/16", "cidr '10.300.0.0/16' is not an IPv4 or IPv6 prefix such as 10.1.0.0/16"),
        ("10.1.0.0/33", "cidr '10.1.0.0/33' is not an IPv4 or IPv6 prefix such as 10.1.0.0/16"),
        ("gg::/48", "cidr 'gg::/48' is not an IPv4 or IPv6 prefix such as 10.1.0.0/16"),
    ],
)
def test_cidr_rejects_host_bits_missing_length_and_garbage(raw: str, message: str) -> None:
    assert bad(raw, CIDR) == message


# --- blackout dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2027-06-20..2027-06-30", "2027-06-20..2027-06-30"),
        ("2027-06-20 .. 2027-06-30, 2027-12-24", "2027-06-20..2027-06-30, 2027-12-24..2027-12-24"),
        (datetime(2027, 7, 1), "2027-07-01..2027-07-01"),  # a real date cell
        (date(2027, 7, 1), "2027-07-01..2027-07-01"),
    ],
)
def test_blackout_accepts_ranges_single_days_and_date_cells(raw: object, expected: str) -> None:
    assert values.parse(raw, BLACKOUT) == expected
    assert values.parse_ranges(expected)[0][0] <= values.parse_ranges(expected)[0][1]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2027-06-30..2027-06-20", "blackout '2027-06-30..2027-06-20' ends before it starts"),
        ("2027-02-30..2027-03-02", "blackout '2027-02-30..2027-03-02' is not a valid date"),
        ("2027-13-01", "blackout '2027-13-01' is not a valid date"),
        ("June 2027", "blackout 'June 2027' is not a date range YYYY-MM-DD..YYYY-MM-DD"),
        ("31-06-2027", "blackout '31-06-2027' is not a valid date"),
    ],
)
def test_blackout_rejects_reversed_invalid_and_foreign_formats(raw: str, message: str) -> None:
    assert bad(raw, BLACKOUT) == message


# --- text ----------------------------------------------------------------------------------


def test_text_is_trimmed_nfc_and_integral_floats_lose_their_point() -> None:
    assert values.parse("  Rådhus  ", NAME) == "Rådhus"
    assert values.parse("Ra\u030adhus", NAME) == "Rådhus"  # decomposed å from a Mac
    assert values.parse(2019.0, NAME) == "2019"


def test_text_length_limit() -> None:
    assert values.parse("x" * 100, NAME, max_text=100) == "x" * 100
    assert (
        bad("x" * 101, NAME, max_text=100)
        == "name is 101 characters long; at most 100 are accepted"
    )
    assert bad("x" * 12_000, NAME) == "name is 12,000 characters long; at most 10,000 are accepted"


@pytest.mark.parametrize(
    ("raw", "code"), [("a\x07b", "0007"), ("a\x00b", "0000"), ("a\x7fb", "007F")]
)
def test_text_rejects_control_characters(raw: str, code: str) -> None:
    assert bad(raw, NAME) == f"name contains the control character U+{code}"


def test_text_allows_tabs_and_newlines_inside() -> None:
    assert (
        values.parse("line one\nline\ttwo", column("Dependencies", "note")) == "line one\nline\ttwo"
    )


def test_list_is_split_trimmed_and_deduplicated_case_insensitively() -> None:
    assert values.parse("SRV-1, srv-1; SRV-2\nSRV-3,,", SERVERS) == "SRV-1, SRV-2, SRV-3"


def test_show_keeps_a_message_on_one_line() -> None:
    assert values.show("a\nb") == "'a b'"
    assert values.show("x" * 50) == repr("x" * 39 + "…")


def test_blank_cells() -> None:
    assert values.is_blank(None) and values.is_blank("  ") and not values.is_blank(0)


def test_normalise_value_maps_aliases_and_spelling() -> None:
    assert normalise_value("Town Hall") == "town_hall"
    assert normalise_value("Azure AD") == "entra_id"


# --- Nordic values (issue 18) --------------------------------------------------------------

BANDWIDTH = column("Networks", "bandwidth_mbps")
EFFORT = column("Servers", "effort_hours")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.024,5", 1024.5),
        ("1 500,5", 1500.5),
        ("1.500.000", 1500000.0),  # a Danish/Swedish number
        # a GB is 1024 MB
        ("16 GB", 16.0),
        ("16GB", 16.0),
        ("1,5 TB", 1536.0),
        ("512 MB", 0.5),
        ("32 GiB", 32.0),
    ],
)
def test_issue18_nordic_numbers_and_units_in_cells(raw: str, expected: float) -> None:
    assert values.parse(raw, RAM) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("1 Gbit", 1000.0), ("500 Mbit", 500.0), ("10 Gbit/s", 10000.0)]
)
def test_issue18_bandwidth_units_are_decimal(raw: str, expected: float) -> None:
    assert values.parse(raw, BANDWIDTH) == expected


def test_issue18_estimate_is_read_with_a_note() -> None:
    notes: list[str] = []
    assert values.parse("ca. 300", column("Applications", "users"), notes=notes) == 300
    assert notes == ["users 'ca. 300' is an estimate; read as 300"]


def test_issue18_header_unit_converts_and_a_cell_unit_wins() -> None:
    in_mb = values.Reading(unit="MB")
    assert values.parse(16384, RAM, reading=in_mb) == 16.0  # 16384 MB / 1024
    assert values.parse("2 TB", RAM, reading=in_mb) == 2048.0


@pytest.mark.parametrize(
    ("cells", "decided"),
    [
        (["1.500", "16,5"], (",", None)),  # one cell with a decimal comma decides the column
        (["1.500", "1,500.5"], (".", None)),
        (["16", 8, "4"], (None, None)),
    ],
)
def test_issue18_decimal_is_decided_per_column(
    cells: list[object], decided: tuple[object, object]
) -> None:
    assert values.decide_decimal(cells) == decided


def test_issue18_ambiguous_column_names_the_format_fix_which_is_accepted() -> None:
    decimal, problem = values.decide_decimal(["1.500", "2.250"])
    assert decimal is None and problem == (
        "'1.500' may be a thousands separator or a decimal mark and no cell of the column tells "
        'which; set [format] decimal = "," or decimal = "." in the mapping file (decimal = "," '
        "reads 1.500 as 1500)"
    )
    # the fix is accepted
    assert values.parse("1.500", RAM, reading=values.Reading(decimal=",")) == 1500.0
    assert values.parse("1.500", RAM, reading=values.Reading(decimal=".")) == 1.5
    _, mixed = values.decide_decimal(["1,5", "2.5"])
    assert mixed is not None and mixed.startswith(
        "its numbers mix a decimal comma ('1,5') and a decimal point"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1.0.0 255.255.0.0", "10.1.0.0/16"),
        ("10.4.0.0/255.255.252.0", "10.4.0.0/22"),
        ("10.5.0.0-10.5.3.255", "10.5.0.0/22"),
        ("10.6.0.0 - 10.6.0.255, 10.7.0.0/16", "10.6.0.0/24, 10.7.0.0/16"),
    ],
)
def test_issue18_netmask_and_range_notations_become_prefixes(raw: str, expected: str) -> None:
    assert values.parse(raw, CIDR) == expected


def test_issue18_wildcard_network_is_a_prefix_with_a_note() -> None:
    notes: list[str] = []
    assert values.parse("10.3.0.*", CIDR, notes=notes) == "10.3.0.0/24"
    assert notes == ["cidr '10.3.0.*' read as the prefix 10.3.0.0/24"]


def test_issue18_every_suggested_cidr_fix_is_accepted() -> None:
    message = bad("10.1.2.3", CIDR)
    assert message == (
        "cidr '10.1.2.3' has no prefix length; write e.g. 10.1.2.3/32 for the one "
        "address or 10.1.2.0/24 for its network"
    )
    assert values.parse("10.1.2.3/32", CIDR) == "10.1.2.3/32" and values.parse("10.1.2.0/24", CIDR)
    assert values.parse("10.1.0.0/24", CIDR) == "10.1.0.0/24"  # the fix suggested for 10.1.0.0


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("03-11-2026", "2026-11-03..2026-11-03"),
        ("03.11.2026..20.11.2026", "2026-11-03..2026-11-20"),
        ("20/6/2027", "2027-06-20..2027-06-20"),
        ("2027-06-20 - 2027-06-30", "2027-06-20..2027-06-30"),
    ],
)
def test_issue18_nordic_dates(raw: str, expected: str) -> None:
    assert values.parse(raw, BLACKOUT) == expected


def test_issue18_value_map_maps_and_drops() -> None:
    reading = values.Reading(values={"meget høj": "critical", "ved ikke": ""})
    criticality = column("Servers", "criticality")
    assert values.parse(" Meget HØJ ", criticality, reading=reading) == "critical"
    assert values.parse("Ved ikke", criticality, reading=reading) is None
    assert values.parse("8 timer", EFFORT) == 8.0
