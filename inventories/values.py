"""Turning one spreadsheet cell into a typed value, or a short message saying why not.

Every parser returns the value or raises `BadValue` with a message that reads after
`FILE:SHEET!CELL: `, e.g. "ram_gb must be a number, got 'sixteen'".

Users' own spreadsheets write numbers the Nordic way ("1.500,5", "1 500,5"), with units
("16 GB", "1,5 TB", "500 Mbit"), estimates ("ca. 300"), dates as 03-11-2026 and networks as
"10.1.0.0 255.255.0.0". `Reading` carries what is known about a column (its decimal mark,
decided from all its cells by `decide_decimal`; the date order; the unit in its header;
its value map), and `parse` appends what it had to interpret to `notes`, for a warning.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from inventories.schema import Column, normalise_value

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = r"\d{4}-\d{2}-\d{2}"
_RANGE = re.compile(rf"^({_DATE})(?:\s*\.\.\s*({_DATE}))?$")


class BadValue(ValueError):
    """A cell that cannot be read as its column's type."""


def show(value: Any, limit: int = 40) -> str:
    """A value as quoted in messages, shortened so that one line stays one line (8.0 as '8')."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    text = str(value).replace("\n", " ")
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def text(value: Any, column: Column, max_text: int = 10_000) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    result = unicodedata.normalize("NFC", str(value)).strip()
    if len(result) > max_text:
        raise BadValue(
            f"{column.name} is {len(result):,} characters long; at most {max_text:,} are accepted"
        )
    bad = _CONTROL.search(result)
    if bad:
        raise BadValue(f"{column.name} contains the control character U+{ord(bad.group()):04X}")
    return result


@dataclass(frozen=True)
class Reading:
    """How one column's cells are read (all defaults: the template's strict reading)."""

    decimal: str | None = None  # "," or "."; None: each cell must be unambiguous by itself
    date_order: str = "dmy"  # for 03-11-2026 style dates: "dmy" (Nordic) or "ymd"
    unit: str | None = None  # the unit in the column's header, e.g. "MB" in "RAM (MB)"
    values: dict[str, str] = field(default_factory=dict)  # folded text -> value ("" drops it)


STRICT = Reading()

#: Units per field family, as factors to the field's own unit (GB: binary, as RAM is sold
#: and RVTools counts; bandwidth: decimal, as network gear is sold).
_BYTES = {
    "b": 1 / 1024**3,
    "kb": 1 / 1024**2,
    "kib": 1 / 1024**2,
    "mb": 1 / 1024,
    "mib": 1 / 1024,
    "gb": 1,
    "gib": 1,
    "g": 1,
    "tb": 1024,
    "tib": 1024,
    "t": 1024,
    "pb": 1024**2,
    "pib": 1024**2,
}
_BITS = {
    "kbit": 1e-3,
    "kbps": 1e-3,
    "kbit/s": 1e-3,
    "kb/s": 1e-3,
    "mbit": 1,
    "mbps": 1,
    "mbit/s": 1,
    "mb/s": 1,
    "m": 1,
    "gbit": 1e3,
    "gbps": 1e3,
    "gbit/s": 1e3,
    "gb/s": 1e3,
    "g": 1e3,
    "tbit": 1e6,
    "tbps": 1e6,
    "tbit/s": 1e6,
}
_HOURS = {
    "h": 1,
    "t": 1,
    "timer": 1,
    "time": 1,
    "timmar": 1,
    "timme": 1,
    "hours": 1,
    "hour": 1,
    "min": 1 / 60,
    "minutter": 1 / 60,
    "minuter": 1 / 60,
    "minutes": 1 / 60,
}
_CORES: dict[str, float] = {
    "cpu": 1,
    "cpus": 1,
    "vcpu": 1,
    "vcpus": 1,
    "cores": 1,
    "kerner": 1,
    "kärnor": 1,
    "core": 1,
}


def units_of(column: Column) -> dict[str, float]:
    """The units a numeric field accepts in its cells or its header."""
    if column.name.endswith("_gb"):
        return _BYTES
    if column.name.endswith("_mbps"):
        return _BITS
    if column.name.endswith("_hours"):
        return _HOURS
    if column.name == "vcpu":
        return _CORES
    return {}


_SPACES = re.compile(r"[\s\u00a0\u202f]")
_THOUSANDS_OR_DECIMAL = re.compile(r"\d{1,3}[.,]\d{3}")
_COMMA = re.compile(r"\d+,\d+|\d{1,3}(\.\d{3})+,\d+|\d{1,3}(\.\d{3}){2,}")
_POINT = re.compile(r"\d+\.\d+|\d{1,3}(,\d{3})+\.\d+|\d{1,3}(,\d{3}){2,}")
_WRITTEN = {
    ",": re.compile(r"-?(\d+|\d{1,3}(\.\d{3})+)(,\d+)?"),
    ".": re.compile(r"-?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?"),
    None: re.compile(r"-?\d+"),
}
_ESTIMATE = re.compile(r"^(?:ca\.?|c:a|cirka|circa|approx\.?|omkring|ungefär|~|≈)\s*", re.I)
_QUANTITY = re.compile(r"^([-+]?[\d\s.,\u00a0\u202f]*\d)\s*([^\d\s].*)?$")


def decimal_of(text: str) -> str | None:
    """The decimal mark a number written as text reveals: ",", ".", "?" (1.500: either), or
    None (a whole number, or not a number)."""
    raw = _ESTIMATE.sub("", text.strip())
    match = _QUANTITY.match(raw)
    if not match:
        return None
    digits = _SPACES.sub("", match.group(1)).lstrip("+-")
    if digits.isdigit():
        return None
    if _THOUSANDS_OR_DECIMAL.fullmatch(digits):
        return "?"
    if _COMMA.fullmatch(digits):
        return ","
    if _POINT.fullmatch(digits):
        return "."
    return None


def decide_decimal(cells: list[Any]) -> tuple[str | None, str | None]:
    """(decimal mark, problem) for a column from all its text cells.

    One column is read one way: "1,5" anywhere makes "1.500" read 1500 everywhere in it.
    A column whose cells point both ways, or only ever at "1.500"-style numbers, is a
    problem the caller reports once for the column, with the `[format] decimal` fix.
    """
    seen: dict[str, str] = {}
    for cell in cells:
        if isinstance(cell, str):
            mark = decimal_of(cell)
            if mark is not None:
                seen.setdefault(mark, cell)
    marks = {mark for mark in seen if mark != "?"}
    fix = 'set [format] decimal = "," or decimal = "." in the mapping file'
    if len(marks) > 1:
        return None, (
            f"its numbers mix a decimal comma ({show(seen[','])}) and a decimal point "
            f"({show(seen['.'])}); {fix}"
        )
    if marks:
        return marks.pop(), None
    if "?" in seen:
        example = seen["?"]
        return None, (
            f"{show(example)} may be a thousands separator or a decimal mark and no cell "
            f'of the column tells which; {fix} (decimal = "," reads 1.500 as 1500)'
        )
    return None, None


def number(
    value: Any,
    column: Column,
    whole: bool,
    reading: Reading = STRICT,
    notes: list[str] | None = None,
) -> int | float:
    kind = "a whole number" if whole else "a number"
    if isinstance(value, bool):
        raise BadValue(f"{column.name} must be {kind}, got {show(value)}")
    factor = _unit_factor(reading.unit, column, value) if reading.unit else 1.0
    if isinstance(value, (int, float)):
        result: float = value * factor if factor != 1.0 else value
    else:
        result, own_unit = _number_text(str(value), column, kind, reading, notes)
        if factor != 1.0 and not own_unit:  # a unit in the cell wins over the header's
            result *= factor
    if result != result or result in (float("inf"), float("-inf")):
        raise BadValue(f"{column.name} must be {kind}, got {show(value)}")
    if whole:
        if not float(result).is_integer():
            raise BadValue(f"{column.name} must be a whole number, got {show(value)}")
        result = int(result)
    elif isinstance(result, float) and factor != 1.0:
        result = round(result, 6)
    if column.minimum is not None and result < column.minimum:
        raise BadValue(f"{column.name} must be at least {column.minimum:g}, got {show(value)}")
    if column.maximum is not None and result > column.maximum:
        raise BadValue(f"{column.name} must be at most {column.maximum:g}, got {show(value)}")
    if whole and abs(result) > MAX_WHOLE:  # the databases' integer columns hold no more
        raise BadValue(
            f"{column.name} must be between -{MAX_WHOLE:,} and {MAX_WHOLE:,}, got {show(value)}"
        )
    return result


#: The largest whole number a database column holds (PostgreSQL's INTEGER): a larger one
#: was an internal error (OverflowError) after validation had passed.
MAX_WHOLE = 2**31 - 1


def _number_text(
    text: str, column: Column, kind: str, reading: Reading, notes: list[str] | None
) -> tuple[float, bool]:
    """A number written as text: estimate words, units, decimal comma and thousands separators."""
    raw = text.strip()
    estimate = _ESTIMATE.match(raw)
    if estimate and estimate.end() < len(raw):
        raw = raw[estimate.end() :]
        if notes is not None:
            notes.append(f"{column.name} {show(text)} is an estimate; read as {raw.strip()}")
    match = _QUANTITY.match(raw)
    if not match:
        raise BadValue(f"{column.name} must be {kind}, got {show(text)}")
    digits, unit = _SPACES.sub("", match.group(1)), match.group(2)
    factor = _unit_factor(unit.strip(), column, text) if unit else 1.0
    mark = reading.decimal or decimal_of(digits)
    if mark == "?":
        sign, body = ("-", digits[1:]) if digits.startswith("-") else ("", digits)
        before, after = body[:-4], body[-3:]
        decimal = f"{sign}{before}.{after.rstrip('0') or '0'}"
        raise BadValue(
            f"{column.name} {show(text)} is ambiguous: write {sign}{before}{after} for "
            f"a thousands separator or {decimal} for a decimal, or set "
            '[format] decimal = "," or "." in the mapping file'
        )
    if not _WRITTEN[mark].fullmatch(digits.lstrip("+")):
        read_as = f" (the column is read with decimal {mark!r})" if reading.decimal else ""
        raise BadValue(f"{column.name} must be {kind}, got {show(text)}{read_as}")
    if mark == ",":
        digits = digits.replace(".", "").replace(",", ".")
    elif mark == ".":
        digits = digits.replace(",", "")
    try:
        return float(digits) * factor, bool(unit)
    except ValueError:
        raise BadValue(f"{column.name} must be {kind}, got {show(text)}") from None


def _unit_factor(unit: str, column: Column, value: Any) -> float:
    units = units_of(column)
    folded = unit.strip().casefold().replace(" ", "")
    if folded in units:
        return units[folded]
    accepted = ", ".join(sorted({u for u in units if len(u) > 1}, key=lambda u: (units[u], u))[:8])
    suffix = column.name[column.name.rfind("_") :]
    example = {"_gb": "16 GB", "_mbps": "500 Mbit", "_hours": "8 h"}.get(suffix, "")
    if not units:
        raise BadValue(f"{column.name} must be a number without a unit, got {show(value)}")
    raise BadValue(
        f"{column.name} {show(value)} has a unit that is not understood; "
        f"use one of {accepted}" + (f", e.g. {example}" if example else "")
    )


def mapped(value: Any, reading: Reading) -> Any:
    """The value map's word for a cell (None when it maps to "", dropping the value)."""
    if not reading.values or not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return value
    key = fold(value)
    if key in reading.values:
        return reading.values[key] or None
    return value


