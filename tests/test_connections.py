"""Observed dependencies (issue 19): connection captures become `uses` dependencies.

Every test writes its own inventory workbook and capture file (CSV or .xlsx) and imports
them the way a user does; the assertions read the database, `planner check` and the
graph. The held-out-like capture comes from `tests/connection_capture.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from exports.json_export import schema
from inventories.connections import EXPECTED, read_connections
from planner.checks import run_checks
from exports.errors import ImportFailed, PlannerError
from planner.graph import SOFT, build
from planner.importing import import_files
from planner.models import Dependency, PlanItem
from planner.snapshot import load
from tests import connection_capture as capture_gen
from tests.tiny_inventory import app, dep, import_inventory, net, server

N = "Nordby"
GENERIC = [
    "source",
    "destination",
    "port",
    "protocol",
    "process",
    "count",
    "first_seen",
    "last_seen",
]

#: Servers as inventories name them: short names, one FQDN, IPs on most; one network.
#: NB-MON-01 is the monitoring server the hub tests make talk to everything.
ESTATE = {
    "Networks": [net("Adm-Net", "10.1.0.0/16"), net("Skole-Net", "10.2.0.0/16")],
    "Servers": [
        server("NB-WEB-01", ip="10.1.0.10"),
        server("nb-sql-01.nordby.local", ip="10.1.0.20"),
        server("NB-FIL-01", ip="10.1.0.30"),
        server("NB-ØKO-01", ip="10.1.0.40"),
        server("NB-MON-01", ip="10.1.0.99"),
    ],
    "Applications": [app("Løn", servers="NB-ØKO-01"), app("Intranet", servers="NB-WEB-01")],
}


def write_csv(path: Path, header: list[str], rows: list[list[Any]], sep: str = ",") -> Path:
    lines = [sep.join(header)] + [sep.join("" if v is None else str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def observed(engine: Engine) -> dict[tuple[str, str], Dependency]:
    """Observed dependencies by (from, to) as `kind/name`."""
    with Session(engine) as session:
        rows = session.execute(
            select(Dependency).where(col(Dependency.observed).is_(True))
        ).scalars()
        return {(f"{d.from_kind}/{d.from_name}", f"{d.to_kind}/{d.to_name}"): d for d in rows}


def findings(engine: Engine, code: str) -> list[Any]:
    return [f for f in run_checks(build(load(engine))) if f.code == code]


def test_generic_csv_matches_by_name_fqdn_ip_and_network(engine: Engine, tmp_path: Path) -> None:
    import_inventory(engine, tmp_path, {N: ESTATE})
    capture = write_csv(
        tmp_path / "capture.csv",
        GENERIC,
        [
            [
                "nb-web-01",
                "NB-SQL-01",
                1433,
                "tcp",
                "w3wp.exe",
                40,
                "2026-11-02",
                "2026-11-20T10:15",
            ],
            [
                "NB-WEB-01.nordby.local",
                "nb-sql-01.NORDBY.local",
                1433,
                "tcp",
                "w3wp",
                2,
                "2026-11-01",
                None,
            ],
            ["10.1.0.40", "10.1.0.30", 445, "tcp", None, 7, None, None],  # IP only at both ends
            ["NB-ØKO-01", "10.1.7.7", 8080, "tcp", None, 3, None, None],  # unknown host in Adm-Net
            ["NB-ØKO-01", "10.1.7.8", 8080, "tcp", None, 1, None, None],
            [
                "NB-FIL-01",
                "185.15.59.224",
                443,
                "tcp",
                None,
                5,
                None,
                None,
            ],  # outside every network
            ["127.0.0.1", "NB-WEB-01", 80, "tcp", None, 9, None, None],  # loopback
            ["NB-WEB-01", "10.1.0.10", 80, "tcp", None, 4, None, None],  # same server
        ],
    )
    [report] = import_files(engine, [capture], municipality=N)
    assert report.line() == f"{capture}: {N}: 2 created, 0 updated, 0 removed, 0 unchanged"
    deps = observed(engine)
    assert set(deps) == {
        ("server/NB-WEB-01", "server/nb-sql-01.nordby.local"),
        ("server/NB-ØKO-01", "server/NB-FIL-01"),
    }
    sql = deps[("server/NB-WEB-01", "server/nb-sql-01.nordby.local")]
    # 1433 is a database port: hard; 40 + 2 observations; the earliest first and latest last seen
    assert (sql.kind, sql.strength, sql.ports, sql.observations) == ("uses", "hard", "1433/tcp", 42)
    assert (sql.first_seen, sql.last_seen, sql.processes) == (
        "2026-11-01",
        "2026-11-20 10:15",
        "w3wp",
    )
    assert deps[("server/NB-ØKO-01", "server/NB-FIL-01")].strength == "soft"
    notes = "\n".join(report.warnings)
    assert "loopback 9" in notes and "same server 4" in notes and "unknown endpoint 9" in notes

    unknown = {
        f.message.split(": ", 2)[2].split(":")[0]: f for f in findings(engine, "unknown-endpoint")
    }
    in_network = unknown["2 unknown host(s) such as 10.1.7.7, 10.1.7.8 in network Adm-Net"]
    assert (
        in_network.severity == "warning" and "4 observation(s), port(s) 8080" in in_network.message
    )
    assert in_network.items == [f"{N}/network/Adm-Net", f"{N}/server/NB-ØKO-01"]
    external = unknown["185.15.59.224 is outside the inventory"]
    assert external.severity == "info" and "5 observation(s), port(s) 443" in external.message


def azure_rows() -> list[list[Any]]:
    return [
        [
            "02-11-2026 10:00-11:00",
            "NB-WEB-01",
            "10.1.0.10",
            "Intranet",
            "w3wp",
            "nb-sql-01",
            "10.1.0.20",
            "SQL Server",
            "sqlservr",
            1433,
        ],
        [
            "03-11-2026 10:00-11:00",
            "NB-WEB-01",
            "10.1.0.10",
            "Intranet",
            "w3wp",
            "nb-sql-01",
            "10.1.0.20",
            "SQL Server",
            "sqlservr",
            1433,
        ],
        [
            "04-11-2026 09:00-10:00",
            "",
            "10.1.0.10",
            "Intranet",
            "w3wp",
            "NB-ØKO-01",
            "10.1.0.40",
            "Løn",
            "java",
            8443,
        ],
        [
            "04-11-2026 09:00-10:00",
            "NB-WEB-01",
            "10.1.0.10",
            "",
            "svchost",
            "NB-FIL-01",
            "10.1.0.30",
            "",
            "System",
            445,
        ],
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_azure_migrate_export_names_applications(
    engine: Engine, tmp_path: Path, suffix: str
) -> None:
    import_inventory(engine, tmp_path, {N: ESTATE})
    path = tmp_path / f"AzureMigrate_Dependencies{suffix}"
    if suffix == ".csv":
        write_csv(path, capture_gen.AZURE_HEADER, azure_rows(), sep=";")
    else:
        book = openpyxl.Workbook()
        book.active.title = "Dependencies"
        book.active.append(capture_gen.AZURE_HEADER)
        for values in azure_rows():
            book.active.append(values)
        book.save(path)
    import_files(engine, [path], municipality=N)  # detected from the headers
    deps = observed(engine)
    # Applications the inventory knows make the pair application-level; others stay servers.
    assert set(deps) == {
        ("application/Intranet", "server/nb-sql-01.nordby.local"),
        ("application/Intranet", "application/Løn"),
        ("server/NB-WEB-01", "server/NB-FIL-01"),
    }
    sql = deps[("application/Intranet", "server/nb-sql-01.nordby.local")]
    assert (sql.observations, sql.first_seen, sql.last_seen) == (
        2,
        "2026-11-02 10:00",
        "2026-11-03 10:00",
    )
    assert sql.processes == "sqlservr, w3wp" and sql.strength == "hard"


def test_noise_is_set_aside_by_default_and_configurable(
    engine: Engine, tmp_path: Path, run_cli
) -> None:  # type: ignore[no-untyped-def]
    import_inventory(engine, tmp_path, {N: ESTATE})
    capture = write_csv(
        tmp_path / "c.csv",
        GENERIC,
        [
            ["NB-WEB-01", "NB-FIL-01", 53, "udp", None, 100, None, None],  # DNS
            ["NB-WEB-01", "NB-FIL-01", 123, "udp", None, 50, None, None],  # NTP
            ["NB-MON-01", "NB-WEB-01", 10050, "tcp", None, 80, None, None],  # Zabbix agent
            ["NB-MON-01", "NB-WEB-01", 12345, "tcp", "zabbix_agentd", 3, None, None],  # by process
            ["NB-WEB-01", "NB-SQL-01", 1433, "tcp", None, 1, None, None],  # one observation
            ["NB-WEB-01", "NB-ØKO-01", 8443, "tcp", None, 20, None, None],
        ],
    )
    result = run_cli("import", capture, "--municipality", N)
    assert result.returncode == 0, result.stderr
    assert set(observed(engine)) == {
        ("server/NB-WEB-01", "server/nb-sql-01.nordby.local"),
        ("server/NB-WEB-01", "server/NB-ØKO-01"),
    }
    assert (
        "observations set aside: port 53 (DNS) 100, port 10050 (Zabbix agent) 80, "
        "port 123 (NTP) 50, process zabbix_agentd 3"
    ) in result.stderr

    # Configured: 8443 is noise here, 53 is not, pairs seen once are noise, NB-FIL-01 is excluded.
    (tmp_path / "plan.toml").write_text(
        "[connections]\nnoise_ports = [8443, 10050]\nmin_count = 2\n"
        'exclude_servers = ["nb-fil-01"]\n',
        encoding="utf-8",
    )
    result = run_cli("import", capture, "--municipality", N)
    assert result.returncode == 0, result.stderr
    assert set(observed(engine)) == set()  # SQL seen once; ØKO on 8443; FIL excluded
    assert "fewer than 2 observations (min_count) 1" in result.stderr
    assert "server NB-FIL-01 (exclude_servers) 150" in result.stderr
    (tmp_path / "plan.toml").write_text("[connections]\nmin_count = 0\n", encoding="utf-8")
    bad = run_cli("import", capture, "--municipality", N)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip() == (
        "error: plan.toml: connections.min_count: must be a whole number of at least 1, got 0"
    )


def hub_estate(count: int = 12) -> dict[str, Any]:
    return {
        "Servers": [server(f"S{i:02d}", ip=f"10.5.0.{i}") for i in range(1, count + 1)]
        + [server("MON")]
    }


def hub_capture(path: Path, count: int = 12) -> Path:
    rows = [
        ["MON", f"S{i:02d}", port, "tcp", None, 5, None, None]
        for i in range(1, count + 1)
        for port in (22, 443)
    ]
    rows += [
        ["S01", "S02", 1433, "tcp", None, 9, None, None],
        ["S03", "S02", 1433, "tcp", None, 9, None, None],
    ]
    return write_csv(path, GENERIC, rows)


def test_a_hub_is_reported_and_kept_out_of_the_dependencies(
    engine: Engine, tmp_path: Path, run_cli
) -> None:  # type: ignore[no-untyped-def]
    import_inventory(engine, tmp_path, {N: hub_estate()})
    capture = hub_capture(tmp_path / "c.csv")
    import_files(engine, [capture], municipality=N)
    assert set(observed(engine)) == {("server/S01", "server/S02"), ("server/S03", "server/S02")}
    checked = run_cli("check", "--json")
    hubs = [f for f in json.loads(checked.stdout)["findings"] if f["code"] == "hub-server"]
    assert len(hubs) == 1 and hubs[0]["items"] == [f"{N}/server/MON"]
    assert hubs[0]["message"].startswith(
        f"{N}: {capture}: MON talks to 12 of 13 servers (92%; ports 22, 443)"
    )
    assert "exclude_servers" in hubs[0]["message"] and "platform" in hubs[0]["message"]

    (tmp_path / "plan.toml").write_text('[connections]\nhubs = "keep"\n', encoding="utf-8")
    assert run_cli("import", capture, "--municipality", N).returncode == 0
    assert len(observed(engine)) == 14  # 12 from the hub, kept on request, and the 2 business pairs
    # A server talking to fewer than hub_min_partners (10) is no hub, whatever its share.
    (tmp_path / "plan.toml").unlink()
    import_inventory(engine, tmp_path, {N: hub_estate(6)})
    import_files(engine, [hub_capture(tmp_path / "c6.csv", 6)], municipality=N)
    assert findings(engine, "hub-server") == [] and len(observed(engine)) == 8


def test_reimport_replaces_only_the_previous_capture(engine: Engine, tmp_path: Path) -> None:
    estate = {**ESTATE, "Dependencies": [dep("application", "Løn", "server", "NB-FIL-01", "uses")]}
    import_inventory(engine, tmp_path, {N: estate})
    first = write_csv(
        tmp_path / "old.csv", GENERIC, [["NB-WEB-01", "NB-FIL-01", 445, "tcp", None, 3, None, None]]
    )
    newer = write_csv(
        tmp_path / "new.csv",
        GENERIC,
        [["NB-WEB-01", "NB-SQL-01", 1433, "tcp", None, 3, None, None]],
    )
    import_files(engine, [first], municipality=N)
    [report] = import_files(engine, [newer], municipality=N)
    assert report.line() == f"{newer}: {N}: 1 created, 0 updated, 1 removed, 0 unchanged"
    assert set(observed(engine)) == {("server/NB-WEB-01", "server/nb-sql-01.nordby.local")}
    # The workbook's own dependency survives the capture, and the capture the workbook.
    import_inventory(engine, tmp_path, {N: estate})
    with Session(engine) as session:
        rows = session.execute(select(Dependency)).scalars().all()
    assert sorted((d.from_name, d.to_name, d.observed) for d in rows) == [
        ("Løn", "NB-FIL-01", False),
        ("NB-WEB-01", "nb-sql-01.nordby.local", True),
    ]
    assert load(engine).captures[N]["source"] == str(newer)


def test_bad_input_is_one_line_each_and_nothing_is_written(
    engine: Engine, tmp_path: Path, run_cli
) -> None:  # type: ignore[no-untyped-def]
    import_inventory(engine, tmp_path, {N: ESTATE})
    unknown = write_csv(tmp_path / "flows.csv", ["from", "to", "port"], [["a", "b", 1]])
    result = run_cli("import", unknown, "--format", "connections", "--municipality", N)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"{unknown}: not a connection capture: found headers from, to, port; {EXPECTED}",
        "1 problem(s); nothing was imported.",
    ]
    assert "Source server name" in EXPECTED and "source, destination, port" in EXPECTED

    bad = write_csv(
        tmp_path / "bad.csv",
        GENERIC,
        [
            ["NB-WEB-01", "NB-FIL-01", 445, "tcp", None, 3, None, None],
            ["NB-WEB-01", "NB-FIL-01", "http", "tcp", None, 3, None, None],
            ["10.1.0.300", "NB-FIL-01", 445, "tcp", None, 3, None, None],
            ["NB-WEB-01", "NB-FIL-01", 445, "tcp", None, "many", None, None],
            ["NB-WEB-01", "NB-FIL-01", 70000, "tcp", None, 1, "2026-13-01", None],
        ],
    )
    result = run_cli("import", bad, "--municipality", N)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"{bad}:3: port must be a whole number from 1 to 65535, got 'http'",
        f"{bad}:4: source IP '10.1.0.300' is not an IPv4 or IPv6 address",
        f"{bad}:5: count must be a whole number of 1 or more, got 'many'",
        f"{bad}:6: port must be a whole number from 1 to 65535, got '70000'",
        f"{bad}:6: first_seen must be an ISO 8601 date or date-time, got '2026-13-01'",
        "5 problem(s); nothing was imported.",
    ]
    assert observed(engine) == {} and load(engine).captures == {}

    # A capture for a municipality with no inventory is refused: nothing to match against.
    good = write_csv(tmp_path / "good.csv", GENERIC, [["a", "b", 80, "tcp", None, 1, None, None]])
    with pytest.raises(PlannerError, match="municipality 'Sydby' has no inventory yet"):
        import_files(engine, [good], municipality="Sydby")


def test_reader_streams_excel_csv_conventions(tmp_path: Path) -> None:
    """A `sep=;` line, a BOM, Windows line ends and an IPv6 address; counts are summed."""
    path = tmp_path / "c.csv"
    path.write_bytes(
        "\ufeffsep=;\r\nSource;Destination;Port;Count\r\nweb;[2001:db8::1];443;2\r\n"
        "web;2001:db8:0::1;443;3\r\n".encode()
    )
    capture = read_connections(path, municipality=N).capture
    assert capture.layout == "generic" and capture.rows == 2
    assert list(capture.flows.values()) == [[5, None, None]]
    with pytest.raises(ImportFailed) as failed:
        read_connections(
            write_csv(tmp_path / "b.csv", ["source", "destination", "port"], [["", "web", 80]]),
            municipality=N,
        )
    assert failed.value.problems == [f"{tmp_path / 'b.csv'}:2: source is blank"]
    # The same bad row 60 times: 50 listed, the rest counted (the row text is validated once).
    many = write_csv(tmp_path / "m.csv", ["source", "destination", "port"], [["web", "db", 0]] * 60)
    with pytest.raises(ImportFailed) as failed:
        read_connections(many, municipality=N)
    assert len(failed.value.problems) == 51 and failed.value.problems[49].startswith(
        f"{many}:51: port"
    )
    assert failed.value.problems[-1] == f"{many}: … and 10 more bad row(s); nothing was imported"


def test_observed_dependencies_in_plan_verify_graph_and_plan_xlsx(
    engine: Engine, tmp_path: Path, run_cli
) -> None:  # type: ignore[no-untyped-def]
    """A hard observed dependency orders the waves and the verifier checks it; a soft one
    split across waves shows in plan.xlsx with its ports and count."""
    import_inventory(
        engine, tmp_path, {N: {"Servers": [server("WEB"), server("SQL"), server("FIL")]}}
    )
    capture = write_csv(
        tmp_path / "c.csv",
        GENERIC,
        [
            ["web", "sql", 1433, "tcp", None, 120, "2026-11-02", "2026-11-30"],
            ["fil", "web", 8080, "tcp", None, 7, None, None],
        ],
    )
    assert run_cli("import", capture, "--municipality", N).returncode == 0
    shown = run_cli("graph", "show", f"{N}/server/WEB")
    assert (
        "needs Nordby/server/SQL  (uses, before_or_same, observed: ports 1433/tcp; "
        "120 observations; seen 2026-11-02 – 2026-11-30)" in shown.stdout
    )
    graph = build(load(engine))
    assert [e.rule for e in graph.edges if e.observed and e.source.endswith("FIL")] == [SOFT]
    # SQL pinned to wave 2 and FIL to wave 1: the hard dependency puts WEB no earlier than 2.
    (tmp_path / "plan.toml").write_text(
        '[pins]\n"Nordby/server/SQL" = 2\n"Nordby/server/FIL" = 1\n[capacity]\nserver = 100\n',
        encoding="utf-8",
    )
    planned = run_cli("plan", "--config", "plan.toml", "--time-limit", "5", "--workers", "1")
    assert planned.returncode == 0, planned.stderr
    with Session(engine) as session:
        waves = {p.name: p.wave for p in session.execute(select(PlanItem)).scalars()}
    assert waves["SQL"] == 2 and waves["WEB"] >= 2 and waves["FIL"] == 1
    assert run_cli("verify").returncode == 0
    assert run_cli("export", "plan.xlsx").returncode == 0
    sheet = openpyxl.load_workbook(tmp_path / "plan.xlsx")["Split dependencies"]
    header = [c.value for c in sheet[1]]
    split = dict(zip(header, [c.value for c in sheet[2]]))
    assert (
        split["from"],
        split["to"],
        split["observed"],
        split["ports"],
        split["observations"],
    ) == (f"{N}/server/FIL", f"{N}/server/WEB", "yes", "8080/tcp", 7)
    assert run_cli("export", "plan.json").returncode == 0
    document = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema()).validate(document)
    deps = document["dependencies"]
    assert [(d["from"], d["ports"], d["observations"]) for d in deps if d["observed"]] == [
        (f"{N}/server/FIL", "8080/tcp", 7),
        (f"{N}/server/WEB", "1433/tcp", 120),
    ]
    exported = run_cli("graph", "export", "deps.graphml")
    assert exported.returncode == 0
    text = (tmp_path / "deps.graphml").read_text(encoding="utf-8")
    assert 'attr.name="observed" attr.type="boolean"' in text and "1433/tcp" in text
    # The verifier checks the observed rule itself: WEB moved before SQL breaks it.
    with Session(engine) as session:
        session.execute(update(PlanItem).where(col(PlanItem.name) == "WEB").values(wave=1))
        session.commit()
    broken = run_cli("verify")
    assert broken.returncode == 1 and "Nordby/server/WEB" in broken.stdout


@pytest.mark.parametrize("layout", ["generic", "azure"])
def test_held_out_like_capture(engine: Engine, tmp_path: Path, layout: str) -> None:
    """≥ 99 % of the business pairs, none of the monitoring hub's, the internet reported."""
    world = capture_gen.estate(servers=60, pairs=120)
    servers = [server(name, ip=ip) for name, ip in world.servers.items()]
    import_inventory(
        engine, tmp_path, {N: {"Networks": [net("Adm", "10.20.0.0/16")], "Servers": servers}}
    )
    write = capture_gen.write_generic if layout == "generic" else capture_gen.write_azure
    path = write(tmp_path / "capture.csv", world, 4000)
    import_files(engine, [path], municipality=N)
    found = {(a.split("/")[1], b.split("/")[1]) for a, b in observed(engine)}
    assert len(found & world.pairs) >= 0.99 * len(world.pairs)
    assert not [pair for pair in found if world.hub in pair or world.dns in pair]
    assert found <= world.pairs  # nothing but business traffic
    [hub] = findings(engine, "hub-server")
    assert hub.items == [f"{N}/server/{world.hub}"]
    reported = {
        f.message.split(": ", 2)[2].split(" is outside")[0]
        for f in findings(engine, "unknown-endpoint")
    }
    assert set(capture_gen.EXTERNAL) <= reported


