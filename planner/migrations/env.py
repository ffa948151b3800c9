"""Alembic environment: runs migrations on the engine planner hands over."""

from alembic import context
from sqlmodel import SQLModel

from planner import models  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata
engine = config.attributes.get("engine")
if engine is None:  # `alembic` run by hand with an URL
    from sqlalchemy import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
