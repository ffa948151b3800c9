"""Databases as the previous releases wrote them, for the upgrade tests.

Today's import writes today's tables (sources, claims), which an old schema does not have;
an old database is therefore filled through its own reflected tables, with exactly the
rows the old import wrote: one municipality row, the items with their case-folded
`name_key`, the dependencies.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from inventories.detect import read_any

ITEM_TABLES = ("site", "network", "directory", "server", "application", "workplace")


def fill_like_previous_release(engine: Engine, path: Path, municipality: str | None = None) -> str:
    """Store one inventory file the way the release before sources did; returns the
    municipality's name."""
    inventory = read_any(path, municipality=municipality)
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        muni_id = connection.execute(
            tables.tables["municipality"]
            .insert()
            .values(
                name=inventory.municipality,
                name_key=inventory.municipality.strip().casefold(),
                source=str(path),
                imported_at=datetime(2026, 10, 1, 9, 0),
                **inventory.municipality_fields,
            )
        ).inserted_primary_key[0]
        rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in ITEM_TABLES}
        for item in inventory.items:
            rows[item.kind.value].append(
                dict(
                    municipality_id=muni_id,
                    name=item.name,
                    name_key=item.name.strip().casefold(),
                    source_row=item.row,
                    **item.fields,
                )
            )
        for kind, kind_rows in rows.items():
            for row in kind_rows:  # one by one: the rows set different columns
                connection.execute(tables.tables[kind].insert().values(**row))
        deps = [
            {
                "municipality_id": muni_id,
                "from_kind": d.from_kind,
                "from_name": d.from_name,
                "to_kind": d.to_kind,
                "to_name": d.to_name,
                "to_municipality": d.to_municipality,
                "kind": d.kind,
                "strength": d.strength,
                "note": d.note,
                "source_row": d.row,
            }
            for d in inventory.dependencies
        ]
        if deps:
            connection.execute(tables.tables["dependency"].insert(), deps)
    return inventory.municipality
