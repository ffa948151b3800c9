"""Reading foreign tables (CSV files and workbook tabs) the same way, for the importers.

Files from other tools arrive as CSV written by PowerShell, Excel or a web export: `;` or
`,` separated, UTF-8 with or without a BOM, UTF-16 or Windows-1252, sometimes behind a
`#TYPE` line. `read_csv` and `sheet_table` turn either into a `Table` whose positions read
as `FILE:SHEET!CELL` for a workbook tab and `FILE:ROW (column C)` for a CSV file, and
`Collector` parses cells into canonical fields while collecting every problem.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inventories import values
from inventories.schema import SHEETS, Column, Kind, normalise_header
from inventories.workbook import Limits, Workbook, csv_where, where
from exports.errors import ImportFailed, PlannerError

#: Canonical columns per item kind, by canonical name (from the template's schema).
FIELDS: dict[Kind, dict[str, Column]] = {
    sheet.kind: {column.name: column for column in sheet.columns}
    for sheet in SHEETS
    if sheet.kind is not None
}


@dataclass
class Table:
    """One tab of a foreign file: its header and its non-blank rows, with row numbers."""

    label: str  # the file as named in messages
    sheet: str  # the tab (for CSV: the file stem)
    header: list[str]
    header_row: int
    rows: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)  # normalised header -> 0-based column
    csv: bool = False  # a CSV file: positions are FILE:ROW

    def __post_init__(self) -> None:
        for number, name in enumerate(self.header):
            key = normalise_header(name)
            if key:
                self.index.setdefault(key, number)

    def column(self, *names: str) -> int | None:
        """The first of `names` (any spelling the schema's folding accepts) that the header has."""
        for name in names:
            found = self.index.get(normalise_header(name))
            if found is not None:
                return found
        return None

    def has(self, *names: str) -> bool:
        return all(normalise_header(name) in self.index for name in names)

    def where(self, row: int, column: int | None) -> str:
        """`FILE:SHEET!CELL`, or `FILE:ROW (column C)` for a CSV file (0-based `column`)."""
        if self.csv:
            return csv_where(self.label, row, None if column is None else column + 1)
        return where(self.label, self.sheet, row, (column or 0) + 1)

    @staticmethod
    def cell(cells: tuple[Any, ...], column: int | None) -> Any:
        """The cell's value, or None when the column is absent or the cell blank."""
        if column is None or column >= len(cells):
            return None
        value = cells[column]
        return None if values.is_blank(value) else value


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 (BOM, or PowerShell's NUL-interleaved text), else Windows-1252.

    A closed list on purpose: these are what Excel, PowerShell and web exports write in
    Scandinavia, and a statistical detector guesses Windows-1250 or Mac Roman for short
    Danish text. `[format] encoding` in a mapping file overrides the choice.
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    head = data[:4096]
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4 and head[0::2].count(0) == 0:
        return "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4 and head[1::2].count(0) == 0:
        return "utf-16-be"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and len(data) > 3:  # a multi-byte letter cut at the end
            return "utf-8"
        return "cp1252"


def decode(data: bytes, encoding: str | None = None) -> str:
    """The file's text in its detected (or given) encoding."""
    encoding = encoding or detect_encoding(data)
    return data.decode(encoding, errors="replace")


def sniff_delimiter(line: str) -> str:
    """`;`, `,` or tab: whichever occurs most outside quotes in the header line."""
    counts = _counts(line)
    best = max(counts, key=lambda key: counts[key])
    return best if counts[best] else ","


def _counts(line: str) -> dict[str, int]:
    counts = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return counts


def sniff_lines(lines: list[str]) -> str:
    """The delimiter that splits most of the first lines into the same number of fields.

    Looking at several lines, not only the first, is what reads a file whose first line is
    a title ("Serveroversigt;;;") or whose header has a comma inside a name.
    """
    sample = [line for line in lines[:50] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in (";", ",", "\t"):
        counts = [_counts(line)[delimiter] for line in sample]
        positive = [count for count in counts if count]
        if not positive:
            continue
        common = max(set(positive), key=positive.count)
        score = (positive.count(common), common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def csv_rows(
    path: str | Path,
    label: str,
    limits: Limits | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> tuple[str, list[tuple[int, tuple[Any, ...]]]]:
    """Every row of a CSV file with its line number (blank cells None, blank rows left out).

    Handles a BOM, UTF-16, Windows-1252, Excel's `sep=;` first line and PowerShell's
    `#TYPE` line; the delimiter is sniffed from the first lines unless given.
    """
    path = Path(path)
    limits = limits or Limits.from_env()
    title = sheet or path.stem
    text = _text_of(path, label, limits, encoding)
    lines = text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines):
        line = lines[skipped].strip()
        if line.lower().startswith("sep=") and len(line) <= 6:
            delimiter = delimiter or (line[4:5] or ",")  # Excel's "sep=;" line names the delimiter
        elif not (line.upper().startswith("#TYPE") or not line):
            break
        skipped += 1
    delimiter = delimiter or sniff_lines(lines[skipped:])
    reader = csv.reader(io.StringIO("".join(lines[skipped:])), delimiter=delimiter)
    rows: list[tuple[int, tuple[Any, ...]]] = []
    cells = 0
    start = skipped + 1
    try:
        for row in reader:
            number, start = start, skipped + reader.line_num + 1
            cells += len(row)
            if cells > limits.max_cells:
                raise PlannerError(
                    f"{csv_where(label, number)}: the file has more than "
                    f"{limits.max_cells:,} cells (limit PLANNER_MAX_CELLS); "
                    "split it or raise the limit"
                )
            if any(cell.strip() for cell in row):
                rows.append((number, tuple(cell if cell.strip() else None for cell in row)))
    except csv.Error as exc:
        raise PlannerError(f"{csv_where(label, start)}: not readable as CSV ({exc})") from exc
    return title, rows


def _text_of(path: Path, label: str, limits: Limits, encoding: str | None) -> str:
    if not path.is_file():
        raise PlannerError(f"{label}: no such file")
    size = path.stat().st_size
    if size > limits.max_uncompressed_bytes:
        raise PlannerError(
            f"{label}: the file is {size / 1048576:,.0f} MB, more than the limit of "
            f"{limits.max_uncompressed_bytes / 1048576:,.0f} MB "
            "(PLANNER_MAX_UNCOMPRESSED_MB)"
        )
    data = path.read_bytes()
    try:
        text = decode(data, encoding)
    except LookupError:
        raise PlannerError(f"{label}: unknown encoding {encoding!r}") from None
    if "\x00" in text[:4096]:
        raise PlannerError(f"{label}: not a CSV text file (it contains binary data)")
    if encoding is None and data[:2] in (b"PK", b"\xd0\xcf"):
        raise PlannerError(
            f"{label}: a workbook, not a CSV text file; give it its .xlsx, .ods or .xls name"
        )
    return text


def read_csv(
    path: str | Path,
    label: str | None = None,
    limits: Limits | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> Table:
    """Read a whole CSV file into a `Table` (the header is its first non-blank row)."""
    path = Path(path)
    label = label or str(path)
    title, rows = csv_rows(path, label, limits, encoding=encoding, delimiter=delimiter, sheet=sheet)
    if not rows:
        return Table(label, title, [], 1, csv=True)
    number, header = rows[0]
    names = ["" if cell is None else cell.strip() for cell in header]
    table = Table(label, title, names, number, csv=True)
    table.rows = rows[1:]
    return table


def sheet_table(book: Workbook, title: str) -> Table:
    """One workbook tab as a `Table` (the header is its first non-blank row)."""
    table: Table | None = None
    for number, cells in book.rows(title):
        if table is None:
            if any(not values.is_blank(cell) for cell in cells):
                table = Table(
                    book.label, title, ["" if c is None else str(c).strip() for c in cells], number
                )
            continue
        if any(cell is not None and not values.is_blank(cell) for cell in cells):
            table.rows.append((number, cells))
    return table or Table(book.label, title, [], 1)


class Collector:
    """Problems and warnings of one import, and cell parsing into canonical fields."""

    def __init__(self, max_text: int = 10_000) -> None:
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.max_text = max_text

    def error(self, table: Table, row: int, column: int | None, message: str) -> None:
        self.problems.append(f"{table.where(row, column)}: {message}")

    def warn(self, table: Table, row: int, column: int | None, message: str) -> None:
        self.warnings.append(f"{table.where(row, column)}: {message}")

    def put(
        self,
        fields: dict[str, Any],
        kind: Kind,
        name: str,
        raw: Any,
        table: Table,
        row: int,
        column: int | None,
    ) -> None:
        """Parse `raw` as the canonical field `name` of `kind` into `fields` (blank: nothing).

        Numbers that do not parse are errors (all-or-nothing, as in the template); enum
        values from other tools' free text are warnings and left blank, since those tools
        do not offer our choices.
        """
        if raw is None or values.is_blank(raw):
            return
        spec = FIELDS[kind][name]
        try:
            fields[name] = values.parse(raw, spec, self.max_text)
        except values.BadValue as exc:
            if spec.type == "enum":
                self.warn(table, row, column, f"{exc}; left blank")
            else:
                self.error(table, row, column, str(exc))

    def text(self, raw: Any, table: Table, row: int, column: int | None, what: str) -> str | None:
        """A cell as clean text (names, free text), or None when blank or invalid."""
        if raw is None or values.is_blank(raw):
            return None
        try:
            return values.text(raw, Column(what, ""), self.max_text)
        except values.BadValue as exc:
            self.error(table, row, column, str(exc))
            return None

    def number(
        self, raw: Any, table: Table, row: int, column: int | None, what: str
    ) -> float | None:
        """A cell as a non-negative number (e.g. MiB before conversion), or None."""
        if raw is None or values.is_blank(raw):
            return None
        try:
            return float(values.number(raw, Column(what, ""), whole=False))
        except values.BadValue as exc:
            self.error(table, row, column, str(exc))
            return None

    def finish(self) -> None:
        """Raise `ImportFailed` with every problem, if there are any."""
        if self.problems:
            raise ImportFailed(self.problems)


def missing_columns(table: Table, wanted: Iterable[str]) -> list[str]:
    """The headers of `wanted` (alternatives joined by '|') that the table does not have."""
    absent = []
    for spec in wanted:
        options = spec.split("|")
        if table.column(*options) is None:
            absent.append(options[0])
    return absent
