"""Generated hostile inputs of issue 20 and the invariant each must keep, in-process.

Four kinds of input a user can hand the tool: database URLs (`--db`), `plan.toml` text,
text that ends up in a CSV export, and CSV / workbook files to import. Every check returns
`(outcome, detail)`: "accepted" or "rejected" when the promise holds — accepted input gives
the expected state, rejected input one sentence per problem and the old state — and "bug"
otherwise (another exception, a message of another shape, a password in a message, a
value outside its bounds that got through, rows left behind).

Used by the hypothesis properties in tests/test_fuzz.py and by the long run
`benchmarks/fuzz_inputs.py` (counts in docs/reliability.md).
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import string
import traceback
from datetime import date, time
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from exports.safe_text import csv_text
from planner.config import TEAMS, PlanConfig, parse_config
from planner.db import database_url, make_engine, mask_url, shown_url
from exports.errors import ImportFailed, PlannerError
from planner.importing import import_files
from planner.inventory import counts
from tests.hostile import problem_shape

Outcome = tuple[str, str]

#: The password every generated URL carries (among other characters): it must never be shown.
SECRET = "Zq9Secret"

#: Characters that break URLs and parsers when not encoded.
NASTY = "@:/%?#&=[] \t\\'\"\u00e6\u00f8\u00e5\U0001f680\x00"


def _chars(rng: random.Random, alphabet: str, low: int = 0, high: int = 8) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


# ----------------------------------------------------------------------------- database URLs
def random_url(rng: random.Random) -> str:
    """A database URL or path as a careless or hostile user might type it."""
    if rng.random() < 0.2:  # a path, or something that is almost one
        return rng.choice(
            [
                "",
                ":memory:",
                "file:x.db",
                "~/p.db",
                "./a%b.db",
                "a%25b.db",
                "/dev/null/x.db",
                "x" * rng.randint(1, 300),
            ]
        ) + _chars(rng, NASTY + string.ascii_letters, 0, 4)
    scheme = rng.choice(
        [
            "postgresql",
            "postgres",
            "postgresql+psycopg",
            "postgresql+psycopg2",
            "sqlite",
            "sqlite+pysqlite",
            "mysql",
            "foo",
            "http",
            "PostgreSQL",
            "postgresql+",
            "",
            "a b",
        ]
    )
    password = _chars(rng, NASTY + string.ascii_letters, 0, 3) + SECRET + _chars(rng, NASTY, 0, 3)
    if rng.random() < 0.5:
        password = "".join(c if c.isalnum() else f"%{ord(c):02X}" for c in password if ord(c) < 128)
    user = rng.choice(["u", "", "planner", "a@b", "x:y", "æøå"])
    host = rng.choice(
        ["127.0.0.1", "localhost", "[::1]", "[::1", "db.example", "", "ho st", "h@st"]
    )
    port = rng.choice(["", ":5432", ":abc", ":99999999", ":-1", ":", ":0"])
    path = rng.choice(
        ["/planner", "", "/", "/a/b", "/:memory:", "/%", "/p?x=1", "/db?password=" + SECRET]
    )
    auth = rng.choice([f"{user}:{password}@", f"{user}@", "", f":{password}@"])
    return f"{scheme}://{auth}{host}{port}{path}"


def check_url(value: str) -> Outcome:
    """`database_url` gives a URL an engine can be built from, or one sentence; neither it
    nor any message shows the password."""
    try:
        url = database_url(value)
    except PlannerError as exc:
        message = str(exc)
        if "\n" in message or not message:
            return "bug", f"not one line: {message!r}"
        if SECRET in message:
            return "bug", f"password shown: {message}"
        return "rejected", message.split(" is ")[-1][:40]
    except Exception as exc:  # noqa: BLE001  (the point: nothing else may escape)
        return "bug", f"{type(exc).__name__}: {exc}"
    try:
        engine = make_engine(url)
        shown = shown_url(engine)
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        return "bug", f"accepted {mask_url(value)} but no engine: {type(exc).__name__}"
    if SECRET in shown or SECRET in mask_url(value):
        return "bug", f"password shown: {shown}"
    return "accepted", url.split(":", 1)[0]


# ----------------------------------------------------------------------------- plan.toml
def _schema(model: type) -> dict[str, Any]:
    """{key: sub-schema or None} of a pydantic model, to generate mostly-known keys."""
    result: dict[str, Any] = {}
    for name, info in model.model_fields.items():  # type: ignore[attr-defined]
        annotation = info.annotation
        result[name] = (
            _schema(annotation)
            if isinstance(annotation, type) and hasattr(annotation, "model_fields")
            else None
        )
    return result


SCHEMA = _schema(PlanConfig)


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """A TOML value a careless user might write: good numbers, bad numbers, text, dates, lists."""
    pick = rng.random()
    if depth == 0 and rng.random() < 0.4:  # plausible, so that accepted files are checked too
        return rng.choice([1, 2, 4, 14, 0.5, 100, 2027, True])
    if pick < 0.25:
        return rng.choice(
            [
                0,
                1,
                2,
                3,
                14,
                40,
                80,
                -1,
                -400,
                10**6,
                2**31,
                2**63 - 1,
                -(2**63),
                rng.randint(-1000, 1000),
            ]
        )
    if pick < 0.45:
        return rng.choice(
            [
                0.5,
                1.0,
                -0.0,
                -2.5,
                1e308,
                -1e308,
                5e-324,
                math.nan,
                math.inf,
                -math.inf,
                rng.uniform(-1e6, 1e6),
            ]
        )
    if pick < 0.55:
        return rng.choice([True, False])
    if pick < 0.7:
        return date(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28))
    if pick < 0.75:
        return time(rng.randint(0, 23), rng.randint(0, 59))
    if pick < 0.88:
        return rng.choice(
            [
                "",
                "Nordby",
                "2027-01-09..2027-01-20",
                "9999-12-31",
                "x..y",
                "Åby/server/X",
                "0001-01-01..9999-12-31",
                _chars(rng, NASTY + string.ascii_letters, 0, 20),
            ]
        )
    if depth < 2 and pick < 0.95:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    if depth < 2:
        return {
            rng.choice(
                ["start", "end", "low", "critical", "earliest", "latest", "server", "x"]
            ): random_value(rng, depth + 1)
            for _ in range(rng.randint(0, 3))
        }
    return 1


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, (int, date, time)):
        return value.isoformat() if isinstance(value, (date, time)) else str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


def random_toml(rng: random.Random) -> str:
    """A plan.toml of known sections with known (and some unknown) keys and hostile values."""
    lines = []
    for section in rng.sample(sorted(SCHEMA), rng.randint(1, 4)):
        sub = SCHEMA[section]
        if sub is None:  # pins, windows: tables of item ids
            lines.append(f"[{section}]")
            lines.append(
                f"{json.dumps(rng.choice(['Nordby/server/A', 'x', '']))} = "
                f"{_toml(random_value(rng))}"
            )
            continue
        keys = sorted(sub)
        nested = [k for k in keys if sub[k] is not None]
        if nested and rng.random() < 0.3:
            inner = rng.choice(nested)
            lines.append(f"[{section}.{inner}]")
            keys = sorted(sub[inner])
        else:
            lines.append(f"[{section}]")
        for key in rng.sample(keys + ["typo_key"], min(len(keys) + 1, rng.randint(1, 3))):
            lines.append(f"{key} = {_toml(random_value(rng))}")
    return "\n".join(lines) + "\n"


_TOML_LINE = re.compile(r"^plan\.toml: (not valid TOML: .+|[^\s:][^:]*: .+|.+)$")


def check_toml(text: str) -> Outcome:
    """Accepted: every derived value is finite and within bounds, and deriving it raises
    nothing; rejected: one line per problem, each naming plan.toml (and the key)."""
    try:
        config = parse_config(text)
    except PlannerError as exc:
        lines = str(exc).split("\n")
        bad = [line for line in lines if not _TOML_LINE.match(line)]
        if bad:
            return "bug", f"message of another shape: {bad[0]!r}"
        return "rejected", lines[0].split(":")[1].strip()[:30]
    except Exception as exc:  # noqa: BLE001
        return "bug", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    try:
        windows = config.wave_windows()
        numbers = [
            config.team_capacity(team, wave)
            for team in TEAMS
            for wave in range(1, len(windows) + 1)
        ]
        defaults = config.effort_defaults()
        numbers += list(defaults.effort_hours.values()) + list(defaults.downtime_hours.values())
        numbers += [config.cutover.hours, config.solver.time_limit, float(config.solver.seed)]
        numbers += [v for v in config.target.model_dump().values() if v is not None]
    except Exception as exc:  # noqa: BLE001
        return "bug", f"accepted, then {type(exc).__name__}: {exc}"
    if not all(math.isfinite(n) and n >= 0 for n in numbers):
        return (
            "bug",
            "accepted a value out of bounds: "
            f"{[n for n in numbers if not math.isfinite(n) or n < 0]}",
        )
    if any(b[0] <= a[1] for a, b in itertools.pairwise(windows)):
        return "bug", "accepted overlapping waves"
    return "accepted", ""


# ----------------------------------------------------------------------------- CSV text
RISKY = ("=", "+", "-", "@", "\t", "\r")


def random_text(rng: random.Random) -> str:
    return _chars(rng, "=+-@\t\r\n,;| '\"abcæøå12" + NASTY, 0, 16)


def check_csv_text(value: str) -> Outcome:
    """No field starts with a formula prefix however the text is split (`,` `;` tab, line
    breaks, `|`, spaces trimmed), and only `'` was added."""
    try:
        safe = csv_text(value)
    except Exception as exc:  # noqa: BLE001
        return "bug", f"{type(exc).__name__}: {exc}"
    if safe.replace("'", "") != value.replace("'", ""):
        return "bug", f"changed more than quotes: {value!r} -> {safe!r}"
    for field in re.split(r"[,;\t\r\n|]", safe):
        if field.lstrip(" \u00a0").startswith(RISKY[:4]):
            return "bug", f"formula prefix left: {value!r} -> {safe!r}"
    if safe.startswith(RISKY):
        return "bug", f"formula prefix left: {value!r} -> {safe!r}"
    return ("accepted" if safe == value else "rejected"), ""


# ----------------------------------------------------------------------------- files to import
AD_HEADERS = [
    "Name",
    "DNSHostName",
    "OperatingSystem",
    "OperatingSystemVersion",
    "Enabled",
    "LastLogonDate",
    "DistinguishedName",
    "IPv4Address",
    "Description",
]
RV_HEADERS = [
    "VM",
    "Powerstate",
    "CPUs",
    "Memory",
    "Provisioned MB",
    "OS according to the VMware Tools",
    "Host",
    "Cluster",
    "Datacenter",
    "Primary IP Address",
    "Annotation",
]


def hostile_cell(rng: random.Random) -> str:
    return rng.choice(
        [
            "",
            "x",
            "æøå",
            "=1+1",
            "@SUM(1)",
            "-1",
            "1e308",
            "NaN",
            "٣",
            "16,5",
            "TRUE",
            "ja",
            "2027-02-30",
            "a;b",
            "a,b",
            '"',
            '""x',
            "\u200b",
            "x" * rng.randint(1, 20_000),
            "Løn;=2*21;x",
            "A/application/x",
            "[bold]X[/]",
            _chars(rng, NASTY, 1, 10),
        ]
    )


def random_csv(rng: random.Random) -> bytes:
    """An AD or RVTools CSV export, or noise with a header, with hostile cells and encodings."""
    headers = rng.choice(
        [AD_HEADERS, RV_HEADERS, [hostile_cell(rng) for _ in range(rng.randint(1, 6))]]
    )
    headers = rng.sample(headers, rng.randint(1, len(headers)))
    separator = rng.choice([",", ";", "\t"])
    rows = [separator.join(headers)]
    for _ in range(rng.randint(0, 8)):
        cells = [hostile_cell(rng) for _ in headers]
        rows.append(separator.join(f'"{c}"' if rng.random() < 0.3 else c for c in cells))
    text = "\r\n".join(rows)
    encoding = rng.choice(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
    data = text.encode(encoding, errors="replace")
    if rng.random() < 0.1:
        cut = rng.randint(0, len(data))
        data = data[:cut] + bytes(rng.randint(0, 255) for _ in range(rng.randint(0, 30)))
    return data


def check_import(engine: Engine, path: Path, municipality: str | None = None) -> Outcome:
    """The file imports, or is rejected with every problem `FILE…: message` on one line and
    the stored counts unchanged (the outcome of `planner import`, in-process)."""
    before = counts(engine)
    label = str(path)
    try:
        import_files(engine, [path], municipality=municipality)
    except ImportFailed as exc:
        shape = problem_shape(label)
        bad = [
            line
            for line in exc.problems
            if not (shape.match(line) or line.startswith("--municipality: "))
        ]
        if bad or not exc.problems:
            return "bug", f"message of another shape: {bad[:2]!r}"
        if counts(engine) != before:
            return "bug", f"rows left behind: {exc.problems[0]}"
        return "rejected", exc.problems[0][len(label) :].split(":")[-1][:40]
    except PlannerError as exc:
        return "bug", f"PlannerError outside ImportFailed: {exc}"
    except Exception as exc:  # noqa: BLE001
        return "bug", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    return "accepted", ""
