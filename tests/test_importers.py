"""Importers for files municipalities already have: RVTools, AD, KITOS, AWS CMF, Azure Migrate.

Real samples are read from ../shared/samples (never copied; see SOURCES.md there); AD,
KITOS and Azure Migrate files are small ones written here, because no public sample
exists. Merging is tested on the real database through `import_inventories`.
"""

from __future__ import annotations

import os

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from inventories.detect import detect_format, read_any
from inventories.mapping import load_mapping, reconcile
from inventories.records import Inventory
from inventories.schema import Kind
from planner.errors import ImportFailed, PlannerError
from planner.inventory import counts, import_inventories
from planner.models import ITEM_TABLES, Municipality, Server, name_key

def _shared_folder() -> Path:
    """../shared beside the checkout; PLANNER_SHARED or /work/shared when the clone lives elsewhere (CI)."""
    for candidate in (os.environ.get("PLANNER_SHARED"), Path(__file__).resolve().parents[2] / "shared",
                      "/work/shared"):
        if candidate and Path(candidate, "samples").is_dir():
            return Path(candidate)
    return Path(__file__).resolve().parents[2] / "shared"


SAMPLES = _shared_folder() / "samples"
RV = SAMPLES / "rvtools"


@pytest.fixture
def samples() -> Path:
    """The shared sample folder; tests that need it are skipped when it is absent."""
    if not SAMPLES.is_dir():
        pytest.skip(f"sample files not found at {SAMPLES}")
    return SAMPLES


def by_name(inventory: Inventory, kind: Kind) -> dict[str, dict[str, Any]]:
    return {item.name: item.fields for item in inventory.items if item.kind == kind}


def kinds(inventory: Inventory) -> Counter[str]:
    return Counter(item.kind.value for item in inventory.items)


def stored(engine: Engine, municipality: str) -> dict[str, dict[str, dict[str, Any]]]:
    """What the database holds for one municipality, in the shape `reconcile` takes."""
    with Session(engine) as session:
        muni = session.execute(select(Municipality).where(Municipality.name_key == name_key(municipality))).scalars().first()
        if muni is None:
            return {}
        result: dict[str, dict[str, dict[str, Any]]] = {}
        for kind, table in ITEM_TABLES.items():
            rows = session.execute(select(table).where(table.municipality_id == muni.id)).scalars()
            result[kind] = {row.name: row.model_dump() for row in rows}
        return result


def merge(engine: Engine, inventory: Inventory) -> list[str]:
    """Import one tool export as the CLI does; the conflict lines it reports."""
    [report] = import_inventories(engine, [inventory])
    return [line for line in report.warnings if ": conflict: " in line]


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


# ---------------------------------------------------------------- detection


@pytest.mark.parametrize(("sample", "expected"), [
    ("rvtools/SizingWorkshop-RVTools.xlsx", "rvtools"),
    ("rvtools/rvtools-small-complete.xlsx", "rvtools"),
    ("rvtools/csv-4x-fixture", "rvtools"),
    ("rvtools/csv-4x-fixture/RVTools_tabvInfo.csv", "rvtools"),
    ("aws-cmf/server-list.csv", "aws-cmf"),
    ("aws-cmf/test_valid.xlsx", "aws-cmf"),
])
def test_detection_picks_the_format_of_every_sample(samples: Path, sample: str, expected: str) -> None:
    assert detect_format(samples / sample) == expected


def test_ipam_export_is_a_clear_unsupported_format_error(samples: Path) -> None:
    with pytest.raises(PlannerError) as caught:
        read_any(samples / "ipam" / "ipam.csv", municipality="Nordby")
    message = str(caught.value)
    assert message.startswith(f"{samples / 'ipam' / 'ipam.csv'}: unsupported format")
    assert "looked for RVTools" in message and "found headers: IP Address, Name, MAC Address" in message
    assert "--format" in message


def test_template_is_detected_and_read_without_municipality(book: Any) -> None:
    path = book.write()
    assert detect_format(path) == "template"
    assert read_any(path, municipality=None).municipality == "Østerå Kommune"


def test_foreign_formats_need_a_municipality(samples: Path) -> None:
    with pytest.raises(PlannerError, match=r"a rvtools file does not name its municipality; give it with --municipality"):
        read_any(RV / "csv-4x-fixture", municipality=None)
    assert read_any(RV / "csv-4x-fixture", municipality="Nordby").municipality == "Nordby"


