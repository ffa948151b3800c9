"""How the wave planner scales: generated municipalities, planned end to end.

For each size, the script generates that many municipalities (`inventories.demo_data`,
fixed seed), imports them into a fresh SQLite database, sets the team capacities, runs
`make_plan` with the time limit, and verifies the plan with the independent verifier.
Capacities are scaled per size, so every size asks the same question (about 20 waves)
of a bigger inventory; the issue's acceptance instance is 5.

Capacities. The teams that carry the bulk of the work (`BINDING_TEAMS`: server,
application, workplace) get their total effort / `--target-waves` (default 20) per
wave, so the trivial lower bound (max over teams of ceil(total / capacity)) is about 20.
The small teams (network, directory) get enough for their items in `--small-team-waves`
(default 4) waves. Giving them total / 20 as well (the first version of this script)
made the instance pathological rather than hard: one network and one directory domain
per wave, and since servers need their network and workplaces need their directory a
wave earlier, those two serial chains alone forced 30+ waves whatever the plan — no
programme staffs its network team for one network per fortnight. Every capacity is
raised to the team's largest move group where one group would not fit otherwise.
The script prints the trivial bound and the precedence-chain bound (longest chain of
hard rules, counting a wave per strictly-before step).

It prints items, move groups, waves vs bounds (the trivial bound, the solver's
`lower_bound_waves` and the per-phase bounds), split soft dependencies vs the greedy
baseline, time to first solution, to the first improvement of the splits and how many there
were, total time, and the verification result.

Example:
    python benchmarks/plan_scale.py --sizes 1,3,5 --time-limit 60
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from inventories.demo_data import write_demo_data
from planner.config import TEAMS, parse_config
from planner.db import open_database
from planner.graph import build, team_effort
from planner.importing import import_files
from planner.planning import make_plan
from planner.problem import build_problem
from planner.snapshot import load
from planner.verify import verify_plan
from solvers.waves.bounds import arcs_of
from solvers.waves.problem import ProgressEvent

BINDING_TEAMS = ("server", "application", "workplace")
"""Teams whose capacity is set to total / target waves; the others get total / small-team waves."""


def capacities(
    engine, target_waves: int, small_team_waves: int = 4
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:  # type: ignore[no-untyped-def]
    """Per team: capacity, total effort and largest move group's effort (default effort hours)."""
    config = parse_config("")
    defaults = config.effort_defaults()
    graph = build(load(engine), defaults)
    total: dict[str, float] = defaultdict(float)
    largest: dict[str, float] = defaultdict(float)
    for group in graph.groups:
        for team, hours in team_effort(graph, group, defaults).items():
            total[team] += hours
            largest[team] = max(largest[team], hours)
    waves = {team: target_waves if team in BINDING_TEAMS else small_team_waves for team in TEAMS}
    capacity = {
        team: math.ceil(max(total[team] / waves[team], largest[team], 1.0)) for team in TEAMS
    }
    return capacity, dict(total), dict(largest)


def chain_bound(engine, config) -> int:  # type: ignore[no-untyped-def]
    """Longest chain of hard rules in waves: 1 + the most strictly-before steps on any path."""
    problem = build_problem(build(load(engine), config.effort_defaults()), config).problem
    depth = [1] * problem.n_tasks
    changed = True
    while (
        changed
    ):  # longest path by relaxation; a cycle of hard rules has lag 0 (strict ones are rejected)
        changed = False
        for a, b, lag in arcs_of(problem):
            if depth[a] + lag > depth[b]:
                depth[b] = depth[a] + lag
                changed = True
    return max(depth, default=0)


def config_text(capacity: dict[str, float], max_waves: int, seed: int, workers: int) -> str:
    caps = "\n".join(f"{team} = {capacity[team]}" for team in TEAMS)
    return (
        f"[calendar]\nstart = 2027-01-09\nwave_length_days = 14\nmax_waves = {max_waves}\n"
        f"[capacity]\n{caps}\n[solver]\nseed = {seed}\nworkers = {workers}\n"
    )


