"""The planning configuration, `plan.toml`: calendar, capacities, limits, rules and pins.

Parsed with pydantic models that forbid unknown keys, so a typo such as `max_wave`
is an error naming the key, not a silently ignored line.
"""

from __future__ import annotations

import math
import stat
import tomllib
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from inventories.schema import Column
from inventories.values import BadValue, date_ranges, parse_ranges
from planner.connection_settings import EXAMPLE as CONNECTIONS_EXAMPLE
from planner.connection_settings import parse_settings
from planner.effort import Defaults
from exports.errors import PlannerError

TEAMS = ("network", "directory", "server", "application", "workplace")


def _next_saturday(today: date) -> date:
    """Default first wave: the coming Saturday (cutovers are usually weekend work)."""
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


class _Strict(BaseModel):
    # nan and inf are refused everywhere: no capacity, limit or weight means "infinite".
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


#: Bounds of every value, so that a typo (an extra zero, a minus) is an error naming the key
#: instead of an overflow deep in the solver. Generous: 10 years of fortnightly waves.
MAX_WAVES = 520
MAX_CONFIG_BYTES = 1024 * 1024
EARLIEST, LATEST = date(2000, 1, 1), date(2200, 12, 31)
Hours = Annotated[float, Field(ge=0, le=10_000_000)]
Amount = Annotated[float, Field(ge=0, le=1e12)]
WaveNumber = Annotated[int, Field(ge=1, le=MAX_WAVES)]
Weight = Annotated[int, Field(ge=0, le=1_000_000)]


class WaveWindow(_Strict):
    start: date
    end: date

    @model_validator(mode="after")
    def _order(self) -> WaveWindow:
        _in_range(self.start, "start")
        _in_range(self.end, "end")
        if self.end < self.start:
            raise ValueError(f"the wave ends ({self.end}) before it starts ({self.start})")
        return self


def _in_range(day: date, key: str) -> None:
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"{key} {day} is outside {EARLIEST.year}-{LATEST.year}")


class Calendar(_Strict):
    start: date = Field(default_factory=lambda: _next_saturday(date.today()))
    wave_length_days: int = Field(14, ge=1, le=366)
    max_waves: int = Field(40, ge=1, le=MAX_WAVES)
    no_wave_dates: list[str] = Field(default_factory=list, max_length=10_000)
    waves: list[WaveWindow] | None = Field(None, max_length=MAX_WAVES)  # explicit windows instead

    @field_validator("start")
    @classmethod
    def _start(cls, value: date) -> date:
        _in_range(value, "the date")
        return value

    @field_validator("no_wave_dates")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        column = Column("no_wave_dates", "")
        try:
            ranges = [date_ranges(str(v), column) for v in value]
        except BadValue as exc:
            raise ValueError(str(exc)) from None
        for start, end in (r for text in ranges for r in parse_ranges(text)):
            _in_range(start, "the date")
            _in_range(end, "the date")
        return ranges

    @field_validator("waves")
    @classmethod
    def _apart(cls, value: list[WaveWindow] | None) -> list[WaveWindow] | None:
        """Explicit waves follow each other: overlapping windows would put one weekend's
        cutover work in two waves and double-count its capacity."""
        for number, (before, after) in enumerate(zip(value or [], (value or [])[1:]), start=2):
            if after.start <= before.end:
                raise ValueError(
                    f"wave {number} ({after.start}..{after.end}) starts before wave "
                    f"{number - 1} ({before.start}..{before.end}) "
                    "ends; list the waves in order, without overlaps"
                )
        return value


TeamHours = float | list[float]  # checked by PlanConfig._check (a union's errors read badly)


