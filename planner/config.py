"""The planning configuration, `plan.toml`: calendar, capacities, limits, rules and pins.

Parsed with pydantic models that forbid unknown keys, so a typo such as `max_wave`
is an error naming the key, not a silently ignored line.
"""

from __future__ import annotations

import tomllib
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from inventories.values import BadValue, date_ranges, parse_ranges
from inventories.schema import Column
from planner.connection_settings import EXAMPLE as CONNECTIONS_EXAMPLE
from planner.connection_settings import parse_settings
from planner.effort import Defaults
from exports.errors import PlannerError

TEAMS = ("network", "directory", "server", "application", "workplace")


def _next_saturday(today: date) -> date:
    """Default first wave: the coming Saturday (cutovers are usually weekend work)."""
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WaveWindow(_Strict):
    start: date
    end: date


class Calendar(_Strict):
    start: date = Field(default_factory=lambda: _next_saturday(date.today()))
    wave_length_days: int = Field(14, ge=1, le=366)
    max_waves: int = Field(40, ge=1, le=520)
    no_wave_dates: list[str] = Field(default_factory=list)
    waves: list[WaveWindow] | None = None  # explicit windows instead of start + length

    @field_validator("no_wave_dates")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        column = Column("no_wave_dates", "")
        try:
            return [date_ranges(str(v), column) for v in value]
        except BadValue as exc:
            raise ValueError(str(exc)) from None


Hours = float | list[float]


class Capacity(_Strict):
    network: Hours = 80
    directory: Hours = 120
    server: Hours = 400
    application: Hours = 600
    workplace: Hours = 1500


class Target(_Strict):
    vcpu: float | None = None
    ram_gb: float | None = None
    storage_gb: float | None = None
    onboard_vcpu_per_wave: float | None = None
    onboard_ram_gb_per_wave: float | None = None
    onboard_storage_gb_per_wave: float | None = None


class Downtime(_Strict):
    max_hours_per_municipality_per_wave: float | None = None
    max_critical_hours_per_wave: float | None = None


class Order(_Strict):
    pilot: str | None = None
    max_user_share_per_wave: float | None = Field(None, gt=0, le=1)


class Rules(_Strict):
    ramp_up_waves: int = Field(0, ge=0)
    ramp_up_start: float = Field(1.0, gt=0, le=1)
    critical_not_before: int = Field(1, ge=1)


class EffortDefaults(_Strict):
    network: float = 16
    directory: float = 40
    server: float = 4
    application: float = 16
    workplace_per_pc: float = 1.5
    by_strategy: dict[str, float] = Field(default_factory=dict)


class DowntimeDefaults(_Strict):
    network: float = 1
    directory: float = 1
    server: float = 2
    application: float = 4
    workplace: float = 0


class DefaultsSection(_Strict):
    effort_hours: EffortDefaults = EffortDefaults()
    downtime_hours: DowntimeDefaults = DowntimeDefaults()


class ItemWindow(_Strict):
    earliest: int | None = Field(None, ge=1)
    latest: int | None = Field(None, ge=1)


class Cutover(_Strict):
    start_time: time = time(8, 0)
    day_offset: int = Field(0, ge=0)  # days after the wave's start date
    hours: float = Field(36, gt=0)
    staff: dict[str, int] = Field(default_factory=lambda: {t: 2 for t in TEAMS})


class Weights(_Strict):
    """Objective weights: soft split per dependency; downtime by criticality."""

    soft_split: int = Field(1, ge=0)
    criticality: dict[str, int] = Field(default_factory=lambda: {"low": 1, "medium": 2, "high": 4, "critical": 8})


class Solver(_Strict):
    time_limit: float = Field(60, gt=0)
    workers: int = Field(2, ge=1, le=64)
    seed: int = 0


