"""`plan.ics` across re-plans (issue 22 item 5, issue 20 item 6): UIDs derive from stable ids
(the lineage's first plan, the municipality's identity, the wave), never from a slug, so
names that differ only in letters outside ASCII get their own events; SEQUENCE rises when a
wave's dates change; a wave no longer used is sent as cancelled. Read back with icalendar.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from icalendar import Calendar

import exports
from exports.ics import event_uid
from exports.model import TEAMS, ExportItem, ExportPlan, ExportWave
from planner.importing import import_files
from tests.conftest import InventoryBook
from tests.test_progress import TOML, M

NAMES = ("Åby", "Øby", "Aby", "Nord by", "Nord-by", "Nord_by")


def events_of(path: Path) -> dict[str, Any]:
    calendar = Calendar.from_ical(path.read_bytes())
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def plan_of(
    names: tuple[str, ...], past: tuple[Any, ...] = (), root: int | None = None
) -> ExportPlan:
    wave = ExportWave(
        1,
        date(2027, 1, 9),
        date(2027, 1, 22),
        len(names),
        {t: 100.0 for t in TEAMS},
        {t: 0.0 for t in TEAMS},
        {},
    )
    items = tuple(
        ExportItem(
            id=f"{n}/server/S",
            municipality=n,
            kind="server",
            name="S",
            wave=1,
            move_group=f"G{i}",
            effort_hours=1.0,
            downtime_hours=0.0,
            team="server",
        )
        for i, n in enumerate(names)
    )
    return ExportPlan(
        id=7,
        status="optimal",
        created=datetime(2026, 12, 1, tzinfo=UTC),
        objective={},
        bound={},
        municipalities=names,
        waves=(wave,),
        items=items,
        lineage_root=root,
        calendar_past=past,
    )


def test_names_differing_only_outside_ascii_get_their_own_uids(tmp_path: Path) -> None:
    events = events_of(exports.write(tmp_path / "plan.ics", plan_of(NAMES)))
    assert len(events) == len(NAMES)  # Åby/Øby/Aby and Nord by/Nord-by/Nord_by: six UIDs
    assert {str(e["categories"].cats[1]) for e in events.values()} == set(NAMES)
    assert all(
        e.decoded("sequence") == 0 and str(e["status"]) == "CONFIRMED" for e in events.values()
    )


def test_uid_is_stable_for_the_same_identity_and_case() -> None:
    assert event_uid(1, "Åby", 3) == event_uid(
        1, "ÅBY ", 3
    )  # the municipality's identity is case-free
    assert event_uid(1, "Åby", 3) != event_uid(2, "Åby", 3) != event_uid(1, "Åby", 4)


def test_a_cancelled_wave_is_sent_cancelled_with_a_raised_sequence(tmp_path: Path) -> None:
    """Plan 7 descends from plan 5, which also moved Øby in wave 2: that event is cancelled."""
    past = (
        (
            (1, "Åby", date(2027, 1, 9), date(2027, 1, 22)),
            (2, "Øby", date(2027, 1, 23), date(2027, 2, 5)),
        ),
    )
    events = events_of(exports.write(tmp_path / "plan.ics", plan_of(("Åby",), past, root=5)))
    cancelled = events[event_uid(5, "Øby", 2)]
    assert str(cancelled["status"]) == "CANCELLED" and cancelled.decoded("sequence") == 1
    assert cancelled.decoded("dtstart") == date(2027, 1, 23)
    assert events[event_uid(5, "Åby", 1)].decoded("sequence") == 0


MOVED_CALENDAR = TOML.replace("start = 2027-01-09", "start = 2027-01-16")


def test_uids_survive_a_replan_and_a_moved_wave_raises_sequence(
    tmp_path: Path, engine: Any, run_cli: Callable[..., Any]
) -> None:
    """Plan 1: wave 1 = networks + directory, wave 2 = the rest. Plan 2 pins the rest to wave 3
    (wave 2 cancelled, wave 3 new); plan 3 starts the calendar a week later (every wave moves)."""
    import_files(engine, [InventoryBook(tmp_path).write()])
    (tmp_path / "plan.toml").write_text(TOML, encoding="utf-8")
    assert run_cli("plan", "--time-limit", "5", "--workers", "1").returncode == 0
    assert run_cli("export", "plan1.ics").returncode == 0
    first = events_of(tmp_path / "plan1.ics")
    rest = ["Søndre Skole elever", "Rådhus administration"]
    pins = (
        "\n[pins]\n"
        + "".join(f'"{M}/workplace/{n}" = 3\n' for n in rest)
        + "".join(
            f'"{M}/{k}" = 3\n'
            for k in (
                "application/Skoleportal",
                "application/Økonomistyring",
                "server/SRV-SKOLE-02",
                "server/SRV-ØKO-01",
            )
        )
    )
    (tmp_path / "plan.toml").write_text(TOML + pins, encoding="utf-8")
    replan = run_cli("replan", "--freeze-through", "1", "--time-limit", "5", "--workers", "1")
    assert replan.returncode == 0, replan.stderr
    assert run_cli("export", "plan2.ics").returncode == 0
    second = events_of(tmp_path / "plan2.ics")
    wave = {n: event_uid(1, M, n) for n in (1, 2, 3)}
    assert set(first) == {wave[1], wave[2]}
    assert set(second) == {wave[1], wave[2], wave[3]}  # same UIDs, one cancelled, one new
    assert (
        second[wave[1]].decoded("sequence") == 0
        and second[wave[1]]["dtstart"] == first[wave[1]]["dtstart"]
    )
    assert (
        str(second[wave[2]]["status"]) == "CANCELLED" and second[wave[2]].decoded("sequence") == 1
    )
    assert (
        str(second[wave[3]]["status"]) == "CONFIRMED" and second[wave[3]].decoded("sequence") == 0
    )
    (tmp_path / "plan.toml").write_text(MOVED_CALENDAR + pins, encoding="utf-8")
    assert (
        run_cli("replan", "--freeze-through", "0", "--time-limit", "5", "--workers", "1").returncode
        == 0
    )
    assert run_cli("export", "plan3.ics").returncode == 0
    third = events_of(tmp_path / "plan3.ics")
    assert set(third) == set(second)
    assert third[wave[1]].decoded("sequence") == 1 and third[wave[1]].decoded("dtstart") == date(
        2027, 1, 16
    )
    assert third[wave[3]].decoded("sequence") == 1
    assert str(third[wave[2]]["status"]) == "CANCELLED" and third[wave[2]].decoded("sequence") == 1
