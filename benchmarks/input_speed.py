"""How long `make_plan` spends before the solver starts: reading, graph, problem (issue 23).

`planner plan` counts its `--time-limit` from its start, so reading the inventory
(`planner.snapshot.load`), building the dependency graph with its move groups
(`planner.graph.build`) and the solver's problem (`planner.problem.build_problem`) are
time the solver does not get. This script times the three steps in one process on an
imported database (the database is only read), prints each step's wall and CPU seconds
per run and their medians, the sizes, and the load average before and after.

`--dump FILE` also writes every part of the three results (snapshot contents and
fingerprint, graph nodes and edges with their data, rules, move groups, cycles, the
problem's tuples) as text, one `repr` per line, in the order the code produced them, so
two versions of the code can be compared line by line (`--compare A B`): run this script
once with the older code first on `PYTHONPATH` and once with the newer.

Example:
    python benchmarks/input_speed.py --db scale98.db --repeat 3
    PYTHONPATH=/path/to/old python benchmarks/input_speed.py --db scale98.db --dump old.txt
    python benchmarks/input_speed.py --db scale98.db --dump new.txt --compare old.txt new.txt
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import platform
import statistics
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

from planner.config import PlanConfig, parse_config
from planner.db import open_database
from planner.graph import DependencyGraph, build
from planner.problem import PlanningProblem, build_problem
from planner.snapshot import Snapshot, load

#: The capacities `benchmarks/plan_scale.py` sets for 98 generated municipalities (seed 1).
CONFIG_98 = """[calendar]
start = 2027-01-09
wave_length_days = 14
max_waves = 40
[capacity]
network = 1176
directory = 1960
server = 6029
application = 15574
workplace = 17748
"""


def loadavg() -> str:
    path = Path("/proc/loadavg")
    return path.read_text().split(" ", 1)[0] if path.exists() else "?"


def run_once(
    url: str, config: PlanConfig
) -> tuple[list[float], list[float], Snapshot, DependencyGraph, PlanningProblem]:
    """One read, graph and problem in a fresh engine; the wall and CPU seconds of each step.

    CPU seconds (this process's) say what a step costs on a machine shared with other work,
    where the wall clock also counts the waits for a core."""
    engine = open_database(url)
    marks = [(time.perf_counter(), time.process_time())]
    snapshot = load(engine)
    marks.append((time.perf_counter(), time.process_time()))
    graph = build(snapshot, config.effort_defaults())
    marks.append((time.perf_counter(), time.process_time()))
    planning = build_problem(graph, config)
    marks.append((time.perf_counter(), time.process_time()))
    engine.dispose()
    wall = [b[0] - a[0] for a, b in pairwise(marks)]
    cpu = [b[1] - a[1] for a, b in pairwise(marks)]
    return wall, cpu, snapshot, graph, planning


def dump_lines(
    snapshot: Snapshot, graph: DependencyGraph, planning: PlanningProblem
) -> Iterator[str]:
    """Everything the three steps produce, as `repr` lines in the order produced.

    `repr` tells 1 from 1.0 and True, and a dict's repr keeps its order, so equal dumps mean
    equal values of equal types in equal order (but for each item's fields, see below)."""
    yield f"fingerprint {snapshot.fingerprint()}"
    for name, fields in snapshot.municipalities.items():
        yield f"municipality {name!r} {fields!r}"
    for key, item in snapshot.items.items():
        # The fields' order is not compared: the ORM rows' `model_dump` gave it in an order
        # that changed from process to process (string hashing); the values and types are.
        head = (item.id, item.municipality, item.kind, item.name)
        yield f"item {key!r} {head!r} {sorted(item.fields.items())!r}"
    for dep in snapshot.dependencies:
        yield f"dependency {dep!r}"
    yield f"captures {snapshot.captures!r}"
    for name in ("_index", "_municipality_keys"):
        for key, value in getattr(snapshot, name).items():
            yield f"{name} {key!r} {value!r}"
    for node, data in graph.graph.nodes(data=True):
        yield f"node {node!r} {data!r}"
    for a, b, key, data in graph.graph.edges(keys=True, data=True):
        yield f"graph edge {a!r} {b!r} {key!r} {data!r}"
    for name in ("edges", "dangling", "constraints", "groups", "cycles"):
        for value in getattr(graph, name):
            yield f"{name} {value!r}"
    yield f"planned {sorted(graph.planned)!r}"
    for node, group in graph.group_of.items():
        yield f"group_of {node!r} {group!r}"
    for f in dataclasses.fields(planning.problem):
        yield f"problem.{f.name} {getattr(planning.problem, f.name)!r}"
    for f in dataclasses.fields(planning):
        value = getattr(planning, f.name)
        if isinstance(value, dict):  # blackouts and windows follow a set's order (hashing)
            yield f"planning.{f.name} {sorted(value.items())!r}"
        elif f.name != "problem":
            yield f"planning.{f.name} {value!r}"


def compare(old: Path, new: Path) -> int:
    """0 when the two dumps are equal line by line; else the first difference is printed."""
    a, b = old.read_text().splitlines(), new.read_text().splitlines()
    for number, (x, y) in enumerate(zip(a, b), start=1):
        if x != y:
            print(f"DIFFERENT at line {number}:\n  {old}: {x[:300]}\n  {new}: {y[:300]}")
            return 1
    if len(a) != len(b):
        print(f"DIFFERENT: {len(a):,} lines in {old}, {len(b):,} in {new}")
        return 1
    digest = hashlib.sha256("\n".join(a).encode()).hexdigest()[:16]
    print(f"IDENTICAL: {len(a):,} lines (sha256 {digest}) in {old} and {new}")
    return 0


def _steps(wall: list[float], cpu: list[float]) -> str:
    """`load 1.20 s (cpu 1.10 s), graph …, total …`: wall seconds, CPU seconds in brackets."""
    parts = [
        f"{name} {w:.2f} s (cpu {c:.2f} s)"
        for name, w, c in zip(
            ("load", "graph", "problem", "total"), [*wall, sum(wall)], [*cpu, sum(cpu)]
        )
    ]
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", required=True, help="An imported SQLite file or a database URL.")
    ap.add_argument("--repeat", type=int, default=3, help="Timed runs (the median is printed).")
    ap.add_argument("--config", type=Path, help="A plan.toml (default: the 98-municipality one).")
    ap.add_argument("--dump", type=Path, help="Write the results of the last run as text here.")
    ap.add_argument(
        "--compare",
        type=Path,
        nargs=2,
        metavar=("OLD", "NEW"),
        help="Compare two dumps (after the runs, if any).",
    )
    args = ap.parse_args(argv)
    url = args.db if "://" in args.db else f"sqlite:///{Path(args.db).resolve()}"
    config = parse_config(args.config.read_text() if args.config else CONFIG_98)
    print(f"python {platform.python_version()}, {url}, load {loadavg()} before")
    times: list[list[float]] = []
    cpus: list[list[float]] = []
    for run in range(1, args.repeat + 1):
        wall, cpu, snapshot, graph, planning = run_once(url, config)
        times.append(wall)
        cpus.append(cpu)
        print(f"run {run}: {_steps(wall, cpu)} (load avg {loadavg()})")
    if times:
        print(
            f"items {len(snapshot.items):,}, dependencies {len(snapshot.dependencies):,}, "
            f"edges {len(graph.edges):,}, constraints {len(graph.constraints):,}, "
            f"move groups {len(graph.groups):,}, cycles {len(graph.cycles)}, "
            f"soft pairs {len(planning.problem.soft):,}"
        )
        wall = [statistics.median(column) for column in zip(*times)]
        cpu = [statistics.median(column) for column in zip(*cpus)]
        print(f"median of {len(times)}: {_steps(wall, cpu)}; load avg {loadavg()} after")
        if args.dump:
            args.dump.write_text("\n".join(dump_lines(snapshot, graph, planning)) + "\n")
            print(f"wrote {args.dump}")
    return compare(*args.compare) if args.compare else 0


if __name__ == "__main__":
    raise SystemExit(main())
