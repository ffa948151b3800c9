"""Validated inventory records: what every importer produces and the database stores.

Importers (the template, RVTools, AD, KITOS, …) turn files into an `Inventory`; nothing
here knows about spreadsheets or databases, so each side can be tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inventories.schema import Kind


@dataclass
class ItemRecord:
    """One inventory item with its canonical fields (column name -> Python value)."""

    kind: Kind
    name: str
    fields: dict[str, Any] = field(default_factory=dict)
    row: int | None = None  # source row, for messages


@dataclass
class DependencyRecord:
    """An explicit dependency: `from` needs `to`."""

    from_kind: str
    from_name: str
    to_kind: str
    to_name: str
    kind: str
    strength: str = "hard"
    to_municipality: str | None = None
    note: str | None = None
    row: int | None = None

    def key(self) -> tuple[str, ...]:
        """Identity used to make re-imports idempotent (case-insensitive names)."""
        return (
            self.from_kind,
            self.from_name.casefold(),
            self.to_kind,
            self.to_name.casefold(),
            (self.to_municipality or "").casefold(),
            self.kind,
            self.strength,
            self.note or "",
        )


@dataclass
class Inventory:
    """Everything one file says about one municipality."""

    municipality: str
    source: str
    municipality_fields: dict[str, Any] = field(default_factory=dict)
    items: list[ItemRecord] = field(default_factory=list)
    dependencies: list[DependencyRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: "replace": the file is the whole truth for the municipality (template);
    #: "merge": it enriches what is there (RVTools, AD, KITOS, …);
    #: "observed": a connection capture that replaces the municipality's observed dependencies.
    mode: str = "replace"
    #: The format the file was read as ("workbook" for the inventory template, else one of
    #: the tool formats such as "rvtools"): with the file's stem it names the default source.
    format: str = "workbook"
    #: Waves another tool already chose (e.g. an AWS CMF `wave_name`): item id -> wave name.
    #: Suggestions only; the user decides whether they become `[pins]` in plan.toml.
    pin_suggestions: dict[str, str] = field(default_factory=dict)
    #: mode "observed": a connection capture (`inventories.connections.Capture`), whose
    #: endpoints are matched to the stored inventory when it is stored.
    capture: Any = None
    #: The named source this file is stored as (`--source`); None: the format and the
    #: file's stem, e.g. `workbook:nordby` (`planner.inventory.default_source_name`).
    source_name: str | None = None
    #: References to items the file does not hold, as (message, kind, name): the import
    #: resolves them against the municipality's other sources, or fails with the message.
    unresolved: list[tuple[str, str, str]] = field(default_factory=list)

    def count(self, kind: Kind) -> int:
        return sum(1 for item in self.items if item.kind == kind)


def slash_problem(what: str, name: str) -> str:
    """Why a municipality name may not contain `/`: item ids are `municipality/kind/name`, so
    municipality `A/application/x` with server `y` and municipality `A` with application
    `x/server/y` would share one id and one item would silently vanish from the plan.
    Item names may contain `/`: the municipality and the kind come first and hold none."""
    return (
        f"{what} {name!r} contains '/', which separates the parts of item ids "
        "(municipality/kind/name); write the municipality's name without it"
    )
