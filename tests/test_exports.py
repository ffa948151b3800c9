"""Exports (`exports/`, `planner.export_data`): the workbook reopened with openpyxl, JSON
against its schema, CSV, calendar, pictures, safe writing, formula injection, LibreOffice.

One real plan is made once per module (two tiny municipalities, solved to optimality in
about a second); formula injection uses a hand-made `ExportPlan`, which the pure
exporters accept just the same, because an inventory workbook cannot even carry a
leading `=` as text through the template writer.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from icalendar import Calendar
from openpyxl.chart import BarChart
from sqlalchemy.engine import Engine

import exports
from exports.json_export import plan_document, schema
from exports.model import TEAMS, ExportDependency, ExportItem, ExportPlan, ExportWave
from exports.safe_text import RISKY_PREFIXES
from exports.xlsx import ITEM_COLUMNS, sheet_title
from planner.config import parse_config
from planner.db import open_database
from exports.errors import PlannerError
from planner.export_data import load_export
from planner.importing import import_files
from planner.planning import make_plan
from tests.conftest import InventoryBook

TOML = """
[calendar]
start = 2027-01-09
wave_length_days = 14
max_waves = 8
"""


def two_municipalities(folder: Path) -> list[Path]:
    """The conftest's valid inventory twice: as Østerå Kommune and as Nordby (9 planned items each);
    Nordby's Skoleportal consolidates into Østerå's and its finance system integrates with it."""
    first = InventoryBook(folder)
    second = InventoryBook(folder)
    second.sheets["Municipality"][0]["name"] = "Nordby"
    second.sheets["Applications"][1]["target"] = "Østerå Kommune/Skoleportal"
    second.sheets["Dependencies"][3].update(to_municipality="Østerå Kommune", to_name="Skoleportal")
    return [first.write("osteraa.xlsx"), second.write("nordby.xlsx")]


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A database with two tiny municipalities and one optimal plan (about a second to make)."""
    folder = tmp_path_factory.mktemp("planned")
    engine = open_database(f"sqlite:///{folder / 'planner.db'}")
    import_files(engine, two_municipalities(folder))
    make_plan(engine, parse_config(TOML), TOML, time_limit=5, workers=1, seed=0)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def plan(planned: Engine) -> ExportPlan:
    return load_export(planned)


