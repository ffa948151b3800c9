"""Fuzz the inventory importer with mutated real workbooks and count the outcomes.

Each case takes the small valid inventory (written by `inventories.template.write_workbook`),
applies one mutation from tests/hostile.py (random bytes, truncated zips, noise, XML damage,
missing parts, billion laughs / XXE, control characters, hostile cell values — 10,000-character
text, æøå/åäö and emoji, dates and numbers as text, formulas —, merged cells, hidden sheets,
duplicate headers, enormous sheets over PLANNER_MAX_CELLS, empty files) and imports it into
one SQLite database, in-process, with a 60 s alarm per case. The zip bombs run in a child
process whose peak RSS is measured.

A case is good when it imports, or is rejected with every problem shaped
`FILE:SHEET!CELL: message` or `FILE: message` and nothing written. Anything else — an
exception, a hang, a message of another shape, rows left behind — is a bug, listed at the end;
the exit code is 1 if there is any.

Run:  python benchmarks/fuzz_import.py [--cases 5000] [--seed 0] [--no-bombs]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RSS_CHILD = """
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=300)
print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.stderr.write(r.stderr)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-bombs", action="store_true", help="skip the zip bombs (slow, memory-hungry)"
    )
    args = parser.parse_args()
    os.environ["PLANNER_MAX_CELLS"] = "2000"  # the "enormous sheet" mutation crosses it cheaply

    from planner.db import open_database
    from tests import hostile

    folder = Path(tempfile.mkdtemp(prefix="planner-fuzz-"))
    engine = open_database(f"sqlite:///{folder / 'fuzz.db'}")
    base = hostile.valid_workbook(folder)
    names = sorted(hostile.MUTATIONS)
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    bugs: dict[tuple[str, str], list[str]] = defaultdict(list)
    slowest = (0.0, "")
    started = time.monotonic()
    for case in range(args.cases):
        name = names[case % len(names)]
        seed = args.seed * 1_000_003 + case
        data = hostile.mutate(name, random.Random(seed), folder, base)
        path = folder / f"case-{case}.xlsx"
        path.write_bytes(data)
        begin = time.monotonic()
        kind, detail = hostile.outcome(engine, path, seconds=60)
        elapsed = time.monotonic() - begin
        slowest = max(slowest, (elapsed, f"{name} seed {seed}"))
        outcomes[name][kind] += 1
        if kind not in hostile.GOOD:
            bugs[(name, kind)].append(
                f"seed {seed}: {detail.strip().splitlines()[-1] if detail.strip() else ''}"
            )
        path.unlink()
    if not args.no_bombs:
        for name, bomb in hostile.BOMBS.items():
            path = folder / "bomb.xlsx"
            path.write_bytes(bomb(random.Random(args.seed), base))
            child = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    RSS_CHILD,
                    sys.executable,
                    "-m",
                    "planner.cli",
                    "--db",
                    str(folder / "bomb.db"),
                    "import",
                    str(path),
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=600,
            )
            code, rss = map(int, child.stdout.split())
            first = child.stderr.strip().splitlines()[0] if child.stderr.strip() else ""
            ok = code == 1 and hostile.problem_shape(str(path)).match(first) and rss < 1024 * 1024
            outcomes[name]["rejected" if ok else "bug"] += 1
            print(
                f"{name}: {path.stat().st_size:,} bytes on disk, exit {code}, peak RSS "
                f"{rss / 1024:.0f} MB: {first}"
            )
            if not ok:
                bugs[(name, "bug")].append(child.stderr[-300:])
    total = sum(sum(c.values()) for c in outcomes.values())
    kinds = sorted({k for c in outcomes.values() for k in c})
    print(
        f"\n{total:,} cases in {time.monotonic() - started:.0f} s on {platform.node()} "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}); "
        f"slowest case {slowest[0]:.1f} s ({slowest[1]})"
    )
    width = max(len(n) for n in outcomes)
    print(f"{'mutation':{width}}  " + "  ".join(f"{k:>9}" for k in kinds))
    for name in sorted(outcomes):
        print(f"{name:{width}}  " + "  ".join(f"{outcomes[name][k]:>9,}" for k in kinds))
    print(
        f"{'total':{width}}  "
        + "  ".join(f"{sum(c[k] for c in outcomes.values()):>9,}" for k in kinds)
    )
    count = sum(len(v) for v in bugs.values())
    print(f"bugs: {count}")
    for (name, kind), details in bugs.items():
        print(f"  {name} / {kind}: {len(details)}, e.g. {details[0]}")
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main())
