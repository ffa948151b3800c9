"""Formula and error cells of a legacy .xls workbook (BIFF8), read from its records, never
evaluated.

python-calamine reads an .xls file's cached values but does not say which cells hold
formulas, and a total row ("=SUM(C5:C40)") must never become an item. So the `Workbook`
stream of the OLE container (opened with olefile) is walked record by record: BOUNDSHEET
records name the sheets and where they start, FORMULA records give each formula cell, and
the last token of a formula's parsed expression (reverse Polish, so the outermost
operation) tells `SUM(…)`, `SUBTOTAL(…)` and `SUMIF(…)` apart from any other formula;
BOOLERR records and formula results give the cells showing an error (#N/A), which
calamine reads as blank.
Shared formulas (one SHRFMLA record for a block of cells) count for every cell of the
block. Only what the scan needs is decoded; anything it does not understand is an
ordinary formula, never an error (calamine has the last word on whether the file reads).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

_BOF, _EOF, _BOUNDSHEET, _FORMULA, _SHRFMLA, _FILEPASS = (
    0x0809,
    0x000A,
    0x0085,
    0x0006,
    0x04BC,
    0x002F,
)
_BOOLERR = 0x0205
#: Error codes of BOOLERR records and of formulas whose result is an error.
ERRORS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}
_BIFF8 = 0x0600
#: Function numbers (Ftab) of the functions that make a total row.
_TOTALS = {4: "SUM", 344: "SUBTOTAL", 345: "SUMIF"}
#: Bytes after the token byte, by base token (the class bits 0x60 removed for 0x20-0x7F).
_SIZES = {
    0x01: 4,
    0x02: 4,
    0x15: 0,
    0x16: 0,
    0x1C: 1,
    0x1D: 1,
    0x1E: 2,
    0x1F: 8,
    0x20: 7,
    0x21: 2,
    0x22: 3,
    0x23: 4,
    0x24: 4,
    0x25: 8,
    0x26: 6,
    0x27: 6,
    0x28: 6,
    0x29: 2,
    0x2A: 4,
    0x2B: 8,
    0x2C: 4,
    0x2D: 8,
    0x39: 6,
    0x3A: 6,
    0x3B: 10,
    0x3C: 6,
    0x3D: 10,
    **{operator: 0 for operator in range(0x03, 0x15)},
}
#: The text a formula cell gets when it is not a total: enough to say "a formula is here".
OTHER = "(formula)"

Cell = tuple[int, int]  # 1-based (row, column)


def records(stream: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(offset, record type, body) of every record, until the stream ends or is cut short."""
    position, end = 0, len(stream)
    while position + 4 <= end:
        kind, size = struct.unpack_from("<HH", stream, position)
        yield position, kind, stream[position + 4 : position + 4 + size]
        position += 4 + size


def formula_cells(stream: bytes) -> dict[str, tuple[dict[Cell, str], dict[Cell, str]]]:
    """Sheet name -> ({(row, column): "SUM(…)", "SUBTOTAL(…)", "SUMIF(…)" or OTHER},
    {(row, column): the error it shows, '#N/A', '#REF!', …}), from its FORMULA and BOOLERR records.

    Empty for anything but BIFF8 (Excel 97-2003), and for an encrypted stream (FILEPASS),
    whose formulas cannot be read without the password.
    """
    starts: dict[int, str] = {}
    for position, kind, body in records(stream):
        if position == 0 and (
            kind != _BOF or len(body) < 2 or struct.unpack_from("<H", body)[0] != _BIFF8
        ):
            return {}
        if kind == _FILEPASS:
            return {}
        if (
            kind == _BOUNDSHEET and len(body) >= 8 and body[5] == 0
        ):  # a worksheet, not a chart or macro sheet
            starts[struct.unpack_from("<I", body)[0]] = _short_string(body[6:])
        if kind == _EOF:
            break
    return {name: _sheet_formulas(stream, start) for start, name in starts.items()}


