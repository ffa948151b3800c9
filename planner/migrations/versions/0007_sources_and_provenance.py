"""sources and provenance: every import belongs to a named source of one municipality

Adds `source` (one row per named source), `item_claim` (what each source says about each
item, with when), `source_order` (a municipality's own precedence) and
`dependency.source_id`. The item tables keep the effective values, so every stored item,
value, dependency, pin and plan stays exactly as it was.

The previous release did not record which file an item came from, only the municipality's
last file, so each municipality's current items become one source `workbook:<municipality>`
(its file: that last file). Importing the real files under their own source names and
then `planner sources remove workbook:<municipality>` separates them later.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import json
import unicodedata
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ITEM_TABLES = ("site", "network", "directory", "server", "application", "workplace")
_KEYS = {"id", "municipality_id", "name", "name_key", "source_row"}


def upgrade() -> None:
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("format", sa.String(), nullable=False),
        sa.Column("file", sa.Text(), nullable=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_id", "name_key"),
    )
    op.create_index("ix_source_municipality_id", "source", ["municipality_id"], unique=False)
    op.create_table(
        "item_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("item_key", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("fields_json", sa.Text(), nullable=True),
        sa.Column("source_row", sa.Integer(), nullable=True),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["source.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_item_claim_source_id", "item_claim", ["source_id"], unique=False)
    op.create_index(
        "ix_item_claim_municipality_id", "item_claim", ["municipality_id"], unique=False
    )
    op.create_table(
        "source_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("sources_json", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("municipality_id", "field"),
    )
    op.create_index(
        "ix_source_order_municipality_id", "source_order", ["municipality_id"], unique=False
    )
    # Plain ALTER TABLE (no batch copy: other tables' foreign keys point at nothing here, but
    # a copy of a large dependency table is slow and needless for a nullable column).
    op.add_column("dependency", sa.Column("source_id", sa.Integer(), nullable=True))
    op.create_index("ix_dependency_source_id", "dependency", ["source_id"], unique=False)
    _fill(op.get_bind())


def _normalise(name: str) -> str:
    """A frozen copy of `inventories.identity.normalise` as of this migration."""
    return " ".join(unicodedata.normalize("NFC", name).split()).casefold()


def _item_key(kind: str, name: str) -> str:
    """A frozen copy of `inventories.identity.item_key` as of this migration."""
    import ipaddress
    import re

    text = _normalise(name)
    if kind != "server":
        return text
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    labels = text.split(".")
    fqdn = (
        len(labels) >= 2
        and all(re.match(r"^[\w-]+$", label) for label in labels)
        and not labels[-1].isdigit()
        and not labels[0].isdigit()
    )
    return labels[0] if fqdn else text


def _fill(bind: sa.engine.Connection) -> None:
    """One source per municipality holding all of its current items, values and dependencies."""
    meta = sa.MetaData()
    meta.reflect(bind, only=("municipality", "source", "item_claim", "dependency", *ITEM_TABLES))
    source, claim = meta.tables["source"], meta.tables["item_claim"]
    now = datetime.now(UTC).replace(tzinfo=None)
    for muni in bind.execute(sa.select(meta.tables["municipality"])).mappings().all():
        name = f"workbook:{muni['name']}"
        inserted = bind.execute(
            source.insert().values(
                municipality_id=muni["id"],
                name=name,
                name_key=_normalise(name),
                format="workbook",
                file=muni["source"],
                imported_at=muni["imported_at"] or now,
            )
        ).inserted_primary_key
        assert inserted is not None  # an insert of one row always has its key
        source_id = inserted[0]
        seen = muni["imported_at"] or now
        fields = {
            k: muni[k] for k in ("code", "employees", "users", "country") if muni[k] is not None
        }
        rows = [
            {
                "source_id": source_id,
                "municipality_id": muni["id"],
                "kind": "municipality",
                "item_key": _normalise(muni["name"]),
                "name": muni["name"],
                "fields_json": json.dumps(fields, ensure_ascii=False),
                "source_row": None,
                "seen_at": seen,
            }
        ]
        for kind in ITEM_TABLES:
            table = meta.tables[kind]
            for item in bind.execute(
                sa.select(table).where(table.c.municipality_id == muni["id"])
            ).mappings():
                values = {k: v for k, v in item.items() if k not in _KEYS and v is not None}
                rows.append(
                    {
                        "source_id": source_id,
                        "municipality_id": muni["id"],
                        "kind": kind,
                        "item_key": _item_key(kind, item["name"]),
                        "name": item["name"],
                        "fields_json": json.dumps(values, ensure_ascii=False),
                        "source_row": item["source_row"],
                        "seen_at": seen,
                    }
                )
        bind.execute(claim.insert(), rows)
        dependency = meta.tables["dependency"]
        # Observed dependencies (migration 0005) belong to the connection capture, not to
        # the workbook: a re-import of this source must not remove them.
        bind.execute(
            dependency.update()
            .where(dependency.c.municipality_id == muni["id"], dependency.c.observed == sa.false())
            .values(source_id=source_id)
        )


def downgrade() -> None:
    # The item tables already hold the effective values; only a dependency that several
    # sources list is stored once per source, and the older release expects it once.
    bind = op.get_bind()
    meta = sa.MetaData()
    meta.reflect(bind, only=("dependency",))
    dependency = meta.tables["dependency"]
    seen: set[tuple[object, ...]] = set()
    duplicates = []
    columns = (
        "municipality_id",
        "from_kind",
        "from_name",
        "to_kind",
        "to_name",
        "to_municipality",
        "kind",
        "strength",
        "note",
    )
    for row in bind.execute(sa.select(dependency).order_by(dependency.c.id)).mappings():
        key = tuple(str(row[c] or "").casefold() for c in columns)
        if key in seen:
            duplicates.append(row["id"])
        seen.add(key)
    if duplicates:
        bind.execute(dependency.delete().where(dependency.c.id.in_(duplicates)))
    op.drop_index("ix_dependency_source_id", table_name="dependency")
    op.drop_column("dependency", "source_id")
    op.drop_index("ix_source_order_municipality_id", table_name="source_order")
    op.drop_table("source_order")
    op.drop_index("ix_item_claim_municipality_id", table_name="item_claim")
    op.drop_index("ix_item_claim_source_id", table_name="item_claim")
    op.drop_table("item_claim")
    op.drop_index("ix_source_municipality_id", table_name="source")
    op.drop_table("source")
