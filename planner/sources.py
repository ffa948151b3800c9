"""Several sources per municipality: provenance, precedence and the effective inventory.

Every import belongs to a named source of one municipality (`workbook:nordby`,
`rvtools:RVTools_export`, …). What each source says about each item is kept as a claim
(`ItemClaim`: its spelling of the name, its non-blank fields, since when); the item tables
hold the effective values, recomputed here from all claims of the municipality whenever
one source changes. So a re-import replaces one source's contribution and nothing else,
the result never depends on the order the sources came in, and withdrawing a source
equals never having imported it.

The effective value of a field is the value of the highest-precedence source that sets
it. By default what people curate wins descriptive fields and what tools measure wins
technical facts (see DESCRIPTIVE and TECHNICAL); a municipality may set its own order for
all fields or one (`planner sources order`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlmodel import Session, col

from inventories.identity import Normalised, item_key, normalise
from planner.models import (
    ITEM_TABLES,
    Dependency,
    ItemBase,
    ItemClaim,
    Municipality,
    Source,
    SourceOrder,
)

#: Fields people decide: a curated source (workbook, OS2kitos, cloud intake sheet) wins.
DESCRIPTIVE = (
    "owner",
    "criticality",
    "function",
    "strategy",
    "target",
    "effort_hours",
    "downtime_hours",
    "blackout",
)
#: Facts tools measure: a discovering source (RVTools, Azure Migrate, AWS, AD) wins.
TECHNICAL = ("vcpu", "ram_gb", "storage_gb", "os", "os_version", "ip", "host", "cluster", "virtual")
#: Default order of formats for descriptive fields and every field in neither list.
CURATED_FIRST = ("workbook", "spreadsheet", "kitos", "aws-cmf", "azure-migrate", "rvtools", "ad")
#: Default order of formats for technical fields.
MEASURED_FIRST = ("rvtools", "azure-migrate", "aws-cmf", "ad", "workbook", "spreadsheet", "kitos")
#: The key of a municipality-wide order in `source_order` (every field without its own).
ALL_FIELDS = "*"
MUNICIPALITY_KIND = "municipality"
MUNICIPALITY_FIELDS = ("code", "employees", "users", "country")
_KEYS = frozenset({"id", "municipality_id", "name", "name_key", "source_row"})


def data_columns(table: type[ItemBase]) -> list[str]:
    """The columns of an item table that hold values (not ids, names or row numbers)."""
    return [name for name in table.model_fields if name not in _KEYS]


def known_fields() -> set[str]:
    """Every field a precedence may name."""
    names = {"name", *MUNICIPALITY_FIELDS}
    for table in ITEM_TABLES.values():
        names.update(data_columns(table))
    return names


@dataclass(frozen=True)
class SourceInfo:
    id: int
    name: str
    key: str
    format: str


class Precedence:
    """The order of one municipality's sources for each field, best first.

    Ties between sources of one format are broken by source name, so that the effective
    inventory never depends on the order in which the sources were imported.
    """

    def __init__(self, sources: Sequence[SourceInfo], orders: dict[str, list[str]]) -> None:
        self.sources = list(sources)
        self.orders = orders
        self._ranks: dict[str, dict[int, int]] = {}

    def ranking(self, field_name: str) -> list[SourceInfo]:
        formats = MEASURED_FIRST if field_name in TECHNICAL else CURATED_FIRST
        default = sorted(
            self.sources,
            key=lambda s: (formats.index(s.format) if s.format in formats else len(formats), s.key),
        )
        chosen = self.orders.get(field_name) or self.orders.get(ALL_FIELDS) or []
        first = [s for key in chosen for s in default if s.key == key]
        return first + [s for s in default if s not in first]

    def rank(self, field_name: str) -> dict[int, int]:
        """source id -> place (0 = best) for one field; cached, since it is asked per item."""
        if field_name not in self._ranks:
            self._ranks[field_name] = {s.id: n for n, s in enumerate(self.ranking(field_name))}
        return self._ranks[field_name]

    def orders_by_name(self) -> dict[str, list[str]]:
        """The municipality's own orders ({field or "*": source names}), for display."""
        names = {s.key: s.name for s in self.sources}
        return {f: [names.get(k, k) for k in keys] for f, keys in sorted(self.orders.items())}


