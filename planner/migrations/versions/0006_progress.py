"""progress: what really happened to each planned item, with its history

Project managers record a status (planned, in progress, done, failed, postponed), an
actual date and a comment per item in the exported workbook; `planner import-progress`
appends one row per changed item, so the latest row of a (plan, item) is its state and
the earlier rows are its history (`planner progress --history ITEM`). A plan made by
`planner replan --from-progress` records its basis (the parent whose progress it used and
the first wave that was still open), so the verifier knows which items were facts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actual_date", sa.Date(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("recorded", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_progress_plan_item", "progress", ["plan_id", "item_id"], unique=False)
    op.create_index("ix_progress_item_id", "progress", ["item_id"], unique=False)
    op.create_table(
        "progress_basis",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("first_open_wave", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"]),
        sa.ForeignKeyConstraint(["parent_id"], ["plan.id"]),
        sa.PrimaryKeyConstraint("plan_id"),
    )


def downgrade() -> None:
    op.drop_table("progress_basis")
    op.drop_index("ix_progress_item_id", table_name="progress")
    op.drop_index("ix_progress_plan_item", table_name="progress")
    op.drop_table("progress")
