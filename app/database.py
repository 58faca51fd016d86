"""The database: engine, session factory and the per-request unit of work.

SQLite is the embedded default and PostgreSQL the scale-out choice; the code
is the same for both. SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE``
for write transactions, so concurrent gunicorn workers queue for the write
lock instead of failing with "database is locked" when a read transaction
tries to upgrade itself to a write.

Durable writes (the arrays' state) are on disk when their commit returns:
PostgreSQL's ``synchronous_commit``; on SQLite, a sync of the write-ahead log
right after the commit, outside the write lock (``_sync_file``). Lazy writes
(bookkeeping: the request journal, a session's last use) skip the wait: on
PostgreSQL ``synchronous_commit=off``, on SQLite no sync.

The files SQLite creates (the database, its ``-wal`` and ``-shm``) are the
owner's only (``0600``), and so is the folder mockarray makes for them
(``private_dir``, ``0700``): they hold password hashes and session token hashes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from mockarray.turns import turn_given_up

#: Execution option naming a transaction that will write.
WRITE_OPTION = "mockarray_write"
#: Execution option naming a write transaction whose commit need not wait for
#: the disk (bookkeeping such as the request journal, never the arrays' state).
LAZY_OPTION = "mockarray_lazy_commit"
#: Where a session finds the clock of the arrays (``mockarray.array.clock``).
CLOCK_KEY = "mockarray.clock"


class Database:
    """An engine with two session factories: read transactions and write ones."""

    def __init__(
        self,
        url: str,
        *,
        sqlite_busy_timeout_ms: int = 30000,
        echo: bool = False,
        clock: object | None = None,
    ):
        self.url = make_url(url)
        #: The arrays' clock every session of this database reads (``None``: real time).
        self.clock = clock
        info = {CLOCK_KEY: clock} if clock is not None else {}
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.engine = _make_engine(url, self.is_sqlite, sqlite_busy_timeout_ms, echo)
        #: Every engine (connection pool) of this database.
        self.engines = (self.engine,)
        self._reader = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._writer = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}),
            expire_on_commit=False,
            info=info,
        )
        self._lazy_writer = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True, LAZY_OPTION: True}),
            expire_on_commit=False,
            info=info,
        )
        self._bookkeeper = self.engine.execution_options(**{WRITE_OPTION: True, LAZY_OPTION: True})
        wal = _wal_path(self.url) if self.is_sqlite else None
        if wal is not None:
            # A durable commit is on disk before the call is answered (see _sync_file).
            event.listen(self._writer, "after_commit", lambda _session: _sync_file(wal))

    def session(self, *, write: bool, durable: bool = True) -> Session:
        """A new session; ``write=True`` takes the write lock first on SQLite.

        A write session with ``durable=False`` commits without waiting for the
        disk: what it wrote may be lost in a power cut, never half-written.
        """
        if not write:
            return self._reader()
        return (self._writer if durable else self._lazy_writer)()

    @contextmanager
    def transaction(self, *, write: bool = True, durable: bool = True) -> Iterator[Session]:
        """One unit of work outside a request (CLI, tests): commit or roll back."""
        session = self.session(write=write, durable=durable)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def bookkeeping(self) -> Iterator[Connection]:
        """A short lazy write transaction (see ``session``) on a plain connection,
        committed at the end of the block: for bookkeeping a read makes (the request
        journal), cheaper than an ORM session for a statement or two."""
        with self._bookkeeper.begin() as connection:
            yield connection

    def dispose(self) -> None:
        for engine in self.engines:
            engine.dispose()


#: What the pool does to a connection given back: nothing. Every session ends its
#: transaction (commit, or rollback on close) before it gives its connection back;
#: the pool's own rollback would be a second one on every call.
RESET_ON_RETURN = None

#: Mode of the folders mockarray makes for its data (database, logs).
PRIVATE_DIR_MODE = 0o700
#: What a new file SQLite makes may grant: nothing to the group or others.
PRIVATE_UMASK = 0o077


def private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) if it is missing, readable by the owner
    only; an existing folder is left as it is."""
    if not path.is_dir():
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        path.chmod(PRIVATE_DIR_MODE)
    return path


