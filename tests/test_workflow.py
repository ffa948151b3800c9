"""planner/workflow.py: `plan_and_verify`, what `planner plan`, `replan` and `demo` share.

Real inventories, solver and database; the plans are a handful of servers with a known
optimum, derived beside each assertion.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from exports.errors import PlannerError
from planner.config import parse_config
from planner.planning import list_plans
from planner.stored import open_plan
from planner.workflow import plan_and_verify
from tests.tiny_inventory import import_inventory, server

N = "Nordby"
FAST = dict(time_limit=5, workers=1, seed=0)
#: Five servers of 4 h for a server team of 8 h a wave: ceil(20 / 8) = 3 waves.
TOML = """[calendar]
start = 2027-01-04
wave_length_days = 7
max_waves = 6
[capacity]
server = 8
"""


@pytest.fixture
def five_servers(engine: Engine, tmp_path: Path) -> Engine:
    import_inventory(
        engine, tmp_path, {N: {"Servers": [server(f"Å{i}", effort_hours=4) for i in range(1, 6)]}}
    )
    return engine


def test_a_plan_is_stored_and_verified(five_servers: Engine) -> None:
    verified = plan_and_verify(five_servers, parse_config(TOML), TOML, **FAST)  # type: ignore[arg-type]
    assert verified.violations == []
    assert verified.outcome.plan.waves_used == 3 and verified.outcome.result.status == "optimal"
    assert open_plan(five_servers).id == verified.outcome.plan.id


def test_a_replan_revises_the_given_plan_and_keeps_its_executed_waves(five_servers: Engine) -> None:
    config = parse_config(TOML)
    first = plan_and_verify(five_servers, config, TOML, **FAST).outcome.plan  # type: ignore[arg-type]
    plan_and_verify(five_servers, config, TOML, **FAST)  # type: ignore[arg-type]  # a newer plan
    verified = plan_and_verify(
        five_servers, config, TOML, replan=True, parent_id=first.id, freeze_through=1, **FAST
    )  # type: ignore[arg-type]
    revised = verified.outcome.plan
    assert verified.violations == []
    assert revised.parent_id == first.id and revised.frozen_through == 1
    before = open_plan(five_servers, first.id).waves
    after = open_plan(five_servers, revised.id).waves
    assert {n for n, w in before.items() if w == 1} == {n for n, w in after.items() if w == 1}


def test_a_replan_of_a_missing_plan_stores_nothing(five_servers: Engine) -> None:
    config = parse_config(TOML)
    with pytest.raises(PlannerError, match=r"there is no plan 7"):
        plan_and_verify(five_servers, config, TOML, replan=True, parent_id=7, **FAST)  # type: ignore[arg-type]
    with pytest.raises(PlannerError, match="there is no plan yet"):
        plan_and_verify(five_servers, config, TOML, replan=True, **FAST)  # type: ignore[arg-type]
    assert list_plans(five_servers) == []


def test_the_cli_plans_and_replans_through_it(
    five_servers: Engine, tmp_path: Path, run_cli
) -> None:  # type: ignore[no-untyped-def]
    # `planner plan` then `planner replan --plan 1 --freeze-through 1`, as real processes:
    # both verified, and the re-plan stored as plan 1's revision with wave 1 kept.
    (tmp_path / "plan.toml").write_text(TOML, encoding="utf-8")
    planned = run_cli("plan", "--time-limit", "5", "--workers", "1")
    assert planned.returncode == 0, planned.stderr
    assert "Verified: plan 1 satisfies every hard constraint." in planned.stdout
    replanned = run_cli(
        "replan", "--plan", "1", "--freeze-through", "1", "--time-limit", "5", "--workers", "1"
    )
    assert replanned.returncode == 0, replanned.stderr
    assert "Verified: plan 2 satisfies every hard constraint." in replanned.stdout
    revised = open_plan(five_servers)
    assert (revised.id, revised.plan.parent_id, revised.plan.frozen_through) == (2, 1, 1)
    missing = run_cli("replan", "--plan", "7", "--freeze-through", "1")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "error: there is no plan 7 (see `planner plans`)"
    assert [p.id for p in list_plans(five_servers)] == [1, 2]  # nothing stored
