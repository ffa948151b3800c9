"""`planner mapping suggest`: a commented mapping file for a user's own spreadsheet.

It finds each sheet's header row (below title blocks), guesses the kind its rows describe
from the headers and the sheet's name, maps headers through the template's Danish/Swedish/
English aliases and close matches, proposes value maps for the enumeration values it does
not understand, and writes every column it could not map with the reason. Every header is
written explicitly (mapped, a dependency column, or "" for ignored), so the file imports
unchanged and says exactly what will be read; a sheet with one row per application-server
pair becomes two entries, one per kind.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inventories import values
from inventories.csvfile import detect_encoding, sniff_lines
from inventories.grid import Grid, find_header, header_cells, load_grids, total_row
from inventories.mapping import SHEET_KINDS, PlannerError  # exports.errors' class, through mapping
from inventories.schema import VALUE_ALIASES, Kind, normalise_header, normalise_value, sheet_for
from inventories.spreadsheet import DEPENDENCY_WORDS, candidates, schema_of
from inventories.values import fold, show, toml_string
from inventories.workbook import Limits

PLURAL = {
    Kind.SITE: "sites",
    Kind.NETWORK: "networks",
    Kind.DIRECTORY: "directories",
    Kind.SERVER: "servers",
    Kind.APPLICATION: "applications",
    Kind.WORKPLACE: "workplaces",
}
#: Sheet-name words that say what a sheet lists (Danish, Swedish, English).
TITLE_WORDS: dict[Kind, tuple[str, ...]] = {
    Kind.SERVER: ("server", "servere", "servrar", "vm", "maskin", "host"),
    Kind.APPLICATION: ("system", "applikation", "application", "fagsystem", "program", "app"),
    Kind.NETWORK: ("netværk", "nätverk", "network", "vlan", "subnet"),
    Kind.SITE: ("lokation", "plats", "site", "adresse", "institution"),
    Kind.WORKPLACE: ("arbejdsplads", "arbetsplats", "klient", "pc", "workplace"),
    Kind.DIRECTORY: ("domæne", "domän", "domain", "katalog", "directory"),
}
#: Suggested meaning of yes/no words in a criticality column ("Forretningskritisk: Ja").
_CRITICAL_YES = {"yes": "critical", "no": ""}


@dataclass
class Entry:
    """One suggested `[[sheets]]` entry."""

    grid: Grid
    kind: Kind
    header_row: int
    header: tuple[Any, ...] = ()  # with a units row joined ('RAM (MB)')
    data_after: int = 0  # the last row of the header
    columns: dict[str, str | dict[str, str]] = field(
        default_factory=dict
    )  # header -> field / dependency
    notes: dict[str, str] = field(default_factory=dict)  # header -> why (for the comment)
    values: dict[str, dict[str, tuple[str, str]]] = field(
        default_factory=dict
    )  # field -> text -> (value, note)


def suggest_mapping(
    path: str | Path,
    *,
    kind: str | None = None,
    label: str | None = None,
    limits: Limits | None = None,
) -> str:
    """The text of a commented mapping file for `path`."""
    path = Path(path)
    label = label or str(path)
    limits = limits or Limits.from_env()
    forced = _kind(kind)
    grids = load_grids(path, label, limits)
    entries: list[Entry] = []
    skipped: list[str] = []
    for grid in grids:
        found = _entries(grid, forced)
        if not found:
            skipped.append(grid.title)
        entries.extend(found)
    if not entries:
        raise PlannerError(
            f"{label}: no sheet with a header row the planner recognises; give the kind with "
            "--kind servers (or applications, …) to map its columns anyway"
        )
    return _render(path, grids, entries, skipped)


def _kind(kind: str | None) -> Kind | None:
    if kind is None:
        return None
    found = SHEET_KINDS.get(kind.strip().lower())
    if found is None:
        raise PlannerError(
            "--kind must be one of sites, networks, directories, servers, "
            f"applications or workplaces, got {kind!r}"
        )
    return found


def _recognised(text: str) -> bool:
    return any(schema_of(kind).column(text) is not None for kind in PLURAL)


def _entries(grid: Grid, forced: Kind | None) -> list[Entry]:
    header_row = find_header(grid, _recognised)
    if header_row is None:
        return []
    header, last = header_cells(grid, header_row)
    texts = [str(cell).strip() for cell in header if not values.is_blank(cell)]
    kinds = [forced] if forced else _guess_kinds(grid.title, texts)
    entries = []
    for index, kind in enumerate(kinds):
        entry = Entry(grid, kind, header_row, header, last)
        others = kinds[:index] + kinds[index + 1 :]
        for text in texts:
            _map_header(entry, text, others)
        _propose_values(entry, header)
        entries.append(entry)
    return entries


def _guess_kinds(title: str, texts: list[str]) -> list[Kind]:
    """The kind (or, for application-server pairs, both kinds) a sheet's rows describe."""
    scores: dict[Kind, int] = {}
    for kind in PLURAL:
        sheet = schema_of(kind)
        named = any(_name_of(kind, text) for text in texts)
        if not named:
            continue
        score = sum(1 for text in texts if sheet.column(text) is not None)
        folded = fold(title)
        template = sheet_for(title)
        if (template is not None and template.kind == kind) or any(
            w in folded for w in TITLE_WORDS[kind]
        ):
            score += 3
        scores[kind] = score
    if not scores:
        return []
    best = max(scores, key=lambda k: scores[k])
    server = next((t for t in texts if _name_of(Kind.SERVER, t)), None)
    app = next(
        (t for t in texts if _name_of(Kind.APPLICATION, t) and not _name_of(Kind.SERVER, t)), None
    )
    if server and app and best in (Kind.SERVER, Kind.APPLICATION):
        return [Kind.APPLICATION, Kind.SERVER]  # one row per application-server pair
    return [best]


