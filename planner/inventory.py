"""Storing validated inventories and counting what is stored.

An import is one transaction and belongs to one named source of one municipality: it
replaces that source's claims and dependencies whole, then the municipality's effective
items are recomputed from all of its sources (`planner.sources`). Ids stay stable, so a
re-import of the same file changes nothing, in any order of sources; an item goes only
when no source lists it. Any error rolls everything back.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from inventories.identity import item_key, normalise, source_key
from inventories.records import DependencyRecord, Inventory, ItemRecord
from inventories.values import show
from planner.connections import store_observed
from planner.db import lock_keys, read_snapshot, transaction
from exports.errors import ImportFailed
from planner.models import (
    ITEM_TABLES,
    ConnectionCapture,
    Dependency,
    ItemBase,
    ItemClaim,
    Municipality,
    Source,
    SourceOrder,
    WorkplaceGroup,
    utcnow,
)
from planner.models import name_key as municipality_key
from planner.sources import (
    DEPENDENCY_COLUMNS,
    MUNICIPALITY_KIND,
    Change,
    Conflict,
    bulk_insert,
    chunks,
    dependency_key,
    effective_dependencies,
    find_conflicts,
    materialise,
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
    #: The source the file was stored as (`workbook:nordby`), and every effective change.
    source_name: str = ""
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def line(self) -> str:
        def fmt(counter: Counter[str]) -> str:
            return str(sum(counter.values()))

        return (
            f"{self.source}: {self.municipality}: "
            f"{fmt(self.created)} created, {fmt(self.updated)} updated, "
            f"{fmt(self.removed)} removed, {fmt(self.unchanged)} unchanged"
        )

    def change_lines(self) -> list[str]:
        """The change set, one line per item: `updated server X (ram_gb: 16 → 32)`."""
        lines = []
        for change in self.changes:
            detail = "; ".join(
                f"{name}: {_text(old)} → {_text(new)}" for name, (old, new) in change.fields.items()
            )
            lines.append(
                f"{self.source_name}: {change.action} {change.kind} {change.name}"
                + (f" ({detail})" if detail else "")
            )
        return lines

    def as_dict(self) -> dict[str, Any]:
        """The `planner import --json` shape of one file's import."""
        return {
            "file": self.source,
            "municipality": self.municipality,
            "source": self.source_name,
            **{
                name: {k: n for k, n in getattr(self, name).items() if n}
                for name in ("created", "updated", "removed", "unchanged")
            },
            "changes": [c.as_dict() for c in self.changes],
            "conflicts": [c.as_dict() for c in self.conflicts],
            "warnings": self.warnings,
        }


def _text(value: Any) -> str:
    return "blank" if value is None else str(value)


def store(session: Session, inventory: Inventory) -> ImportReport:
    """Replace one source's contribution to one municipality inside an open transaction.

    The source's claims and dependencies are replaced whole; then the municipality's items
    are recomputed from all its sources (`planner.sources.materialise`), so what other
    sources gave stays, and an item goes only when no source lists it any more. A connection
    capture is matched to what is stored and replaces the previous capture's observed
    dependencies (`planner.connections.store_observed`).
    """
    if inventory.mode == "observed":
        report = ImportReport(
            inventory.municipality, inventory.source, warnings=list(inventory.warnings)
        )
        store_observed(session, inventory, report)
        return report
    report = ImportReport(
        inventory.municipality, inventory.source, warnings=list(inventory.warnings)
    )
    municipality = _municipality(session, inventory, report)
    assert municipality.id is not None
    report.municipality = municipality.name
    source = _source(session, municipality.id, inventory, report)
    assert source.id is not None
    report.source_name = source.name
    before = _dependency_keys(session, municipality.id)
    listed = _replace_claims(session, municipality.id, source.id, inventory, report)
    session.flush()
    pause(
        "IN_IMPORT"
    )  # the source's claims are written, the items not yet: tests kill or race here
    mine = _replace_dependencies(session, municipality.id, source.id, inventory)
    changes = materialise(session, municipality.id)
    after = _dependency_keys(session, municipality.id)
    _tally(report, changes, listed, before, after, mine)
    report.conflicts = [
        c
        for c in find_conflicts(session, municipality)
        if source.name in (c.source, *(name for name, _ in c.others))
    ]
    report.warnings.extend(_conflict_line(report, c) for c in report.conflicts[:_SHOWN_CONFLICTS])
    if len(report.conflicts) > _SHOWN_CONFLICTS:
        report.warnings.append(
            f"{report.source}: and {len(report.conflicts) - _SHOWN_CONFLICTS} more "
            "conflict(s); "
            f"`planner sources conflicts -m {report.municipality}` lists them all"
        )
    session.flush()
    return report


