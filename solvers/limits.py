"""When a search must end: a time budget, and the user's request to stop.

Both are passed down to every solve, so that no solver keeps either in module state.

`TimeBudget` is what a user's `--time-limit` becomes. A limit is a promise in wall-clock
seconds (what the user waits); a reproducible answer needs a measure of work that the
machine's load does not change. The budget holds both: deterministic work units, which
decide where every search stops, and a wall-clock deadline, which no search passes. One
unit is about one wall second of work on the reference machine (2 cores, idle), so that
`TimeBudget.start(seconds)` ends on its units, reproducibly, unless the machine is much
slower than that; then the deadline ends it and the result says so. Each engine converts
its own measure of work to units at one calibrated rate, in one place: CP-SAT's
deterministic time in `solvers.cpsat.solve` (the `cost` of a model family), the genetic
search's schedules in `solvers.rcpsp.genetic`. A budget is a value: `split` and `charge`
return new budgets, so a phase cannot spend another phase's time by accident.

`StopRequest` is the first Ctrl-C of `planner plan`: every running solve ends as if its
time were up (keeping its best solution), and later ones do not start searching.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, replace

__all__ = ["StopRequest", "TimeBudget"]


@dataclass(frozen=True)
class TimeBudget:
    """Work units left and the `time.monotonic()` instant the work must end by.

    `units` is `math.inf` in wall-clock mode (`deterministic=False`): then only the
    deadline counts, and the search may use every core freely, but is not reproducible.
    """

    units: float
    deadline: float

    @classmethod
    def start(
        cls, seconds: float, *, deterministic: bool = True, since: float | None = None
    ) -> TimeBudget:
        """The budget of a user's time limit: `seconds` units, and as many wall seconds from
        `since` (a `time.monotonic()` instant, e.g. when the user's command started; now by
        default)."""
        begin = time.monotonic() if since is None else since
        return cls(seconds if deterministic else math.inf, begin + seconds)

    @property
    def deterministic(self) -> bool:
        """True when units, not the clock, decide where the search stops."""
        return math.isfinite(self.units)

    def wall_left(self) -> float:
        """Wall seconds until the deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())

    def left(self) -> float:
        """What decides: units left, or in wall-clock mode the wall seconds left."""
        return self.units if self.deterministic else self.wall_left()

    def split(self, share: float) -> TimeBudget:
        """`share` of the units and of the wall time left, for one phase of several: a phase
        slowed by machine load then cannot eat the later phases' time. A share of 1 (the
        last phase) keeps the deadline itself."""
        if share >= 1.0 - 1e-9:
            return self
        share = max(0.0, share)
        return TimeBudget(self.units * share, time.monotonic() + self.wall_left() * share)

    def part(self, share: float) -> TimeBudget:
        """`share` of the units under the same deadline, for one step of a phase whose later
        steps get what it leaves: the units keep the step short, the phase's deadline is its
        safety net. In wall-clock mode, where only time decides, `split(share)`."""
        if not self.deterministic:
            return self.split(share)
        return replace(self, units=self.units * max(0.0, share))

    def charge(self, units: float) -> TimeBudget:
        """The budget after `units` of work (no change in wall-clock mode)."""
        if not self.deterministic:
            return self
        return replace(self, units=max(0.0, self.units - units))


class StopRequest:
    """The user's request to end the search now and keep the best solution found so far.

    Thread-safe, and safe to call from a signal handler (`request` only sets an event).
    Solves check it (`solvers.cpsat.solve` ends a running CP-SAT search at once); loops over
    many solves check `requested` and wind up with what they have.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._at: float | None = None

    def request(self) -> None:
        """Stop every running and later solve that was handed this request."""
        if self._at is None:
            self._at = time.monotonic()
        self._event.set()

    @property
    def requested(self) -> bool:
        """True once `request()` was called."""
        return self._event.is_set()

    def seconds_after(self, start: float) -> float:
        """When the stop was requested, in seconds after the `time.monotonic()` instant `start`."""
        return max(0.0, (self._at if self._at is not None else time.monotonic()) - start)