def _name_of(kind: Kind, text: str) -> bool:
    column = schema_of(kind).column(text)
    return column is not None and column.name == "name"


def _map_header(entry: Entry, text: str, others: list[Kind]) -> None:
    """One header of the entry: its field, a dependency list, or "" with the reason.

    With two entries for one sheet (application-server pairs) a header both kinds know
    (owner, criticality, …) goes to the applications entry; the servers entry reads only
    its name and what only servers have.
    """
    if any(fold(written) == fold(text) for written in entry.columns):
        return  # the same header again: the import reads its first column and names the others
    column = schema_of(entry.kind).column(text)
    other = next((k for k in others if schema_of(k).column(text) is not None), None)
    if column is None and other is not None:
        entry.columns[text], entry.notes[text] = "", f"read by the {PLURAL[other]} entry"
    elif column is not None and column.name in entry.columns.values():
        entry.columns[text], entry.notes[text] = "", f"another column is already {column.name}"
    elif (
        column is not None
        and other is not None
        and entry.kind == Kind.SERVER
        and column.name != "name"
    ):
        entry.columns[text], entry.notes[text] = "", f"read by the {PLURAL[other]} entry"
    elif column is not None:
        entry.columns[text] = column.name
    elif any(word in fold(text) for word in DEPENDENCY_WORDS):
        to = "application" if entry.kind == Kind.APPLICATION else entry.kind.value
        entry.columns[text] = {"dependency": "uses", "to_kind": to}
        entry.notes[text] = (
            "looks like a list of dependencies: check the dependency kind and to_kind"
        )
    else:
        _close_match(entry, text)


def _close_match(entry: Entry, text: str) -> None:
    fields = candidates(normalise_header(text), entry.kind)
    taken = set(entry.columns.values())
    fields = [f for f in fields if f not in taken and f != "name"]
    close = difflib.get_close_matches(
        normalise_header(text), list(schema_of(entry.kind).lookup), n=1, cutoff=0.85
    )
    if len(fields) >= 1 and close and schema_of(entry.kind).lookup[close[0]].name == fields[0]:
        entry.columns[text], entry.notes[text] = fields[0], "a close match: check it"
    elif fields:
        entry.columns[text] = ""
        entry.notes[text] = f"not mapped: could be {' or '.join(fields)}"
    else:
        entry.columns[text] = ""
        entry.notes[text] = (
            "not mapped: no field of " + PLURAL[entry.kind] + " matches; map it or leave it ignored"
        )


def _propose_values(entry: Entry, header: tuple[Any, ...]) -> None:
    """Value maps for the enumeration values the import would not understand."""
    spec = schema_of(entry.kind)
    positions = {
        str(cell).strip(): index for index, cell in enumerate(header) if not values.is_blank(cell)
    }
    for text, target in entry.columns.items():
        if not isinstance(target, str) or not target:
            continue
        column = spec.lookup.get(normalise_header(target)) or next(
            c for c in spec.columns if c.name == target
        )
        if column.type not in ("enum", "yesno"):
            continue
        distinct: dict[str, str] = {}
        for number, cells in entry.grid.rows:
            index = positions[text]
            if number <= entry.data_after or index >= len(cells) or values.is_blank(cells[index]):
                continue
            if total_row(entry.grid, number, cells, None):
                continue
            distinct.setdefault(fold(cells[index]), str(cells[index]).strip())
            if len(distinct) > 40:
                break
        proposals = {}
        for raw in distinct.values():
            try:
                values.parse(raw, column)
                continue
            except values.BadValue:
                proposals[raw] = _guess_value(raw, column)
        if proposals:
            entry.values[target] = proposals


