"""What `planner sources` and `planner municipality` do: list, withdraw and order sources,
list conflicts, rename a municipality. Each write is one transaction under the
municipality's lock, like an import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from inventories.identity import source_key
from planner.db import lock_keys, read_snapshot, transaction
from exports.errors import PlannerError
from planner.models import (
    ITEM_TABLES,
    Dependency,
    ConnectionCapture,
    ItemClaim,
    Municipality,
    Pin,
    PlanItem,
    Progress,
    Source,
    SourceOrder,
    name_key,
)
from planner.sources import (
    ALL_FIELDS,
    DESCRIPTIVE,
    TECHNICAL,
    Change,
    Conflict,
    find_conflicts,
    known_fields,
    load_precedence,
    materialise,
)


def _municipality(session: Session, name: str) -> Municipality:
    found = (
        session.execute(select(Municipality).where(col(Municipality.name_key) == name_key(name)))
        .scalars()
        .first()
    )
    if found is None:
        known = (
            ", ".join(sorted(session.execute(select(col(Municipality.name))).scalars())) or "none"
        )
        raise PlannerError(f"no municipality {name!r} is stored (stored: {known})")
    return found


def _municipalities(session: Session, name: str | None) -> list[Municipality]:
    if name is not None:
        return [_municipality(session, name)]
    return sorted(session.execute(select(Municipality)).scalars(), key=lambda m: m.name.casefold())


def list_sources(engine: Engine, municipality: str | None = None) -> list[dict[str, Any]]:
    """Each municipality's sources with what they give and their place in the precedence."""
    result = []
    with read_snapshot(engine) as session:
        for muni in _municipalities(session, municipality):
            assert muni.id is not None
            precedence = load_precedence(session, muni.id)
            descriptive = [s.name for s in precedence.ranking(DESCRIPTIVE[0])]
            technical = [s.name for s in precedence.ranking(TECHNICAL[0])]
            given = _given(session, muni.id)
            rows = (
                session.execute(select(Source).where(col(Source.municipality_id) == muni.id))
                .scalars()
                .all()
            )
            sources = [
                {
                    "name": s.name,
                    "format": s.format,
                    "file": s.file,
                    "imported_at": s.imported_at.isoformat(timespec="seconds"),
                    "items": given.get(s.id, (0, 0))[0],
                    "fields": given.get(s.id, (0, 0))[1],
                    "precedence": {
                        "descriptive": descriptive.index(s.name) + 1,
                        "technical": technical.index(s.name) + 1,
                    },
                }
                for s in sorted(rows, key=lambda s: descriptive.index(s.name))
            ]
            capture = _capture_entry(session, muni.id)
            if capture is not None:
                sources.append(capture)
            result.append(
                {
                    "municipality": muni.name,
                    "sources": sources,
                    "order": {
                        "descriptive": descriptive,
                        "technical": technical,
                        "overrides": precedence.orders_by_name(),
                    },
                }
            )
    return result


def capture_name(files: str) -> str:
    """A connection capture's source name: `connections:` and its (first) file's stem."""
    return f"connections:{Path(files.split(', ')[0]).stem}"


def _capture(session: Session, municipality_id: int) -> ConnectionCapture | None:
    return (
        session.execute(
            select(ConnectionCapture).where(
                col(ConnectionCapture.municipality_id) == municipality_id
            )
        )
        .scalars()
        .first()
    )


def _capture_entry(session: Session, municipality_id: int) -> dict[str, Any] | None:
    """The municipality's connection capture (issue 19) as `planner sources` lists it.

    Why apart from the `source` table: a capture gives observed dependencies only, never an
    item field, so it has no place in the precedence; a newer capture replaces it whole.
    """
    capture = _capture(session, municipality_id)
    if capture is None:
        return None
    observed = session.execute(
        select(func.count())
        .select_from(Dependency)
        .where(
            col(Dependency.municipality_id) == municipality_id, col(Dependency.observed).is_(True)
        )
    ).scalar_one()
    return {
        "name": capture_name(capture.source),
        "format": "connections",
        "file": capture.source,
        "imported_at": capture.imported_at.isoformat(timespec="seconds"),
        "items": 0,
        "fields": 0,
        "dependencies": observed,
        "precedence": None,
    }


