"""Hooks for the crash and concurrency tests; inert unless their environment variables are set."""

from __future__ import annotations

import os
import time
from pathlib import Path


def pause(name: str) -> None:
    """Wait up to PLANNER_TEST_PAUSE_<NAME> seconds, if set, at a point inside a transaction or
    write.

    Only tests set it: they SIGKILL or race a real process while it holds half-written work
    (IN_IMPORT, IN_PLAN_STORE, IN_WRITE). PLANNER_TEST_PAUSE_MARKER names a file created when
    the pause starts, so a test knows the moment has come; the pause ends early once the file
    PLANNER_TEST_PAUSE_RELEASE exists, so a test decides when the process goes on.
    """
    seconds = os.environ.get(f"PLANNER_TEST_PAUSE_{name}")
    if not seconds:
        return
    marker = os.environ.get("PLANNER_TEST_PAUSE_MARKER")
    if marker:
        Path(marker).touch()
    release = os.environ.get("PLANNER_TEST_PAUSE_RELEASE")
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        if release and Path(release).exists():
            return
        time.sleep(0.05)
