"""Issue 17: several sources per municipality, kept in step, through the real CLI.

The workbook is the small valid inventory (Østerå Kommune: SRV-ØKO-01 with 16 GB RAM, whose
owner we set); the RVTools export is a folder with one vInfo CSV that lists SRV-ØKO-01 by its
FQDN with 32 GB, and two VMs the workbook does not have. So the effective inventory has 4
servers, SRV-ØKO-01's RAM comes from RVTools (technical) and its owner from the workbook
(descriptive), and the two disagree on RAM: one conflict.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inventories.identity import Normalised, normalise
from planner.sources import effective_dependencies
from tests.conftest import VALID_COUNTS, InventoryBook

MUNI = "Østerå Kommune"
SERVER = f"{MUNI}/server/SRV-ØKO-01"
RV_SOURCE = "rvtools:rv"
Run = Callable[..., subprocess.CompletedProcess[str]]


def rvtools(folder: Path, rows: list[str] | None = None) -> Path:
    """An RVTools CSV export (the vInfo tab only), as `RVTools_tabvInfo.csv` in a folder."""
    folder.mkdir(exist_ok=True)
    rows = (
        rows
        if rows is not None
        else [
            "srv-øko-01.østerå.local,poweredOn,4,32768,204800",
            "vm-ny-01,poweredOn,2,4096,40960",
            "vm-ny-02.østerå.local,poweredOn,2,8192,40960",
        ]
    )
    text = "VM,Powerstate,CPUs,Memory,Provisioned MiB\n" + "\n".join(rows) + "\n"
    (folder / "RVTools_tabvInfo.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def workbook(book: InventoryBook) -> Path:
    book.sheets["Servers"][0]["owner"] = "Søren Ågård"
    return book.write("nordby.xlsx")


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """One sentence on stderr, exit code 1."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result.stderr.strip()


def items(run_cli: Run) -> list[dict[str, Any]]:
    return list(json.loads(ok(run_cli("items", "--json")))["items"])


def inventory(run_cli: Run) -> dict[str, Any]:
    """The `planner inventory --json` counts of the municipality (the stored-row keys)."""
    listed = json.loads(ok(run_cli("inventory", "--json")))["municipalities"][MUNI]
    return {key: listed[key] for key in VALID_COUNTS}


def test_workbook_rvtools_workbook_loses_nothing_and_the_third_import_changes_nothing(
    run_cli: Run, workbook: Path, tmp_path: Path
) -> None:
    """The issue's first finding: the unchanged workbook after RVTools removed its 795 VMs."""
    ok(run_cli("import", workbook))
    rv = rvtools(tmp_path / "rv")
    assert "1 updated, 0 removed" in ok(run_cli("import", rv, "--municipality", MUNI))
    third = ok(run_cli("import", workbook))
    assert f"{workbook}: {MUNI}: 0 created, 0 updated, 0 removed" in third
    assert inventory(run_cli)["servers"] == 2 + 2
    again = ok(run_cli("import", rv, "--municipality", MUNI))
    assert "0 created, 0 updated, 0 removed" in again


def test_order_of_sources_does_not_matter_and_withdrawing_rvtools_restores_the_workbook(
    run_cli: Run, workbook: Path, tmp_path: Path
) -> None:
    rv = rvtools(tmp_path / "rv")
    ok(run_cli("import", workbook))
    workbook_only = items(run_cli)
    ok(run_cli("import", rv, "-m", MUNI))
    both = items(run_cli)
    assert len(both) == len(workbook_only) + 2
    ok(run_cli("sources", "remove", RV_SOURCE, "--municipality", MUNI))
    assert items(run_cli) == workbook_only  # exactly as if RVTools had never been imported
    ok(run_cli("sources", "remove", "workbook:nordby", "--municipality", MUNI))
    assert items(run_cli) == [] and ok(run_cli("inventory", "--json")).count(MUNI) == 0
    ok(run_cli("import", rv, "-m", MUNI))  # now the other way round
    ok(run_cli("import", workbook))
    assert items(run_cli) == both


