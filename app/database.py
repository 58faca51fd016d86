"""The database: engine, session factory and the per-request unit of work.

SQLite is the embedded default and PostgreSQL the scale-out choice; the code
is the same for both. SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE``
for write transactions, so concurrent gunicorn workers queue for the write
lock instead of failing with "database is locked" when a read transaction
tries to upgrade itself to a write.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

#: Execution option naming a transaction that will write.
WRITE_OPTION = "mockarray_write"


class Database:
    """An engine with two session factories: read transactions and write ones."""

    def __init__(self, url: str, *, sqlite_busy_timeout_ms: int = 30000, echo: bool = False):
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.engine = _make_engine(url, self.is_sqlite, sqlite_busy_timeout_ms, echo)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )

    def session(self, *, write: bool) -> Session:
        """A new session; ``write=True`` takes the write lock first on SQLite."""
        return (self._writer if write else self._reader)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work outside a request (CLI, tests): commit or roll back."""
        session = self.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, is_sqlite: bool, busy_timeout_ms: int, echo: bool) -> Engine:
    if not is_sqlite:
        return create_engine(url, echo=echo, pool_pre_ping=True)

    engine = create_engine(
        url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's
        # implicit, deferred transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if make_url(url).database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: an answered call is on disk even after a power cut.
            cursor.execute("PRAGMA synchronous=FULL")
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
