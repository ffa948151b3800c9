"""Tests for planning: inventory + plan.toml -> move groups -> CP-SAT -> a stored plan.

Each instance is a handful of rows with a known optimum, derived in a comment beside
the assertion. Every plan a test solves goes through the independent verifier
(`planner.verify.verify_plan`) and must have no violations. Time limits are short and
instances tiny: the whole file runs in seconds on a busy 2-core machine.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from planner.config import parse_config
from exports.errors import PlannerError
from planner.models import Plan
from planner.export_data import load_export
from planner.planning import (
    NoPlan,
    PlanOutcome,
    latest_plan,
    make_plan,
    plan_config,
    plan_items,
    plan_waves,
)
from planner.verify import verify_plan
from tests.tiny_inventory import Sheets, app, dep, import_inventory, server

N, S = "Nordby", "Sydby"
FAST = dict(time_limit=5, workers=1, seed=0)


def nid(kind: str, name: str, municipality: str = N) -> str:
    return f"{municipality}/{kind}/{name}"


def toml(max_waves: int = 6, capacity: dict[str, Any] | None = None, extra: str = "") -> str:
    """plan.toml for tests: weekly waves from Monday 2027-01-04, every team 1000 h unless given."""
    caps = {
        "network": 1000,
        "directory": 1000,
        "server": 1000,
        "application": 1000,
        "workplace": 1000,
        **(capacity or {}),
    }
    lines = [
        "[calendar]",
        "start = 2027-01-04",
        "wave_length_days = 7",
        f"max_waves = {max_waves}",
        "[capacity]",
    ]
    lines += [f"{team} = {value}" for team, value in caps.items()]
    return "\n".join(lines) + "\n" + extra


def plan(engine: Engine, config_text: str, **kw: Any) -> PlanOutcome:
    """Solve, store and verify: a plan that the independent verifier rejects fails the test."""
    outcome = make_plan(engine, parse_config(config_text), config_text, **{**FAST, **kw})
    assert verify_plan(engine, outcome.plan) == []
    return outcome


def solve(
    engine: Engine, folder: Path, inventory: dict[str, Sheets], config_text: str, **kw: Any
) -> PlanOutcome:
    import_inventory(engine, folder, inventory)
    return plan(engine, config_text, **kw)


def assert_optimal(outcome: PlanOutcome, waves: int) -> None:
    """The optimum, its proof (bound) and the status."""
    result = outcome.result
    assert result.objective["waves"] == waves
    assert result.bound["waves"] == waves
    assert result.lower_bound_waves == waves
    assert result.status == "optimal"
    assert outcome.plan.waves_used == waves and outcome.plan.lower_bound_waves == waves
    assert max(outcome.item_waves.values()) == waves


def no_plan(
    engine: Engine, folder: Path, inventory: dict[str, Sheets], config_text: str
) -> list[str]:
    import_inventory(engine, folder, inventory)
    with pytest.raises(NoPlan) as caught:
        make_plan(engine, parse_config(config_text), config_text, **FAST)
    assert caught.value.status == "infeasible"
    assert str(caught.value).startswith("no plan exists:\n  ")
    return caught.value.causes


def servers(count: int, hours: float = 4, **extra: Any) -> list[dict[str, Any]]:
    return [server(f"S{i}", effort_hours=hours, **extra) for i in range(1, count + 1)]


def saas(*names: str, **extra: Any) -> list[dict[str, Any]]:
    return [app(name, strategy="saas", **extra) for name in names]


FIVE_SERVERS: dict[str, Sheets] = {N: {"Servers": servers(5)}}


# ----------------------------------------------------------------------------- capacities
def test_team_capacity(engine: Engine, tmp_path: Path) -> None:
    # 5 servers of 4 h, server team 8 h/wave: at most 2 per wave => ceil(20 / 8) = 3 waves.
    outcome = solve(engine, tmp_path, FIVE_SERVERS, toml(capacity={"server": 8}))
    assert_optimal(outcome, 3)
    assert outcome.result.phases[0].name == "waves"
    per_wave = [sum(1 for w in outcome.item_waves.values() if w == k) for k in (1, 2, 3)]
    assert sorted(per_wave) == [1, 2, 2]


def test_capacity_list_per_wave(engine: Engine, tmp_path: Path) -> None:
    # server = [12, 4, 12]: wave 1 holds 3 servers, wave 2 only 1, so 2 waves hold 4 < 5
    # servers; wave 3 takes the fifth => 3 waves (a flat 12 h would need only ceil(20/12) = 2).
    outcome = solve(engine, tmp_path, FIVE_SERVERS, toml(capacity={"server": "[12, 4, 12]"}))
    assert_optimal(outcome, 3)
    assert sum(1 for w in outcome.item_waves.values() if w == 2) <= 1


def test_ramp_up(engine: Engine, tmp_path: Path) -> None:
    # 10 h/wave ramping linearly from 40 % over 3 waves: 4 h, 7 h, 10 h, 10 h … => 1, 1, 2, 2
    # servers of 4 h per wave; 5 servers need 4 waves (without ramp-up: 2 per wave => 3).
    extra = "[rules]\nramp_up_waves = 3\nramp_up_start = 0.4\n"
    outcome = solve(engine, tmp_path, FIVE_SERVERS, toml(capacity={"server": 10}, extra=extra))
    assert_optimal(outcome, 4)
    waves = list(outcome.item_waves.values())
    assert waves.count(1) == 1 and waves.count(2) == 1


def test_onboarding_vcpu_per_wave(engine: Engine, tmp_path: Path) -> None:
    # 4 servers of 8 vCPU, 16 vCPU may be onboarded per wave => 2 servers per wave => 2 waves.
    inventory = {N: {"Servers": servers(4, vcpu=8)}}
    outcome = solve(
        engine, tmp_path, inventory, toml(extra="[target]\nvcpu = 32\nonboard_vcpu_per_wave = 16\n")
    )
    assert_optimal(outcome, 2)


def test_target_total_vcpu(engine: Engine, tmp_path: Path) -> None:
    import_inventory(engine, tmp_path, {N: {"Servers": servers(4, vcpu=8)}})
    plan(engine, toml(extra="[target]\nvcpu = 32\n"))  # exactly enough: passes
    with pytest.raises(PlannerError) as caught:
        make_plan(engine, parse_config(toml(extra="[target]\nvcpu = 31\n")), **FAST)
    assert str(caught.value) == (
        "the servers to move need 32 vCPU, "
        "but the target platform has 31 (target.vcpu); no plan can fit them"
    )


def test_downtime_per_municipality(engine: Engine, tmp_path: Path) -> None:
    # Applications have 4 h downtime by default; 8 h per municipality per wave => 2 of
    # Nordby's 4 per wave, and Sydby's 4 fit beside them: 2 waves (a shared limit would need 4).
    inventory = {
        N: {"Applications": saas("A", "B", "C", "D")},
        S: {"Applications": saas("E", "F", "G", "H")},
    }
    outcome = solve(
        engine,
        tmp_path,
        inventory,
        toml(extra="[downtime]\nmax_hours_per_municipality_per_wave = 8\n"),
    )
    assert_optimal(outcome, 2)


def test_critical_downtime(engine: Engine, tmp_path: Path) -> None:
    # 3 critical applications of 4 h downtime, 4 h of critical downtime per wave => one per
    # wave => 3 waves; the 3 non-critical ones do not count.
    inventory = {
        N: {"Applications": saas("K1", "K2", "K3", criticality="critical") + saas("A", "B", "C")}
    }
    outcome = solve(
        engine, tmp_path, inventory, toml(extra="[downtime]\nmax_critical_hours_per_wave = 4\n")
    )
    assert_optimal(outcome, 3)
    assert sorted(outcome.item_waves[nid("application", k)] for k in ("K1", "K2", "K3")) == [
        1,
        2,
        3,
    ]


# ----------------------------------------------------------------------------- rules and order
def test_critical_not_before(engine: Engine, tmp_path: Path) -> None:
    # The one critical application may not move before wave 3 => 3 waves.
    inventory = {N: {"Applications": saas("K", criticality="critical") + saas("A")}}
    outcome = solve(engine, tmp_path, inventory, toml(extra="[rules]\ncritical_not_before = 3\n"))
    assert_optimal(outcome, 3)
    assert outcome.item_waves[nid("application", "K")] == 3


def test_pilot_municipality_goes_first(engine: Engine, tmp_path: Path) -> None:
    # Wave 1 belongs to the pilot Nordby, so Sydby's application waits for wave 2 => 2 waves.
    inventory = {N: {"Applications": saas("A")}, S: {"Applications": saas("B")}}
    outcome = solve(engine, tmp_path, inventory, toml(extra='[order]\npilot = "nordby"\n'))
    assert_optimal(outcome, 2)
    assert outcome.item_waves[nid("application", "B", S)] == 2


def test_pin(engine: Engine, tmp_path: Path) -> None:
    # Without the pin everything fits wave 1; pinned to wave 3 => 3 waves.
    outcome = solve(engine, tmp_path, FIVE_SERVERS, toml(extra='[pins]\n"Nordby/server/S2" = 3\n'))
    assert_optimal(outcome, 3)
    assert outcome.item_waves[nid("server", "S2")] == 3
    stored = {row.item_id: row.pinned for row in plan_items(engine, outcome.plan.id or 0)}
    assert stored == {**{n: None for n in outcome.item_waves}, nid("server", "S2"): 3}


def test_item_window(engine: Engine, tmp_path: Path) -> None:
    # S1 may only move in waves 2..2 => 2 waves.
    outcome = solve(
        engine,
        tmp_path,
        FIVE_SERVERS,
        toml(extra='[windows]\n"Nordby/server/S1" = { earliest = 2, latest = 2 }\n'),
    )
    assert_optimal(outcome, 2)
    assert outcome.item_waves[nid("server", "S1")] == 2


def test_latest_window_binds(engine: Engine, tmp_path: Path) -> None:
    # 5 servers, 2 per wave (3 waves), but S5 must be done by wave 1: it takes one of wave 1's
    # slots.
    outcome = solve(
        engine,
        tmp_path,
        FIVE_SERVERS,
        toml(capacity={"server": 8}, extra='[windows]\n"Nordby/server/S5" = { latest = 1 }\n'),
    )
    assert_optimal(outcome, 3)
    assert outcome.item_waves[nid("server", "S5")] == 1


def test_blackout_dates(engine: Engine, tmp_path: Path) -> None:
    # Wave 1 is 2027-01-04..01-10; the blackout 01-05..01-06 rules it out => wave 2.
    inventory = {N: {"Applications": saas("A", blackout="2027-01-05..2027-01-06") + saas("B")}}
    outcome = solve(engine, tmp_path, inventory, toml())
    assert_optimal(outcome, 2)
    assert outcome.item_waves[nid("application", "A")] == 2
    assert outcome.planning.blackouts == {nid("application", "A"): [1]}


@pytest.mark.parametrize(
    ("no_wave_dates", "first_window", "wave_of_a"),
    [
        ([], (date(2027, 1, 4), date(2027, 1, 10)), 1),
        # No wave may run 01-04..01-06: wave 1 shifts to 01-07..01-13, which hits A's blackout.
        (["2027-01-04..2027-01-06"], (date(2027, 1, 7), date(2027, 1, 13)), 2),
    ],
)
def test_no_wave_dates_shift_the_waves(
    engine: Engine,
    tmp_path: Path,
    no_wave_dates: list[str],
    first_window: tuple[date, date],
    wave_of_a: int,
) -> None:
    inventory = {N: {"Applications": saas("A", blackout="2027-01-12..2027-01-12")}}
    dates = ", ".join(f'"{d}"' for d in no_wave_dates)
    outcome = solve(
        engine,
        tmp_path,
        inventory,
        toml().replace("[capacity]", f"no_wave_dates = [{dates}]\n[capacity]"),
    )
    assert outcome.planning.windows[0] == first_window
    assert_optimal(outcome, wave_of_a)
    assert outcome.item_waves[nid("application", "A")] == wave_of_a


# ----------------------------------------------------------------------------- dependencies
def test_runs_on_moves_server_with_application(engine: Engine, tmp_path: Path) -> None:
    # S1 is pinned to wave 2; ESDH runs on it, so ESDH moves in wave 2 too.
    inventory = {N: {"Servers": servers(2), "Applications": [app("ESDH", servers="S1")]}}
    outcome = solve(engine, tmp_path, inventory, toml(extra='[pins]\n"Nordby/server/S1" = 2\n'))
    assert_optimal(outcome, 2)
    assert outcome.item_waves[nid("application", "ESDH")] == 2


def test_workplace_after_its_directory(engine: Engine, tmp_path: Path) -> None:
    # The directory must be settled in an earlier wave than the PCs that join it => 2 waves.
    inventory = {
        N: {
            "Directories": [dict(name="nb.local")],
            "Workplaces": [dict(name="Adm", pcs=10, directory="nb.local")],
        }
    }
    outcome = solve(engine, tmp_path, inventory, toml())
    assert_optimal(outcome, 2)
    assert outcome.item_waves == {nid("directory", "nb.local"): 1, nid("workplace", "Adm"): 2}


def test_before_or_same_allows_the_same_wave(engine: Engine, tmp_path: Path) -> None:
    # Adm uses ESDH (ESDH in the same or an earlier wave): both fit wave 1 => 1 wave.
    inventory = {
        N: {
            "Applications": saas("ESDH"),
            "Workplaces": [dict(name="Adm", pcs=1)],
            "Dependencies": [dep("workplace", "Adm", "application", "ESDH", "uses")],
        }
    }
    assert_optimal(solve(engine, tmp_path, inventory, toml()), 1)


def test_soft_splits_are_minimised(engine: Engine, tmp_path: Path) -> None:
    # Four applications of 4 h, 8 h per wave => 2 waves of two. The soft integrations form a
    # ring A-B-C-D-A: any split into two pairs cuts at least 2 ring edges (A,B | C,D cuts B-C
    # and D-A) => optimum 2 splits.
    ring = [("A", "B"), ("B", "C"), ("C", "D"), ("D", "A")]
    inventory = {
        N: {
            "Applications": saas("A", "B", "C", "D", effort_hours=4),
            "Dependencies": [
                dep("application", a, "application", b, "integrates_with", strength="soft")
                for a, b in ring
            ],
        }
    }
    outcome = solve(engine, tmp_path, inventory, toml(capacity={"application": 8}))
    assert_optimal(outcome, 2)
    phases = {p.name: p for p in outcome.result.phases}
    assert (phases["splits"].objective, phases["splits"].bound, phases["splits"].status) == (
        2,
        2,
        "optimal",
    )
    w = {name: outcome.item_waves[nid("application", name)] for name in "ABCD"}
    assert sum(w[a] != w[b] for a, b in ring) == 2
    greedy = outcome.result.greedy
    assert greedy is not None and greedy.objective["splits"] >= 2


# ---------------------------------------------------------------------------- no plan: explanations
def test_infeasible_pin_vs_blackout(engine: Engine, tmp_path: Path) -> None:
    inventory = {
        N: {
            "Servers": servers(1),
            "Applications": [app("A", servers="S1", blackout="2027-01-05..2027-01-06")],
        }
    }
    causes = no_plan(
        engine, tmp_path, inventory, toml(extra='[pins]\n"Nordby/application/A" = 1\n')
    )
    assert causes == [
        "Nordby/application/A is pinned to wave 1, and Nordby/server/S1 must move with it",
        "Nordby/application/A's blackout dates rule out waves 1",
    ]


def test_infeasible_pin_vs_window(engine: Engine, tmp_path: Path) -> None:
    extra = (
        '[pins]\n"Nordby/application/A" = 1\n[windows]\n"Nordby/application/A" = { earliest = 2 }\n'
    )
    causes = no_plan(engine, tmp_path, {N: {"Applications": saas("A")}}, toml(extra=extra))
    assert causes == [
        "Nordby/application/A is pinned to wave 1",
        "Nordby/application/A may only move in waves 2..6 (window waves 2..6 in plan.toml)",
    ]


def test_infeasible_oversized_move_group(engine: Engine, tmp_path: Path) -> None:
    # S1 (12 h) must move with ESDH; the server team has 8 h per wave.
    inventory = {N: {"Servers": servers(1, hours=12), "Applications": [app("ESDH", servers="S1")]}}
    causes = no_plan(engine, tmp_path, inventory, toml(capacity={"server": 8}))
    assert causes == [
        "Nordby/application/ESDH (+1 moving with it) "
        "needs 12.0 h of server team capacity, more than "
        "any wave has (8.0 h); its members must move together: "
        "Nordby/application/ESDH, Nordby/server/S1"
    ]


def test_infeasible_capacity(engine: Engine, tmp_path: Path) -> None:
    # 20 h of server work, 8 h per wave, 2 waves => 16 h < 20 h.
    causes = no_plan(engine, tmp_path, FIVE_SERVERS, toml(max_waves=2, capacity={"server": 8}))
    assert causes == [
        "wave 1 has 8.0 h of server team capacity",
        "wave 2 has 8.0 h of server team capacity",
        "the calendar has only 2 waves (calendar.max_waves, no_wave_dates)",
    ]


def test_infeasible_precedence_chain_longer_than_calendar(engine: Engine, tmp_path: Path) -> None:
    # A <- B <- C, each consolidated into the previous one (strictly before) => 3 waves > 2.
    inventory = {
        N: {
            "Applications": saas("A")
            + [
                app("B", strategy="consolidate", target="A"),
                app("C", strategy="consolidate", target="B"),
            ]
        }
    }
    causes = no_plan(engine, tmp_path, inventory, toml(max_waves=2))
    assert causes == [
        "Nordby/application/B is consolidated into Nordby/application/A, "
        "which must move in an earlier wave "
        "(column target)",
        "Nordby/application/C is consolidated into Nordby/application/B, "
        "which must move in an earlier wave "
        "(column target)",
        "the calendar has only 2 waves (calendar.max_waves, no_wave_dates)",
    ]


def test_conflicting_pins_in_one_move_group(engine: Engine, tmp_path: Path) -> None:
    import_inventory(
        engine, tmp_path, {N: {"Servers": servers(1), "Applications": [app("A", servers="S1")]}}
    )
    text = toml(extra='[pins]\n"Nordby/application/A" = 1\n"Nordby/server/S1" = 2\n')
    with pytest.raises(PlannerError) as caught:
        make_plan(engine, parse_config(text), text, **FAST)
    assert str(caught.value) == (
        "Nordby/server/S1 is pinned to wave 2, but Nordby/application/A is pinned to wave 1 "
        "and both must move together (move group G0001)"
    )
    # the same pins on different move groups are fine
    plan(engine, toml(extra='[pins]\n"Nordby/application/A" = 2\n"Nordby/server/S1" = 2\n'))


def test_strict_cycle_is_no_plan(engine: Engine, tmp_path: Path) -> None:
    inventory = {
        N: {
            "Directories": [dict(name="nb.local")],
            "Workplaces": [dict(name="Adm", pcs=1, directory="nb.local")],
            "Dependencies": [dep("directory", "nb.local", "workplace", "Adm", "uses")],
        }
    }
    assert no_plan(engine, tmp_path, inventory, toml()) == [
        "dependency loop with a strictly-before rule: "
        "Nordby/directory/nb.local -> Nordby/workplace/Adm -> "
        "Nordby/directory/nb.local"
    ]


# ----------------------------------------------------------------------------- re-planning
def test_replan_keeps_executed_waves_and_moves_nothing_needlessly(
    engine: Engine, tmp_path: Path
) -> None:
    # First plan: 5 servers of 4 h at 8 h/wave => waves of 2, 2, 1. Wave 1 is executed; then
    # a sixth server is inventoried. 24 h => still 3 waves (2, 2, 2): S6 fills wave 3's free
    # slot, so no old server has to change its wave => 0 moved.
    config = toml(capacity={"server": 8})
    first = solve(engine, tmp_path, FIVE_SERVERS, config)
    assert_optimal(first, 3)
    import_inventory(engine, tmp_path, {N: {"Servers": servers(6)}})
    second = plan(engine, config, parent=first.plan, freeze_through=1)
    assert second.plan.parent_id == first.plan.id and second.plan.frozen_through == 1
    assert_optimal(second, 3)
    executed = {n for n, w in first.item_waves.items() if w == 1}
    assert {
        n for n, w in second.item_waves.items() if w == 1
    } == executed  # unchanged, nothing added
    assert {n: second.item_waves[n] for n in first.item_waves} == first.item_waves  # nothing moved
    assert second.result.objective["moved"] == 0
    assert second.item_waves[nid("server", "S6")] == 3
    assert (
        plan_waves(engine, first.plan.id or 0) == first.item_waves
    )  # the parent is kept as it was


def test_replan_moves_as_few_items_as_possible(engine: Engine, tmp_path: Path) -> None:
    # First plan: 5 servers in waves 1, 1, 2, 2, 3 (8 h/wave). Wave 1 executed; now S3 is
    # pinned to wave 3. Wave 3 had one server, so S3 joins it and nothing else changes:
    # exactly 1 moved item (S3), where a plan from scratch could reshuffle waves 2 and 3.
    config = toml(capacity={"server": 8})
    first = solve(engine, tmp_path, FIVE_SERVERS, config)
    movable = sorted(n for n, w in first.item_waves.items() if w == 2)
    target = movable[0]
    second = plan(engine, config + f'[pins]\n"{target}" = 3\n', parent=first.plan, freeze_through=1)
    assert second.result.objective["moved"] == 1
    changed = {n for n in first.item_waves if first.item_waves[n] != second.item_waves[n]}
    assert changed == {target}


def test_replan_verifier_catches_a_changed_executed_wave(engine: Engine, tmp_path: Path) -> None:
    """The verifier's frozen rule is live: a re-plan that rewrote history would be reported."""
    from sqlmodel import Session, select

    from planner.models import PlanItem

    config = toml(capacity={"server": 8})
    first = solve(engine, tmp_path, FIVE_SERVERS, config)
    second = plan(engine, config, parent=first.plan, freeze_through=1)
    with Session(engine) as session:
        row = session.exec(
            select(PlanItem).where(PlanItem.plan_id == second.plan.id, PlanItem.wave == 1)
        ).first()
        assert row is not None
        row.wave, row.pinned = 3, None
        session.commit()
        moved = row.item_id
    stored = latest_plan(engine, second.plan.id)
    assert any(v.rule == "frozen" and moved in v.message for v in verify_plan(engine, stored))