def load_precedence(session: Session, municipality_id: int) -> Precedence:
    sources = [
        SourceInfo(row.id, row.name, row.name_key, row.format)
        for row in session.execute(
            select(Source).where(col(Source.municipality_id) == municipality_id)
        ).scalars()
    ]
    orders = {
        row.field: json.loads(row.sources_json or "[]")
        for row in session.execute(
            select(SourceOrder).where(col(SourceOrder.municipality_id) == municipality_id)
        ).scalars()
    }
    return Precedence(sources, orders)


@dataclass
class Claim:
    """One source's word on one item, as read back from `item_claim`."""

    source_id: int
    name: str
    fields: dict[str, Any]
    row: int | None


def load_claims(
    session: Session, municipality_id: int, kinds: Iterable[str] | None = None
) -> dict[tuple[str, str], list[Claim]]:
    """{(kind, item key): claims} for one municipality."""
    query = select(
        col(ItemClaim.kind),
        col(ItemClaim.item_key),
        col(ItemClaim.source_id),
        col(ItemClaim.name),
        col(ItemClaim.fields_json),
        col(ItemClaim.source_row),
    ).where(col(ItemClaim.municipality_id) == municipality_id)
    if kinds is not None:
        query = query.where(col(ItemClaim.kind).in_(list(kinds)))
    claims: dict[tuple[str, str], list[Claim]] = defaultdict(list)
    for kind, key, source_id, name, fields_json, row in session.connection().execute(
        query.order_by(col(ItemClaim.id))
    ):
        claims[(kind, key)].append(Claim(source_id, name, json.loads(fields_json or "{}"), row))
    return claims


def best(claims: list[Claim], ranks: dict[int, int], field_name: str) -> Claim | None:
    """The highest-precedence claim that sets a field (None: no source sets it)."""
    found = None
    for claim in claims:
        if claim.fields.get(field_name) is None:
            continue
        if found is None or ranks.get(claim.source_id, 1 << 30) < ranks.get(
            found.source_id, 1 << 30
        ):
            found = claim
    return found


def effective(
    table: type[ItemBase], claims: list[Claim], precedence: Precedence
) -> tuple[str, dict[str, Any], int | None]:
    """The item's name, every value column and its row, as the sources' precedence decides."""
    name_ranks = precedence.rank("name")
    top = min(claims, key=lambda c: name_ranks.get(c.source_id, 1 << 30))
    values: dict[str, Any] = {}
    for column in data_columns(table):
        chosen = best(claims, precedence.rank(column), column)
        values[column] = (
            chosen.fields[column] if chosen is not None else table.model_fields[column].default
        )
    return top.name, values, top.row


@dataclass
class Change:
    """One effective item created, updated (field: old → new) or removed."""

    kind: str
    name: str
    action: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "action": self.action,
            "fields": {k: {"old": old, "new": new} for k, (old, new) in self.fields.items()},
        }


def same(old: Any, new: Any) -> bool:
    """Stored and wanted values are equal (16 and 16.0 are; float noise from the database is)."""
    if old is None or new is None:
        return old is None and new is None
    if isinstance(old, bool) or isinstance(new, bool):
        return bool(old == new) and type(old) is type(new)
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return abs(float(old) - float(new)) <= 1e-9 * max(1.0, abs(float(old)))
    return bool(old == new)


def materialise(session: Session, municipality_id: int) -> list[Change]:
    """Make the item tables of one municipality equal to what its sources say, by precedence.

    Rows keep their ids where the item stays; items no source lists are deleted. Writes
    are set-based (one DELETE, one executemany UPDATE, one INSERT per table), since this
    runs for every import.
    """
    precedence = load_precedence(session, municipality_id)
    claims = load_claims(session, municipality_id)
    changes: list[Change] = []
    for kind, table in ITEM_TABLES.items():
        wanted = {
            key: effective(table, found, precedence)
            for (k, key), found in claims.items()
            if k == kind
        }
        changes.extend(_write_kind(session, table, kind, municipality_id, wanted))
    _write_municipality(
        session,
        municipality_id,
        precedence,
        [c for (k, _), found in claims.items() if k == MUNICIPALITY_KIND for c in found],
    )
    return changes


