"""Import orchestration: read every file, validate everything, then write in one go."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.engine import Engine

from inventories.records import Inventory
from exports.errors import ImportFailed, PlannerError
from planner.inventory import ImportReport, import_inventories


def read_file(
    path: Path,
    municipality: str | None = None,
    format: str = "auto",
    mapping: dict[str, str] | None = None,
) -> Inventory:
    """Read one inventory file of any supported format (template, RVTools, AD, KITOS, AWS CMF,
    Azure Migrate)."""
    from inventories.detect import read_any

    return read_any(
        path, municipality=municipality, format=format, mapping=mapping, label=str(path)
    )


def import_files(
    engine: Engine | Callable[[], Engine],
    files: Sequence[Path],
    *,
    dry_run: bool = False,
    municipality: str | None = None,
    format: str = "auto",
    mapping: dict[str, str] | None = None,
    source: str | None = None,
) -> list[ImportReport]:
    """Validate all files first; write all of them in one transaction only if all are valid.

    Each file is one source of its municipality (`source` names it; default: the format
    and the file's stem). Two files of one command that would be the same source of the
    same municipality are refused: the second would silently replace the first.
    """
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
    problems.extend(_name_sources(inventories, source))
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


def _name_sources(inventories: list[Inventory], source: str | None) -> list[str]:
    """Give every inventory its source name; the problems if a name is bad or taken twice."""
    from inventories.identity import source_key
    from planner.inventory import default_source_name
    from planner.models import name_key

    problems: list[str] = []
    if source is not None and (
        not source.strip() or len(source) > 200 or any(ord(ch) < 32 for ch in source)
    ):
        return [
            (
                "--source must be a name of 1 to 200 characters without control characters, "
                f"got {source!r}"
            )
        ]
    seen: dict[tuple[str, str], str] = {}
    for inventory in inventories:
        inventory.source_name = source.strip() if source else default_source_name(inventory)
        key = (name_key(inventory.municipality), source_key(inventory.source_name))
        if key in seen:
            problems.append(
                f"{inventory.source}: would be source {inventory.source_name!r} of "
                f"{inventory.municipality} like {seen[key]}; give each file its own "
                "source (--source NAME) or import them one at a time"
            )
        seen.setdefault(key, inventory.source)
    return problems