def _municipality(session: Session, inventory: Inventory, report: ImportReport) -> Municipality:
    """The stored municipality the file names, matched case-insensitively; created if new.

    Why the stored spelling stays: item ids (`Testby/server/X`) live on in plans and pins,
    so a file that writes `TESTBY` must not rename them; `planner municipality rename` does.
    """
    key = municipality_key(inventory.municipality)
    found = (
        session.execute(select(Municipality).where(col(Municipality.name_key) == key))
        .scalars()
        .first()
    )
    if found is None:
        found = Municipality(name=inventory.municipality.strip(), name_key=key)
        session.add(found)
        session.flush()
        report.created["municipality"] += 1
    elif found.name != inventory.municipality.strip():
        report.warnings.append(
            f"{inventory.source}: "
            f"the municipality is written {show(inventory.municipality)} here and "
            f"stored as {show(found.name)}; it keeps the stored name, so plans and pins stay valid "
            f"(`planner municipality rename` renames it on purpose)"
        )
    return found


def default_source_name(inventory: Inventory) -> str:
    """`workbook:nordby`, `rvtools:RVTools_export`: the format and the file's stem."""
    stem = Path(inventory.source).stem or inventory.source
    return f"{inventory.format}:{stem}"


def _source(
    session: Session, municipality_id: int, inventory: Inventory, report: ImportReport
) -> Source:
    name = (inventory.source_name or default_source_name(inventory)).strip()
    key = source_key(name)
    found = (
        session.execute(
            select(Source).where(
                col(Source.municipality_id) == municipality_id, col(Source.name_key) == key
            )
        )
        .scalars()
        .first()
    )
    now = utcnow()
    if found is None:
        found = Source(
            municipality_id=municipality_id,
            name=name,
            name_key=key,
            format=inventory.format,
            file=inventory.source,
            imported_at=now,
        )
        session.add(found)
        session.flush()
        return found
    if found.format != inventory.format:
        report.warnings.append(
            f"{inventory.source}: source {show(found.name)} held a {found.format} "
            f"file and now holds a {inventory.format} file"
        )
    found.format, found.file, found.imported_at = inventory.format, inventory.source, now
    return found


def _merged_items(inventory: Inventory, report: ImportReport) -> dict[tuple[str, str], ItemRecord]:
    """The file's items by identity; a tool export that lists one item twice (a VM under its
    FQDN and its short name, say) is merged with a warning, the first non-blank value winning.
    Workbooks refuse such rows while reading (`template_reader`), naming both cells."""
    merged: dict[tuple[str, str], ItemRecord] = {}
    for item in inventory.items:
        unknown = set(item.fields) - set(ITEM_TABLES[item.kind.value].model_fields)
        if unknown:  # an importer bug; never drop data silently
            raise TypeError(
                f"{ITEM_TABLES[item.kind.value].__name__} has no field(s) "
                f"{', '.join(sorted(unknown))}"
            )
        key = (item.kind.value, item_key(item.kind.value, item.name))
        first = merged.get(key)
        if first is None:
            merged[key] = ItemRecord(item.kind, item.name, dict(item.fields), item.row)
            continue
        for name, value in item.fields.items():
            if first.fields.get(name) is None:
                first.fields[name] = value
        if normalise(item.name) == normalise(first.name):
            continue  # the reader already warned, naming the cell
        where = f"row {item.row}" if item.row else "a later row"
        report.warnings.append(
            f"{inventory.source}: "
            f"{item.kind.value} {show(item.name)} ({where}) is the same item as "
            f"{show(first.name)}"
            + (f" (row {first.row})" if first.row else "")
            + "; merged into one (the first non-blank value of each field is kept)"
        )
    return merged


def _replace_claims(
    session: Session,
    municipality_id: int,
    source_id: int,
    inventory: Inventory,
    report: ImportReport,
) -> set[tuple[str, str]]:
    """Replace what one source says; a claim that did not change keeps when it was first seen."""
    old = {
        (kind, key): (name, text, seen)
        for kind, key, name, text, seen in session.execute(
            select(
                col(ItemClaim.kind),
                col(ItemClaim.item_key),
                col(ItemClaim.name),
                col(ItemClaim.fields_json),
                col(ItemClaim.seen_at),
            ).where(col(ItemClaim.source_id) == source_id)
        )
    }
    session.execute(delete(ItemClaim).where(col(ItemClaim.source_id) == source_id))
    now = utcnow()
    rows = []
    merged = _merged_items(inventory, report)
    facts = {k: v for k, v in inventory.municipality_fields.items() if v is not None}
    entries: list[tuple[str, str, str, dict[str, Any], int | None]]
    entries = (
        [
            (
                MUNICIPALITY_KIND,
                municipality_key(inventory.municipality),
                inventory.municipality.strip(),
                facts,
                None,
            )
        ]
        if facts
        else []
    )
    entries += [
        (kind, key, item.name, {k: v for k, v in item.fields.items() if v is not None}, item.row)
        for (kind, key), item in merged.items()
    ]
    for kind, key, name, fields, row in entries:
        text = json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str)
        previous = old.get((kind, key))
        seen = previous[2] if previous and previous[:2] == (name, text) else now
        rows.append(
            {
                "source_id": source_id,
                "municipality_id": municipality_id,
                "kind": kind,
                "item_key": key,
                "name": name,
                "fields_json": text,
                "source_row": row,
                "seen_at": seen,
            }
        )
    if rows:
        bulk_insert(session, ItemClaim, rows)
    return set(merged)


