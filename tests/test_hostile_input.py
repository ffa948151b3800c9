"""Regression tests for issue 20: hostile and careless input found by an outside probe.

Each test is named after the probe's case and runs the real `planner` as a subprocess on
the test database (SQLite, or PostgreSQL with PLANNER_TEST_DB_URL): bad input must end in
one sentence and exit code 1 with the old state kept, never an internal error.
"""

from __future__ import annotations

import csv
import ctypes
import io
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import ROOT, InventoryBook

Run = Callable[..., subprocess.CompletedProcess[str]]

#: Rich console markup and emoji codes that the probe used as names.
MARKUP_MUNICIPALITY = "Kommune [bold red]X :bomb:"
MARKUP_SERVER = "SRV [/] [link]"


def assert_one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 1, no traceback, no internal error; returns stderr."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    return result.stderr


def test_markup_in_municipality_name_is_printed_literally(
    book: InventoryBook, run_cli: Run
) -> None:
    """`Kommune [/]` ended `planner import` with `internal error: MarkupError` after the
    commit, and `[bold red]X` was printed as `X`: names are data, in every command."""
    book.sheets["Municipality"][0]["name"] = MARKUP_MUNICIPALITY
    book.sheets["Servers"][0]["name"] = MARKUP_SERVER
    book.sheets["Applications"][0]["servers"] = MARKUP_SERVER
    path = book.write()
    imported = run_cli("import", path)
    assert imported.returncode == 0, imported.stderr
    assert MARKUP_MUNICIPALITY in imported.stdout
    for command in (["inventory"], ["summary"], ["check"]):
        result = run_cli(*command)
        assert result.returncode in (0, 1) and "internal error" not in result.stderr, result.stderr
        assert MARKUP_MUNICIPALITY in result.stdout, (command, result.stdout)
    shown = run_cli("graph", "show", f"{MARKUP_MUNICIPALITY}/server/{MARKUP_SERVER}")
    assert shown.returncode == 0, shown.stderr
    assert f"{MARKUP_MUNICIPALITY}/server/{MARKUP_SERVER}" in shown.stdout
    planned = run_cli("plan", "--time-limit", "5", "--workers", "1")
    assert planned.returncode == 0, planned.stderr
    assert "Verified" in planned.stdout and MARKUP_MUNICIPALITY in planned.stdout


def cli(
    db: str, *args: str | Path, cwd: Path, preexec: Callable[[], None] | None = None
) -> subprocess.CompletedProcess[str]:
    """`planner --db DB ARGS…` as a real process; `preexec` runs in the child before exec."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    environment.update({"PYTHONIOENCODING": "utf-8", "PYTHONPATH": str(ROOT), "COLUMNS": "200"})
    return subprocess.run(
        [sys.executable, "-m", "planner.cli", "--db", db, *map(str, args)],
        cwd=cwd,
        check=False,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=180,
        preexec_fn=preexec,
    )


def without_root_powers() -> None:
    """In the child: give up root's right to ignore file permissions (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH leave the bounding set, so the exec'd program lacks them), so that a
    read-only file is read-only for the test even when the suite runs as root."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


PASSWORD = "p@ss:w/rd%"
ENCODED_PASSWORD = "p%40ss%3Aw%2Frd%25"


def test_password_needing_percent_encoding_is_never_echoed(
    book: InventoryBook, db_url: str, tmp_path: Path
) -> None:
    """`p%40ss%3Aw%2Frd` ended in `internal error: ValueError: invalid interpolation syntax`
    quoting the whole URL (Alembic's ConfigParser). On PostgreSQL (trust authentication) the
    same database is used with such a password and must work; on SQLite an unreachable
    server is named with its password masked."""
    if db_url.startswith("postgresql"):
        url = make_url(db_url).set(password=PASSWORD).render_as_string(hide_password=False)
    else:
        url = f"postgresql+psycopg://u2:{ENCODED_PASSWORD}@127.0.0.1:1/nowhere"
    result = cli(url, "import", book.write(), cwd=tmp_path)
    assert ENCODED_PASSWORD not in result.stdout + result.stderr
    assert "p@ss" not in result.stdout + result.stderr and "ss:w" not in result.stderr
    if db_url.startswith("postgresql"):
        assert result.returncode == 0, result.stderr
        assert "Østerå Kommune" in cli(url, "inventory", cwd=tmp_path).stdout
    else:
        assert_one_sentence(result)
        assert result.stderr.startswith(
            "error: cannot open database postgresql+psycopg://u2:***@127.0.0.1:1/"
        )


