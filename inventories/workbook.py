"""Opening untrusted workbooks safely.

A spreadsheet from another organisation is untrusted input: it may be a zip bomb, carry
an XML entity bomb, hold millions of cells or not be a workbook at all. Everything here
turns such files into one clear `PlannerError` sentence before openpyxl sees them, and
reads with defusedxml active and formulas never evaluated.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import defusedxml

defusedxml.defuse_stdlib()  # openpyxl parses with the stdlib; make entity expansion fail.

import openpyxl  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402

from planner.errors import PlannerError  # noqa: E402


@dataclass(frozen=True)
class Limits:
    """Limits for untrusted workbooks; override with PLANNER_MAX_* environment variables."""

    max_uncompressed_bytes: int = 256 * 1024 * 1024
    max_cells: int = 2_000_000
    max_ratio: int = 200  # uncompressed / compressed of one member: zip-bomb signature
    max_text: int = 10_000

    @classmethod
    def from_env(cls) -> Limits:
        def get(name: str, default: int) -> int:
            value = os.environ.get(name)
            return int(value) if value and value.isdigit() else default

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
    """The `FILE:SHEET!CELL` prefix of every message that points into a spreadsheet."""
    return f"{file}:{sheet}!{cell_ref(row, column)}"


@dataclass
class Workbook:
    """A read-only workbook, its display name, and which sheets contain formulas."""

    path: Path
    label: str
    book: Any
    formula_sheets: frozenset[str]
    hidden_sheets: frozenset[str]
    limits: Limits

    def rows(self, title: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, values) for every row of a sheet, counting cells against the limit."""
        sheet = self.book[title]
        cells = 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells += len(values)
            if cells > self.limits.max_cells:
                raise PlannerError(
                    f"{self.label}:{title}!A1: the sheet has more than {self.limits.max_cells:,} cells "
                    "(limit PLANNER_MAX_CELLS); split the file or raise the limit"
                )
            yield number, values

    def formulas(self, title: str) -> list[str]:
        """Cell names holding formulas (read separately: values come from the cached results)."""
        if title not in self.formula_sheets:
            return []
        book = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        try:
            found = []
            for row in book[title].iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        found.append(cell.coordinate)
            return found
        finally:
            book.close()

    def close(self) -> None:
        self.book.close()


def open_workbook(path: str | Path, label: str | None = None, limits: Limits | None = None) -> Workbook:
    """Open an .xlsx file after checking it is a sane, size-limited zip of a workbook."""
    path = Path(path)
    label = label or str(path)
    limits = limits or Limits.from_env()
    if not path.exists():
        raise PlannerError(f"{label}: no such file")
    if path.is_dir():
        raise PlannerError(f"{label}: is a folder, not a workbook")
    if path.stat().st_size == 0:
        raise PlannerError(f"{label}: the file is empty")
    if not zipfile.is_zipfile(path):
        raise PlannerError(f"{label}: not an .xlsx workbook (expected an Excel 2007+ file, which is a zip)")
    formula_sheets: set[str] = set()
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(member.file_size for member in members)
            if total > limits.max_uncompressed_bytes:
                raise PlannerError(
                    f"{label}: the workbook unpacks to {total / 1e6:,.0f} MB, more than the limit of "
                    f"{limits.max_uncompressed_bytes / 1e6:,.0f} MB (PLANNER_MAX_UNCOMPRESSED_MB)"
                )
            for member in members:
                if member.compress_size and member.file_size / member.compress_size > limits.max_ratio \
                        and member.file_size > 10 * 1024 * 1024:
                    raise PlannerError(
                        f"{label}: {member.filename} is compressed {member.file_size // member.compress_size}:1, "
                        "which looks like a zip bomb; refusing to open it"
                    )
            names = {member.filename for member in members}
            if "xl/workbook.xml" not in names:
                raise PlannerError(f"{label}: not an .xlsx workbook (no xl/workbook.xml inside)")
            sheet_titles = _sheet_files(archive)
            for title, member in sheet_titles.items():
                if member in names and _has_formula(archive, member):
                    formula_sheets.add(title)
    except zipfile.BadZipFile as exc:
        raise PlannerError(f"{label}: the workbook is corrupt ({exc})") from exc
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except PlannerError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on broken files
        raise PlannerError(f"{label}: cannot read the workbook ({_describe(exc)})") from exc
    hidden = frozenset(ws.title for ws in book.worksheets if getattr(ws, "sheet_state", "visible") != "visible")
    return Workbook(path, label, book, frozenset(formula_sheets), hidden, limits)


_SHEET_RE = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', re.S)
_REL_RE = re.compile(rb'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"', re.S)


def _sheet_files(archive: zipfile.ZipFile) -> dict[str, str]:
    """Map sheet titles to their XML members, without an XML parser (cheap pre-scan)."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return {}
    targets = {rid.decode(): target.decode() for rid, target in _REL_RE.findall(rels)}
    found = {}
    for name, rid in _SHEET_RE.findall(workbook):
        target = targets.get(rid.decode(), "")
        member = target.lstrip("/") if target.startswith("/") else "xl/" + target
        found[_unescape(name.decode("utf-8", "replace"))] = member
    return found


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _has_formula(archive: zipfile.ZipFile, member: str) -> bool:
    with archive.open(member) as handle:
        tail = b""
        while chunk := handle.read(1 << 20):
            block = tail + chunk
            if b"<f>" in block or b"<f " in block or b"<x:f" in block:
                return True
            tail = block[-8:]
    return False


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
