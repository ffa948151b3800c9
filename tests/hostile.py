"""Hostile and broken inventory workbooks, and how an import of one must end.

Every mutation starts from a real, valid workbook written by `inventories.template.write_workbook`
and returns the bytes of a new file. `outcome()` imports a file the way `planner import`
does and classifies the result; anything but "imported" or "rejected" (with every problem
as `FILE:SHEET!CELL: message` or `FILE: message`) is a bug. Used by tests/test_fuzz.py
(hypothesis, a few hundred cases) and benchmarks/fuzz_import.py (thousands).
"""

from __future__ import annotations

import io
import random
import re
import signal
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy.engine import Engine

from inventories.template import write_workbook
from exports.errors import ImportFailed, PlannerError
from planner.importing import import_files
from planner.inventory import counts

#: Text that must survive every field: Danish/Swedish letters, emoji, other scripts, RTL.
UNICODE_SAMPLES = [
    "Æblegård Ø-skole Å",
    "Åsa Öberg Ärlig",
    "🚀 Server 🙂",
    "Ωmega 日本 ﬁ",
    "مرحبا",
    "ß Straße",
    "e\u0301 combining",
    "\u200bzero width",
    "a\u00a0nbsp",
    "tab\there",
]


def valid_rows() -> dict[str, list[list[Any]]]:
    """The small valid inventory of tests/conftest.py in template column order."""
    from tests.conftest import VALID, row

    return {sheet: [row(sheet, **values) for values in rows] for sheet, rows in VALID.items()}