def test_percent_in_sqlite_path_works(book: InventoryBook, tmp_path: Path) -> None:
    """Any SQLite path with `%` was unusable (the same interpolation)."""
    for name in ("a%b.db", "50%25 off.db", "100%.db"):
        result = cli(str(tmp_path / name), "import", book.write(), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / name).is_file()
        assert "Østerå Kommune" in cli(str(tmp_path / name), "inventory", cwd=tmp_path).stdout


MALFORMED_URLS = {
    "mysql://root:hunter2@db.example/planner": "is for 'mysql', which planner does not support",
    "foo://u:hunter2@x": "is for 'foo', which planner does not support",
    "postgresql://u:hunter2@127.0.0.1:port/db": "is malformed (is the port a number",
    "postgresql://u:hun@ter2@127.0.0.1/db": "is malformed (percent-encode @",
    "postgresql+psycopg2://u:hunter2@127.0.0.1/db": "planner uses psycopg 3",
    ":memory:": "is not a file path",
    "sqlite:///:memory:": "names an in-memory database",
    "sqlite://": "names an in-memory database",
}


@pytest.mark.parametrize("url", list(MALFORMED_URLS))
def test_malformed_database_url_is_one_sentence(url: str, tmp_path: Path) -> None:
    """`mysql://`, `foo://`, a non-numeric port and `:memory:` were internal errors (and
    `:memory:` created a file of that name)."""
    result = cli(url, "inventory", cwd=tmp_path)
    stderr = assert_one_sentence(result)
    assert MALFORMED_URLS[url] in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert "hunter2" not in stderr and "ter2" not in stderr
    assert list(tmp_path.iterdir()) == []


def test_postgres_scheme_is_accepted_as_postgresql(
    book: InventoryBook, db_url: str, tmp_path: Path
) -> None:
    """`postgres://` is a common spelling (Heroku, many tools): it means PostgreSQL."""
    if not db_url.startswith("postgresql"):
        pytest.skip("needs PLANNER_TEST_DB_URL (PostgreSQL)")
    url = "postgres://" + db_url.split("://", 1)[1]
    assert cli(url, "import", book.write(), cwd=tmp_path).returncode == 0
    assert "Østerå Kommune" in cli(db_url, "inventory", cwd=tmp_path).stdout


