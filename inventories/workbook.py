"""Opening untrusted workbooks (.xlsx, .xlsm, .ods, .xls) safely and reading them by their cells.

A spreadsheet from another organisation is untrusted input: it may be a zip bomb, carry an
XML entity bomb, hold millions of cells, declare a wrong `<dimension>`, or not be a
workbook at all. Cell values are read with python-calamine (Rust; formulas are never
evaluated, their cached results are read; macros never run), which is many times faster
than openpyxl and reads .ods and .xls as well. calamine materialises a sheet as one dense
rectangle, so before it sees a file a cheap pre-scan of the raw XML measures every sheet
by its cells (never by a declared dimension), finds formula cells, and refuses DTDs;
only then is the file handed over. Every refusal is one `PlannerError` sentence.
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml

import warnings  # noqa: E402

with warnings.catch_warnings():
    # openpyxl still writes our workbooks and reads them in tests: keep the stdlib XML
    # parsers defused for everything in this process that might parse foreign XML.
    warnings.simplefilter("ignore", DeprecationWarning)
    defusedxml.defuse_stdlib()

import olefile  # noqa: E402
import python_calamine  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402

from inventories import biff  # noqa: E402
from exports.errors import PlannerError  # noqa: E402


@dataclass(frozen=True)
class Limits:
    """Limits for untrusted workbooks; override with PLANNER_MAX_* environment variables."""

    max_uncompressed_bytes: int = 256 * 1024 * 1024
    max_cells: int = 2_000_000
    max_ratio: int = 200  # uncompressed / compressed of one member: zip-bomb signature
    max_text: int = 10_000

    @classmethod
    def from_env(cls) -> Limits:
        """The limits, each raised or lowered by its PLANNER_MAX_* variable when set.

        A value that is not a whole number is refused rather than ignored: a user who set a
        limit expects it to hold, and silently falling back to the default would not."""

        def get(name: str, default: int) -> int:
            value = os.environ.get(name, "").strip()
            if not value:
                return default
            if not value.isdigit():
                raise PlannerError(
                    f"{name}={value!r} is not a whole number; unset it for the default "
                    f"({default:,}) or set e.g. {name}={default}"
                )
            return int(value)

        return cls(
            max_uncompressed_bytes=get("PLANNER_MAX_UNCOMPRESSED_MB", 256) * 1024 * 1024,
            max_cells=get("PLANNER_MAX_CELLS", 2_000_000),
            max_ratio=get("PLANNER_MAX_ZIP_RATIO", 200),
            max_text=get("PLANNER_MAX_TEXT", 10_000),
        )


def cell_ref(row: int, column: int) -> str:
    """Excel-style cell name, e.g. (12, 6) -> 'F12'."""
    return f"{get_column_letter(column)}{row}"


def where(file: str, sheet: str, row: int, column: int) -> str:
    """The `FILE:SHEET!CELL` prefix of every message that points into a workbook."""
    return f"{file}:{sheet}!{cell_ref(row, column)}"


def csv_where(file: str, row: int, column: int | None = None) -> str:
    """The `FILE:ROW` prefix of every message that points into a CSV file, which has no sheets:
    the row is the line a text editor shows; the column, when known, as Excel letters it."""
    return f"{file}:{row}" + (f" (column {get_column_letter(column)})" if column else "")


#: The error text of a formula cell with no saved value (calamine reads it as blank).
UNSAVED = "no saved value"


@dataclass
class SheetScan:
    """What the pre-scan measured in one sheet: its extent by cells and its formulas."""

    rows: int = 0  # the last row holding a cell with content (1-based)
    columns: int = 0  # the last column holding a cell with content
    # (row, column) -> the formula, and -> the error the cell shows ('#N/A') or UNSAVED
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    measured: bool = True  # False: only formulas were scanned (.xls); the reader measures it

    @property
    def extent(self) -> int:
        """Cells of the rectangle from A1 that a reader materialises."""
        return self.rows * self.columns


@dataclass
class Workbook:
    """An opened workbook: its sheets' names, which are hidden, and their cells on demand."""

    path: Path
    label: str
    kind: str  # "xlsx" (also .xlsm), "ods" or "xls"
    sheetnames: list[str]
    hidden_sheets: frozenset[str]
    limits: Limits
    scans: dict[str, SheetScan]
    reader: Any = None  # the python_calamine workbook

    cells: int = 0  # cells read so far, across all sheets: the limit is per workbook

    @property
    def formula_sheets(self) -> frozenset[str]:
        return frozenset(title for title, scan in self.scans.items() if scan.formulas)

    @property
    def book(self) -> Workbook:
        """The workbook itself, for callers written against openpyxl's `book.sheetnames`."""
        return self

    def rows(self, title: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, values) for every row of a sheet, by its cells; blank cells are None.

        Numbers that are whole come back as int (spreadsheets store every number as a float).
        """
        scan = self.scans.get(title)
        if scan is not None and scan.measured:  # measured before calamine materialises the sheet
            self._count(title, scan.extent, scan)
        try:
            sheet = self.reader.get_sheet_by_name(title)
            if scan is None or not scan.measured:
                end = sheet.end
                self._count(title, (end[0] + 1) * (end[1] + 1) if end else 0, None)
            data = sheet.to_python(skip_empty_area=False)
        except PlannerError:
            raise
        except BaseException as exc:  # noqa: BLE001  calamine errors, and Rust panics
            if isinstance(exc, (KeyboardInterrupt, SystemExit)) or not _is_reader_error(exc):
                raise
            raise PlannerError(
                f"{where(self.label, title, 1, 1)}: cannot read the sheet ({_describe(exc)})"
            ) from exc
        for number, values in enumerate(data, start=1):
            yield number, tuple([None if value == "" else _cell(value) for value in values])

    def _count(self, title: str, extent: int, scan: SheetScan | None) -> None:
        self.cells += extent
        if self.cells <= self.limits.max_cells:
            return
        span = (
            f"; this sheet spans A1:{cell_ref(scan.rows, scan.columns)}"
            if scan is not None and scan.extent > self.limits.max_cells
            else ""
        )
        raise PlannerError(
            f"{where(self.label, title, 1, 1)}: the workbook has more than "
            f"{self.limits.max_cells:,} cells (limit PLANNER_MAX_CELLS{span}); split the file or "
            "raise the limit"
        )

    def formulas(self, title: str) -> list[str]:
        """Cell names holding formulas (values come from the cached results, never evaluated)."""
        scan = self.scans.get(title)
        return [cell_ref(row, column) for row, column in sorted(scan.formulas)] if scan else []

    def formula_cells(self, title: str) -> dict[tuple[int, int], str]:
        """(row, column) -> formula text ('SUM(B2:B9)'), for telling total rows apart."""
        scan = self.scans.get(title)
        return dict(scan.formulas) if scan else {}

    def error_cells(self, title: str) -> dict[tuple[int, int], str]:
        """(row, column) -> the error a cell shows ('#N/A', '#REF!') or UNSAVED: each reads as
        blank, and the readers say so instead of leaving the value out silently."""
        scan = self.scans.get(title)
        return dict(scan.errors) if scan else {}

    def close(self) -> None:
        if self.reader is not None:
            try:
                self.reader.close()
            except Exception:  # noqa: BLE001  already closed
                pass
            self.reader = None


_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # Excel's encrypted .xlsx and legacy .xls containers
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls")


def open_workbook(
    path: str | Path, label: str | None = None, limits: Limits | None = None
) -> Workbook:
    """Open an .xlsx/.xlsm, .ods or .xls file after checking it is a sane, size-limited workbook."""
    path = Path(path)
    label = label or str(path)
    limits = limits or Limits.from_env()
    if not path.exists():
        raise PlannerError(f"{label}: no such file")
    if path.is_dir():
        raise PlannerError(f"{label}: is a folder, not a workbook")
    size = path.stat().st_size
    if size == 0:
        raise PlannerError(f"{label}: the file is empty")
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(_OLE_MAGIC):
        kind, scans = "xls", _check_ole(path, label, size, limits)
    elif zipfile.is_zipfile(path):
        kind, scans = _check_zip(path, label, limits)
    else:
        raise PlannerError(f"{label}: {_not_a_workbook(head)}")
    try:
        reader = python_calamine.CalamineWorkbook.from_path(str(path))
        metadata = list(reader.sheets_metadata)
    except BaseException as exc:  # noqa: BLE001  calamine errors, and Rust panics (BaseException)
        if isinstance(exc, (KeyboardInterrupt, SystemExit)) or not _is_reader_error(exc):
            raise
        if isinstance(exc, python_calamine.PasswordError):
            raise PlannerError(
                f"{label}: the workbook is password-protected; save it without a password"
            ) from exc
        raise PlannerError(f"{label}: cannot read the workbook ({_describe(exc)})") from exc
    names = [sheet.name for sheet in metadata]
    visible = python_calamine.SheetVisibleEnum.Visible
    hidden = frozenset(sheet.name for sheet in metadata if sheet.visible != visible)
    if kind == "ods":  # the pre-scan finds tables in document order, as calamine lists them
        scans = dict(zip(names, scans.values()))
    return Workbook(path, label, kind, names, hidden, limits, scans, reader)


def _cell(value: Any) -> Any:
    """A whole float -> int, as the cell shows it (calamine's '' for a blank cell is None
    already)."""
    if type(value) is float and value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _not_a_workbook(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf")
    separated = b"\x00" not in text and (b";" in text or b"," in text)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or separated:
        return (
            "not a workbook but text, perhaps CSV; give it a .csv name "
            "(workbooks are .xlsx, .xlsm, .ods or .xls)"
        )
    return "not a workbook (expected .xlsx, .xlsm, .ods or .xls)"


def _check_ole(path: Path, label: str, size: int, limits: Limits) -> dict[str, SheetScan]:
    """A legacy .xls (OLE container), or an encrypted .xlsx, which is the same container.

    The scans carry the formula cells only (`biff.formula_cells`): an .xls sheet is at most
    65,536 x 256 cells, and it is counted when it is read.
    """
    if size > limits.max_uncompressed_bytes:
        raise PlannerError(
            f"{label}: the workbook is {_megabytes(size)}, more than the limit of "
            f"{_megabytes(limits.max_uncompressed_bytes)} "
            "(PLANNER_MAX_UNCOMPRESSED_MB)"
        )
    unreadable = (
        f"{label}: an Office container with no readable workbook inside "
        "(password-protected?); save it as .xlsx without a password"
    )
    try:
        with olefile.OleFileIO(str(path)) as container:
            if container.exists("EncryptedPackage"):
                raise PlannerError(
                    f"{label}: the workbook is password-protected; save it without a password"
                )
            stream = next((name for name in ("Workbook", "Book") if container.exists(name)), None)
            if stream is None:
                raise PlannerError(unreadable)
            data = container.openstream(stream).read()
    except PlannerError:
        raise
    except Exception as exc:  # noqa: BLE001  olefile's many ways of saying "not a sane container"
        raise PlannerError(unreadable) from exc
    return {
        title: SheetScan(formulas=formulas, errors=errors, measured=False)
        for title, (formulas, errors) in biff.formula_cells(data).items()
    }


def _check_zip(path: Path, label: str, limits: Limits) -> tuple[str, dict[str, SheetScan]]:
    """Size, ratio and DTD checks of every member, then the pre-scan of the sheets."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_sizes(members, label, limits)
            names = {member.filename for member in members}
            mimetype = archive.read("mimetype")[:80].strip() if "mimetype" in names else b""
            if "xl/workbook.xml" in names:
                kind = "xlsx"
            elif "content.xml" in names and mimetype == _ODS_MIME:
                kind = "ods"
            elif "xl/workbook.bin" in names:
                raise PlannerError(f"{label}: an .xlsb (binary) workbook; save it as .xlsx")
            elif "content.xml" in names:
                raise PlannerError(f"{label}: an OpenDocument file, but not a spreadsheet (.ods)")
            else:
                raise PlannerError(
                    f"{label}: not an .xlsx workbook (no xl/workbook.xml inside) "
                    "and not an .ods spreadsheet (no content.xml); save it as .xlsx"
                )
            _refuse_doctypes(archive, members, label)
            if kind == "xlsx":
                return kind, {
                    title: _scan_xlsx_sheet(archive, member)
                    for title, member in _sheet_files(archive).items()
                    if member in names
                }
            return kind, _scan_ods(archive)
    except PlannerError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        NotImplementedError,
        ValueError,
        KeyError,
    ) as exc:
        raise PlannerError(f"{label}: the workbook is corrupt ({_describe(exc)})") from exc
    except (
        RuntimeError
    ) as exc:  # zipfile: a member flagged as encrypted (after NotImplementedError)
        raise PlannerError(
            f"{label}: the workbook is password-protected or corrupt ({_describe(exc)}); "
            "save it without a password"
        ) from exc


