"""The database engine, units of work and migrations."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

MIGRATIONS = Path(__file__).resolve().parent.parent / "models" / "migrations"
PING_AFTER_IDLE_SECONDS = 5.0  # a pooled PostgreSQL connection idle this long is tested before it is used


def normalize_url(url: str) -> str:
    """Accept the usual postgresql:// spelling and use the psycopg 3 driver for it."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_SECONDS,
                                                  "factory": _GatedConnection})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20)
    event.listen(engine, "connect", _note_idle)
    event.listen(engine, "checkin", _note_idle)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


def _note_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Pessimistic disconnect handling, for connections that sat in the pool only.

    A ping on every checkout (SQLAlchemy's pool_pre_ping) is a round trip per transaction: a fifth of
    a progress report's statements. A connection in steady use is not pinged: if the server went away
    meanwhile, the statement fails, the pool is invalidated, and the caller's retry gets a new one."""
    if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()  # no transaction left open: isolation levels can still be set
    except Exception as error:
        raise exc.DisconnectionError(f"pooled connection is gone: {error}") from error


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the web app, workers and a CLI command in another process share the file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# --- SQLite: one writer at a time in this process, waiting on a lock rather than in SQLite's busy handler ---

BUSY_SECONDS = 30
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN", "SAVEPOINT", "CREATE", "DROP", "ALTER")
_OPENS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")  # statements that start a transaction (legacy mode)
_gates: dict[str, _WriteGate] = {}
_gates_lock = threading.Lock()


class _WriteGate:
    """The write lock of one SQLite file, for the threads of this process.

    SQLite lets one transaction write at a time; a writer that finds the file locked sleeps in its
    busy handler (1, 2, 5, 10 … 100 ms steps), so threads that write concurrently (the inbound
    writer, delivery workers, the relay) lose most of their time asleep while the file is free.
    Taking this lock before a transaction's first write makes them queue and wake as soon as the
    previous writer commits. Another process still meets SQLite's own lock and busy timeout.
    """

    def __init__(self) -> None:
        # Served in turn (a ticket lock): a writer that just let go cannot take it straight back while
        # others wait, so the WeCom callback's short store transactions are not starved by long batches.
        self._turn = threading.Condition()
        self._next = 0  # the next ticket handed out
        self._serving = 0  # the ticket that holds the lock
        self._abandoned: set[int] = set()
        self._holder: int | None = None  # thread that holds it

    def take(self) -> bool:
        """Wait for the lock; False (go on without it) when this thread already holds it through another
        connection, where waiting would never end, or after BUSY_SECONDS, as SQLite would."""
        me = threading.get_ident()
        with self._turn:
            if self._holder == me:
                return False
            ticket, self._next = self._next, self._next + 1
            if not self._turn.wait_for(lambda: self._serving == ticket, BUSY_SECONDS):
                self._abandoned.add(ticket)
                return False
            self._holder = me
            return True

    def give(self) -> None:
        with self._turn:
            self._holder = None
            self._serving += 1
            while self._serving in self._abandoned:
                self._abandoned.discard(self._serving)
                self._serving += 1
            self._turn.notify_all()


class _GatedCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        connection: _GatedConnection = self.connection  # type: ignore[assignment]
        connection.before(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            connection.after()

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        connection: _GatedConnection = self.connection  # type: ignore[assignment]
        connection.before(sql)
        try:
            return super().executemany(sql, parameters)
        finally:
            connection.after()


class _GatedConnection(sqlite3.Connection):
    """A sqlite3 connection that holds its file's _WriteGate from its first write until commit or rollback."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        key = str(Path(database).resolve()) if database not in ("", ":memory:") and "mode=memory" not in database \
            else f"memory:{id(self)}"
        with _gates_lock:
            self._gate = _gates.setdefault(key, _WriteGate())
        self._held = False

    def cursor(self, factory: Any = _GatedCursor) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory)

    def before(self, sql: str) -> None:
        if self.in_transaction:
            return
        word = sql.lstrip()[:9].upper()
        if not self._held and word.startswith(_WRITES):
            self._held = self._gate.take()
        if word.startswith(_OPENS) and self.isolation_level is not None:
            # The transaction takes the file's write lock at its first statement, not at its first write to the
            # main database: one that first writes a temporary table (an import's staging) or opens a savepoint,
            # then reads, would otherwise hold a read snapshot, and upgrading it after another process committed
            # fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT; the busy timeout never applies).
            sqlite3.Cursor(self).execute("BEGIN IMMEDIATE")

    def after(self) -> None:
        if self._held and not self.in_transaction:  # autocommit statement, or it failed before BEGIN
            self._release()

    def _release(self) -> None:
        if self._held:
            self._held = False
            self._gate.give()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()


def one_snapshot(connection: Connection) -> None:
    """Make the reads of `connection`, until it ends, see the database as of one moment (an export's sheets
    agree with each other while other processes write). Call before its first statement. PostgreSQL:
    REPEATABLE READ; SQLite: a deferred BEGIN, sent past the write gate since it writes nothing (the snapshot
    starts at the first read and holds in WAL mode without blocking writers)."""
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="REPEATABLE READ")
    elif connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
            sqlite3.Cursor(raw).execute("BEGIN")


def begin_write(session: Session) -> None:
    """Open the session's transaction for writing at once (SQLite: BEGIN IMMEDIATE, so a transaction that
    reads first cannot fail on upgrading its lock; also the start savepoints need). No-op elsewhere."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def alembic_config(engine: Engine):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def schema_revisions(engine: Engine) -> tuple[set[str], set[str]]:
    """(the database's migration revisions, the newest ones the code knows): equal when `pairbot init` is done."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration; safe to run again."""
    from alembic import command

    command.upgrade(alembic_config(engine), "head")


@contextmanager
def taking_turns(engine: Engine, name: str, waiting: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Hold the installation-wide lock `name` for the block, waiting while another process holds it.

    For commands that must not interleave with a copy of themselves in another process (two `pairbot
    import` of one file would each find the other's rows half-written: on PostgreSQL one refused rows as
    “already bound”). PostgreSQL: a session advisory lock on a connection of its own; SQLite: an
    exclusive `flock` on a file beside the database. The lock dies with the process. `waiting` is called
    once when the lock is not free at once (to say so)."""
    if engine.dialect.name == "postgresql":
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar():
                waiting()
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        return
    database = engine.url.database or ""
    lock = Path(database).resolve().with_name(Path(database).name + f".{name}.lock") if database else None
    if lock is None or database == ":memory:" or "mode=memory" in database or not lock.parent.is_dir():
        yield  # nothing to share, or no folder for the database: opening it says what is wrong
        return
    import fcntl

    with open(lock, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            waiting()
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield
