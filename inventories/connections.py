"""Network connection captures: Azure Migrate dependency exports and the generic CSV.

A capture can hold millions of rows (one per connection, time slot or firewall-log line),
but only thousands of distinct flows. So the reader streams the file row by row (the csv
module on the open file; a workbook tab through calamine) and folds each row into a flow
keyed by both endpoints, processes, applications, port and protocol, with an observation
count and the first and last time seen. Nothing here knows the inventory: matching the
endpoints to servers and networks needs the database and happens in `planner.connections`.
"""

from __future__ import annotations

import csv
import ipaddress
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from inventories.csvfile import detect_encoding, sniff_lines
from inventories.records import Inventory
from inventories.schema import normalise_header
from inventories.workbook import Limits, csv_where, open_workbook
from exports.errors import ImportFailed, PlannerError

AZURE_COLUMNS = (
    "Time slot",
    "Source server name",
    "Source IP",
    "Source application",
    "Source process",
    "Destination server name",
    "Destination IP",
    "Destination application",
    "Destination process",
    "Destination port",
)
#: Without these an Azure Migrate export cannot be read; the others may be absent.
AZURE_REQUIRED = (
    "Source server name",
    "Source IP",
    "Destination server name",
    "Destination IP",
    "Destination port",
)
GENERIC_REQUIRED = ("source", "destination", "port")
GENERIC_OPTIONAL = ("protocol", "process", "count", "first_seen", "last_seen")

EXPECTED = (
    "expected Azure Migrate's dependency export (" + ", ".join(AZURE_COLUMNS) + ") or the "
    "generic connections CSV (source, destination, port; optionally "
    + ", ".join(GENERIC_OPTIONAL)
    + ")"
)

MAX_PROBLEMS = 50  # bad rows listed before the rest are counted
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
_IPV4ISH = re.compile(r"^[0-9.]+$")
_IPV6ISH = re.compile(r"^[0-9a-fA-F:.]+$")
_SLOT_DATE = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?"
    r"|(\d{1,2})([./-])(\d{1,2})\7(\d{4})(?: (\d{1,2}):(\d{2}))?"
)

#: One flow: (source name, source IP, source application, source process, destination name,
#: destination IP, destination application, destination process, port, protocol).
FlowKey = tuple[str, str, str, str, str, str, str, str, int, str]


@dataclass
class Capture:
    """A file's connections folded into flows, plus what was set aside while reading."""

    label: str
    layout: str  # "azure-migrate" or "generic"
    rows: int = 0
    #: flow -> [count, first seen, last seen]
    flows: dict[FlowKey, list[Any]] = field(default_factory=dict)
    loopback: int = 0  # observations to or from the machine itself (127.0.0.1, ::1, localhost)
    undated: int = 0  # Azure rows whose time slot holds no date
    settings: Any = None  # the `[connections]` settings, attached by the planner before storing

    def add(self, key: FlowKey, count: int, first: datetime | None, last: datetime | None) -> None:
        flow = self.flows.get(key)
        if flow is None:
            self.flows[key] = [count, first, last]
            return
        flow[0] += count
        if first is not None and (flow[1] is None or first < flow[1]):
            flow[1] = first
        if last is not None and (flow[2] is None or last > flow[2]):
            flow[2] = last

    def merge(self, other: Capture) -> None:
        """Fold another file of the same municipality in (captures from several collectors)."""
        self.label = f"{self.label}, {other.label}"
        self.rows += other.rows
        self.loopback += other.loopback
        self.undated += other.undated
        for key, (count, first, last) in other.flows.items():
            self.add(key, count, first, last)


def layout_of(header: list[str]) -> str | None:
    """ "azure-migrate", "generic" or None, from a header row (folded like every header)."""
    folded = {normalise_header(name) for name in header if name}
    if all(normalise_header(name) in folded for name in AZURE_REQUIRED):
        return "azure-migrate"
    if all(normalise_header(name) in folded for name in GENERIC_REQUIRED):
        return "generic"
    return None