def _replace_dependencies(
    session: Session, municipality_id: int, source_id: int, inventory: Inventory
) -> set[tuple[str, ...]]:
    """Make the source's dependency rows equal to the file's; rows that stay keep their ids
    (on PostgreSQL a delete-and-insert would renumber them on every re-import)."""
    wanted: dict[tuple[str, ...], DependencyRecord] = {}
    for dep in inventory.dependencies:
        wanted.setdefault(dependency_key(dep), dep)
    connection = session.connection()
    kept: dict[tuple[str, ...], tuple[int, int | None]] = {}
    stale: list[int] = []
    for row in connection.execute(
        select(*DEPENDENCY_COLUMNS).where(col(Dependency.source_id) == source_id)
    ):
        key = dependency_key(row)
        if key in wanted and key not in kept:
            kept[key] = (row.id, row.source_row)
        else:
            stale.append(row.id)
    for chunk in chunks(stale):
        session.execute(delete(Dependency).where(col(Dependency.id).in_(chunk)))
    moved = [
        {"b_id": kept[key][0], "source_row": dep.row}
        for key, dep in wanted.items()
        if key in kept and kept[key][1] != dep.row
    ]
    if moved:
        table = Dependency.__table__  # type: ignore[attr-defined]
        connection.execute(table.update().where(table.c.id == bindparam("b_id")), moved)
    rows = [
        {
            "municipality_id": municipality_id,
            "source_id": source_id,
            "from_kind": dep.from_kind,
            "from_name": dep.from_name,
            "to_kind": dep.to_kind,
            "to_name": dep.to_name,
            "to_municipality": dep.to_municipality,
            "kind": dep.kind,
            "strength": dep.strength,
            "note": dep.note,
            "source_row": dep.row,
        }
        for key, dep in wanted.items()
        if key not in kept
    ]
    if rows:
        bulk_insert(session, Dependency, rows)
    return set(wanted)


def _dependency_keys(session: Session, municipality_id: int) -> set[tuple[str, ...]]:
    return {
        dependency_key(row)
        for row in session.connection().execute(
            select(*DEPENDENCY_COLUMNS).where(col(Dependency.municipality_id) == municipality_id)
        )
    }


def _tally(
    report: ImportReport,
    changes: list[Change],
    listed: set[tuple[str, str]],
    before: set[tuple[str, ...]],
    after: set[tuple[str, ...]],
    mine: set[tuple[str, ...]],
) -> None:
    """Counts of what changed in the municipality's effective inventory; `unchanged` counts
    what this source lists that stayed as it was."""
    touched = set()
    for change in changes:
        getattr(report, change.action)[change.kind] += 1
        touched.add((change.kind, item_key(change.kind, change.name)))
    report.changes.extend(changes)
    for kind, key in listed - touched:
        report.unchanged[kind] += 1
    report.created["dependency"] += len(after - before)
    report.removed["dependency"] += len(before - after)
    report.unchanged["dependency"] += len(mine & before)
    gone: dict[str, list[str]] = {}
    for change in changes:
        if change.action == "removed":
            gone.setdefault(change.kind, []).append(change.name)
    report.warnings.extend(
        _removal_warning(report, kind, sorted(names)) for kind, names in gone.items()
    )


_SHOWN_CONFLICTS = 20  # a tool export can disagree on thousands of values: the rest are counted


def _conflict_line(report: ImportReport, conflict: Conflict) -> str:
    """One line per disagreement this source is part of: both values, and which one is used."""
    others = "; ".join(f"{name} says {show(value)}" for name, value in conflict.others)
    return (
        f"{report.source}: conflict: {conflict.kind} {show(conflict.name)} {conflict.field}: "
        f"{conflict.source} says {show(conflict.value)}; {others}; {show(conflict.value)} is "
        f"used ({conflict.source} ranks first for {conflict.field}; "
        "`planner sources order` changes that)"
    )


def _removal_warning(report: ImportReport, kind: str, names: list[str]) -> str:
    """Why: the count in the report line is easy to miss; names are not."""
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"{report.source}: {report.municipality}: "
        f"removes {len(names)} {kind}(s) that no source lists any more ({shown})"
    )


