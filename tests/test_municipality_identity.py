"""Issue 20 item 3 and issue 17: a municipality's identity is case-insensitive and stable.

Re-importing the same workbook as `TESTBY` instead of `Testby` used to rename every item id,
so the stored plan lost its items ("16 items with no wave") and `replan --freeze-through 1`
moved items of the frozen wave. Now the stored name stays; renaming is its own command, and
plans, pins and references follow it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.conftest import InventoryBook

Run = Callable[..., subprocess.CompletedProcess[str]]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result.stdout


def waves(engine: Engine, plan_id: int) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(
            connection.execute(
                text("SELECT item_id, wave FROM plan_item WHERE plan_id = :p"), {"p": plan_id}
            ).all()
        )


@pytest.fixture
def planned(run_cli: Run, book: InventoryBook) -> InventoryBook:
    """Testby imported and planned (plan 1)."""
    book.sheets["Municipality"][0]["name"] = "Testby"
    ok(run_cli("import", book.write("testby.xlsx")))
    ok(run_cli("plan", "--time-limit", "5", "--seed", "1"))
    return book


def test_issue20_reimport_in_other_case_keeps_plans_pins_and_frozen_waves(
    run_cli: Run, planned: InventoryBook, engine: Engine
) -> None:
    before = waves(engine, 1)
    assert before and all(item.startswith("Testby/") for item in before)
    planned.sheets["Municipality"][0]["name"] = "TESTBY"
    result = run_cli("import", planned.write("testby.xlsx"))
    assert "Testby: 0 created, 0 updated, 0 removed" in ok(result)
    assert (
        "the municipality is written 'TESTBY' here and stored as 'Testby'; it keeps the stored name"
    ) in result.stderr
    assert "Plan 1 satisfies every hard constraint." in ok(run_cli("verify"))
    ok(run_cli("replan", "--freeze-through", "1", "--time-limit", "5", "--seed", "1"))
    after = waves(engine, 2)
    frozen = {item for item, wave in before.items() if wave == 1}
    assert frozen and all(after[item] == 1 for item in frozen)
    assert set(after) == set(before)


def test_municipality_rename_on_purpose_keeps_plans_and_pins_valid(
    run_cli: Run, planned: InventoryBook, engine: Engine
) -> None:
    item = "Testby/application/Økonomistyring"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO pin (item_id, wave, source, created) "
                "VALUES (:i, 2, 'edited.xlsx', '2026-12-01 10:00:00')"
            ),
            {"i": item},
        )
    out = ok(run_cli("municipality", "rename", "testby", "Testby Kommune"))
    assert out.startswith("Renamed testby to Testby Kommune; updated ")
    assert all(i.startswith("Testby Kommune/") for i in waves(engine, 1))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT item_id FROM pin")).scalar_one() == (
            "Testby Kommune/application/Økonomistyring"
        )
    assert "Plan 1 satisfies every hard constraint." in ok(run_cli("verify"))
    listed = json.loads(ok(run_cli("inventory", "--json")))["municipalities"]
    assert list(listed) == ["Testby Kommune"]
    # the next import of the file (which still says Testby) is a new municipality: say so
    assert "Testby: 16 created" in ok(run_cli("import", planned.write("testby.xlsx")))


def test_rename_refusals_are_one_sentence(
    run_cli: Run, planned: InventoryBook, book: InventoryBook
) -> None:
    book.sheets["Municipality"][0]["name"] = "Andby"
    ok(run_cli("import", book.write("andby.xlsx")))
    for args, message in [
        (("Nowhere", "X"), "error: no municipality 'Nowhere' is stored (stored: Andby, Testby)"),
        (
            ("Testby", "ANDBY"),
            "error: a municipality 'Andby' is already stored; remove or rename it first",
        ),
        (
            ("Testby", "A/B"),
            (
                "error: a municipality name must be 1 to 200 characters without '/' or "
                "control characters, got 'A/B'"
            ),
        ),
    ]:
        result = run_cli("municipality", "rename", *args)
        assert (result.returncode, result.stderr.strip()) == (1, message)


def test_removing_the_last_source_of_a_planned_municipality_says_what_happens_to_the_plan(
    run_cli: Run, planned: InventoryBook, engine: Engine
) -> None:
    result = run_cli("sources", "remove", "workbook:testby", "--municipality", "Testby")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "error: workbook:testby is the last source of Testby: "
        "removing it removes the municipality, "
        "and stored plan(s) "
        "1 would keep waves for its items that no longer exist (verify would fail, "
        "replan would drop them); add --force to remove it all the same"
    )
    assert (
        json.loads(ok(run_cli("inventory", "--json")))["municipalities"]["Testby"]["servers"] == 2
    )
    ok(run_cli("sources", "remove", "workbook:testby", "--municipality", "Testby", "--force"))
    assert json.loads(ok(run_cli("inventory", "--json")))["municipalities"] == {}
    assert waves(engine, 1)  # the plan itself is kept, as the message said
