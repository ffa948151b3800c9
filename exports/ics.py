"""`plan.ics`: one all-day event per municipality per wave, for the project managers' calendars.

Each event spans the wave's window and lists the municipality's items and its downtime in
that wave. UIDs are stable (`plan-ID-wave-N-municipality`), so importing a newer export
of the same plan updates events instead of duplicating them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta, timezone
from pathlib import Path

from icalendar import Calendar, Event

from exports.model import ExportItem, ExportPlan

MAX_LISTED = 200  # items listed per event; calendars choke on huge descriptions


def _slug(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-").lower() or "x"


def build_calendar(plan: ExportPlan) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//consolidation-planner//migration waves//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Migration waves (plan {plan.id})")
    by_wave: dict[tuple[int, str], list[ExportItem]] = defaultdict(list)
    for item in plan.items:
        by_wave[(item.wave, item.municipality)].append(item)
    stamp = plan.created if plan.created.tzinfo else plan.created.replace(tzinfo=timezone.utc)
    for wave in plan.waves:
        for municipality in plan.municipalities:
            items = by_wave.get((wave.number, municipality))
            if not items:
                continue
            downtime = sum(i.downtime_hours for i in items)
            effort = sum(i.effort_hours for i in items)
            event = Event()
            event.add("uid", f"plan-{plan.id}-wave-{wave.number}-{_slug(municipality)}@consolidation-planner")
            event.add("dtstamp", stamp)
            event.add("dtstart", wave.start)
            event.add("dtend", wave.end + timedelta(days=1))  # all-day events end the day after
            event.add("summary", f"Wave {wave.number}: {municipality} — {len(items)} items, "
                                 f"{downtime:g} h downtime")
            lines = [f"Wave {wave.number} ({wave.start:%Y-%m-%d} – {wave.end:%Y-%m-%d}), {municipality}",
                     f"{len(items)} items, {effort:g} h effort, {downtime:g} h downtime", ""]
            for item in sorted(items, key=lambda i: (i.kind, i.name.casefold()))[:MAX_LISTED]:
                down = f", {item.downtime_hours:g} h downtime" if item.downtime_hours else ""
                lines.append(f"- {item.kind} {item.name}{down}")
            if len(items) > MAX_LISTED:
                lines.append(f"… and {len(items) - MAX_LISTED} more (see the Items sheet)")
            event.add("description", "\n".join(lines))
            event.add("categories", ["migration wave", municipality])
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)
    return calendar


def write_ics(plan: ExportPlan, path: Path) -> Path:
    Path(path).write_bytes(build_calendar(plan).to_ical())
    return path
