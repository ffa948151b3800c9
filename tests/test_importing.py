"""Importing workbooks (`planner.importing`, `planner.inventory`, `planner import`):
round trip, all-or-nothing, idempotence, update/removal, and the CLI contract.

State is checked through the library (`counts`, sessions on the models); output is
parsed only where it is the contract (problem lines, `--json`).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inventories.records import Inventory, ItemRecord
from inventories.schema import Kind
from inventories.template import write_template
from inventories.template_reader import read_template
from exports.errors import ImportFailed
from planner.importing import import_files
from planner.inventory import counts, import_inventories
from planner.models import ITEM_TABLES, Application, Dependency, Municipality, Network, Server
from tests.conftest import VALID, VALID_COUNTS, InventoryBook

MUNICIPALITY = "Østerå Kommune"


def ids(engine: Engine) -> dict[tuple[str, str], int]:
    """(kind, name) -> database id of every stored item and dependency."""
    found: dict[tuple[str, str], int] = {}
    with Session(engine) as session:
        for kind, table in ITEM_TABLES.items():
            for row in session.execute(select(table)).scalars():
                found[(kind, row.name)] = row.id
        for dep in session.execute(select(Dependency)).scalars():
            found[("dependency", f"{dep.from_name}->{dep.to_name}:{dep.kind}")] = dep.id
    return found


def server(engine: Engine, name: str) -> Server | None:
    with Session(engine) as session:
        return session.execute(select(Server).where(Server.name == name)).scalars().first()


def fail(engine: Engine, *paths: Path, **kw: Any) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        import_files(engine, list(paths), **kw)
    return caught.value.problems


# --- template -> fill -> import ------------------------------------------------------------


def fill_template(path: Path, sheets: dict[str, list[dict[str, Any]]]) -> None:
    """Fill the written template the way a user does: type values under its headers."""
    workbook = openpyxl.load_workbook(path)
    for title, rows in sheets.items():
        ws = workbook[title]
        header = {cell.value: cell.column for cell in ws[1]}
        for number, values in enumerate(rows, start=2):
            for name, value in values.items():
                ws.cell(number, header[name], value)
    workbook.save(path)


def test_template_fill_import_round_trip(tmp_path: Path, engine: Engine) -> None:
    path = write_template(tmp_path / "østerå.xlsx")
    fill_template(path, VALID)
    [report] = import_files(engine, [path])
    assert report.warnings == []
    assert counts(engine) == {MUNICIPALITY: VALID_COUNTS}
    with Session(engine) as session:
        municipality = session.execute(select(Municipality)).scalars().one()
        assert (
            municipality.name,
            municipality.code,
            municipality.employees,
            municipality.users,
            municipality.country,
        ) == (MUNICIPALITY, "0751", 3200.5, 4100, "DK")
        stored = (
            session.execute(select(Server).where(Server.name_key == "srv-øko-01")).scalars().one()
        )
        assert (
            stored.name,
            stored.virtual,
            stored.vcpu,
            stored.ram_gb,
            stored.network,
            stored.directory,
            stored.environment,
            stored.criticality,
            stored.source_row,
        ) == ("SRV-ØKO-01", True, 4, 16.0, "ADM-Net", "østerå.local", "prod", "high", 2)
        network = session.execute(select(Network).where(Network.name == "PÆD-Net")).scalars().one()
        assert (network.kind, network.cidr, network.vlan) == (
            "pedagogical",
            "10.2.0.0/16, fd00:1::/48",
            20,
        )
        app = (
            session.execute(select(Application).where(Application.name == "Økonomistyring"))
            .scalars()
            .one()
        )
        assert (app.servers, app.blackout, app.owner) == (
            "SRV-ØKO-01",
            "2027-01-01..2027-01-20",
            "Søren Ågård",
        )
        deps = session.execute(select(Dependency).order_by(Dependency.source_row)).scalars().all()
        assert [(d.from_name, d.to_name, d.to_municipality, d.kind, d.strength) for d in deps] == [
            ("Økonomistyring", "østerå.local", None, "authenticates_with", "hard"),
            ("Rådhus administration", "Økonomistyring", None, "uses", "hard"),
            ("Skoleportal", "Økonomistyring", None, "integrates_with", "soft"),
            ("Økonomistyring", "SBSYS", "Nordby", "integrates_with", "soft"),
        ]


# --- idempotence, update and removal ---------------------------------------------------------


def test_reimport_changes_nothing(book: InventoryBook, engine: Engine) -> None:
    path = book.write()
    import_files(engine, [path])
    before = ids(engine)
    [report] = import_files(engine, [path])
    assert ids(engine) == before
    assert counts(engine) == {MUNICIPALITY: VALID_COUNTS}
    assert (
        sum(report.created.values()),
        sum(report.updated.values()),
        sum(report.removed.values()),
        sum(report.unchanged.values()),
    ) == (0, 0, 0, 11 + 4)
    assert report.line() == f"{path}: {MUNICIPALITY}: 0 created, 0 updated, 0 removed, 15 unchanged"


def test_corrected_file_updates_and_removes(book: InventoryBook, engine: Engine) -> None:
    import_files(engine, [book.write()])
    before = ids(engine)
    # SRV-SKOLE-02 retires: drop it, and the application that listed it now runs on SRV-ØKO-01;
    # ram_gb changes, a name changes case only, one dependency goes, one is added.
    book.sheets["Servers"].pop(1)
    book.sheets["Servers"][0]["ram_gb"] = 32
    book.sheets["Applications"][1]["servers"] = "SRV-ØKO-01"
    book.sheets["Sites"][0]["name"] = "RÅDHUSET"
    book.sheets["Dependencies"].pop(2)
    book.sheets["Dependencies"].append(
        dict(
            from_kind="server",
            from_name="SRV-ØKO-01",
            to_kind="network",
            to_name="ADM-Net",
            kind="connected_via",
        )
    )
    [report] = import_files(engine, [book.write()])

    assert counts(engine)[MUNICIPALITY] == {**VALID_COUNTS, "servers": 1}
    assert server(engine, "SRV-SKOLE-02") is None
    assert server(engine, "SRV-ØKO-01").ram_gb == 32  # type: ignore[union-attr]
    after = ids(engine)
    assert after[("server", "SRV-ØKO-01")] == before[("server", "SRV-ØKO-01")]
    assert after[("site", "RÅDHUSET")] == before[("site", "Rådhuset")]  # same item, new spelling
    assert ("dependency", "Skoleportal->Økonomistyring:integrates_with") not in after
    assert ("dependency", "SRV-ØKO-01->ADM-Net:connected_via") in after
    assert (
        report.removed["server"],
        report.removed["dependency"],
        report.created["dependency"],
    ) == (1, 1, 1)
    assert (report.updated["server"], report.updated["application"], report.updated["site"]) == (
        1,
        1,
        1,
    )


def test_municipalities_are_independent(book: InventoryBook, engine: Engine) -> None:
    first = book.write("østerå.xlsx")
    book.sheets["Municipality"][0]["name"] = "Sydby"
    import_files(engine, [first, book.write("sydby.xlsx")])
    assert counts(engine) == {"Sydby": VALID_COUNTS, MUNICIPALITY: VALID_COUNTS}
    book.sheets["Servers"].pop(1)
    book.sheets["Applications"].pop(1)
    book.sheets["Dependencies"].pop(2)
    import_files(engine, [book.write("sydby.xlsx")])
    assert counts(engine) == {
        "Sydby": {**VALID_COUNTS, "servers": 1, "applications": 1, "dependencies": 3},
        MUNICIPALITY: VALID_COUNTS,
    }


# --- all or nothing ------------------------------------------------------------------------


def test_failed_reimport_leaves_everything_as_it_was(book: InventoryBook, engine: Engine) -> None:
    import_files(engine, [book.write()])
    before = ids(engine)
    book.sheets["Sites"].append({"name": "Nordskolen"})  # would add a site …
    book.sheets["Dependencies"].pop()  # … and remove a dependency …
    book.sheets["Servers"][0]["ram_gb"] = "many"  # … but this cell is wrong
    assert fail(engine, book.write()) == [
        f"{book.folder / 'nordby.xlsx'}:Servers!H2: ram_gb must be a number, got 'many'"
    ]
    assert ids(engine) == before
    assert server(engine, "SRV-ØKO-01").ram_gb == 16  # type: ignore[union-attr]


def test_multi_file_import_with_a_bad_second_file_writes_nothing(
    book: InventoryBook, engine: Engine
) -> None:
    good = book.write("østerå.xlsx")
    book.sheets["Municipality"][0]["name"] = "Sydby"
    book.sheets["Networks"][0]["cidr"] = "10.1.0.1/16"
    bad = book.write("sydby.xlsx")
    assert fail(engine, good, bad) == [
        f"{bad}:Networks!C2: cidr '10.1.0.1/16' has host bits set; did you mean 10.1.0.0/16?"
    ]
    assert counts(engine) == {}


def test_failure_while_storing_the_second_inventory_rolls_back_the_first(
    book: InventoryBook, engine: Engine
) -> None:
    import_files(engine, [book.write()])
    before = ids(engine)
    good = read_template(book.write())
    good.items = good.items[:3]  # would remove most items
    broken = Inventory(
        "Nordby", "nordby.xlsx", items=[ItemRecord(Kind.SERVER, "X", {"no_such_column": 1})]
    )
    with pytest.raises(TypeError):
        import_inventories(engine, [good, broken])
    assert ids(engine) == before
    assert "Nordby" not in counts(engine)


def test_store_refuses_fields_the_table_does_not_have(engine: Engine) -> None:
    """An importer typo must fail loudly: SQLModel tables silently ignore unknown keywords."""
    broken = Inventory("Nordby", "nordby.xlsx", items=[ItemRecord(Kind.SERVER, "X", {"ram": 16})])
    with pytest.raises(TypeError, match="Server has no field"):
        import_inventories(engine, [broken])
    assert counts(engine) == {}


def test_a_cleared_cell_clears_the_stored_value(book: InventoryBook, engine: Engine) -> None:
    import_files(engine, [book.write()])
    book.sheets["Servers"][0]["ram_gb"] = None
    book.sheets["Municipality"][0]["code"] = None
    [report] = import_files(engine, [book.write()])
    assert report.updated["server"] == 1
    assert server(engine, "SRV-ØKO-01").ram_gb is None  # type: ignore[union-attr]
    with Session(engine) as session:
        assert session.execute(select(Municipality.code)).scalar_one() is None


def test_two_files_for_one_municipality(book: InventoryBook, engine: Engine) -> None:
    """Issue 17: two files of one municipality are two sources; only two files that would be
    the same source in one command are refused (the second would replace the first)."""
    first, second = book.write("a.xlsx"), book.write("b.xlsx")
    assert fail(engine, first, second, source="inventory") == [
        f"{second}: would be source 'inventory' of {MUNICIPALITY} like {first}; give each file its "
        "own source (--source NAME) or import them one at a time"
    ]
    assert counts(engine) == {}
    reports = import_files(engine, [first, second])
    assert [r.source_name for r in reports] == ["workbook:a", "workbook:b"]
    assert counts(engine)[MUNICIPALITY] == VALID_COUNTS


def test_dry_run_writes_nothing(book: InventoryBook, engine: Engine) -> None:
    [report] = import_files(engine, [book.write()], dry_run=True)
    assert sum(report.created.values()) == 1 + 11 + 4
    assert counts(engine) == {}
    import_files(engine, [book.write()])
    before = ids(engine)
    gone = book.sheets["Servers"].pop(1)["name"]
    book.sheets["Applications"][1]["servers"] = None
    path = book.write()
    [report] = import_files(engine, [path], dry_run=True)
    assert report.removed["server"] == 1 and report.updated["application"] == 1
    assert report.warnings == [
        f"{path}: {MUNICIPALITY}: removes 1 server(s) that no source lists any more ({gone})"
    ]
    assert ids(engine) == before


# --- the CLI: the contract a user sees --------------------------------------------------------


def test_cli_import_reports_every_problem_and_writes_nothing(
    book: InventoryBook, run_cli, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    book.sheets["Servers"][0]["ram_gb"] = "sixteen"
    book.sheets["Servers"][1]["network"] = "Elevnet"
    book.write()
    result = run_cli("import", "nordby.xlsx")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "nordby.xlsx:Servers!H2: ram_gb must be a number, got 'sixteen'",
        "nordby.xlsx:Servers!J3: network 'Elevnet' names no network on the Networks sheet",
        "2 problem(s); nothing was imported.",
    ]
    assert result.stdout == ""
    assert counts(engine) == {}


def test_cli_import_then_dry_run(book: InventoryBook, run_cli, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    book.write()
    dry = run_cli("import", "--dry-run", "nordby.xlsx")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert [lines[0], lines[-1]] == [
        f"would import nordby.xlsx: {MUNICIPALITY}: 16 created, 0 updated, 0 removed, 0 unchanged",
        "Dry run: nothing was written.",
    ]
    # issue 17: the change set, one line per item, between them
    assert len(lines) == 2 + 11 and "  workbook:nordby: created server SRV-ØKO-01" in lines
    assert counts(engine) == {}
    real = run_cli("import", "nordby.xlsx")
    assert real.returncode == 0, real.stderr
    assert real.stdout.splitlines() == [
        f"nordby.xlsx: {MUNICIPALITY}: 16 created, 0 updated, 0 removed, 0 unchanged"
    ]
    assert counts(engine) == {MUNICIPALITY: VALID_COUNTS}


def test_cli_dry_run_creates_no_database(book: InventoryBook, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A dry run against a database that does not exist yet (or an empty file) leaves it so."""
    book.write()
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    for target in (tmp_path / "new.db", empty):
        dry = run_cli("import", "--dry-run", "nordby.xlsx", env={"PLANNER_DB": str(target)})
        assert dry.returncode == 0, dry.stderr
        assert dry.stdout.splitlines()[0] == (
            f"would import nordby.xlsx: {MUNICIPALITY}: "
            "16 created, 0 updated, 0 removed, 0 unchanged"
        )
    assert not (tmp_path / "new.db").exists()
    assert empty.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.db", "nordby.xlsx"]