def test_a_workbook_and_two_captures_in_one_command(engine: Engine, tmp_path: Path) -> None:
    """Captures are stored after the workbooks given with them, and two captures of one
    municipality (two collectors) fold into one instead of the second replacing the first."""
    from inventories.template import write_workbook
    from tests.conftest import row

    workbook = write_workbook(
        tmp_path / "nordby.xlsx",
        {
            "Municipality": [row("Municipality", name=N)],
            "Servers": [
                row("Servers", name="WEB"),
                row("Servers", name="SQL"),
                row("Servers", name="FIL"),
            ],
        },
    )
    one = write_csv(
        tmp_path / "one.csv", GENERIC, [["web", "sql", 1433, "tcp", None, 2, None, None]]
    )
    two = write_csv(
        tmp_path / "two.csv",
        GENERIC,
        [
            ["web", "sql", 1433, "tcp", None, 3, None, None],
            ["web", "fil", 445, "tcp", None, 1, None, None],
        ],
    )
    reports = import_files(engine, [one, workbook, two], municipality=N)
    assert [r.source for r in reports] == [str(workbook), f"{one}, {two}"]
    deps = observed(engine)
    assert {pair: d.observations for pair, d in deps.items()} == {
        ("server/WEB", "server/SQL"): 5,
        ("server/WEB", "server/FIL"): 1,
    }


