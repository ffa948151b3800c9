"""Writing output files safely: never clobber without --force, never leave half a file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from planner.errors import PlannerError
from planner.testhooks import pause


@contextmanager
def writable(path: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it into place only when the body succeeds."""
    path = Path(path)
    if path.exists() and not force:
        raise PlannerError(f"{path} already exists; use --force to overwrite it")
    if not path.parent.exists():
        raise PlannerError(f"{path.parent} does not exist")
    handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        pause("IN_WRITE")  # the new file is complete but not in place: crash tests kill here
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
