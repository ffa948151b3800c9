"""Real `planner` processes for the concurrency and crash tests, and full database dumps.

A process is started with PLANNER_TEST_PAUSE_<POINT>=seconds (see `exports.testhooks`), so
it stops inside its transaction or write at a known point; `wait_for_pause` returns once it
is there, and the test races it or SIGKILLs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, select

from planner.db import make_engine, read_snapshot
from tests.conftest import ROOT

#: Generous bounds for a busy shared 2-core machine; a hang still fails, just not at once.
START_TIMEOUT = 120.0
RUN_TIMEOUT = 180.0


def environment(db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env.update(
        {
            "PLANNER_DB": db_url,
            "PYTHONIOENCODING": "utf-8",
            "COLUMNS": "200",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def start(
    db_url: str, *args: str | Path, cwd: Path, module: str = "planner.cli", **env: str
) -> subprocess.Popen[str]:
    """`python -m planner.cli ARGS…` as a background process (stdout/stderr captured);
    `module` runs the command through a test launcher instead (e.g. `tests.solve_marker`)."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=cwd,
        env=environment(db_url, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def python(db_url: str, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a Python snippet in a fresh process against the database."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=environment(db_url),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=RUN_TIMEOUT,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait (bounded) for a process; returns (exit code, stdout, stderr)."""
    try:
        out, err = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"process hung: {process.args}\n{err}") from None
    return process.returncode, out, err


def wait_for_pause(process: subprocess.Popen[str], marker: Path) -> None:
    """Block until the process has reached its pause point (it touches `marker`)."""
    deadline = time.monotonic() + START_TIMEOUT
    while not marker.exists():
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(
                f"process ended before its pause (exit {process.returncode}):\n{out}\n{err}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("process never reached its pause point")
        time.sleep(0.05)


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILL: no cleanup handler, no rollback by the process itself."""
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=RUN_TIMEOUT)
    assert process.returncode == -signal.SIGKILL


def dump(db_url: str, skip: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (sorted), read from a fresh engine in one snapshot.

    `skip` names columns to leave out (e.g. ids and timestamps when comparing with another
    database)."""
    engine = make_engine(db_url)
    metadata = MetaData()
    metadata.reflect(engine)
    result = {}
    with read_snapshot(engine) as session:
        for name, table in sorted(metadata.tables.items()):
            columns = [c for c in table.columns if c.name not in skip]
            rows = session.execute(select(*columns)).all()
            result[name] = sorted((tuple(r) for r in rows), key=repr)
    engine.dispose()
    return result
