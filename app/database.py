"""The database: engine, session factory and the per-request unit of work.

SQLite is the embedded default and PostgreSQL the scale-out choice; the code
is the same for both. SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE``
for write transactions, so concurrent gunicorn workers queue for the write
lock instead of failing with "database is locked" when a read transaction
tries to upgrade itself to a write.

The files SQLite creates (the database, its ``-wal`` and ``-shm``) are the
owner's only (``0600``), and so is the folder mockarray makes for them
(``private_dir``, ``0700``): they hold password hashes and session token hashes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

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
        # SQLite sets "synchronous" per connection: lazy commits get a pool of their own.
        lazy_engine = (
            _make_engine(url, True, sqlite_busy_timeout_ms, echo, synchronous="NORMAL")
            if self.is_sqlite
            else self.engine
        )
        #: Every engine (connection pool) of this database.
        self.engines = tuple(dict.fromkeys((self.engine, lazy_engine)))
        self._reader = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._writer = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}),
            expire_on_commit=False,
            info=info,
        )
        self._lazy_writer = sessionmaker(
            lazy_engine.execution_options(**{WRITE_OPTION: True, LAZY_OPTION: True}),
            expire_on_commit=False,
            info=info,
        )

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


def _make_engine(
    url: str, is_sqlite: bool, busy_timeout_ms: int, echo: bool, *, synchronous: str = "FULL"
) -> Engine:
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
            # FULL: an answered call is on disk even after a power cut. NORMAL (lazy
            # commits: bookkeeping) commits without an fsync; WAL checkpoints still sync.
            cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")

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
