"""`planner items`: the effective items with where each value came from.

A data steward asks "why does this server have 32 GB?" more often than "what does it have";
each listed value therefore names the source in force for it, and one item's view shows
every source's value side by side.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from inventories.identity import item_key, source_key
from planner.db import read_snapshot
from exports.errors import PlannerError
from planner.models import ITEM_TABLES, ItemClaim, Municipality, Source, name_key
from planner.sources import Claim, Precedence, best, data_columns, load_claims, load_precedence


def list_items(
    engine: Engine,
    municipality: str | None = None,
    kind: str | None = None,
    source: str | None = None,
) -> list[dict[str, Any]]:
    """Every effective item (optionally of one municipality, kind or source), sorted by id.

    Set-based: one query per item table and one for all claims, whatever the number of
    municipalities; a claim's fields are parsed only where two sources list one item (for
    the rest, every value comes from the one source).
    """
    if kind is not None and kind not in ITEM_TABLES:
        raise PlannerError(f"unknown kind {kind!r}; kinds: {', '.join(ITEM_TABLES)}")
    kinds = [kind] if kind else list(ITEM_TABLES)
    with read_snapshot(engine) as session:
        munis = _municipalities(session, municipality)
        only = [m.id for m in munis] if municipality else None
        claims = _all_claims(session, kinds, only)
        rows = {k: _all_rows(session, k, only) for k in kinds}
        result: list[dict[str, Any]] = []
        for muni in munis:
            assert muni.id is not None
            precedence = load_precedence(session, muni.id)
            result.extend(
                _items_of(
                    muni,
                    precedence,
                    kinds,
                    source,
                    claims,
                    {k: rows[k].get(muni.id, []) for k in kinds},
                )
            )
    return result


RawClaims = dict[tuple[int, str, str], list[tuple[int, str]]]


def _all_claims(session: Session, kinds: list[str], only: list[int | None] | None) -> RawClaims:
    query = select(
        col(ItemClaim.municipality_id),
        col(ItemClaim.kind),
        col(ItemClaim.item_key),
        col(ItemClaim.source_id),
        col(ItemClaim.fields_json),
    ).where(col(ItemClaim.kind).in_(kinds))
    if only is not None:
        query = query.where(col(ItemClaim.municipality_id).in_(only))
    claims: RawClaims = {}
    for muni_id, kind, key, source_id, text in session.connection().execute(
        query.order_by(col(ItemClaim.id))
    ):
        claims.setdefault((muni_id, kind, key), []).append((source_id, text))
    return claims


def _all_rows(session: Session, kind: str, only: list[int | None] | None) -> dict[int, list[Any]]:
    table = ITEM_TABLES[kind].__table__  # type: ignore[attr-defined]
    query = select(table)
    if only is not None:
        query = query.where(table.c.municipality_id.in_(only))
    grouped: dict[int, list[Any]] = {}
    for row in session.connection().execute(query).mappings():
        grouped.setdefault(row["municipality_id"], []).append(row)
    return grouped


def _municipalities(session: Session, name: str | None) -> list[Municipality]:
    query = select(Municipality)
    if name is not None:
        query = query.where(col(Municipality.name_key) == name_key(name))
    found = sorted(session.execute(query).scalars(), key=lambda m: m.name.casefold())
    if name is not None and not found:
        raise PlannerError(f"no municipality {name!r} is stored")
    return found


def _items_of(
    muni: Municipality,
    precedence: Precedence,
    kinds: list[str],
    source: str | None,
    claims: RawClaims,
    rows: dict[str, list[Any]],
) -> list[dict[str, Any]]:
    names = {s.id: s.name for s in precedence.sources}
    wanted = None
    if source is not None:
        wanted = next((s.id for s in precedence.sources if s.key == source_key(source)), None)
        if wanted is None:
            return []
    ranks = precedence.rank("name")
    result = []
    for kind_name in kinds:
        columns = data_columns(ITEM_TABLES[kind_name])
        for row in sorted(rows[kind_name], key=lambda r: r["name_key"]):
            raw = claims.get((muni.id or 0, kind_name, item_key(kind_name, row["name"])), [])
            if wanted is not None and all(source_id != wanted for source_id, _ in raw):
                continue
            fields = {c: row[c] for c in columns if row[c] is not None}
            if len(raw) == 1:  # the usual case: one source gives everything
                origin = {c: names[raw[0][0]] for c in fields}
            else:
                found = [Claim(i, "", json.loads(text or "{}"), None) for i, text in raw]
                origin = {}
                for column in fields:
                    chosen = best(found, precedence.rank(column), column)
                    if chosen is not None:
                        origin[column] = names[chosen.source_id]
            listed = sorted({i for i, _ in raw}, key=lambda i: ranks.get(i, 1 << 30))
            result.append(
                {
                    "id": f"{muni.name}/{kind_name}/{row['name']}",
                    "municipality": muni.name,
                    "kind": kind_name,
                    "name": row["name"],
                    "sources": [names[i] for i in listed],
                    "fields": fields,
                    "from": origin,
                }
            )
    return result


def item_detail(engine: Engine, item_id: str) -> dict[str, Any]:
    """One item with every source's word on it: each field's value in force and the others."""
    parts = item_id.split("/", 2)
    if len(parts) != 3 or parts[1] not in ITEM_TABLES:
        raise PlannerError(f"{item_id!r} is no item id (write municipality/kind/name)")
    muni_name, kind, name = parts
    with read_snapshot(engine) as session:
        [muni] = _municipalities(session, muni_name)
        assert muni.id is not None
        key = item_key(kind, name)
        listed = [
            i for i in list_items(engine, muni.name, kind) if item_key(kind, i["name"]) == key
        ]
        if not listed:
            raise PlannerError(f"{item_id!r} names no item")
        item = listed[0]
        sources = {
            s.id: s
            for s in session.execute(
                select(Source).where(col(Source.municipality_id) == muni.id)
            ).scalars()
        }
        claims = (
            session.execute(
                select(ItemClaim).where(
                    col(ItemClaim.municipality_id) == muni.id,
                    col(ItemClaim.kind) == kind,
                    col(ItemClaim.item_key) == key,
                )
            )
            .scalars()
            .all()
        )
        item["claims"] = [
            {
                "source": sources[c.source_id].name,
                "format": sources[c.source_id].format,
                "file": sources[c.source_id].file,
                "row": c.source_row,
                "name": c.name,
                "seen_at": c.seen_at.isoformat(timespec="seconds"),
                "fields": _fields(c.fields_json),
            }
            for c in sorted(claims, key=lambda c: item["sources"].index(sources[c.source_id].name))
        ]
    return item


def _fields(text: str | None) -> dict[str, Any]:
    import json

    return dict(json.loads(text or "{}"))


def write_csv(items: list[dict[str, Any]], path: Path, force: bool = False) -> int:
    """One row per item and field (id, municipality, kind, name, sources, field, value,
    source); the long shape, since kinds have different fields. Text is neutralised
    against formula injection like every CSV the tool writes."""
    from exports.safe_text import csv_text
    from planner.files import writable

    rows = 0
    with writable(path, force) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["id", "municipality", "kind", "name", "sources", "field", "value", "source"]
        )
        for item in items:
            head = [
                item["id"],
                item["municipality"],
                item["kind"],
                item["name"],
                "; ".join(item["sources"]),
            ]
            for field, value in item["fields"].items():
                writer.writerow(
                    [csv_text(v) for v in (*head, field, value, item["from"].get(field, ""))]
                )
                rows += 1
    return rows


def item_sources(engine: Engine) -> dict[str, list[str]]:
    """item id -> the names of the sources that list it, highest precedence first."""
    result: dict[str, list[str]] = {}
    with read_snapshot(engine) as session:
        for muni in _municipalities(session, None):
            assert muni.id is not None
            precedence = load_precedence(session, muni.id)
            ranks = precedence.rank("name")
            names = {s.id: s.name for s in precedence.sources}
            claims = load_claims(session, muni.id, list(ITEM_TABLES))
            for kind, table in ITEM_TABLES.items():
                for name in session.execute(
                    select(col(table.name)).where(col(table.municipality_id) == muni.id)
                ).scalars():
                    found = claims.get((kind, item_key(kind, name)), [])
                    ordered = sorted(
                        {c.source_id for c in found}, key=lambda i: ranks.get(i, 1 << 30)
                    )
                    result[f"{muni.name}/{kind}/{name}"] = [names[i] for i in ordered]
    return result
