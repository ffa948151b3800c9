"""Issue 17, upgrade in place: a database the previous release (schema 0003) wrote, with an
inventory, a stored plan and a pin, reaches migration 0007 (sources) with every item, value,
dependency, pin and plan intact, as one source `workbook:<municipality>`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, text
from sqlalchemy.engine import Engine

from planner.db import make_engine, open_database, upgrade
from planner.importing import import_files
from planner.snapshot import load
from planner.source_admin import list_sources, remove_source
from tests.conftest import InventoryBook
from tests.old_release import fill_like_previous_release

PREVIOUS = "0003"
MUNI = "Østerå Kommune"


def previous_release_database(db_url: str, book: InventoryBook) -> Engine:
    engine = make_engine(db_url)
    upgrade(engine, PREVIOUS)
    fill_like_previous_release(engine, book.write())
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        plan_id = connection.execute(
            tables.tables["plan"]
            .insert()
            .values(
                created=datetime(2026, 11, 20, 8, 0),
                frozen_through=1,
                config_toml="",
                status="optimal",
                waves_used=2,
                lower_bound_waves=2,
                solve_seconds=2.0,
                first_solution_seconds=1.0,
                seed=0,
                workers=1,
                time_limit=10.0,
                inventory_fingerprint="0" * 64,
            )
        ).inserted_primary_key[0]
        connection.execute(
            tables.tables["plan_item"].insert(),
            [
                {
                    "plan_id": plan_id,
                    "item_id": f"{MUNI}/server/SRV-ØKO-01",
                    "municipality": MUNI,
                    "kind": "server",
                    "name": "SRV-ØKO-01",
                    "wave": 1,
                    "move_group": "G1",
                    "effort_hours": 8.0,
                    "downtime_hours": 4.0,
                },
                {
                    "plan_id": plan_id,
                    "item_id": f"{MUNI}/application/Økonomistyring",
                    "municipality": MUNI,
                    "kind": "application",
                    "name": "Økonomistyring",
                    "wave": 2,
                    "move_group": "G2",
                    "effort_hours": 16.0,
                    "downtime_hours": 2.0,
                    "pinned": 2,
                },
            ],
        )
        connection.execute(
            tables.tables["pin"]
            .insert()
            .values(
                item_id=f"{MUNI}/application/Økonomistyring",
                wave=2,
                source="edited.xlsx",
                created=datetime(2026, 11, 21, 9, 0),
            )
        )
    return engine


def state(engine: Engine) -> dict[str, Any]:
    """Everything the upgrade must keep, read the same way before and after."""
    snapshot = load(engine)
    with engine.connect() as connection:
        rows = {
            table: [tuple(r) for r in connection.execute(text(query))]
            for table, query in {
                "plan": "SELECT id, status, frozen_through, "
                "waves_used, inventory_fingerprint FROM plan",
                "plan_item": "SELECT item_id, wave, move_group, "
                "pinned FROM plan_item ORDER BY item_id",
                "pin": "SELECT item_id, wave, source FROM pin ORDER BY item_id",
            }.items()
        }
    return {
        "items": {
            i.id: {k: v for k, v in i.fields.items() if k != "source_row"}
            for i in snapshot.items.values()
        },
        "dependencies": sorted(map(repr, snapshot.dependencies)),
        "municipalities": {
            k: {f: v for f, v in m.items() if f != "source"}
            for k, m in snapshot.municipalities.items()
        },
        **rows,
    }


def test_previous_release_database_upgrades_with_every_item_value_dependency_pin_and_plan(
    db_url: str, book: InventoryBook
) -> None:
    old = previous_release_database(db_url, book)
    before = state(old)
    assert len(before["items"]) == 11 and len(before["dependencies"]) == 4
    old.dispose()
    engine = open_database(db_url)
    assert state(engine) == before
    [listed] = list_sources(engine)
    assert [(s["name"], s["format"], s["items"]) for s in listed["sources"]] == [
        (f"workbook:{MUNI}", "workbook", 11)
    ]
    # The same workbook imported under its own source name changes nothing, and the
    # migrated source can then be withdrawn without losing anything.
    [report] = import_files(engine, [book.write()])
    assert (
        sum(report.created.values()),
        sum(report.updated.values()),
        sum(report.removed.values()),
    ) == (0, 0, 0)
    remove_source(engine, f"workbook:{MUNI}", MUNI)
    assert state(engine) == before
    engine.dispose()
