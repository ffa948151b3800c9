"""Readers for PSPLIB single-mode RCPSP files (`.sm`) and their optimum and bound tables.

PSPLIB (Kolisch & Sprecher 1996) is the standard RCPSP benchmark. A `.sm` file becomes a
`ScheduleProblem` with one task per job, named by job number, so task `i` is job `i + 1`;
the dummy source and sink stay in as zero-duration tasks and change nothing.
Tables map (parameter, instance) to makespans: `j30opt.sm` (proven optima), `j60hrs.sm`
(best-known upper bounds) and `j60lb.sm` (upper and lower bounds, `*` when equal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from solvers.rcpsp.problem import ScheduleProblem

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
    sm = _SmFile(source)
    sm.read(text.splitlines())
    return sm.problem()


_SECTIONS = {
    "PRECEDENCE RELATIONS": "prec",
    "REQUESTS/DURATIONS": "req",
    "RESOURCEAVAILABILITIES": "avail",
}


@dataclass
class _SmFile:
    """What the sections of one `.sm` file say, read line by line."""

    source: str
    jobs: int | None = None
    num_resources: int | None = None
    capacities: list[int] | None = None
    successors: dict[int, list[int]] = field(default_factory=dict)
    durations: dict[int, int] = field(default_factory=dict)
    demands: dict[int, list[int]] = field(default_factory=dict)

    def read(self, lines: list[str]) -> None:
        """Fill the fields from the file's lines (the sections may come in any order)."""
        section = ""
        i = 0
        while i < len(lines):
            stripped = lines[i].strip()
            lineno = i + 1
            i += 1
            upper = stripped.upper()
            if upper.startswith("- RENEWABLE"):
                self.num_resources = _int_after_colon(stripped, self.source, lineno)
            elif not stripped or stripped.startswith(("*", "-", "=")):
                continue
            elif upper.startswith("JOBS (INCL. SUPERSOURCE/SINK"):
                self.jobs = _int_after_colon(stripped, self.source, lineno)
            elif any(upper.startswith(title) for title in _SECTIONS):
                section = next(_SECTIONS[title] for title in _SECTIONS if upper.startswith(title))
                i += 1  # the column header line (a dashed line after it is skipped above)
            elif ":" in stripped:
                section = ""
            elif section:
                section = self._row(section, stripped, lineno)

    def _row(self, section: str, stripped: str, lineno: int) -> str:
        """One row of a section; returns the section the next row belongs to."""
        try:
            numbers = [int(x) for x in stripped.split()]
        except ValueError:
            raise ValueError(
                f"{self.source}:{lineno}: expected integers, got {stripped!r}."
            ) from None
        if section == "prec":
            job, _modes, count, *succ = numbers
            if len(succ) != count:
                raise ValueError(
                    f"{self.source}:{lineno}: "
                    f"job {job} lists {len(succ)} successors but says {count}."
                )
            self.successors[job] = succ
            return section
        if section == "req":
            job, _mode, duration, *req = numbers
            self.durations[job] = duration
            self.demands[job] = req
            return section
        self.capacities = numbers
        return ""

    def problem(self) -> ScheduleProblem:
        """The problem, after checking that the sections agree."""
        source, jobs, capacities = self.source, self.jobs, self.capacities
        if jobs is None:
            raise ValueError(f"{source}: no 'jobs (incl. supersource/sink ):' line.")
        if capacities is None:
            raise ValueError(f"{source}: no RESOURCEAVAILABILITIES section.")
        if self.num_resources is not None and len(capacities) != self.num_resources:
            raise ValueError(
                f"{source}: "
                f"{len(capacities)} capacities for {self.num_resources} renewable resources."
            )
        expected = list(range(1, jobs + 1))
        for what, table in (
            ("PRECEDENCE RELATIONS", self.successors),
            ("REQUESTS/DURATIONS", self.durations),
        ):
            if sorted(table) != expected:
                raise ValueError(
                    f"{source}: {what} lists {len(table)} jobs, expected jobs 1..{jobs}."
                )
        for job, succ in self.successors.items():
            for s in succ:
                if not 1 <= s <= jobs:
                    raise ValueError(f"{source}: job {job} has successor {s} outside 1..{jobs}.")
        k = len(capacities)
        for job, req in self.demands.items():
            if len(req) != k:
                raise ValueError(f"{source}: job {job} has {len(req)} demands for {k} resources.")
        return ScheduleProblem(
            names=tuple(str(j) for j in expected),
            durations=tuple(self.durations[j] for j in expected),
            resources=tuple(f"R{r + 1}" for r in range(k)),
            capacities=tuple(capacities),
            demands=tuple(tuple(self.demands[j]) for j in expected),
            precedence=tuple((j - 1, s - 1) for j in expected for s in self.successors[j]),
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