def valid_workbook(
    folder: Path, rows: dict[str, list[list[Any]]] | None = None, name: str = "base.xlsx"
) -> bytes:
    path = write_workbook(folder / name, rows or valid_rows())
    data = path.read_bytes()
    path.unlink()
    return data


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def pack(contents: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def sheet_member(contents: dict[str, bytes], title: str) -> str:
    """The XML member of a sheet title (the template writes them in SHEETS order after
    Instructions)."""
    from inventories.workbook import _sheet_files

    buffer = io.BytesIO(pack(contents))
    with zipfile.ZipFile(buffer) as archive:
        return _sheet_files(archive)[title]


# ----------------------------------------------------------------------------- byte-level mutations


def random_bytes(rng: random.Random, data: bytes) -> bytes:
    """Overwrite 1-50 random bytes."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 50)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncated(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def pure_noise(rng: random.Random, data: bytes) -> bytes:
    return rng.randbytes(rng.choice([0, 1, 4, 100, 5000]))


def empty(rng: random.Random, data: bytes) -> bytes:
    return b""


def zip_of_noise(rng: random.Random, data: bytes) -> bytes:
    """A well-formed zip whose members are noise (so the XML parser sees garbage)."""
    return pack({name: rng.randbytes(rng.randint(0, 2000)) for name in members(data)})


def xml_noise(rng: random.Random, data: bytes) -> bytes:
    """Flip, delete or duplicate a few characters inside one XML member (a valid zip)."""
    contents = members(data)
    name = rng.choice(sorted(contents))
    text = bytearray(contents[name])
    for _ in range(rng.randint(1, 10)):
        if not text:
            break
        at = rng.randrange(len(text))
        action = rng.randrange(3)
        if action == 0:
            text[at] = rng.choice(b"<>&\"'/=ax0 \x00\xff")
        elif action == 1:
            del text[at : at + rng.randint(1, 40)]
        else:
            text[at:at] = text[at : at + rng.randint(1, 200)]
    contents[name] = bytes(text)
    return pack(contents)


def missing_member(rng: random.Random, data: bytes) -> bytes:
    contents = members(data)
    del contents[rng.choice(sorted(contents))]
    return pack(contents)


# ----------------------------------------------------------------------------- bombs

_BOMB_CACHE: dict[tuple[str, int], bytes] = {}


def zip_bomb(rng: random.Random, data: bytes, size: int = 1 << 30) -> bytes:
    """A worksheet member that inflates to `size` bytes (1 GB) of valid-looking XML rows,
    in a file of about a megabyte. Cached: deflating a gigabyte takes a few seconds."""
    contents = members(data)
    member = sheet_member(contents, "Servers")
    key = (member, size)
    if key not in _BOMB_CACHE:
        head = b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        chunk = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 20000
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, body in contents.items():
                if name != member:
                    archive.writestr(name, body)
            with archive.open(member, "w", force_zip64=True) as handle:
                handle.write(head)
                written = len(head)
                while written < size:
                    handle.write(chunk)
                    written += len(chunk)
                handle.write(b"</sheetData></worksheet>")
        _BOMB_CACHE[key] = buffer.getvalue()
    return _BOMB_CACHE[key]


def lying_zip_bomb(rng: random.Random, data: bytes) -> bytes:
    """A member that declares 1 KB in its headers but inflates to 64 MB: sizes cannot be trusted."""
    contents = members(data)
    member = sheet_member(contents, "Servers")
    body = b"<x>" + b"A" * (64 << 20) + b"</x>"
    contents[member] = body
    packed = bytearray(pack(contents))
    real = len(body).to_bytes(4, "little")
    fake = (1024).to_bytes(4, "little")
    packed = packed.replace(real, fake)  # local header and central directory uncompressed sizes
    return bytes(packed)


def many_members_bomb(rng: random.Random, data: bytes) -> bytes:
    """Many members just under the per-member ratio check that together unpack to 300 MB."""
    contents = members(data)
    for n in range(35):
        contents[f"xl/media/filler{n}.bin"] = b"\0" * (9 << 20)
    return pack(contents)


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
)


def billion_laughs(rng: random.Random, data: bytes) -> bytes:
    """Entity expansion in sharedStrings.xml or a worksheet (openpyxl's template uses inline
    strings, so a sharedStrings part is added when missing)."""
    contents = members(data)
    where = rng.choice(["sheet", "strings", "workbook", "external"])
    if where == "external":  # an external entity (XXE) pointing at a local file
        doctype = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY lol9 SYSTEM "file:///etc/passwd">]>'
    else:
        doctype = LAUGHS
    if where == "strings":
        contents["xl/sharedStrings.xml"] = doctype + (
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
            b'uniqueCount="1">'
            b"<si><t>&lol9;</t></si></sst>"
        )
        member = sheet_member(contents, "Servers")
        contents[member] = re.sub(
            rb'<c r="A2"[^>]*>.*?</c>',
            b'<c r="A2" t="s"><v>0</v></c>',
            contents[member],
            count=1,
            flags=re.S,
        )
    elif where == "workbook":
        contents["xl/workbook.xml"] = doctype + re.sub(
            rb"^<\?xml[^>]*\?>", b"", contents["xl/workbook.xml"]
        )
    else:
        member = sheet_member(contents, "Servers")
        body = re.sub(rb"^<\?xml[^>]*\?>", b"", contents[member])
        body = re.sub(rb"<t>SRV-[^<]*</t>", b"<t>&lol9;</t>", body, count=1)
        contents[member] = doctype + body
    return pack(contents)


# ------------------------------------------------------------------------- workbook-level mutations


def _edit(folder: Path, data: bytes, change: Callable[[openpyxl.Workbook], None]) -> bytes:
    path = folder / f"edit-{random.random()}.xlsx"
    path.write_bytes(data)
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)
    result = path.read_bytes()
    path.unlink()
    return result


def _data_cells(book: openpyxl.Workbook) -> list[Any]:
    return [
        cell
        for ws in book.worksheets
        if ws.title != "Instructions" and ws.title != "Lists"
        for row in ws.iter_rows(min_row=2)
        for cell in row
    ]


def cell_values(rng: random.Random, folder: Path, data: bytes) -> bytes:
    """Random hostile values in random data cells: long text, unicode, numbers and dates as
    text, negative/huge numbers, booleans, datetimes, formulas."""

    def change(book: openpyxl.Workbook) -> None:
        cells = _data_cells(book)
        for cell in rng.sample(cells, k=min(len(cells), rng.randint(1, 12))):
            cell.value = hostile_value(rng)

    return _edit(folder, data, change)


def hostile_value(rng: random.Random) -> Any:
    choices: list[Callable[[], Any]] = [
        lambda: rng.choice(UNICODE_SAMPLES),
        lambda: "x" * rng.choice([9_999, 10_000, 10_001, 32_767]),
        lambda: "Ø" * 10_000,
        lambda: rng.choice(
            ["16", " 16 ", "16,5", "1e308", "-3", "NaN", "inf", "0x10", "١٢", "16 GB", "½"]
        ),
        lambda: rng.choice(
            ["2027-01-01", "01-01-2027", "2027-02-30", "2027-01-01..2026-01-01", "i morgen"]
        ),
        lambda: rng.choice([-1, 0, 10**18, 1.5, float(2**63), 1e300, True, False]),
        lambda: datetime(2027, 1, rng.randint(1, 28), rng.randint(0, 23)),
        lambda: rng.choice(
            ["=1+1", '=HYPERLINK("http://x")', "=A1", "=SUM(A1:A9)", "+cmd|' /C calc'!A0"]
        ),
        lambda: rng.choice(["ja", "nej", "kritisk", "pædagogisk", "Ja ", "JA", "yes", "y", "1"]),
        lambda: rng.choice(["", " ", "\u00a0", "\n", "-"]),
        lambda: "".join(
            chr(
                rng.choice(
                    [
                        rng.randint(32, 0x2FF),
                        rng.randint(0x370, 0xD7FF),
                        rng.randint(0xE000, 0xFFFD),
                        rng.randint(0x1F300, 0x1FAFF),
                    ]
                )
            )
            for _ in range(rng.randint(1, 60))
        ),
    ]
    return rng.choice(choices)()


def control_characters(rng: random.Random, data: bytes) -> bytes:
    """Control characters straight into the XML (openpyxl refuses to write them): escaped
    as character references (&#1; is not even legal XML 1.0) or raw."""
    contents = members(data)
    member = sheet_member(contents, rng.choice(["Servers", "Applications", "Sites"]))
    char = rng.choice([1, 2, 7, 8, 11, 12, 27, 31, 127])
    insert = rng.choice([b"&#%d;" % char, bytes([char]), b"&#x%x;" % char, b"\xef\xbf\xbe"])
    contents[member] = re.sub(
        rb"<t>([^<]{2})", rb"<t>\1" + insert.replace(b"\\", b"\\\\"), contents[member], count=1
    )
    return pack(contents)


def structure(rng: random.Random, folder: Path, data: bytes) -> bytes:
    """Merged cells, hidden and very hidden sheets, duplicate or missing headers and sheets,
    renamed sheets, a sheet with its rows far down, blank rows in between."""

    def change(book: openpyxl.Workbook) -> None:
        sheets = [ws for ws in book.worksheets if ws.title not in ("Instructions", "Lists")]
        ws = rng.choice(sheets)
        action = rng.randrange(9)
        if action == 0 and ws.max_row >= 2 and ws.max_column >= 2:
            ws.merge_cells(
                start_row=rng.randint(1, ws.max_row),
                start_column=1,
                end_row=ws.max_row,
                end_column=rng.randint(2, ws.max_column),
            )
        elif action == 1:
            ws.sheet_state = rng.choice(["hidden", "veryHidden"])
        elif action == 2:
            ws.cell(1, ws.max_column + 1, ws.cell(1, 1).value)  # a duplicate header
        elif action == 3:
            ws.delete_cols(rng.randint(1, ws.max_column))
        elif action == 4:
            copy = book.copy_worksheet(ws)
            copy.title = ws.title.upper() + " "  # a second sheet of the same kind
        elif action == 5:
            ws.insert_rows(rng.randint(1, ws.max_row + 1), amount=rng.choice([1, 5, 1000]))
        elif action == 6:
            ws.title = rng.choice(["Servere", "Serverar", "ark1", "Blad 1", "Δ", "x" * 31])
        elif action == 7:
            book.remove(ws)
        else:
            ws.cell(rng.randint(1, 50), rng.randint(1, 16384), "far away")

    return _edit(folder, data, change)


def enormous_sheet(rng: random.Random, folder: Path, data: bytes, cells: int = 3_000) -> bytes:
    """More cells than the limit the test sets with PLANNER_MAX_CELLS (or wide rows)."""

    def change(book: openpyxl.Workbook) -> None:
        ws = book["Servers"]
        width = rng.choice([1, 20, 500])
        for r in range(cells // width + 2):
            ws.append([f"S{r}-{c}" for c in range(width)])

    return _edit(folder, data, change)


#: name -> (mutation, whether it needs a folder)
MUTATIONS: dict[str, tuple[Callable[..., bytes], bool]] = {
    "random bytes": (random_bytes, False),
    "truncated zip": (truncated, False),
    "noise file": (pure_noise, False),
    "empty file": (empty, False),
    "zip of noise": (zip_of_noise, False),
    "xml noise": (xml_noise, False),
    "missing member": (missing_member, False),
    "billion laughs / XXE": (billion_laughs, False),
    "control characters": (control_characters, False),
    "hostile cell values": (cell_values, True),
    "structure (merged, hidden, duplicate headers, …)": (structure, True),
    "enormous sheet": (enormous_sheet, True),
}
#: Slow, memory-hungry cases: run in a subprocess with an RSS check.
BOMBS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "zip bomb 1 GB": zip_bomb,
    "lying zip bomb": lying_zip_bomb,
    "many-member bomb": many_members_bomb,
}


def mutate(name: str, rng: random.Random, folder: Path, data: bytes) -> bytes:
    function, needs_folder = MUTATIONS[name]
    return function(rng, folder, data) if needs_folder else function(rng, data)


# ----------------------------------------------------------------------------- outcomes


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Raise Hang if the body runs longer than `seconds` (main thread only: SIGALRM)."""

    def fire(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def problem_shape(label: str) -> re.Pattern[str]:
    """`FILE:SHEET!CELL: message`, `FILE:ROW (column C): message` (CSV) or `FILE: message`, nothing
    else, one line each."""
    return re.compile(
        rf"^{re.escape(label)}(?::[^\n!]+![A-Z]{{1,3}}[1-9][0-9]*"
        rf"|:[1-9][0-9]*(?: \(column [A-Z]{{1,3}}\))?)?: \S[^\n]*$"
    )


def outcome(engine: Engine, path: Path, seconds: int = 60) -> tuple[str, str]:
    """Import `path` as `planner import` does; ("imported" | "rejected", detail) when it
    behaves, or ("crash" | "hang" | "bad message" | "partial write", detail) when it does not."""
    before = counts(engine)
    label = str(path)
    try:
        with time_limit(seconds):
            import_files(engine, [path])
    except Hang as exc:
        return "hang", str(exc)
    except ImportFailed as exc:
        shape = problem_shape(label)
        bad = [line for line in exc.problems if not shape.match(line)]
        if bad or not exc.problems:
            return "bad message", repr(bad[:3])
        if counts(engine) != before:
            return "partial write", exc.problems[0]
        return "rejected", exc.problems[0][len(label) :]
    except PlannerError as exc:
        return "bad message", f"PlannerError outside ImportFailed: {exc}"
    except Exception as exc:  # noqa: BLE001  (the point: nothing else may escape)
        import traceback

        return "crash", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    return "imported", ""


GOOD = {"imported", "rejected"}
