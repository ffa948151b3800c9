"""Two sources per municipality: import time against one source, and `planner items --json`.

Issue 17's targets: 98 generated municipalities imported as two sources each (the workbook,
and an RVTools-format export of the same servers that this script writes: one vInfo CSV per
municipality, the servers under their FQDN, with other RAM figures so that every server
has a conflict) take at most 2.5x the single-source import of the same workbooks; and
`planner items --json` for all of them takes under 10 s.

Measured, each into a fresh SQLite file, all through the library (`import_files`: read,
validate, store, one transaction per call):

* baseline: the workbooks alone, with this checkout's code, and, with `--baseline-root`,
  with another checkout's (e.g. /work/main, the release before sources) in a subprocess;
* two sources: the workbooks, then the 98 RVTools exports (one call);
* `planner items --json` as a user runs it (a fresh process, output to a file).

Run:  python benchmarks/sources_speed.py [--municipalities 98] [--baseline-root /work/main]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from any folder: the checkout first

from inventories.demo_data import write_demo_data  # noqa: E402 (after the sys.path line above)
from inventories.detect import read_any  # noqa: E402 (after the sys.path line above)
from planner.db import open_database  # noqa: E402 (after the sys.path line above)
from planner.importing import import_files  # noqa: E402 (after the sys.path line above)
from planner.inventory import counts  # noqa: E402 (after the sys.path line above)

BASELINE = """
import sys, time
sys.path.insert(0, sys.argv[1])
from planner.db import open_database
from planner.importing import import_files
engine = open_database(sys.argv[2])
files = sys.argv[3:]
start = time.perf_counter()
import_files(engine, files)
print(time.perf_counter() - start)
"""


def write_rvtools(workbook: Path, folder: Path) -> tuple[str, Path, int]:
    """An RVTools CSV export (vInfo) of the workbook's servers: FQDN names, RAM x2."""
    inventory = read_any(workbook, municipality=None)
    domain = inventory.municipality.casefold().replace(" ", "") + ".local"
    folder.mkdir(parents=True)
    lines = ["VM,Powerstate,CPUs,Memory,Provisioned MiB,Primary IP Address"]
    servers = [item for item in inventory.items if item.kind.value == "server"]
    for item in servers:
        f = item.fields
        lines.append(
            ",".join(
                str(v)
                for v in (
                    f"{item.name.lower()}.{domain}",
                    "poweredOn",
                    f.get("vcpu") or 2,
                    int((f.get("ram_gb") or 8) * 2 * 1024),
                    int((f.get("storage_gb") or 100) * 1024),
                    (f.get("ip") or "").split(",")[0],
                )
            )
        )
    (folder / "RVTools_tabvInfo.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return inventory.municipality, folder, len(servers)


def timed(call) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--municipalities", type=int, default=98)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--baseline-root",
        type=Path,
        default=None,
        help="another checkout whose single-source import is the baseline",
    )
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    with tempfile.TemporaryDirectory(prefix="sources-speed-") as tmp:
        folder = Path(tmp)
        files = sorted(write_demo_data(folder / "out", args.municipalities, args.seed))
        exports = [write_rvtools(path, folder / "rv" / path.stem) for path in files]
        print(
            f"generated {len(files)} workbooks and {len(exports)} RVTools exports "
            f"({sum(n for _, _, n in exports):,} VMs)"
        )

        if args.baseline_root is not None:
            done = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    BASELINE,
                    str(args.baseline_root),
                    str(folder / "baseline.db"),
                    *map(str, files),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            print(f"baseline ({args.baseline_root}): one source  {float(done.stdout):7.1f} s")

        engine = open_database(str(folder / "one.db"))
        one = timed(lambda: import_files(engine, files))
        items = sum(
            sum(v for k, v in row.items() if k not in ("pcs", "dependencies"))
            for row in counts(engine).values()
        )
        engine.dispose()
        print(f"this checkout: one source (workbooks)        {one:7.1f} s, {items:,} items")

        engine = open_database(str(folder / "two.db"))
        first = timed(lambda: import_files(engine, files))

        def second_source() -> None:
            from planner.importing import read_file
            from planner.inventory import import_inventories

            inventories = [read_file(path, municipality) for municipality, path, _ in exports]
            import_inventories(engine, inventories)

        second = timed(second_source)
        both = counts(engine)
        engine.dispose()
        servers = sum(row["servers"] for row in both.values())
        print(f"this checkout: two sources: workbooks        {first:7.1f} s")
        print(f"                            + RVTools        {second:7.1f} s")
        print(
            f"                            = total          {first + second:7.1f} s, "
            f"{servers:,} servers (no duplicates: FQDN = short name)"
        )
        print(f"ratio two sources / one source (this checkout): {(first + second) / one:.2f}")

        env = {**os.environ, "PLANNER_DB": str(folder / "two.db"), "PYTHONPATH": str(ROOT)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(folder / "items.json", "w", encoding="utf-8") as handle:
            elapsed = timed(
                lambda: subprocess.run(
                    [sys.executable, "-m", "planner.cli", "items", "--json"],
                    env=env,
                    stdout=handle,
                    check=True,
                )
            )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        size = (folder / "items.json").stat().st_size
        print(
            f"`planner items --json`, all municipalities:   {elapsed:7.1f} s wall, {cpu:.1f} s CPU "
            f"({size / 1e6:.1f} MB, a fresh process)"
        )
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
