"""Database location, engine, schema migrations and transactions.

The default is an embedded SQLite file (`planner.db` in the working directory);
`--db URL` or `PLANNER_DB` selects another file or a PostgreSQL server. The schema is
owned by Alembic migrations from the first release, so a user's database survives
upgrades: `open_database` upgrades a database this program created, and refuses one
that a newer program wrote.
"""

from __future__ import annotations

import atexit
import hashlib
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlmodel import Session, create_engine

from planner import models  # noqa: F401  (registers the tables)
from exports.errors import NoDatabase, PlannerError

T = TypeVar("T")

DEFAULT_DB = "planner.db"
MIGRATIONS = Path(__file__).parent / "migrations"


#: What `--db` accepts, for every message about a value it cannot use.
HOW_TO_NAME = (
    "give a SQLite file path (e.g. planner.db), sqlite:///PATH, or "
    "postgresql://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode @ : / % in the password)"
)

#: Spellings of PostgreSQL that mean planner's driver, psycopg 3.
_POSTGRES = {"postgresql", "postgres", "postgresql+psycopg", "postgres+psycopg"}
_SQLITE = {"sqlite", "sqlite+pysqlite"}


def database_url(db: str | None = None) -> str:
    """Turn `--db` / `PLANNER_DB` / the default into an SQLAlchemy URL, or one sentence.

    Why so strict: a URL reaches SQLAlchemy, Alembic and the drivers, whose own errors for a
    bad one are tracebacks that may quote the password. Here every unusable value is named
    with its password masked, and the accepted forms are stated.
    """
    value = (db or os.environ.get("PLANNER_DB") or DEFAULT_DB).strip()
    if "\x00" in value:
        raise PlannerError(f"the database path or URL contains a NUL character; {HOW_TO_NAME}")
    if "://" not in value:
        return _sqlite_file(value)
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        raise PlannerError(
            f"the database URL {_scheme_only(value)} is malformed (is the port a number, "
            f"and are @ : / % in the password percent-encoded?); {HOW_TO_NAME}"
        ) from None
    if url.drivername in _POSTGRES:
        if value.count("@") > 1 or "@" in (url.host or "") or "@" in (url.database or ""):
            raise PlannerError(
                f"the database URL {_scheme_only(value)} is malformed (percent-encode @ in the "
                f"password as %40); {HOW_TO_NAME}"
            )
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if url.drivername in _SQLITE:
        if not url.database or url.database == ":memory:" or "memory" in str(url.query.get("mode")):
            raise PlannerError(
                f"the database URL {_scheme_only(value)} names an in-memory database, which keeps "
                "nothing between commands; give a file path"
            )
        return _sqlite_file(url.database)
    backend = url.get_backend_name()
    if backend in {"postgresql", "postgres"}:
        raise PlannerError(
            f"the database URL {_scheme_only(value)} asks for the driver "
            f"{url.get_driver_name()!r}; "
            f"planner uses psycopg 3: write postgresql://… or postgresql+psycopg://…"
        )
    raise PlannerError(
        f"the database URL {_scheme_only(value)} is for {backend!r}, "
        f"which planner does not support; {HOW_TO_NAME}"
    )


def _sqlite_file(value: str) -> str:
    """A SQLite file path as a URL that round-trips any character (`%`, `?`, `#`, spaces)."""
    if value in {"", ":memory:"} or value.startswith("file:"):
        raise PlannerError(
            f"the database {value!r} is not a file path (an in-memory database keeps nothing "
            f"between commands); {HOW_TO_NAME}"
        )
    path = Path(value).expanduser().resolve()
    return URL.create("sqlite", database=str(path)).render_as_string(hide_password=False)


def _scheme_only(value: str) -> str:
    """A URL that is refused, as shown in the refusal: which part of a malformed URL is the
    password cannot be known, so only the scheme is repeated (the sentence says the rest)."""
    return f"{value.partition('://')[0][:40]}://…"


def mask_url(value: str) -> str:
    """`value` as it may be shown: without its password, whatever the user typed.

    A URL that parses is rendered with `***` for the password and for any `password=` query
    parameter (libpq accepts one). One that does not parse, or parses into a host or
    database holding `@` (an unencoded `@` in the password shifts the split), is shown as its
    scheme only: which part is the password cannot be known then.
    """
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        return f"{value.partition('://')[0]}://…"
    if value.count("@") > 1:  # an unencoded @ in the password: where it ends is unknown
        return f"{url.drivername}://…"
    shown = url.render_as_string(hide_password=True)
    return re.sub(r"(?i)(password=)[^&]*", r"\1***", shown)


def make_engine(url: str) -> Engine:
    """An engine with the SQLite settings a multi-process tool needs (WAL, FK checks, waits)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": _lock_wait()})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # pysqlite's own transaction handling is off so that BEGIN IMMEDIATE below works.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # Writers (`transaction`, migrations) take the write lock at the start: two writers
            # queue instead of deadlocking. Everything else reads in a deferred transaction,
            # which in WAL mode sees the state at its first read for its whole life and never
            # waits for (or blocks) a writer.
            if conn.get_execution_options().get(_WRITE_OPTION):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


_WRITE_OPTION = "planner_write"


def _lock_wait() -> float:
    """Seconds a command waits for another command's lock before giving up with a message
    (`PLANNER_LOCK_WAIT`, default 60): long enough to queue behind an import, short enough
    that a command stuck behind a forgotten session does not hang a scheduled job."""
    text = os.environ.get("PLANNER_LOCK_WAIT", "60")
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= 86_400:  # nan and inf too: no lock wait is endless
        raise PlannerError(
            f"PLANNER_LOCK_WAIT must be a number of seconds from 0 to 86400, got {text!r}"
        )
    return max(0.1, seconds)


def alembic_config(engine: Engine) -> Config:
    """Alembic's configuration, with the engine handed over in `attributes`.

    Why not `sqlalchemy.url`: Alembic's options go through ConfigParser interpolation, so a
    `%` (a percent-encoded password, a SQLite path) broke it with a message that quoted the
    whole URL, password included. The script location is escaped for the same reason.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: this program's newest)."""
    command.upgrade(alembic_config(writer(engine)), revision)


def open_database(
    db: str | None = None, *, create: bool = True, notify: Callable[[str], None] | None = None
) -> Engine:
    """Open the database, creating or upgrading its schema; refuse a newer one.

    An older schema is upgraded in place (migrations are transactional); `notify` hears one
    sentence about it, so that a user sees their shared database change version.
    """
    engine = make_engine(database_url(db))
    current = _read_revision(engine)
    script = ScriptDirectory.from_config(alembic_config(engine))
    known = {rev.revision for rev in script.walk_revisions()}
    head = script.get_current_head()
    if current is not None and current not in known:
        raise PlannerError(
            f"the database {shown_url(engine)} was written by a newer version of planner "
            f"(schema {current}); upgrade planner before using it"
        )
    if current != head:
        if current is None and not create:
            raise NoDatabase(f"no planner database at {shown_url(engine)}")
        with _schema_lock(engine):
            current = _read_revision(engine)  # another process may have migrated meanwhile
            if current is None:
                current = _refuse_foreign_tables(engine)
            if current != head:
                if current is not None and notify:
                    notify(
                        f"the database schema {current} is older than this program's {head}; "
                        "upgrading it"
                    )
                _retry_locked(lambda: upgrade(engine), engine)
    return engine


def shown_url(engine: Engine) -> str:
    """The engine's URL for messages: never with its password."""
    return mask_url(engine.url.render_as_string(hide_password=False))


def _read_revision(engine: Engine) -> str | None:
    """The schema version, or one sentence for a database that cannot be read."""
    try:
        return _retry_locked(lambda: current_revision(engine), engine)
    except Exception as exc:  # driver errors: unreachable server, not a database, …
        raise PlannerError(
            f"cannot open database {shown_url(engine)}: {_first_line(exc)}{_sqlite_hint(engine)}"
        ) from exc


