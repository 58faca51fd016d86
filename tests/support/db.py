"""The test database, and what only the database knows: row counts, content
fingerprints, migrations, the SQL sent."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from mockarray.array.models import Base, Volume
from mockarray.database import Database
from mockarray.migrate import alembic_config

#: Names a PostgreSQL server to run the tests on (``make test-postgres``).
TEST_DATABASE_URL = "MOCKARRAY_TEST_DATABASE_URL"
#: How the lab is driven, not what it holds: the journal grows with every API call.
LAB_CONTROL_TABLES = {"journal_entry", "fault_rule", "checkpoint", "lab_clock"}


@contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    """The URL of a new, empty database on the PostgreSQL server of ``server_url``,
    dropped after the block: a test run never touches real data."""
    url = make_url(server_url)
    name = f"mockarray_test_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def row_counts(database) -> dict[str, int]:
    """Rows in every table of the domain: what "nothing changed" is checked against."""
    with database.transaction(write=False) as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
            if table.name not in LAB_CONTROL_TABLES
        }


def fingerprints(database) -> dict[int, str]:
    """Every volume's content fingerprint by id."""
    with database.transaction(write=False) as session:
        return dict(session.execute(select(Volume.id, Volume.content_fingerprint)).all())


def fingerprint(database, volume_id: str) -> str:
    return fingerprints(database)[int(volume_id)]


def head_revision(database) -> str:
    """The newest migration's revision."""
    return ScriptDirectory.from_config(alembic_config(database)).get_current_head()


@contextmanager
def recorded_statements(database: Database | Engine) -> Iterator[list[str]]:
    """The SQL statements the database (every engine of it) sends while the block runs."""
    statements: list[str] = []
    engines = database.engines if isinstance(database, Database) else (database,)

    def record(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