def test_precedence_ram_from_rvtools_owner_from_the_workbook_and_the_conflict_is_listed(
    run_cli: Run, workbook: Path, book: InventoryBook, tmp_path: Path
) -> None:
    ok(run_cli("import", workbook))
    result = run_cli("import", rvtools(tmp_path / "rv"), "-m", MUNI)
    assert (
        "conflict: server 'SRV-ØKO-01' ram_gb: rvtools:rv says '32'" in ok(result) + result.stderr
    )
    detail = json.loads(ok(run_cli("items", SERVER, "--json")))
    assert detail["fields"]["ram_gb"] == 32 and detail["from"]["ram_gb"] == RV_SOURCE
    assert (
        detail["fields"]["owner"] == "Søren Ågård" and detail["from"]["owner"] == "workbook:nordby"
    )
    assert [c["source"] for c in detail["claims"]] == ["workbook:nordby", RV_SOURCE]
    assert [c["fields"].get("ram_gb") for c in detail["claims"]] == [16, 32]
    conflicts = json.loads(ok(run_cli("sources", "conflicts", "--json")))["conflicts"]
    assert [(c["item"], c["field"], c["value"], c["source"], c["others"]) for c in conflicts] == [
        (SERVER, "ram_gb", 32, RV_SOURCE, [{"source": "workbook:nordby", "value": 16}])
    ]
    # The workbook drops the server: RVTools still lists it, without the workbook's fields.
    book.sheets["Servers"].pop(0)
    book.sheets["Applications"][0]["servers"] = None
    assert "0 removed" in ok(run_cli("import", book.write("nordby.xlsx")))
    names = [i["name"] for i in items(run_cli) if i["kind"] == "server"]
    assert "srv-øko-01.østerå.local" in names and "SRV-ØKO-01" not in names
    left = json.loads(ok(run_cli("items", SERVER, "--json")))
    assert "owner" not in left["fields"] and "os" not in left["fields"]
    assert left["fields"]["ram_gb"] == 32 and left["sources"] == [RV_SOURCE]
    assert json.loads(ok(run_cli("sources", "conflicts", "--json")))["conflicts"] == []


def test_own_precedence_per_field_and_its_refusals(
    run_cli: Run, workbook: Path, tmp_path: Path
) -> None:
    ok(run_cli("import", workbook))
    ok(run_cli("import", rvtools(tmp_path / "rv"), "-m", MUNI))
    ok(run_cli("sources", "order", "-m", MUNI, "--field", "ram_gb", "workbook:nordby"))
    assert json.loads(ok(run_cli("items", SERVER, "--json")))["fields"]["ram_gb"] == 16
    listed = json.loads(ok(run_cli("sources", "--json")))["municipalities"][0]
    assert listed["order"]["overrides"] == {"ram_gb": ["workbook:nordby"]}
    assert [s["name"] for s in listed["sources"]] == ["workbook:nordby", RV_SOURCE]
    assert [s["precedence"] for s in listed["sources"]] == [
        {"descriptive": 1, "technical": 2},
        {"descriptive": 2, "technical": 1},
    ]
    assert listed["sources"][1]["items"] == 3
    ok(run_cli("sources", "order", "-m", MUNI, "--field", "ram_gb"))  # back to the default
    assert json.loads(ok(run_cli("items", SERVER, "--json")))["fields"]["ram_gb"] == 32
    assert refused(
        run_cli("sources", "order", "-m", MUNI, "--field", "ramgb", RV_SOURCE)
    ).startswith("error: unknown field 'ramgb'")
    assert refused(run_cli("sources", "order", "-m", MUNI, "nope")) == (
        f"error: {MUNI} has no source 'nope' (its sources: rvtools:rv, workbook:nordby)"
    )
    assert refused(run_cli("sources", "remove", "nope", "-m", MUNI)) == (
        f"error: {MUNI} has no source 'nope' (its sources: rvtools:rv, workbook:nordby)"
    )
    assert refused(run_cli("sources", "remove", RV_SOURCE, "-m", "Nowhere")).startswith(
        "error: no municipality 'Nowhere' is stored"
    )