# ----------------------------------------------------------------------------- determinism
def test_same_seed_and_workers_give_the_same_plan(engine: Engine, tmp_path: Path) -> None:
    # Many equally good plans (12 interchangeable servers, 3 per wave, two soft pairs):
    # only determinism makes the answer repeat.
    inventory = {
        N: {
            "Servers": servers(12),
            "Applications": saas("A", "B", "C"),
            "Dependencies": [
                dep("application", "A", "application", "B", "integrates_with", strength="soft"),
                dep("application", "B", "application", "C", "integrates_with", strength="soft"),
            ],
        }
    }
    import_inventory(engine, tmp_path, inventory)
    config = toml(capacity={"server": 12, "application": 32})
    runs = [plan(engine, config, time_limit=3, workers=2, seed=7) for _ in range(2)]
    assert runs[0].item_waves == runs[1].item_waves
    assert runs[0].result.objective == runs[1].result.objective
    assert_optimal(runs[0], 4)  # 48 h / 12 h per wave = 4


# ----------------------------------------------------------------------------- plan.toml errors
def test_config_pin_to_unknown_item(engine: Engine, tmp_path: Path) -> None:
    import_inventory(engine, tmp_path, FIVE_SERVERS)
    text = toml(extra='[pins]\n"Nordby/server/S9" = 1\n')
    with pytest.raises(PlannerError) as caught:
        make_plan(engine, parse_config(text), text, **FAST)
    assert (
        str(caught.value) == "pins: 'Nordby/server/S9' names no item (write municipality/kind/name)"
    )


