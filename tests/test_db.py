"""Database opening and schema migrations (`planner.db`): a user's database must survive
upgrades, and an unknown newer schema must be refused rather than damaged."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from planner.db import current_revision, database_url, head_revision, make_engine, open_database
from exports.errors import PlannerError
from planner.inventory import counts

TABLES = {
    "municipality",
    "site",
    "network",
    "directory",
    "server",
    "application",
    "workplace",
    "dependency",
    "plan",
    "plan_item",
    "pin",
    "alembic_version",
}


def test_fresh_database_is_created_at_alembic_head(db_url: str) -> None:
    engine = open_database(db_url)
    assert current_revision(engine) == head_revision(engine) != ""
    assert TABLES <= set(inspect(engine).get_table_names())
    assert counts(engine) == {}
    engine.dispose()


def test_open_without_create_refuses_a_missing_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    with pytest.raises(PlannerError, match="^no planner database at sqlite:///"):
        open_database(url, create=False)


def test_newer_schema_is_refused(engine: Engine, db_url: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(
        PlannerError, match=r"was written by a newer version of planner \(schema 9999\)"
    ):
        open_database(db_url)


def test_database_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_DB", raising=False)
    assert database_url() == f"sqlite:///{tmp_path / 'planner.db'}"
    assert database_url("x.db") == f"sqlite:///{tmp_path / 'x.db'}"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    monkeypatch.setenv("PLANNER_DB", "env.db")
    assert database_url() == f"sqlite:///{tmp_path / 'env.db'}"


def test_cli_db_upgrade_is_idempotent(run_cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    head = head_revision(make_engine(db_url))
    first = run_cli("db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == f"Database schema: none → {head}"
    second = run_cli("db", "upgrade")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == f"Database schema: {head} → {head}"
    engine = make_engine(db_url)
    assert current_revision(engine) == head
    engine.dispose()


def test_opening_waits_out_an_immediate_locked_answer(tmp_path: Path) -> None:
    # A real lock that SQLite reports at once (busy timeout 0, another connection holding an
    # EXCLUSIVE lock on a rollback-journal file): the retry used when opening the database
    # must wait it out and then read; any other error must come through at the first call.
    import sqlite3
    import threading
    import time

    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    from planner.db import _retry_locked

    path = tmp_path / "locked.db"
    held = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("create table t(x)")
        conn.execute("BEGIN EXCLUSIVE")
        held.set()
        time.sleep(0.6)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait()
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    calls: list[str] = []

    def read(table: str) -> int:
        calls.append(table)
        with engine.connect() as connection:
            return int(connection.exec_driver_sql(f"select count(*) from {table}").scalar() or 0)

    try:
        assert _retry_locked(lambda: read("t"), engine) == 0
        assert len(calls) > 1  # it was locked at first, and waited
    finally:
        thread.join()
    calls.clear()
    with pytest.raises(OperationalError, match="no such table"):
        _retry_locked(lambda: read("missing"), engine)
    assert calls == ["missing"]
    engine.dispose()


def test_new_sqlite_schema_is_created_in_one_transaction(tmp_path: Path) -> None:
    # Two commands that open a new database together must not interleave the migrations:
    # if the upgrade committed after each migration (Alembic's default on SQLite), the
    # second could run the rest while the first still held an old idea of the version and
    # then re-ran a migration ("index ... already exists", seen in CI). One transaction,
    # begun with the write lock, makes the second wait for all of it.
    from sqlalchemy import event

    from planner.db import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    log: list[str] = []
    event.listen(engine, "begin", lambda conn: log.append("begin"))
    event.listen(engine, "commit", lambda conn: log.append("commit"))
    upgrade(engine)
    assert log == ["begin", "commit"]
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()
