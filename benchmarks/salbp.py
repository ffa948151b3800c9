"""SALBP-1 benchmark for the wave solver (Scholl 1993 with published optima, Otto 2013 without).

SALBP-1 is wave planning with one resource: stations are waves, the cycle time is
every wave's capacity, and precedence is "same wave or earlier". The data is read in
place from the shared folder and never copied (its licence allows internal use only).

Example:
    python benchmarks/salbp.py --set scholl --time-limit 10 --workers 2
    python benchmarks/salbp.py --set otto20 --limit 50
    python benchmarks/salbp.py --set scholl --bb          # EXPERIMENT: wave core, then station_bb

With `--bb` (an experiment, not the planner's default) each instance first runs `solve()`
with `--bb-share` of the time limit and, if that is not proven optimal, the exact
station-oriented branch and bound `solvers.salbp.branch_and_bound.station_bb` with the rest,
between the
wave core's proven lower bound and its wave count (`--bb-order bb-first` swaps the two).
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from solvers.salbp.branch_and_bound import station_bb
from solvers.waves.greedy import greedy
from solvers.waves.problem import WaveProblem, violations
from solvers.waves.solve import solve


def _shared_data() -> Path:
    """The shared benchmark folder beside the checkout (or a worktree's checkout)."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "shared" / "benchmarks").is_dir():
            return folder / "shared" / "benchmarks"
    return Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"


DEFAULT_DATA = _shared_data()
OTTO_DIRS = {
    "otto20": "small data set_n=20",
    "otto50": "medium data set_n=50",
    "otto100": "large data set_n=100",
}


@dataclass(frozen=True)
class Instance:
    """One SALBP-1 instance: task times, direct precedence pairs (0-based), cycle time, optimum if
    known."""

    name: str
    times: tuple[int, ...]
    precedence: tuple[tuple[int, int], ...]
    cycle: int
    m_star: int | None
    ub: int | None


def read_in2(path: Path) -> tuple[list[int], list[tuple[int, int]]]:
    """Parse an .IN2 file: n, n task times, pairs i,j up to -1,-1; a trailing ^Z or blank line is
    ignored."""
    text = path.read_bytes().replace(b"\x1a", b"").decode("ascii")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    n = int(lines[0])
    times = [int(x) for x in lines[1 : n + 1]]
    pairs: list[tuple[int, int]] = []
    for line in lines[n + 1 :]:
        i, j = (int(x) for x in line.split(","))
        if i == -1 and j == -1:
            break
        pairs.append((i - 1, j - 1))
    return times, pairs


def read_alb(path: Path) -> tuple[list[int], list[tuple[int, int]], int]:
    """Parse an Otto .alb file (tagged sections; task numbers start at 1)."""
    section = ""
    n = cycle = 0
    times: dict[int, int] = {}
    pairs: list[tuple[int, int]] = []
    for raw in path.read_text(encoding="latin-1").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("<"):
            section = line
            continue
        if section == "<number of tasks>":
            n = int(line)
        elif section == "<cycle time>":
            cycle = int(line)
        elif section == "<task times>":
            task, value = line.split()
            times[int(task)] = int(value)
        elif section == "<precedence relations>":
            i, j = (int(x) for x in line.split(","))
            pairs.append((i - 1, j - 1))
    return [times[t] for t in range(1, n + 1)], pairs, cycle


def scholl(data: Path) -> Iterator[Instance]:
    """Every (graph, cycle time) row of salbp1_optima.csv, optimum taken from the table."""
    root = data / "salbp" / "scholl1993"
    graphs: dict[str, tuple[list[int], list[tuple[int, int]]]] = {}
    with open(root / "salbp1_optima.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            file = row["file"]
            if file not in graphs:
                graphs[file] = read_in2(root / "precedence_graphs" / file)
            times, pairs = graphs[file]
            m_star = int(row["m_star"]) if row["m_star"].strip() else None
            ub = int(row["ub"]) if row["ub"].strip() else None
            yield Instance(
                f"{row['graph']}-c{row['cycle_time']}",
                tuple(times),
                tuple(pairs),
                int(row["cycle_time"]),
                m_star,
                ub,
            )


def otto(data: Path, which: str) -> Iterator[Instance]:
    """Every .alb file of one Otto 2013 size class, in name order (skipping macOS ._ files)."""
    folder = data / "salbp" / "otto2013" / OTTO_DIRS[which]
    for path in sorted(
        folder.glob("*.alb"),
        key=lambda p: [int(s) if s.isdigit() else s for s in re.split(r"(\d+)", p.name)],
    ):
        if path.name.startswith("._"):
            continue
        times, pairs, cycle = read_alb(path)
        yield Instance(path.stem, tuple(times), tuple(pairs), cycle, None, None)


def to_problem(inst: Instance, horizon: int | None = None) -> WaveProblem:
    """SALBP-1 as a WaveProblem: one resource, capacity = cycle time in every wave, precedence =
    before_or_same."""
    n = len(inst.times)
    horizon = max(horizon or n, 1)
    return WaveProblem(
        names=tuple(f"t{t + 1}" for t in range(n)),
        resources=("time",),
        demand=tuple((d,) for d in inst.times),
        capacity=((inst.cycle,),) * horizon,
        max_waves=horizon,
        before_or_same=inst.precedence,
    )


def horizon_of(inst: Instance) -> int:
    """max_waves = the greedy's wave count (run on a one-task-per-wave horizon), or the csv ub if
    larger."""
    plan = greedy(to_problem(inst), tries=0, fill_nodes=0).waves
    return max(max(plan) if plan else len(inst.times), inst.ub or 0)


def run_with_bb(
    inst: Instance, problem: WaveProblem, args: argparse.Namespace
) -> tuple[int | None, int | None, int, str, str]:
    """EXPERIMENT: the wave core and station_bb one after the other; (found, greedy, lb, status,
    note).

    The best plan and the best proof of either count; a plan from station_bb is verified
    again here with the wave problem's own checker before it is believed.
    """
    n = len(inst.times)
    preds: list[list[int]] = [[] for _ in range(n)]
    for a, b in inst.precedence:
        preds[b].append(a)
    start = time.perf_counter()
    found: int | None = None
    greedy_m: int | None = None
    lb = 1
    notes = []

    def run_solve(limit: float) -> None:
        nonlocal found, greedy_m, lb
        res = solve(
            problem,
            time_limit=max(limit, 0.1),
            workers=args.workers,
            seed=args.seed,
            phases=("waves",),
            deterministic=not args.wall,
        )
        if res.waves:
            m = int(res.objective["waves"])
            found = m if found is None else min(found, m)
        if res.greedy and res.greedy.waves:
            greedy_m = int(res.greedy.objective["waves"])
        lb = max(lb, res.lower_bound_waves, found if res.status == "optimal" and found else 0)

    def run_bb(limit: float) -> None:
        nonlocal found, lb
        upper = found if found is not None else problem.max_waves + 1
        bb = station_bb(
            inst.times, inst.cycle, preds, lower=lb, upper=upper, time_limit=max(limit, 0.1)
        )
        if bb.stations is not None:
            assert not violations(to_problem(inst, max(bb.stations)), bb.stations), (
                "station_bb returned a bad plan"
            )
            found = bb.best if found is None else min(found, bb.best)
        lb = max(lb, bb.bound)
        notes.append(f" bb[{bb.best}/{bb.bound} {bb.nodes}n {bb.runtime:.1f}s]")

    first = args.time_limit * args.bb_share
    if args.bb_order == "solve-first":
        run_solve(first)
        if found is None or lb < found:
            run_bb(args.time_limit - (time.perf_counter() - start))
    else:
        run_bb(first)
        if found is None or lb < found:
            run_solve(args.time_limit - (time.perf_counter() - start))
    status = (
        "optimal"
        if found is not None and lb >= found
        else ("feasible" if found is not None else "unknown")
    )
    return found, greedy_m, lb, status, "".join(notes)


def main(argv: list[str] | None = None) -> int:
    """Run one set and print a line per instance plus a summary."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared benchmarks folder")
    ap.add_argument("--set", default="scholl", choices=["scholl", *OTTO_DIRS])
    ap.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        help="wall-clock seconds per instance (a deterministic budget inside them, unless --wall)",
    )
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=0, help="only the first N instances")
    ap.add_argument("--filter", default="", help="only instances whose name contains this text")
    ap.add_argument(
        "--wall",
        action="store_true",
        help="wall-clock limits only, instead of a deterministic budget inside them",
    )
    ap.add_argument(
        "--bb", action="store_true", help="EXPERIMENT: add the station branch and bound (see above)"
    )
    ap.add_argument(
        "--bb-share",
        type=float,
        default=0.3,
        help="with --bb: share of the time for the first solver",
    )
    ap.add_argument("--bb-order", default="solve-first", choices=["solve-first", "bb-first"])
    args = ap.parse_args(argv)

    instances = list(scholl(args.data) if args.set == "scholl" else otto(args.data, args.set))
    if args.filter:
        instances = [i for i in instances if args.filter.lower() in i.name.lower()]
    if args.limit:
        instances = instances[: args.limit]
    start = time.perf_counter()
    rows = []
    capped = 0  # instances whose search the wall clock (not the deterministic budget) ended
    for inst in instances:
        t0 = time.perf_counter()
        problem = to_problem(inst, horizon_of(inst))
        if args.bb:
            found, greedy_m, lb, status, extra = run_with_bb(inst, problem, args)
        else:
            res = solve(
                problem,
                time_limit=args.time_limit,
                workers=args.workers,
                seed=args.seed,
                phases=("waves",),
                deterministic=not args.wall,
            )
            found = int(res.objective["waves"]) if res.waves else None
            greedy_m = (
                int(res.greedy.objective["waves"]) if res.greedy and res.greedy.waves else None
            )
            lb, status, extra = res.lower_bound_waves, res.status, ""
            if any("wall-clock" in note for note in res.notes):
                capped += 1
                extra = "  (wall clock)"
        runtime = time.perf_counter() - t0
        proven = status == "optimal"
        star = "" if inst.m_star is None else f" m*={inst.m_star}"
        flag = ""
        if inst.m_star is not None and found is not None and found > inst.m_star:
            flag = "  ABOVE m*"
        print(
            f"{inst.name:<24} n={len(inst.times):<4} lb={lb:<4} found={found} greedy={greedy_m}"
            f"{star} {status:<9} {runtime:6.2f}s{extra}{flag}",
            flush=True,
        )
        rows.append((inst, found, greedy_m, proven, runtime, lb))
    total = time.perf_counter() - start
    known = [r for r in rows if r[0].m_star is not None]
    print(
        f"\ninstances {len(rows)}, time limit {args.time_limit:g} s, workers {args.workers}, "
        f"{'wall' if args.wall else 'deterministic'} limits"
        + (f", with station_bb ({args.bb_order}, first share {args.bb_share:g})" if args.bb else "")
    )
    print(f"proven optimal {sum(r[3] for r in rows)}/{len(rows)}")
    if known:
        excess = [(r[1] - r[0].m_star) if r[1] is not None else 99 for r in known]
        print(
            f"with known m*: {len(known)}; reach m* {sum(e == 0 for e in excess)}; "
            f"mean excess {statistics.mean(excess):.3f}; max excess {max(excess)}; "
            f"greedy at m* {sum(r[2] == r[0].m_star for r in known)}"
        )
    elif rows:
        print(
            f"found == lower bound {sum(r[1] == r[5] for r in rows)}/{len(rows)}; "
            f"mean found-lb {statistics.mean((r[1] or 0) - r[5] for r in rows):.3f}"
        )
    print(
        f"total time {total:.1f} s, max per instance {max((r[4] for r in rows), default=0):.2f} s"
    )
    allowed = args.time_limit * 1.1 + 1
    print(
        f"over the limit: {sum(r[4] > allowed for r in rows)}/{len(rows)} above {allowed:.1f} s "
        "(limit + 10 % + 1 s); ended by the wall clock, "
        f"not the deterministic budget: {capped}/{len(rows)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