def _guess_value(raw: str, column: Any) -> tuple[str, str]:
    folded = normalise_value(raw)
    if column.name == "criticality" and VALUE_ALIASES.get(fold(raw)) in _CRITICAL_YES:
        value = _CRITICAL_YES[VALUE_ALIASES[fold(raw)]]
        return value, "a yes/no column read as critical or not: check it"
    choices = list(column.choices or ("yes", "no"))
    close = difflib.get_close_matches(str(folded), choices, n=1, cutoff=0.6)
    if close:
        return close[0], "a close match: check it"
    return "", f'not understood: one of {", ".join(choices)}; "" leaves it blank'


def _render(path: Path, grids: list[Grid], entries: list[Entry], skipped: list[str]) -> str:
    lines = [
        f"# Mapping for {path.name}, suggested by `planner mapping suggest`.",
        "# Check every line marked 'check', then: planner import "
        f"{path.name} --municipality NAME --mapping THIS_FILE",
        "",
    ]
    lines += _format_lines(path, grids, entries)
    for entry in entries:
        lines += _entry_lines(entry, len(grids) > 1 or not entry.grid.csv)
    for title in skipped:
        lines.append(f"# Sheet {show(title)} was not mapped: no header row the planner recognises.")
    return "\n".join(lines).rstrip() + "\n"


def _format_lines(path: Path, grids: list[Grid], entries: list[Entry]) -> list[str]:
    lines: list[str] = []
    if grids and grids[0].csv:
        data = path.read_bytes()
        encoding = detect_encoding(data)
        text = data.decode(encoding, errors="replace")
        delimiter = sniff_lines(text.splitlines()[:50])
        lines += [
            "[format]",
            f"encoding = {toml_string(encoding)}",
            f"delimiter = {toml_string(delimiter)}",
        ]
    decimal = _decimal(entries, grids)
    if decimal:
        lines += ([] if lines else ["[format]"]) + [
            f"decimal = {toml_string(decimal)}  # check: some numbers (such as 1.500) could be "
            "read both ways"
        ]
    return lines + ([""] if lines else [])


def _decimal(entries: list[Entry], grids: list[Grid]) -> str | None:
    """A decimal mark when some numeric column cannot tell by itself (Nordic "," unless shown
    otherwise)."""
    ambiguous, marks = False, set()
    for entry in entries:
        spec = schema_of(entry.kind)
        header = entry.header
        for index, cell in enumerate(header):
            target = entry.columns.get(str(cell).strip()) if not values.is_blank(cell) else None
            column = (
                next((c for c in spec.columns if c.name == target), None)
                if isinstance(target, str)
                else None
            )
            if column is None or column.type not in ("int", "float"):
                continue
            cells = [
                cells[index]
                for number, cells in entry.grid.rows
                if number > entry.data_after and index < len(cells)
            ]
            mark, problem = values.decide_decimal(cells)
            ambiguous |= problem is not None
            if mark:
                marks.add(mark)
    if not ambiguous:
        return None
    return "." if marks == {"."} else ","


def _entry_lines(entry: Entry, named: bool) -> list[str]:
    lines = ["[[sheets]]"]
    if named:
        lines.append(f"sheet = {toml_string(entry.grid.title)}")
    lines += [
        f"kind = {toml_string(PLURAL[entry.kind])}",
        f"header_row = {entry.header_row}",
        'on_conflict = "error"',
        "",
        "[sheets.columns]",
    ]
    for header, target in entry.columns.items():
        note = f"  # {entry.notes[header]}" if header in entry.notes else ""
        if isinstance(target, dict):
            value = "{ " + ", ".join(f"{k} = {toml_string(v)}" for k, v in target.items()) + " }"
        else:
            value = toml_string(target)
        lines.append(f"{toml_string(header)} = {value}{note}")
    for name, proposals in entry.values.items():
        lines += ["", f"[sheets.values.{name}]"]
        for raw, (value, note) in proposals.items():
            lines.append(f"{toml_string(raw)} = {toml_string(value)}  # {note}")
    return lines + [""]
