"""Storing validated inventories and counting what is stored.

An import is one transaction: the municipality's items are upserted by case-insensitive
name (ids stay stable, so a re-import of the same file changes nothing), items the file
no longer lists are removed (template imports), and the explicit dependencies are made
equal to the file's. Any error rolls everything back.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from inventories.mapping import reconcile
from inventories.records import DependencyRecord, Inventory
from inventories.schema import Kind
from planner.connections import store_observed
from planner.db import lock_keys, read_snapshot, transaction
from planner.models import (
    ITEM_TABLES,
    ConnectionCapture,
    Dependency,
    ItemBase,
    Municipality,
    WorkplaceGroup,
    name_key,
)
from exports.testhooks import pause


@dataclass
class ImportReport:
    """What an import did (or, with dry_run, would do) for one municipality."""

    municipality: str
    source: str
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        def fmt(counter: Counter[str]) -> str:
            return str(sum(counter.values()))

        return (f"{self.source}: {self.municipality}: {fmt(self.created)} created, {fmt(self.updated)} updated, "
                f"{fmt(self.removed)} removed, {fmt(self.unchanged)} unchanged")


def store(session: Session, inventory: Inventory) -> ImportReport:
    """Write one inventory into an open transaction (the caller commits or rolls back)."""
    if inventory.mode == "observed":  # a connection capture: matched to what is stored
        report = ImportReport(inventory.municipality, inventory.source, warnings=list(inventory.warnings))
        store_observed(session, inventory, report)
        return report
    report = ImportReport(inventory.municipality, inventory.source, warnings=list(inventory.warnings))
    municipality = session.execute(
        select(Municipality).where(col(Municipality.name_key) == name_key(inventory.municipality))
    ).scalars().first()
    if municipality is None:
        municipality = Municipality(name=inventory.municipality, name_key=name_key(inventory.municipality))
        session.add(municipality)
        session.flush()
        report.created["municipality"] += 1
    replace = inventory.mode == "replace"
    _assign(municipality, {
        **({"name": inventory.municipality} if replace else {}), "source": inventory.source,
        **(_blanks(Municipality, inventory.municipality_fields, ("name", "name_key", "source", "imported_at")) if replace else {}),
        **inventory.municipality_fields,
    })
    assert municipality.id is not None
    if not replace:
        # Other tools name items differently (FQDN vs short name): match them to what is stored.
        stored = {kind: {row.name: row.model_dump() for row in session.execute(
                      select(table).where(col(table.municipality_id) == municipality.id)).scalars()}
                  for kind, table in ITEM_TABLES.items()}
        report.warnings.extend(reconcile(inventory, stored))
    by_kind: dict[str, list[Any]] = {kind.value: [] for kind in Kind}
    for item in inventory.items:
        by_kind[item.kind.value].append(item)
    for number, (kind, table) in enumerate(ITEM_TABLES.items()):
        if number == len(ITEM_TABLES) // 2:
            session.flush()
            pause("IN_IMPORT")  # half of the items are written: tests kill or race here
        existing = {
            row.name_key: row
            for row in session.execute(select(table).where(col(table.municipality_id) == municipality.id)).scalars()
        }
        listed = set()
        new_rows: list[dict[str, Any]] = []  # inserted in bulk: building ORM objects is the slow part
        for item in by_kind[kind]:
            key = name_key(item.name)
            listed.add(key)
            unknown = set(item.fields) - set(table.model_fields)
            if unknown:  # an importer bug; never drop data silently
                raise TypeError(f"{table.__name__} has no field(s) {', '.join(sorted(unknown))}")
            fields = {"name": item.name, "source_row": item.row, **item.fields}
            row = existing.get(key)
            if row is None:
                new_rows.append({"municipality_id": municipality.id, "name_key": key, **fields})
                report.created[kind] += 1
            elif _assign(row, {**(_blanks(table, item.fields, _ITEM_KEYS) if replace else {}), **fields},
                         keep_blank=not replace):
                report.updated[kind] += 1
            else:
                report.unchanged[kind] += 1
        if inventory.mode == "replace":
            gone = [row for key, row in existing.items() if key not in listed]
            for row in gone:
                session.delete(row)
            report.removed[kind] += len(gone)
            if gone:
                report.warnings.append(_removal_warning(inventory, kind, sorted(row.name for row in gone)))
        if new_rows:
            session.execute(insert(table), new_rows)
    _store_dependencies(session, municipality.id, inventory, report)
    session.flush()
    return report


def _removal_warning(inventory: Inventory, kind: str, names: list[str]) -> str:
    """Why: a workbook replaces the municipality's items, so importing it after RVTools or
    AD drops what those added. The count in the report line is easy to miss; names are not."""
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (f"{inventory.source}: {inventory.municipality}: removes {len(names)} {kind}(s) the file does not "
            f"list ({shown}); a workbook replaces the municipality's items, so import tool exports "
            f"(RVTools, AD, …) after it to merge theirs again")


_ITEM_KEYS = ("id", "municipality_id", "name", "name_key", "source_row")


def _blanks(table: type[Any], given: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """None for every data column the file left blank: a template is the whole truth, so a
    cell the user cleared clears the stored value (required columns are always given)."""
    return {name: None for name in table.model_fields if name not in given and name not in keys and name != "id"}


def _assign(row: Any, fields: dict[str, Any], keep_blank: bool = False) -> bool:
    """Set fields on a row; return whether anything changed."""
    changed = False
    for name, value in fields.items():
        if name == "source_row":
            setattr(row, name, value)
            continue
        if keep_blank and value is None:
            continue
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _store_dependencies(session: Session, municipality_id: int, inventory: Inventory, report: ImportReport) -> None:
    rows = session.execute(select(Dependency).where(col(Dependency.municipality_id) == municipality_id,
                                                    col(Dependency.observed).is_(False))).scalars().all()
    existing: dict[tuple[str, ...], Dependency] = {}
    for row in rows:
        key = _dep_key(row)
        if key in existing:
            session.delete(row)
        else:
            existing[key] = row
    wanted: dict[tuple[str, ...], DependencyRecord] = {}
    for dep in inventory.dependencies:
        wanted.setdefault(dep.key(), dep)
    new_rows = []
    for key, dep in wanted.items():
        if key in existing:
            existing[key].source_row = dep.row
            report.unchanged["dependency"] += 1
            continue
        new_rows.append(dict(
            municipality_id=municipality_id, from_kind=dep.from_kind, from_name=dep.from_name,
            to_kind=dep.to_kind, to_name=dep.to_name, to_municipality=dep.to_municipality,
            kind=dep.kind, strength=dep.strength, note=dep.note, source_row=dep.row,
        ))
        report.created["dependency"] += 1
    if inventory.mode == "replace":
        for key, row in existing.items():
            if key not in wanted:
                session.delete(row)
                report.removed["dependency"] += 1
    if new_rows:
        session.execute(insert(Dependency), new_rows)


def _dep_key(row: Dependency) -> tuple[str, ...]:
    return (row.from_kind, row.from_name.casefold(), row.to_kind, row.to_name.casefold(),
            (row.to_municipality or "").casefold(), row.kind, row.strength, row.note or "")


def import_inventories(engine: Engine, inventories: list[Inventory], *, dry_run: bool = False) -> list[ImportReport]:
    """Store several inventories in ONE transaction: all land or none do."""
    reports: list[ImportReport] = []
    with transaction(engine) as session:
        lock_keys(session, (f"municipality:{name_key(i.municipality)}" for i in inventories))
        # Captures last: their endpoints match the workbooks imported with them.
        for inventory in sorted(inventories, key=lambda i: i.mode == "observed"):
            reports.append(store(session, inventory))
        if dry_run:
            session.rollback()
    return reports


def remove_municipality(engine: Engine, name: str) -> bool:
    with transaction(engine) as session:
        lock_keys(session, [f"municipality:{name_key(name)}"])
        row = session.execute(select(Municipality).where(col(Municipality.name_key) == name_key(name))).scalars().first()
        if row is None:
            return False
        tables: tuple[type[ItemBase | Dependency | ConnectionCapture], ...] = (
            *ITEM_TABLES.values(), Dependency, ConnectionCapture)
        for table in tables:
            session.execute(delete(table).where(col(table.municipality_id) == row.id))
        session.delete(row)
    return True


COUNT_KEYS = ("sites", "networks", "directories", "servers", "applications", "workplaces")


def counts(engine: Engine) -> dict[str, dict[str, int]]:
    """Items per municipality and kind, in the `planner inventory --json` shape."""
    with read_snapshot(engine) as session:
        municipalities = session.execute(select(col(Municipality.id), col(Municipality.name)).order_by(col(Municipality.name))).all()
        result: dict[str, dict[str, int]] = {name: {key: 0 for key in (*COUNT_KEYS, "pcs", "dependencies")}
                                             for _, name in municipalities}
        names = dict(municipalities)
        for key, table in zip(COUNT_KEYS, ITEM_TABLES.values()):
            for mid, n in session.execute(select(col(table.municipality_id), func.count()).group_by(col(table.municipality_id))).all():
                result[names[mid]][key] = n
        for mid, n in session.execute(select(col(WorkplaceGroup.municipality_id), func.sum(col(WorkplaceGroup.pcs))).group_by(col(WorkplaceGroup.municipality_id))).all():
            result[names[mid]]["pcs"] = int(n or 0)
        for mid, n in session.execute(select(col(Dependency.municipality_id), func.count()).group_by(col(Dependency.municipality_id))).all():
            result[names[mid]]["dependencies"] = n
    return result