def _remove_capture(session: Session, muni: Municipality, name: str) -> str | None:
    """Withdraw the connection capture if `name` names it (its name, or `connections`)."""
    assert muni.id is not None
    capture = _capture(session, muni.id)
    if capture is None or source_key(name) not in {
        source_key(capture_name(capture.source)),
        source_key("connections"),
    }:
        return None
    session.execute(
        delete(Dependency).where(
            col(Dependency.municipality_id) == muni.id, col(Dependency.observed).is_(True)
        )
    )
    session.delete(capture)
    return capture_name(capture.source)


def _given(session: Session, municipality_id: int) -> dict[int, tuple[int, int]]:
    """source id -> (items it lists, field values it gives)."""
    given: dict[int, list[int]] = {}
    for source_id, kind, text in session.execute(
        select(col(ItemClaim.source_id), col(ItemClaim.kind), col(ItemClaim.fields_json)).where(
            col(ItemClaim.municipality_id) == municipality_id
        )
    ):
        counts = given.setdefault(source_id, [0, 0])
        counts[0] += kind in ITEM_TABLES
        counts[1] += len(json.loads(text or "{}"))
    return {k: (v[0], v[1]) for k, v in given.items()}


def remove_source(
    engine: Engine, name: str, municipality: str, *, force: bool = False
) -> tuple[str, list[Change]]:
    """Withdraw one source: the result equals never having imported it.

    The last source of a municipality takes the municipality with it; if a stored plan
    holds the municipality's items that is refused without `force`, since the plan would
    then name items that no longer exist.
    """
    with transaction(engine) as session:
        lock_keys(session, [f"municipality:{name_key(municipality)}"])
        muni = _municipality(session, municipality)
        assert muni.id is not None
        withdrawn = _remove_capture(session, muni, name)
        if withdrawn is not None:  # observed dependencies only: no item changes
            return withdrawn, []
        source = _source(session, muni, name)
        others = session.execute(
            select(func.count())
            .select_from(Source)
            .where(col(Source.municipality_id) == muni.id, col(Source.id) != source.id)
        ).scalar_one()
        if not others:
            _last_source(session, muni, source, force)
        session.execute(delete(ItemClaim).where(col(ItemClaim.source_id) == source.id))
        session.execute(delete(Dependency).where(col(Dependency.source_id) == source.id))
        _drop_from_orders(session, muni.id, source.name_key)
        session.delete(source)
        session.flush()
        changes = materialise(session, muni.id)
        if not others:
            session.execute(delete(SourceOrder).where(col(SourceOrder.municipality_id) == muni.id))
            session.delete(muni)
        return source.name, changes


def _source(session: Session, muni: Municipality, name: str) -> Source:
    found = (
        session.execute(
            select(Source).where(
                col(Source.municipality_id) == muni.id, col(Source.name_key) == source_key(name)
            )
        )
        .scalars()
        .first()
    )
    if found is None:
        known = (
            ", ".join(
                sorted(
                    session.execute(
                        select(col(Source.name)).where(col(Source.municipality_id) == muni.id)
                    ).scalars()
                )
            )
            or "none"
        )
        raise PlannerError(f"{muni.name} has no source {name!r} (its sources: {known})")
    return found


def _last_source(session: Session, muni: Municipality, source: Source, force: bool) -> None:
    prefix = f"{muni.name}/"
    plans = sorted(
        set(
            session.execute(
                select(col(PlanItem.plan_id)).where(
                    col(PlanItem.item_id).startswith(prefix, autoescape=True)
                )
            ).scalars()
        )
    )
    if plans and not force:
        shown = ", ".join(str(p) for p in plans[:5])
        raise PlannerError(
            f"{source.name} is the last source of {muni.name}: "
            "removing it removes the municipality, "
            f"and stored plan(s) {shown} would keep waves for its items that no longer exist "
            f"(verify would fail, replan would drop them); add --force to remove it all the same"
        )


def _drop_from_orders(session: Session, municipality_id: int, key: str) -> None:
    for order in session.execute(
        select(SourceOrder).where(col(SourceOrder.municipality_id) == municipality_id)
    ).scalars():
        names = [n for n in json.loads(order.sources_json or "[]") if n != key]
        if names:
            order.sources_json = json.dumps(names, ensure_ascii=False)
        else:
            session.delete(order)