def test_unknown_format_name_and_explicit_format(samples: Path) -> None:
    with pytest.raises(PlannerError, match="unknown format 'vmware'"):
        read_any(RV / "csv-4x-fixture", municipality="Nordby", format="vmware")
    # --format wins over detection: the CMF CSV read as Azure Migrate lacks its columns
    with pytest.raises(PlannerError, match=r"server-list\.csv:1: not an Azure Migrate import file: "
                                           r"no \*Cores, \*Memory \(In MB\), \*OS name columns"):
        read_any(samples / "aws-cmf" / "server-list.csv", municipality="Nordby", format="azure-migrate")


def test_a_folder_without_rvtools_files_says_so(tmp_path: Path) -> None:
    with pytest.raises(PlannerError, match="holds no RVTools_tab\\*.csv files"):
        detect_format(tmp_path)


# ---------------------------------------------------------------- RVTools


def test_rvtools_3x_workbook_mb_headers(samples: Path) -> None:
    """SizingWorkshop: 805 VMs (the sheet is formatted down to row 3504; the rest is blank),
    10 of them templates, so 795 servers; `Provisioned MB` 86201 / 1024 = 84.18 GB."""
    inventory = read_any(RV / "SizingWorkshop-RVTools.xlsx", municipality="Nordby")
    assert inventory.mode == "merge"
    assert kinds(inventory) == {"server": 795}
    assert by_name(inventory, Kind.SERVER)["wadfs1"] == {
        "virtual": True, "vcpu": 1, "ram_gb": 4.0, "storage_gb": 84.18,
        "os": "Microsoft Windows Server 2008 R2 (64-bit)", "host": "bovmsp-04.customer.com", "cluster": "Cluster1",
    }
    warnings = "\n".join(inventory.warnings)
    assert sum("template" in w and "skipped" in w for w in inventory.warnings) == 10
    assert "tabs not available: vPort, dvPort, vSwitch, dvSwitch" in warnings
    assert "vInfo!A1: columns not available: Primary IP Address, DNS Name, Annotation, Network #1" in warnings
    assert "32 VMs ('wab10js01_old'" in warnings and "are poweredOff; imported all the same" in warnings


def test_rvtools_4x_workbook_networks_and_vlans(samples: Path) -> None:
    """Three VMs on three port groups; VLANs from vSwitch (101, 102) and dvSwitch (103);
    sample-db-01's second NIC becomes a connected_via dependency."""
    path = RV / "rvtools-small-complete.xlsx"
    inventory = read_any(path, municipality="Nordby")
    assert kinds(inventory) == {"server": 3, "network": 3}
    assert by_name(inventory, Kind.NETWORK) == {
        "sample-app-net": {"kind": "other", "vlan": 101},
        "sample-db-net": {"kind": "other", "vlan": 102},
        "sample-backup-net": {"kind": "other", "vlan": 103},
    }
    db = by_name(inventory, Kind.SERVER)["sample-db-01"]
    assert (db["ram_gb"], db["storage_gb"], db["ip"], db["network"]) == (16.0, 320.0, "10.10.2.20", "sample-db-net")
    [dep] = inventory.dependencies
    assert (dep.from_name, dep.to_kind, dep.to_name, dep.kind) == ("sample-db-01", "network", "sample-backup-net",
                                                                  "connected_via")
    assert f"{path}:vHost!A1: columns not available: Cluster, Datacenter" in inventory.warnings
    assert f"{path}:vInfo!B4: 1 VM ('sample-archive-01') is poweredOff; imported all the same" in inventory.warnings


def test_rvtools_csv_folder_reports_template_empty_name_and_missing_host(samples: Path) -> None:
    folder = RV / "csv-4x-fixture"
    inventory = read_any(folder, municipality="Nordby")
    assert kinds(inventory) == {"server": 8, "network": 1}
    pay = by_name(inventory, Kind.SERVER)["app-pay-01"]
    assert pay["os"] == "Microsoft Windows Server 2022 (64-bit)"  # the configuration file's OS wins
    assert (pay["vcpu"], pay["ram_gb"], pay["storage_gb"], pay["cluster"]) == (4, 16.0, 320.0, "PROD-01")
    assert "owner" not in pay
    info = f"{folder}/RVTools_tabvInfo.csv"  # a CSV file: positions are FILE:ROW (column C)
    assert f"{info}:8 (column C): template 'tmpl-ubuntu-2404' skipped" in inventory.warnings
    assert f"{info}:9 (column A): row skipped: it has no VM name" in inventory.warnings
    assert f"{info}:10 (column AB): host 'esx99.example.test' of 1 VM ('lost-vm-01') is not on " \
        "the vHost tab" in inventory.warnings
    assert any("custom attribute columns not imported: AppOwner" in w for w in inventory.warnings)


