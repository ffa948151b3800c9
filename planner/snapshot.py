"""A consistent, plain-Python copy of the whole inventory.

Everything downstream of the database (graph, checks, planning, exports) works on this
snapshot, read in one transaction, so a plan never sees half of a concurrent import.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import col

from planner.db import read_snapshot
from planner.models import ITEM_TABLES, ConnectionCapture, Dependency, ItemBase, Municipality
from planner.sources import DEPENDENCY_COLUMNS, OBSERVED_COLUMNS, effective_dependencies

_SKIP = {"id", "municipality_id", "name", "name_key"}
_PROVENANCE = {"source_row"}  # where a value came from, not what it is


def item_id(municipality: str, kind: str, name: str) -> str:
    """The user-facing id of an item: `municipality/kind/name`."""
    return f"{municipality}/{kind}/{name}"


@dataclass(frozen=True)
class Item:
    """One inventory item as the planner sees it."""

    id: str
    municipality: str
    kind: str
    name: str
    fields: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def get(self, name: str, default: Any = None) -> Any:
        value = self.fields.get(name)
        return default if value is None else value


@dataclass(frozen=True)
class Traffic:
    """What a connection capture saw of an observed dependency (migration 0005)."""

    ports: str
    observations: int
    first_seen: str | None = None
    last_seen: str | None = None
    processes: str | None = None

    def __str__(self) -> str:
        """As `graph show` and plan.xlsx print it: ports, count, first/last seen, processes."""
        parts = [f"ports {self.ports}" if self.ports else "", f"{self.observations:,} observations"]
        if self.first_seen or self.last_seen:
            parts.append(f"seen {self.first_seen or '?'} – {self.last_seen or '?'}")
        if self.processes:
            parts.append(f"processes {self.processes}")
        return "; ".join(part for part in parts if part)


@dataclass(frozen=True)
class DependencyRow:
    municipality: str
    from_kind: str
    from_name: str
    to_kind: str
    to_name: str
    to_municipality: str | None
    kind: str
    strength: str
    note: str | None
    row: int | None
    #: Seen in network traffic (a connection capture), else None.
    observed: Traffic | None = None


@dataclass
class Snapshot:
    """All municipalities, items and explicit dependencies, plus name lookups."""

    municipalities: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    dependencies: list[DependencyRow] = field(default_factory=list)
    #: municipality -> summary of its last connection capture (unknown endpoints, hubs, …)
    captures: dict[str, dict[str, Any]] = field(default_factory=dict)
    _index: dict[tuple[str, str, str], str] = field(default_factory=dict)
    _municipality_keys: dict[str, str] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        self.items[item.id] = item
        self._index[(item.municipality.casefold(), item.kind, item.name.strip().casefold())] = (
            item.id
        )

    def find(self, municipality: str, kind: str, name: str) -> str | None:
        """The id of the item a (case-insensitive) reference names, or None."""
        muni = self._municipality_keys.get(municipality.strip().casefold(), municipality)
        return self._index.get((muni.casefold(), kind.strip().lower(), name.strip().casefold()))

    def municipality_name(self, text: str) -> str | None:
        return self._municipality_keys.get(text.strip().casefold())

    def resolve(self, text: str, default_municipality: str | None = None) -> str | None:
        """Resolve a user-written item id `municipality/kind/name` (case-insensitive)."""
        parts = text.split("/", 2)
        if len(parts) == 3:
            return self.find(*parts)
        if len(parts) == 2 and default_municipality:
            return self.find(default_municipality, *parts)
        return None

    def of_kind(self, kind: str) -> list[Item]:
        return [item for item in self.items.values() if item.kind == kind]

    def fingerprint(self) -> str:
        """A SHA-256 of everything a plan depends on, stored with each plan.

        Why: a plan that breaks a rule after a later import is stale, not wrong, and the
        user needs to know which. Where a value came from (file name, row number) is left
        out, so re-importing the same inventory from a re-sorted copy keeps the fingerprint.
        """
        content = {
            "municipalities": {
                name: {k: v for k, v in fields.items() if k != "source"}
                for name, fields in sorted(self.municipalities.items())
            },
            "items": [
                [item.id, {k: v for k, v in sorted(item.fields.items()) if k not in _PROVENANCE}]
                for item in sorted(self.items.values(), key=lambda item: item.id)
            ],
            "dependencies": sorted(
                [
                    d.municipality,
                    d.from_kind,
                    d.from_name,
                    d.to_kind,
                    d.to_name,
                    d.to_municipality or "",
                    d.kind,
                    d.strength,
                    d.note or "",
                ]
                for d in self.dependencies
            ),
        }
        text = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextmanager
def bulk() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a reader builds many objects at once.

    Why: building a national inventory's 50,000 items, 165,000 dependencies and 300,000
    edges made the collector walk every object built so far, again and again; these objects
    form no reference cycles to collect. It runs again afterwards (if it was running)."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            if gc.get_freeze_count() == 0:
                # Into the oldest generation without a walk: the first collection after
                # the pause would otherwise walk all of them twice (young and middle).
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def load(engine: Engine) -> Snapshot:
    """Read the whole inventory in one snapshot transaction (never half of an import).

    Rows are read as plain tuples (SQLAlchemy Core), not as ORM instances: at national
    scale (50,000 items, 165,000 dependencies) building and dumping model instances took
    most of the time, and nothing here needs them. The values are the same either way:
    the column types convert them, not the ORM."""
    snap = Snapshot()
    with bulk(), read_snapshot(engine) as session:
        connection = session.connection()
        names = _load_municipalities(connection, snap)
        for kind, table in ITEM_TABLES.items():
            _load_items(connection, snap, kind, table, names)
        # An upgrade reads the old database with this reader first (to compare): the
        # observed columns and captures of migration 0005 are read where they exist.
        observed = "observed" in {c["name"] for c in inspect(connection).get_columns("dependency")}
        _load_dependencies(connection, snap, names, observed)
        if observed:
            query = select(
                col(ConnectionCapture.municipality_id),
                col(ConnectionCapture.source),
                col(ConnectionCapture.summary_json),
            )
            for municipality_id, source, summary_json in connection.execute(query):
                summary = json.loads(summary_json or "{}")
                summary["source"] = source
                snap.captures[names[municipality_id]] = summary
    return snap


def _load_municipalities(connection: Connection, snap: Snapshot) -> dict[int, str]:
    """Fill the snapshot's municipalities (sorted by name, case-insensitively); id -> name."""
    rows = connection.execute(
        select(
            col(Municipality.id),
            col(Municipality.name),
            col(Municipality.code),
            col(Municipality.employees),
            col(Municipality.users),
            col(Municipality.country),
            col(Municipality.source),
        )
    ).all()
    for _, name, code, employees, users, country, source in sorted(
        rows, key=lambda row: row[1].casefold()
    ):
        snap.municipalities[name] = {
            "code": code,
            "employees": employees,
            "users": users,
            "country": country,
            "source": source,
        }
        snap._municipality_keys[name.casefold()] = name
    return {
        municipality_id: name for municipality_id, name, *_ in rows if municipality_id is not None
    }  # a primary key: never None


