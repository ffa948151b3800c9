"""Split bounds on held-out-like instances (issue 23): does the planner reach the known optimum
of the splits phase, or come within one split of it, at `--time-limit 60`, with a bound above 0?

The instances have the shape of the issue's held-out one (5 generated municipalities, 1,027
move groups, 337 soft pairs, 16 waves): `--municipalities` generated municipalities
(`inventories.demo_data`, seed `--seed`), imported into a fresh SQLite database, the team
capacities set as in `benchmarks/plan_scale.py` for `--target-waves` waves, and the planner's
own problem object built from them (`planner.problem.build_problem`); then the soft pairs are
thinned to `--pairs` of them, drawn with `random.Random(seed)` (the generated data have about
two per move group; the held-out instance one per three).

Two modes:

* plan (default): `solve()` at `--time-limit` seconds, `--workers` workers; prints the
  sizes, the waves and their bound, the splits and their bound, the parts and the full
  model's notes, the time, and the gap to the known optimum (`KNOWN`) where there is one.
* `--prove SECONDS`: the long run that establishes the optimum once: the planner's plan at
  `--time-limit`, then the full splits model (`solvers.waves.full`: waves fixed at the
  planner's wave count, every hard rule, minimising the split weight, hinted with the plan,
  bounded below by the forced pairs) on wall-clock time with `--workers` CP-SAT workers.
  "optimal" means CP-SAT proved it; the optimum is then recorded in `KNOWN` with the command.
  The wave count is the planner's: the optimum is the least split weight at that wave count
  (the lexicographic order: waves first), so it holds only when the wave count is proven too.

Example:
    python benchmarks/split_bounds.py --municipalities 5 --pairs 337 --time-limit 60
    python benchmarks/split_bounds.py --municipalities 5 --pairs 337 --prove 900
"""

from __future__ import annotations

import argparse
import math
import os
import random
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from plan_scale import capacities, config_text  # this folder: run as a script

from inventories.demo_data import write_demo_data
from planner.config import parse_config
from planner.db import open_database
from planner.graph import build
from planner.importing import import_files
from planner.problem import build_problem
from planner.snapshot import load
from solvers.limits import TimeBudget
from solvers.waves.bounds import WaveBounds
from solvers.waves.full import model_size, solve_full
from solvers.waves.parts import clusters, forced_splits
from solvers.waves.problem import WaveProblem, WaveResult, evaluate, violations
from solvers.waves.solve import solve


def instance(
    municipalities: int, seed: int, pairs: int, target_waves: int, folder: Path, slack: float = 1.0
) -> WaveProblem:
    """The planner's problem object for generated municipalities (capacities times `slack`),
    soft pairs thinned."""
    engine = open_database(f"sqlite:///{folder / 'split_bounds.db'}")
    import_files(engine, write_demo_data(folder / "demo", municipalities, seed))
    capacity, _, _ = capacities(engine, target_waves)
    capacity = {team: math.ceil(value * slack) for team, value in capacity.items()}
    config = parse_config(config_text(capacity, 40, seed, 2))
    problem = build_problem(build(load(engine), config.effort_defaults()), config).problem
    engine.dispose()
    soft = problem.soft
    if 0 < pairs < len(soft):
        soft = tuple(sorted(random.Random(seed).sample(list(soft), pairs)))
    return replace(problem, soft=soft)


def plant(
    problem: WaveProblem, pairs: int, seed: int, workers: int
) -> tuple[WaveProblem, int, float] | None:
    """The instance with a known optimum: a plan P of the problem without soft pairs
    (`solve()` for waves and downtime, 20 s, another seed: not the plan the planner starts
    from), and as soft pairs every generated pair no plan can join (forced) plus pairs P
    joins, drawn at random, `pairs` in all. When P's wave count is the proven lower bound,
    the optimum is the forced pairs' weight: P reaches it, and the forced pairs are a bound
    (`solvers.waves.parts.forced_splits`). None when P's waves are not proven."""
    base = solve(
        replace(problem, soft=()),
        time_limit=20.0,
        workers=workers,
        seed=seed + 1,
        phases=("waves", "downtime"),
    )
    bounds = WaveBounds(problem)
    if not base.waves or max(base.waves) > bounds.lower_bound():
        return None
    horizon = max(base.waves)
    win = bounds.windows(horizon)
    assert win is not None
    forced = [
        pair
        for pair in problem.soft
        if forced_splits(
            replace(problem, soft=(pair,)), win[0], win[1], bounds.forbidden, bounds.cl.sdesc
        )
    ]
    joined = [(a, b, w) for a, b, w in problem.soft if base.waves[a] == base.waves[b]]
    rng = random.Random(seed)
    chosen = forced + rng.sample(joined, max(0, min(len(joined), pairs - len(forced))))
    planted = replace(problem, soft=tuple(sorted(chosen)))
    optimum = float(sum(w for _, _, w in forced))
    assert evaluate(planted, base.waves)["splits"] == optimum and not violations(
        planted, base.waves
    )
    print(
        f"   planted on a plan of {horizon} waves (= the wave lower bound): "
        f"{len(forced)} forced pairs, {len(chosen) - len(forced)} pairs it joins; "
        f"optimum {optimum:g} splits at {horizon} waves"
    )
    return planted, horizon, optimum