def test_rvtools_custom_attribute_mapped_to_owner(samples: Path, tmp_path: Path) -> None:
    mapping = load_mapping(write_text(tmp_path / "map.toml", '[columns]\nAppOwner = "owner"\n'))
    inventory = read_any(RV / "csv-4x-fixture", municipality="Nordby", mapping=mapping)
    assert by_name(inventory, Kind.SERVER)["app-pay-01"]["owner"] == "Payments"
    assert not any("custom attribute" in w for w in inventory.warnings)


def test_rvtools_bad_cells_fail_the_whole_file_with_cell_positions(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write_text(folder / "RVTools_tabvInfo.csv",
               "VM,Powerstate,CPUs,Memory\nok-01,poweredOn,2,4096\nbad-01,poweredOn,four,lots\nok-01,poweredOn,2,4096\n")
    with pytest.raises(ImportFailed) as caught:
        read_any(folder, municipality="Nordby")
    info = f"{folder}/RVTools_tabvInfo.csv"
    assert caught.value.problems == [
        f"{info}:3 (column C): vcpu must be a whole number, got 'four'",
        f"{info}:3 (column D): Memory must be a number, got 'lots'",
    ]  # a VM listed twice is no problem: merged with a warning (issue 17)
    write_text(folder / "RVTools_tabvInfo.csv", "VM,Powerstate,CPUs,Memory\nok-01,poweredOn,2,4096\n")
    assert kinds(read_any(folder, municipality="Nordby")) == {"server": 1}


# ---------------------------------------------------------------- AWS CMF and Azure Migrate


def test_aws_cmf_csv_servers_applications_and_pin_suggestions(samples: Path) -> None:
    path = samples / "aws-cmf" / "server-list.csv"
    inventory = read_any(path, municipality="Nordby")
    assert kinds(inventory) == {"server": 8, "application": 3}
    assert by_name(inventory, Kind.SERVER)["Server1"] == {
        "os": "windows", "os_version": "windows server 2012 R2", "environment": "dev"}
    assert by_name(inventory, Kind.APPLICATION)["app01-hr"] == {"servers": "Server1, Server2", "strategy": "rehost"}
    assert inventory.pin_suggestions == {
        "Nordby/application/app01-hr": "Wave 1", "Nordby/application/app02-sales": "Wave 2",
        "Nordby/application/app03-sales": "Wave 3",
    }
    assert f"{path}: pin suggestion: Nordby/application/app01-hr -> wave Wave 1" in inventory.warnings


def test_aws_cmf_xlsx(samples: Path) -> None:
    inventory = read_any(samples / "aws-cmf" / "test_valid.xlsx", municipality="Nordby")
    assert by_name(inventory, Kind.SERVER) == {"unittest1-NEW": {"os": "linux", "os_version": "redhat"}}
    assert inventory.pin_suggestions == {"Nordby/application/Unit testing App 1-NEW": "Unittest Wave 1-NEW"}


AZURE = """*Server name,IP addresses,*Cores,*Memory (In MB),*OS name,OS version,OS architecture,Server type,Disk 1 size (In GB),Disk 2 size (In GB)
AZ-WEB-01,"10.2.0.5,10.2.0.6",4,8192,Windows Server 2019 Datacenter,10.0.17763,x64,Virtual,128,256
az-db-01,10.2.0.7,8,32768,Ubuntu,22.04,x64,Physical,512,
"""


def test_azure_migrate_csv(tmp_path: Path) -> None:
    """Memory is MB (8192 -> 8 GB); storage is the sum of the disk columns (128 + 256)."""
    path = write_text(tmp_path / "azure.csv", AZURE)
    assert detect_format(path) == "azure-migrate"
    inventory = read_any(path, municipality="Nordby")
    assert by_name(inventory, Kind.SERVER) == {
        "AZ-WEB-01": {"vcpu": 4, "ram_gb": 8.0, "os": "Windows Server 2019 Datacenter", "os_version": "10.0.17763",
                      "ip": "10.2.0.5", "storage_gb": 384.0, "virtual": True},
        "az-db-01": {"vcpu": 8, "ram_gb": 32.0, "os": "Ubuntu", "os_version": "22.04", "ip": "10.2.0.7",
                     "storage_gb": 512.0, "virtual": False},
    }


def test_azure_migrate_bad_cores_points_at_the_cell(tmp_path: Path) -> None:
    path = write_text(tmp_path / "azure.csv", AZURE.replace(",4,8192,", ",4.5,8192,"))
    with pytest.raises(ImportFailed) as caught:
        read_any(path, municipality="Nordby")
    assert caught.value.problems == [f"{path}:2 (column C): vcpu must be a whole number, got '4.5'"]


# ---------------------------------------------------------------- Active Directory

AD_HEADER = '"Name","DNSHostName","DistinguishedName","Enabled","OperatingSystem","OperatingSystemVersion","LastLogonDate","IPv4Address"\n'
AD_ROWS = """"SRV01","srv01.nordby.local","CN=SRV01,OU=Servere,DC=nordby,DC=local","True","Windows Server 2019 Standard","10.0 (17763)","2026-03-01 08:00:00","10.1.0.11"
"SRV02","srv02.nordby.local","CN=SRV02,OU=Servere,DC=nordby,DC=local","False","Windows Server 2016 Standard","10.0 (14393)","2026-02-20 08:00:00","10.1.0.12"
"OLDSRV","oldsrv.nordby.local","CN=OLDSRV,OU=Servere,DC=nordby,DC=local","True","Windows Server 2012 R2 Standard","6.3 (9600)","2025-06-01 08:00:00",""
"PC0001","pc0001.nordby.local","CN=PC0001,OU=Klienter,DC=nordby,DC=local","True","Windows 10 Enterprise","10.0 (19045)","2026-03-01 07:00:00",""
"SKOLE-FS01","skole-fs01.skole.nordby.dk","CN=SKOLE-FS01,OU=Servere,DC=skole,DC=nordby,DC=dk","True","Windows Server 2022 Standard","10.0 (20348)","2026-02-28 08:00:00","10.2.0.10"
"""


def check_ad(inventory: Inventory, path: Path, first_row: int) -> None:
    """Four servers (the Windows 10 PC is only counted), two domains; SRV02 disabled, OLDSRV stale."""
    assert kinds(inventory) == {"server": 4, "directory": 2}
    assert by_name(inventory, Kind.SERVER)["SRV01"] == {
        "directory": "nordby.local", "os": "Windows Server 2019 Standard", "os_version": "10.0 (17763)",
        "ip": "10.1.0.11"}
    assert by_name(inventory, Kind.SERVER)["SKOLE-FS01"]["directory"] == "skole.nordby.dk"
    assert by_name(inventory, Kind.DIRECTORY) == {
        "nordby.local": {"type": "active_directory", "computer_accounts": 4},
        "skole.nordby.dk": {"type": "active_directory", "computer_accounts": 1},
    }
    assert f"{path}:{first_row + 1} (column D): computer account 'SRV02' is disabled; " \
        "imported all the same" in inventory.warnings
    assert f"{path}:{first_row + 2} (column G): 'OLDSRV' last logged on 2025-06-01, more than 90 " \
        "days before the newest logon in the file (2026-03-01)" in inventory.warnings
    assert f"{path}: 1 workstation computer accounts counted in their directory, not imported as servers" \
        in inventory.warnings


def test_ad_export_csv_with_type_line(tmp_path: Path) -> None:
    path = tmp_path / "computers.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ("#TYPE Selected.Microsoft.ActiveDirectory.Management.ADComputer\n"
                                        + AD_HEADER + AD_ROWS).encode())
    assert detect_format(path) == "ad"
    check_ad(read_any(path, municipality="Nordby"), path, first_row=3)


