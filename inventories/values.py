"""Turning one spreadsheet cell into a typed value, or a short message saying why not.

Every parser returns the value or raises `BadValue` with a message that reads after
`FILE:SHEET!CELL: `, e.g. "ram_gb must be a number, got 'sixteen'".
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from datetime import date, datetime
from typing import Any

from inventories.schema import Column, normalise_value

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DATE = r"\d{4}-\d{2}-\d{2}"
_RANGE = re.compile(rf"^({_DATE})(?:\s*\.\.\s*({_DATE}))?$")


class BadValue(ValueError):
    """A cell that cannot be read as its column's type."""


def show(value: Any, limit: int = 40) -> str:
    """A value as quoted in messages, shortened so that one line stays one line."""
    text = str(value).replace("\n", " ")
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def text(value: Any, column: Column, max_text: int = 10_000) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    result = unicodedata.normalize("NFC", str(value)).strip()
    if len(result) > max_text:
        raise BadValue(f"{column.name} is {len(result):,} characters long; at most {max_text:,} are accepted")
    bad = _CONTROL.search(result)
    if bad:
        raise BadValue(f"{column.name} contains the control character U+{ord(bad.group()):04X}")
    return result


def number(value: Any, column: Column, whole: bool) -> int | float:
    kind = "a whole number" if whole else "a number"
    if isinstance(value, bool):
        raise BadValue(f"{column.name} must be {kind}, got {show(value)}")
    if isinstance(value, (int, float)):
        result: float = value
    else:
        raw = str(value).strip().replace("\u00a0", "").replace(" ", "")
        if re.fullmatch(r"-?\d{1,3}[.,]\d{3}", raw):
            # "1.500" is 1500 to a Dane and 1.5 to an English export; "1,500" the reverse.
            # Guessing loses a factor of 1000 silently, so the user decides.
            sign, digits = ("-", raw[1:]) if raw.startswith("-") else ("", raw)
            before, after = digits[:-4], digits[-3:]
            raise BadValue(f"{column.name} {show(value)} is ambiguous: write {sign}{before}{after} "
                           f"for a thousands separator or {sign}{before}.{after.rstrip('0') or '0'} for a decimal")
        if re.fullmatch(r"-?\d+,\d+", raw):  # Danish/Swedish decimal comma
            raw = raw.replace(",", ".")
        try:
            result = float(raw)
        except ValueError:
            raise BadValue(f"{column.name} must be {kind}, got {show(value)}") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise BadValue(f"{column.name} must be {kind}, got {show(value)}")
    if whole:
        if not float(result).is_integer():
            raise BadValue(f"{column.name} must be a whole number, got {show(value)}")
        result = int(result)
    if column.minimum is not None and result < column.minimum:
        raise BadValue(f"{column.name} must be at least {column.minimum:g}, got {show(value)}")
    if column.maximum is not None and result > column.maximum:
        raise BadValue(f"{column.name} must be at most {column.maximum:g}, got {show(value)}")
    return result


def choice(value: Any, column: Column) -> str:
    folded = normalise_value(str(value))
    if folded in column.choices:
        return folded
    return_choices = ", ".join(column.choices)
    raise BadValue(f"{column.name} must be one of {return_choices}, got {show(value)}")


def yesno(value: Any, column: Column) -> bool:
    if isinstance(value, bool):
        return value
    folded = normalise_value(str(value))
    if folded in ("yes", "no"):
        return folded == "yes"
    raise BadValue(f"{column.name} must be yes or no, got {show(value)}")


def split_list(value: Any) -> list[str]:
    """Comma-, semicolon- or newline-separated names, trimmed, duplicates dropped."""
    seen: dict[str, str] = {}
    for part in re.split(r"[,;\n]", str(value)):
        part = part.strip()
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part
    return list(seen.values())


def cidrs(value: Any, column: Column) -> str:
    prefixes = []
    for part in re.split(r"[,;\s]+", str(value).strip()):
        if not part:
            continue
        if "/" not in part:
            raise BadValue(f"{column.name} {show(part)} has no prefix length; write e.g. {part}/24")
        try:
            network = ipaddress.ip_network(part, strict=True)
        except ValueError:
            try:
                loose = ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise BadValue(f"{column.name} {show(part)} is not an IPv4 or IPv6 prefix such as 10.1.0.0/16") from None
            raise BadValue(f"{column.name} {show(part)} has host bits set; did you mean {loose}?") from None
        prefixes.append(str(network))
    return ", ".join(prefixes)


def date_ranges(value: Any, column: Column) -> str:
    """`YYYY-MM-DD..YYYY-MM-DD` (or single dates), comma-separated; returned normalised."""
    if isinstance(value, (datetime, date)):
        day = value.date() if isinstance(value, datetime) else value
        return f"{day.isoformat()}..{day.isoformat()}"
    ranges = []
    for part in re.split(r"[,;\n]", str(value)):
        part = part.strip()
        if not part:
            continue
        match = _RANGE.match(part)
        if not match:
            raise BadValue(f"{column.name} {show(part)} is not a date range YYYY-MM-DD..YYYY-MM-DD")
        try:
            start = date.fromisoformat(match.group(1))
            end = date.fromisoformat(match.group(2) or match.group(1))
        except ValueError:
            raise BadValue(f"{column.name} {show(part)} is not a valid date") from None
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


def parse(value: Any, column: Column, max_text: int = 10_000) -> Any:
    """The typed value of a non-empty cell for its column."""
    if column.type in ("text", "ref"):
        return text(value, column, max_text)
    if column.type == "int":
        return number(value, column, whole=True)
    if column.type == "float":
        return number(value, column, whole=False)
    if column.type == "enum":
        return choice(value, column)
    if column.type == "yesno":
        return yesno(value, column)
    if column.type == "cidr":
        return cidrs(value, column)
    if column.type == "list":
        return ", ".join(split_list(text(value, column, max_text)))
    if column.type == "dates":
        return date_ranges(value, column)
    raise AssertionError(f"unknown column type {column.type}")


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
