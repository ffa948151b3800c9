"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op
import sqlalchemy as sa


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "municipality",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=True),
        sa.Column("employees", sa.Float(), nullable=True),
        sa.Column("users", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(), nullable=True),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key"),
    )
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_municipality_name_key"), ["name_key"], unique=False)

    op.create_table(
        "pin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pin_item_id"), ["item_id"], unique=True)

    op.create_table(
        "plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("frozen_through", sa.Integer(), nullable=False),
        sa.Column("config_toml", sa.Text(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("waves_used", sa.Integer(), nullable=False),
        sa.Column("objective_json", sa.Text(), nullable=True),
        sa.Column("bound_json", sa.Text(), nullable=True),
        sa.Column("gap_json", sa.Text(), nullable=True),
        sa.Column("phases_json", sa.Text(), nullable=True),
        sa.Column("greedy_json", sa.Text(), nullable=True),
        sa.Column("lower_bound_waves", sa.Integer(), nullable=False),
        sa.Column("solve_seconds", sa.Float(), nullable=False),
        sa.Column("first_solution_seconds", sa.Float(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("time_limit", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["plan.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("function", sa.String(), nullable=True),
        sa.Column("vendor", sa.String(), nullable=True),
        sa.Column("version", sa.String(), nullable=True),
        sa.Column("criticality", sa.String(), nullable=True),
        sa.Column("users", sa.Integer(), nullable=True),
        sa.Column("strategy", sa.String(), nullable=True),
        sa.Column("target", sa.String(), nullable=True),
        sa.Column("servers", sa.Text(), nullable=True),
        sa.Column("directory", sa.String(), nullable=True),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("effort_hours", sa.Float(), nullable=True),
        sa.Column("downtime_hours", sa.Float(), nullable=True),
        sa.Column("blackout", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_id", "name_key"),
    )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "dependency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("from_kind", sa.String(), nullable=False),
        sa.Column("from_name", sa.String(), nullable=False),
        sa.Column("to_kind", sa.String(), nullable=False),
        sa.Column("to_name", sa.String(), nullable=False),
        sa.Column("to_municipality", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("strength", sa.String(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dependency", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dependency_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "directory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(), nullable=True),
        sa.Column("forest", sa.String(), nullable=True),
        sa.Column("user_accounts", sa.Integer(), nullable=True),
        sa.Column("computer_accounts", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_id", "name_key"),
    )
    with op.batch_alter_table("directory", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directory_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "network",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("cidr", sa.String(), nullable=True),
        sa.Column("vlan", sa.Integer(), nullable=True),
        sa.Column("site", sa.String(), nullable=True),
        sa.Column("bandwidth_mbps", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_id", "name_key"),
    )
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "plan_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(), nullable=False),
        sa.Column("municipality", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("move_group", sa.String(), nullable=False),
        sa.Column("effort_hours", sa.Float(), nullable=False),
        sa.Column("downtime_hours", sa.Float(), nullable=False),
        sa.Column("pinned", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plan.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan_id", "item_id"),
    )
    with op.batch_alter_table("plan_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_item_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "server",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("os", sa.String(), nullable=True),
        sa.Column("os_version", sa.String(), nullable=True),
        sa.Column("virtual", sa.Boolean(), nullable=True),
        sa.Column("host", sa.String(), nullable=True),
        sa.Column("cluster", sa.String(), nullable=True),
        sa.Column("vcpu", sa.Integer(), nullable=True),
        sa.Column("ram_gb", sa.Float(), nullable=True),
        sa.Column("storage_gb", sa.Float(), nullable=True),
        sa.Column("network", sa.String(), nullable=True),
        sa.Column("directory", sa.String(), nullable=True),
        sa.Column("environment", sa.String(), nullable=True),
        sa.Column("criticality", sa.String(), nullable=True),
        sa.Column("site", sa.String(), nullable=True),
        sa.Column("ip", sa.String(), nullable=True),
        sa.Column("effort_hours", sa.Float(), nullable=True),
        sa.Column("downtime_hours", sa.Float(), nullable=True),
        sa.Column("owner", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_id", "name_key"),
    )
    with op.batch_alter_table("server", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_server_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("type", sa.String(), nullable=True),
        sa.Column("network", sa.String(), nullable=True),
        sa.Column("users", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_id", "name_key"),
    )
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_site_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "workplace",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("site", sa.String(), nullable=True),
        sa.Column("pcs", sa.Integer(), nullable=False),
        sa.Column("users", sa.Integer(), nullable=True),
        sa.Column("os", sa.String(), nullable=True),
        sa.Column("directory", sa.String(), nullable=True),
        sa.Column("network", sa.String(), nullable=True),
        sa.Column("effort_hours", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_id", "name_key"),
    )
    with op.batch_alter_table("workplace", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workplace_municipality_id"), ["municipality_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("workplace", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workplace_municipality_id"))

    op.drop_table("workplace")
    with op.batch_alter_table("site", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_municipality_id"))

    op.drop_table("site")
    with op.batch_alter_table("server", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_server_municipality_id"))

    op.drop_table("server")
    with op.batch_alter_table("plan_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_item_plan_id"))

    op.drop_table("plan_item")
    with op.batch_alter_table("network", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_municipality_id"))

    op.drop_table("network")
    with op.batch_alter_table("directory", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_municipality_id"))

    op.drop_table("directory")
    with op.batch_alter_table("dependency", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dependency_municipality_id"))

    op.drop_table("dependency")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_municipality_id"))

    op.drop_table("application")
    op.drop_table("plan")
    with op.batch_alter_table("pin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pin_item_id"))

    op.drop_table("pin")
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_municipality_name_key"))

    op.drop_table("municipality")
