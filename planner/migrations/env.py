"""Alembic environment: runs migrations on the engine planner hands over."""

from typing import cast

from alembic import context
from sqlmodel import SQLModel

from planner import models  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata
engine = config.attributes.get("engine")
if engine is None:  # `alembic` run by hand with an URL
    from sqlalchemy import create_engine

    # cast: without a URL, create_engine's own error says so ("Expected string or URL object")
    engine = create_engine(cast(str, config.get_main_option("sqlalchemy.url")))

with engine.connect() as connection:
    # One transaction for all pending migrations, on SQLite too (its DDL is transactional;
    # Alembic only assumes otherwise). Alembic's default for SQLite commits after every
    # migration, so two commands opening a new database together could both read "no
    # schema", take turns, and the second would re-run a migration the first had done.
    # planner's SQLite writer connections BEGIN IMMEDIATE, so here the second one waits
    # for the whole upgrade and then finds nothing to do.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
