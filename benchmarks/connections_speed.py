"""Time and measure the connection import: 1,000,000 rows in at most 60 s and 1 GB.

Writes a municipality (default 300 servers, 1,500 business pairs; the generator of
`tests/connection_capture.py`: short names, FQDNs and IP-only ends, a monitoring hub,
DNS/NTP, internet endpoints, loopback) and a capture of N rows in the generic CSV layout
and in Azure Migrate's layout, then runs `planner import CAPTURE --municipality Nordby` in
a child process per file on a fresh SQLite database, and prints the file size, wall time,
the child's peak resident memory (ru_maxrss), and what the import made of the capture.

Example:
    python benchmarks/connections_speed.py
    python benchmarks/connections_speed.py --rows 200000 --layout generic
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from any folder: the checkout first

from inventories.template import write_workbook  # noqa: E402 (after the sys.path line above)
from tests import connection_capture as gen  # noqa: E402 (after the sys.path line above)
from tests.conftest import row  # noqa: E402 (after the sys.path line above)


def inventory(path: Path, world: gen.Estate) -> Path:
    """The municipality's workbook: every server with its IP, one network for them all."""
    return write_workbook(
        path,
        {
            "Municipality": [row("Municipality", name="Nordby")],
            "Networks": [row("Networks", name="Adm", kind="administrative", cidr="10.20.0.0/16")],
            "Servers": [row("Servers", name=name, ip=ip) for name, ip in world.servers.items()],
        },
    )


def run(folder: Path, *args: str | Path) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in MB, stderr) of one `planner` command in a child process."""
    env = {**os.environ, "PLANNER_DB": f"sqlite:///{folder / 'bench.db'}", "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "planner.cli", *map(str, args)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise SystemExit(f"planner {' '.join(map(str, args))} failed:\n{done.stderr}")
    # ru_maxrss of children is the largest child so far: report it only when it grew
    return seconds, max(peak, before) // 1024, done.stderr + done.stdout


def stored_pairs(db: Path) -> set[tuple[str, str]]:
    """The observed dependencies the import stored, as (client, server) names."""
    with sqlite3.connect(db) as connection:
        return set(connection.execute("SELECT from_name, to_name FROM dependency WHERE observed"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="capture rows (1,000,000)")
    parser.add_argument("--servers", type=int, default=300, help="business servers (300)")
    parser.add_argument("--pairs", type=int, default=1500, help="business pairs (1,500)")
    parser.add_argument("--layout", choices=("generic", "azure", "both"), default="both")
    args = parser.parse_args(argv)
    print(
        f"python {platform.python_version()} on {platform.machine()}, load {os.getloadavg()[0]:.1f}"
    )
    world = gen.estate(args.servers, args.pairs)
    layouts = ("generic", "azure") if args.layout == "both" else (args.layout,)
    ok = True
    for layout in layouts:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            run(folder, "import", inventory(folder / "nordby.xlsx", world))
            write = gen.write_generic if layout == "generic" else gen.write_azure
            start = time.perf_counter()
            capture = write(folder / f"capture-{layout}.csv", world, args.rows)
            written = time.perf_counter() - start
            seconds, peak, output = run(folder, "import", capture, "--municipality", "Nordby")
            summary = [line for line in output.splitlines() if "flow(s)" in line]
            found = stored_pairs(folder / "bench.db")
            print(
                f"{layout:<8} {args.rows:>9,} rows {capture.stat().st_size / 2**20:7.1f} MB "
                f"(written in {written:.1f} s)  import {seconds:6.1f} s  peak {peak:,} MB  "
                f"load {os.getloadavg()[0]:.1f}"
            )
            print("         " + (summary[0].split(": ", 1)[1] if summary else output.strip()))
            recall = len(found & world.pairs) / len(world.pairs)
            hub = sum(1 for pair in found if world.hub in pair)
            print(
                f"         business pairs found {recall:.1%}, other pairs "
                f"{len(found - world.pairs)}, hub pairs {hub}"
            )
            ok = ok and seconds <= 60 and peak <= 1024 and recall >= 0.99 and hub == 0
    print(
        "within 60 s and 1 GB, >= 99 % of business pairs, none of the hub's: "
        + ("yes" if ok else "NO")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