class Capacity(_Strict):
    network: TeamHours = 80
    directory: TeamHours = 120
    server: TeamHours = 400
    application: TeamHours = 600
    workplace: TeamHours = 1500

    @field_validator("*", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        """One clear error per key (a union type would report one per alternative)."""
        values = value if isinstance(value, list) else [value]
        if not values or len(values) > MAX_WAVES:
            raise ValueError(
                f"give one number, or a list of 1 to {MAX_WAVES} numbers (one per wave)"
            )
        for hours in values:
            if (
                isinstance(hours, bool)
                or not isinstance(hours, (int, float))
                or not math.isfinite(hours)
                or not 0 <= hours <= 10_000_000
            ):
                raise ValueError(f"hours are numbers from 0 to 10,000,000, got {hours!r}")
        return value


class Target(_Strict):
    vcpu: Amount | None = None
    ram_gb: Amount | None = None
    storage_gb: Amount | None = None
    onboard_vcpu_per_wave: Amount | None = None
    onboard_ram_gb_per_wave: Amount | None = None
    onboard_storage_gb_per_wave: Amount | None = None


class Downtime(_Strict):
    max_hours_per_municipality_per_wave: Hours | None = None
    max_critical_hours_per_wave: Hours | None = None


class Order(_Strict):
    pilot: str | None = None
    max_user_share_per_wave: float | None = Field(None, gt=0, le=1)


class Rules(_Strict):
    ramp_up_waves: int = Field(0, ge=0, le=MAX_WAVES)
    ramp_up_start: float = Field(1.0, gt=0, le=1)
    critical_not_before: WaveNumber = 1


class EffortDefaults(_Strict):
    network: Hours = 16
    directory: Hours = 40
    server: Hours = 4
    application: Hours = 16
    workplace_per_pc: Hours = 1.5
    by_strategy: dict[str, Hours] = Field(default_factory=dict)


class DowntimeDefaults(_Strict):
    network: Hours = 1
    directory: Hours = 1
    server: Hours = 2
    application: Hours = 4
    workplace: Hours = 0


class DefaultsSection(_Strict):
    effort_hours: EffortDefaults = EffortDefaults()
    downtime_hours: DowntimeDefaults = DowntimeDefaults()


class ItemWindow(_Strict):
    earliest: WaveNumber | None = None
    latest: WaveNumber | None = None

    @model_validator(mode="after")
    def _order(self) -> ItemWindow:
        if self.earliest is not None and self.latest is not None and self.latest < self.earliest:
            raise ValueError(f"latest ({self.latest}) is before earliest ({self.earliest})")
        return self


class Cutover(_Strict):
    start_time: time = time(8, 0)
    day_offset: int = Field(0, ge=0, le=366)  # days after the wave's start date
    hours: float = Field(36, gt=0, le=24 * 366)
    staff: dict[str, Annotated[int, Field(le=100_000)]] = Field(  # < 0: the runbook says so
        default_factory=lambda: {t: 2 for t in TEAMS}
    )


class Weights(_Strict):
    """Objective weights: soft split per dependency; downtime by criticality."""

    soft_split: Weight = 1
    criticality: dict[str, Weight] = Field(
        default_factory=lambda: {"low": 1, "medium": 2, "high": 4, "critical": 8}
    )


class Solver(_Strict):
    time_limit: float = Field(60, gt=0, le=1_000_000)
    workers: int = Field(2, ge=1, le=64)
    seed: int = Field(0, ge=0, le=2**31 - 1)  # CP-SAT's random_seed is a 32-bit integer


class PlanConfig(_Strict):
    calendar: Calendar = Field(default_factory=Calendar)
    capacity: Capacity = Capacity()
    target: Target = Target()
    downtime: Downtime = Downtime()
    order: Order = Order()
    rules: Rules = Rules()
    defaults: DefaultsSection = DefaultsSection()
    pins: dict[str, int] = Field(default_factory=dict)  # checked in _check, naming the item
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
            if not 1 <= wave <= MAX_WAVES:
                raise ValueError(f"pins.{key!r}: a wave number is 1 to {MAX_WAVES}, got {wave}")
        for team in TEAMS:
            value = getattr(self.capacity, team)
            if isinstance(value, list) and not value:
                raise ValueError(f"capacity.{team}: the list is empty")
        return self

    # ------------------------------------------------------------------ derived values
    def effort_defaults(self) -> Defaults:
        e, d = self.defaults.effort_hours, self.defaults.downtime_hours
        return Defaults(
            effort_hours={
                "network": e.network,
                "directory": e.directory,
                "server": e.server,
                "application": e.application,
                "workplace_per_pc": e.workplace_per_pc,
            },
            downtime_hours={
                "network": d.network,
                "directory": d.directory,
                "server": d.server,
                "application": d.application,
                "workplace": d.workplace,
            },
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
        raise PlannerError(
            f"{path}: no such file (write an example with `planner plan --init {path}`)"
        )
    text = _read_text(path)
    return parse_config(text, str(path)), text


def _read_text(path: Path) -> str:
    """The file's text, refusing what cannot be a plan.toml before reading it: a folder, a
    device or FIFO (`/dev/zero` would never end), more than 1 MiB, or text not in UTF-8."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise PlannerError(
                f"{path}: not a regular file (a folder, device or pipe); give a plan.toml"
            )
        if info.st_size > MAX_CONFIG_BYTES:
            raise PlannerError(
                f"{path}: {info.st_size:,} bytes is over the 1 MiB limit of a plan.toml"
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise PlannerError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise PlannerError(f"{path}: over the 1 MiB limit of a plan.toml")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PlannerError(f"{path}: the file is UTF-16; save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlannerError(
            f"{path}: not UTF-8 text (byte {exc.start + 1} is {data[exc.start]:#04x}); "
            "save it as UTF-8"
        ) from None


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
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    message = error["msg"].removeprefix("Value error, ")
    if not key:  # a check across keys names them itself
        return message
    value = error.get("input")
    text = value.isoformat() if isinstance(value, (date, time)) else repr(value)
    text = text if len(text) <= 60 else text[:57] + "…"
    scalar = (
        value is not None
        and not isinstance(value, (dict, list))
        and "got" not in message
        and text not in message
    )
    return f"{key}: {message}" + (f" (got {text})" if scalar else "")


EXAMPLE = """\
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
"""  # noqa: E501 (the sample plan.toml that `planner plan --init` writes, kept as written)
EXAMPLE += CONNECTIONS_EXAMPLE
