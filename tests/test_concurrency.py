"""Several architects at once: real `planner` processes racing on one database.

Each test runs on SQLite (WAL; writers queue on BEGIN IMMEDIATE, readers use a deferred
snapshot) and, with PLANNER_TEST_DB_URL, on PostgreSQL (per-municipality advisory locks for
writers, REPEATABLE READ for readers). Importers stop halfway through their transaction
(PLANNER_TEST_PAUSE_IN_IMPORT), so the race always hits the dangerous moment.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from planner.db import make_engine
from planner.importing import import_files
from planner.inventory import counts, remove_municipality
from tests.conftest import VALID_COUNTS, InventoryBook
from tests.processes import dump, finish, python, start, wait_for_pause

MUNICIPALITY = "Østerå Kommune"
NEW_NETWORK, NEW_SERVER = "BIB-Net", "SRV-NY-03"
#: Ids and timestamps differ between two imports of the same file; everything else must not.
VOLATILE = ("id", "municipality_id", "imported_at", "created", "seen_at", "source_id", "file")


def second_version(book: InventoryBook) -> None:
    """Change the valid book in sheets the importer writes before and after its halfway pause
    (sites, networks, directories | servers, applications, workplaces, dependencies): a new
    site and network before it, a new server after it, changed values, a new note. A mix of
    the two versions is therefore visible in the counts, the rows and a plan."""
    book.sheets["Sites"][0]["users"] = 700
    book.sheets["Sites"].append(dict(name="Nørre Bibliotek", type="institution", users=20))
    book.sheets["Networks"].append(
        dict(name=NEW_NETWORK, kind="administrative", cidr="10.3.0.0/16")
    )
    book.sheets["Servers"][0]["ram_gb"] = 32
    book.sheets["Servers"].append(
        dict(name=NEW_SERVER, os="Ubuntu", os_version="24.04", network="ADM-Net")
    )
    book.sheets["Applications"][0]["vendor"] = "Netcompany"
    book.sheets["Workplaces"][0]["pcs"] = 44
    book.sheets["Dependencies"][2]["note"] = "hourly API calls"


AFTER_COUNTS = {**VALID_COUNTS, "sites": 3, "networks": 3, "servers": 3, "pcs": 164}


def paused(tmp_path: Path, name: str, seconds: float = 120) -> dict[str, str]:
    """Environment for a process that pauses halfway through its import until released."""
    return {
        "PLANNER_TEST_PAUSE_IN_IMPORT": str(seconds),
        "PLANNER_TEST_PAUSE_MARKER": str(tmp_path / f"{name}.paused"),
        "PLANNER_TEST_PAUSE_RELEASE": str(tmp_path / f"{name}.go"),
    }


def release(tmp_path: Path, name: str) -> None:
    (tmp_path / f"{name}.go").touch()


def test_imports_of_different_municipalities_both_land(
    db_url: str,
    engine,
    book: InventoryBook,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    first = book.write("østerå.xlsx")
    book.sheets["Municipality"][0]["name"] = "Sydby"
    second = book.write("sydby.xlsx")
    a = start(db_url, "import", first, cwd=tmp_path, **paused(tmp_path, "a"))
    b = start(db_url, "import", second, cwd=tmp_path, **paused(tmp_path, "b"))
    if engine.dialect.name == "postgresql":
        # Different municipalities do not wait for each other: both are halfway at once.
        wait_for_pause(a, tmp_path / "a.paused")
        wait_for_pause(b, tmp_path / "b.paused")
        assert a.poll() is None and b.poll() is None
    release(tmp_path, "a")
    release(tmp_path, "b")
    for process in (a, b):
        code, out, err = finish(process)
        assert code == 0, err
        assert "0 removed" in out
    assert counts(engine) == {MUNICIPALITY: VALID_COUNTS, "Sydby": VALID_COUNTS}


def test_imports_of_the_same_municipality_end_with_one_whole_version(
    db_url: str,
    engine,  # type: ignore[no-untyped-def]
    book: InventoryBook,
    tmp_path: Path,
) -> None:
    first = book.write("first.xlsx")
    second_version(book)
    second = book.write("second.xlsx")
    # The two possible outcomes, each made by importing one file alone.
    versions = []
    for path in (first, second):  # one source (issue 17: other sources would both stay)
        import_files(engine, [path], source="inventory")
        versions.append(dump(db_url, skip=VOLATILE))
        assert remove_municipality(engine, MUNICIPALITY)
    assert versions[0] != versions[1]
    assert counts(engine) == {}

    # Race 1: the municipality does not exist yet, so both try to create it.
    # Race 2: it exists (as the first version), and the two update it.
    for order in ((first, second), (second, first)):
        processes = [
            start(
                db_url,
                "import",
                path,
                "--source",
                "inventory",
                cwd=tmp_path,
                **paused(tmp_path, f"p{n}", 1.5),
            )
            for n, path in enumerate(order)
        ]
        for process in processes:
            code, _, err = finish(process)
            assert code == 0, err  # both succeed: the later one replaces the earlier one whole
        for n in range(2):
            (tmp_path / f"p{n}.paused").unlink()
        stored = dump(db_url, skip=VOLATILE)
        assert stored in versions, "the stored municipality mixes the two files"
        assert counts(engine)[MUNICIPALITY] in (VALID_COUNTS, AFTER_COUNTS)


SNAPSHOT_COUNTS = """
import json
from planner.db import open_database
from planner.snapshot import load
snapshot = load(open_database())
kinds = {}
for item in snapshot.items.values():
    kinds[item.kind] = kinds.get(item.kind, 0) + 1