def test_cli_corrupt_files_one_line_each_no_traceback(
    book: InventoryBook,
    tmp_path: Path,
    run_cli,  # type: ignore[no-untyped-def]
    engine: Engine,
) -> None:
    data = book.write().read_bytes()
    (tmp_path / "random.xlsx").write_bytes(bytes(range(256)) * 20)
    (tmp_path / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    (tmp_path / "export.xlsx").write_text("name;os\nSRV-ØKO-01;Windows\n", encoding="utf-8")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    result = run_cli(
        "import", "random.xlsx", "truncated.xlsx", "export.xlsx", "empty.xlsx", "nordby.xlsx"
    )
    not_zip = "not a workbook (expected .xlsx, .xlsm, .ods or .xls)"
    text = (
        "not a workbook but text, perhaps CSV; "
        "give it a .csv name (workbooks are .xlsx, .xlsm, .ods or .xls)"
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"random.xlsx: {not_zip}",
        f"truncated.xlsx: {not_zip}",
        f"export.xlsx: {text}",
        "empty.xlsx: the file is empty",
        "4 problem(s); nothing was imported.",
    ]
    assert "Traceback" not in result.stderr
    assert counts(engine) == {}


def test_cli_oversized_file_by_environment_limits(
    book: InventoryBook, run_cli, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    book.write()
    cells = run_cli("import", "nordby.xlsx", env={"PLANNER_MAX_CELLS": "60"})
    assert cells.returncode == 1
    # The sheet named is the one being read when the running count passes the limit.
    assert re.fullmatch(
        r"nordby\.xlsx:\w+!A1: the workbook has more than 60 cells "
        r"\(limit PLANNER_MAX_CELLS\); split the file or raise the limit",
        cells.stderr.splitlines()[0],
    )
    size = run_cli("import", "nordby.xlsx", env={"PLANNER_MAX_UNCOMPRESSED_MB": "0"})
    assert size.returncode == 1
    with zipfile.ZipFile(book.folder / "nordby.xlsx") as archive:
        total = sum(member.file_size for member in archive.infolist())
    assert size.stderr.splitlines()[0] == (
        f"nordby.xlsx: the workbook unpacks to {f'{total / 1048576:.2f}'.rstrip('0')} MB, "
        "more than the limit of 0 MB "
        "(PLANNER_MAX_UNCOMPRESSED_MB)"
    )
    assert "Traceback" not in cells.stderr + size.stderr
    assert counts(engine) == {}
    junk = run_cli("import", "nordby.xlsx", env={"PLANNER_MAX_CELLS": "lots"})
    assert junk.returncode == 1
    assert junk.stderr.splitlines()[0] == (
        "PLANNER_MAX_CELLS='lots' is not a whole number; unset it for the default "
        "(2,000,000) or set e.g. PLANNER_MAX_CELLS=2000000"
    )
    assert "Traceback" not in junk.stderr
    assert counts(engine) == {}


def test_cli_formula_warning(book: InventoryBook, run_cli, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    book.sheets["Servers"][0]["vcpu"] = "=2*2"
    book.write()
    result = run_cli("import", "nordby.xlsx")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [  # openpyxl saves no cached value
        "warning: nordby.xlsx:Servers!G2: vcpu: the formula has no saved value (the file was "
        "written by a program and never calculated; open and save it in Excel or LibreOffice); "
        "read as blank"
    ]
    assert server(engine, "SRV-ØKO-01").vcpu is None  # type: ignore[union-attr]


def test_cli_inventory_json_on_an_empty_database(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("inventory", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"municipalities": {}}


def test_cli_demo_data_import_inventory_json(tmp_path: Path, run_cli, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """The issue's acceptance line: demo-data out -n 3 && import out/*.xlsx && inventory --json."""
    demo = run_cli("demo-data", "out", "--municipalities", "3")
    assert demo.returncode == 0, demo.stderr
    files = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "out").glob("*.xlsx"))
    assert len(files) == 3
    imported = run_cli("import", *files)
    assert imported.returncode == 0, imported.stderr
    assert imported.stderr == ""
    listed = run_cli("inventory", "--json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert set(data) == {"municipalities"}
    assert set(data["municipalities"]) == {"Nordby", "Sydby", "Østerå"}
    for name, row in data["municipalities"].items():
        assert list(row) == [
            "sites",
            "networks",
            "directories",
            "servers",
            "applications",
            "workplaces",
            "pcs",
            "dependencies",
            "explicit_dependencies",
            "implicit_dependencies",
            "graph_dependencies",
        ]  # issue 17: counted as `graph export` counts
        assert (
            row["graph_dependencies"] == row["explicit_dependencies"] + row["implicit_dependencies"]
        )
        assert all(isinstance(n, int) for n in row.values())
        assert row["networks"] >= 2 and 150 <= row["applications"] <= 200 and row["servers"] >= 100
    stored = counts(engine)
    assert {
        name: {k: row[k] for k in stored[name]} for name, row in data["municipalities"].items()
    } == stored
