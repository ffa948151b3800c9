"""Tests for `planner check`: every finding code fires when it should and stays silent
when it should not, each firing case beside its silent twin; then the CLI's JSON shape
and exit codes on small and generated inventories.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from planner.checks import ERROR, INFO, WARNING, Finding, run_checks
from planner.config import parse_config
from planner.graph import build
from tests.tiny_inventory import Sheets, app, dep, graph_of, net, server, snapshot_of

N, S = "Nordby", "Sydby"


def nid(kind: str, name: str, municipality: str = N) -> str:
    return f"{municipality}/{kind}/{name}"


def findings(
    engine: Engine,
    folder: Path,
    municipalities: dict[str, Sheets],
    config: str | None = None,
    code: str | None = None,
) -> list[Finding]:
    """Import, build the graph and run the checks; only findings of `code` if given."""
    graph = graph_of(engine, folder, municipalities)
    result = run_checks(graph, parse_config(config) if config is not None else None)
    return [f for f in result if code is None or f.code == code]


def quick_findings(municipalities: dict[str, Sheets], code: str) -> list[Finding]:
    """Findings of `code` on an in-memory snapshot (no workbook, no database), for the
    parametrised cases where only the check's own logic varies."""
    return [f for f in run_checks(build(snapshot_of(municipalities))) if f.code == code]


#: A tiny inventory without any finding: every server runs an application, every
#: application has a server, the workplace has a directory, supported OSes, one system per function.
CLEAN: Sheets = {
    "Networks": [net("ADM", "10.0.0.0/24")],
    "Directories": [dict(name="nb.local")],
    "Servers": [
        server("SRV1", os="Windows Server", os_version="2022", network="ADM", directory="nb.local")
    ],
    "Applications": [app("ESDH", function="ESDH", servers="SRV1", directory="nb.local")],
    "Workplaces": [dict(name="Adm", pcs=10, directory="nb.local", network="ADM", os="Windows 11")],
}


def with_changes(**sheets: list[dict[str, Any]]) -> Sheets:
    return {**CLEAN, **sheets}


def test_clean_inventory_has_no_findings(engine: Engine, tmp_path: Path) -> None:
    assert findings(engine, tmp_path, {N: CLEAN}) == []


# ----------------------------------------------------------------------------- cycle
def test_cycle_of_before_or_same_rules_is_a_warning_with_the_path(
    engine: Engine, tmp_path: Path
) -> None:
    (f,) = findings(
        engine,
        tmp_path,
        {
            N: with_changes(
                Applications=[app("ESDH", servers="SRV1"), app("Aula", strategy="saas")],
                Dependencies=[
                    dep("application", "ESDH", "application", "Aula", "uses"),
                    dep("application", "Aula", "application", "ESDH", "uses"),
                ],
            )
        },
        code="cycle",
    )
    assert f.severity == WARNING
    assert f.items == [nid("application", "Aula"), nid("application", "ESDH")]
    assert f.message.startswith(
        "dependency loop; its members can only move together and were merged into one move group: "
    )
    path = f.message.split(": ", 1)[1].split(" -> ")
    assert path[0] == path[-1] and set(path) == set(f.items)


def test_cycle_with_strictly_before_rule_is_an_error(engine: Engine, tmp_path: Path) -> None:
    (f,) = findings(
        engine,
        tmp_path,
        {N: with_changes(Dependencies=[dep("directory", "nb.local", "workplace", "Adm", "uses")])},
        code="cycle",
    )
    assert f.severity == ERROR
    assert f.message == (
        "dependency loop with a strictly-before rule, which no plan can satisfy: "
        "Nordby/directory/nb.local -> Nordby/workplace/Adm -> Nordby/directory/nb.local"
    )


def test_no_cycle_for_a_one_way_chain_or_same_wave_pair(engine: Engine, tmp_path: Path) -> None:
    assert (
        findings(
            engine,
            tmp_path,
            {
                N: with_changes(
                    Applications=[
                        app("ESDH", servers="SRV1"),
                        app("Aula", strategy="saas"),
                        app("FBS", strategy="saas"),
                    ],
                    Dependencies=[
                        dep("application", "ESDH", "application", "Aula", "uses"),
                        dep("application", "Aula", "application", "FBS", "uses"),
                        dep(
                            "application",
                            "FBS",
                            "application",
                            "ESDH",
                            "integrates_with",
                            strength="soft",
                        ),
                    ],
                )
            },
            code="cycle",
        )
        == []
    )


