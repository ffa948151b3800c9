"""`planner replan --from-progress`: done items never move, failed and postponed ones are
re-planned from the first open wave, new servers are placed, and the plan passes the
independent verifier, which also catches a re-plan that breaks the progress rules.

The inventory is the tiny one of `tests.conftest`; plan 1 is wave 1 = the directory and the
two networks, wave 2 = everything else (see tests/test_progress.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

import exports
from planner.export_data import load_export
from planner.importing import import_files
from planner.models import PlanItem
from planner.planning import latest_plan, plan_waves
from planner.progress import current, import_progress
from planner.progress_replan import warm_start
from planner.verify import verify_plan
from solvers.waves.problem import WaveProblem
from tests.conftest import InventoryBook
from tests.test_progress import (
    ADM_NET,
    ADMIN,
    DIRECTORY,
    DONE_DAY,
    PAED_NET,
    SCHOOL,
    TOML,
    M,
    edit,
    plan_once,
)

SKOLE_SERVER = f"{M}/server/SRV-SKOLE-02"
SKOLEPORTAL = f"{M}/application/Skoleportal"
OKO = f"{M}/application/Økonomistyring"
LONG = (
    TOML.replace("max_waves = 8", "max_waves = 8\n") + "\n[solver]\ntime_limit = 10\nworkers = 1\n"
)


def setup(tmp_path: Path, engine: Engine, changes: dict[str, dict[str, Any]]) -> Path:
    """Plan 1, exported, edited with `changes`, progress imported; returns the workbook."""
    import_files(engine, [InventoryBook(tmp_path).write()])
    plan_once(engine)
    path = exports.write(tmp_path / "plan.xlsx", load_export(engine))
    import_progress(engine, edit(path, changes))
    (tmp_path / "plan.toml").write_text(LONG, encoding="utf-8")
    return path


WAVE_1_WITH_A_FAILURE: dict[str, dict[str, Any]] = {
    DIRECTORY: {"status": "done", "actual_date": DONE_DAY},
    ADM_NET: {"status": "done", "actual_date": DONE_DAY},
    PAED_NET: {"status": "failed", "actual_date": DONE_DAY, "comment": "rollback: VLAN 20"},
    SCHOOL: {"status": "postponed", "comment": "eksamen"},
    ADMIN: {"status": "in progress"},
}


def test_replan_from_progress_keeps_done_items_and_replans_failed_ones(
    tmp_path: Path, engine: Engine, run_cli: Callable[..., Any]
) -> None:
    setup(tmp_path, engine, WAVE_1_WITH_A_FAILURE)
    before = plan_waves(engine, 1)
    result = run_cli("replan", "--from-progress")
    assert result.returncode == 0, result.stderr
    assert "Verified: plan 2 satisfies every hard constraint." in result.stdout
    assert (
        "From the progress of plan 1: 2 done and 1 in progress kept in their waves; 1 failed and "
        "1 postponed re-planned from wave 2; 0 new item(s) placed;"
    ) in result.stdout
    assert "bound" in result.stdout and "Traceback" not in result.stderr
    after = plan_waves(engine, 2)
    assert after[DIRECTORY] == before[DIRECTORY] == 1 and after[ADM_NET] == 1  # done: never moved
    assert after[ADMIN] == before[ADMIN] == 2  # in progress: stays
    assert (
        after[PAED_NET] >= 2 and after[SCHOOL] >= 2
    )  # failed / postponed: from the first open wave
    # what needs the failed network is not before it
    assert after[SCHOOL] >= after[PAED_NET] and after[SKOLE_SERVER] >= after[PAED_NET]
    assert set(after) == set(before)
    assert verify_plan(engine, latest_plan(engine)) == []
    assert run_cli("verify").returncode == 0
    # the states carry over: done stays done, the failed network is planned again with its story
    states = current(engine, 2)
    assert states[DIRECTORY].status == "done" and states[DIRECTORY].source == "plan 1"
    assert states[PAED_NET].status == "planned"
    assert states[PAED_NET].comment == "failed on 2026-11-02 in wave 1 of plan 1: rollback: VLAN 20"
    # diff names the failed network's move and why
    diff = json.loads(run_cli("diff", "--json").stdout)
    moved = {m["item"]: m for m in diff["moved"]}
    # nothing new recorded: re-planning again moves nothing, and the bound proves it
    again = run_cli("replan", "--from-progress")
    assert again.returncode == 0, again.stderr
    assert "0 not-started item(s) moved (0 move group(s); bound 0)." in again.stdout
    assert moved[PAED_NET]["from"] == 1 and moved[PAED_NET]["why"].startswith(
        "failed on 2026-11-02 in wave 1"
    )
    assert DIRECTORY not in moved


def test_a_done_dependant_of_a_failed_item_is_named_and_stays(
    tmp_path: Path, engine: Engine, run_cli: Callable[..., Any]
) -> None:
    """Admin PCs are done in wave 2 although the directory they join failed: they stay, and the
    warning says they run against the old directory."""
    setup(
        tmp_path,
        engine,
        {
            DIRECTORY: {"status": "failed", "actual_date": DONE_DAY},
            ADM_NET: {"status": "done", "actual_date": DONE_DAY},
            PAED_NET: {"status": "done", "actual_date": DONE_DAY},
            ADMIN: {"status": "done", "actual_date": DONE_DAY},
        },
    )
    result = run_cli("replan", "--from-progress")
    assert result.returncode == 0, result.stderr
    assert (
        f"warning: {DIRECTORY} is failed, but {ADMIN} is done and run(s) against the old "
        "platform's "
        "copy until it moves"
    ) in result.stderr
    after = plan_waves(engine, 2)
    assert after[ADMIN] == 2 and after[DIRECTORY] >= 2
    assert after[OKO] >= after[DIRECTORY]  # the application still authenticates after the directory
    assert verify_plan(engine, latest_plan(engine)) == []


def test_a_new_server_is_unplanned_until_the_replan_places_it(
    tmp_path: Path, engine: Engine, run_cli: Callable[..., Any]
) -> None:
    setup(tmp_path, engine, WAVE_1_WITH_A_FAILURE)
    book = InventoryBook(tmp_path)
    book.sheets["Servers"].append(
        {
            "name": "SRV-NY-Æ01",
            "os": "Windows Server",
            "vcpu": 2,
            "ram_gb": 8,
            "network": "ADM-Net",
            "criticality": "low",
        }
    )
    import_files(engine, [book.write()])
    verify = run_cli("verify")
    assert verify.returncode == 1 and f"{M}/server/SRV-NY-Æ01 has no wave" in verify.stdout
    result = run_cli("replan", "--from-progress")
    assert result.returncode == 0, result.stderr
    assert "1 new item(s) placed" in result.stdout
    after = plan_waves(engine, 2)
    assert after[f"{M}/server/SRV-NY-Æ01"] >= 2  # not into the closed wave 1
    assert run_cli("verify").returncode == 0
    diff = json.loads(run_cli("diff", "--json").stdout)
    assert [a["item"] for a in diff["added"]] == [f"{M}/server/SRV-NY-Æ01"]
    assert diff["added"][0]["why"] == "new in the inventory"


def test_the_verifier_catches_a_moved_done_item_and_a_closed_wave(
    tmp_path: Path, engine: Engine, run_cli: Callable[..., Any]
) -> None:
    setup(tmp_path, engine, WAVE_1_WITH_A_FAILURE)
    assert run_cli("replan", "--from-progress").returncode == 0
    with Session(
        engine
    ) as session:  # a broken re-plan: the done directory moved, the school into wave 1
        for item, wave in ((DIRECTORY, 2), (SCHOOL, 1)):
            session.execute(
                update(PlanItem)
                .where(col(PlanItem.plan_id) == 2, col(PlanItem.item_id) == item)
                .values(wave=wave, pinned=None)
            )
        session.commit()
    messages = {(v.rule, v.message) for v in verify_plan(engine, latest_plan(engine))}
    assert (
        "done",
        f"{DIRECTORY} is done in wave 1 of plan 1 but the re-plan puts it in wave 2",
    ) in messages
    assert (
        "closed",
        (
            f"{SCHOOL} is postponed but placed in wave 1, which was closed (the re-plan starts "
            "at wave 2)"
        ),
    ) in messages


def test_replan_from_progress_needs_recorded_progress(
    tmp_path: Path, engine: Engine, run_cli: Callable[..., Any]
) -> None:
    import_files(engine, [InventoryBook(tmp_path).write()])
    plan_once(engine)
    result = run_cli("replan", "--from-progress")
    assert result.returncode == 1
    assert result.stderr.strip().endswith(
        "error: no progress is recorded for plan 1: record it with "
        "`planner import-progress edited.xlsx` first"
    )
    plain = run_cli("replan")
    assert (
        plain.returncode == 1
        and "--freeze-through W, or re-plan from recorded progress" in plain.stderr
    )


def test_warm_start_keeps_the_old_waves_and_puts_the_failed_task_where_room_is() -> None:
    """Three tasks of demand 1 in waves of capacity 1: A (wave 1) failed, so it has no previous
    wave and may not go before wave 2; B (2) and C (3, after B) keep theirs. Waves 2 and 3 are
    full, so A lands in wave 4: [4, 2, 3], and nothing that was not started moves."""
    problem = WaveProblem(
        names=("A", "B", "C"),
        resources=("team",),
        demand=((1,), (1,), (1,)),
        capacity=((1,),) * 5,
        max_waves=5,
        before_or_same=((1, 2),),
        earliest=(2, 2, 2),
        latest=(5, 5, 5),
        previous=(0, 2, 3),
    )
    assert warm_start(problem) == [4, 2, 3]
    tight = WaveProblem(
        names=("A", "B"),
        resources=("team",),
        demand=((1,), (1,)),
        capacity=((1,),) * 2,
        max_waves=2,
        earliest=(2, 2),
        latest=(2, 2),
        previous=(0, 2),
    )
    assert warm_start(tight) is None  # no room for A: the solver starts from its own plan