def test_source_names_replace_last_months_export(
    run_cli: Run, workbook: Path, tmp_path: Path
) -> None:
    """`--source rvtools`: this month's export replaces last month's, whatever its file name."""
    ok(run_cli("import", workbook))
    ok(run_cli("import", rvtools(tmp_path / "RVTools_2027-02"), "-m", MUNI, "--source", "rvtools"))
    march = rvtools(tmp_path / "RVTools_2027-03", ["vm-ny-01,poweredOn,2,4096,40960"])
    out = ok(run_cli("import", march, "-m", MUNI, "--source", "RVTools"))
    assert "0 created, 1 updated, 1 removed" in out  # SRV-ØKO-01's RAM falls back; vm-ny-02 goes
    assert inventory(run_cli)["servers"] == 3
    listed = json.loads(ok(run_cli("sources", "--json")))["municipalities"][0]["sources"]
    assert [(s["name"], s["file"]) for s in listed] == [
        ("workbook:nordby", str(workbook)),
        ("rvtools", str(march)),
    ]


def test_two_workbooks_for_one_municipality_with_references_across_them(
    run_cli: Run, book: InventoryBook
) -> None:
    """Servers and networks in one workbook, applications and workplaces (which name them)
    in another, as departments keep them."""
    full = dict(book.sheets)
    book.sheets = {
        k: v
        for k, v in full.items()
        if k in ("Municipality", "Sites", "Networks", "Directories", "Servers")
    }
    servers = book.write("servers.xlsx")
    book.sheets = {
        k: v
        for k, v in full.items()
        if k in ("Municipality", "Applications", "Workplaces", "Dependencies")
    }
    systems = book.write("systems.xlsx")
    alone = refused(run_cli("import", systems))
    assert (
        f"{systems}:Applications!I2: servers 'SRV-ØKO-01' names no server on the Servers sheet "
        f"(nor does any other source of {MUNI})"
    ) in alone
    assert ok(run_cli("inventory", "--json")).count(MUNI) == 0
    ok(run_cli("import", systems, servers))  # one command: the references meet
    assert inventory(run_cli) == VALID_COUNTS
    assert "0 created, 0 updated, 0 removed" in ok(run_cli("import", systems))
    ok(run_cli("import", servers))
    assert inventory(run_cli) == VALID_COUNTS
    sources = json.loads(ok(run_cli("sources", "--json")))["municipalities"][0]["sources"]
    assert sorted(s["name"] for s in sources) == ["workbook:servers", "workbook:systems"]


def test_duplicates_inside_a_workbook_name_both_cells(run_cli: Run, book: InventoryBook) -> None:
    book.sheets["Servers"][1]["name"] = "srv-øko-01.østerå.local"
    path = book.write()
    assert refused(run_cli("import", path)).splitlines()[0] == (
        f"{path}:Servers!A3: "
        "name 'srv-øko-01.østerå.local' is the same item as 'SRV-ØKO-01' in cell A2"
    )
    book.sheets["Servers"][1]["name"] = "srv-ØKO-01"
    assert refused(run_cli("import", book.write())).splitlines()[0] == (
        f"{path}:Servers!A3: name 'srv-ØKO-01' is already used on row 2"
    )


def test_duplicates_inside_a_tool_export_are_merged_with_a_warning(
    run_cli: Run, tmp_path: Path
) -> None:
    rv = rvtools(
        tmp_path / "rv",
        [
            "web-01,poweredOn,2,,40960",
            "WEB-01.nordby.local,poweredOn,,8192,",
            "app-01,poweredOn,2,4096,",
            "APP-01,poweredOn,4,4096,",
        ],
    )
    result = run_cli("import", rv, "-m", "Nordby")
    assert "3 created" in ok(result)  # the municipality and two servers
    assert (
        "server 'WEB-01.nordby.local' (row 3) is the same item as 'web-01' (row 2); merged into "
        "one (the first non-blank value of each field is kept)"
    ) in result.stderr
    assert (
        "VM 'APP-01' is listed again (first on row 4); the rows are merged into one server"
        in result.stderr
    )
    found = {i["name"]: i["fields"] for i in items(run_cli)}
    assert found["web-01"]["ram_gb"] == 8 and found["web-01"]["vcpu"] == 2
    assert found["app-01"]["vcpu"] == 2