def _unresolved(session: Session, inventory: Inventory) -> list[str]:
    """The file's references to items it does not hold that no other source of its
    municipality holds either (checked after every file of the import is stored)."""
    if not inventory.unresolved:
        return []
    municipality = (
        session.execute(
            select(Municipality).where(
                col(Municipality.name_key) == municipality_key(inventory.municipality)
            )
        )
        .scalars()
        .one()
    )
    known: dict[str, set[str]] = {}
    for kind in {kind for _, kind, _ in inventory.unresolved}:
        table = ITEM_TABLES[kind]
        known[kind] = {
            item_key(kind, name)
            for name in session.execute(
                select(col(table.name)).where(col(table.municipality_id) == municipality.id)
            ).scalars()
        }
    return [
        f"{message} (nor does any other source of {municipality.name})"
        for message, kind, name in inventory.unresolved
        if item_key(kind, name) not in known[kind]
    ]


def import_inventories(
    engine: Engine, inventories: list[Inventory], *, dry_run: bool = False
) -> list[ImportReport]:
    """Store several inventories in ONE transaction: all land or none do."""
    reports: list[ImportReport] = []
    with transaction(engine) as session:
        lock_keys(
            session, (f"municipality:{municipality_key(i.municipality)}" for i in inventories)
        )
        # Captures last: their endpoints match the workbooks imported with them.
        for inventory in sorted(inventories, key=lambda i: i.mode == "observed"):
            reports.append(store(session, inventory))
        problems = [
            problem for inventory in inventories for problem in _unresolved(session, inventory)
        ]
        if problems:
            raise ImportFailed(problems)
        if dry_run:
            session.rollback()
    return reports


def remove_municipality(engine: Engine, name: str) -> bool:
    with transaction(engine) as session:
        lock_keys(session, [f"municipality:{municipality_key(name)}"])
        row = (
            session.execute(
                select(Municipality).where(col(Municipality.name_key) == municipality_key(name))
            )
            .scalars()
            .first()
        )
        if row is None:
            return False
        tables: tuple[
            type[ItemBase | Dependency | ConnectionCapture | ItemClaim | SourceOrder | Source], ...
        ] = (*ITEM_TABLES.values(), Dependency, ConnectionCapture, ItemClaim, SourceOrder, Source)
        for table in tables:
            session.execute(delete(table).where(col(table.municipality_id) == row.id))
        session.delete(row)
    return True


COUNT_KEYS = ("sites", "networks", "directories", "servers", "applications", "workplaces")


def counts(engine: Engine) -> dict[str, dict[str, int]]:
    """Items per municipality and kind, in the `planner inventory --json` shape."""
    with read_snapshot(engine) as session:
        municipalities = session.execute(
            select(col(Municipality.id), col(Municipality.name)).order_by(col(Municipality.name))
        ).all()
        result: dict[str, dict[str, int]] = {
            name: {key: 0 for key in (*COUNT_KEYS, "pcs", "dependencies")}
            for _, name in municipalities
        }
        names = dict(municipalities)
        for key, table in zip(COUNT_KEYS, ITEM_TABLES.values()):
            for mid, n in session.execute(
                select(col(table.municipality_id), func.count()).group_by(
                    col(table.municipality_id)
                )
            ).all():
                result[names[mid]][key] = n
        for mid, n in session.execute(
            select(col(WorkplaceGroup.municipality_id), func.sum(col(WorkplaceGroup.pcs))).group_by(
                col(WorkplaceGroup.municipality_id)
            )
        ).all():
            result[names[mid]]["pcs"] = int(n or 0)
        deps = session.execute(select(*DEPENDENCY_COLUMNS).order_by(col(Dependency.id))).all()
        for dep in effective_dependencies(deps):
            result[names[dep.municipality_id]]["dependencies"] += 1
    return result


def graph_counts(engine: Engine) -> dict[str, dict[str, int]]:
    """Dependencies per municipality as `planner graph export` counts them: the edges of
    the dependency graph, each named explicit (a Dependencies row) or implicit (a column such
    as a server's network); an edge belongs to the municipality of the item that needs.

    Why beside `dependencies` (the stored Dependencies rows): the two numbers differ by
    design (columns add edges, dangling rows add none), and naming both keeps them from
    seeming to disagree.
    """
    from planner.graph import build
    from planner.snapshot import load

    graph = build(load(engine))
    result: dict[str, dict[str, int]] = {}
    for name in graph.snapshot.municipalities:
        result[name] = {
            "explicit_dependencies": 0,
            "implicit_dependencies": 0,
            "graph_dependencies": 0,
        }
    for source, _, data in graph.graph.edges(data=True):
        entry = result[graph.snapshot.items[source].municipality]
        explicit = str(data.get("origin", "")).startswith("Dependencies")
        entry["explicit_dependencies" if explicit else "implicit_dependencies"] += 1
        entry["graph_dependencies"] += 1
    return result