def test_ad_export_csv_without_type_line(tmp_path: Path) -> None:
    path = write_text(tmp_path / "computers.csv", AD_HEADER + AD_ROWS)
    check_ad(read_any(path, municipality="Nordby"), path, first_row=2)


def test_ad_windows_1252_semicolons_and_danish_dates(tmp_path: Path) -> None:
    """Excel in a Danish locale saves `;`-separated Windows-1252 and dd-mm-yyyy dates."""
    text = (AD_HEADER + AD_ROWS).replace('","', '";"').replace("OU=Servere", "OU=Rådhus")
    text = text.replace("2026-03-01 08:00:00", "01-03-2026 08:00:00").replace("2025-06-01 08:00:00", "01-06-2025 08:00:00")
    path = write_text(tmp_path / "ad-dk.csv", text, encoding="cp1252")
    inventory = read_any(path, municipality="Nordby", format="ad")
    check_ad(inventory, path, first_row=2)


def test_ad_csvde_export(tmp_path: Path) -> None:
    """csvde: LDAP attribute names, userAccountControl 4098 = disabled, FILETIME logons."""
    path = write_text(tmp_path / "csvde.csv", (
        "DN,objectClass,cn,dNSHostName,operatingSystem,operatingSystemVersion,userAccountControl,lastLogonTimestamp\n"
        '"CN=SRV01,OU=Servere,DC=nordby,DC=local",computer,SRV01,srv01.nordby.local,Windows Server 2019 Standard,'
        "10.0 (17763),4096,134166528000000000\n"
        '"CN=SRV02,OU=Servere,DC=nordby,DC=local",computer,SRV02,srv02.nordby.local,Windows Server 2016 Standard,'
        "10.0 (14393),4098,134166528000000000\n"))
    assert detect_format(path) == "ad"
    inventory = read_any(path, municipality="Nordby")
    assert sorted(by_name(inventory, Kind.SERVER)) == ["SRV01", "SRV02"]
    assert f"{path}:3 (column G): computer account 'SRV02' is disabled; imported all the same" \
        in inventory.warnings