@contextmanager
def private_files() -> Iterator[None]:
    """Files created meanwhile are the owner's only (the umask is the process's)."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def _wal_path(url) -> str | None:
    """The write-ahead log of a SQLite database file (``None`` in memory)."""
    if url.database in (None, "", ":memory:"):
        return None
    return f"{url.database}-wal"


def _sync_file(path: str) -> None:
    """Wait until ``path`` is on disk (``fdatasync``).

    SQLite commits with ``synchronous=NORMAL``: a commit appends the
    transaction to the write-ahead log and lets the write lock go at once,
    without waiting for the disk. A durable commit then syncs the log itself,
    outside the lock: the whole log as written so far, this commit's frames
    included, is on disk when this returns, which is what ``synchronous=FULL``
    promises at commit, while the other workers write meanwhile (and one sync
    covers every commit written before it). A log emptied by a checkpoint
    meanwhile was synced into the database file first (``NORMAL`` syncs at
    every checkpoint).
    """
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:  # the last connection closed: checkpointed and synced
        return
    try:
        with turn_given_up():  # the worker's other requests run meanwhile
            os.fdatasync(descriptor)
    finally:
        os.close(descriptor)


def _locked(reason: str) -> exc.OperationalError:
    """A write transaction that could not begin (the lock not had within the busy
    timeout, or SQLite's own error), as SQLAlchemy reports a database error, so
    that the call is answered 503 ("busy, retry"): raised where SQLAlchemy
    begins a transaction, which does not wrap it itself."""
    return exc.OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError(reason))


def _begin_immediate(dbapi_connection, busy_timeout_ms: int) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock in short steps.

    SQLite's own busy handler sleeps 1, 2, 5, 10 ms… between tries: a worker
    that finds the lock taken would idle long after it is free. This tries
    again after 0.1 ms, then less and less often (at most every 5 ms), for as
    long as the busy timeout; while it waits, the worker's other requests run.
    """
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + busy_timeout_ms / 1000
        pause = 0.0001
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                busy = "locked" in str(error) or "busy" in str(error)
                if not busy or time.monotonic() + pause > deadline:
                    raise
            with turn_given_up():
                time.sleep(pause)
            pause = min(pause * 1.5, 0.005)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")


#: Pages the write-ahead log grows by before a commit copies them back into the
#: database file (SQLite's default is 1,000). A call's commit writes about seven
#: pages, mostly the same few (the tails of the snapshot and journal tables, their
#: indexes), so a checkpoint every 10,000 pages copies each of those once where ten
#: checkpoints would copy it ten times, and syncs the database file a tenth as
#: often: 6-8 % more snapshot creates a second in alternating runs on the server,
#: less than run_compare.sh can tell (benchmarks/README.md, fifth round). The log
#: grows to about 40 MB between checkpoints.
WAL_AUTOCHECKPOINT_PAGES = 10_000

#: Set on a connection whose thread holds its worker's turn to write (SQLite).
_HOLDS_WRITE_TURN = "mockarray.write_turn"


def _make_engine(url: str, is_sqlite: bool, busy_timeout_ms: int, echo: bool) -> Engine:
    if not is_sqlite:
        engine = create_engine(
            url, echo=echo, pool_pre_ping=True, pool_reset_on_return=RESET_ON_RETURN
        )

        @event.listens_for(engine, "begin")
        def _on_begin_server(connection):
            if connection.get_execution_options().get(LAZY_OPTION):
                connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")

        return engine

    engine = create_engine(
        url,
        echo=echo,
        connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
        pool_reset_on_return=RESET_ON_RETURN,
    )

    @event.listens_for(engine, "do_connect")
    def _connect_privately(dialect, _record, cargs, cparams):
        # Opening a missing database creates it: the owner's only.
        with private_files():
            return dialect.connect(*cargs, **cparams)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's
        # implicit, deferred transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if make_url(url).database not in (None, "", ":memory:"):
            # The -wal and -shm files are made here (and later with the database's mode).
            with private_files():
                cursor.execute("PRAGMA journal_mode=WAL")
            # NORMAL: a commit does not wait for the disk; a durable one syncs the
            # log after it, outside the write lock (_sync_file). Checkpoints sync.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    # The threads of a worker (gthread) take turns to write: only one at a time
    # waits for SQLite's write lock, the others sleep on this one instead of
    # polling the database (and taking the interpreter from the thread that
    # holds the lock).
    write_turn = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        raw = connection.connection.driver_connection
        if not connection.get_execution_options().get(WRITE_OPTION):
            raw.execute("BEGIN")
            return
        acquired = write_turn.acquire(blocking=False)
        if not acquired:
            # Waiting, the thread lets the worker's other requests run (its reads answer
            # while another process writes), the one that holds the write turn included.
            with turn_given_up():
                acquired = write_turn.acquire(timeout=busy_timeout_ms / 1000)
        if not acquired:
            raise _locked("database is locked (by another thread of this worker)")
        connection.info[_HOLDS_WRITE_TURN] = True
        try:
            _begin_immediate(raw, busy_timeout_ms)
        except sqlite3.OperationalError as error:
            _end_write_turn(connection)
            raise _locked(str(error)) from error
        except BaseException:
            _end_write_turn(connection)
            raise

    def _end_write_turn(connection) -> None:
        if connection.info.pop(_HOLDS_WRITE_TURN, False):
            write_turn.release()

    event.listen(engine, "commit", _end_write_turn)
    event.listen(engine, "rollback", _end_write_turn)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        # A connection given back (or thrown away) with its transaction never ended.
        if record is not None and record.info.pop(_HOLDS_WRITE_TURN, False):
            write_turn.release()

    return engine


def is_missing_schema(error: Exception) -> bool:
    """Whether a database error says a table is missing: the database was never
    migrated (or is older than the code), as opposed to locked or unreachable.

    SQLite says ``no such table``; PostgreSQL answers SQLSTATE 42P01
    (undefined_table).
    """
    original = getattr(error, "orig", error)
    if getattr(original, "sqlstate", None) == "42P01":
        return True
    return "no such table" in str(original).lower()