# ----------------------------------------------------------------------------- dangling-reference
def test_dangling_reference_to_another_municipality_is_an_error(
    engine: Engine, tmp_path: Path
) -> None:
    (f,) = findings(
        engine,
        tmp_path,
        {
            N: with_changes(
                Dependencies=[
                    dep(
                        "application",
                        "ESDH",
                        "application",
                        "Acadre",
                        "integrates_with",
                        to_municipality=S,
                        strength="soft",
                    )
                ]
            ),
            S: {"Applications": [app("SBSYS", strategy="saas")]},
        },
        code="dangling-reference",
    )
    assert f == Finding(
        "dangling-reference",
        ERROR,
        "Nordby/application/ESDH refers to Sydby/application/Acadre "
        "(Dependencies row 2), which does not exist",
        [nid("application", "ESDH")],
    )


def test_reference_to_another_municipality_that_exists_is_silent(
    engine: Engine, tmp_path: Path
) -> None:
    assert (
        findings(
            engine,
            tmp_path,
            {
                N: with_changes(
                    Dependencies=[
                        dep(
                            "application",
                            "ESDH",
                            "application",
                            "Acadre",
                            "integrates_with",
                            to_municipality=S,
                            strength="soft",
                        )
                    ]
                ),
                S: {"Applications": [app("Acadre", strategy="saas")]},
            },
            code="dangling-reference",
        )
        == []
    )


# ----------------------------------------------------------------------------- ip-overlap
def two_networks(a: str, b: str, same_municipality: bool) -> dict[str, Sheets]:
    if same_municipality:
        return {N: {"Networks": [net("ADM", a), net("PÆD", b)]}}
    return {N: {"Networks": [net("ADM", a)]}, S: {"Networks": [net("PÆD", b)]}}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("10.0.0.0/16", "10.0.5.0/24"),  # the /24 lies inside the /16
        ("10.0.0.0/24", "10.0.0.0/24"),  # identical
        ("10.1.0.0/16, fd00:1::/48", "fd00:1:0:7::/64"),  # IPv6 inside IPv6, among several prefixes
        ("2001:db8::/32", "2001:db8:ff::/48"),
    ],
)
def test_overlapping_prefixes_of_two_municipalities(a: str, b: str) -> None:
    (f,) = quick_findings(two_networks(a, b, same_municipality=False), "ip-overlap")
    assert f.severity == WARNING
    assert f.items == [nid("network", "ADM"), nid("network", "PÆD", S)]
    assert (
        "of another municipality: this blocks a direct interconnect; "
        "renumber one of them or plan NAT" in f.message
    )
    assert f.message.startswith("Nordby/network/ADM (")


def test_overlapping_prefixes_within_one_municipality(engine: Engine, tmp_path: Path) -> None:
    (f,) = findings(
        engine, tmp_path, two_networks("10.0.0.0/16", "10.0.5.0/24", True), code="ip-overlap"
    )
    assert f == Finding(
        "ip-overlap",
        WARNING,
        "Nordby/network/ADM (10.0.0.0/16) overlaps Nordby/network/PÆD (10.0.5.0/24) within Nordby",
        [nid("network", "ADM"), nid("network", "PÆD")],
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("10.0.0.0/24", "10.0.1.0/24"),  # neighbours, not overlapping
        ("10.0.0.0/25", "10.0.0.128/25"),
        ("fd00:1::/48", "fd00:2::/48"),
        ("10.0.0.0/8", "fd00::/8"),  # IPv4 and IPv6 never overlap
        ("192.168.0.0/16", ""),  # a network without prefixes
    ],
)
@pytest.mark.parametrize("same", [True, False])
def test_disjoint_prefixes_are_silent(a: str, b: str, same: bool) -> None:
    assert quick_findings(two_networks(a, b or None, same), "ip-overlap") == []  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- orphans
def test_server_without_application(engine: Engine, tmp_path: Path) -> None:
    fs = findings(
        engine,
        tmp_path,
        {
            N: with_changes(
                Servers=[server("SRV1"), server("SRV2"), server("HOST"), server("GUEST")],
                Applications=[app("ESDH", servers="SRV1")],
                Dependencies=[dep("server", "GUEST", "server", "HOST", "hosted_by")],
            )
        },
        code="server-without-application",
    )
    # SRV1 runs ESDH and HOST hosts GUEST: silent; SRV2 and GUEST run nothing.
    assert [f.items for f in fs] == [[nid("server", "GUEST")], [nid("server", "SRV2")]]
    assert (
        fs[1].message
        == "Nordby/server/SRV2 runs no application: decommission it, or record what runs on it"
    )
    assert {f.severity for f in fs} == {WARNING}