def set_order(
    engine: Engine, municipality: str, names: list[str], field: str | None = None
) -> list[Change]:
    """A municipality's own precedence for all fields or one; no names resets to the default."""
    if field is not None and field not in known_fields():
        raise PlannerError(f"unknown field {field!r}; fields: {', '.join(sorted(known_fields()))}")
    with transaction(engine) as session:
        lock_keys(session, [f"municipality:{name_key(municipality)}"])
        muni = _municipality(session, municipality)
        assert muni.id is not None
        keys = [_source(session, muni, name).name_key for name in names]
        if len(set(keys)) != len(keys):
            raise PlannerError("a source is named twice in the order")
        session.execute(
            delete(SourceOrder).where(
                col(SourceOrder.municipality_id) == muni.id,
                col(SourceOrder.field) == (field or ALL_FIELDS),
            )
        )
        if keys:
            session.add(
                SourceOrder(
                    municipality_id=muni.id,
                    field=field or ALL_FIELDS,
                    sources_json=json.dumps(keys, ensure_ascii=False),
                )
            )
        session.flush()
        return materialise(session, muni.id)


def conflicts(engine: Engine, municipality: str | None = None) -> list[Conflict]:
    with read_snapshot(engine) as session:
        return [
            c
            for muni in _municipalities(session, municipality)
            for c in find_conflicts(session, muni)
        ]


def rename_municipality(engine: Engine, old: str, new: str) -> dict[str, int]:
    """Rename a municipality on purpose: its item ids in plans and pins, references from
    other municipalities' dependencies and `target` values follow, so plans stay valid."""
    new = new.strip()
    if not new or len(new) > 200 or "/" in new or any(ord(ch) < 32 for ch in new):
        raise PlannerError(
            f"a municipality name must be 1 to 200 characters without '/' or "
            f"control characters, got {new!r}"
        )
    with transaction(engine) as session:
        lock_keys(session, [f"municipality:{name_key(old)}", f"municipality:{name_key(new)}"])
        muni = _municipality(session, old)
        clash = (
            session.execute(select(Municipality).where(col(Municipality.name_key) == name_key(new)))
            .scalars()
            .first()
        )
        if clash is not None and clash.id != muni.id:
            raise PlannerError(
                f"a municipality {clash.name!r} is already stored; remove or rename it first"
            )
        before = muni.name
        muni.name, muni.name_key = new, name_key(new)
        return _follow_rename(session, before, new)


def _follow_rename(session: Session, old: str, new: str) -> dict[str, int]:
    """Everything that names a municipality by its text follows its new name."""
    moved = {"plan items": 0, "pins": 0, "progress": 0, "dependencies": 0, "targets": 0}
    prefix = f"{old}/"
    for row in session.execute(
        select(PlanItem).where(col(PlanItem.item_id).startswith(prefix, autoescape=True))
    ).scalars():
        row.item_id, row.municipality = new + "/" + row.item_id[len(prefix) :], new
        moved["plan items"] += 1
    for pin in session.execute(select(Pin)).scalars():
        if pin.item_id.casefold().startswith(prefix.casefold()):
            pin.item_id = new + "/" + pin.item_id[len(prefix) :]
            moved["pins"] += 1
    for state in session.execute(
        select(Progress).where(  # issue 22: the progress history
            col(Progress.item_id).startswith(prefix, autoescape=True)
        )
    ).scalars():
        state.item_id = new + "/" + state.item_id[len(prefix) :]
        moved["progress"] += 1
    result = session.execute(
        update(Dependency)
        .where(func.lower(col(Dependency.to_municipality)) == old.lower())
        .values(to_municipality=new)
    )
    moved["dependencies"] = result.rowcount or 0  # type: ignore[attr-defined]
    for claim in session.execute(
        select(ItemClaim).where(col(ItemClaim.kind) == "application")
    ).scalars():
        fields = json.loads(claim.fields_json or "{}")
        target = fields.get("target")
        if isinstance(target, str) and target.casefold().startswith(prefix.casefold()):
            fields["target"] = new + "/" + target[len(prefix) :]
            claim.fields_json = json.dumps(fields, ensure_ascii=False, sort_keys=True)
            moved["targets"] += 1
    session.flush()
    for muni_id in session.execute(select(col(Municipality.id))).scalars():
        materialise(session, muni_id)  # the targets above, in the item tables too
    return moved
