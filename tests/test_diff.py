"""`planner diff` against a hand-checked small case, and the re-plan workbook's Changes sheet
and Overview line.

Plan 1 (tiny inventory, 2-week waves from 2027-01-09): wave 1 = the directory and the two
networks, wave 2 = everything else. Then the school's PCs leave the inventory, a new server
arrives, and plan.toml pins every wave-2 item to wave 2 except the town hall's PCs (wave 3)
and starts the calendar a week later. The re-plan (wave 1 frozen) therefore changes exactly:
moved: the town hall's PCs 2 -> 3 (pinned); added: the new server (wave 2); removed: the
school's PCs (no longer in the inventory); waves 1 and 2 both move by a week.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl

from planner.importing import import_files
from tests.conftest import InventoryBook
from tests.test_progress import ADMIN, SCHOOL, TOML, M

NEW = f"{M}/server/SRV-NY-Ø2"
PINS = {
    ADMIN: 3,
    NEW: 2,
    **{
        f"{M}/{k}": 2
        for k in (
            "application/Skoleportal",
            "application/Økonomistyring",
            "server/SRV-SKOLE-02",
            "server/SRV-ØKO-01",
        )
    },
}


def replanned(tmp_path: Path, engine: Any, run_cli: Callable[..., Any]) -> None:
    import_files(engine, [InventoryBook(tmp_path).write()])
    (tmp_path / "plan.toml").write_text(TOML, encoding="utf-8")
    assert run_cli("plan", "--time-limit", "5", "--workers", "1").returncode == 0
    book = InventoryBook(tmp_path)
    book.sheets["Workplaces"] = [
        w for w in book.sheets["Workplaces"] if w["name"] != "Søndre Skole elever"
    ]
    book.sheets["Servers"].append(
        {"name": "SRV-NY-Ø2", "os": "Linux", "vcpu": 2, "network": "ADM-Net"}
    )
    import_files(engine, [book.write()])
    toml = (
        TOML.replace("2027-01-09", "2027-01-16")
        + "\n[pins]\n"
        + "".join(f'"{k}" = {v}\n' for k, v in PINS.items())
    )
    (tmp_path / "plan.toml").write_text(toml, encoding="utf-8")
    result = run_cli("replan", "--freeze-through", "1", "--time-limit", "5", "--workers", "1")
    assert result.returncode == 0, result.stderr


def test_diff_of_a_hand_checked_replan(
    tmp_path: Path, engine: Any, run_cli: Callable[..., Any]
) -> None:
    replanned(tmp_path, engine, run_cli)
    result = run_cli("diff", "--json")
    assert result.returncode == 0, result.stderr
    diff = json.loads(result.stdout)
    assert (diff["plan_a"], diff["plan_b"]) == (1, 2)
    assert diff["moved"] == [{"item": ADMIN, "from": 2, "to": 3, "why": "pinned to wave 3"}]
    assert diff["added"] == [{"item": NEW, "from": None, "to": 2, "why": "new in the inventory"}]
    assert diff["removed"] == [
        {"item": SCHOOL, "from": 2, "to": None, "why": "no longer in the inventory"}
    ]
    assert diff["waves"] == [
        {
            "wave": 1,
            "change": "dates",
            "from": {"start": "2027-01-09", "end": "2027-01-22"},
            "to": {"start": "2027-01-16", "end": "2027-01-29"},
            "why": "the calendar in plan.toml changed",
        },
        {
            "wave": 2,
            "change": "dates",
            "from": {"start": "2027-01-23", "end": "2027-02-05"},
            "to": {"start": "2027-01-30", "end": "2027-02-12"},
            "why": "the calendar in plan.toml changed",
        },
    ]
    assert diff["summary"]["moved"] == 1 and diff["summary"]["moved_groups"] == 1
    # the same by naming both plans, as text
    text = run_cli("diff", "1", "2")
    assert text.returncode == 0 and text.stdout.startswith(
        "Plan 1 → plan 2: 1 moved, 1 added, 1 removed, 2 wave(s)"
    )
    assert ADMIN in text.stdout
    # naming plan 2 alone compares it with its parent; plan 1 has none
    assert json.loads(run_cli("diff", "2", "--json").stdout) == diff
    alone = run_cli("diff", "1")
    assert alone.returncode == 1 and alone.stderr.strip() == (
        "error: plan 1 is not a re-plan, so it has no parent to compare with; name two plans: "
        "planner diff A B"
    )


def test_the_replan_workbook_has_a_changes_sheet_and_the_moves_against_the_bound(
    tmp_path: Path, engine: Any, run_cli: Callable[..., Any]
) -> None:
    replanned(tmp_path, engine, run_cli)
    assert run_cli("export", "plan2.xlsx").returncode == 0
    book = openpyxl.load_workbook(tmp_path / "plan2.xlsx")
    rows = [[c.value for c in r] for r in book["Changes"].iter_rows()]
    assert rows[0] == [
        "change",
        "item",
        "from_wave",
        "to_wave",
        "wave",
        "from_start",
        "from_end",
        "to_start",
        "to_end",
        "why",
    ]
    assert [(r[0], r[1], r[2], r[3]) for r in rows[1:]] == [
        ("added", NEW, None, 2),
        ("moved", ADMIN, 2, 3),
        ("removed", SCHOOL, 2, None),
        ("wave_dates", None, None, None),
        ("wave_dates", None, None, None),
    ]
    overview = {r[0].value: r[1].value for r in book["Overview"].iter_rows() if r[0].value}
    assert overview["Moved against plan 1"] == (
        "1 items; the optimiser moved 1 move groups against a bound of 1"
    )
    assert run_cli("export", "plan1.xlsx", "--plan", "1").returncode == 0
    assert "Changes" not in openpyxl.load_workbook(tmp_path / "plan1.xlsx").sheetnames