def sniff_csv(path: Path) -> str | None:
    """The layout of a CSV file from its first lines only (a capture may be gigabytes)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError:
        return None
    encoding = detect_encoding(head)
    text = head.decode(encoding, errors="replace")
    lines = _data_lines(text.splitlines()[:-1] or text.splitlines())
    if not lines:
        return None
    delimiter = sniff_lines(lines)
    header = next(csv.reader([lines[0]], delimiter=delimiter), [])
    return layout_of(header)


def _data_lines(lines: list[str]) -> list[str]:
    """Lines after Excel's `sep=;` and PowerShell's `#TYPE` preamble and blank lines."""
    start = 0
    while start < len(lines):
        line = lines[start].strip()
        if not (
            not line
            or line.upper().startswith("#TYPE")
            or (line.lower().startswith("sep=") and len(line) <= 6)
        ):
            break
        start += 1
    return lines[start:]


def read_connections(
    path: str | Path,
    *,
    municipality: str,
    label: str | None = None,
    mapping: Any = None,
    limits: Limits | None = None,
) -> Inventory:
    """Read a capture into an Inventory in "observed" mode that carries the `Capture`.

    Raises PlannerError (one sentence naming the expected headers) for an unknown layout,
    and ImportFailed with one `FILE:ROW: message` per bad port, IP, count or date.
    """
    path = Path(path)
    label = label or str(path)
    limits = limits or Limits.from_env()
    if not path.is_file():
        raise PlannerError(f"{label}: no such file")
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        capture = _read(label, _csv_rows(path, label, limits), lambda row: csv_where(label, row))
    else:
        capture = _read_workbook(path, label, limits)
    assert capture is not None  # a CSV file is a capture or an error
    inventory = Inventory(
        municipality=municipality,
        source=label,
        mode="observed",
        format="connections",
        capture=capture,
    )
    if mapping:
        inventory.warnings.append(f"{label}: --mapping is not used for connection captures")
    if capture.undated:
        inventory.warnings.append(
            f"{label}: {capture.undated:,} row(s) have a Time slot without a "
            "date; they count as observations without first/last seen"
        )
    return inventory


def _read_workbook(path: Path, label: str, limits: Limits) -> Capture:
    """The first tab whose header is a capture's; a workbook stays within PLANNER_MAX_CELLS."""
    book = open_workbook(path, label, limits)
    try:
        for title in book.sheetnames:
            capture = _read(
                label, _skip_blank(book.rows(title)), _cell_at(f"{label}:{title}!A"), required=False
            )
            if capture is not None:
                return capture
    finally:
        book.close()
    raise PlannerError(f"{label}: not a connection capture: no tab has the headers; {EXPECTED}")


def _cell_at(prefix: str) -> Callable[[int], str]:
    """`FILE:SHEET!A12` for row 12: a capture's problems point at the row's first cell."""
    return lambda row: f"{prefix}{row}"