def _check_sizes(members: list[zipfile.ZipInfo], label: str, limits: Limits) -> None:
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        raise PlannerError(
            f"{label}: the workbook unpacks to {_megabytes(total)}, more than the limit of "
            f"{_megabytes(limits.max_uncompressed_bytes)} (PLANNER_MAX_UNCOMPRESSED_MB)"
        )
    for member in members:
        if (
            member.compress_size
            and member.file_size / member.compress_size > limits.max_ratio
            and member.file_size > 10 * 1024 * 1024
        ):
            raise PlannerError(
                f"{label}: {member.filename} is compressed "
                f"{member.file_size // member.compress_size}:1, which looks like a zip bomb; "
                "refusing to open it"
            )


def _refuse_doctypes(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], label: str) -> None:
    """No spreadsheet needs a DTD; one is the carrier of entity bombs and XXE, so refuse it.

    A DOCTYPE can only stand before the root element, so the start of each part suffices.
    """
    for member in members:
        if not member.filename.endswith((".xml", ".rels")) or member.is_dir():
            continue
        with archive.open(member) as handle:
            start = handle.read(8192)
        if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
            raise PlannerError(
                f"{label}: cannot read the workbook ({member.filename} declares XML "
                "entities in a DTD, which no spreadsheet needs; refusing it)"
            )


