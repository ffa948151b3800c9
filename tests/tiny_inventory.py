"""Tiny inline inventories for the graph, check and planning tests.

`import_inventory(engine, folder, {"Nordby": {"Servers": [dict(name=...)], ...}})` writes one
real workbook per municipality in the template layout and imports them all, so every test
goes through the same importer a user does. Rows are written by column name (`row` from
conftest), so a test names only the cells that matter to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from inventories.template import write_workbook
from planner.graph import DependencyGraph, build
from planner.importing import import_files
from planner.snapshot import DependencyRow, Item, Snapshot, item_id, load
from tests.conftest import row

Sheets = dict[str, list[dict[str, Any]]]


def import_inventory(engine: Engine, folder: Path, municipalities: dict[str, Sheets]) -> None:
    """Write one workbook per municipality and import them together."""
    paths = []
    for number, (name, sheets) in enumerate(municipalities.items()):
        rows = {"Municipality": [row("Municipality", name=name)]}
        for sheet, values in sheets.items():
            rows[sheet] = [row(sheet, **v) for v in values]
        paths.append(write_workbook(folder / f"m{number}.xlsx", rows))
    import_files(engine, paths)


def graph_of(
    engine: Engine, folder: Path, municipalities: dict[str, Sheets], defaults: Any = None
) -> DependencyGraph:
    """Import and build the dependency graph in one step."""
    import_inventory(engine, folder, municipalities)
    return build(load(engine), defaults)


def net(name: str, cidr: str | None = None, **extra: Any) -> dict[str, Any]:
    return dict(name=name, kind="administrative", cidr=cidr, **extra)


def server(name: str, **extra: Any) -> dict[str, Any]:
    return dict(name=name, **extra)


def app(name: str, **extra: Any) -> dict[str, Any]:
    return dict(name=name, **extra)


def dep(
    from_kind: str, from_name: str, to_kind: str, to_name: str, kind: str, **extra: Any
) -> dict[str, Any]:
    return dict(
        from_kind=from_kind,
        from_name=from_name,
        to_kind=to_kind,
        to_name=to_name,
        kind=kind,
        **extra,
    )


def snapshot_of(municipalities: dict[str, Sheets]) -> Snapshot:
    """The same inventory as an in-memory Snapshot, without workbook or database: for the
    many small parametrised cases where only the checks' logic is under test."""
    from inventories.schema import SHEETS

    kinds = {s.name: s.kind.value for s in SHEETS if s.kind is not None}
    snap = Snapshot()
    for muni, sheets in municipalities.items():
        snap.municipalities[muni] = {}
        snap._municipality_keys[muni.casefold()] = muni
        for sheet, rows in sheets.items():
            for number, values in enumerate(rows, start=2):
                if sheet == "Dependencies":
                    snap.dependencies.append(
                        DependencyRow(
                            muni,
                            values["from_kind"],
                            values["from_name"],
                            values["to_kind"],
                            values["to_name"],
                            values.get("to_municipality"),
                            values["kind"],
                            values.get("strength") or "hard",
                            values.get("note"),
                            number,
                        )
                    )
                else:
                    fields = {k: v for k, v in values.items() if k != "name"}
                    snap.add(
                        Item(
                            item_id(muni, kinds[sheet], values["name"]),
                            muni,
                            kinds[sheet],
                            values["name"],
                            fields,
                        )
                    )
    return snap
