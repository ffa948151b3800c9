"""`planner summary`: the consolidation picture per municipality and in total."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from planner.snapshot import Item, Snapshot


def _after_key(app: Item, snapshot: Snapshot) -> str | None:
    """The system an application will be after the planned consolidations (None: it disappears)."""
    strategy = app.get("strategy")
    if strategy == "retire":
        return None
    target = app.get("target")
    if target and strategy in ("consolidate", "replace"):
        muni, _, name = target.rpartition("/")
        found = snapshot.find(muni or app.municipality, "application", name)
        if found:
            return snapshot.items[found].name.casefold()
        return name.casefold()
    return app.name.casefold()


def consolidation_summary(snapshot: Snapshot) -> dict[str, Any]:
    """Figures per municipality plus a total; functions list distinct systems before/after."""
    rows: dict[str, dict[str, Any]] = {}
    functions_before: dict[str, set[str]] = defaultdict(set)
    functions_after: dict[str, set[str]] = defaultdict(set)
    for muni, info in snapshot.municipalities.items():
        items = [i for i in snapshot.items.values() if i.municipality == muni]
        servers = [i for i in items if i.kind == "server"]
        apps = [i for i in items if i.kind == "application"]
        workplaces = [i for i in items if i.kind == "workplace"]
        rows[muni] = {
            "servers": len(servers),
            "virtual": sum(1 for s in servers if s.get("virtual") is True),
            "physical": sum(1 for s in servers if s.get("virtual") is False),
            "vcpu": sum(s.get("vcpu") or 0 for s in servers),
            "ram_gb": sum(s.get("ram_gb") or 0 for s in servers),
            "storage_gb": sum(s.get("storage_gb") or 0 for s in servers),
            "directories": sum(1 for i in items if i.kind == "directory"),
            "networks": sum(1 for i in items if i.kind == "network"),
            "applications": len(apps),
            "pcs": sum(w.get("pcs") or 0 for w in workplaces),
            "users": info.get("users") or sum(w.get("users") or 0 for w in workplaces),
        }
        for app in apps:
            function = (app.get("function") or "(no function)").strip()
            functions_before[function].add(app.name.casefold())
            after = _after_key(app, snapshot)
            if after:
                functions_after[function].add(after)
    total = {key: sum(r[key] for r in rows.values()) for key in next(iter(rows.values()), {})}
    after_total = len({a for names in functions_after.values() for a in names})
    before_total = len({a for names in functions_before.values() for a in names})
    return {
        "municipalities": rows,
        "total": total,
        "functions": {
            f: {"before": len(functions_before[f]), "after": len(functions_after[f])}
            for f in sorted(functions_before, key=str.casefold)
        },
        "distinct_applications": {"before": before_total, "after": after_total},
    }