def _chunks(
    archive: zipfile.ZipFile, member: str, boundary: bytes, size: int = 8 << 20
) -> Iterator[bytes]:
    """A member's bytes in large blocks, each cut after the last `boundary`, so no tag is split."""
    carry = b""
    with archive.open(member) as handle:
        while chunk := handle.read(size):
            block = carry + chunk
            cut = block.rfind(boundary)
            cut = block.rfind(b">") + 1 if cut < 0 else cut + len(boundary)
            carry = block[cut:]
            yield block[:cut]
    if carry:
        yield carry


_COLUMN = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})\d+"[^>]*(?<!/)>')
_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d{1,9})"')
#: A formula cell: its <c> attributes, the <f> attributes and text, and its saved <v>alue, if any.
_FORMULA = re.compile(
    rb"<(?:\w+:)?c\b([^>]*?)>\s*<(?:\w+:)?f\b([^>]*?)(?:/>|>([^<]*)</(?:\w+:)?f>)"
    rb"\s*(?:<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>)?"
)
_SHARED = re.compile(rb'\bsi="(\d+)"')
_REF = re.compile(rb'\br="([A-Z]{1,3})(\d{1,9})"')
_TYPE = re.compile(rb'\bt="(\w+)"')
#: A cell holding an error value (#N/A, #REF!, …): t="e", the error as its <v>alue.
_ERROR = re.compile(rb'<(?:\w+:)?c\b([^>]*?\bt="e"[^>]*)>(.*?)</(?:\w+:)?c>', re.S)
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")