def test_names_match_across_sources_by_case_spaces_nfc_and_fqdn(
    run_cli: Run, workbook: Path, tmp_path: Path
) -> None:
    ok(run_cli("import", workbook))
    rv = rvtools(
        tmp_path / "rv",
        ["  Srv-Skole-02  ,poweredOn,4,16384,204800", "srv-øko-01.østerå.local,poweredOn,2,8192,"],
    )
    decomposed = "ØSTERA\u030a KOMMUNE"  # å written as a + combining ring: NFC makes it å
    assert "0 created" in ok(run_cli("import", rv, "-m", decomposed))
    assert inventory(run_cli)["servers"] == 2


def test_check_reports_source_conflicts_and_possible_duplicates(
    run_cli: Run, book: InventoryBook, tmp_path: Path
) -> None:
    """Two names, one IP: not merged, but `planner check` names both and their sources."""
    book.sheets["Servers"][0]["ip"] = "10.1.0.5"
    ok(run_cli("import", book.write("nordby.xlsx")))
    rv = tmp_path / "rv"
    rv.mkdir()
    (rv / "RVTools_tabvInfo.csv").write_text(
        "VM,Powerstate,CPUs,Memory,Primary IP Address\n"
        "srv-øko-01,poweredOn,4,32768,10.1.0.5\nsrv-oeko-1,poweredOn,2,4096,10.1.0.5\n",
        encoding="utf-8",
    )
    ok(run_cli("import", rv, "-m", MUNI))
    findings = json.loads(run_cli("check", "--json").stdout)["findings"]
    duplicates = [f for f in findings if f["code"] == "possible-duplicate"]
    assert duplicates == [
        {
            "code": "possible-duplicate",
            "severity": "warning",
            "message": f"{SERVER}, {MUNI}/server/srv-oeko-1 share the IP address 10.1.0.5: the "
            "same server under two names? (SRV-ØKO-01 from rvtools:rv, workbook:nordby; srv-oeko-1 "
            "from rvtools:rv); if so, correct the name in one source",
            "items": [SERVER, f"{MUNI}/server/srv-oeko-1"],
        }
    ]
    conflicts = [f for f in findings if f["code"] == "source-conflict"]
    assert [f["message"] for f in conflicts] == [
        f"{SERVER} ram_gb: rvtools:rv says 32.0 (in force); workbook:nordby says 16"
    ]


def test_two_sources_of_one_municipality_imported_at_once_both_land(
    db_url: str, engine: Any, run_cli: Run, workbook: Path, tmp_path: Path
) -> None:
    """Both imports pause inside their transaction; on PostgreSQL the second queues on the
    municipality's lock, on SQLite on the write lock. Neither replaces the other."""
    from tests.processes import finish, start

    def paused(name: str) -> dict[str, str]:
        return {
            "PLANNER_TEST_PAUSE_IN_IMPORT": "1.5",
            "PLANNER_TEST_PAUSE_MARKER": str(tmp_path / f"{name}.paused"),
        }

    rv = rvtools(tmp_path / "rv")
    processes = [
        start(db_url, "import", workbook, cwd=tmp_path, **paused("a")),
        start(db_url, "import", rv, "-m", MUNI, cwd=tmp_path, **paused("b")),
    ]
    for process in processes:
        code, _, err = finish(process)
        assert code == 0, err
    listed = json.loads(ok(run_cli("sources", "--json")))["municipalities"][0]["sources"]
    assert sorted(s["name"] for s in listed) == [RV_SOURCE, "workbook:nordby"]
    assert inventory(run_cli)["servers"] == 4


def test_inventory_json_counts_dependencies_as_graph_export_does(
    run_cli: Run, workbook: Path
) -> None:
    ok(run_cli("import", workbook))
    row = json.loads(ok(run_cli("inventory", "--json")))["municipalities"][MUNI]
    exported = ok(run_cli("graph", "export", "deps.graphml"))
    edges = int(exported.split(" items and ")[1].split(" dependencies")[0].replace(",", ""))
    assert row["graph_dependencies"] == edges
    assert row["explicit_dependencies"] + row["implicit_dependencies"] == edges
    # 4 Dependencies rows, of which the one to Nordby/SBSYS names nothing stored: 3 edges
    assert (row["dependencies"], row["explicit_dependencies"]) == (4, 3)