def run_size(size: int, args: argparse.Namespace, folder: Path) -> list[dict[str, object]]:
    """Import `size` municipalities once, then plan them once per time limit, each plan in a
    fresh process (spawned, so its peak memory is its own)."""
    db = folder / f"scale{size}-seed{args.seed}.db"
    imported = db.exists()  # with --keep, a database imported by an earlier run is reused
    url = f"sqlite:///{db}"
    engine = open_database(url)
    t0 = time.perf_counter()
    if not imported:
        import_files(engine, write_demo_data(folder / f"demo{size}", size, args.seed))
    import_seconds = time.perf_counter() - t0
    capacity, total, largest = capacities(engine, args.target_waves, args.small_team_waves)
    trivial = max(math.ceil(total.get(t, 0) / capacity[t]) for t in TEAMS)
    text = config_text(capacity, args.max_waves, args.seed, args.workers)
    chain = chain_bound(engine, parse_config(text))
    engine.dispose()
    print(
        f"\n== {size} municipalities "
        f"({'reused ' + str(db) if imported else f'import {import_seconds:.1f} s'})"
    )
    print(
        "   capacity h/wave: "
        + ", ".join(
            f"{t} {capacity[t]:g} (total {total.get(t, 0):,.0f}, "
            f"largest group {largest.get(t, 0):,.0f})"
            for t in TEAMS
        )
    )
    rows = []
    for limit in args.limits:
        with multiprocessing.get_context("spawn").Pool(1) as pool:
            row = pool.apply(
                plan_once, (url, text, size, limit, args.workers, args.seed, trivial, chain)
            )
        rows.append(row)
    return rows


def plan_once(
    url: str, text: str, size: int, limit: float, workers: int, seed: int, trivial: int, chain: int
) -> dict[str, object]:
    """One timed `make_plan` on an imported database, verified; prints and returns its row."""
    engine = open_database(url)
    load_before = os.getloadavg()[0]
    events: list[ProgressEvent] = []
    t0 = time.perf_counter()
    outcome = make_plan(
        engine,
        parse_config(text),
        text,
        time_limit=limit,
        workers=workers,
        seed=seed,
        progress=events.append,
    )
    wall = time.perf_counter() - t0
    memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n-- {size} municipalities, time limit {limit:g} s (load {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after)"
    )
    t0 = time.perf_counter()
    violations = verify_plan(engine, outcome.plan)
    verify_seconds = time.perf_counter() - t0
    result = outcome.result
    greedy = result.greedy.objective if result.greedy else {}
    phases = {p.name: p for p in result.phases}
    # The splits phase's progress: every event below the greedy's splits is an improvement
    # (the parts' combined plan, a local search or an LNS sub-model).
    better = [
        e for e in events if e.phase == "splits" and e.objective < greedy.get("splits", math.inf)
    ]
    row = {
        "municipalities": size,
        "time_limit": limit,
        "load": round(load_before, 1),
        "memory_mb": round(memory_mb),
        "downtime": result.objective.get("downtime"),
        "downtime_bound": phases["downtime"].bound if "downtime" in phases else None,
        "splits_bound": phases["splits"].bound if "splits" in phases else None,
        "items": len(outcome.item_waves),
        "move_groups": len(outcome.planning.groups),
        "trivial_bound": trivial,
        "chain_bound": chain,
        "config": text,
        "waves": int(result.objective.get("waves", 0)),
        "lower_bound_waves": result.lower_bound_waves,
        "phase_bounds": {p.name: p.bound for p in result.phases},
        "phase_status": {p.name: p.status for p in result.phases},
        "splits": result.objective.get("splits", 0.0),
        "greedy_waves": greedy.get("waves"),
        "greedy_splits": greedy.get("splits"),
        "status": result.status,
        "first_solution_s": round(result.first_solution_seconds, 2),
        "first_improvement_s": round(better[0].elapsed, 2) if better else None,
        "improvements": len({e.objective for e in better}),
        "load_after": round(os.getloadavg()[0], 1),
        "solve_s": round(result.runtime, 2),
        "make_plan_s": round(wall, 2),
        "verify_s": round(verify_seconds, 2),
        "violations": len(violations),
        "notes": list(result.notes),
    }
    print(f"   items {row['items']:,}, move groups {row['move_groups']:,}")
    print(
        f"   waves {row['waves']} vs bound {row['lower_bound_waves']} "
        f"(trivial {trivial}, chain {chain}); "
        f"status {result.status}"
    )
    for p in result.phases:
        print(
            f"     phase {p.name:<9} {p.status:<9} objective {p.objective:g}, bound {p.bound:g}, "
            f"gap {p.gap:.1%}, {p.runtime:.1f} s"
        )
    print(
        f"   splits {row['splits']:g} vs greedy {row['greedy_splits']} "
        f"(greedy waves {row['greedy_waves']})"
    )
    print(
        f"   first solution {row['first_solution_s']} s, solve {row['solve_s']} s, "
        f"make_plan {row['make_plan_s']} s, "
        f"peak memory {row['memory_mb']} MB"
    )
    print(
        f"   first split improvement {_g(row['first_improvement_s'])} s, "
        f"{row['improvements']} improvements"
    )
    print(
        f"   verification: {'clean' if not violations else f'{len(violations)} violations'} "
        f"({verify_seconds:.1f} s)"
    )
    for v in violations[:5]:
        print(f"     {v.rule}: {v.message}")
    for note in result.notes:
        print(f"   note: {note}")
    engine.dispose()
    return row


