"""Speed of graph construction and `run_checks` on generated municipalities (target: < 5 s for 5).

Generates and imports the inventories first (not timed), then times, separately, reading
the snapshot from the database, building the graph with its move groups, and running
every check (with the example plan.toml, so oversized move groups are checked too).

Example:
    python benchmarks/graph_check_speed.py --municipalities 5 --repeat 3
"""

from __future__ import annotations

import argparse
import collections
import platform
import tempfile
import time
from pathlib import Path

from inventories.demo_data import write_demo_data
from planner.checks import run_checks
from planner.config import EXAMPLE, parse_config
from planner.db import open_database
from planner.graph import build
from planner.importing import import_files
from planner.snapshot import load


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--municipalities", "-n", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--repeat", type=int, default=3, help="Timed runs; the best and the worst are printed."
    )
    ap.add_argument(
        "--target",
        type=float,
        default=5.0,
        help="Seconds that snapshot + graph + checks must stay under.",
    )
    args = ap.parse_args(argv)
    config = parse_config(EXAMPLE)
    print(
        f"python {platform.python_version()}, "
        f"{args.municipalities} municipalities, seed {args.seed}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_database(f"sqlite:///{Path(tmp) / 'speed.db'}")
        t0 = time.perf_counter()
        import_files(engine, write_demo_data(Path(tmp) / "demo", args.municipalities, args.seed))
        print(f"generate + import: {time.perf_counter() - t0:.1f} s (not part of the target)")
        totals = []
        for run in range(1, args.repeat + 1):
            t0 = time.perf_counter()
            snapshot = load(engine)
            t1 = time.perf_counter()
            graph = build(snapshot, config.effort_defaults())
            t2 = time.perf_counter()
            findings = run_checks(graph, config)
            t3 = time.perf_counter()
            totals.append(t3 - t0)
            print(
                f"run {run}: snapshot {t1 - t0:.2f} s, "
                f"graph {t2 - t1:.2f} s, checks {t3 - t2:.2f} s, "
                f"total {t3 - t0:.2f} s"
            )
        engine.dispose()
    counts = collections.Counter(f.code for f in findings)
    print(
        f"items {len(snapshot.items):,}, "
        f"planned {len(graph.planned):,}, edges {len(graph.edges):,}, "
        f"constraints {len(graph.constraints):,}, "
        f"move groups {len(graph.groups):,}, cycles {len(graph.cycles)}"
    )
    print("findings: " + ", ".join(f"{code} {n}" for code, n in sorted(counts.items())))
    best, worst = min(totals), max(totals)
    verdict = "OK" if worst < args.target else "TOO SLOW"
    print(
        f"snapshot + graph + checks: best {best:.2f} s, worst {worst:.2f} s (target < "
        f"{args.target:g} s): {verdict}"
    )
    return 0 if worst < args.target else 1


if __name__ == "__main__":
    raise SystemExit(main())