def _scan_xlsx_sheet(archive: zipfile.ZipFile, member: str) -> SheetScan:
    """Measure a worksheet by its cells with content (`<c …>…</c>`; `<c …/>` is empty).

    Regular expressions over the raw XML, so that the work stays in C: the letters of
    every cell's column (a set), the row numbers, and, where there are formulas, their
    cells and text (shared formulas take the text of their first cell).
    """
    scan = SheetScan()
    letters: set[bytes] = set()
    shared: dict[bytes, str] = {}
    for block in _chunks(archive, member, b"row>"):
        letters.update(_COLUMN.findall(block))
        rows = _ROW.findall(block)
        if rows:
            scan.rows = max(scan.rows, max(map(int, rows)))
        if b"<f" in block or b":f" in block:
            _scan_formulas(block, scan, shared)
        if b't="e"' in block:
            for attributes, inner in _ERROR.findall(block):
                ref, value = _REF.search(attributes), _VALUE.search(inner)
                if ref:
                    error = value.group(1).decode("utf-8", "replace") if value else "#N/A"
                    scan.errors[(int(ref.group(2)), _column_number(ref.group(1)))] = error
    scan.columns = max((_column_number(letter) for letter in letters), default=0)
    if scan.rows == 0 and scan.columns:
        scan.rows = 1
    return scan


def _scan_formulas(block: bytes, scan: SheetScan, shared: dict[bytes, str]) -> None:
    """The formula cells of a block (shared formulas take the text of their first cell), and
    those with no saved value: a file written by a program and never opened in Excel."""
    for cell, attributes, text, value in _FORMULA.findall(block):
        ref = _REF.search(cell)
        if ref is None:
            continue
        formula = _unescape(text.decode("utf-8", "replace"))
        index = _SHARED.search(attributes)
        if index and formula:
            shared[index.group(1)] = formula
        elif index:
            formula = shared.get(index.group(1), "")
        position = (int(ref.group(2)), _column_number(ref.group(1)))
        scan.formulas[position] = formula
        kind = _TYPE.search(cell)
        if not value and (kind is None or kind.group(1) not in (b"str", b"inlineStr", b"e")):
            scan.errors.setdefault(position, UNSAVED)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


