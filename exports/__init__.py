"""Exports: an `ExportPlan` in, files out (the workbook, JSON, CSV, calendar, pictures).

`write` picks the format from the file name's extension and writes through a temporary
file that is renamed into place, so a reader never sees half a file and an existing file
is only replaced with `force`. Nothing here opens a database session; see
`planner.export_data.load_export` for where an `ExportPlan` comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from exports.model import ExportPlan
from exports.errors import PlannerError
from exports.files import writable


def _xlsx(plan: ExportPlan, path: Path) -> Path:
    from exports.xlsx import write_xlsx

    return write_xlsx(plan, path)


def _json(plan: ExportPlan, path: Path) -> Path:
    from exports.json_export import write_json

    return write_json(plan, path)


def _csv(plan: ExportPlan, path: Path) -> Path:
    from exports.csv_export import write_csv

    return write_csv(plan, path)


def _ics(plan: ExportPlan, path: Path) -> Path:
    from exports.ics import write_ics

    return write_ics(plan, path)


def _png(plan: ExportPlan, path: Path) -> Path:
    from exports.pictures import write_picture

    return write_picture(plan, path, "png")


def _svg(plan: ExportPlan, path: Path) -> Path:
    from exports.pictures import write_picture

    return write_picture(plan, path, "svg")


#: extension -> writer; imports are lazy so `planner export plan.json` never loads matplotlib.
WRITERS: dict[str, Callable[[ExportPlan, Path], Path]] = {
    ".xlsx": _xlsx,
    ".json": _json,
    ".csv": _csv,
    ".ics": _ics,
    ".png": _png,
    ".svg": _svg,
}


def write(path: Path, plan: ExportPlan, *, force: bool = False) -> Path:
    """Write `plan` to `path` in the format its extension names; return the path written."""
    path = Path(path)
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise PlannerError(
            f"{path.name}: cannot export to {path.suffix or 'a file without an extension'}; "
            f"use one of {', '.join(WRITERS)}"
        )
    with writable(path, force) as tmp:
        writer(plan, tmp)
    return path