def _skip_blank(rows: Iterator[tuple[int, tuple[Any, ...]]]) -> Iterator[tuple[int, list[str]]]:
    for number, cells in rows:
        if any(cell is not None and str(cell).strip() for cell in cells):
            yield number, ["" if cell is None else _text(cell) for cell in cells]


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def _csv_rows(path: Path, label: str, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row, read from the open file as it goes."""
    with path.open("rb") as handle:
        encoding = detect_encoding(handle.read(65536))
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(limits.max_text, 1))
    try:
        with path.open(encoding=encoding, errors="replace", newline="") as handle:
            head = [handle.readline() for _ in range(50)]
            preamble = len(head) - len(_data_lines(head))
            delimiter = sniff_lines(head[preamble:])
            handle.seek(0)
            for _ in range(preamble):
                handle.readline()
            reader = csv.reader(handle, delimiter=delimiter)
            try:
                for row in reader:
                    if any(row):
                        yield preamble + reader.line_num, row
            except csv.Error as exc:
                raise PlannerError(
                    f"{csv_where(label, preamble + reader.line_num + 1)}: not "
                    f"readable as CSV ({exc}; a cell may be longer than "
                    f"{limits.max_text:,} characters, PLANNER_MAX_TEXT)"
                ) from None
    finally:
        csv.field_size_limit(old_limit)


def _read(
    label: str,
    rows: Iterator[tuple[int, list[str]]],
    where: Callable[[int], str],
    required: bool = True,
) -> Capture | None:
    """Fold rows into flows; None when the first row is no capture header (workbook tabs)."""
    first = next(rows, None)
    if first is None:
        if required:
            raise PlannerError(f"{label}: the file is empty; {EXPECTED}")
        return None
    layout = layout_of(first[1])
    if layout is None:
        if required:
            shown = ", ".join(cell for cell in first[1][:12] if cell) or "none"
            raise PlannerError(
                f"{label}: not a connection capture: found headers {shown}; {EXPECTED}"
            )
        return None
    parser = _RowParser(label, layout, first[1], where)
    capture = Capture(label, layout)
    flows_limit = _flows_limit()
    for number, cells in rows:
        parsed = parser.parse(number, cells)
        capture.rows += 1
        if parsed is None:
            continue
        key, count, first_seen, last_seen = parsed
        if key is _LOOPBACK:
            capture.loopback += count
            continue
        capture.add(key, count, first_seen, last_seen)
        if len(capture.flows) > flows_limit:
            raise PlannerError(
                f"{where(number)}: more than {flows_limit:,} distinct flows "
                "(PLANNER_MAX_FLOWS); split the capture or raise the limit"
            )
    parser.finish()
    capture.undated = parser.undated
    return capture


def _flows_limit() -> int:
    try:
        return int(os.environ.get("PLANNER_MAX_FLOWS", "2000000"))
    except ValueError:
        raise PlannerError("PLANNER_MAX_FLOWS must be a whole number") from None


_LOOPBACK: Any = ("loopback",)


class _RowParser:
    """Turns one row into (flow key, count, first seen, last seen), collecting problems.

    Why a class: the column positions and the caches of values already validated live
    across a million rows; validating each distinct address, port and time once, and
    picking the cells with one `itemgetter`, is what keeps a million rows under a minute.
    """

    def __init__(
        self, label: str, layout: str, header: list[str], where: Callable[[int], str]
    ) -> None:
        self.label, self.layout, self.where = label, layout, where
        index: dict[str, int] = {}
        for number, name in enumerate(header):
            index.setdefault(normalise_header(name), number)
        names = AZURE_COLUMNS if layout == "azure-migrate" else GENERIC_REQUIRED + GENERIC_OPTIONAL
        self.width = len(header)
        # An absent column reads the blank cell appended after the last one.
        self.pick = itemgetter(*(index.get(normalise_header(name), self.width) for name in names))
        self.problems: list[str] = []
        self.bad_rows = 0
        self.undated = 0
        self._endpoints: dict[tuple[str, str, str], tuple[str, str, bool] | str] = {}
        self._times: dict[str, datetime | str | None] = {}
        self._numbers: dict[tuple[str, str], int | str] = {}
        self._keys: dict[tuple[str, ...], Any] = {}

    def problem(self, number: int, message: str) -> None:
        self.bad_rows += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{self.where(number)}: {message}")

    def finish(self) -> None:
        if self.bad_rows:
            more = self.bad_rows - len(self.problems)
            raise ImportFailed(
                self.problems
                + (
                    [f"{self.label}: … and {more:,} more bad row(s); nothing was imported"]
                    if more > 0
                    else []
                )
            )

    def parse(self, number: int, cells: list[str]) -> tuple[Any, int, Any, Any] | None:
        """The row's flow. The endpoint, process and port cells repeat across rows, so their
        raw text maps to the validated flow key (or its problems) once, in `_keys`."""
        if len(cells) != self.width:
            cells = (cells + [""] * self.width)[: self.width]
        cells.append("")  # what an absent column reads
        picked = self.pick(cells)
        azure = self.layout == "azure-migrate"
        raw = picked[1:] if azure else picked[:5]
        key = self._keys.get(raw)
        if key is None:
            if len(self._keys) > 1_000_000:  # a capture of mostly distinct rows: bound the cache
                self._keys.clear()
            stripped = tuple(cell.strip() for cell in raw)
            key = self._keys[raw] = self._azure(stripped) if azure else self._generic(stripped)
        if isinstance(key, list):
            for message in key:
                self.problem(number, message)
        first: Any
        last: Any
        if azure:
            count, first = 1, self.slot(picked[0].strip())
            last = first
        else:
            count_text = picked[5].strip()
            counted = self.number(number, "count", count_text) if count_text else 1
            first = self.time(number, "first_seen", picked[6].strip())
            last = self.time(number, "last_seen", picked[7].strip())
            if counted is None or first == "bad" or last == "bad":
                return None
            count, first, last = counted, first or last, last or first
        if isinstance(key, list):
            return None
        if key is _LOOPBACK:
            return _LOOPBACK, count, None, None
        return key, count, first, last

    def _azure(self, cells: tuple[str, ...]) -> Any:
        """The flow key, _LOOPBACK, or the list of the row's problems."""
        s_name, s_ip, s_app, s_proc, d_name, d_ip, d_app, d_proc, port_text = cells
        source = self._end("source", s_name, s_ip)
        target = self._end("destination", d_name, d_ip)
        port = _whole(port_text, "port")
        refused = _refused(source, target, port)
        if refused is not None:
            return refused
        assert not isinstance(source, str) and not isinstance(target, str)
        return (
            source[0],
            source[1],
            s_app.casefold(),
            _process(s_proc),
            target[0],
            target[1],
            d_app.casefold(),
            _process(d_proc),
            port,
            "tcp",
        )

    def _generic(self, cells: tuple[str, ...]) -> Any:
        """The flow key, _LOOPBACK, or the list of the row's problems."""
        src, dst, port_text, protocol, process = cells
        source = self._end("source", *_name_or_ip(src))
        target = self._end("destination", *_name_or_ip(dst))
        port = _whole(port_text, "port")
        refused = _refused(source, target, port)
        if refused is not None:
            return refused
        assert not isinstance(source, str) and not isinstance(target, str)
        return (
            source[0],
            source[1],
            "",
            "",
            target[0],
            target[1],
            "",
            _process(process),
            port,
            protocol.casefold() or "tcp",
        )

    def _end(self, side: str, name: str, ip: str) -> tuple[str, str, bool] | str:
        """(folded name, canonical IP, loopback?) of one end, or the problem's message."""
        cached = self._endpoints.get((side, name, ip))
        if cached is None:
            cached = self._endpoints[(side, name, ip)] = _endpoint(side, name, ip)
        return cached

    def number(self, number: int, column: str, text: str) -> int | None:
        """A port (1-65535) or a count (1 or more); None after reporting the problem."""
        value = self._numbers.get((column, text))
        if value is None:
            value = _whole(text, column)
            self._numbers[(column, text)] = value
        if isinstance(value, str):
            self.problem(number, value)
            return None
        return value

    def time(self, number: int, column: str, text: str) -> datetime | str | None:
        """A date or date-time (ISO 8601); "bad" after reporting the problem."""
        if not text:
            return None
        value = self._times.get(text)
        if value is None:
            if len(self._times) > 200_000:  # every row its own second: bound the cache
                self._times.clear()
            value = _iso(text) or "bad"
            self._times[text] = value
        if value == "bad":
            self.problem(number, f"{column} must be an ISO 8601 date or date-time, got {text!r}")
        return value

    def slot(self, text: str) -> datetime | None:
        """The start of an Azure Migrate time slot; its text varies with the portal's locale."""
        value = self._times.get(text)
        if value is None:
            if len(self._times) > 200_000:
                self._times.clear()
            value = _slot(text) or "none"
            self._times[text] = value
        if value == "none":
            self.undated += 1
            return None
        return value  # type: ignore[return-value]


def _refused(source: Any, target: Any, port: int | str) -> Any:
    """The row's problems (the ends' and port's messages), _LOOPBACK when an end is the
    machine itself, or None when the row is a flow (both layouts check it the same way)."""
    problems = [value for value in (source, target, port) if isinstance(value, str)]
    if problems:
        return problems
    if source[2] or target[2]:
        return _LOOPBACK
    return None


def _whole(text: str, column: str) -> int | str:
    """The number, or the problem's message."""
    try:
        value = int(float(text)) if text and float(text).is_integer() else 0
    except (ValueError, OverflowError):
        value = 0
    if column == "port" and not 1 <= value <= 65535:
        return f"port must be a whole number from 1 to 65535, got {text!r}"
    if value < 1:
        return f"count must be a whole number of 1 or more, got {text!r}"
    return value


def _name_or_ip(text: str) -> tuple[str, str]:
    """A generic endpoint is a name, an FQDN or an address: split it into (name, ip)."""
    if text.startswith("[") and text.endswith("]"):  # an IPv6 address as URLs write it
        text = text[1:-1]
    if _IPV4ISH.match(text) and "." in text or (":" in text and _IPV6ISH.match(text)):
        return "", text
    return text, ""


def _endpoint(side: str, name: str, ip: str) -> tuple[str, str, bool] | str:
    if not name and not ip:
        return f"{side} is blank"
    loopback = False
    if ip:
        try:
            address = ipaddress.ip_address(ip.strip("[]"))
        except ValueError:
            return f"{side} IP {ip!r} is not an IPv4 or IPv6 address"
        ip, loopback = str(address), address.is_loopback
    if name and (len(name) > 255 or any(ch.isspace() for ch in name)):
        return f"{side} {name[:60]!r} is not a server name, FQDN or IP address"
    name = name.casefold().rstrip(".")
    return name, ip, loopback or name in _LOOPBACK_NAMES


def _process(text: str) -> str:
    """A process name folded for matching: case, path and `.exe` do not matter."""
    name = text.replace("\\", "/").rsplit("/", 1)[-1].casefold()
    return name.removesuffix(".exe")


def _naive(value: datetime) -> datetime:
    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _iso(text: str) -> datetime | None:
    try:
        return _naive(datetime.fromisoformat(text))
    except ValueError:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        return datetime(day.year, day.month, day.day)


def _slot(text: str) -> datetime | None:
    """`2026-11-02 10:00 - 11:00`, `02-11-2026 10:00`, `11/2/2026 …` (`/`: month first)."""
    found = _SLOT_DATE.search(text)
    if found is None:
        return _iso(text)
    groups = found.groups()
    try:
        if groups[0]:
            year, month, day = int(groups[0]), int(groups[1]), int(groups[2])
            hour, minute = int(groups[3] or 0), int(groups[4] or 0)
        else:
            first, second, year = int(groups[5]), int(groups[7]), int(groups[8])
            month, day = (first, second) if groups[6] == "/" else (second, first)
            hour, minute = int(groups[9] or 0), int(groups[10] or 0)
        return datetime(year, month, day, hour, minute)
    except ValueError:
        return None
