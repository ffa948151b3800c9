"""index plan items by item id

Replanning and exports look items up across plans by their id text; without an index
that is a full scan of every stored plan.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_item", schema=None) as batch_op:
        batch_op.create_index("ix_plan_item_item_id", ["item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plan_item", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_item_item_id")