def test_server_used_through_an_explicit_runs_on_is_silent(engine: Engine, tmp_path: Path) -> None:
    assert (
        findings(
            engine,
            tmp_path,
            {
                N: with_changes(
                    Servers=[server("SRV1")],
                    Applications=[app("ESDH")],
                    Dependencies=[dep("application", "ESDH", "server", "SRV1", "runs_on")],
                )
            },
            code="server-without-application",
        )
        == []
    )


@pytest.mark.parametrize(
    ("strategy", "fires"),
    [
        ("rehost", True),
        (None, True),
        ("consolidate", True),
        ("saas", False),
        ("retire", False),
        ("retain", False),
    ],
)
def test_application_without_server(
    engine: Engine, tmp_path: Path, strategy: str | None, fires: bool
) -> None:
    fs = findings(
        engine,
        tmp_path,
        {
            N: with_changes(
                Applications=[app("ESDH", servers="SRV1"), app("Lonely", strategy=strategy)]
            )
        },
        code="application-without-server",
    )
    expected = [
        Finding(
            "application-without-server",
            WARNING,
            "Nordby/application/Lonely has no server (set "
            "strategy saas or retire, or list its servers)",
            [nid("application", "Lonely")],
        )
    ]
    assert fs == (expected if fires else [])


def test_workplace_without_directory(engine: Engine, tmp_path: Path) -> None:
    fs = findings(
        engine,
        tmp_path,
        {
            N: with_changes(
                Workplaces=[
                    dict(name="Adm", pcs=10, directory="nb.local"),
                    dict(name="Skole", pcs=10),
                    dict(name="Elever", pcs=10),
                ],
                Dependencies=[dep("workplace", "Elever", "directory", "nb.local", "joined_to")],
            )
        },
        code="workplace-without-directory",
    )
    # Adm (column) and Elever (explicit joined_to) have one; Skole has none.
    assert fs == [
        Finding(
            "workplace-without-directory",
            WARNING,
            "Nordby/workplace/Skole has no directory: its "
            "PCs cannot be joined to the common domain",
            [nid("workplace", "Skole")],
        )
    ]


# ----------------------------------------------------------------------------- eol-os
@pytest.mark.parametrize(
    ("os", "version", "label"),
    [
        ("Windows Server", "2008 R2", "Windows Server 2012 R2 and older"),
        ("Windows Server", "2012 R2", "Windows Server 2012 R2 and older"),
        ("Windows Server 2003", None, "Windows Server 2012 R2 and older"),
        ("CentOS", "7", "CentOS Linux"),
        ("CentOS Linux 7.9", None, "CentOS Linux"),
        ("Red Hat Enterprise Linux", "6.10", "RHEL 6 and older"),
        ("RHEL", "5", "RHEL 6 and older"),
        ("Ubuntu", "18.04", "Ubuntu 18.04 and older"),
        ("SLES", "11 SP4", "SUSE Linux Enterprise 11 and older"),
    ],
)
def test_end_of_support_server(os: str, version: str | None, label: str) -> None:
    (f,) = quick_findings(
        {N: with_changes(Servers=[server("SRV1", os=os, os_version=version)])}, "eol-os"
    )
    assert f.severity == WARNING and f.items == [nid("server", "SRV1")]
    assert f.message.startswith(
        f"Nordby/server/SRV1 runs {os}{' ' + version if version else ''}: {label}"
    )


@pytest.mark.parametrize(
    ("os", "version"),
    [
        ("Windows Server", "2016"),
        ("Windows Server", "2019"),
        ("Windows Server", "2022"),
        ("Red Hat Enterprise Linux", "8"),
        ("Red Hat Enterprise Linux", "8.6"),
        ("RHEL", "9.4"),
        ("Ubuntu", "22.04"),
        ("Ubuntu", "24.04"),
        ("SLES", "15 SP6"),
        (None, None),
    ],
)
def test_supported_server_os_is_silent(os: str | None, version: str | None) -> None:
    assert (
        quick_findings(
            {N: with_changes(Servers=[server("SRV1", os=os, os_version=version)])}, "eol-os"
        )
        == []
    )


def test_end_of_support_workplace(engine: Engine, tmp_path: Path) -> None:
    fs = findings(
        engine,
        tmp_path,
        {
            N: with_changes(
                Workplaces=[
                    dict(name="Adm", pcs=1, directory="nb.local", os="Windows 10"),
                    dict(name="Skole", pcs=1, directory="nb.local", os="Windows 11"),
                ]
            )
        },
        code="eol-os",
    )
    assert [(f.items, f.message) for f in fs] == [
        (
            [nid("workplace", "Adm")],
            "Nordby/workplace/Adm runs Windows 10: Windows 10 (support ended 2025-10-14)",
        )
    ]