def _write_kind(
    session: Session,
    table: type[ItemBase],
    kind: str,
    municipality_id: int,
    wanted: dict[str, tuple[str, dict[str, Any], int | None]],
) -> list[Change]:
    columns = data_columns(table)
    existing = (
        session.execute(
            select(table.__table__).where(  # type: ignore[attr-defined]
                table.__table__.c.municipality_id  # type: ignore[attr-defined]
                == municipality_id
            )
        )
        .mappings()
        .all()
    )  # type: ignore[attr-defined]
    changes: list[Change] = []
    stale: list[int] = []
    updates: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in existing:
        key = item_key(kind, row["name"])
        if key not in wanted or key in seen:
            stale.append(row["id"])
            if key not in wanted:
                changes.append(Change(kind, row["name"], "removed"))
            continue
        seen.add(key)
        name, values, source_row = wanted[key]
        diff = {c: (row[c], values[c]) for c in columns if not same(row[c], values[c])}
        if name != row["name"]:
            diff["name"] = (row["name"], name)
        if diff:
            changes.append(Change(kind, name, "updated", diff))
        if diff or source_row != row["source_row"]:
            updates.append(
                {
                    "id": row["id"],
                    "name": name,
                    "name_key": name.strip().casefold(),
                    "source_row": source_row,
                    **values,
                }
            )
    for chunk in chunks(stale):
        session.execute(delete(table).where(col(table.id).in_(chunk)))
    if updates:  # Core executemany: the ORM's bulk paths cost more than the writes themselves
        t = table.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            t.update().where(t.c.id == bindparam("b_id")),
            [{"b_id": row.pop("id"), **row} for row in updates],
        )
    new_rows = [
        {
            "municipality_id": municipality_id,
            "name": name,
            "name_key": name.strip().casefold(),
            "source_row": source_row,
            **values,
        }
        for key, (name, values, source_row) in wanted.items()
        if key not in seen
    ]
    changes.extend(Change(kind, row["name"], "created") for row in new_rows)
    if new_rows:
        bulk_insert(session, table, new_rows)
    return changes


def bulk_insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """One Core executemany INSERT (every row has the same keys): the ORM's bulk insert
    splits heterogeneous batches and builds per-row state, which dominated an import."""
    session.connection().execute(table.__table__.insert(), rows)


def chunks(ids: list[int], size: int = 2000) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _write_municipality(
    session: Session, municipality_id: int, precedence: Precedence, claims: list[Claim]
) -> None:
    """The Municipality sheet's fields (code, employees, …) by precedence, like any item's."""
    municipality = session.get(Municipality, municipality_id)
    assert municipality is not None
    for column in MUNICIPALITY_FIELDS:
        chosen = best(claims, precedence.rank(column), column)
        value = chosen.fields[column] if chosen is not None else None
        if not same(getattr(municipality, column), value):
            setattr(municipality, column, value)
    names = [s.name for s in precedence.ranking("name")]
    municipality.source = ", ".join(names) if names else None


def dependency_key(row: Any, names: Normalised | None = None) -> tuple[str, ...]:
    """When two dependency rows (of any sources) are the same dependency.

    `names` remembers normalised names across the rows of one read (see `Normalised`)."""
    return key_of(
        row.from_kind,
        row.from_name,
        row.to_kind,
        row.to_name,
        row.to_municipality,
        row.kind,
        row.strength,
        row.note,
        Normalised() if names is None else names,
    )