def fold(value: Any) -> str:
    """Text as value maps and headers match it: trimmed, NFC, case-insensitive."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip().casefold()


def choice(value: Any, column: Column) -> str:
    folded = normalise_value(str(value))
    if folded in column.choices:
        return folded
    return_choices = ", ".join(column.choices)
    guess = difflib.get_close_matches(folded, column.choices, n=1, cutoff=0.5)
    example = guess[0] if guess else column.choices[0]
    raise BadValue(
        f"{column.name} must be one of {return_choices}, got {show(value)}; or map it "
        f"in the mapping file, e.g. [sheets.values.{column.name}] "
        f'{toml_string(str(value).strip())} = "{example}"'
    )


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 32 or ord(char) == 127:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def yesno(value: Any, column: Column) -> bool:
    if isinstance(value, bool):
        return value
    folded = normalise_value(str(value))
    if folded in ("yes", "no"):
        return folded == "yes"
    raise BadValue(
        f"{column.name} must be yes or no, got {show(value)}; or map it in the mapping "
        f"file, e.g. [sheets.values.{column.name}] {toml_string(str(value).strip())} = "
        '"yes"'
    )


def split_list(value: Any) -> list[str]:
    """Comma-, semicolon- or newline-separated names, trimmed, duplicates dropped."""
    seen: dict[str, str] = {}
    for part in re.split(r"[,;\n]", str(value)):
        part = part.strip()
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part
    return list(seen.values())


_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
_MASKED = re.compile(rf"({_IPV4})\s*(?:/\s*|\s+)({_IPV4})")
_SPAN = re.compile(rf"({_IPV4})\s*[-–]\s*({_IPV4})")
_WILDCARD = re.compile(r"(\d{1,3}(?:\.\d{1,3}){0,2})((?:\.\*){1,3})")


def _masked(match: re.Match[str]) -> str:
    """'10.1.0.0 255.255.0.0' or '10.4.0.0/255.255.252.0' -> '10.1.0.0/16' (a netmask as a
    prefix)."""
    try:
        return str(ipaddress.ip_network(f"{match.group(1)}/{match.group(2)}", strict=True))
    except ValueError:
        return match.group(0).replace(" ", "/")  # reported below with the usual messages


def _span(match: re.Match[str]) -> str:
    """'10.5.0.0-10.5.3.255' -> '10.5.0.0/22' (several prefixes when the range is not one)."""
    try:
        first, last = ipaddress.IPv4Address(match.group(1)), ipaddress.IPv4Address(match.group(2))
        return ", ".join(str(net) for net in ipaddress.summarize_address_range(first, last))
    except ValueError:
        return match.group(0)


def cidrs(value: Any, column: Column, notes: list[str] | None = None) -> str:
    """IPv4/IPv6 prefixes, also written with netmasks, as ranges or with '*' (a warning)."""
    text = _MASKED.sub(_masked, _SPAN.sub(_span, str(value).strip()))
    for wildcard in _WILDCARD.finditer(text):
        if notes is not None:
            notes.append(
                f"{column.name} {show(wildcard.group(0))} read as the prefix {_wildcard(wildcard)}"
            )
    text = _WILDCARD.sub(_wildcard, text)
    prefixes = []
    for part in re.split(r"[,;\s]+", text):
        if not part:
            continue
        if "/" not in part:
            try:
                address = ipaddress.ip_address(part)
            except ValueError:
                raise BadValue(
                    f"{column.name} {show(part)} is not an IPv4 or IPv6 prefix such as 10.1.0.0/16"
                ) from None
            width = 24 if address.version == 4 else 64
            network = ipaddress.ip_network(f"{address}/{width}", strict=False)
            hint = (
                f"{part}/{width}"
                if network.network_address == address
                else f"{part}/{address.max_prefixlen} for "
                f"the one address or {network} for its network"
            )
            raise BadValue(f"{column.name} {show(part)} has no prefix length; write e.g. {hint}")
        try:
            network = ipaddress.ip_network(part, strict=True)
        except ValueError:
            try:
                loose = ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise BadValue(
                    f"{column.name} {show(part)} is not an IPv4 or IPv6 prefix such as 10.1.0.0/16"
                ) from None
            raise BadValue(
                f"{column.name} {show(part)} has host bits set; did you mean {loose}?"
            ) from None
        prefixes.append(str(network))
    return ", ".join(prefixes)


def _wildcard(match: re.Match[str]) -> str:
    """'10.3.0.*' -> '10.3.0.0/24', '10.3.*.*' -> '10.3.0.0/16'."""
    known = match.group(1).split(".")
    stars = match.group(2).count("*")
    if len(known) + stars != 4:
        return match.group(0)
    return ".".join(known + ["0"] * stars) + f"/{8 * len(known)}"


_DAY_FORMS = {
    "dmy": re.compile(r"(\d{1,2})[-./](\d{1,2})[-./](\d{4})"),
    "ymd": re.compile(r"(\d{4})[./](\d{1,2})[./](\d{1,2})"),
}
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RANGE_SPLIT = re.compile(r"\s*(?:\.\.|–|—|\s-\s|\s+(?:til|till|to)\s+)\s*")


def day(text: str, column: Column, order: str = "dmy") -> date:
    """One date: YYYY-MM-DD always; DD-MM-YYYY / DD.MM.YYYY / DD/MM/YYYY ("dmy") or YYYY.MM.DD
    ("ymd")."""
    raw = text.strip()
    for pattern, fields in ((_ISO_DAY, "ymd"), (_DAY_FORMS[order], order)):
        match = pattern.fullmatch(raw)
        if match:
            parts = [int(p) for p in match.groups()]
            year, month, mday = parts if fields == "ymd" else (parts[2], parts[1], parts[0])
            try:
                return date(year, month, mday)
            except ValueError:
                raise BadValue(f"{column.name} {show(text)} is not a valid date") from None
    raise BadValue(f"{column.name} {show(text)} is not a date range YYYY-MM-DD..YYYY-MM-DD")


def date_ranges(value: Any, column: Column, order: str = "dmy") -> str:
    """`YYYY-MM-DD..YYYY-MM-DD` (or single dates, or 03-11-2026 - 20-11-2026), comma-separated;
    returned normalised to ISO 8601."""
    if isinstance(value, (datetime, date)):
        one = value.date() if isinstance(value, datetime) else value
        return f"{one.isoformat()}..{one.isoformat()}"
    ranges = []
    for part in re.split(r"[,;\n]", str(value)):
        part = part.strip()
        if not part:
            continue
        ends = _RANGE_SPLIT.split(part)
        if len(ends) > 2:
            raise BadValue(f"{column.name} {show(part)} is not a date range YYYY-MM-DD..YYYY-MM-DD")
        try:
            start, end = day(ends[0], column, order), day(ends[-1], column, order)
        except BadValue as exc:  # say it of the whole range the user wrote
            message = str(exc).replace(show(ends[0]), show(part))
            raise BadValue(message.replace(show(ends[-1]), show(part))) from None
        if end < start:
            raise BadValue(f"{column.name} {show(part)} ends before it starts")
        ranges.append(f"{start.isoformat()}..{end.isoformat()}")
    return ", ".join(ranges)


def parse_ranges(text: str | None) -> list[tuple[date, date]]:
    """Read back what `date_ranges` stored."""
    result = []
    for part in (text or "").split(","):
        part = part.strip()
        if part:
            start, _, end = part.partition("..")
            result.append((date.fromisoformat(start), date.fromisoformat(end or start)))
    return result


def parse(
    value: Any,
    column: Column,
    max_text: int = 10_000,
    reading: Reading = STRICT,
    notes: list[str] | None = None,
) -> Any:
    """The typed value of a non-empty cell for its column (None: its value map dropped it).

    `reading` says how the column is written; what had to be interpreted (an estimate, a
    wildcard network) is appended to `notes` for a warning.
    """
    value = mapped(value, reading)
    if value is None:
        return None
    if column.type in ("text", "ref"):
        return text(value, column, max_text)
    if column.type == "int":
        return number(value, column, True, reading, notes)
    if column.type == "float":
        return number(value, column, False, reading, notes)
    if column.type == "enum":
        return choice(value, column)
    if column.type == "yesno":
        return yesno(value, column)
    if column.type == "cidr":
        return cidrs(value, column, notes)
    if column.type == "list":
        return ", ".join(split_list(text(value, column, max_text)))
    if column.type == "dates":
        return date_ranges(value, column, reading.date_order)
    raise AssertionError(f"unknown column type {column.type}")


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
