"""Readers for PSPLIB single-mode RCPSP files (`.sm`) and their optimum and bound tables.

PSPLIB (Kolisch & Sprecher 1996) is the standard RCPSP benchmark. A `.sm` file becomes a
`ScheduleProblem` with one task per job, named by job number, so task `i` is job `i + 1`;
the dummy source and sink stay in as zero-duration tasks and change nothing.
Tables map (parameter, instance) to makespans: `j30opt.sm` (proven optima), `j60hrs.sm`
(best-known upper bounds) and `j60lb.sm` (upper and lower bounds, `*` when equal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from solvers.schedule import ScheduleProblem

__all__ = [
    "BoundRow",
    "instance_key",
    "parse_bound_table",
    "parse_makespan_table",
    "parse_sm",
    "read_bound_table",
    "read_makespan_table",
    "read_sm",
]


def read_sm(path: str | Path) -> ScheduleProblem:
    """The RCPSP instance in a PSPLIB single-mode `.sm` file."""
    path = Path(path)
    return parse_sm(path.read_text(encoding="latin-1"), source=str(path))


def parse_sm(text: str, source: str = "<sm>") -> ScheduleProblem:
    """Parse the text of a `.sm` file; ValueError names the file and line on bad input."""
    lines = text.splitlines()
    jobs = None
    successors: dict[int, list[int]] = {}
    durations: dict[int, int] = {}
    demands: dict[int, list[int]] = {}
    capacities: list[int] | None = None
    section = ""
    num_resources = None
    i = 0
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        stripped = line.strip()
        i += 1
        upper = stripped.upper()
        if upper.startswith("- RENEWABLE"):
            num_resources = _int_after_colon(stripped, source, lineno)
            continue
        if not stripped or stripped.startswith(("*", "-", "=")):
            continue
        if upper.startswith("JOBS (INCL. SUPERSOURCE/SINK"):
            jobs = _int_after_colon(stripped, source, lineno)
            continue
        if upper.startswith("PRECEDENCE RELATIONS"):
            section = "prec"
            i += 1  # column header line
            continue
        if upper.startswith("REQUESTS/DURATIONS"):
            section = "req"
            i += 1  # column header; the dashed line after it is skipped above
            continue
        if upper.startswith("RESOURCEAVAILABILITIES"):
            section = "avail"
            i += 1  # resource names
            continue
        if ":" in stripped:
            section = ""
            continue
        fields = stripped.split()
        if section not in ("prec", "req", "avail"):
            continue
        try:
            numbers = [int(x) for x in fields]
        except ValueError:
            raise ValueError(f"{source}:{lineno}: expected integers, got {stripped!r}.") from None
        if section == "prec":
            job, _modes, count, *succ = numbers
            if len(succ) != count:
                raise ValueError(f"{source}:{lineno}: job {job} lists {len(succ)} successors "
                                 f"but says {count}.")
            successors[job] = succ
        elif section == "req":
            job, _mode, duration, *req = numbers
            durations[job] = duration
            demands[job] = req
        else:
            capacities = numbers
            section = ""
    if jobs is None:
        raise ValueError(f"{source}: no 'jobs (incl. supersource/sink ):' line.")
    if capacities is None:
        raise ValueError(f"{source}: no RESOURCEAVAILABILITIES section.")
    if num_resources is not None and len(capacities) != num_resources:
        raise ValueError(f"{source}: {len(capacities)} capacities for {num_resources} "
                         "renewable resources.")
    expected = list(range(1, jobs + 1))
    for what, table in (("PRECEDENCE RELATIONS", successors), ("REQUESTS/DURATIONS", durations)):
        if sorted(table) != expected:
            raise ValueError(f"{source}: {what} lists {len(table)} jobs, expected jobs 1..{jobs}.")
    for job, succ in successors.items():
        for s in succ:
            if not 1 <= s <= jobs:
                raise ValueError(f"{source}: job {job} has successor {s} outside 1..{jobs}.")
    k = len(capacities)
    for job, req in demands.items():
        if len(req) != k:
            raise ValueError(f"{source}: job {job} has {len(req)} demands for {k} resources.")
    return ScheduleProblem(
        names=tuple(str(j) for j in expected),
        durations=tuple(durations[j] for j in expected),
        resources=tuple(f"R{r + 1}" for r in range(k)),
        capacities=tuple(capacities),
        demands=tuple(tuple(demands[j]) for j in expected),
        precedence=tuple((j - 1, s - 1) for j in expected for s in successors[j]),
    )


def _int_after_colon(line: str, source: str, lineno: int) -> int:
    try:
        return int(line.split(":", 1)[1].split()[0])
    except (IndexError, ValueError):
        raise ValueError(f"{source}:{lineno}: expected a number after ':' in {line!r}.") from None


_KEY = re.compile(r"j(30|60|90|120)(\d+)_(\d+)")


def instance_key(path: str | Path) -> tuple[int, int]:
    """(parameter, instance) from a PSPLIB file name such as `j3012_7.sm` -> (12, 7)."""
    name = Path(path).name
    match = _KEY.match(name)
    if not match:
        raise ValueError(f"{name}: not a PSPLIB instance name like j301_1.sm.")
    return int(match.group(2)), int(match.group(3))


def read_makespan_table(path: str | Path) -> dict[tuple[int, int], int]:
    """(parameter, instance) -> makespan from `j30opt.sm`, `j30hrs.sm` or `j60hrs.sm`."""
    return parse_makespan_table(Path(path).read_text(encoding="latin-1"))


def parse_makespan_table(text: str) -> dict[tuple[int, int], int]:
    """Rows whose first three fields are integers: parameter, instance, makespan."""
    table: dict[tuple[int, int], int] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3 and all(f.isdigit() for f in fields[:3]):
            table[int(fields[0]), int(fields[1])] = int(fields[2])
    return table


@dataclass(frozen=True)
class BoundRow:
    """One row of a PSPLIB lower-bound table; `proven` is the `*` mark (lb == ub)."""

    ub: int
    lb: int
    proven: bool


def read_bound_table(path: str | Path) -> dict[tuple[int, int], BoundRow]:
    """(parameter, instance) -> bounds from `j60lb.sm` or `j120lb.sm`."""
    return parse_bound_table(Path(path).read_text(encoding="latin-1"))


def parse_bound_table(text: str) -> dict[tuple[int, int], BoundRow]:
    """Rows whose first four fields are integers: parameter, instance, UB, LB, then maybe `*`."""
    table: dict[tuple[int, int], BoundRow] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 4 and all(f.isdigit() for f in fields[:4]):
            par, inst, ub, lb = (int(f) for f in fields[:4])
            table[par, inst] = BoundRow(ub, lb, len(fields) > 4 and fields[4] == "*")
    return table
