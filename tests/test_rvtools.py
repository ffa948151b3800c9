"""RVTools exports (`inventories.rvtools`): workbooks of versions 3 and 4 and the CSV folder,
read from the shared samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from exports.errors import ImportFailed
from inventories.detect import read_any
from inventories.mapping import load_mapping
from inventories.schema import Kind
from tests.importer_files import (
    RV,
    by_name,
    kinds,
    write_text,
)


def test_rvtools_3x_workbook_mb_headers(samples: Path) -> None:
    """SizingWorkshop: 805 VMs (the sheet is formatted down to row 3504; the rest is blank),
    10 of them templates, so 795 servers; `Provisioned MB` 86201 / 1024 = 84.18 GB."""
    inventory = read_any(RV / "SizingWorkshop-RVTools.xlsx", municipality="Nordby")
    assert inventory.mode == "merge"
    assert kinds(inventory) == {"server": 795}
    assert by_name(inventory, Kind.SERVER)["wadfs1"] == {
        "virtual": True,
        "vcpu": 1,
        "ram_gb": 4.0,
        "storage_gb": 84.18,
        "os": "Microsoft Windows Server 2008 R2 (64-bit)",
        "host": "bovmsp-04.customer.com",
        "cluster": "Cluster1",
    }
    warnings = "\n".join(inventory.warnings)
    assert sum("template" in w and "skipped" in w for w in inventory.warnings) == 10
    assert "tabs not available: vPort, dvPort, vSwitch, dvSwitch" in warnings
    assert (
        "vInfo!A1: columns not available: Primary IP Address, DNS Name, Annotation, Network #1"
        in warnings
    )
    assert (
        "32 VMs ('wab10js01_old'" in warnings
        and "are poweredOff; imported all the same" in warnings
    )


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
    assert (db["ram_gb"], db["storage_gb"], db["ip"], db["network"]) == (
        16.0,
        320.0,
        "10.10.2.20",
        "sample-db-net",
    )
    [dep] = inventory.dependencies
    assert (dep.from_name, dep.to_kind, dep.to_name, dep.kind) == (
        "sample-db-01",
        "network",
        "sample-backup-net",
        "connected_via",
    )
    assert f"{path}:vHost!A1: columns not available: Cluster, Datacenter" in inventory.warnings
    assert (
        f"{path}:vInfo!B4: 1 VM ('sample-archive-01') is poweredOff; imported all the same"
        in inventory.warnings
    )


def test_rvtools_csv_folder_reports_template_empty_name_and_missing_host(samples: Path) -> None:
    folder = RV / "csv-4x-fixture"
    inventory = read_any(folder, municipality="Nordby")
    assert kinds(inventory) == {"server": 8, "network": 1}
    pay = by_name(inventory, Kind.SERVER)["app-pay-01"]
    assert pay["os"] == "Microsoft Windows Server 2022 (64-bit)"  # the configuration file's OS wins
    assert (pay["vcpu"], pay["ram_gb"], pay["storage_gb"], pay["cluster"]) == (
        4,
        16.0,
        320.0,
        "PROD-01",
    )
    assert "owner" not in pay
    info = f"{folder}/RVTools_tabvInfo.csv"  # a CSV file: positions are FILE:ROW (column C)
    assert f"{info}:8 (column C): template 'tmpl-ubuntu-2404' skipped" in inventory.warnings
    assert f"{info}:9 (column A): row skipped: it has no VM name" in inventory.warnings
    assert (
        f"{info}:10 (column AB): host 'esx99.example.test' of 1 VM ('lost-vm-01') is not on "
        "the vHost tab" in inventory.warnings
    )
    assert any("custom attribute columns not imported: AppOwner" in w for w in inventory.warnings)


def test_rvtools_custom_attribute_mapped_to_owner(samples: Path, tmp_path: Path) -> None:
    mapping = load_mapping(write_text(tmp_path / "map.toml", '[columns]\nAppOwner = "owner"\n'))
    inventory = read_any(RV / "csv-4x-fixture", municipality="Nordby", mapping=mapping)
    assert by_name(inventory, Kind.SERVER)["app-pay-01"]["owner"] == "Payments"
    assert not any("custom attribute" in w for w in inventory.warnings)


def test_rvtools_bad_cells_fail_the_whole_file_with_cell_positions(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write_text(
        folder / "RVTools_tabvInfo.csv",
        "VM,Powerstate,CPUs,Memory\nok-01,poweredOn,2,4096\nbad-01,poweredOn,four,lots\nok-01,poweredOn,2,4096\n",
    )
    with pytest.raises(ImportFailed) as caught:
        read_any(folder, municipality="Nordby")
    info = f"{folder}/RVTools_tabvInfo.csv"
    assert caught.value.problems == [
        f"{info}:3 (column C): vcpu must be a whole number, got 'four'",
        f"{info}:3 (column D): Memory must be a number, got 'lots'",
    ]  # a VM listed twice is no problem: merged with a warning (issue 17)
    write_text(
        folder / "RVTools_tabvInfo.csv", "VM,Powerstate,CPUs,Memory\nok-01,poweredOn,2,4096\n"
    )
    assert kinds(read_any(folder, municipality="Nordby")) == {"server": 1}