def test_a_capture_is_listed_as_a_source_and_can_be_withdrawn(
    engine: Engine, tmp_path: Path, run_cli: Any
) -> None:
    """Issue 19 item 5: a capture is a source like any other — `planner sources` lists it
    (observed dependencies, no place in the precedence of item fields), and withdrawing it
    removes its observed dependencies and nothing of the workbook's."""
    estate = {**ESTATE, "Dependencies": [dep("application", "Løn", "server", "NB-FIL-01", "uses")]}
    import_inventory(engine, tmp_path, {N: estate})
    capture = write_csv(
        tmp_path / "capture-nov.csv",
        GENERIC,
        [
            ["NB-WEB-01", "NB-SQL-01", 1433, "tcp", None, 3, None, None],
            ["NB-WEB-01", "10.1.0.30", 445, "tcp", None, 5, None, None],
        ],
    )
    import_files(engine, [capture], municipality=N)
    listed = run_cli("sources", "--municipality", N, "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = json.loads(listed.stdout)["municipalities"]
    [found] = [s for s in entry["sources"] if s["format"] == "connections"]
    assert (found["name"], found["file"], found["dependencies"], found["precedence"]) == (
        "connections:capture-nov",
        str(capture),
        2,
        None,
    )
    shown = run_cli("sources", "--municipality", N)
    assert shown.returncode == 0 and "connections:capture-nov" in shown.stdout
    removed = run_cli("sources", "remove", "connections:capture-nov", "--municipality", N)
    assert removed.returncode == 0, removed.stderr
    assert observed(engine) == {}
    with Session(engine) as session:
        rows = session.execute(select(Dependency)).scalars().all()
    assert [(d.from_name, d.to_name, d.observed) for d in rows] == [("Løn", "NB-FIL-01", False)]
    assert N not in load(engine).captures
    again = run_cli("sources", "--municipality", N, "--json")
    [entry] = json.loads(again.stdout)["municipalities"]
    assert all(s["format"] != "connections" for s in entry["sources"])
