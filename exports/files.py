"""Writing output files safely: never clobber without --force, never leave half a file."""

from __future__ import annotations

import os
import re
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from exports.errors import PlannerError
from exports.testhooks import pause


@contextmanager
def writable(path: Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it into place only when the body succeeds."""
    path = Path(path)
    if path.is_dir():
        raise PlannerError(f"{path} is a folder; give a file name")
    if path.exists() and not force:
        raise PlannerError(f"{path} already exists; use --force to overwrite it")
    if not path.parent.exists():
        raise PlannerError(f"{path.parent} does not exist")
    try:
        _remove_stale(path)
        handle, name = tempfile.mkstemp(
            prefix=f".{path.stem}.{_OWNER}-", suffix=path.suffix, dir=path.parent
        )
        os.close(handle)
    except OSError as exc:
        raise PlannerError(
            f"cannot write {path}: {exc.strerror or exc}; nothing was written"
        ) from None
    tmp = Path(name)
    os.chmod(tmp, _normal_mode())  # mkstemp makes 0600; the file is for the project's readers
    try:
        yield tmp
        pause("IN_WRITE")  # the new file is complete but not in place: crash tests kill here
        os.replace(tmp, path)
    except OSError as exc:  # a full or read-only disk, a quota: the old file stays as it was
        raise PlannerError(
            f"cannot write {path}: {exc.strerror or exc}; nothing was written"
        ) from None
    finally:
        if tmp.exists():
            tmp.unlink()


_OWNER = f"{socket.gethostname()}-{os.getpid()}"


def _normal_mode() -> int:
    """The mode a plain `open(path, "w")` would give: 0666 less the user's umask.

    Why: the temporary file of mkstemp is private (0600), and renaming it into place kept that
    mode, so a workbook written to a shared drive was unreadable to the project managers it
    was written for. The umask can only be read by setting it, so it is set back at once.
    """
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _remove_stale(path: Path) -> None:
    """Delete temporary files that a killed earlier write of `path` left behind.

    Why: SIGKILL (or a power cut) skips the cleanup above, and the hidden file would stay
    beside the user's target for ever. A temporary file names its host and process; it is
    stale when that host is this one and the process is gone. Files of other hosts (a
    shared folder) or of running processes are left alone.
    """
    pattern = re.compile(
        rf"\.{re.escape(path.stem)}\.{re.escape(socket.gethostname())}-(\d+)-[^.]+"
        rf"{re.escape(path.suffix)}"
    )
    for candidate in path.parent.glob(f".{path.stem}.*{path.suffix}"):
        match = pattern.fullmatch(candidate.name)
        if match and not _alive(int(match.group(1))):
            candidate.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
