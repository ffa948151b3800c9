"""AWS CMF and Azure Migrate intake files (`inventories.cloud_intake`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exports.errors import ImportFailed
from inventories.detect import detect_format, read_any
from inventories.schema import Kind
from tests.importer_files import (
    AZURE,
    by_name,
    kinds,
    write_text,
)


def test_aws_cmf_csv_servers_applications_and_pin_suggestions(samples: Path) -> None:
    path = samples / "aws-cmf" / "server-list.csv"
    inventory = read_any(path, municipality="Nordby")
    assert kinds(inventory) == {"server": 8, "application": 3}
    assert by_name(inventory, Kind.SERVER)["Server1"] == {
        "os": "windows",
        "os_version": "windows server 2012 R2",
        "environment": "dev",
    }
    assert by_name(inventory, Kind.APPLICATION)["app01-hr"] == {
        "servers": "Server1, Server2",
        "strategy": "rehost",
    }
    assert inventory.pin_suggestions == {
        "Nordby/application/app01-hr": "Wave 1",
        "Nordby/application/app02-sales": "Wave 2",
        "Nordby/application/app03-sales": "Wave 3",
    }
    assert (
        f"{path}: pin suggestion: Nordby/application/app01-hr -> wave Wave 1" in inventory.warnings
    )


def test_aws_cmf_xlsx(samples: Path) -> None:
    inventory = read_any(samples / "aws-cmf" / "test_valid.xlsx", municipality="Nordby")
    assert by_name(inventory, Kind.SERVER) == {
        "unittest1-NEW": {"os": "linux", "os_version": "redhat"}
    }
    assert inventory.pin_suggestions == {
        "Nordby/application/Unit testing App 1-NEW": "Unittest Wave 1-NEW"
    }


def test_azure_migrate_csv(tmp_path: Path) -> None:
    """Memory is MB (8192 -> 8 GB); storage is the sum of the disk columns (128 + 256)."""
    path = write_text(tmp_path / "azure.csv", AZURE)
    assert detect_format(path) == "azure-migrate"
    inventory = read_any(path, municipality="Nordby")
    assert by_name(inventory, Kind.SERVER) == {
        "AZ-WEB-01": {
            "vcpu": 4,
            "ram_gb": 8.0,
            "os": "Windows Server 2019 Datacenter",
            "os_version": "10.0.17763",
            "ip": "10.2.0.5",
            "storage_gb": 384.0,
            "virtual": True,
        },
        "az-db-01": {
            "vcpu": 8,
            "ram_gb": 32.0,
            "os": "Ubuntu",
            "os_version": "22.04",
            "ip": "10.2.0.7",
            "storage_gb": 512.0,
            "virtual": False,
        },
    }


def test_azure_migrate_bad_cores_points_at_the_cell(tmp_path: Path) -> None:
    path = write_text(tmp_path / "azure.csv", AZURE.replace(",4,8192,", ",4.5,8192,"))
    with pytest.raises(ImportFailed) as caught:
        read_any(path, municipality="Nordby")
    assert caught.value.problems == [f"{path}:2 (column C): vcpu must be a whole number, got '4.5'"]
