"""Import orchestration: read every file, validate everything, then write in one go."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.engine import Engine

from inventories.records import Inventory
from exports.errors import ImportFailed, PlannerError
from planner.inventory import ImportReport, import_inventories


def read_file(path: Path, municipality: str | None = None, format: str = "auto",
              mapping: dict[str, str] | None = None) -> Inventory:
    """Read one inventory file of any supported format (template, RVTools, AD, KITOS, AWS CMF, Azure Migrate)."""
    from inventories.detect import read_any

    return read_any(path, municipality=municipality, format=format, mapping=mapping, label=str(path))


def import_files(engine: Engine | Callable[[], Engine], files: Sequence[Path], *, dry_run: bool = False,
                 municipality: str | None = None, format: str = "auto",
                 mapping: dict[str, str] | None = None) -> list[ImportReport]:
    """Validate all files first; write all of them in one transaction only if all are valid."""
    if not files:
        raise PlannerError("no files given")
    inventories: list[Inventory] = []
    problems: list[str] = []
    for path in files:
        try:
            inventories.append(read_file(Path(path), municipality, format, mapping))
        except ImportFailed as exc:
            problems.extend(exc.problems)
        except PlannerError as exc:
            problems.append(str(exc))
    seen: dict[str, str] = {}
    for inventory in inventories:
        if inventory.mode == "observed":
            continue  # a capture goes with its municipality's workbook
        key = inventory.municipality.casefold()
        if key in seen and inventory.mode == "replace":
            problems.append(f"{inventory.source}: municipality {inventory.municipality!r} is also in {seen[key]}; "
                            "import one workbook per municipality")
        seen.setdefault(key, inventory.source)
    if problems:
        raise ImportFailed(problems)
    inventories = _captures(inventories)
    if callable(engine) and not isinstance(engine, Engine):
        engine = engine()
    return import_inventories(engine, inventories, dry_run=dry_run)


def _captures(inventories: list[Inventory]) -> list[Inventory]:
    """Attach `[connections]` (./plan.toml) to captures; fold captures of one municipality
    given together into one (several collectors), since each capture replaces the last."""
    captures = [i for i in inventories if i.mode == "observed"]
    if not captures:
        return inventories
    from planner.connection_settings import load_settings

    settings = load_settings()
    first: dict[str, Inventory] = {}
    for inventory in captures:
        inventory.capture.settings = settings
        key = inventory.municipality.casefold()
        if key in first:
            first[key].capture.merge(inventory.capture)
            first[key].source = f"{first[key].source}, {inventory.source}"
            first[key].warnings.extend(inventory.warnings)
        else:
            first[key] = inventory
    kept = {id(i) for i in first.values()}
    return [i for i in inventories if i.mode != "observed" or id(i) in kept]