def _sheet_formulas(stream: bytes, start: int) -> tuple[dict[Cell, str], dict[Cell, str]]:
    """The formula cells and the error cells of the sheet whose BOF record is at `start`."""
    cells: dict[Cell, str] = {}
    errors: dict[Cell, str] = {}
    anchors: dict[Cell, Cell] = {}  # a cell of a shared formula -> the block's first cell
    shared: dict[Cell, str] = {}
    for _, kind, body in records(stream[start:]):
        if kind == _EOF:
            break
        if kind == _FORMULA and len(body) >= 22:
            row, column = struct.unpack_from("<HH", body)
            expression = body[22 : 22 + struct.unpack_from("<H", body, 20)[0]]
            cell = (row + 1, column + 1)
            if (
                body[12:14] == b"\xff\xff" and body[6] == 2
            ):  # a result that is not a number: an error
                errors[cell] = ERRORS.get(body[8], "#N/A")
            if expression[:1] == b"\x01" and len(expression) >= 5:  # tExp: part of a shared formula
                first_row, first_column = struct.unpack_from("<HH", expression, 1)
                anchors[cell] = (first_row + 1, first_column + 1)
            cells[cell] = outermost(expression)
        elif (
            kind == _BOOLERR and len(body) >= 8 and body[7] == 1
        ):  # fError: an error, not TRUE/FALSE
            row, column = struct.unpack_from("<HH", body)
            errors[(row + 1, column + 1)] = ERRORS.get(body[6], "#N/A")
        elif kind == _SHRFMLA and len(body) >= 10:
            first_row, _, first_column = struct.unpack_from("<HHB", body)
            size = struct.unpack_from("<H", body, 8)[0]
            shared[(first_row + 1, first_column + 1)] = outermost(body[10 : 10 + size])
    for cell, anchor in anchors.items():
        cells[cell] = shared.get(anchor, OTHER)
    return cells, errors


def outermost(expression: bytes) -> str:
    """`SUM(…)` (or SUBTOTAL, SUMIF) when the formula's last operation is that function, else
    OTHER."""
    last = OTHER
    position = 0
    while position < len(expression):
        token = expression[position]
        base = token if token < 0x20 else (token & 0x1F) | 0x20
        if base == 0x19:  # tAttr: SUM of one argument, spaces, IF/CHOOSE jumps
            if position + 4 > len(expression):
                return OTHER
            flags, count = (
                expression[position + 1],
                struct.unpack_from("<H", expression, position + 2)[0],
            )
            if flags & 0x10:
                last = "SUM(…)"
            position += 4 + (2 * (count + 1) if flags & 0x04 else 0)
            continue
        if base == 0x17:  # tStr: a length, a flag, then the characters
            if position + 3 > len(expression):
                return OTHER
            length, wide = expression[position + 1], expression[position + 2] & 0x01
            position += 3 + length * (2 if wide else 1)
            last = OTHER
            continue
        size = _SIZES.get(base)
        if size is None or position + 1 + size > len(expression):
            return OTHER  # a token this scan does not know: an ordinary formula
        if base in (0x21, 0x22):  # tFunc (fixed arguments), tFuncVar (argument count first)
            number = struct.unpack_from("<H", expression, position + 1 + (base == 0x22))[0] & 0x7FFF
            last = f"{_TOTALS[number]}(…)" if number in _TOTALS else OTHER
        else:
            last = OTHER
        position += 1 + size
    return last


def _short_string(data: bytes) -> str:
    """A ShortXLUnicodeString: a character count, a flag (bit 0: two bytes a character), the
    text."""
    if len(data) < 2:
        return ""
    count, wide = data[0], data[1] & 0x01
    text = data[2 : 2 + count * (2 if wide else 1)]
    return text.decode("utf-16-le" if wide else "latin-1", errors="replace")
