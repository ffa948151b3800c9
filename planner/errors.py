"""The user-facing errors, re-exported from the lowest layer (`exports.errors`).

Why this module remains: code written against `planner.errors` (plugins, scripts) keeps
working; new code imports `exports.errors`, which `inventories/` can reach without an import
that runs up into `planner/`.
"""

from exports.errors import ImportFailed, NoDatabase, PlannerError

__all__ = ["ImportFailed", "NoDatabase", "PlannerError"]
