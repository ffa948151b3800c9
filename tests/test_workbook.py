"""Opening untrusted workbooks (`inventories.workbook`): corrupt, hostile and oversized
files become one `PlannerError` sentence, never a traceback."""

from __future__ import annotations

import os
import re
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from inventories.template_reader import read_template
from inventories.workbook import Limits, Workbook, _sheet_files, open_workbook
from exports.errors import PlannerError
from tests.conftest import InventoryBook, rewrite_member


def refusal(path: Path, limits: Limits | None = None) -> str:
    with pytest.raises(PlannerError) as caught:
        read_template(path, label=path.name, limits=limits)
    message = str(caught.value)
    assert "\n" not in message
    return message


def corrupt_files(folder: Path, good: Path) -> dict[str, tuple[bytes, str]]:
    """name -> (content, exact message): the corrupt inputs users actually send."""
    data = good.read_bytes()
    flipped = bytearray(data)
    for index in range(len(data) // 3, len(data) // 3 + 64):
        flipped[index] ^= 0xFF
    not_zip = "not a workbook (expected .xlsx, .xlsm, .ods or .xls)"
    return {
        "random.xlsx": (os.urandom(4096), not_zip),
        "truncated.xlsx": (data[: len(data) // 2], not_zip),
        "export.xlsx": (
            "name;os\nSRV-ØKO-01;Windows\n".encode(),  # a .csv renamed
            "not a workbook but text, perhaps CSV; give it a .csv name",
        ),
        "empty.xlsx": (b"", "the file is empty"),
        "flipped.xlsx": (bytes(flipped), "the workbook is corrupt ("),
    }


def test_corrupt_files_are_one_clean_sentence(book: InventoryBook, tmp_path: Path) -> None:
    for name, (content, message) in corrupt_files(tmp_path, book.write()).items():
        path = tmp_path / name
        path.write_bytes(content)
        assert refusal(path).startswith(f"{name}: {message}")


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    assert refusal(path) == (
        "letter.xlsx: not an .xlsx workbook (no xl/workbook.xml inside) and "
        "not an .ods spreadsheet (no content.xml); save it as .xlsx"
    )


def test_missing_file_and_folder(tmp_path: Path) -> None:
    assert refusal(tmp_path / "nowhere.xlsx") == "nowhere.xlsx: no such file"
    (tmp_path / "folder.xlsx").mkdir()
    assert refusal(tmp_path / "folder.xlsx") == "folder.xlsx: is a folder, not a workbook"


def test_the_valid_book_opens(book: InventoryBook) -> None:
    workbook = open_workbook(book.write(), "nordby.xlsx")
    try:
        assert workbook.formula_sheets == frozenset() and workbook.hidden_sheets == frozenset()
    finally:
        workbook.close()


# --- hostile XML ---------------------------------------------------------------------------

DOCTYPE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
)


def test_entities_in_the_workbook_part_are_refused(book: InventoryBook) -> None:
    path = book.write()
    rewrite_member(
        path, "xl/workbook.xml", lambda xml: DOCTYPE + xml.replace(b'name="Sites"', b'name="&b;"')
    )
    assert refusal(path).startswith("nordby.xlsx: cannot read the workbook (")


def test_entities_in_a_sheet_are_refused_not_expanded(book: InventoryBook) -> None:
    path = book.write()
    with zipfile.ZipFile(path) as archive:
        member = _sheet_files(archive)["Servers"]
    rewrite_member(path, member, lambda xml: DOCTYPE + xml.replace(b"SRV-SKOLE-02", b"&b;"))
    message = refusal(path)
    assert message.startswith("nordby.xlsx: cannot read the workbook (")
    assert "aaaaaaaaaa" not in message


def test_a_sheet_broken_halfway_is_one_sentence(book: InventoryBook) -> None:
    """A sheet cut off after its second row (a truncated save) is refused whole, never read in
    part."""
    path = book.write()
    with zipfile.ZipFile(path) as archive:
        member = _sheet_files(archive)["Servers"]
    rewrite_member(path, member, lambda xml: xml[: xml.index(b'<row r="3"') + 30])
    assert refusal(path).startswith("nordby.xlsx:Servers!A1: cannot read the sheet (")


# --- limits --------------------------------------------------------------------------------


def test_cell_limit_counts_the_whole_workbook(book: InventoryBook) -> None:
    path = book.write()
    # Municipality 2x5, Sites 3x5, Networks 3x6, Directories 2x5 = 53 cells before Servers
    assert refusal(path, Limits(max_cells=60)) == (
        "nordby.xlsx:Servers!A1: the workbook has more than 60 cells (limit PLANNER_MAX_CELLS); "
        "split the file or raise the limit"
    )
    read_template(path, limits=Limits(max_cells=10_000))


def test_uncompressed_size_limit(book: InventoryBook) -> None:
    path = book.write()
    with zipfile.ZipFile(path) as archive:
        size = sum(member.file_size for member in archive.infolist())
    message = refusal(path, Limits(max_uncompressed_bytes=size - 1))
    assert re.fullmatch(
        r"nordby\.xlsx: the workbook unpacks to 0\.\d+ MB, more than the limit of 0\.\d+ MB "
        r"\(PLANNER_MAX_UNCOMPRESSED_MB\)",
        message,
    ), message
    read_template(path, limits=Limits(max_uncompressed_bytes=size))


def test_zip_bomb_ratio(tmp_path: Path, book: InventoryBook) -> None:
    path = book.write()
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * (11 * 1024 * 1024))
    assert re.fullmatch(
        r"nordby\.xlsx: xl/media/padding\.bin is compressed \d{3,}:1, which looks like a zip bomb; "
        r"refusing to open it",
        refusal(path),
    )


def test_limits_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_MAX_CELLS", "1000")
    monkeypatch.setenv("PLANNER_MAX_UNCOMPRESSED_MB", "2")
    monkeypatch.setenv("PLANNER_MAX_TEXT", "")  # set but empty: the default
    assert Limits.from_env() == Limits(max_cells=1000, max_uncompressed_bytes=2 * 1024 * 1024)


def test_a_limit_that_is_not_a_number_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A limit the user set must hold: a value we cannot read is said, never replaced by the
    default behind the user's back."""
    monkeypatch.setenv("PLANNER_MAX_CELLS", "2 000 000")
    with pytest.raises(PlannerError) as caught:
        Limits.from_env()
    assert str(caught.value) == (
        "PLANNER_MAX_CELLS='2 000 000' is not a whole number; unset it for the default "
        "(2,000,000) or set e.g. PLANNER_MAX_CELLS=2000000"
    )


# --- formula detection ---------------------------------------------------------------------


def test_sheet_files_reads_attributes_in_any_order(book: InventoryBook) -> None:
    """openpyxl writes <Relationship Target=… Id=…>, Excel writes Id first: both must map."""
    path = book.write()
    with zipfile.ZipFile(path) as archive:
        assert _sheet_files(archive)["Servers"] == "xl/worksheets/sheet6.xml"

    def excel_order(xml: bytes) -> bytes:
        return re.sub(
            rb'<Relationship Type="([^"]*)" Target="/xl/([^"]*)" Id="([^"]*)" />',
            rb'<Relationship Id="\3" Type="\1" Target="\2"/>',
            xml,
        )

    rewrite_member(path, "xl/_rels/workbook.xml.rels", excel_order)
    with zipfile.ZipFile(path) as archive:
        assert b'<Relationship Id="rId6"' in archive.read("xl/_rels/workbook.xml.rels")
        assert _sheet_files(archive)["Servers"] == "xl/worksheets/sheet6.xml"


# --- issue 20, item 2: sheets are read by their cells, never by a declared dimension --------


@pytest.mark.parametrize("stale", [b'<dimension ref="A1:R2"/>', b'<dimension ref="A1:J3"/>'])
def test_issue20_stale_dimension_loses_no_data(book: InventoryBook, stale: bytes) -> None:
    """Other generators leave a <dimension> smaller than the data: A1:R2 hides row 3, A1:J3
    every column after J. Both servers must still come back with every value."""
    path = book.write()
    expected = read_template(path, label="nordby.xlsx").items
    with zipfile.ZipFile(path) as archive:
        member = _sheet_files(archive)["Servers"]
    rewrite_member(path, member, lambda xml: re.sub(rb"<dimension ref=\"[^\"]*\"\s*/>", stale, xml))
    with zipfile.ZipFile(path) as archive:
        assert stale in archive.read(member)
    assert read_template(path, label="nordby.xlsx").items == expected


def test_a_stray_cell_far_away_is_refused_before_it_is_read(book: InventoryBook) -> None:
    """One cell at XFD1000000 would make the reader allocate the whole rectangle A1:XFD1000000."""
    path = book.write()
    with zipfile.ZipFile(path) as archive:
        member = _sheet_files(archive)["Servers"]
    far = b'<row r="1000000"><c r="XFD1000000" t="inlineStr"><is><t>x</t></is></c></row>'
    rewrite_member(path, member, lambda xml: xml.replace(b"</sheetData>", far + b"</sheetData>"))
    assert refusal(path) == (
        "nordby.xlsx:Servers!A1: the workbook has more than 2,000,000 cells (limit "
        "PLANNER_MAX_CELLS; this sheet spans A1:XFD1000000); split the file or raise the limit"
    )


def unique_strings_workbook(path: Path, strings: int, length: int) -> Path:
    """A minimal .xlsx whose one sheet (10 columns) holds `strings` unique shared strings of about
    `length` characters: the shape of issue 20's probe (49 MB, 230 MB unpacked), scaled down."""
    office = "http://schemas.openxmlformats.org"
    ns = f'xmlns="{office}/spreadsheetml/2006/main"'
    rel = f"{office}/officeDocument/2006/relationships"
    package = f'xmlns="{office}/package/2006/relationships"'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            (
                f'<Types xmlns="{office}/package/2006/content-types"><Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
            ),
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships {package}><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="Servers" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            (
                f"<Relationships {package}>"
                f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
                f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
                "</Relationships>"
            ),
        )
        filler = "".join(chr(97 + (i * 7919) % 26) for i in range(length))
        texts = "".join(f"<si><t>{i} {filler[i % 26 :]}</t></si>" for i in range(strings))
        archive.writestr(
            "xl/sharedStrings.xml",
            f'<sst {ns} count="{strings}" uniqueCount="{strings}">{texts}</sst>',
        )
        rows = "".join(
            f'<row r="{row + 1}">'
            + "".join(
                f'<c r="{chr(65 + column)}{row + 1}" t="s"><v>{row * 10 + column}</v></c>'
                for column in range(10)
            )
            + "</row>"
            for row in range(strings // 10)
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml", f"<worksheet {ns}><sheetData>{rows}</sheetData></worksheet>"
        )
    return path


def python_calls(action: Callable[[], object]) -> int:
    """How many Python functions `action` calls: the work done in Python, counted, not timed."""
    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        count += event == "call"

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return count


def test_issue20_item11_unique_shared_strings_are_read_outside_python(tmp_path: Path) -> None:
    """The probe's workbook of 1.5 million unique shared strings ran openpyxl's reader over 200 s at
    1.4 GB: it parsed every string in Python (about 17 function calls each) before reading a cell.
    Now the pre-scan reads only the sheet's XML, in blocks, with regular expressions, and calamine
    (Rust) reads the strings: opening a workbook of 4,000 unique strings takes no more Python calls
    than one of 400 (the openpyxl reader: 9,228 and 69,669). Then every string is read right. The
    full-size measurement is `benchmarks/spreadsheet_speed.py --strings` (docs/benchmarks.md)."""
    small = unique_strings_workbook(tmp_path / "small.xlsx", strings=400, length=100)
    large = unique_strings_workbook(tmp_path / "large.xlsx", strings=4_000, length=100)
    open_workbook(small).close()  # first use: regular expressions compiled, modules loaded
    opened: list[Workbook] = []
    calls = python_calls(lambda: opened.append(open_workbook(large)))
    # ten times the strings, no more calls
    assert calls <= python_calls(lambda: open_workbook(small).close()) + 50
    cells = [cell for _, row in opened[0].rows("Servers") for cell in row]
    opened[0].close()
    assert len(cells) == 4_000 and len(set(cells)) == 4_000  # 400 rows of 10 unique strings
    assert cells[1234].startswith("1234 ")


def test_shared_strings_cut_short_are_one_sentence(tmp_path: Path) -> None:
    path = unique_strings_workbook(tmp_path / "strings.xlsx", strings=2_000, length=50)
    rewrite_member(path, "xl/sharedStrings.xml", lambda xml: xml[: len(xml) // 2])
    assert refusal(path) == (
        "strings.xlsx: cannot read the workbook (broken XML: t; open the file "
        "in Excel or LibreOffice and save it again)"
    )
