"""Fuzz what a user types or hands the tool besides workbooks: database URLs, plan.toml, text
that ends in a CSV export, CSV files and workbook cells to import (issue 20).

Every case is generated from one seeded random stream and checked in-process against its
promise (tests/fuzz_targets.py): accepted input gives the expected state; rejected input
gives one sentence per problem and leaves the database as it was; anything else — another
exception, a message of another shape, a password in a message, an out-of-bounds value
that got through, rows left behind — is a bug, listed at the end (exit code 1 if any).

Run:  python benchmarks/fuzz_inputs.py [--cases 100000] [--seed 0]
(the cases are split: 42 % URLs, 42 % plan.toml, 12 % CSV text, 3 % CSV files, 1 % workbooks)
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARES = {
    "database URL": 0.42,
    "plan.toml": 0.42,
    "CSV export text": 0.12,
    "CSV file": 0.03,
    "workbook cells": 0.01,
}


def targets(folder: Path) -> dict[str, Callable[[random.Random, int], tuple[str, str]]]:
    """One function per input kind: (rng, case number) -> (outcome, detail)."""
    from planner.db import open_database
    from tests import fuzz_targets as f
    from tests import hostile

    engine = open_database(f"sqlite:///{folder / 'fuzz.db'}")
    base = hostile.valid_workbook(folder)

    def csv_file(rng: random.Random, number: int) -> tuple[str, str]:
        path = folder / f"case{number % 10}.csv"
        path.write_bytes(f.random_csv(rng))
        return f.check_import(engine, path, municipality=rng.choice(["Fuzzby", "Åby", None]))

    def workbook(rng: random.Random, number: int) -> tuple[str, str]:
        path = folder / f"case{number % 10}.xlsx"
        path.write_bytes(hostile.mutate("hostile cell values", rng, folder, base))
        return f.check_import(engine, path)

    return {
        "database URL": lambda rng, _: f.check_url(f.random_url(rng)),
        "plan.toml": lambda rng, _: f.check_toml(f.random_toml(rng)),
        "CSV export text": lambda rng, _: f.check_csv_text(f.random_text(rng)),
        "CSV file": csv_file,
        "workbook cells": workbook,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ["PLANNER_MAX_CELLS"] = "20000"
    folder = Path(tempfile.mkdtemp(prefix="planner-fuzz-inputs-"))
    checks = targets(folder)
    rng = random.Random(args.seed)
    plan = [
        name for name, share in SHARES.items() for _ in range(max(1, round(share * args.cases)))
    ]
    rng.shuffle(plan)
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    seconds: dict[str, float] = defaultdict(float)
    bugs: list[str] = []
    started = time.perf_counter()
    for number, name in enumerate(plan):
        case_seed = rng.randrange(2**32)
        tick = time.perf_counter()
        outcome, detail = checks[name](random.Random(case_seed), number)
        seconds[name] += time.perf_counter() - tick
        outcomes[name][outcome] += 1
        if outcome == "bug":
            bugs.append(f"{name} (case seed {case_seed}): {detail}")
    total = time.perf_counter() - started
    print(
        f"# fuzz_inputs.py --cases {args.cases} --seed {args.seed}: {platform.python_version()}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    print("| input | cases | accepted | rejected | bugs | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in SHARES:
        c = outcomes[name]
        print(
            f"| {name} | {sum(c.values()):,} | {c['accepted']:,} "
            f"| {c['rejected']:,} | {c['bug']:,} | "
            f"{seconds[name]:.0f} |"
        )
    all_cases = sum(sum(c.values()) for c in outcomes.values())
    print(f"| **total** | **{all_cases:,}** | | | **{len(bugs)}** | {total:.0f} |")
    for bug in bugs[:50]:
        print("BUG", bug)
    return 1 if bugs else 0


if __name__ == "__main__":
    sys.exit(main())
