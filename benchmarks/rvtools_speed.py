"""Time the RVTools import: detection, reading and storing, on the real sample and a synthetic one.

The real sample (`SizingWorkshop-RVTools.xlsx`, read in place from ../shared/samples) has
805 VMs on a vInfo sheet formatted down to row 3,504; the synthetic workbook, written to a
temporary folder, has N real VM rows (default 3,503) plus vHost, vNetwork and vPort tabs,
so both the "3,503 rows" and the "3,503 VMs" readings of the target are measured. The
target: under 5 s for detection + reading + storing in a fresh SQLite database.

Example:
    python benchmarks/rvtools_speed.py
    python benchmarks/rvtools_speed.py --vms 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from inventories.detect import detect_format, read_any
from planner.db import open_database
from planner.inventory import import_inventories

SAMPLE = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "samples"
    / "rvtools"
    / "SizingWorkshop-RVTools.xlsx"
)

VINFO = [
    "VM",
    "Powerstate",
    "Template",
    "CPUs",
    "Memory",
    "Provisioned MiB",
    "In Use MiB",
    "Primary IP Address",
    "DNS Name",
    "Network #1",
    "Annotation",
    "Datacenter",
    "Cluster",
    "Host",
    "OS according to the configuration file",
    "OS according to the VMware Tools",
]


def write_synthetic(path: Path, vms: int) -> Path:
    """An RVTools 4.x-style workbook with `vms` VMs on 40 hosts, 20 port groups, 2% templates.

    Written in openpyxl's normal mode so that each sheet carries its `<dimension>`, as
    RVTools' own files do; without it, read-only openpyxl scans every sheet at open time.
    """
    book = openpyxl.Workbook()
    book.remove(book.active)
    info = book.create_sheet("vInfo")
    info.append(VINFO)
    for n in range(vms):
        host, net = f"esx{n % 40:02d}.nordby.local", f"pg-{n % 20:02d}"
        os_name = (
            "Microsoft Windows Server 2019 (64-bit)"
            if n % 3
            else "Red Hat Enterprise Linux 8 (64-bit)"
        )
        info.append(
            [
                f"vm{n:05d}",
                "poweredOff" if n % 29 == 0 else "poweredOn",
                "True" if n % 50 == 7 else "False",
                2 + n % 7,
                4096 * (1 + n % 8),
                40960 + 1024 * (n % 300),
                20480,
                f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
                f"vm{n:05d}.nordby.local",
                net,
                "",
                "DC-Nordby",
                f"CL-{n % 4}",
                host,
                os_name,
                os_name,
            ]
        )
    hosts = book.create_sheet("vHost")
    hosts.append(["Host", "Datacenter", "Cluster", "# Cores", "# Memory", "ESX Version"])
    for h in range(40):
        hosts.append(
            [
                f"esx{h:02d}.nordby.local",
                "DC-Nordby",
                f"CL-{h % 4}",
                32,
                524288,
                "VMware ESXi 7.0.3",
            ]
        )
    network = book.create_sheet("vNetwork")
    network.append(["VM", "NIC label", "Network", "IPv4 Address"])
    for n in range(vms):
        network.append([f"vm{n:05d}", "Network adapter 1", f"pg-{n % 20:02d}", ""])
    port = book.create_sheet("vPort")
    port.append(["Host", "Port Group", "Switch", "VLAN"])
    for g in range(20):
        port.append(["esx00.nordby.local", f"pg-{g:02d}", "vSwitch0", 100 + g])
    book.save(path)
    return path


def measure(path: Path, folder: Path, label: str) -> float:
    """Detect, read and store once into a fresh database; print one line; return seconds."""
    db = folder / f"bench-{time.perf_counter_ns()}.db"
    engine = open_database(f"sqlite:///{db}")
    start = time.perf_counter()
    fmt = detect_format(path)
    detected = time.perf_counter()
    inventory = read_any(path, municipality="Nordby", format=fmt)
    read = time.perf_counter()
    [report] = import_inventories(engine, [inventory])
    stored = time.perf_counter()
    engine.dispose()
    servers = sum(1 for item in inventory.items if item.kind.value == "server")
    networks = sum(1 for item in inventory.items if item.kind.value == "network")
    print(
        f"{label:<34} {path.stat().st_size / 1024:>8,.0f} "
        f"KB  {servers:>6} servers {networks:>3} networks  "
        f"{len(inventory.warnings):>3} warnings  detect {detected - start:5.2f} s  read "
        f"{read - detected:5.2f} s  "
        f"store {stored - read:5.2f} s  total {stored - start:5.2f} s  "
        f"({sum(report.created.values())} created)"
    )
    return stored - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--vms", type=int, default=3503, help="VMs in the synthetic workbook (default 3503)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per file; the best is reported")
    parser.add_argument("--limit", type=float, default=5.0, help="seconds allowed (default 5)")
    args = parser.parse_args(argv)
    print(
        f"python {platform.python_version()} on {platform.machine()} {platform.processor() or ''}, "
        f"openpyxl {openpyxl.__version__}"
    )
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = []
        if SAMPLE.is_file():
            files.append((SAMPLE, "SizingWorkshop sample (805 VMs)"))
        else:
            print(f"sample not found at {SAMPLE}; synthetic only")
        synthetic = write_synthetic(folder / f"synthetic-{args.vms}.xlsx", args.vms)
        files.append((synthetic, f"synthetic ({args.vms} VMs)"))
        for path, label in files:
            best = min(measure(path, folder, label) for _ in range(max(1, args.repeat)))
            worst = max(worst, best)
    verdict = "OK" if worst < args.limit else "TOO SLOW"
    print(f"slowest file {worst:.2f} s; limit {args.limit:.1f} s: {verdict}")
    return 0 if worst < args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