# ----------------------------------------------------------------------------- oversized-move-group
#: ESDH (6 h) runs on SRV1 (4 h given, application team) — the group needs 6 h of the
#: application team and 4 h of the server team.
GROUPED = with_changes(
    Servers=[server("SRV1", effort_hours=4)],
    Applications=[app("ESDH", servers="SRV1", effort_hours=6)],
)


@pytest.mark.parametrize(
    ("capacity", "fires"),
    [
        ("application = 5", True),
        ("application = 6", False),  # exactly enough
        ("application = [5, 6, 5]", False),  # one wave is big enough
        ("application = [5, 5, 5, 5, 7]", False),  # the last wave's value holds for all later waves
    ],
)
def test_oversized_move_group(engine: Engine, tmp_path: Path, capacity: str, fires: bool) -> None:
    fs = findings(
        engine, tmp_path, {N: GROUPED}, f"[capacity]\n{capacity}\n", code="oversized-move-group"
    )
    if not fires:
        assert fs == []
        return
    (f,) = fs
    assert f.severity == ERROR
    assert f.items == [nid("application", "ESDH"), nid("server", "SRV1")]
    assert f.message == (
        "move group G0001 needs 6.0 h of the application team, more than any wave has (5.0 h); it "
        "must move together: Nordby/application/ESDH, Nordby/server/SRV1"
    )


def test_oversized_counts_ramp_up_and_needs_a_config(engine: Engine, tmp_path: Path) -> None:
    # Ramp-up never raises capacity above 100 %, so 5 h stays too small; without a plan.toml
    # capacities are unknown and the check is silent.
    config = "[capacity]\napplication = 5\n[rules]\nramp_up_waves = 3\nramp_up_start = 0.5\n"
    assert [f.code for f in findings(engine, tmp_path, {N: GROUPED}, config)] == [
        "oversized-move-group"
    ]
    assert findings(engine, tmp_path, {N: GROUPED}, None, code="oversized-move-group") == []


# ----------------------------------------------------------------------------- harmonisation
def test_duplicate_function_across_municipalities_is_info(engine: Engine, tmp_path: Path) -> None:
    (f,) = findings(
        engine,
        tmp_path,
        {
            N: with_changes(Applications=[app("SBSYS", function="ESDH", servers="SRV1")]),
            S: {
                "Applications": [
                    app("Acadre", function="esdh", strategy="saas"),
                    app("Old ESDH", function="ESDH", strategy="retire"),
                ]
            },
        },
        code="duplicate-function",
    )
    assert f.severity == INFO
    assert f.items == [
        nid("application", "SBSYS"),
        nid("application", "Acadre", S),
    ]  # retired one is left out
    assert f.message == (
        "2 different ESDH systems across 2 municipalities (Acadre, SBSYS): candidates to "
        "consolidate into one common system"
    )


@pytest.mark.parametrize(
    "case", ["same system everywhere", "one municipality", "different functions"]
)
def test_duplicate_function_silent(engine: Engine, tmp_path: Path, case: str) -> None:
    sydby = {
        "same system everywhere": [app("sbsys", function="ESDH", strategy="saas")],
        "one municipality": [],
        "different functions": [app("Acadre", function="payroll", strategy="saas")],
    }[case]
    nordby = [app("SBSYS", function="ESDH", servers="SRV1")]
    if case == "one municipality":
        nordby.append(app("Acadre", function="ESDH", strategy="saas"))
    assert (
        findings(
            engine,
            tmp_path,
            {N: with_changes(Applications=nordby), S: {"Applications": sydby}},
            code="duplicate-function",
        )
        == []
    )