# ----------------------------------------------------------------------------- CLI
def test_cli_plan_and_verify(engine: Engine, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    import_inventory(engine, tmp_path, FIVE_SERVERS)
    (tmp_path / "plan.toml").write_text(toml(capacity={"server": 8}), encoding="utf-8")
    result = run_cli("plan", "--config", "plan.toml", "--time-limit", "5", "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert "OPTIMAL — 3 waves (lower bound 3), 5 items in 5 move groups" in result.stdout
    assert "Verified: plan 1 satisfies every hard constraint." in result.stdout
    verified = run_cli("verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == "Plan 1 satisfies every hard constraint."
    stored = latest_plan(engine)
    assert isinstance(stored, Plan) and stored.status == "optimal" and stored.waves_used == 3
    assert verify_plan(engine, stored) == []

    # The plan remembers its inventory: the same inventory re-imported keeps it current …
    import_inventory(engine, tmp_path, FIVE_SERVERS)
    listed = run_cli("plans")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[-2].split("│")[-2].strip() == "current"
    # … a changed one makes it stale, and verify says so before the rule it now breaks.
    import_inventory(engine, tmp_path, {N: {"Servers": servers(6)}})
    assert "changed" in run_cli("plans").stdout.splitlines()[-2]
    stale = run_cli("verify")
    assert stale.returncode == 1
    assert stale.stderr.splitlines()[0].startswith(
        "note: the inventory has changed since plan 1 was made ("
    )
    assert stale.stdout.strip() == "coverage: Nordby/server/S6 has no wave"
    assert stale.stderr.splitlines()[-1] == "error: plan 1 breaks 1 hard constraint(s)"


def test_a_stored_plan_keeps_its_wave_dates_on_every_later_day(
    engine: Engine, tmp_path: Path
) -> None:
    """Issue 21: without `[calendar] start` the first wave is "the coming Saturday", and a stored
    plan took it from the day it was read: verified or exported a week later, its waves moved.
    The start is recorded with the plan; here the record says the plan was made for waves from
    Saturday 2027-03-06 (as if made that week) and every reader keeps those dates."""
    text = "[capacity]\nserver = 1000\napplication = 1000\n"
    outcome = solve(engine, tmp_path, {N: {"Servers": servers(2)}}, text)
    config = parse_config(text)
    assert outcome.plan.calendar_start == config.calendar.start  # the start it was made with
    with Session(engine) as session:
        stored = session.get(Plan, outcome.plan.id)
        assert stored is not None
        stored.calendar_start = date(2027, 3, 6)
        session.add(stored)
        session.commit()
    reread = latest_plan(engine)
    assert plan_config(reread).wave_windows()[0] == (date(2027, 3, 6), date(2027, 3, 19))
    assert load_export(engine).waves[0].start == date(2027, 3, 6)
    assert verify_plan(engine, reread) == []
