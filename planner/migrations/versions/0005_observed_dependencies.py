"""observed dependencies: connection captures become dependencies with what was seen

A dependency gets `observed` (false for every existing row), the ports, processes,
observation count and first/last seen of the traffic it came from; a new table keeps each
municipality's last capture summary (unknown endpoints, hub servers, excluded noise) for
`planner check`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dependency") as batch:
        batch.add_column(
            sa.Column("observed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("ports", sa.Text(), nullable=True))
        batch.add_column(sa.Column("processes", sa.Text(), nullable=True))
        batch.add_column(sa.Column("observations", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("first_seen", sa.String(), nullable=True))
        batch.add_column(sa.Column("last_seen", sa.String(), nullable=True))
    op.create_table(
        "connection_capture",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "municipality_id", sa.Integer(), sa.ForeignKey("municipality.id"), nullable=False
        ),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("summary_json", sa.Text(), nullable=False),
        sa.UniqueConstraint("municipality_id"),
    )
    op.create_index(
        "ix_connection_capture_municipality_id", "connection_capture", ["municipality_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_connection_capture_municipality_id", table_name="connection_capture")
    op.drop_table("connection_capture")
    for column in ("last_seen", "first_seen", "observations", "processes", "ports", "observed"):
        op.drop_column("dependency", column)
