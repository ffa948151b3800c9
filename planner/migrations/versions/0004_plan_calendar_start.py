"""plans record the date of their first wave

A plan made without `[calendar] start` took "the coming Saturday" of the day it was read, so
the same stored plan got other wave dates when it was verified or exported a week later.
Plans now record the start they were made with; plans stored before this migration get the
start they were made with on the day they were made: the configured `[calendar] start`, or
else the Saturday after their creation date (the rule of `planner.config._next_saturday`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import tomllib
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("plan", sa.Column("calendar_start", sa.Date(), nullable=True))
    plan = sa.table(
        "plan",
        sa.column("id", sa.Integer),
        sa.column("created", sa.DateTime),
        sa.column("config_toml", sa.Text),
        sa.column("calendar_start", sa.Date),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(plan.c.id, plan.c.created, plan.c.config_toml)).all()
    for plan_id, created, config_toml in rows:
        connection.execute(
            plan.update()
            .where(plan.c.id == plan_id)
            .values(calendar_start=_start_when_made(created, config_toml or ""))
        )


def _start_when_made(created: datetime | str, config_toml: str) -> date:
    """The first wave's date the plan had on the day it was made."""
    try:
        calendar = tomllib.loads(config_toml).get("calendar", {})
    except tomllib.TOMLDecodeError:
        calendar = {}
    start = calendar.get("start") if isinstance(calendar, dict) else None
    if isinstance(start, date) and not isinstance(start, datetime):
        return start
    made = created if isinstance(created, datetime) else datetime.fromisoformat(str(created))
    today = made.date()
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def downgrade() -> None:
    op.drop_column("plan", "calendar_start")
