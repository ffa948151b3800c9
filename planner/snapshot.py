"""A consistent, plain-Python copy of the whole inventory.

Everything downstream of the database (graph, checks, planning, exports) works on this
snapshot, read in one transaction, so a plan never sees half of a concurrent import.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from planner.db import read_snapshot
from planner.models import ITEM_TABLES, ConnectionCapture, Dependency, Municipality
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


def load(engine: Engine) -> Snapshot:
    """Read the whole inventory in one snapshot transaction (never half of an import)."""
    snap = Snapshot()
    with read_snapshot(engine) as session:
        municipalities = {m.id: m for m in session.execute(select(Municipality)).scalars()}
        for m in sorted(municipalities.values(), key=lambda m: m.name.casefold()):
            snap.municipalities[m.name] = {
                "code": m.code,
                "employees": m.employees,
                "users": m.users,
                "country": m.country,
                "source": m.source,
            }
            snap._municipality_keys[m.name.casefold()] = m.name
        for kind, table in ITEM_TABLES.items():
            for row in session.execute(
                select(table).order_by(col(table.municipality_id), col(table.name_key))
            ).scalars():
                muni = municipalities[row.municipality_id].name
                fields = {k: v for k, v in row.model_dump().items() if k not in _SKIP}
                snap.add(Item(item_id(muni, kind, row.name), muni, kind, row.name, fields))
        # An upgrade reads the old database with this reader first (to compare): the
        # observed columns and captures of migration 0005 are read where they exist.
        observed = "observed" in {
            c["name"] for c in inspect(session.connection()).get_columns("dependency")
        }
        columns = (*DEPENDENCY_COLUMNS, *(OBSERVED_COLUMNS if observed else ()))
        deps = session.execute(select(*columns).order_by(col(Dependency.id))).all()
        for dep in effective_dependencies(deps):  # once, however many sources list it
            snap.dependencies.append(
                DependencyRow(
                    municipalities[dep.municipality_id].name,
                    dep.from_kind,
                    dep.from_name,
                    dep.to_kind,
                    dep.to_name,
                    dep.to_municipality,
                    dep.kind,
                    dep.strength,
                    dep.note,
                    dep.source_row,
                    Traffic(
                        dep.ports or "",
                        dep.observations or 0,
                        dep.first_seen,
                        dep.last_seen,
                        dep.processes,
                    )
                    if observed and dep.observed
                    else None,
                )
            )
        captures = session.execute(select(ConnectionCapture)).scalars() if observed else ()
        for capture in captures:
            summary = json.loads(capture.summary_json or "{}")
            summary["source"] = capture.source
            snap.captures[municipalities[capture.municipality_id].name] = summary
    return snap
