"""planner/stored.py: `open_plan` opens a stored plan the one way every reader uses.

Each test stores a real plan of a handful of servers (through the real importer, solver and
database) and reads it back through `open_plan`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from exports.errors import PlannerError
from planner.config import parse_config
from planner.models import Plan
from planner.planning import make_plan
from planner.snapshot import load
from planner.stored import StoredPlan, open_plan
from tests.tiny_inventory import import_inventory, server

N = "Nordby"
FAST = dict(time_limit=5, workers=1, seed=0)
#: Five servers of 4 h for a server team of 8 h a wave: 2 + 2 + 1, three weekly waves.
TOML = """[calendar]
start = 2027-01-04
wave_length_days = 7
max_waves = 6
[capacity]
server = 8
[defaults.downtime_hours]
server = 3
"""


def _servers(count: int) -> dict[str, dict[str, list[dict[str, object]]]]:
    return {N: {"Servers": [server(f"Sø{i}", effort_hours=4) for i in range(1, count + 1)]}}


def _plan(engine: Engine, text: str = TOML, **kw: object) -> Plan:
    return make_plan(engine, parse_config(text), text, **FAST, **kw).plan  # type: ignore[arg-type]


def test_open_plan_reads_the_newest_plan_and_its_items(engine: Engine, tmp_path: Path) -> None:
    import_inventory(engine, tmp_path, _servers(5))
    first, second = _plan(engine), _plan(engine)
    stored = open_plan(engine)
    assert stored.id == second.id != first.id
    assert open_plan(engine, first.id).id == first.id
    assert sorted(stored.waves.values()) == [1, 1, 2, 2, 3]
    assert [(r.wave, r.item_id) for r in stored.rows] == sorted(
        (r.wave, r.item_id) for r in stored.rows
    )
    assert stored.config.calendar.start == date(2027, 1, 4)
    assert stored.inventory_state == "current"


def test_open_plan_without_a_plan_says_so(engine: Engine, tmp_path: Path) -> None:
    import_inventory(engine, tmp_path, _servers(1))
    with pytest.raises(PlannerError, match=r"there is no plan yet: run `planner plan` first"):
        open_plan(engine)
    _plan(engine)
    with pytest.raises(PlannerError, match=r"there is no plan 99 \(see `planner plans`\)"):
        open_plan(engine, 99)


def test_the_config_is_the_plans_with_its_recorded_start(engine: Engine, tmp_path: Path) -> None:
    # No [calendar] start: the first wave is "the coming Saturday" of the day the plan was
    # made, recorded with the plan; opening it on a later day keeps that date.
    import_inventory(engine, tmp_path, _servers(2))
    plan = _plan(engine, "[capacity]\nserver = 1000\n")
    with Session(engine) as session:
        row = session.get(Plan, plan.id)
        assert row is not None
        row.calendar_start = date(2027, 3, 6)
        session.commit()
    assert open_plan(engine).config.wave_windows()[0][0] == date(2027, 3, 6)


def test_the_graph_uses_the_plans_effort_defaults(engine: Engine, tmp_path: Path) -> None:
    import_inventory(engine, tmp_path, _servers(2))
    stored = open_plan(engine, _plan(engine).id)
    assert stored.graph.snapshot is stored.snapshot
    # The servers leave downtime blank: plan.toml's 3 h, not the built-in 2 h.
    assert [g.downtime_hours for g in stored.graph.groups] == [3.0, 3.0]


def test_the_inventory_is_read_when_first_asked_for(engine: Engine, tmp_path: Path) -> None:
    # Opened before a colleague's import, read after it: the snapshot is the newer one, and
    # the plan is then "changed". A snapshot handed over is used as it is.
    import_inventory(engine, tmp_path, _servers(2))
    _plan(engine)
    made_from = load(engine)
    stored = open_plan(engine)
    given = open_plan(engine, snapshot=made_from)
    import_inventory(engine, tmp_path, _servers(3))
    assert f"{N}/server/Sø3" in stored.snapshot.items
    assert stored.inventory_state == "changed"
    assert given.snapshot is made_from and given.inventory_state == "current"


def test_the_problem_holds_the_plans_pins_and_executed_waves(
    engine: Engine, tmp_path: Path
) -> None:
    # A re-plan that keeps wave 1 stores its two wave-1 servers as pinned there; the rebuilt
    # problem pins their move groups to wave 1 and knows the parent's waves.
    import_inventory(engine, tmp_path, _servers(5))
    first = _plan(engine)
    second = _plan(engine, parent=first, freeze_through=1)
    stored = open_plan(engine, second.id)
    executed = {node for node, wave in open_plan(engine, first.id).waves.items() if wave == 1}
    planning = stored.problem
    assert set(planning.frozen) == executed
    assert sorted(w for _, w in planning.problem.pins) == [1, 1]
    assert planning.problem.previous and stored.parent_waves == open_plan(engine, first.id).waves
    assert open_plan(engine, first.id).problem.problem.pins == ()  # the first plan: none


def test_of_wraps_a_plan_in_hand(engine: Engine, tmp_path: Path) -> None:
    import_inventory(engine, tmp_path, _servers(1))
    plan = _plan(engine)
    stored = StoredPlan.of(engine, plan)
    assert stored.plan is plan and stored.waves == {f"{N}/server/Sø1": 1}