def key_of(
    from_kind: str,
    from_name: str,
    to_kind: str,
    to_name: str,
    to_municipality: str | None,
    kind: str,
    strength: str,
    note: str | None,
    names: Normalised,
) -> tuple[str, ...]:
    """`dependency_key` of the values themselves (readers unpack rows by position)."""
    return (
        from_kind,
        names[from_name],
        to_kind,
        names[to_name],
        names[to_municipality or ""],
        kind,
        strength,
        note or "",
    )


#: The columns readers select: those of the first release, so that they also read a
#: database of an older schema (the upgrade tests compare before and after);
#: `OBSERVED_COLUMNS` (migration 0005) are added where the schema has them.
DEPENDENCY_COLUMNS = tuple(
    col(getattr(Dependency, name))
    for name in (
        "id",
        "municipality_id",
        "from_kind",
        "from_name",
        "to_kind",
        "to_name",
        "to_municipality",
        "kind",
        "strength",
        "note",
        "source_row",
    )
)
OBSERVED_COLUMNS = tuple(
    col(getattr(Dependency, name))
    for name in ("observed", "ports", "processes", "observations", "first_seen", "last_seen")
)
#: A row's municipality id and the fields of its key, by position in `DEPENDENCY_COLUMNS`.
_KEY_FIELDS = itemgetter(1, 2, 3, 4, 5, 6, 7, 8, 9)


def effective_dependencies(rows: Iterable[Sequence[Any]]) -> list[Any]:
    """Each dependency once, however many sources list it (the first stored row stands).

    The rows are selected as `DEPENDENCY_COLUMNS` first (any columns may follow) and read
    by position: at national scale (165,000 rows) reading them by attribute name cost more
    than the rest of the work."""
    seen: set[tuple[Any, ...]] = set()
    result = []
    names = Normalised()
    for row in rows:
        (
            municipality_id,
            from_kind,
            from_name,
            to_kind,
            to_name,
            to_municipality,
            kind,
            strength,
            note,
        ) = _KEY_FIELDS(row)
        key = (
            municipality_id,
            *key_of(
                from_kind, from_name, to_kind, to_name, to_municipality, kind, strength, note, names
            ),
        )
        if key not in seen:
            seen.add(key)
            result.append(row)
    return result


@dataclass
class Conflict:
    """Sources that disagree on one field of one item; `source` is the one in force."""

    municipality: str
    kind: str
    name: str
    field: str
    value: Any
    source: str
    others: list[tuple[str, Any]]

    @property
    def item(self) -> str:
        return f"{self.municipality}/{self.kind}/{self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "municipality": self.municipality,
            "item": self.item,
            "kind": self.kind,
            "name": self.name,
            "field": self.field,
            "value": self.value,
            "source": self.source,
            "others": [{"source": s, "value": v} for s, v in self.others],
        }


def agree(a: Any, b: Any) -> bool:
    """Values that say the same: equal numbers, texts equal but for case and spacing."""
    if isinstance(a, str) and isinstance(b, str):
        return normalise(a) == normalise(b)
    return same(a, b)


def find_conflicts(session: Session, municipality: Municipality) -> list[Conflict]:
    """Every field of the municipality on which two of its sources disagree."""
    assert municipality.id is not None
    precedence = load_precedence(session, municipality.id)
    names = {s.id: s.name for s in precedence.sources}
    found: list[Conflict] = []
    for (kind, _), claims in sorted(load_claims(session, municipality.id).items()):
        if len(claims) < 2:
            continue
        top = min(claims, key=lambda c: precedence.rank("name").get(c.source_id, 1 << 30))
        columns = (
            MUNICIPALITY_FIELDS if kind == MUNICIPALITY_KIND else data_columns(ITEM_TABLES[kind])
        )
        for column in columns:
            chosen = best(claims, precedence.rank(column), column)
            if chosen is None:
                continue
            value = chosen.fields[column]
            others = [
                (names[c.source_id], c.fields[column])
                for c in claims
                if c is not chosen
                and c.fields.get(column) is not None
                and not agree(c.fields[column], value)
            ]
            if others:
                found.append(
                    Conflict(
                        municipality.name,
                        kind,
                        top.name,
                        column,
                        value,
                        names[chosen.source_id],
                        others,
                    )
                )
    return found