@pytest.fixture(scope="module")
def workbook_path(plan: ExportPlan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return exports.write(tmp_path_factory.mktemp("xlsx") / "plan.xlsx", plan)


@pytest.fixture(scope="module")
def workbook(workbook_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(workbook_path)


# ---------------------------------------------------------------------- the ExportPlan
def test_load_export_reads_the_stored_plan(plan: ExportPlan) -> None:
    assert plan.id == 1 and plan.status == "optimal"
    assert plan.municipalities == ("Nordby", "Østerå Kommune")
    assert len(plan.items) == 18  # 9 planned items each (2 sites are not moved)
    assert [w.number for w in plan.waves] == list(range(1, plan.waves_used + 1))
    assert plan.waves[0].start == date(2027, 1, 9) and plan.waves[0].end == date(2027, 1, 22)
    # `used` per wave is the sum of its items' effort per team
    for wave in plan.waves:
        for team in TEAMS:
            assert wave.used[team] == pytest.approx(
                sum(i.effort_hours for i in plan.items if i.wave == wave.number and i.team == team)
            )
    assert {d.rule for d in plan.dependencies} <= {
        "same_wave",
        "before_or_same",
        "strictly_before",
        "soft",
    }
    assert any(f["code"] == "dangling-reference" for f in plan.findings)


def test_load_export_of_a_missing_plan_is_one_sentence(planned: Engine) -> None:
    with pytest.raises(PlannerError, match="there is no plan 99"):
        load_export(planned, 99)


# ---------------------------------------------------------------------- the workbook
def test_workbook_has_the_sheets_in_order(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == [
        "Overview",
        "Waves",
        "Items",
        "Nordby",
        "Østerå Kommune",
        "Gantt",
        "Split dependencies",
        "Checks",
        "Capacity",
    ]


def test_items_sheet_is_a_table_with_an_editable_pin_column(
    workbook: openpyxl.Workbook, plan: ExportPlan
) -> None:
    ws = workbook["Items"]
    headers = [c.value for c in ws[1]]
    assert headers == [name for name, _ in ITEM_COLUMNS]
    # issue 22 added the progress columns after `pin`, issue 17 `sources` last
    assert headers[-5:] == ["pin", "status", "actual_date", "comment", "sources"]
    assert headers[0] == "id"
    assert ws.max_row == 1 + len(plan.items)
    assert ws.freeze_panes == "B2"
    table = ws.tables["Items"]
    assert table.ref == f"A1:V{1 + len(plan.items)}"
    assert [c.name for c in table.tableColumns] == headers
    col = {name: index for index, name in enumerate(headers, start=1)}
    ids = {ws.cell(r, 1).value for r in range(2, ws.max_row + 1)}
    assert ids == {i.id for i in plan.items}
    cell = ws.cell(2, col["wave_start"])
    assert isinstance(cell.value, datetime) and cell.number_format == "yyyy-mm-dd"
    assert ws.cell(2, col["effort_hours"]).number_format == "#,##0.0"
    assert ws.cell(2, col["wave"]).number_format == "0"
    assert ws.cell(2, col["pin"]).fill.fgColor.rgb.endswith("FFF2CC")
    assert [str(v.sqref) for v in ws.data_validations.dataValidation] == [
        f"{c}2:{c}{1 + len(plan.items)}" for c in "RST"
    ]  # pin, the status drop-down, actual_date
    by_id = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    admin = "Østerå Kommune/workplace/Rådhus administration"
    assert "Østerå Kommune/directory/østerå.local" in ws.cell(by_id[admin], col["depends_on"]).value


def test_waves_sheet_compares_effort_with_capacity(
    workbook: openpyxl.Workbook, plan: ExportPlan
) -> None:
    ws = workbook["Waves"]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["wave", "start", "end", "items"]
    assert headers[4:7] == ["network_hours", "network_capacity", "network_use"]
    assert headers[-2:] == ["downtime Nordby", "downtime Østerå Kommune"]
    assert ws.max_row == 1 + len(plan.waves)
    assert ws["B2"].number_format == "yyyy-mm-dd" and ws["B2"].value == datetime(2027, 1, 9)
    assert ws["F2"].value == 80  # default network capacity
    assert ws["G2"].number_format == "0%"
    assert sum(ws.cell(r, 4).value for r in range(2, ws.max_row + 1)) == len(plan.items)
    bars = [
        rule for rng in ws.conditional_formatting for rule in rng.rules if rule.type == "dataBar"
    ]
    assert len(bars) == len(TEAMS)
    assert ws.freeze_panes == "A2"


def test_capacity_chart_is_a_bar_chart_of_the_teams(
    workbook: openpyxl.Workbook, workbook_path: Path
) -> None:
    charts = workbook["Capacity"]._charts
    assert len(charts) == 1 and isinstance(charts[0], BarChart)
    assert len(charts[0].series) == len(TEAMS)
    with zipfile.ZipFile(workbook_path) as archive:
        xml = archive.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in xml or "barChart" in xml
    assert "Waves" in xml  # the series refer to the Waves sheet


def test_every_sheet_prints_landscape_fitted_to_width(workbook: openpyxl.Workbook) -> None:
    for ws in workbook.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        if ws.title not in ("Overview", "Capacity"):
            assert ws.freeze_panes, ws.title
            assert ws.print_title_rows == "$1:$1", ws.title


def test_one_sheet_per_municipality_with_its_items(
    workbook: openpyxl.Workbook, plan: ExportPlan
) -> None:
    counts = Counter(i.municipality for i in plan.items)
    for municipality in plan.municipalities:
        ws = workbook[municipality]
        assert [c.value for c in ws[1]][:5] == ["wave", "wave_start", "wave_end", "kind", "name"]
        assert ws.max_row == 1 + counts[municipality]
        waves = [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
        assert waves == sorted(waves)


def test_gantt_fills_each_move_group_in_its_wave(
    workbook: openpyxl.Workbook, plan: ExportPlan
) -> None:
    ws = workbook["Gantt"]
    groups = {i.move_group for i in plan.items}
    headers = [c.value for c in ws[1]]
    assert headers[:5] == ["wave", "municipality", "move_group", "items", "kind"]
    assert re.fullmatch(r"W\d\d \d\d\.\d\d", headers[5])
    rows = range(2, 2 + len(groups))
    assert sum(ws.cell(r, 4).value for r in rows) == len(plan.items)
    for r in rows:
        filled = [c for c in range(6, len(headers) + 1) if ws.cell(r, c).fill.fill_type == "solid"]
        assert 2 <= len(filled) <= 3, r  # a 14-day wave touches two or three ISO weeks


def test_checks_and_overview(workbook: openpyxl.Workbook, plan: ExportPlan) -> None:
    checks = workbook["Checks"]
    assert [c.value for c in checks[1]] == ["severity", "code", "message", "items"]
    assert checks.max_row == 1 + len(plan.findings)
    overview = workbook["Overview"]
    values = {
        overview.cell(r, 1).value: overview.cell(r, 2).value for r in range(1, overview.max_row + 1)
    }
    assert values["Items"] == 18 and values["Municipalities"] == 2
    assert values["Solver status"] == "optimal"
    assert values["First day"] == datetime(2027, 1, 9)
    assert "wave_length_days = 14" in [
        overview.cell(r, 1).value for r in range(1, overview.max_row + 1)
    ]
    split = workbook["Split dependencies"]
    assert [c.value for c in split[1]] == [
        "from",
        "from_wave",
        "to",
        "to_wave",
        "kind",
        "waves_apart",
        "origin",
        "observed",
        "ports",
        "observations",
    ]
    assert split.max_row == 1 + len(plan.split_dependencies)


# ---------------------------------------------------------------------- JSON, CSV, ICS, pictures
def test_json_validates_against_the_schema_in_the_repo(plan: ExportPlan, tmp_path: Path) -> None:
    path = exports.write(tmp_path / "plan.json", plan)
    document = json.loads(path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())
    validator.check_schema(schema())
    validator.validate(document)
    assert (
        document["plan"]["id"] == plan.id
        and document["plan"]["objective"]["waves"] == plan.waves_used
    )
    assert len(document["items"]) == 18 and len(document["waves"]) == len(plan.waves)
    assert document["waves"][0]["capacity"]["server"] == 400
    assert (
        datetime.fromisoformat(document["plan"]["created"]).tzinfo is not None
    )  # RFC 3339 needs a zone
    assert {d["rule"] for d in document["dependencies"]} <= {
        "same_wave",
        "before_or_same",
        "strictly_before",
        "soft",
    }


@pytest.mark.parametrize("breakage", ["wave zero", "unknown rule", "no items"])
def test_the_schema_rejects_broken_documents(plan: ExportPlan, breakage: str) -> None:
    """The passing case is the test above; each of these changes one thing."""
    document = json.loads(json.dumps(plan_document(plan)))
    if breakage == "wave zero":
        document["items"][0]["wave"] = 0
    elif breakage == "unknown rule":
        document["dependencies"][0]["rule"] = "whenever"
    else:
        del document["items"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema(), cls=jsonschema.Draft202012Validator)


def test_csv_is_the_items_sheet_with_a_bom(plan: ExportPlan, tmp_path: Path) -> None:
    path = exports.write(tmp_path / "plan.csv", plan)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [name for name, _ in ITEM_COLUMNS]
    assert len(rows) == 1 + len(plan.items)
    assert any(r[4] == "Østerå Kommune" for r in rows[1:])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", rows[1][2])


def test_ics_has_one_event_per_municipality_and_wave(plan: ExportPlan, tmp_path: Path) -> None:
    path = exports.write(tmp_path / "plan.ics", plan)
    calendar = Calendar.from_ical(path.read_bytes())
    events = list(calendar.walk("VEVENT"))
    expected = {(i.wave, i.municipality) for i in plan.items}
    assert len(events) == len(expected)
    assert len({str(e["uid"]) for e in events}) == len(events)
    first = min(events, key=lambda e: e.decoded("dtstart"))
    assert first.decoded("dtstart") == date(2027, 1, 9)
    assert first.decoded("dtend") == date(2027, 1, 23)  # exclusive end of an all-day event
    assert str(first["summary"]).startswith("Wave 1: ")
    assert "h downtime" in str(first["description"])


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_gantt_pictures(plan: ExportPlan, tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = exports.write(tmp_path / f"gantt{suffix}", plan)
    assert path.read_bytes().startswith(magic) and path.stat().st_size > 10_000


def test_svg_is_reproducible(plan: ExportPlan, tmp_path: Path) -> None:
    a = exports.write(tmp_path / "a.svg", plan).read_bytes()
    b = exports.write(tmp_path / "b.svg", plan).read_bytes()
    assert a == b


# ---------------------------------------------------------------------- safe writing
def test_write_never_overwrites_without_force(plan: ExportPlan, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("keep me", encoding="utf-8")
    with pytest.raises(PlannerError, match="already exists; use --force"):
        exports.write(path, plan)
    assert path.read_text(encoding="utf-8") == "keep me"
    exports.write(path, plan, force=True)
    assert json.loads(path.read_text(encoding="utf-8"))["plan"]["id"] == plan.id
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]  # no temporary file left


def test_unknown_extension_is_one_sentence(plan: ExportPlan, tmp_path: Path) -> None:
    with pytest.raises(PlannerError) as caught:
        exports.write(tmp_path / "plan.docx", plan)
    assert (
        str(caught.value)
        == "plan.docx: cannot export to .docx; use one of .xlsx, .json, .csv, .ics, .png, .svg"
    )
    assert list(tmp_path.iterdir()) == []


def test_sheet_titles_are_valid_and_unique() -> None:
    used = {"overview", "items"}
    assert sheet_title("Items", used) == "Items (2)"
    assert sheet_title("A/B: [x]?", used) == "A_B_ _x__"
    assert len(sheet_title("Kommune " * 10, used)) == 31


# ---------------------------------------------------------------------- formula injection
HOSTILE = [f"{prefix}cmd|' /C calc'!A0" for prefix in RISKY_PREFIXES] + [
    '=HYPERLINK("http://x","y")',
    "#N/A",
]


def hostile_plan() -> ExportPlan:
    """Every inventory-derived text field begins with a risky prefix, on one item per prefix."""
    wave = ExportWave(
        1,
        date(2027, 1, 9),
        date(2027, 1, 22),
        len(HOSTILE),
        {t: 100.0 for t in TEAMS},
        {t: 0.0 for t in TEAMS},
        {"=Evil": 1.0},
    )
    items = tuple(
        ExportItem(
            id=f"=Evil/application/{text}",
            municipality="=Evil",
            kind="application",
            name=text,
            wave=1,
            move_group=f"G{n:04d}",
            effort_hours=1.0,
            downtime_hours=1.0,
            team="application",
            function=text,
            criticality="high",
            owner=text,
            blackout=text,
            depends_on=(text,),
            needed_by=(text,),
        )
        for n, text in enumerate(HOSTILE)
    )
    soft = ExportDependency(
        items[0].id,
        items[1].id,
        "integrates_with",
        "soft",
        "soft",
        "-row 1",
        items[1].id,
        items[0].id,
        1,
        1,
    )
    return ExportPlan(
        id=1,
        status="optimal",
        created=datetime(2026, 5, 1, tzinfo=timezone.utc),
        objective={"waves": 1.0},
        bound={"waves": 1.0},
        config_toml="=not a formula",
        municipalities=("=Evil",),
        waves=(wave,),
        items=items,
        dependencies=(soft,),
        findings=(
            {"code": "x", "severity": "warning", "message": HOSTILE[0], "items": [HOSTILE[1]]},
        ),
    )


@pytest.fixture(scope="module")
def hostile_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return exports.write(tmp_path_factory.mktemp("hostile") / "plan.xlsx", hostile_plan())


def test_the_xml_holds_no_formula_at_all(hostile_workbook: Path) -> None:
    with zipfile.ZipFile(hostile_workbook) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 8  # one municipality
        for name in sheets:
            assert (
                "<f>" not in archive.read(name).decode()
                and "<f " not in archive.read(name).decode()
            ), name


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:2]))
def test_every_risky_prefix_stays_text(hostile_workbook: Path, text: str) -> None:
    # XML turns a carriage return into a line feed when read back (openpyxl writes it raw);
    # the cell still holds text, which is what matters here.
    shown = text.replace("\r", "\n")
    book = openpyxl.load_workbook(hostile_workbook)
    ws = book["Items"]
    headers = [c.value for c in ws[1]]
    row = next(
        r for r in range(2, ws.max_row + 1) if ws.cell(r, headers.index("name") + 1).value == shown
    )
    expected = {
        "id": f"=Evil/application/{shown}",
        "municipality": "=Evil",
        "name": shown,
        "function": shown,
        "owner": shown,
        "depends_on": shown,
        "needed_by": shown,
        "blackout": shown,
    }
    for column, value in expected.items():
        cell = ws.cell(row, headers.index(column) + 1)
        assert cell.data_type == "s", (column, cell.data_type)
        assert cell.value == value, column  # the exact text: no quote added, so ids round-trip
        assert cell.quotePrefix, column  # Excel/LibreOffice keep it text even when a user edits it
    municipality_sheet = book.worksheets[3]
    assert municipality_sheet.title == "=Evil"
    names = [municipality_sheet.cell(r, 5) for r in range(2, municipality_sheet.max_row + 1)]
    assert any(c.value == shown and c.data_type == "s" and c.quotePrefix for c in names)


@pytest.mark.parametrize("text", HOSTILE[: len(RISKY_PREFIXES)], ids=lambda t: repr(t[:1]))
def test_csv_prefixes_risky_text_with_a_quote(tmp_path: Path, text: str) -> None:
    path = exports.write(tmp_path / "plan.csv", hostile_plan())
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))
    names = [r[6] for r in rows[1:]]
    assert "'" + text in names
    assert not any(n.startswith(RISKY_PREFIXES) for r in rows[1:] for n in r)


def test_plain_text_is_not_marked(workbook: openpyxl.Workbook) -> None:
    """The passing case: ordinary names get no quote prefix."""
    ws = workbook["Items"]
    assert ws["G2"].data_type == "s" and not ws["G2"].quotePrefix


# ---------------------------------------------------------------------- LibreOffice
def test_libreoffice_opens_the_workbook(workbook_path: Path, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; .ci/run installs it to run this test")
    result = subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(workbook_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    pdf = tmp_path / "plan.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stderr + result.stdout
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_exported_files_get_the_users_normal_permissions(
    plan: ExportPlan, tmp_path: Path, umask: int
) -> None:
    """Issue 21: files were renamed into place with mkstemp's private 0600 mode, so a workbook
    on a shared drive was unreadable to the project managers it was written for."""
    previous = os.umask(umask)
    try:
        paths = [
            exports.write(tmp_path / name, plan) for name in ("plan.xlsx", "plan.csv", "plan.ics")
        ]
    finally:
        os.umask(previous)
    for path in paths:
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path.name