_ODS_TOKEN = re.compile(
    rb"<table:(table|table-row|table-cell|covered-table-cell)(?=[\s/>])([^>]*?)(/?)>"
    rb"|</table:(table|table-row)>"
)
_REPEAT_COLUMNS = re.compile(rb'table:number-columns-repeated="(\d+)"')
_REPEAT_ROWS = re.compile(rb'table:number-rows-repeated="(\d+)"')
_ODS_FORMULA = re.compile(rb'table:formula="([^"]*)"')
_ODS_TEXT = re.compile(rb"\s*<text:p>([^<]*)</text:p>")


def _scan_ods(archive: zipfile.ZipFile) -> dict[str, SheetScan]:
    """Measure every table of content.xml by its cells with content, repeats included.

    LibreOffice writes runs of equal cells and rows once with a repeat count (and pads
    every row to column XFD with an empty repeated cell); a cell with content counts as
    often as it is repeated, an empty one (`<table:table-cell …/>`) not at all.
    """
    scans: dict[str, SheetScan] = {}
    scan = SheetScan()
    row = column = row_repeat = 0
    for block in _chunks(archive, "content.xml", b"table-row>"):
        for match in _ODS_TOKEN.finditer(block):
            tag, attributes, empty, closing = match.groups()
            if closing == b"table-row":
                row += row_repeat
                continue
            if closing == b"table":
                continue
            if tag == b"table":
                scan = scans.setdefault(f"#{len(scans)}", SheetScan())
                row = 0
            elif tag == b"table-row":
                repeat = _REPEAT_ROWS.search(attributes)
                row_repeat, column = int(repeat.group(1)) if repeat else 1, 0
                if empty:
                    row += row_repeat
            else:
                repeat = _REPEAT_COLUMNS.search(attributes)
                count = int(repeat.group(1)) if repeat else 1
                if not empty:
                    scan.columns = max(scan.columns, column + count)
                    scan.rows = max(scan.rows, row + row_repeat)
                    formula = _ODS_FORMULA.search(attributes)
                    if formula:
                        text = _unescape(formula.group(1).decode("utf-8", "replace"))
                        scan.formulas[(row + 1, column + 1)] = text.split("=", 1)[-1]
                    if b'value-type="error"' in attributes:
                        shown = _ODS_TEXT.match(block, match.end())
                        error = (
                            "#N/A"
                            if shown is None
                            else _unescape(shown.group(1).decode("utf-8", "replace"))
                        )
                        for offset in range(min(count, 256)):
                            scan.errors[(row + 1, column + 1 + offset)] = error
                column += count
    return scans


def _is_reader_error(exc: BaseException) -> bool:
    """calamine's own errors, and the PanicException a Rust panic raises (a BaseException)."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


# Tags are matched whole and their attributes read separately: producers write attributes
# in different orders (openpyxl writes Target before Id, Excel the other way round).
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>", re.S)
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>", re.S)
_ATTR = re.compile(rb'([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _attributes(text: bytes) -> dict[str, str]:
    """Attributes of one tag by local name (`r:id` -> `id`; the sheet's own `name`, `Id`)."""
    found: dict[str, str] = {}
    for key, double, single in _ATTR.findall(text):
        name = key.decode()
        found.setdefault(
            name.split(":")[-1] if ":" in name else name,
            (double or single).decode("utf-8", "replace"),
        )
    return found


def _sheet_files(archive: zipfile.ZipFile) -> dict[str, str]:
    """Map sheet titles to their XML members, without an XML parser (cheap pre-scan)."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {}
    for tag in _REL_TAG.findall(rels):
        attributes = _attributes(tag)
        if "Id" in attributes and "Target" in attributes:
            targets[attributes["Id"]] = attributes["Target"]
    found = {}
    for tag in _SHEET_TAG.findall(workbook):
        attributes = _attributes(tag)
        target = targets.get(attributes.get("id", ""), "")
        if "name" not in attributes or not target:
            continue
        member = target.lstrip("/") if target.startswith("/") else "xl/" + target
        found[_unescape(attributes["name"])] = member
    return found


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def _megabytes(size: int) -> str:
    """Bytes as MB (MiB, as PLANNER_MAX_UNCOMPRESSED_MB counts them), precise enough for small
    limits."""
    return f"{size / (1024 * 1024):,.2f}".rstrip("0").rstrip(".") + " MB"


def _describe(exc: BaseException) -> str:
    """The first line of an error, with what kind of error it is when the text alone says too
    little (calamine's XmlError for a cut-off part is just the tag name, e.g. 't')."""
    text = str(exc).strip().splitlines()
    first = text[0][:200] if text else ""
    if isinstance(exc, python_calamine.XmlError):
        detail = f": {first}" if first else ""
        return f"broken XML{detail}; open the file in Excel or LibreOffice and save it again"
    return first or type(exc).__name__
