"""Benchmark `solvers.rcpsp.solve.solve` on the PSPLIB j30 and j60 single-mode RCPSP sets.

Reads the instances in place (never copies them) and compares with the reference tables:
j30 against the proven optima of `j30opt.sm`; j60 against the best-known makespans of
`j60hrs.sm` and the bounds of `j60lb.sm`. Prints one line per instance and a summary.

Example:
    python benchmarks/psplib.py --set j30 --time-limit 10 --workers 2
    python benchmarks/psplib.py --set j60 --filter 'j6013_' --limit 5
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

import ortools

from solvers.rcpsp.problem import check_schedule
from solvers.rcpsp.psplib import instance_key, read_bound_table, read_makespan_table, read_sm
from solvers.rcpsp.solve import solve


def _shared_data() -> Path:
    """The shared benchmark folder beside the checkout (or a worktree's checkout)."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "shared" / "benchmarks").is_dir():
            return folder / "shared" / "benchmarks" / "rcpsp"
    return Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "rcpsp"


DEFAULT_DATA = _shared_data()


def _instances(data: Path, which: str, pattern: str | None, limit: int | None) -> list[Path]:
    files = sorted((data / which).glob("*.sm"), key=instance_key)
    if pattern:
        files = [f for f in files if re.search(pattern, f.name)]
    return files[:limit] if limit else files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"folder with j30/, j60/ and the tables (default {DEFAULT_DATA})",
    )
    parser.add_argument("--set", dest="which", choices=("j30", "j60"), default="j30")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        help="wall-clock seconds per instance (a deterministic budget inside "
        "them, unless --nondeterministic)",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="first N instances only")
    parser.add_argument("--filter", default=None, help="regular expression on the file name")
    parser.add_argument(
        "--nondeterministic",
        action="store_true",
        help="wall-clock limit and the full parallel portfolio instead of "
        "the deterministic interleaved search",
    )
    args = parser.parse_args(argv)

    files = _instances(args.data, args.which, args.filter, args.limit)
    if not files:
        print(f"no instances in {args.data / args.which} match", file=sys.stderr)
        return 1
    if args.which == "j30":
        reference = read_makespan_table(args.data / "j30opt.sm")
        bounds = {}
    else:
        reference = read_makespan_table(args.data / "j60hrs.sm")
        bounds = read_bound_table(args.data / "j60lb.sm")

    print(
        f"# {args.which}: {len(files)} instances, time limit {args.time_limit:g} s, "
        f"workers {args.workers}, seed {args.seed}, "
        f"{'wall-clock only' if args.nondeterministic else 'a deterministic budget in'} "
        f"a wall-clock limit; python {platform.python_version()}, "
        f"ortools {ortools.__version__}, "
        f"{os.cpu_count()} cpus, load average {os.getloadavg()[0]:.2f}"
    )
    ref_name = "opt" if args.which == "j30" else "best"
    print(
        f"{'instance':<14}{ref_name:>6}{'lb':>6}{'ours':>6}{'bound':>7}{'greedy':>8}"
        f"{'status':>10}{'time':>8}"
    )
    rows = []
    walls: list[float] = []  # per instance, the wall time of solve() as the caller sees it
    clock = time.perf_counter()
    for path in files:
        key = instance_key(path)
        problem = read_sm(path)
        started = time.perf_counter()
        result = solve(
            problem,
            time_limit=args.time_limit,
            workers=args.workers,
            seed=args.seed,
            deterministic=not args.nondeterministic,
        )
        walls.append(time.perf_counter() - started)
        violations = check_schedule(problem, result.starts) if result.starts else ["none"]
        if violations:
            print(f"{path.stem}: INVALID SCHEDULE: {violations[0]}", file=sys.stderr)
        ref = reference.get(key)
        lb_row = bounds.get(key)
        lit_lb = lb_row.lb if lb_row else None
        rows.append((path.stem, ref, lit_lb, result, not violations))
        print(
            f"{path.stem:<14}{ref if ref is not None else '-':>6}"
            f"{lit_lb if lit_lb is not None else '-':>6}{result.makespan:>6g}"
            f"{result.bound:>7g}{result.greedy_makespan:>8g}{result.status:>10}"
            f"{walls[-1]:>8.2f}{'  capped' if result.capped else ''}",
            flush=True,
        )
    total = time.perf_counter() - clock

    n = len(rows)
    valid = sum(ok for *_, ok in rows)
    proven = sum(r.status == "optimal" for _, _, _, r, _ in rows)
    with_ref = [(ref, r) for _, ref, _, r, _ in rows if ref is not None]
    at_ref = sum(r.makespan <= ref for ref, r in with_ref)
    better = sum(r.makespan < ref for ref, r in with_ref)
    excess = [(r.makespan - ref) / ref for ref, r in with_ref if math.isfinite(r.makespan)]
    greedy_at = sum(r.greedy_makespan <= ref for ref, r in with_ref)
    times = walls
    print()
    print(f"instances            {n} ({valid} schedules pass check_schedule)")
    if args.which == "j30":
        print(f"optimum reached      {at_ref}/{len(with_ref)}")
        if better:
            print(f"BELOW the optimum    {better} (impossible: a bug or a bad table)")
    else:
        print(
            f"within best known    {at_ref}/{len(with_ref)} "
            f"({at_ref / max(len(with_ref), 1):.1%}); better than best known {better}"
        )
    print(f"proven optimal       {proven}/{n}")
    if excess:
        print(
            f"excess over {ref_name:<8} mean {statistics.mean(excess):.2%}, max {max(excess):.2%}"
        )
    print(f"greedy at {ref_name:<10} {greedy_at}/{len(with_ref)}")
    if args.which == "j60":
        listed = [
            (row, r)
            for name, _, _, r, _ in rows
            if (row := bounds.get(instance_key(name + ".sm"))) is not None
        ]
        closed = [(row, r) for row, r in listed if row.proven]
        print(f"j60lb rows           {len(listed)} listed, {len(closed)} with LB=UB")
        print(
            f"  makespan = LB      {sum(r.makespan <= row.lb for row, r in closed)}"
            f"/{len(closed)} of the LB=UB rows"
        )
        print(
            f"  our bound >= LB    {sum(r.bound >= row.lb for row, r in listed)}"
            f"/{len(listed)} listed rows"
        )
        open_rows = [r for row, r in listed if not row.proven]
        print(
            f"  proven where open  {sum(r.status == 'optimal' for r in open_rows)}"
            f"/{len(open_rows)} listed rows with LB<UB"
        )
    print(
        f"time                 total {total:.1f} s, "
        f"mean {statistics.mean(times):.2f} s, max {max(times):.2f} s"
    )
    allowed = args.time_limit * 1.1 + 1
    print(
        f"over the limit       {sum(t > allowed for t in times)}/{n} above "
        f"{allowed:.1f} s (limit + 10 % + 1 s); cut by the wall clock "
        f"{sum(r.capped for *_, r, _ in rows)}/{n}"
    )
    print(
        f"load average at end  {os.getloadavg()[0]:.2f} (1 min), "
        f"{os.getloadavg()[1]:.2f} (5 min) on {os.cpu_count()} cpus"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