def _load_items(
    connection: Connection, snap: Snapshot, kind: str, table: type[ItemBase], names: dict[int, str]
) -> None:
    """Add one item table's rows, by municipality and name, with every field but the keys.

    The fields are the model's fields, in the model's order (the ORM's `model_dump` gave
    them in an order that varied from process to process); what `Snapshot.add` does per
    item is done inline, since this runs 50,000 times."""
    columns = table.__table__.c  # type: ignore[attr-defined]
    fields = [name for name in table.model_fields if name not in _SKIP]
    query = select(
        *(columns[name] for name in fields), columns.municipality_id, columns.name
    ).order_by(columns.municipality_id, columns.name_key)
    items, index = snap.items, snap._index
    folded = {municipality_id: name.casefold() for municipality_id, name in names.items()}
    for row in connection.execute(query):
        municipality_id, name = row[-2], row[-1]
        muni = names[municipality_id]
        item = Item(f"{muni}/{kind}/{name}", muni, kind, name, dict(zip(fields, row)))
        items[item.id] = item
        index[(folded[municipality_id], kind, name.strip().casefold())] = item.id


def _load_dependencies(
    connection: Connection, snap: Snapshot, names: dict[int, str], observed: bool
) -> None:
    """Each dependency once, however many sources list it, in the order stored.

    Rows are unpacked by position (`DEPENDENCY_COLUMNS`, then `OBSERVED_COLUMNS`): by name
    they cost a third of the whole read at national scale."""
    columns = (*DEPENDENCY_COLUMNS, *(OBSERVED_COLUMNS if observed else ()))
    rows = connection.execute(select(*columns).order_by(col(Dependency.id))).all()
    append = snap.dependencies.append
    for row in effective_dependencies(rows):  # once, however many sources list it
        (
            _,
            municipality_id,
            from_kind,
            from_name,
            to_kind,
            to_name,
            to_municipality,
            kind,
            strength,
            note,
            source_row,
        ) = row[:11]
        traffic = None
        if observed and row[11]:
            ports, processes, observations, first_seen, last_seen = row[12:]
            traffic = Traffic(ports or "", observations or 0, first_seen, last_seen, processes)
        append(
            DependencyRow(
                names[municipality_id],
                from_kind,
                from_name,
                to_kind,
                to_name,
                to_municipality,
                kind,
                strength,
                note,
                source_row,
                traffic,
            )
        )
