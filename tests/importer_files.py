"""Shared by the tests of the importers for files municipalities already have.

Real samples are read from ../shared/samples (never copied; see SOURCES.md there); AD and
Azure Migrate files are small ones written by the tests, because no public sample exists.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from inventories.records import Inventory
from inventories.schema import Kind
from planner.inventory import import_inventories


def _shared_folder() -> Path:
    """../shared beside the checkout; PLANNER_SHARED or /work/shared when the clone lives elsewhere
    (CI)."""
    for candidate in (
        os.environ.get("PLANNER_SHARED"),
        Path(__file__).resolve().parents[2] / "shared",
        "/work/shared",
    ):
        if candidate and Path(candidate, "samples").is_dir():
            return Path(candidate)
    return Path(__file__).resolve().parents[2] / "shared"


SAMPLES = _shared_folder() / "samples"
RV = SAMPLES / "rvtools"


def by_name(inventory: Inventory, kind: Kind) -> dict[str, dict[str, Any]]:
    return {item.name: item.fields for item in inventory.items if item.kind == kind}


def kinds(inventory: Inventory) -> Counter[str]:
    return Counter(item.kind.value for item in inventory.items)


def merge(engine: Engine, inventory: Inventory) -> list[str]:
    """Import one tool export as the CLI does; the conflict lines it reports."""
    [report] = import_inventories(engine, [inventory])
    return [line for line in report.warnings if ": conflict: " in line]


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return path


AZURE = """*Server name,IP addresses,*Cores,*Memory (In MB),*OS name,OS version,OS architecture,Server type,Disk 1 size (In GB),Disk 2 size (In GB)
AZ-WEB-01,"10.2.0.5,10.2.0.6",4,8192,Windows Server 2019 Datacenter,10.0.17763,x64,Virtual,128,256
az-db-01,10.2.0.7,8,32768,Ubuntu,22.04,x64,Physical,512,
"""  # noqa: E501 (sample CSV rows as Azure Migrate writes them)

AD_HEADER = (
    '"Name","DNSHostName","DistinguishedName","Enabled","OperatingSystem",'
    '"OperatingSystemVersion","LastLogonDate","IPv4Address"\n'
)
AD_ROWS = """"SRV01","srv01.nordby.local","CN=SRV01,OU=Servere,DC=nordby,DC=local","True","Windows Server 2019 Standard","10.0 (17763)","2026-03-01 08:00:00","10.1.0.11"
"SRV02","srv02.nordby.local","CN=SRV02,OU=Servere,DC=nordby,DC=local","False","Windows Server 2016 Standard","10.0 (14393)","2026-02-20 08:00:00","10.1.0.12"
"OLDSRV","oldsrv.nordby.local","CN=OLDSRV,OU=Servere,DC=nordby,DC=local","True","Windows Server 2012 R2 Standard","6.3 (9600)","2025-06-01 08:00:00",""
"PC0001","pc0001.nordby.local","CN=PC0001,OU=Klienter,DC=nordby,DC=local","True","Windows 10 Enterprise","10.0 (19045)","2026-03-01 07:00:00",""
"SKOLE-FS01","skole-fs01.skole.nordby.dk","CN=SKOLE-FS01,OU=Servere,DC=skole,DC=nordby,DC=dk","True","Windows Server 2022 Standard","10.0 (20348)","2026-02-28 08:00:00","10.2.0.10"
"""  # noqa: E501 (sample CSV rows as Export-Csv writes them)