def test_database_with_tables_but_no_schema_version_is_refused(
    book: InventoryBook, db_url: str, tmp_path: Path
) -> None:
    """Somebody else's database (or one whose alembic_version was dropped) was an internal
    error half-way through creating the schema; it is refused and left as it was."""
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE site (id INTEGER PRIMARY KEY, note TEXT)"))
        connection.execute(text("INSERT INTO site (id, note) VALUES (1, 'theirs')"))
    result = cli(db_url, "import", book.write(), cwd=tmp_path)
    stderr = assert_one_sentence(result)
    assert "has tables (site) but no planner schema version" in stderr
    with engine.connect() as connection:
        assert connection.execute(text("SELECT note FROM site")).all() == [("theirs",)]
        assert "alembic_version" not in {
            r[0]
            for r in connection.execute(
                text(
                    "SELECT name FROM sqlite_master"
                    if db_url.startswith("sqlite")
                    else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            )
        }
    engine.dispose()


def test_read_only_sqlite_database_is_refused_before_solving(
    book: InventoryBook, tmp_path: Path
) -> None:
    """A read-only SQLite file: the plan was computed, then storing it failed with SQL in
    the message. Now: one sentence before any work, and reading commands still work."""
    database = tmp_path / "planner.db"
    assert cli(str(database), "import", book.write(), cwd=tmp_path).returncode == 0
    database.chmod(0o444)
    planned = cli(
        str(database),
        "plan",
        "--time-limit",
        "5",
        "--workers",
        "1",
        cwd=tmp_path,
        preexec=without_root_powers,
    )
    stderr = assert_one_sentence(planned)
    assert "is read-only for this user" in stderr and "SQL" not in stderr
    assert "Plan 1" not in planned.stdout
    again = cli(
        str(database), "import", book.write("other.xlsx"), cwd=tmp_path, preexec=without_root_powers
    )
    assert again.returncode in (0, 1) and "internal error" not in again.stderr, again.stderr


def _plan(db_url: str, book: InventoryBook, tmp_path: Path) -> None:
    assert cli(db_url, "import", book.write(), cwd=tmp_path).returncode == 0
    planned = cli(db_url, "plan", "--time-limit", "5", "--workers", "1", cwd=tmp_path)
    assert planned.returncode == 0, planned.stderr


def test_export_to_a_read_only_folder_is_one_sentence(
    book: InventoryBook, db_url: str, tmp_path: Path
) -> None:
    """A read-only folder for exports was an internal error."""
    _plan(db_url, book, tmp_path)
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    for name in ("plan.xlsx", "plan.csv", "plan.json"):
        result = cli(db_url, "export", folder / name, cwd=tmp_path, preexec=without_root_powers)
        stderr = assert_one_sentence(result)
        assert stderr.startswith(f"error: cannot write {folder / name}: Permission denied"), stderr
    assert list(folder.iterdir()) == []


def _small_disk() -> None:
    """In the child: files may not grow past 64 KiB (the exceeding write fails with EFBIG
    instead of killing the process), as on a disk that fills up during the export."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_export_to_a_full_disk_is_one_sentence_and_leaves_no_file(
    db_url: str, tmp_path: Path
) -> None:
    """A full disk printed a Python traceback and an internal error. A generated
    municipality's plan is far larger (over 100 KiB as .xlsx and .csv) than the limit."""
    assert (
        cli(db_url, "demo-data", tmp_path / "in", "--municipalities", "1", cwd=tmp_path).returncode
        == 0
    )
    assert cli(db_url, "import", tmp_path / "in" / "nordby.xlsx", cwd=tmp_path).returncode == 0
    assert cli(db_url, "plan", "--time-limit", "5", "--workers", "1", cwd=tmp_path).returncode == 0
    folder = tmp_path / "out"
    folder.mkdir()
    for name in ("plan.xlsx", "plan.csv"):
        result = cli(db_url, "export", folder / name, cwd=tmp_path, preexec=_small_disk)
        stderr = assert_one_sentence(result)
        assert (
            stderr == f"error: cannot write {folder / name}: File too large; nothing was written\n"
        )
        assert list(folder.iterdir()) == []


FORMULA_NAMES = {"server": "Løn;=2*21;x", "application": "Sag,@SUM(1;2),y", "owner": "Ann\t+1+1"}


def _fields(path: Path) -> list[str]:
    """Every field of the file as Danish/Swedish Excel (`;`), English Excel (`,`) and a
    tab-separated reader would split it, with surrounding spaces trimmed (LibreOffice can)."""
    raw = path.read_bytes().decode("utf-8-sig")
    return [
        field.strip(" ")
        for delimiter in ",;\t"
        for row in csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter)
        for field in row
    ]