# ---------------------------------------------------------------- OS2kitos

KITOS_SYSTEMS = [
    ["Organisationsenhed", "IT System", "Leverandør", "Antal brugere", "Kritikalitet", "Forretningskritisk IT-system",
     "Systemejer", "Systemansvarlig", "Anvendte systemer", "Systemer der anvender systemet"],
    ["Rådhus", "SBSYS", "Syddjurs Kommune", "50-100", "Høj", "Ja", "Søren Ågård", None,
     "Serviceplatformen, FK Organisation", None],
    ["Rådhus", "KMD Opus Løn", "KMD", ">100", None, "Ja", None, "Lønkontoret", None, "SBSYS"],
    ["Skole", "Aula", "Netcompany", 1200, "Middel", "Nej", "Skoleafdelingen", None, None, None],
    ["Skole", "SBSYS", "Syddjurs Kommune", "10-50", "Lav", "Nej", "Andersen", None, None, None],
]
KITOS_INTERFACES = [
    ["Snitflade", "Udstillersystem", "Anvendersystem"],
    ["Lønindberetning", "KMD Opus Løn", "SBSYS, Aula"],
]


def check_kitos(inventory: Inventory) -> None:
    """Three systems (SBSYS's second row is another organisation unit: first row wins);
    user bands read as their upper end; Forretningskritisk = Ja means at least high."""
    assert kinds(inventory) == {"application": 3}
    assert by_name(inventory, Kind.APPLICATION) == {
        "SBSYS": {"vendor": "Syddjurs Kommune", "users": 100, "criticality": "high", "owner": "Søren Ågård"},
        "KMD Opus Løn": {"vendor": "KMD", "users": 100, "criticality": "high", "owner": "Lønkontoret"},
        "Aula": {"vendor": "Netcompany", "users": 1200, "criticality": "medium", "owner": "Skoleafdelingen"},
    }


def test_kitos_workbook_systems_and_interfaces(raw_workbook: Any) -> None:
    path = raw_workbook("kitos.xlsx", {"IT Systemer Overblik": KITOS_SYSTEMS, "IT Snitflader Overblik": KITOS_INTERFACES})
    assert detect_format(path) == "kitos"
    inventory = read_any(path, municipality="Nordby")
    check_kitos(inventory)
    deps = {(d.from_name, d.to_name, d.note) for d in inventory.dependencies}
    assert deps == {
        ("SBSYS", "Serviceplatformen", "KITOS: anvendte systemer"),
        ("SBSYS", "FK Organisation", "KITOS: anvendte systemer"),
        ("SBSYS", "KMD Opus Løn", "KITOS: anvendte systemer"),
        ("SBSYS", "KMD Opus Løn", "KITOS interface: Lønindberetning"),
        ("Aula", "KMD Opus Løn", "KITOS interface: Lønindberetning"),
    }
    assert {(d.kind, d.strength) for d in inventory.dependencies} == {("integrates_with", "soft")}
    assert any("systems not in this export" in w and "FK Organisation, Serviceplatformen" in w
               for w in inventory.warnings)