def _g(value: object) -> str:
    """A number for the table ("-" when the phase did not run)."""
    return "-" if value is None else f"{value:g}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", default="1,3,5,10", help="Comma-separated numbers of municipalities."
    )
    ap.add_argument(
        "--time-limit",
        default="60",
        help="Seconds for make_plan per size; several, comma-separated, "
        "plan each size once per limit.",
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--seed", type=int, default=1, help="Seed of the generated data and the solver."
    )
    ap.add_argument(
        "--target-waves", type=int, default=20, help="Trivial lower bound the capacities aim at."
    )
    ap.add_argument(
        "--small-team-waves",
        type=int,
        default=4,
        help="Waves the network and directory teams need for all their items.",
    )
    ap.add_argument("--max-waves", type=int, default=40, help="Calendar length.")
    ap.add_argument("--json", type=Path, help="Also write the rows as JSON here.")
    ap.add_argument(
        "--keep",
        type=Path,
        help="Keep the imported databases in this folder and reuse them in later runs "
        "(plans are added to them; the inventory is the same).",
    )
    args = ap.parse_args(argv)
    args.limits = [float(v) for v in str(args.time_limit).split(",")]
    from importlib.metadata import version

    print(
        f"python {platform.python_version()}, ortools {version('ortools')}, "
        f"time limits {args.time_limit} s, "
        f"workers {args.workers}, seed {args.seed}, target {args.target_waves} waves"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) if args.keep is None else args.keep
        folder.mkdir(parents=True, exist_ok=True)
        for size in (int(s) for s in args.sizes.split(",")):
            rows.extend(run_size(size, args, folder))
    print(
        "\nmunicipalities | limit s | items | move groups | waves (bound) | splits (bound) | "
        "greedy splits | downtime (bound) | first s | first improvement s | improvements | "
        "total s | memory MB | load | verified"
    )
    for r in rows:
        print(
            f"{r['municipalities']} | {r['time_limit']:g} | {r['items']} | {r['move_groups']} | "
            f"{r['waves']} ({r['lower_bound_waves']}) | "
            f"{r['splits']:g} ({_g(r['splits_bound'])}) | "
            f"{r['greedy_splits']} | {_g(r['downtime'])} ({_g(r['downtime_bound'])}) | "
            f"{r['first_solution_s']} | "
            f"{_g(r['first_improvement_s'])} | {r['improvements']} | {r['make_plan_s']} | "
            f"{r['memory_mb']} | "
            f"{r['load']}/{r['load_after']} | {'yes' if not r['violations'] else 'NO'}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0 if all(not r["violations"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
