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
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import defusedxml

import warnings  # noqa: E402

with warnings.catch_warnings():
    # Deprecated as a general remedy, but exactly right here: openpyxl's read-only
    # reader calls the stdlib's iterparse, which defusedxml does not wrap otherwise.
    warnings.simplefilter("ignore", DeprecationWarning)
    defusedxml.defuse_stdlib()

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

    cells: int = 0  # cells read so far, across all sheets: the limit is per workbook

    def rows(self, title: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number, values) for every row of a sheet, counting cells against the limit."""
        sheet = self.book[title]
        number = 0
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                self.cells += len(values)
                if self.cells > self.limits.max_cells:
                    raise PlannerError(
                        f"{self.label}:{title}!A{number}: the workbook has more than {self.limits.max_cells:,} "
                        "cells (limit PLANNER_MAX_CELLS); split the file or raise the limit"
                    )
                yield number, values
        except PlannerError:
            raise
        except Exception as exc:  # openpyxl reads lazily: a broken sheet fails only here
            raise PlannerError(
                f"{self.label}:{title}!A{number + 1}: cannot read the sheet ({_describe(exc)})") from exc

    def formulas(self, title: str) -> list[str]:
        """Cell names holding formulas (read separately: values come from the cached results)."""
        if title not in self.formula_sheets:
            return []
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=False)
        except Exception as exc:
            raise PlannerError(f"{self.label}: cannot read the workbook ({_describe(exc)})") from exc
        try:
            found = []
            for row in book[title].iter_rows():
                for cell in row:
                    if getattr(cell, "data_type", None) == "f":
                        found.append(cell.coordinate)
            return found
        except Exception as exc:
            raise PlannerError(f"{self.label}:{title}!A1: cannot read the sheet ({_describe(exc)})") from exc
        finally:
            book.close()

    def close(self) -> None:
        self.book.close()


_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # Excel's encrypted .xlsx and legacy .xls containers


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
    with path.open("rb") as handle:
        if handle.read(8) == _OLE_MAGIC:
            raise PlannerError(f"{label}: a password-protected workbook or an old .xls file; save it as .xlsx "
                               "without a password")
    if not zipfile.is_zipfile(path):
        raise PlannerError(f"{label}: not an .xlsx workbook (expected an Excel 2007+ file, which is a zip)")
    formula_sheets: set[str] = set()
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            total = sum(member.file_size for member in members)
            if total > limits.max_uncompressed_bytes:
                raise PlannerError(
                    f"{label}: the workbook unpacks to {_megabytes(total)}, more than the limit of "
                    f"{_megabytes(limits.max_uncompressed_bytes)} (PLANNER_MAX_UNCOMPRESSED_MB)"
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
            for title, sheet_file in sheet_titles.items():
                if sheet_file in names and _has_formula(archive, sheet_file):
                    formula_sheets.add(title)
            bad = archive.testzip()  # every member's CRC (sizes are already limited above)
            if bad is not None:
                raise PlannerError(f"{label}: the workbook is corrupt ({bad} fails its checksum)")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError) as exc:
        raise PlannerError(f"{label}: the workbook is corrupt ({_describe(exc)})") from exc
    except RuntimeError as exc:  # zipfile: a member flagged as encrypted (after NotImplementedError)
        raise PlannerError(f"{label}: the workbook is password-protected or corrupt ({_describe(exc)}); "
                           "save it without a password") from exc
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except PlannerError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on broken files
        raise PlannerError(f"{label}: cannot read the workbook ({_describe(exc)})") from exc
    hidden = frozenset(ws.title for ws in book.worksheets if getattr(ws, "sheet_state", "visible") != "visible")
    return Workbook(path, label, book, frozenset(formula_sheets), hidden, limits)


# Tags are matched whole and their attributes read separately: producers write attributes
# in different orders (openpyxl writes Target before Id, Excel the other way round).
_SHEET_TAG = re.compile(rb'<(?:\w+:)?sheet\b([^>]*)>', re.S)
_REL_TAG = re.compile(rb'<(?:\w+:)?Relationship\b([^>]*)>', re.S)
_ATTR = re.compile(rb'([\w:]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _attributes(text: bytes) -> dict[str, str]:
    """Attributes of one tag by local name (`r:id` -> `id`; the sheet's own `name`, `Id`)."""
    found: dict[str, str] = {}
    for key, double, single in _ATTR.findall(text):
        name = key.decode()
        found.setdefault(name.split(":")[-1] if ":" in name else name, (double or single).decode("utf-8", "replace"))
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


def _megabytes(size: int) -> str:
    """Bytes as MB (MiB, as PLANNER_MAX_UNCOMPRESSED_MB counts them), precise enough for small limits."""
    return f"{size / (1024 * 1024):,.2f}".rstrip("0").rstrip(".") + " MB"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
