"""Benchmark `planner export`: every format for the plan of N generated municipalities.

Generates N fictional municipalities (`inventories.demo_data`), imports them, plans with
a short time limit (not timed: the plan's quality does not matter here, only its size),
then times `load_export` (the one database read) and `exports.write` per format, and
prints sizes and times. The target (issue 5) is under 10 s for all formats of 5
municipalities together.

Example:
    python benchmarks/export_speed.py --municipalities 5 --time-limit 10
    python benchmarks/export_speed.py --db /tmp/bench.db --reuse   # re-time an existing plan
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import exports
from inventories.demo_data import write_demo_data
from planner.config import parse_config
from planner.db import open_database
from planner.export_data import load_export
from planner.importing import import_files
from planner.planning import make_plan

FORMATS = (".xlsx", ".json", ".csv", ".ics", ".png", ".svg")
TARGET_SECONDS = 10.0
TOML = """
[calendar]
start = 2027-01-09
wave_length_days = 14
max_waves = 40
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--municipalities", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=10.0, help="solver seconds (not timed)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--db", type=Path, default=None, help="database file (default: a temporary one)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="export the newest plan already in --db"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="folder for the files (default: temporary)"
    )
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="export-bench-"))
    db = args.db or work / "planner.db"
    out = args.out or work
    out.mkdir(parents=True, exist_ok=True)
    engine = open_database(f"sqlite:///{db.resolve()}")
    if not args.reuse:
        started = time.perf_counter()
        paths = write_demo_data(work / "inventories", args.municipalities, args.seed)
        import_files(engine, paths)
        outcome = make_plan(
            engine,
            parse_config(TOML),
            TOML,
            time_limit=args.time_limit,
            workers=args.workers,
            seed=0,
        )
        print(
            f"setup (generate, import, plan; not timed): {time.perf_counter() - started:.1f} s, "
            f"plan {outcome.plan.id} {outcome.plan.status}"
        )

    print(
        f"machine: {platform.platform()}, Python {platform.python_version()}, "
        f"{platform.processor() or '?'}"
    )
    started = time.perf_counter()
    plan = load_export(engine)
    load_seconds = time.perf_counter() - started
    print(
        f"plan {plan.id}: {len(plan.municipalities)} municipalities, {len(plan.items):,} items, "
        f"{len(plan.waves)} waves, {len(plan.dependencies):,} dependencies, "
        f"{len(plan.findings)} findings"
    )
    print(f"{'step':<12} {'seconds':>8} {'bytes':>12}")
    print(f"{'load_export':<12} {load_seconds:8.2f} {'':>12}")
    total = load_seconds
    for suffix in FORMATS:
        path = out / f"plan{suffix}"
        started = time.perf_counter()
        exports.write(path, plan, force=True)
        seconds = time.perf_counter() - started
        total += seconds
        print(f"{suffix:<12} {seconds:8.2f} {path.stat().st_size:12,}")
    verdict = "OK" if total < TARGET_SECONDS else "TOO SLOW"
    print(f"{'total':<12} {total:8.2f}   target < {TARGET_SECONDS:.0f} s: {verdict}")
    print(f"files in {out}")
    engine.dispose()
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
