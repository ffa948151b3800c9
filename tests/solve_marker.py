"""`python -m tests.solve_marker MARKER ARGS…`: the real `planner` command, which touches the
file MARKER when its first CP-SAT solve starts.

Tests that signal a plan in the middle of a solve need to know when one runs. The hook is
installed here, in the test's own process, around `solvers.cpsat.solve` (the one function
every CP-SAT solve goes through), so production code reads no test-only variable.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from planner.cli import main
from solvers import cpsat


def marked(solve: Callable[..., cpsat.Outcome], marker: Path) -> Callable[..., cpsat.Outcome]:
    """`solve`, touching `marker` as each call starts."""

    def run(*args: Any, **kwargs: Any) -> cpsat.Outcome:
        marker.touch()
        return solve(*args, **kwargs)

    return run


if __name__ == "__main__":
    cpsat.solve = marked(cpsat.solve, Path(sys.argv.pop(1)))  # type: ignore[assignment]
    main()
