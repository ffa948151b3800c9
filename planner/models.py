"""All database tables in one module.

Every inventory item is identified by (municipality, kind, name); `name_key` holds the
case-folded name so that uniqueness is case-insensitive on SQLite and PostgreSQL alike.
References between items (a server's network, an application's servers) are stored as
the names the user wrote: the graph resolves them, and `planner check` reports the ones
that name nothing, which keeps an import of one municipality independent of the others.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timezone

from sqlalchemy import Boolean, Column, Index, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def name_key(name: str) -> str:
    """The case-insensitive identity of a name (casefold handles ß, æøå/åäö alike; NFC makes
    a decomposed å, as some exports write it, the same letter)."""
    return unicodedata.normalize("NFC", name).strip().casefold()


class Municipality(SQLModel, table=True):
    __tablename__ = "municipality"
    __table_args__ = (UniqueConstraint("name_key"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str = Field(index=True)
    code: str | None = None
    employees: float | None = None
    users: int | None = None
    country: str | None = None
    source: str | None = None
    imported_at: datetime = Field(default_factory=utcnow)


class ItemBase(SQLModel):
    """Fields every inventory item has."""

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    name: str
    name_key: str
    source_row: int | None = None


class Site(ItemBase, table=True):
    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("municipality_id", "name_key"),)
    type: str | None = None
    network: str | None = None
    users: int | None = None
    address: str | None = None


class Network(ItemBase, table=True):
    __tablename__ = "network"
    __table_args__ = (UniqueConstraint("municipality_id", "name_key"),)
    kind: str = "other"
    cidr: str | None = None
    vlan: int | None = None
    site: str | None = None
    bandwidth_mbps: float | None = None


class Directory(ItemBase, table=True):
    __tablename__ = "directory"
    __table_args__ = (UniqueConstraint("municipality_id", "name_key"),)
    type: str | None = None
    forest: str | None = None
    user_accounts: int | None = None
    computer_accounts: int | None = None


class Server(ItemBase, table=True):
    __tablename__ = "server"
    __table_args__ = (UniqueConstraint("municipality_id", "name_key"),)
    os: str | None = None
    os_version: str | None = None
    virtual: bool | None = None
    host: str | None = None
    cluster: str | None = None
    vcpu: int | None = None
    ram_gb: float | None = None
    storage_gb: float | None = None
    network: str | None = None
    directory: str | None = None
    environment: str | None = None
    criticality: str | None = None
    site: str | None = None
    ip: str | None = None
    effort_hours: float | None = None
    downtime_hours: float | None = None
    owner: str | None = None


class Application(ItemBase, table=True):
    __tablename__ = "application"
    __table_args__ = (UniqueConstraint("municipality_id", "name_key"),)
    function: str | None = None
    vendor: str | None = None
    version: str | None = None
    criticality: str | None = None
    users: int | None = None
    strategy: str | None = None
    target: str | None = None
    servers: str | None = Field(default=None, sa_column=Column(Text))
    directory: str | None = None
    owner: str | None = None
    effort_hours: float | None = None
    downtime_hours: float | None = None
    blackout: str | None = Field(default=None, sa_column=Column(Text))


class WorkplaceGroup(ItemBase, table=True):
    __tablename__ = "workplace"
    __table_args__ = (UniqueConstraint("municipality_id", "name_key"),)
    site: str | None = None
    pcs: int = 0
    users: int | None = None
    os: str | None = None
    directory: str | None = None
    network: str | None = None
    effort_hours: float | None = None


class Dependency(SQLModel, table=True):
    """An explicit dependency row: `from` needs `to`."""

    __tablename__ = "dependency"
    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    from_kind: str
    from_name: str
    to_kind: str
    to_name: str
    to_municipality: str | None = None
    kind: str
    strength: str = "hard"
    note: str | None = Field(default=None, sa_column=Column(Text))
    source_row: int | None = None
    #: Migration 0005: a dependency seen in network traffic (`planner import --format
    #: connections`), with what was seen. A workbook import never touches observed rows; a
    #: connection import replaces them.
    observed: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    ports: str | None = Field(default=None, sa_column=Column(Text))
    processes: str | None = Field(default=None, sa_column=Column(Text))
    observations: int | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    #: The source that lists this dependency (migration 0007). Several sources may list
    #: the same one; readers count it once (`planner.sources.effective_dependencies`).
    source_id: int | None = Field(default=None, index=True)


class ConnectionCapture(SQLModel, table=True):
    """The last connection capture of a municipality: what was read, set aside and not matched.

    `summary_json` holds the unknown endpoints and hub servers `planner check` reports, the
    noise excluded per rule and the settings used, so the findings outlive the file.
    """

    __tablename__ = "connection_capture"
    __table_args__ = (UniqueConstraint("municipality_id"),)
    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    source: str = Field(sa_column=Column(Text, nullable=False))
    imported_at: datetime = Field(default_factory=utcnow)
    rows: int = 0
    summary_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))


class Source(SQLModel, table=True):
    """One named source of one municipality (a workbook, an RVTools export, …), migration 0007.

    Why a table of its own: a re-import replaces exactly one source's contribution, and
    `planner sources` shows when each was last imported and from which file.
    """

    __tablename__ = "source"
    __table_args__ = (UniqueConstraint("municipality_id", "name_key"),)
    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    name: str
    name_key: str
    format: str
    file: str | None = Field(default=None, sa_column=Column(Text))
    imported_at: datetime = Field(default_factory=utcnow)


class ItemClaim(SQLModel, table=True):
    """What one source says about one item: its spelling of the name and its non-blank
    fields (JSON), and since when it has said exactly that (provenance, migration 0007).

    The item tables hold the effective values, recomputed from the claims by precedence
    whenever a source changes (`planner.sources.materialise`).
    """

    __tablename__ = "item_claim"
    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    municipality_id: int = Field(index=True)
    kind: str  # an item kind, or "municipality" for the Municipality sheet's fields
    item_key: str
    name: str
    fields_json: str = Field(default="{}", sa_column=Column(Text))
    source_row: int | None = None
    seen_at: datetime = Field(default_factory=utcnow)


class SourceOrder(SQLModel, table=True):
    """A municipality's own precedence of its sources, for all fields ("*") or one field."""

    __tablename__ = "source_order"
    __table_args__ = (UniqueConstraint("municipality_id", "field"),)
    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", index=True)
    field: str
    sources_json: str = Field(default="[]", sa_column=Column(Text))


