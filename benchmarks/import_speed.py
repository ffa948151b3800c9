"""Import speed: 5 generated municipalities into a fresh SQLite file.

Issue 2's target: importing 5 generated municipalities (≈ 3,000 items, ≈ 10,000
dependencies including the implicit ones from reference columns) takes under 10 s on
the project's 2-core machine. This script measures it twice:

* through the library, timing the phases separately: read (open the .xlsx safely and
  iterate every cell into memory), validate (the template reader run over those cached
  rows), store (`import_inventories`: one transaction into a fresh, migrated SQLite file),
  and the whole `import_files` call;
* through the CLI as a user runs it (`planner import out/*.xlsx` in a subprocess, fresh
  database, so it includes interpreter start-up and creating the schema).

Run:  python benchmarks/import_speed.py [--municipalities 5] [--seed 1] [--repeat 3]
Prints sizes, the best of `--repeat` wall times per phase (and the process CPU time of
that run, which other load on the machine disturbs less), and the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inventories.demo_data import write_demo_data  # noqa: E402
from inventories.records import Inventory  # noqa: E402
from inventories import template_reader  # noqa: E402
from inventories.values import split_list  # noqa: E402
from inventories.workbook import Workbook, open_workbook  # noqa: E402
from planner.db import open_database  # noqa: E402
from planner.importing import import_files  # noqa: E402
from planner.inventory import counts, import_inventories  # noqa: E402


def implicit_references(inventory: Inventory) -> int:
    """Dependencies the graph derives from columns (as `planner.graph._implicit` does):
    network/directory/site of every item, an application's servers and consolidation target."""
    total = 0
    for item in inventory.items:
        for column in ("network", "directory", "site"):
            if item.fields.get(column) and not (item.kind == "network" and column == "network"):
                total += 1
        if item.kind == "application":
            total += len(split_list(item.fields.get("servers") or ""))
            if item.fields.get("target") and item.fields.get("strategy") in (
                "consolidate",
                "replace",
            ):
                total += 1
    return total


class CachedBook(Workbook):
    """A workbook whose rows were read before: validating it measures validation alone."""

    cached: dict[str, list[tuple[int, tuple[object, ...]]]]

    def rows(self, title: str):  # type: ignore[no-untyped-def, override]
        return iter(self.cached[title])

    def formulas(self, title: str) -> list[str]:
        return []


def read(path: Path) -> CachedBook:
    """Open safely and iterate every cell of every sheet into memory: the I/O part."""
    book = open_workbook(path)
    try:
        cached = {title: list(book.rows(title)) for title in book.book.sheetnames}
    finally:
        book.close()
    result = CachedBook(
        book.path,
        book.label,
        type("Names", (), {"sheetnames": list(cached)})(),
        book.formula_sheets,
        book.hidden_sheets,
        book.limits,
    )
    result.cached = cached
    return result


class Timer:
    """Wall and process-CPU seconds of a block."""

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def best(runs: list[Timer], cpu: bool = True) -> str:
    top = min(runs, key=lambda t: t.wall)
    text = f"{top.wall:6.2f} s wall" + (f", {top.cpu:5.2f} s CPU" if cpu else "")
    return text + (
        f"   (wall of each run: {', '.join(f'{t.wall:.2f}' for t in runs)})"
        if len(runs) > 1
        else ""
    )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(
        f"machine: {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu_model()}, "
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}"
    )
    with tempfile.TemporaryDirectory(prefix="import-speed-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        files = sorted(write_demo_data(folder / "out", args.municipalities, args.seed))
        generate = time.perf_counter() - started
        size = sum(path.stat().st_size for path in files)
        print(f"generated {len(files)} workbooks, {size / 1e6:.2f} MB in all, in {generate:.2f} s")

        reads: list[Timer] = []
        validates: list[Timer] = []
        stores: list[Timer] = []
        library: list[Timer] = []
        cli: list[Timer] = []
        inventories: list[Inventory] = []
        for run in range(args.repeat):
            with Timer() as timer:
                books = [read(path) for path in files]
            reads.append(timer)
            cells = sum(
                len(values) for book in books for rows in book.cached.values() for _, values in rows
            )

            with Timer() as timer:
                inventories = [template_reader._read(book, None) for book in books]
            validates.append(timer)

            engine = open_database(str(folder / f"phases-{run}.db"))
            with Timer() as timer:
                import_inventories(engine, inventories)
            stores.append(timer)
            engine.dispose()

            engine = open_database(str(folder / f"library-{run}.db"))
            with Timer() as timer:
                import_files(engine, files)
            library.append(timer)
            result = counts(engine)
            engine.dispose()

            env = {
                **os.environ,
                "PLANNER_DB": str(folder / f"cli-{run}.db"),
                "PYTHONPATH": str(ROOT),
            }
            with Timer() as timer:
                done = subprocess.run(
                    [sys.executable, "-m", "planner.cli", "import", *map(str, files)],
                    env=env,
                    capture_output=True,
                    text=True,
                )
            cli.append(timer)
            if done.returncode != 0:
                sys.exit(f"planner import failed:\n{done.stderr}")

        items = sum(len(inventory.items) for inventory in inventories)
        explicit = sum(len(inventory.dependencies) for inventory in inventories)
        implicit = sum(implicit_references(inventory) for inventory in inventories)
        pcs = sum(row["pcs"] for row in result.values())
        print(
            f"size: {len(inventories)} municipalities, "
            f"{items:,} items, {pcs:,} PCs, {cells:,} cells read; "
            f"dependencies {explicit:,} explicit + {implicit:,} implicit = {explicit + implicit:,}"
        )
        for name, row in result.items():
            print(f"  {name}: " + ", ".join(f"{key} {value:,}" for key, value in row.items()))
        print(f"best of {args.repeat}:")
        print(f"  read (safe open + every cell)    {best(reads)}")
        print(f"  validate (template reader)       {best(validates)}")
        print(f"  store (one transaction, SQLite)  {best(stores)}")
        print(f"  library import_files, total      {best(library)}")
        print(
            "  CLI `planner import`, "
            f"total      {best(cli, cpu=False)}  (a fresh process and database: "
            "start-up and schema creation included)"
        )
        verdict = "meets" if min(t.wall for t in cli) < 10 else "MISSES"
        print(f"target < 10 s for the whole import: {verdict} it")


if __name__ == "__main__":
    main()