class PlanConfig(_Strict):
    calendar: Calendar = Field(default_factory=Calendar)
    capacity: Capacity = Capacity()
    target: Target = Target()
    downtime: Downtime = Downtime()
    order: Order = Order()
    rules: Rules = Rules()
    defaults: DefaultsSection = DefaultsSection()
    pins: dict[str, int] = Field(default_factory=dict)
    windows: dict[str, ItemWindow] = Field(default_factory=dict)
    cutover: Cutover = Cutover()
    weights: Weights = Weights()
    solver: Solver = Solver()
    #: `[connections]`: rules of the connection import, validated by its own module.
    connections: dict[str, Any] = Field(default_factory=dict)

    @field_validator("connections")
    @classmethod
    def _connections(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            parse_settings(value, label="")
        except PlannerError as exc:
            raise ValueError(str(exc).replace("\n", "; ")) from None
        return value

    @model_validator(mode="after")
    def _check(self) -> PlanConfig:
        for key, wave in self.pins.items():
            if wave < 1:
                raise ValueError(f"pins.{key!r}: a wave number is 1 or more, got {wave}")
        for team in TEAMS:
            value = getattr(self.capacity, team)
            if isinstance(value, list) and not value:
                raise ValueError(f"capacity.{team}: the list is empty")
        return self

    # ------------------------------------------------------------------ derived values
    def effort_defaults(self) -> Defaults:
        e, d = self.defaults.effort_hours, self.defaults.downtime_hours
        return Defaults(
            effort_hours={"network": e.network, "directory": e.directory, "server": e.server,
                          "application": e.application, "workplace_per_pc": e.workplace_per_pc},
            downtime_hours={"network": d.network, "directory": d.directory, "server": d.server,
                            "application": d.application, "workplace": d.workplace},
            effort_by_strategy=dict(e.by_strategy),
        )

    def wave_windows(self) -> list[tuple[date, date]]:
        """(first day, last day) of every wave; waves never overlap a no-wave date."""
        if self.calendar.waves:
            return [(w.start, w.end) for w in self.calendar.waves][: self.calendar.max_waves]
        blocked = [r for text in self.calendar.no_wave_dates for r in parse_ranges(text)]
        windows: list[tuple[date, date]] = []
        start = self.calendar.start
        length = timedelta(days=self.calendar.wave_length_days)
        while len(windows) < self.calendar.max_waves:
            end = start + length - timedelta(days=1)
            clash = [b_end for b_start, b_end in blocked if b_start <= end and start <= b_end]
            if clash:
                start = max(clash) + timedelta(days=1)
                continue
            windows.append((start, end))
            start = end + timedelta(days=1)
        return windows

    def max_waves(self) -> int:
        return len(self.wave_windows())

    def team_capacity(self, team: str, wave: int) -> float:
        """Hours of `team` in wave `wave` (1-based), after the ramp-up."""
        value = getattr(self.capacity, team)
        hours = value[min(wave, len(value)) - 1] if isinstance(value, list) else value
        return hours * self.ramp_factor(wave)

    def ramp_factor(self, wave: int) -> float:
        """Linear ramp from ramp_up_start in wave 1 to 100 % in wave ramp_up_waves."""
        n, start = self.rules.ramp_up_waves, self.rules.ramp_up_start
        if n <= 1 or wave >= n:
            return 1.0
        return start + (1.0 - start) * (wave - 1) / (n - 1)


def load_config(path: str | Path | None) -> tuple[PlanConfig, str]:
    """Read and validate plan.toml; return the config and the text that produced it."""
    if path is None:
        return PlanConfig(), ""
    path = Path(path)
    if not path.exists():
        raise PlannerError(f"{path}: no such file (write an example with `planner plan --init {path}`)")
    text = path.read_text(encoding="utf-8-sig")
    return parse_config(text, str(path)), text


def parse_config(text: str, label: str = "plan.toml") -> PlanConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlannerError(f"{label}: not valid TOML: {exc}") from None
    try:
        return PlanConfig.model_validate(data)
    except ValidationError as exc:
        raise PlannerError("\n".join(f"{label}: {_describe(e)}" for e in exc.errors())) from None


def _describe(error: ErrorDetails) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    shown = f" (got {value!r})" if value is not None and not isinstance(value, dict) else ""
    return f"{key}: {message}{shown}"


EXAMPLE = '''\
# plan.toml — the planning configuration of `planner plan`.
# Dates are ISO 8601. Hours are team hours. Every section is optional.

[calendar]
start = 2027-01-09                 # the first wave starts on this date
wave_length_days = 14              # each wave is a fortnight
max_waves = 40                     # the calendar's length
# no wave may overlap these dates (holidays, elections, year end)
no_wave_dates = ["2027-03-25..2027-03-29", "2027-12-20..2028-01-02"]
# waves = [{ start = 2027-01-09, end = 2027-01-22 }, ...]   # explicit windows instead

[capacity]                         # hours per wave per team: a number, or one number per wave
network = 80
directory = 120
server = 400
application = 600
workplace = 1500

[target]                           # the common platform
vcpu = 6000
ram_gb = 24000
storage_gb = 600000
onboard_vcpu_per_wave = 800        # optional, likewise onboard_ram_gb_per_wave, onboard_storage_gb_per_wave

[downtime]
max_hours_per_municipality_per_wave = 48
max_critical_hours_per_wave = 12   # downtime of critical applications

[order]
# pilot = "Nordby"                 # wave 1 holds only this municipality's items
# max_user_share_per_wave = 0.5    # at most half a municipality's users affected per wave

[rules]                            # learn on easy waves first
ramp_up_waves = 3                  # capacity grows linearly from ramp_up_start to 100 % by wave 3
ramp_up_start = 0.3
critical_not_before = 3            # no critical application before wave 3

[defaults.effort_hours]            # used where the inventory leaves effort blank
network = 16
directory = 40
server = 4
application = 16
workplace_per_pc = 1.5
# by_strategy = { retire = 4, replace = 40 }

[defaults.downtime_hours]
server = 2
application = 4

[pins]                             # item id = wave number
# "Nordby/server/NB-SQL-01" = 3

[windows]                          # earliest/latest wave per item
# "Sydby/application/Løn" = { earliest = 2, latest = 10 }

[cutover]                          # the cutover window inside a wave, for `planner runbook`
start_time = 08:00:00
day_offset = 0                     # days after the wave's first day
hours = 36
staff = { network = 2, directory = 2, server = 4, application = 4, workplace = 6 }

[weights]
soft_split = 1                     # cost of one soft dependency split across waves
criticality = { low = 1, medium = 2, high = 4, critical = 8 }

[solver]
time_limit = 60                    # seconds; --time-limit overrides
workers = 2
seed = 0
'''
EXAMPLE += CONNECTIONS_EXAMPLE