class Plan(SQLModel, table=True):
    """One optimiser run: configuration, honest solver figures, and the greedy baseline."""

    __tablename__ = "plan"
    id: int | None = Field(default=None, primary_key=True)
    created: datetime = Field(default_factory=utcnow)
    parent_id: int | None = Field(default=None, foreign_key="plan.id")
    frozen_through: int = 0
    config_toml: str = Field(default="", sa_column=Column(Text))
    status: str
    waves_used: int = 0
    objective_json: str = Field(default="{}", sa_column=Column(Text))
    bound_json: str = Field(default="{}", sa_column=Column(Text))
    gap_json: str = Field(default="{}", sa_column=Column(Text))
    phases_json: str = Field(default="[]", sa_column=Column(Text))
    greedy_json: str = Field(default="{}", sa_column=Column(Text))
    lower_bound_waves: int = 0
    solve_seconds: float = 0.0
    first_solution_seconds: float = 0.0
    seed: int = 0
    workers: int = 1
    time_limit: float = 0.0
    #: `Snapshot.fingerprint()` of the inventory the plan was made from (migration 0003;
    #: None for older plans): tells a stale plan from a broken one.
    inventory_fingerprint: str | None = Field(default=None, max_length=64)
    #: The first wave's date the plan was made with (migration 0007). Why: without `[calendar]
    #: start` the default is "the coming Saturday", which moves with the day a stored plan is
    #: read; recording it keeps a plan's wave dates the same in every later verify and export.
    calendar_start: date | None = None


class PlanItem(SQLModel, table=True):
    """The wave of one item in one plan; items are named by id text so a plan outlives
    re-imports."""

    __tablename__ = "plan_item"
    __table_args__ = (UniqueConstraint("plan_id", "item_id"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    item_id: str = Field(index=True)  # migration 0002
    municipality: str
    kind: str
    name: str
    wave: int
    move_group: str
    effort_hours: float = 0.0
    downtime_hours: float = 0.0
    pinned: int | None = None


class Pin(SQLModel, table=True):
    """A wave pin handed back by a project manager (`planner import-pins`)."""

    __tablename__ = "pin"
    id: int | None = Field(default=None, primary_key=True)
    item_id: str = Field(index=True, unique=True)
    wave: int
    source: str | None = None
    created: datetime = Field(default_factory=utcnow)


ITEM_TABLES: dict[str, type[ItemBase]] = {
    "site": Site,
    "network": Network,
    "directory": Directory,
    "server": Server,
    "application": Application,
    "workplace": WorkplaceGroup,
}


class Progress(SQLModel, table=True):
    """One recorded state of a planned item (`planner import-progress`, migration 0006).

    Rows are only appended: the newest row of a (plan, item) is its state, the older ones
    its history. `source` names the workbook (or the re-plan that carried the state over)."""

    __tablename__ = "progress"
    __table_args__ = (Index("ix_progress_plan_item", "plan_id", "item_id"),)
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id")
    item_id: str = Field(index=True)
    status: str = Field(max_length=16)
    actual_date: date | None = None
    comment: str | None = Field(default=None, sa_column=Column(Text))
    source: str
    recorded: datetime = Field(default_factory=utcnow)


class ProgressBasis(SQLModel, table=True):
    """A plan made by `replan --from-progress`: the plan whose recorded progress it started
    from and the first wave that was still open (migration 0006). The verifier reads it to
    check that done items stayed and that nothing new went into a closed wave."""

    __tablename__ = "progress_basis"
    plan_id: int = Field(foreign_key="plan.id", primary_key=True)
    parent_id: int = Field(foreign_key="plan.id")
    first_open_wave: int
