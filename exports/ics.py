"""`plan.ics`: one all-day event per municipality per wave, for the project managers' calendars.

Each event spans the wave's window and lists the municipality's items and its downtime in
that wave. A calendar that imported an earlier export must update its events, not collect
duplicates, across re-plans too. So an event's UID derives from stable ids only: the first
plan of the re-plan lineage, the municipality's identity (its case-folded name, the same key
the database keeps unique) and the wave number, hashed; names are never slugged, so `Åby`
and `Øby`, or `Nord by` and `Nord-by`, never share a UID. SEQUENCE counts how often the
event's dates changed along the lineage, and a wave a municipality no longer uses is sent
with STATUS:CANCELLED (and a raised SEQUENCE), so calendars drop it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, date, timedelta
from pathlib import Path

from icalendar import Calendar, Event

from exports.model import ExportItem, ExportPlan

MAX_LISTED = 200  # items listed per event; calendars choke on huge descriptions

Key = tuple[int, str]  # (wave, municipality identity)
Dates = tuple[date, date]


def identity(municipality: str) -> str:
    """A municipality's identity: its case-folded name (`planner.models.name_key`)."""
    return municipality.strip().casefold()


def event_uid(root: int, municipality: str, wave: int) -> str:
    """The stable UID of one municipality's event in one wave of a plan lineage."""
    digest = hashlib.sha256(f"{root}\x1f{identity(municipality)}\x1f{wave}".encode()).hexdigest()
    return f"wave-{wave}-{digest[:32]}@consolidation-planner"


def _versions(
    plan: ExportPlan, present: dict[Key, Dates]
) -> dict[Key, tuple[int, Dates | None, Dates]]:
    """key -> (sequence, dates now or None when cancelled, last known dates) along the lineage."""
    track: dict[Key, tuple[int, Dates | None, Dates]] = {}
    history = [{(w, identity(m)): (s, e) for w, m, s, e in events} for events in plan.calendar_past]
    for events in [*history, present]:
        for key in set(track) | set(events):
            now = events.get(key)
            if key not in track:  # first seen: it is in `events`
                assert now is not None
                track[key] = (0, now, now)
                continue
            sequence, before, last = track[key]
            track[key] = (sequence + (now != before), now, now or last)
    return track


def build_calendar(plan: ExportPlan) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//consolidation-planner//migration waves//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Migration waves (plan {plan.id})")
    by_wave: dict[Key, list[ExportItem]] = defaultdict(list)
    names: dict[str, str] = {}
    for item in plan.items:
        by_wave[(item.wave, identity(item.municipality))].append(item)
        names[identity(item.municipality)] = item.municipality
    windows = {w.number: (w.start, w.end) for w in plan.waves}
    present = {key: windows[key[0]] for key in by_wave if key[0] in windows}
    for _, municipality, _, _ in (e for events in plan.calendar_past for e in events):
        names.setdefault(identity(municipality), municipality)
    root = plan.lineage_root or plan.id
    stamp = plan.created if plan.created.tzinfo else plan.created.replace(tzinfo=UTC)
    for key, (sequence, now, last) in sorted(_versions(plan, present).items()):
        wave, who = key
        event = Event()
        event.add("uid", event_uid(root, names[who], wave))
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        start, end = now or last
        event.add("dtstart", start)
        event.add("dtend", end + timedelta(days=1))  # all-day events end the day after
        if now is None:
            event.add("status", "CANCELLED")
            event.add("summary", f"Cancelled: wave {wave}: {names[who]}")
            event.add(
                "description", f"Plan {plan.id} moves nothing of {names[who]} in wave {wave}."
            )
        else:
            _describe(event, wave, names[who], start, end, by_wave[key])
        event.add("categories", ["migration wave", names[who]])
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar


def _describe(
    event: Event, wave: int, municipality: str, start: date, end: date, items: list[ExportItem]
) -> None:
    """Summary and description of a planned wave: items, effort and downtime."""
    downtime = sum(i.downtime_hours for i in items)
    effort = sum(i.effort_hours for i in items)
    event.add("status", "CONFIRMED")
    event.add(
        "summary", f"Wave {wave}: {municipality} — {len(items)} items, {downtime:g} h downtime"
    )
    lines = [
        f"Wave {wave} ({start:%Y-%m-%d} – {end:%Y-%m-%d}), {municipality}",
        f"{len(items)} items, {effort:g} h effort, {downtime:g} h downtime",
        "",
    ]
    for item in sorted(items, key=lambda i: (i.kind, i.name.casefold()))[:MAX_LISTED]:
        down = f", {item.downtime_hours:g} h downtime" if item.downtime_hours else ""
        lines.append(f"- {item.kind} {item.name}{down}")
    if len(items) > MAX_LISTED:
        lines.append(f"… and {len(items) - MAX_LISTED} more (see the Items sheet)")
    event.add("description", "\n".join(lines))


def write_ics(plan: ExportPlan, path: Path) -> Path:
    Path(path).write_bytes(build_calendar(plan).to_ical())
    return path
