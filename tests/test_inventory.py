"""Merging imports into the stored inventory (`planner.inventory`): files of several formats
enrich the same items without duplicates, and a failed file writes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from exports.errors import ImportFailed
from inventories.detect import read_any
from planner.inventory import counts, import_inventories
from planner.models import Server
from tests.importer_files import (
    AD_HEADER,
    AZURE,
    RV,
    merge,
    write_text,
)


def test_rvtools_then_ad_enrich_the_same_servers(
    samples: Path, engine: Engine, tmp_path: Path
) -> None:
    """AD names APP-PAY-01 (case differs) and sql-pay-01.corp.example.test (FQDN): both are
    the RVTools VMs, so the 8 servers stay 8; AD adds the directory and lists the OS it
    would change as a conflict."""
    assert merge(engine, read_any(RV / "csv-4x-fixture", municipality="Nordby")) == []
    ad = write_text(
        tmp_path / "ad.csv",
        AD_HEADER
        + (
            '"APP-PAY-01","app-pay-01.corp.example.test","CN=APP-PAY-01,DC=corp,DC=example,DC=test","True",'
            '"Microsoft Windows Server 2022 (64-bit)","10.0 (20348)","2026-03-01 '
            '08:00:00","192.0.2.10"\n'
            '"sql-pay-01.corp.example.test","sql-pay-01.corp.example.test","CN=SQL-PAY-01,DC=corp,DC=example,DC=test",'
            '"True","Windows Server 2022 Datacenter","10.0 (20348)","2026-03-01 '
            '08:00:00","192.0.2.11"\n'
        ),
    )
    inventory = read_any(ad, municipality="Nordby")
    conflicts = merge(engine, inventory)
    rv = "rvtools:csv-4x-fixture"
    assert conflicts == [
        f"{ad}: conflict: server 'sql-pay-01' os: {rv} says 'Red Hat Enterprise Linux 9 "
        "(64-bit)'; ad:ad says 'Windows Server 2022 Datacenter'; 'Red Hat Enterprise Linux 9 "
        f"(64-bit)' is used ({rv} ranks first for os; `planner sources order` changes that)"
    ]
    assert counts(engine)["Nordby"]["servers"] == 8
    assert counts(engine)["Nordby"]["directories"] == 1
    with Session(engine) as session:
        pay = session.execute(select(Server).where(Server.name == "app-pay-01")).scalars().one()
        assert (pay.directory, pay.os_version, pay.vcpu) == ("corp.example.test", "10.0 (20348)", 4)
    # RVTools again: still 8 servers, and the disagreement with AD is still listed
    assert len(merge(engine, read_any(RV / "csv-4x-fixture", municipality="Nordby"))) == 1
    assert counts(engine)["Nordby"]["servers"] == 8


def test_template_then_rvtools_and_kitos_enrich_without_duplicates(
    book: Any, engine: Engine, tmp_path: Path, raw_workbook: Any
) -> None:
    """The template holds SRV-ØKO-01 (4 vCPU) and Økonomistyring; RVTools names the VM by
    its FQDN with 8 vCPU, KITOS lists Økonomistyring with another owner: 2 conflicts, and
    only RVTools' one new VM and KITOS' one new system are added."""
    import_inventories(engine, [read_any(book.write(), municipality=None)])
    folder = tmp_path / "rv"
    folder.mkdir()
    write_text(
        folder / "RVTools_tabvInfo.csv",
        "VM,Powerstate,CPUs,Memory,Provisioned MiB\n"
        "srv-øko-01.østerå.local,poweredOn,8,16384,204800\nsrv-ny-01,poweredOn,2,4096,40960\n",
    )
    municipality = "Østerå Kommune"
    rv_conflicts = merge(engine, read_any(folder, municipality=municipality))
    assert rv_conflicts == [
        f"{folder}: conflict: server 'SRV-ØKO-01' vcpu: rvtools:rv says '8'; workbook:nordby "
        "says '4'; '8' is used (rvtools:rv ranks first for vcpu; "
        "`planner sources order` changes that)"
    ]
    kitos = raw_workbook(
        "kitos.xlsx",
        {
            "IT Systemer Overblik": [
                ["IT System", "Leverandør", "Systemejer"],
                ["økonomistyring", "KMD", "Økonomichefen"],
                ["Aula", "Netcompany", None],
            ]
        },
    )
    kitos_conflicts = merge(engine, read_any(kitos, municipality=municipality))
    assert kitos_conflicts == [
        f"{kitos}: conflict: application 'Økonomistyring' owner: workbook:nordby says "
        "'Søren Ågård'; kitos:kitos says 'Økonomichefen'; 'Søren Ågård' is used "
        "(workbook:nordby ranks first for owner; `planner sources order` changes that)"
    ]
    totals = counts(engine)[municipality]
    assert (totals["servers"], totals["applications"]) == (3, 3)
    with Session(engine) as session:
        server = session.execute(select(Server).where(Server.name == "SRV-ØKO-01")).scalars().one()
        assert (server.vcpu, server.storage_gb, server.network) == (
            8,
            200.0,
            "ADM-Net",
        )  # enriched, not blanked


def test_a_failed_file_writes_nothing(tmp_path: Path, engine: Engine) -> None:
    path = write_text(tmp_path / "azure.csv", AZURE.replace("8192", "eight"))
    with pytest.raises(ImportFailed):
        import_inventories(engine, [read_any(path, municipality="Nordby")])
    assert counts(engine) == {}
