"""Schema upgrades: a database made by the first release, filled with real data, must reach
this program's schema with every row intact; older and newer databases get one clear sentence."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.engine import Engine, make_url

from planner.db import (
    alembic_config,
    current_revision,
    database_url,
    head_revision,
    make_engine,
    open_database,
    upgrade,
)
from planner.importing import import_files
from planner.inventory import counts
from planner.models import ITEM_TABLES
from planner.planning import inventory_state, latest_plan, plan_config
from planner.snapshot import load
from tests.conftest import VALID_COUNTS, InventoryBook
from tests.old_release import fill_like_previous_release

FIRST = "0001"
MUNICIPALITY = "Østerå Kommune"


def first_release_database(db_url: str, book: InventoryBook) -> Engine:
    """A database at migration 0001 holding an imported inventory and one stored plan.

    The plan is inserted through the reflected 0001 tables, not today's models, so the
    fill uses exactly the columns the first release had.
    """
    engine = make_engine(db_url)
    upgrade(engine, FIRST)
    fill_like_previous_release(engine, book.write())
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        plan_id = connection.execute(
            tables.tables["plan"]
            .insert()
            .values(
                created=datetime(2026, 11, 1, 12, 0),
                frozen_through=0,
                config_toml="",
                status="optimal",
                waves_used=2,
                lower_bound_waves=2,
                solve_seconds=1.5,
                first_solution_seconds=0.5,
                seed=0,
                workers=1,
                time_limit=10.0,
            )
        ).inserted_primary_key[0]
        connection.execute(
            tables.tables["plan_item"].insert(),
            [
                dict(
                    plan_id=plan_id,
                    item_id=f"{MUNICIPALITY}/server/SRV-ØKO-01",
                    municipality=MUNICIPALITY,
                    kind="server",
                    name="SRV-ØKO-01",
                    wave=1,
                    move_group="G0001",
                    effort_hours=8.0,
                    downtime_hours=4.0,
                ),
                dict(
                    plan_id=plan_id,
                    item_id=f"{MUNICIPALITY}/application/Økonomistyring",
                    municipality=MUNICIPALITY,
                    kind="application",
                    name="Økonomistyring",
                    wave=2,
                    move_group="G0002",
                    effort_hours=16.0,
                    downtime_hours=2.0,
                    pinned=2,
                ),
            ],
        )
    assert current_revision(engine) == FIRST
    return engine


def plan_rows(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                text(
                    "SELECT item_id, wave, move_group, effort_hours, downtime_hours, pinned FROM "
                    "plan_item ORDER BY item_id"
                )
            )
        ]


def item_ids(engine: Engine) -> set[str]:
    """Item ids read with first-release SQL (today's `load` reads today's columns)."""
    with engine.connect() as connection:
        return {
            f"{MUNICIPALITY}/{kind}/{name}"
            for kind, table in ITEM_TABLES.items()
            for (name,) in connection.execute(text(f"SELECT name FROM {table.__tablename__}"))
        }


def test_first_release_database_upgrades_to_head_with_its_data(
    db_url: str, book: InventoryBook
) -> None:
    old = first_release_database(db_url, book)
    before_counts, before_items, before_plan = counts(old), item_ids(old), plan_rows(old)
    assert before_counts[MUNICIPALITY] == VALID_COUNTS
    old.dispose()

    notes: list[str] = []
    engine = open_database(db_url, notify=notes.append)
    head = head_revision(engine)
    assert head != FIRST
    assert notes == [
        f"the database schema {FIRST} is older than this program's {head}; upgrading it"
    ]
    assert current_revision(engine) == head
    assert counts(engine) == before_counts
    assert set(load(engine).items) == before_items
    assert plan_rows(engine) == before_plan
    assert "ix_plan_item_item_id" in {ix["name"] for ix in inspect(engine).get_indexes("plan_item")}
    old_plan = latest_plan(engine)
    assert old_plan.inventory_fingerprint is None  # migration 0003: unknown for older plans
    assert inventory_state(old_plan, load(engine)) == "unknown"
    # Migration 0004: made on Sunday 2026-11-01 without [calendar] start, its first wave is
    # the Saturday after that day, whatever day it is read on.
    assert old_plan.calendar_start == date(2026, 11, 7)
    assert plan_config(old_plan).wave_windows()[0] == (date(2026, 11, 7), date(2026, 11, 20))
    # The upgraded database keeps working: a re-import of the same file changes nothing.
    (report,) = import_files(engine, [book.write()])
    assert (
        sum(report.created.values())
        == sum(report.updated.values())
        == sum(report.removed.values())
        == 0
    )
    engine.dispose()


def test_downgrade_and_upgrade_round_trip_keeps_the_data(db_url: str, book: InventoryBook) -> None:
    engine = first_release_database(db_url, book)
    upgrade(engine, "head")
    before = plan_rows(engine), counts(engine)
    command.downgrade(alembic_config(engine), FIRST)
    assert current_revision(engine) == FIRST
    assert "ix_plan_item_item_id" not in {
        ix["name"] for ix in inspect(engine).get_indexes("plan_item")
    }
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine)
    assert (plan_rows(engine), counts(engine)) == before
    engine.dispose()


def test_fresh_database_is_created_quietly(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("inventory", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_cli_db_upgrade_prints_before_and_after(run_cli, db_url: str, book: InventoryBook) -> None:  # type: ignore[no-untyped-def]
    first_release_database(db_url, book).dispose()
    head = head_revision(make_engine(db_url))
    result = run_cli("db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Database schema: {FIRST} → {head}"
    assert result.stderr == ""


def test_cli_says_on_stderr_when_it_upgrades_an_older_database(
    run_cli,
    db_url: str,  # type: ignore[no-untyped-def]
    book: InventoryBook,
) -> None:
    first_release_database(db_url, book).dispose()
    head = head_revision(make_engine(db_url))
    result = run_cli("inventory", "--json")
    assert result.returncode == 0, result.stderr
    assert (
        result.stderr.strip()
        == f"note: the database schema {FIRST} is older than this program's {head}; upgrading it"
    )
    assert '"Østerå Kommune"' in result.stdout
    again = run_cli("inventory", "--json")
    assert again.returncode == 0 and again.stderr == ""


def test_cli_refuses_a_newer_database_with_one_sentence(
    run_cli, db_url: str, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    shown = make_url(database_url(db_url)).render_as_string()
    for args in (("inventory",), ("db", "upgrade")):
        result = run_cli(*args)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.strip() == (
            f"error: the database {shown} was written by a newer version of planner (schema 9999); "
            "upgrade planner before using it"
        )
    with engine.connect() as connection:  # and it was left alone
        assert (
            connection.execute(
                select(text("version_num")).select_from(text("alembic_version"))
            ).scalar()
            == "9999"
        )


def test_cli_db_upgrade_on_an_unreachable_server_is_one_sentence(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "db", "upgrade")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: cannot open database postgresql+psycopg://nobody@127.0.0.1:1/none: "
    )
    assert "Traceback" not in result.stderr
