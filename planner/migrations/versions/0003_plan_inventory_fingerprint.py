"""plans record the fingerprint of the inventory they were made from

`planner verify` and `planner plans` compare it with the current inventory, so a user
learns that a plan is stale because of a later import, not only that it breaks rules.
Plans stored before this migration have none (NULL: unknown).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("plan", sa.Column("inventory_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35 or newer, PostgreSQL): batch mode would
    # copy and drop the plan table, which plan_item's foreign key forbids.
    op.drop_column("plan", "inventory_fingerprint")
