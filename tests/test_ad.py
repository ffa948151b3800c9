"""Active Directory computer lists (`inventories.ad`): Export-Csv with and without its type
line, Windows-1252 with semicolons, and csvde."""

from __future__ import annotations

from pathlib import Path

from inventories.detect import detect_format, read_any
from inventories.records import Inventory
from inventories.schema import Kind
from tests.importer_files import (
    AD_HEADER,
    AD_ROWS,
    by_name,
    kinds,
    write_text,
)


def check_ad(inventory: Inventory, path: Path, first_row: int) -> None:
    """Four servers (the Windows 10 PC is only counted), two domains; SRV02 disabled, OLDSRV
    stale."""
    assert kinds(inventory) == {"server": 4, "directory": 2}
    assert by_name(inventory, Kind.SERVER)["SRV01"] == {
        "directory": "nordby.local",
        "os": "Windows Server 2019 Standard",
        "os_version": "10.0 (17763)",
        "ip": "10.1.0.11",
    }
    assert by_name(inventory, Kind.SERVER)["SKOLE-FS01"]["directory"] == "skole.nordby.dk"
    assert by_name(inventory, Kind.DIRECTORY) == {
        "nordby.local": {"type": "active_directory", "computer_accounts": 4},
        "skole.nordby.dk": {"type": "active_directory", "computer_accounts": 1},
    }
    assert (
        f"{path}:{first_row + 1} (column D): computer account 'SRV02' is disabled; "
        "imported all the same" in inventory.warnings
    )
    assert (
        f"{path}:{first_row + 2} (column G): 'OLDSRV' last logged on 2025-06-01, more than 90 "
        "days before the newest logon in the file (2026-03-01)" in inventory.warnings
    )
    assert (
        f"{path}: 1 workstation computer accounts counted in their directory, "
        "not imported as servers" in inventory.warnings
    )


def test_ad_export_csv_with_type_line(tmp_path: Path) -> None:
    path = tmp_path / "computers.csv"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + (
            "#TYPE Selected.Microsoft.ActiveDirectory.Management.ADComputer\n" + AD_HEADER + AD_ROWS
        ).encode()
    )
    assert detect_format(path) == "ad"
    check_ad(read_any(path, municipality="Nordby"), path, first_row=3)


def test_ad_export_csv_without_type_line(tmp_path: Path) -> None:
    path = write_text(tmp_path / "computers.csv", AD_HEADER + AD_ROWS)
    check_ad(read_any(path, municipality="Nordby"), path, first_row=2)


def test_ad_windows_1252_semicolons_and_danish_dates(tmp_path: Path) -> None:
    """Excel in a Danish locale saves `;`-separated Windows-1252 and dd-mm-yyyy dates."""
    text = (AD_HEADER + AD_ROWS).replace('","', '";"').replace("OU=Servere", "OU=Rådhus")
    text = text.replace("2026-03-01 08:00:00", "01-03-2026 08:00:00").replace(
        "2025-06-01 08:00:00", "01-06-2025 08:00:00"
    )
    path = write_text(tmp_path / "ad-dk.csv", text, encoding="cp1252")
    inventory = read_any(path, municipality="Nordby", format="ad")
    check_ad(inventory, path, first_row=2)


def test_ad_csvde_export(tmp_path: Path) -> None:
    """csvde: LDAP attribute names, userAccountControl 4098 = disabled, FILETIME logons."""
    path = write_text(
        tmp_path / "csvde.csv",
        (
            "DN,objectClass,cn,dNSHostName,operatingSystem,operatingSystemVersion,userAccountControl,lastLogonTimestamp\n"
            '"CN=SRV01,OU=Servere,DC=nordby,DC=local",computer,SRV01,srv01.nordby.local,Windows '
            "Server 2019 Standard,10.0 "
            "(17763),4096,134166528000000000\n"
            '"CN=SRV02,OU=Servere,DC=nordby,DC=local",computer,SRV02,srv02.nordby.local,Windows '
            "Server 2016 Standard,10.0 "
            "(14393),4098,134166528000000000\n"
        ),
    )
    assert detect_format(path) == "ad"
    inventory = read_any(path, municipality="Nordby")
    assert sorted(by_name(inventory, Kind.SERVER)) == ["SRV01", "SRV02"]
    assert (
        f"{path}:3 (column G): computer account 'SRV02' is disabled; imported all the same"
        in inventory.warnings
    )