def test_kitos_csv_semicolons_windows_1252(tmp_path: Path) -> None:
    lines = [";".join("" if v is None else f'"{v}"' for v in row) for row in KITOS_SYSTEMS]
    path = write_text(tmp_path / "IT Systemer Overblik.csv", "\n".join(lines) + "\n", encoding="cp1252")
    assert detect_format(path) == "kitos"
    check_kitos(read_any(path, municipality="Nordby"))


def test_kitos_bad_user_count_points_at_the_cell(raw_workbook: Any) -> None:
    rows = [list(r) for r in KITOS_SYSTEMS]
    rows[3][3] = "mange"
    path = raw_workbook("kitos.xlsx", {"IT Systemer Overblik": rows})
    with pytest.raises(ImportFailed) as caught:
        read_any(path, municipality="Nordby")
    assert caught.value.problems == [
        f"{path}:IT Systemer Overblik!D4: users must be a number or a range such as 10-50, got 'mange'"]


# ---------------------------------------------------------------- mapping files


def test_mapping_file_errors_are_clear(tmp_path: Path) -> None:
    good = load_mapping(write_text(tmp_path / "good.toml", '[columns]\nAppOwner = "owner"\nSystemejer = "application.owner"\n'))
    assert good == {"AppOwner": "owner", "Systemejer": "application.owner"}
    with pytest.raises(ImportFailed) as caught:
        load_mapping(write_text(tmp_path / "bad.toml", '[columns]\nAppOwner = "ownr"\nX = "robot.owner"\nY = 3\n'))
    bad = str(tmp_path / "bad.toml")
    assert caught.value.problems[0].startswith(f"{bad}: [columns] AppOwner = 'ownr': unknown field 'ownr'; use one of ")
    assert caught.value.problems[1].startswith(f"{bad}: [columns] X = 'robot.owner': unknown kind 'robot'")
    assert caught.value.problems[2] == f'{bad}: [columns] Y: the field must be a string such as "owner", got \'3\''
    with pytest.raises(PlannerError,
                       match="unknown table or key colums; only \\[columns\\], \\[format\\] and "):
        load_mapping(write_text(tmp_path / "typo.toml", "[colums]\n"))
    with pytest.raises(PlannerError, match="no \\[columns\\] table and no \\[\\[sheets\\]\\]"):
        load_mapping(write_text(tmp_path / "empty.toml", "# nothing yet\n"))
    with pytest.raises(PlannerError, match="not valid TOML"):
        load_mapping(write_text(tmp_path / "broken.toml", "[columns\n"))


# ---------------------------------------------------------------- merging


def test_rvtools_then_ad_enrich_the_same_servers(samples: Path, engine: Engine, tmp_path: Path) -> None:
    """AD names APP-PAY-01 (case differs) and sql-pay-01.corp.example.test (FQDN): both are
    the RVTools VMs, so the 8 servers stay 8; AD adds the directory and lists the OS it
    would change as a conflict."""
    assert merge(engine, read_any(RV / "csv-4x-fixture", municipality="Nordby")) == []
    ad = write_text(tmp_path / "ad.csv", AD_HEADER + (
        '"APP-PAY-01","app-pay-01.corp.example.test","CN=APP-PAY-01,DC=corp,DC=example,DC=test","True",'
        '"Microsoft Windows Server 2022 (64-bit)","10.0 (20348)","2026-03-01 08:00:00","192.0.2.10"\n'
        '"sql-pay-01.corp.example.test","sql-pay-01.corp.example.test","CN=SQL-PAY-01,DC=corp,DC=example,DC=test",'
        '"True","Windows Server 2022 Datacenter","10.0 (20348)","2026-03-01 08:00:00","192.0.2.11"\n'))
    inventory = read_any(ad, municipality="Nordby")
    conflicts = merge(engine, inventory)
    rv = "rvtools:csv-4x-fixture"
    assert conflicts == [f"{ad}: conflict: server 'sql-pay-01' os: {rv} says 'Red Hat Enterprise Linux 9 "
                         "(64-bit)'; ad:ad says 'Windows Server 2022 Datacenter'; 'Red Hat Enterprise Linux 9 "
                         f"(64-bit)' is used ({rv} ranks first for os; `planner sources order` changes that)"]
    assert counts(engine)["Nordby"]["servers"] == 8
    assert counts(engine)["Nordby"]["directories"] == 1
    with Session(engine) as session:
        pay = session.execute(select(Server).where(Server.name == "app-pay-01")).scalars().one()
        assert (pay.directory, pay.os_version, pay.vcpu) == ("corp.example.test", "10.0 (20348)", 4)
    # RVTools again: still 8 servers, and the disagreement with AD is still listed
    assert len(merge(engine, read_any(RV / "csv-4x-fixture", municipality="Nordby"))) == 1
    assert counts(engine)["Nordby"]["servers"] == 8


