"""The export-ready view of one plan: plain, frozen data with no database behind it.

`planner.export_data.load_export` builds an `ExportPlan` in one place from the database;
every writer in `exports/` takes an `ExportPlan` and writes files. Keeping the writers
pure means they are tested with hand-made plans (e.g. hostile item names) and never see
a session, and the workbook, JSON, CSV, calendar and picture all show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

TEAMS = ("network", "directory", "server", "application", "workplace")


@dataclass(frozen=True)
class ExportItem:
    """One planned item with the inventory fields project managers ask about."""

    id: str  # "municipality/kind/name"
    municipality: str
    kind: str
    name: str
    wave: int
    move_group: str
    effort_hours: float
    downtime_hours: float
    team: str
    function: str | None = None
    criticality: str | None = None
    owner: str | None = None
    blackout: str | None = None
    strategy: str | None = None
    vcpu: float | None = None
    ram_gb: float | None = None
    storage_gb: float | None = None
    depends_on: tuple[str, ...] = ()  # ids of planned items this one needs
    needed_by: tuple[str, ...] = ()  # ids of planned items that need this one
    pinned: int | None = None  # the pin (or frozen wave) in force when the plan was made
    pin: int | None = (
        None  # the pin stored now (`planner import-pins`): pre-fills the editable column
    )
    status: str | None = None  # recorded progress (`planner import-progress`): planned, done, …
    actual_date: date | None = None
    comment: str | None = None
    sources: tuple[str, ...] = ()  # the sources that list the item, best first (issue 17)


@dataclass(frozen=True)
class ExportWave:
    """One wave of the calendar with its load."""

    number: int
    start: date
    end: date
    items: int
    capacity: dict[str, float]  # team -> hours available
    used: dict[str, float]  # team -> hours planned
    downtime: dict[str, float]  # municipality -> downtime hours
    vcpu: float = 0.0
    ram_gb: float = 0.0
    storage_gb: float = 0.0

    def use(self, team: str) -> float | None:
        """Share of a team's capacity used (None when the team has no capacity)."""
        cap = self.capacity.get(team, 0.0)
        return self.used.get(team, 0.0) / cap if cap else None


@dataclass(frozen=True)
class ExportDependency:
    """A wave constraint between two planned items: `source` needs `target`.

    `first`/`second` state the rule the way the solver reads it, wave(first) RULE
    wave(second); it is (target, source) except for retired applications, which leave
    no earlier than their users.
    """

    source: str
    target: str
    kind: str
    strength: str
    rule: str  # same_wave | before_or_same | strictly_before | soft
    origin: str
    first: str
    second: str
    source_wave: int | None = None
    target_wave: int | None = None
    #: Seen in network traffic (a connection capture): its ports and observation count.
    observed: bool = False
    ports: str = ""
    observations: int | None = None

    @property
    def waves_apart(self) -> int:
        """For how many waves a split dependency needs a temporary link."""
        if self.source_wave is None or self.target_wave is None:
            return 0
        return abs(self.source_wave - self.target_wave)


@dataclass(frozen=True)
class ExportRunbookStep:
    """One cutover step of a runbook: one item's downtime, done by one person of `team`."""

    step: int
    start: datetime
    end: datetime
    team: str
    item: str  # item id
    depends_on: tuple[int, ...] = ()  # step numbers that end before this one starts
    note: str = ""  # "move to a later wave", "ends after the window" or ""


@dataclass(frozen=True)
class ExportRunbook:
    """The cutover runbook of one wave (`planner.runbook.Runbook.to_export()`)."""

    wave: int
    window_start: datetime
    window_end: datetime
    fits: bool
    status: str
    makespan_minutes: int
    items_to_move: tuple[str, ...] = ()
    end_after_move: datetime | None = None
    steps: tuple[ExportRunbookStep, ...] = ()


@dataclass(frozen=True)
class ExportChange:
    """One difference between two plans (`planner diff`): an item moved, added or removed, or a
    wave whose dates changed; `why` names the cause where it is known."""

    kind: str  # moved | added | removed | wave_dates
    item: str | None  # item id (None for wave_dates)
    wave: int | None = None  # the wave (for wave_dates, its number)
    from_wave: int | None = None
    to_wave: int | None = None
    from_dates: tuple[date, date] | None = None
    to_dates: tuple[date, date] | None = None
    why: str = ""


@dataclass(frozen=True)
class ExportProgressWave:
    """One wave's progress: item counts and effort hours per status (`planner progress`)."""

    wave: int
    start: date
    end: date
    items: dict[str, int]  # planned (all), done, failed, postponed, in progress, remaining
    hours: dict[str, float]


@dataclass(frozen=True)
class ExportPlan:
    """Everything an exporter needs; `findings` are dicts with code/severity/message/items."""

    id: int
    status: str
    created: datetime
    objective: dict[str, float | None]
    bound: dict[str, float | None]
    gap: dict[str, float | None] = field(default_factory=dict)
    phases: list[dict[str, Any]] = field(default_factory=list)
    greedy: dict[str, Any] = field(default_factory=dict)
    waves_used: int = 0
    lower_bound_waves: int = 0
    solve_seconds: float = 0.0
    first_solution_seconds: float = 0.0
    seed: int = 0
    workers: int = 1
    time_limit: float = 0.0
    parent_id: int | None = None
    frozen_through: int = 0
    config_toml: str = ""
    inventory_fingerprint: str | None = None
    municipalities: tuple[str, ...] = ()
    waves: tuple[ExportWave, ...] = ()
    items: tuple[ExportItem, ...] = ()
    dependencies: tuple[ExportDependency, ...] = ()
    findings: tuple[dict[str, Any], ...] = ()
    runbooks: tuple[ExportRunbook, ...] = ()  # only when asked for: a solve per wave
    changes: tuple[ExportChange, ...] = ()  # against the parent plan (re-plans only)
    progress: tuple[ExportProgressWave, ...] = ()  # only once progress was recorded
    progress_end: dict[str, Any] = field(default_factory=dict)  # planned / forecast end dates
    done_by_date: tuple[tuple[date, float, int], ...] = ()  # (actual date, cum. hours, cum. items)
    #: The first plan of this plan's re-plan lineage (None: this plan); calendar UIDs derive
    #: from it.
    lineage_root: int | None = None
    #: Per earlier plan of the lineage, root first: its calendar events (wave, municipality, start,
    #: end), so plan.ics can raise SEQUENCE for moved waves and cancel waves no longer used.
    calendar_past: tuple[tuple[tuple[int, str, date, date], ...], ...] = ()

    @property
    def split_dependencies(self) -> list[ExportDependency]:
        """Soft dependencies whose two ends land in different waves."""
        return [d for d in self.dependencies if d.rule == "soft" and d.waves_apart > 0]

    def wave(self, number: int) -> ExportWave | None:
        return next((w for w in self.waves if w.number == number), None)
