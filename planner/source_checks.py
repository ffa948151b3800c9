"""`planner check` findings that need the sources, not only the effective inventory.

* `source-conflict` (info): two sources disagree on a field; the value in force follows the
  precedence, and the finding names both values and sources, so nobody is surprised later.
* `possible-duplicate` (warning): two servers of one municipality with different names share
  an IP address. They are not merged (a re-used address is as likely as a renamed host),
  but a person should look, and the finding names the sources that list each.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import col

from inventories.identity import item_key
from planner.checks import INFO, WARNING, Finding
from planner.db import read_snapshot
from planner.models import ITEM_TABLES, Municipality
from planner.sources import find_conflicts, load_claims, load_precedence


def source_findings(engine: Engine) -> list[Finding]:
    """Both kinds of finding for every municipality, read in one snapshot."""
    findings: list[Finding] = []
    with read_snapshot(engine) as session:
        for muni in session.execute(select(Municipality)).scalars():
            for c in find_conflicts(session, muni):
                others = "; ".join(f"{s} says {v!r}" for s, v in c.others)
                findings.append(
                    Finding(
                        "source-conflict",
                        INFO,
                        f"{c.item} {c.field}: {c.source} says {c.value!r} (in force); {others}",
                        [c.item],
                    )
                )
            findings.extend(_duplicates(session, muni))
    return findings


def _duplicates(session, muni: Municipality) -> list[Finding]:  # type: ignore[no-untyped-def]
    assert muni.id is not None
    table = ITEM_TABLES["server"]
    by_ip: dict[str, list[str]] = defaultdict(list)
    for name, ip in session.execute(
        select(col(table.name), col(table.ip)).where(  # type: ignore[attr-defined]
            col(table.municipality_id) == muni.id
        )
    ):
        for address in str(ip or "").replace(";", ",").split(","):
            if address.strip():
                by_ip[address.strip()].append(name)
    if not any(len(names) > 1 for names in by_ip.values()):
        return []
    claims = load_claims(session, muni.id, ["server"])
    names = {s.id: s.name for s in load_precedence(session, muni.id).sources}
    findings = []
    for address, servers in sorted(by_ip.items()):
        if len(servers) < 2:
            continue
        ids = sorted(f"{muni.name}/server/{name}" for name in servers)
        listed = "; ".join(
            f"{name} from "
            + ", ".join(
                sorted(
                    names[c.source_id] for c in claims.get(("server", item_key("server", name)), [])
                )
            )
            for name in sorted(servers)
        )
        findings.append(
            Finding(
                "possible-duplicate",
                WARNING,
                f"{', '.join(ids)} share the IP address {address}: "
                "the same server under two names? "
                f"({listed}); if so, correct the name in one source",
                ids,
            )
        )
    return findings