def test_template_then_rvtools_and_kitos_enrich_without_duplicates(book: Any, engine: Engine, tmp_path: Path,
                                                                   raw_workbook: Any) -> None:
    """The template holds SRV-ØKO-01 (4 vCPU) and Økonomistyring; RVTools names the VM by
    its FQDN with 8 vCPU, KITOS lists Økonomistyring with another owner: 2 conflicts, and
    only RVTools' one new VM and KITOS' one new system are added."""
    import_inventories(engine, [read_any(book.write(), municipality=None)])
    folder = tmp_path / "rv"
    folder.mkdir()
    write_text(folder / "RVTools_tabvInfo.csv",
               "VM,Powerstate,CPUs,Memory,Provisioned MiB\n"
               "srv-øko-01.østerå.local,poweredOn,8,16384,204800\nsrv-ny-01,poweredOn,2,4096,40960\n")
    municipality = "Østerå Kommune"
    rv_conflicts = merge(engine, read_any(folder, municipality=municipality))
    assert rv_conflicts == [f"{folder}: conflict: server 'SRV-ØKO-01' vcpu: rvtools:rv says '8'; workbook:nordby "
                            "says '4'; '8' is used (rvtools:rv ranks first for vcpu; `planner sources order` "
                            "changes that)"]
    kitos = raw_workbook("kitos.xlsx", {"IT Systemer Overblik": [
        ["IT System", "Leverandør", "Systemejer"], ["økonomistyring", "KMD", "Økonomichefen"], ["Aula", "Netcompany", None]]})
    kitos_conflicts = merge(engine, read_any(kitos, municipality=municipality))
    assert kitos_conflicts == [f"{kitos}: conflict: application 'Økonomistyring' owner: workbook:nordby says "
                               "'Søren Ågård'; kitos:kitos says 'Økonomichefen'; 'Søren Ågård' is used "
                               "(workbook:nordby ranks first for owner; `planner sources order` changes that)"]
    totals = counts(engine)[municipality]
    assert (totals["servers"], totals["applications"]) == (3, 3)
    with Session(engine) as session:
        server = session.execute(select(Server).where(Server.name == "SRV-ØKO-01")).scalars().one()
        assert (server.vcpu, server.storage_gb, server.network) == (8, 200.0, "ADM-Net")  # enriched, not blanked


def test_a_failed_file_writes_nothing(tmp_path: Path, engine: Engine) -> None:
    path = write_text(tmp_path / "azure.csv", AZURE.replace("8192", "eight"))
    with pytest.raises(ImportFailed):
        import_inventories(engine, [read_any(path, municipality="Nordby")])
    assert counts(engine) == {}


def test_issue18_kitos_dependency_column_is_never_dropped_silently(raw_workbook: Any) -> None:
    """The old importer dropped an "Afhængigheder" column without a word; now it is named, and
    so is every other column no importer reads."""
    systems = [[*KITOS_SYSTEMS[0], "Afhængigheder", "Intern note"]]
    systems += [[*row, None, None] for row in KITOS_SYSTEMS[1:]]
    path = raw_workbook("kitos.xlsx", {"IT Systemer Overblik": systems})
    inventory = read_any(path, municipality="Nordby", label="kitos.xlsx")
    letter = chr(ord("A") + len(KITOS_SYSTEMS[0]))
    assert inventory.warnings[:2] == [
        f"kitos.xlsx:IT Systemer Overblik!{letter}1: column 'Afhængigheder' looks like "
        "dependencies but this format does not read it; import the sheet as your own spreadsheet "
        '(a mapping with [[sheets]] and [sheets.columns] "Afhængigheder" = { dependency = "uses", '
        'to_kind = "application" })',
        "kitos.xlsx:IT Systemer Overblik!A1: columns not imported: Organisationsenhed, Intern note "
        '(map one with --mapping, e.g. [columns] "Organisationsenhed" = "owner")']