def test_formula_after_semicolon_in_csv_is_neutralised(
    book: InventoryBook, db_url: str, tmp_path: Path
) -> None:
    """A server named `Løn;=2*21;x` was written unquoted into plan.csv (and the runbook
    CSV); opened with `;` as separator LibreOffice evaluated `=2*21`."""
    book.sheets["Servers"][0]["name"] = FORMULA_NAMES["server"]
    book.sheets["Applications"][0]["servers"] = None  # a list separated by , or ;
    book.sheets["Applications"][1]["owner"] = FORMULA_NAMES["application"]
    book.sheets["Applications"][0]["owner"] = FORMULA_NAMES["owner"]
    _plan(db_url, book, tmp_path)
    plan_csv = tmp_path / "plan.csv"
    assert cli(db_url, "export", plan_csv, cwd=tmp_path).returncode == 0
    text = plan_csv.read_text(encoding="utf-8-sig")
    assert "Løn;'=2*21;x" in text and "Sag,'@SUM(1;2),y" in text and "Ann\t'+1+1" in text
    wave = next(r["wave"] for r in csv.DictReader(io.StringIO(text)) if r["name"] == "Løn;'=2*21;x")
    runbook = tmp_path / "runbook.csv"
    made = cli(db_url, "runbook", "--wave", wave, "--csv", runbook, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "Løn;'=2*21;x" in runbook.read_text(encoding="utf-8-sig")
    for path in (plan_csv, runbook):
        risky = [
            f
            for f in _fields(path)
            if f.startswith(("=", "+", "@", "\t", "\r"))
            or (f.startswith("-") and not f[1:].replace(".", "").isdigit())
        ]
        assert risky == [], (path.name, risky)


BAD_CONFIGS = {
    "[capacity]\nserver = -400": "capacity.server: hours are numbers from 0",
    "[downtime]\nmax_hours_per_municipality_per_wave = -1": (
        "downtime.max_hours_per_municipality_per_wave:"
    ),
    "[defaults.effort_hours]\nserver = -4": "defaults.effort_hours.server:",
    "[capacity]\nnetwork = nan": "capacity.network: hours are numbers from 0",
    "[capacity]\nworkplace = [100, inf]": "capacity.workplace: hours are numbers from 0",
    "[target]\nvcpu = inf": "target.vcpu: Input should be a finite number",
    "[calendar]\nstart = 9999-06-01": "calendar.start: the date 9999-06-01 is outside",
    "[calendar]\nno_wave_dates = ['9999-12-31']": (
        "calendar.no_wave_dates: the date 9999-12-31 is outside"
    ),
    "[solver]\nseed = 12345678901234567890": "solver.seed: Input should be less than or equal to",
    "[cutover]\nhours = 1e308": "cutover.hours: Input should be less than or equal to",
    "[weights]\nsoft_split = -1": "weights.soft_split: Input should be greater than or equal to 0",
    "[weights]\ncriticality = { low = -1 }": "weights.criticality.low:",
    (
        "[calendar]\nwaves = [{ start = 2027-01-09, end = 2027-01-22 }, "
        "{ start = 2027-01-20, end = 2027-02-01 }]"
    ): "calendar.waves: wave 2 (2027-01-20..2027-02-01) starts before wave 1",
    "[windows]\n'x' = { earliest = 5, latest = 2 }": "windows.x: latest (2) is before earliest (5)",
}


def test_plan_toml_values_that_crashed_name_their_key(
    book: InventoryBook, db_url: str, tmp_path: Path
) -> None:
    """Negative capacities and limits, nan/inf, year 9999, a 20-digit seed, hours = 1e308
    were internal errors; overlapping waves and negative weights were accepted silently."""
    assert cli(db_url, "import", book.write(), cwd=tmp_path).returncode == 0
    config = tmp_path / "plan.toml"
    for content, expected in BAD_CONFIGS.items():
        config.write_text(content + "\n", encoding="utf-8")
        result = cli(db_url, "plan", "--config", config, "--time-limit", "5", cwd=tmp_path)
        stderr = assert_one_sentence(result)
        assert (
            stderr.startswith(f"error: {config}: {expected}") and len(stderr.splitlines()) == 1
        ), (content, stderr)
    assert "Plan 1" not in cli(db_url, "plans", cwd=tmp_path).stdout


def test_plan_toml_files_that_are_not_text_are_refused_before_reading(
    db_url: str, tmp_path: Path
) -> None:
    """A UTF-16 or binary file, a folder, and `/dev/zero` (which exhausted the machine's
    memory) are one sentence each; so is a file over the 1 MiB limit."""
    utf16 = tmp_path / "utf16.toml"
    utf16.write_text("[solver]\nseed = 1\n", encoding="utf-16")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(bytes(range(256)) * 4)
    huge = tmp_path / "huge.toml"
    huge.write_text("# padding\n" * 120_000, encoding="utf-8")
    cases = {
        utf16: "the file is UTF-16; save it as UTF-8",
        binary: "not UTF-8 text",
        huge: "is over the 1 MiB limit",
        tmp_path: "not a regular file",
        Path("/dev/zero"): "not a regular file",
    }
    for path, expected in cases.items():
        result = cli(db_url, "plan", "--config", path, cwd=tmp_path)
        stderr = assert_one_sentence(result)
        assert expected in stderr and len(stderr.splitlines()) == 1, (path, stderr)


def test_slash_in_municipality_name_cannot_make_ids_collide(
    book: InventoryBook, db_url: str, tmp_path: Path
) -> None:
    """Municipality `A` with application `x/server/y` and municipality `A/application/x`
    with server `y` got one id; the plan silently had one item fewer and said "Verified".
    Item names may hold `/`; a municipality name may not, so ids split unambiguously."""
    book.sheets["Municipality"][0]["name"] = "A"
    book.sheets["Applications"][0]["name"] = "x/server/y"
    book.sheets["Dependencies"] = [
        d
        for d in book.sheets["Dependencies"]
        if "Økonomistyring" not in (d["from_name"], d["to_name"])
    ]
    first = cli(db_url, "import", book.write("a.xlsx"), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = cli(db_url, "inventory", "--json", cwd=tmp_path).stdout
    other = InventoryBook(tmp_path)
    other.sheets["Municipality"][0]["name"] = "A/application/x"
    other.sheets["Servers"][0]["name"] = "y"
    other.sheets["Applications"][0]["servers"] = "y"
    path = other.write("b.xlsx")
    refused = cli(db_url, "import", path, cwd=tmp_path)
    stderr = assert_one_sentence(refused)
    assert f"{path}:Municipality!A2: name 'A/application/x' contains '/'" in stderr, stderr
    named = cli(db_url, "import", path, "--municipality", "B/application/x", cwd=tmp_path)
    assert assert_one_sentence(named).startswith(
        "--municipality: the name 'B/application/x' contains '/'"
    )
    other.sheets["Municipality"][0]["name"] = "B"
    other.sheets["Dependencies"][3]["to_municipality"] = "A/application/x"
    pointing = other.write("c.xlsx")
    stderr = assert_one_sentence(cli(db_url, "import", pointing, cwd=tmp_path))
    assert (
        f"{pointing}:Dependencies!E5: to_municipality 'A/application/x' contains '/'" in stderr
    ), stderr
    assert cli(db_url, "inventory", "--json", cwd=tmp_path).stdout == before
    shown = cli(db_url, "graph", "show", "A/application/x/server/y", cwd=tmp_path)
    assert shown.returncode == 0 and "A/application/x/server/y" in shown.stdout, shown.stderr


def test_three_concurrent_first_imports_into_an_empty_database_are_all_stored(
    db_url: str, tmp_path: Path
) -> None:
    """On a new PostgreSQL database, in 2 of 3 trials one or two of three simultaneous
    imports died on `CREATE TABLE alembic_version`. Schema creation now takes an advisory
    lock; three rounds of three imports, every municipality stored each time."""
    from tests.conftest import _reset_postgres
    from tests.processes import finish, start

    names = ["Åby", "Øby", "Ærø"]
    files = []
    for name in names:
        book = InventoryBook(tmp_path)
        book.sheets["Municipality"][0]["name"] = name
        files.append(book.write(f"{name}.xlsx"))
    for trial in range(3):
        url = (
            db_url
            if db_url.startswith("postgresql")
            else f"sqlite:///{tmp_path / f'trial{trial}.db'}"
        )
        if url.startswith("postgresql"):
            _reset_postgres(url)
        processes = [start(url, "import", path, cwd=tmp_path) for path in files]
        results = [finish(process) for process in processes]
        assert [code for code, _, _ in results] == [0, 0, 0], [err for _, _, err in results]
        stored = cli(url, "inventory", "--json", cwd=tmp_path).stdout
        assert all(f'"{name}"' in stored for name in names), stored


def test_numbers_a_user_can_type_are_bounded(
    book: InventoryBook, db_url: str, tmp_path: Path
) -> None:
    """A 20-digit plan id was `internal error: OverflowError` (SQLite) or out of int4 range
    (PostgreSQL); `--time-limit inf` never ended; a runbook window in year 9999 overflowed
    the calendar. Usage errors are click's (exit 2, "Invalid value"); the window one sentence."""
    _plan(db_url, book, tmp_path)
    for args in (
        ["verify", "99999999999999999999"],
        ["export", "--plan", "99999999999999999999", "x.csv"],
        ["plan", "--time-limit", "inf"],
        ["plan", "--seed", "99999999999999999999"],
        ["runbook", "--wave", "99999999999999999999"],
    ):
        result = cli(db_url, *args, cwd=tmp_path)
        assert result.returncode == 2 and "Invalid value" in result.stderr, (args, result.stderr)
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    window = cli(
        db_url,
        "runbook",
        "--wave",
        "1",
        "--window",
        "9999-12-31T00:00..9999-12-31T23:59",
        cwd=tmp_path,
    )
    assert assert_one_sentence(window) == (
        "error: --window: '9999-12-31T00:00..9999-12-31T23:59' is outside the years 2000-2200\n"
    )


def test_read_only_postgresql_is_one_sentence(
    book: InventoryBook, db_url: str, tmp_path: Path
) -> None:
    """A read-only PostgreSQL session (a standby, `default_transaction_read_only`, a role
    without write rights) raised SQLSTATE 25006 as `InternalError`: an internal error."""
    if not db_url.startswith("postgresql"):
        pytest.skip("needs PLANNER_TEST_DB_URL (PostgreSQL)")
    read_only = f"{db_url}?options=-c%20default_transaction_read_only%3Don"
    first = assert_one_sentence(cli(read_only, "import", book.write(), cwd=tmp_path))
    assert first == (
        "error: the database failed: "
        "cannot execute CREATE TABLE in a read-only transaction; nothing was written\n"
    )
    assert cli(db_url, "db", "upgrade", cwd=tmp_path).returncode == 0
    stderr = assert_one_sentence(cli(read_only, "import", book.write(), cwd=tmp_path))
    assert "is read-only for this user; nothing was written" in stderr
    assert "The inventory is empty" in cli(db_url, "inventory", cwd=tmp_path).stdout


def test_whole_number_too_large_for_the_database_names_its_cell(
    book: InventoryBook, db_url: str, tmp_path: Path
) -> None:
    """Found by benchmarks/fuzz_inputs.py: a whole number past 2**31 - 1 passed validation and
    ended in `OverflowError: Python int too large to convert to SQLite INTEGER`."""
    book.sheets["Workplaces"][0]["users"] = 10**12
    stderr = assert_one_sentence(cli(db_url, "import", book.write(), cwd=tmp_path))
    assert (
        "Workplaces!" in stderr
        and "users must be between -2,147,483,647 and 2,147,483,647" in stderr
    )
    assert "The inventory is empty" in cli(db_url, "inventory", cwd=tmp_path).stdout