def test_plan_exports_name_each_items_sources(run_cli: Run, workbook: Path, tmp_path: Path) -> None:
    """plan.xlsx Items, plan.json and plan.csv gain a `sources` column (best first)."""
    import csv

    import openpyxl

    ok(run_cli("import", workbook))
    ok(run_cli("import", rvtools(tmp_path / "rv"), "-m", MUNI))
    ok(run_cli("plan", "--time-limit", "5", "--seed", "1"))
    for name in ("plan.json", "plan.csv", "plan.xlsx"):
        ok(run_cli("export", name))
    document = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    by_id = {i["id"]: i["sources"] for i in document["items"]}
    assert by_id[SERVER] == ["workbook:nordby", RV_SOURCE]
    assert by_id[f"{MUNI}/server/vm-ny-01"] == [RV_SOURCE]
    with open(tmp_path / "plan.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {row["id"]: row["sources"] for row in csv.DictReader(handle)}
    assert rows[SERVER] == f"workbook:nordby; {RV_SOURCE}"
    sheet = openpyxl.load_workbook(tmp_path / "plan.xlsx", read_only=True)["Items"]
    values = list(sheet.values)
    column = values[0].index("sources")
    cells = {row[0]: row[column] for row in values[1:]}
    assert cells[f"{MUNI}/server/vm-ny-01"] == RV_SOURCE


def test_dry_run_prints_the_change_set_per_source_and_writes_nothing(
    run_cli: Run, workbook: Path, tmp_path: Path
) -> None:
    ok(run_cli("import", workbook))
    before = items(run_cli)
    rv = rvtools(tmp_path / "rv")
    document = json.loads(ok(run_cli("import", rv, "-m", MUNI, "--dry-run", "--json")))
    assert document["dry_run"] is True
    [change_set] = document["imports"]
    assert (change_set["source"], change_set["municipality"]) == (RV_SOURCE, MUNI)
    assert (change_set["created"], change_set["updated"], change_set["removed"]) == (
        {"server": 2},
        {"server": 1},
        {},
    )
    assert {c["name"]: (c["action"], c["fields"]) for c in change_set["changes"]} == {
        "SRV-ØKO-01": ("updated", {"ram_gb": {"old": 16, "new": 32}}),
        "vm-ny-01": ("created", {}),
        "vm-ny-02.østerå.local": ("created", {}),
    }
    assert [(c["item"], c["field"]) for c in change_set["conflicts"]] == [(SERVER, "ram_gb")]
    text = ok(run_cli("import", rv, "-m", MUNI, "--dry-run"))
    assert f"  {RV_SOURCE}: updated server SRV-ØKO-01 (ram_gb: 16.0 → 32.0)" in text
    assert text.rstrip().endswith("Dry run: nothing was written.")
    assert items(run_cli) == before
    listed = json.loads(ok(run_cli("sources", "--json")))["municipalities"][0]["sources"]
    assert [s["name"] for s in listed] == ["workbook:nordby"]


def test_one_dependency_in_two_spellings_is_read_once_and_each_name_normalised_once() -> None:
    """`effective_dependencies` reads rows by position (`DEPENDENCY_COLUMNS`: id, municipality
    id, from kind, from name, to kind, to name, to municipality, kind, strength, note, row) and
    remembers each normalised name (issue 23: 165,000 rows at national scale). Row 2 is row 1
    in other case, spacing and a decomposed Å; rows 3 and 4 differ in municipality and
    strength, so they stay."""
    rows = [
        (1, 7, "application", "ÅRHUS ESDH", "server", "SRV-1", None, "runs_on", "hard", None, 3),
        (
            2,
            7,
            "application",
            " A\u030arhus  esdh",
            "server",
            "srv-1",
            "",
            "runs_on",
            "hard",
            "",
            9,
        ),
        (3, 8, "application", "ÅRHUS ESDH", "server", "SRV-1", None, "runs_on", "hard", None, 3),
        (4, 7, "application", "ÅRHUS ESDH", "server", "SRV-1", None, "runs_on", "soft", None, 4),
    ]
    assert [row[0] for row in effective_dependencies(rows)] == [1, 3, 4]
    names = Normalised()
    assert names[" A\u030arhus  esdh"] == names["ÅRHUS ESDH"] == normalise("ÅRHUS ESDH")
    assert normalise("ÅRHUS ESDH") == "århus esdh"
    assert names == {" A\u030arhus  esdh": "århus esdh", "ÅRHUS ESDH": "århus esdh"}