def test_missing_target(engine: Engine, tmp_path: Path) -> None:
    fs = findings(
        engine,
        tmp_path,
        {
            N: with_changes(
                Applications=[
                    app("ESDH", servers="SRV1"),
                    app("Acadre", strategy="consolidate", target="Sydby/SBSYS", servers="SRV1"),
                    app("Netdoc", strategy="replace", target="sydby/sbsys", servers="SRV1"),
                    app("Gone", strategy="consolidate", target="Sydby/Nothing", servers="SRV1"),
                    app(
                        "Rehosted", strategy="rehost", target="Sydby/Nothing", servers="SRV1"
                    ),  # target unused
                ]
            ),
            S: {"Applications": [app("SBSYS", strategy="saas")]},
        },
    )
    missing = [f for f in fs if f.code == "missing-target"]
    assert missing == [
        Finding(
            "missing-target",
            WARNING,
            "Nordby/application/Gone is to be consolidated into "
            "'Sydby/Nothing', which is no application in the inventory; "
            "the plan ignores that order",
            [nid("application", "Gone")],
        )
    ]
    # one cause, one finding: the missing target is not also reported as a dangling reference
    assert [f for f in fs if f.code == "dangling-reference"] == []


# ----------------------------------------------------------------------------- order and CLI
def test_findings_are_sorted_errors_first(engine: Engine, tmp_path: Path) -> None:
    fs = findings(
        engine,
        tmp_path,
        {
            N: with_changes(
                Servers=[server("SRV1", os="CentOS", os_version="7")],
                Applications=[app("SBSYS", function="ESDH", servers="SRV1")],
                Dependencies=[dep("directory", "nb.local", "workplace", "Adm", "uses")],
            ),
            S: {"Applications": [app("Acadre", function="ESDH", strategy="saas")]},
        },
    )
    assert [(f.severity, f.code) for f in fs] == [
        (ERROR, "cycle"),
        (WARNING, "eol-os"),
        (INFO, "duplicate-function"),
    ]


def _check_json(run_cli) -> tuple[int, dict[str, Any]]:  # type: ignore[no-untyped-def]
    result = run_cli("check", "--json")
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def _assert_shape(data: dict[str, Any]) -> None:
    assert list(data) == ["findings"]
    for f in data["findings"]:
        assert list(f) == ["code", "severity", "message", "items"]
        assert f["severity"] in (ERROR, WARNING, INFO)
        assert (
            isinstance(f["message"], str)
            and f["items"]
            and all(isinstance(i, str) for i in f["items"])
        )


def test_cli_check_json_exit_0_without_errors(engine: Engine, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    graph_of(
        engine, tmp_path, {N: with_changes(Servers=[server("SRV1", os="CentOS", os_version="7")])}
    )
    code, data = _check_json(run_cli)
    _assert_shape(data)
    assert code == 0
    assert data == {
        "findings": [
            {
                "code": "eol-os",
                "severity": "warning",
                "message": "Nordby/server/SRV1 runs CentOS 7: CentOS Linux "
                "(support ended 2024-06-30)",
                "items": ["Nordby/server/SRV1"],
            }
        ]
    }


def test_cli_check_json_exit_1_on_error(engine: Engine, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    graph_of(
        engine,
        tmp_path,
        {N: with_changes(Dependencies=[dep("directory", "nb.local", "workplace", "Adm", "uses")])},
    )
    code, data = _check_json(run_cli)
    _assert_shape(data)
    assert code == 1
    assert [(f["code"], f["severity"]) for f in data["findings"]] == [("cycle", "error")]


def test_cli_check_with_plan_toml_reports_oversized(
    engine: Engine, tmp_path: Path, run_cli
) -> None:  # type: ignore[no-untyped-def]
    graph_of(engine, tmp_path, {N: GROUPED})
    (tmp_path / "plan.toml").write_text("[capacity]\napplication = 5\n", encoding="utf-8")
    code, data = _check_json(run_cli)  # plan.toml in the working directory is read
    assert code == 1 and [f["code"] for f in data["findings"]] == ["oversized-move-group"]
    text = run_cli("check")
    assert text.returncode == 1
    assert "1 error(s), 0 warning(s), 0 info; 4 move groups from 5 items to move" in text.stdout


def test_cli_check_on_generated_inventory(engine: Engine, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    from inventories.demo_data import write_demo_data
    from planner.importing import import_files

    import_files(engine, write_demo_data(tmp_path / "demo", 2, seed=1))
    code, data = _check_json(run_cli)
    _assert_shape(data)
    codes = {f["code"] for f in data["findings"]}
    # Generated data is consistent (no loops, no dangling references) but realistic: old
    # operating systems, idle servers and different systems per function across the two.
    assert code == 0
    assert {"eol-os", "duplicate-function", "server-without-application"} <= codes
    assert not codes & {"cycle", "dangling-reference", "oversized-move-group"}
    assert all(f["severity"] != ERROR for f in data["findings"])
    eol_items = {i for f in data["findings"] if f["code"] == "eol-os" for i in f["items"]}
    assert all("/server/" in i or "/workplace/" in i for i in eol_items)