def _refuse_foreign_tables(engine: Engine) -> str | None:
    """A database with tables but no schema version was not made by planner (or lost its
    `alembic_version`): creating the schema there would fail half-way or mix data.
    Returns the schema version after all when another planner created the schema between
    the caller's read and this one (on SQLite, whose migrations need no schema lock, one
    of three simultaneous first imports saw the new tables with its stale version)."""
    tables = sorted(inspect(engine).get_table_names())
    if tables:
        current = _read_revision(engine)  # the tables and the version come in one commit
        if current is not None:
            return current
        listed = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise PlannerError(
            f"the database {shown_url(engine)} has tables ({listed}) but no planner schema "
            "version, so planner will not write to it; use an empty database or a new file"
        )
    return None


#: Session-level advisory lock key that serialises schema creation and upgrades on PostgreSQL.
_SCHEMA_LOCK = int.from_bytes(
    hashlib.sha256(b"planner schema migrations").digest()[:8], "big", signed=True
)


@contextmanager
def _schema_lock(engine: Engine) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock for migrations, so that several first commands on an
    empty database take turns: the first creates the schema, the others find it done.
    Without it, two of three concurrent first imports died on `CREATE TABLE alembic_version`.
    SQLite needs nothing: its migrations already run under BEGIN IMMEDIATE."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        try:
            connection.execute(text(f"SET lock_timeout = {int(_lock_wait() * 1000)}"))
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _SCHEMA_LOCK})
            connection.commit()
        except OperationalError as exc:
            raise PlannerError(
                f"the database {shown_url(engine)} is busy: another planner command has been "
                f"upgrading its schema for over {_lock_wait():g} s; "
                "try again when it is done"
            ) from exc
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _SCHEMA_LOCK})
            connection.commit()


def _sqlite_hint(engine: Engine) -> str:
    """The usual cause of SQLite's bare "unable to open database file": a missing folder."""
    path = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not path or path == ":memory:":
        return ""
    folder = Path(path).expanduser().absolute().parent
    return "" if folder.is_dir() else f" (the folder {folder} does not exist; create it first)"


def open_database_or_scratch(
    db: str | None = None, *, notify: Callable[[str], None] | None = None
) -> Engine:
    """The planner database at `db` if there is one; otherwise an empty throwaway SQLite one.

    Why: a dry run promises to write nothing, and opening a database that does not exist
    yet would create it (SQLite creates the file on connect; `open_database` then writes
    the schema). Against an empty scratch database the dry run still reports what a real
    import would create. The scratch directory is removed when the process exits.
    """
    url = make_url(database_url(db))
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        if (
            not path.exists() or path.stat().st_size == 0
        ):  # SQLite takes an empty file as a new database
            return _scratch()
    try:
        return open_database(db, create=False, notify=notify)
    except NoDatabase:
        return _scratch()


def _scratch() -> Engine:
    folder = tempfile.mkdtemp(prefix="planner-scratch-")
    engine = open_database(str(Path(folder) / "scratch.db"))

    def remove() -> None:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)
    return engine


def _retry_locked(read: Callable[[], T], engine: Engine) -> T:
    """`read()`, retried for up to `_lock_wait()` seconds while SQLite says "database is locked".

    Why: SQLite's busy timeout covers waiting for another writer's lock, but in a few
    situations it answers "locked" at once instead (to avoid a deadlock, or while another
    process checkpoints or recovers the write-ahead log as it opens or closes the file).
    Opening the database is where several planner commands meet (a scheduled import and
    a plan started together), and a command should queue there, not fail.
    """
    deadline = time.monotonic() + _lock_wait()
    delay = 0.05
    while True:
        try:
            return read()
        except OperationalError as exc:
            if (
                engine.dialect.name != "sqlite"
                or "database is locked" not in str(exc)
                or time.monotonic() > deadline
            ):
                raise
        time.sleep(delay)
        delay = min(2 * delay, 1.0)