pcs = sum(item.get("pcs", 0) for item in snapshot.of_kind("workplace"))
counts = {"kinds": kinds, "pcs": pcs, "dependencies": len(snapshot.dependencies)}
print(json.dumps(counts, sort_keys=True))
"""


def test_readers_and_a_plan_see_one_side_of_an_import_in_progress(
    db_url: str,
    engine,  # type: ignore[no-untyped-def]
    book: InventoryBook,
    tmp_path: Path,
) -> None:
    import_files(
        engine, [book.write("before.xlsx")], source="inventory"
    )  # one source, two versions
    before_items = set(_item_ids(engine))
    second_version(book)
    after = book.write("after.xlsx")
    importer = start(
        db_url, "import", after, "--source", "inventory", cwd=tmp_path, **paused(tmp_path, "import")
    )
    wait_for_pause(importer, tmp_path / "import.paused")

    # The importer now holds a transaction with its source's claims written, the items not yet.
    plan = start(db_url, "plan", "--time-limit", "5", "--workers", "1", cwd=tmp_path)
    inventory = python(
        db_url,
        "from planner.cli import main; import sys; "
        "sys.argv = ['planner', 'inventory', '--json']; main()",
        cwd=tmp_path,
    )
    assert inventory.returncode == 0, inventory.stderr
    listed = json.loads(inventory.stdout)["municipalities"][MUNICIPALITY]
    assert {key: listed[key] for key in VALID_COUNTS} == VALID_COUNTS
    snapshot = python(db_url, SNAPSHOT_COUNTS, cwd=tmp_path)
    assert snapshot.returncode == 0, snapshot.stderr
    assert json.loads(snapshot.stdout) == {
        "kinds": {
            "site": 2,
            "network": 2,
            "directory": 1,
            "server": 2,
            "application": 2,
            "workplace": 2,
        },
        "pcs": 160,
        "dependencies": 4,
    }
    # Readers did not wait for the writer: it is still halfway.
    assert importer.poll() is None
    _wait_a_little(plan)
    release(tmp_path, "import")
    code, _, err = finish(importer)
    assert code == 0, err
    plan_code, _, plan_err = finish(plan)
    assert counts(engine)[MUNICIPALITY] == AFTER_COUNTS

    # The plan was made from exactly one side of the import, never from the halfway state
    # (which has the new network, written before the pause, but not the new server).
    planned = set(_plan_item_ids(engine))
    new_network = f"{MUNICIPALITY}/network/{NEW_NETWORK}"
    new_server = f"{MUNICIPALITY}/server/{NEW_SERVER}"
    assert new_network in set(_item_ids(engine)) and new_server in set(_item_ids(engine))
    assert (new_network in planned) == (new_server in planned)
    assert planned <= before_items or {new_network, new_server} <= planned
    # The plan is verified against the inventory it was made from, so it succeeds even when
    # the import committed first; `planner verify` later tells the truth about the newer one.
    assert plan_code == 0, plan_err


def _wait_a_little(process, seconds: float = 20) -> None:  # type: ignore[no-untyped-def]
    """Give the planner time to read and solve while the import is halfway (it may block only
    when it stores, on SQLite, where writers queue)."""
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)


def _item_ids(engine) -> list[str]:  # type: ignore[no-untyped-def]
    from planner.snapshot import load

    return list(load(engine).items)


def _plan_item_ids(engine) -> list[str]:  # type: ignore[no-untyped-def]
    from planner.planning import latest_plan, plan_items

    return [row.item_id for row in plan_items(engine, latest_plan(engine).id)]


def test_sqlite_writers_queue_instead_of_failing(tmp_path: Path, book: InventoryBook) -> None:
    """Two writers on one SQLite file: the second waits for the first's lock, then succeeds."""
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    make_engine(url).dispose()
    paths = [book.write(f"q{n}.xlsx") for n in range(3)]
    processes = [
        start(url, "import", path, cwd=tmp_path, **paused(tmp_path, f"q{n}", 1))
        for n, path in enumerate(paths)
    ]
    for process in processes:
        code, _, err = finish(process)
        assert code == 0, err


def test_a_writer_gives_up_after_the_lock_wait_with_a_message(
    db_url: str,
    engine,  # type: ignore[no-untyped-def]
    book: InventoryBook,
    tmp_path: Path,
) -> None:
    """A second import of the same municipality waits PLANNER_LOCK_WAIT seconds for the first,
    then stops with one sentence and writes nothing; the first one still lands whole."""
    first = book.write("first.xlsx")
    second_version(book)
    second = book.write("second.xlsx")
    a = start(db_url, "import", first, cwd=tmp_path, **paused(tmp_path, "a"))
    wait_for_pause(a, tmp_path / "a.paused")
    began = time.monotonic()
    code, out, err = finish(start(db_url, "import", second, cwd=tmp_path, PLANNER_LOCK_WAIT="1"))
    assert code == 1, (out, err)
    assert err.strip() == (
        "error: the database is busy: another planner command has been writing to it for "
        "over 1 s; nothing was written, "
        "try again when it is done (PLANNER_LOCK_WAIT sets how long to wait)"
    )
    assert time.monotonic() - began < 60
    release(tmp_path, "a")
    code, _, err = finish(a)
    assert code == 0, err
    assert counts(engine) == {MUNICIPALITY: VALID_COUNTS}