def describe(problem: WaveProblem) -> None:
    """Sizes: move groups, rules, soft pairs and their clusters."""
    sizes = sorted((len(c) for c in clusters(problem)), reverse=True)
    print(
        f"   move groups {problem.n_tasks:,}, before-or-same {len(problem.before_or_same):,}, "
        f"strictly-before {len(problem.strictly_before):,}, soft pairs {len(problem.soft):,} "
        f"(weight {sum(w for *_, w in problem.soft):,}), {len(sizes)} clusters, "
        f"largest {sizes[:5]}"
    )


def plan(
    problem: WaveProblem, args: argparse.Namespace, known: tuple[int, float] | None
) -> WaveResult:
    """`solve()` at the time limit, printed with the gap to the known optimum."""
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    result = solve(problem, time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    bad = violations(problem, result.waves)
    print(
        f"\n-- solve() at {args.time_limit:g} s, {args.workers} workers, seed {args.seed} "
        f"(load {load_before:.1f} before, {os.getloadavg()[0]:.1f} after): {wall:.1f} s wall, "
        f"{cpu:.1f} s CPU, first solution {result.first_solution_seconds:.1f} s, "
        f"{'verified clean' if not bad else f'{len(bad)} VIOLATIONS'}"
    )
    print("   " + result.summary().replace("\n", "\n   "))
    splits = {p.name: p for p in result.phases}.get("splits")
    if splits is not None:
        within = "; optimum unknown"
        if known is not None and known[0] == result.objective["waves"]:
            met = splits.objective <= known[1] + 1 and splits.bound > 0
            within = (
                f"; known optimum {known[1]:g} at {known[0]} waves: "
                f"{splits.objective - known[1]:+g} ({'met' if met else 'NOT met'}: "
                "within one split, bound above 0)"
            )
        print(
            f"   splits {splits.objective:g}, bound {splits.bound:g}, gap {splits.gap:.1%}{within}"
        )
    return result


def prove(
    problem: WaveProblem, result: WaveResult, seconds: float, workers: int, seed: int
) -> None:
    """The long full-model run from the planner's plan (see the module docstring)."""
    horizon = int(result.objective["waves"])
    bounds = WaveBounds(problem)
    win = bounds.windows(horizon)
    assert win is not None
    forced = forced_splits(problem, win[0], win[1], bounds.forbidden, bounds.cl.sdesc)
    size = model_size(problem, win[0], win[1], horizon)
    print(
        f"\n-- proving: full splits model at {horizon} waves (size {size:,}), {workers} "
        f"workers, {seconds:g} s wall clock, from the plan's {result.objective['splits']:g} "
        f"splits, forced pairs {forced} (load {os.getloadavg()[0]:.1f})"
    )
    t0 = time.perf_counter()
    out = solve_full(
        problem,
        win[0],
        win[1],
        bounds.forbidden,
        horizon=horizon,
        incumbent=result.waves,
        floor=float(forced),
        budget=TimeBudget.start(seconds, deterministic=False),
        stop=None,
        workers=workers,
        seed=seed,
    )
    print(
        f"   {out.status}: objective {out.objective:g}, bound {out.bound:g}, "
        f"{time.perf_counter() - t0:.1f} s (load {os.getloadavg()[0]:.1f} after)"
    )
    if out.waves:
        print(f"   plan verified: {'clean' if not violations(problem, out.waves) else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--municipalities", type=int, default=5)
    ap.add_argument(
        "--seed", type=int, default=1, help="Seed of the data, the thinning, the solver."
    )
    ap.add_argument("--pairs", type=int, default=337, help="Soft pairs kept (0: all).")
    ap.add_argument("--target-waves", type=int, default=16)
    ap.add_argument(
        "--slack",
        type=float,
        default=1.1,
        help="Capacities times this (1.1: 16 waves, the greedy's = the bound).",
    )
    ap.add_argument(
        "--plant",
        action="store_true",
        help="Soft pairs from a plan, so that the optimum is known (see plant).",
    )
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--prove",
        type=float,
        default=0.0,
        help="Seconds of the full-model run after the plan (0: none).",
    )
    args = ap.parse_args(argv)
    print(
        f"== {args.municipalities} municipalities, seed {args.seed}, {args.pairs} soft pairs, "
        f"capacities for {args.target_waves} waves"
    )
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        problem = instance(
            args.municipalities,
            args.seed,
            0 if args.plant else args.pairs,
            args.target_waves,
            Path(tmp),
            args.slack,
        )
        print(f"   built in {time.perf_counter() - t0:.1f} s")
    known = None
    if args.plant:
        planted = plant(problem, args.pairs, args.seed, args.workers)
        if planted is None:
            print("   not planted: the plan's wave count is not the proven bound")
            return 1
        problem, horizon, optimum = planted
        known = (horizon, optimum)
    describe(problem)
    bounds = WaveBounds(problem)
    print(f"   wave lower bound {bounds.lower_bound()}")
    result = plan(problem, args, known)
    if args.prove > 0 and result.waves and not math.isinf(result.objective["splits"]):
        prove(problem, result, args.prove, args.workers, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