def writer(engine: Engine) -> Engine:
    """The engine as a writer: on SQLite its transactions start with BEGIN IMMEDIATE."""
    return engine.execution_options(**{_WRITE_OPTION: True})


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One all-or-nothing unit of work: commit on success, roll back on any error."""
    with Session(writer(engine), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except DBAPIError as exc:
            session.rollback()
            if _is_read_only(exc):
                raise PlannerError(
                    f"the database {shown_url(engine)} is read-only for this user; "
                    "nothing was written"
                ) from exc
            if not isinstance(exc, OperationalError):
                raise
            if (
                "database is locked" in str(exc)
                or getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE
            ):
                raise PlannerError(
                    f"the database is busy: another planner command has been writing to it for "
                    f"over {_lock_wait():g} s; nothing was written, try again when it is done "
                    f"(PLANNER_LOCK_WAIT sets how long to wait)"
                ) from exc
            raise
        except BaseException:
            session.rollback()
            raise


def _is_read_only(exc: DBAPIError) -> bool:
    """SQLite's "attempt to write a readonly database"; PostgreSQL's read-only transaction
    (25006, e.g. a standby or `default_transaction_read_only`) or missing privilege (42501)."""
    return "readonly database" in str(exc) or getattr(exc.orig, "sqlstate", None) in {
        "25006",
        "42501",
    }


#: SQLSTATE classes of PostgreSQL that describe the server or its machine, not the program:
#: connection (08), insufficient resources such as a full disk (53), operator intervention
#: (57), system errors (58), read-only transaction (25006), missing privilege (42501).
_ENVIRONMENT_STATES = ("08", "53", "57", "58", "25006", "42501")


def environment_failure(exc: BaseException) -> str | None:
    """One sentence for a database error the user's environment caused, else None (a bug)."""
    if not isinstance(exc, DBAPIError):
        return None
    state = getattr(exc.orig, "sqlstate", None) or ""
    if not isinstance(exc, OperationalError) and not state.startswith(_ENVIRONMENT_STATES):
        return None
    reason = str(exc.orig or exc).strip().splitlines()
    return (
        f"the database failed: {reason[0] if reason else type(exc).__name__}; nothing was written"
    )


def require_writable(engine: Engine) -> None:
    """Refuse, before any work, a SQLite database this user cannot write (the file or its
    folder, where SQLite keeps its write-ahead log): a plan computed for minutes should not
    then fail to be stored. Other servers say so when the transaction writes."""
    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path:
        return
    file = Path(path)
    for target in (file, file.parent):
        if target.exists() and not os.access(target, os.W_OK):
            raise PlannerError(
                f"the database {file} is read-only for this user ({target} cannot be "
                "written); nothing was computed or written"
            )


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Session]:
    """One read-only transaction that sees a single committed state of the whole database.

    PostgreSQL: REPEATABLE READ, READ ONLY. SQLite: a deferred transaction in WAL mode.
    Either way a concurrent import is seen completely or not at all, and the reader never
    waits for it.
    """
    if engine.dialect.name == "sqlite":
        bound = engine
    else:
        bound = engine.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
    with Session(bound, expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


_LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE when lock_timeout expires


def lock_keys(session: Session, keys: Iterable[str]) -> None:
    """Serialise writers that touch the same keys (e.g. municipality names) until commit.

    SQLite already serialises every writer with BEGIN IMMEDIATE. On PostgreSQL two imports
    of different municipalities run side by side, while two imports of the same one queue:
    the second then reads what the first committed, so the result is one whole version.
    Keys are locked in sorted order, so two multi-file imports cannot deadlock.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text(f"SET LOCAL lock_timeout = {int(_lock_wait() * 1000)}"))  # milliseconds
    for key in sorted(set(keys)):
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
