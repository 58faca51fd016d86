"""What one plugin call costs in transactions (docs/api.md, "What a call costs").

- A call is one transaction: a write call's journal row is written in it,
  before its one commit.
- A read (GET) runs in a read transaction: it never takes the write lock
  (no ``BEGIN IMMEDIATE`` on SQLite) and never waits on an fsync. Its journal
  row is one insert in a short transaction of its own, committed lazily (no
  sync of SQLite's log, ``synchronous_commit=off`` on PostgreSQL).
- A write that succeeds is on disk before it is answered: SQLite's log is
  synced after the commit (outside the write lock).
- A refused write is rolled back whole; its journal row is recorded lazily.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event, update

import mockarray.database
from mockarray.array.models import PluginSession
from mockarray.database import LAZY_OPTION, WRITE_OPTION, Database
from mockarray.lab import journal


@dataclass
class Transactions:
    """The transactions begun while the block ran, by kind."""

    kinds: list[str] = field(default_factory=list)
    statements: list[tuple[str, str]] = field(default_factory=list)

    def of(self, kind: str) -> int:
        return self.kinds.count(kind)


@contextmanager
def transactions(database: Database) -> Iterator[Transactions]:
    seen = Transactions()

    def kind_of(connection) -> str:
        options = connection.get_execution_options()
        if options.get(LAZY_OPTION):
            return "lazy"
        return "write" if options.get(WRITE_OPTION) else "read"

    def on_begin(connection):
        seen.kinds.append(kind_of(connection))

    def on_statement(connection, _cursor, statement, _parameters, _context, _many):
        seen.statements.append((kind_of(connection), " ".join(statement.split()).upper()))

    for engine in database.engines:
        event.listen(engine, "begin", on_begin)
        event.listen(engine, "before_cursor_execute", on_statement)
    try:
        yield seen
    finally:
        for engine in database.engines:
            event.remove(engine, "begin", on_begin)
            event.remove(engine, "before_cursor_execute", on_statement)


def test_a_read_is_one_read_transaction_and_a_lazy_journal_insert(api, ref, database):
    with transactions(database) as seen:
        assert api.get("/server/0/volume?limit=2").status_code == 200
    assert seen.kinds == ["read", "lazy"], seen.kinds
    assert not any("IMMEDIATE" in s for kind, s in seen.statements if kind == "read")
    lazy = [s for kind, s in seen.statements if kind == "lazy"]
    assert [s for s in lazy if s.startswith(("INSERT", "UPDATE", "DELETE"))] == [
        next(s for s in lazy if s.startswith("INSERT INTO JOURNAL_ENTRY"))
    ], lazy


def test_a_write_is_one_transaction_with_its_journal_row(api, ref, database):
    with transactions(database) as seen:
        created = api.post(f"/server/0/volume/{ref['vol2']}/snapshot", json={"name": "one-tx"})
        assert created.status_code == 201, created.get_json()
    assert seen.kinds == ["write"], seen.kinds
    inserts = [s for _kind, s in seen.statements if s.startswith("INSERT INTO")]
    assert [s.split()[2] for s in inserts] == ["SNAPSHOT", "JOURNAL_ENTRY"], inserts


def test_a_refused_write_changes_nothing_and_is_journaled_lazily(api, ref, database):
    with transactions(database) as seen:
        refused = api.delete("/server/0/volume/987654321")
        assert refused.status_code == 404
    assert seen.kinds == ["write", "lazy"], seen.kinds
    writes = [
        s
        for kind, s in seen.statements
        if kind == "write" and s.startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []


def test_a_read_on_a_stale_session_touches_it_outside_the_read(api, database):
    """The idle clock is refreshed at most once a minute: lazily, never in the read."""

    with database.transaction() as session:
        session.execute(
            update(PluginSession).values(last_seen_ms=PluginSession.last_seen_ms - 120_000)
        )
    with transactions(database) as seen:
        assert api.get("/storage").status_code == 200
    assert seen.kinds == ["read", "lazy"], seen.kinds
    lazy_writes = [s.split()[0:2] for kind, s in seen.statements if kind == "lazy"]
    assert ["UPDATE", "PLUGIN_SESSION"] in lazy_writes, lazy_writes


def synced_files(monkeypatch) -> list[str]:
    """Paths the database syncs to disk from now on (``mockarray.database._sync_file``)."""
    synced: list[str] = []
    monkeypatch.setattr(mockarray.database, "_sync_file", synced.append)
    return synced


def test_a_write_is_on_disk_before_it_is_answered_and_a_read_never_waits(
    api, ref, database, monkeypatch
):
    if not database.is_sqlite:
        return  # PostgreSQL: synchronous_commit does it at commit
    synced = synced_files(monkeypatch)
    assert api.get("/server/0/volume").status_code == 200
    refused = api.delete("/server/0/volume/987654321")
    assert refused.status_code == 404
    assert synced == []  # a read, and a refused write's lazy journal row: no sync
    created = api.post(f"/server/0/volume/{ref['vol2']}/snapshot", json={"name": "on-disk"})
    assert created.status_code == 201
    assert synced == [f"{database.url.database}-wal"]


def test_threads_of_a_worker_take_turns_to_write_and_a_failed_one_lets_the_next(database):
    """Several threads writing at once (gthread): each waits its turn, none is
    refused, and a transaction that fails or is rolled back passes the turn on."""
    if not database.is_sqlite:
        return  # PostgreSQL locks rows, not the database

    def write(number: int) -> str:
        try:
            with database.transaction() as session:
                journal.record(
                    session.connection(),
                    keep=1000,
                    at_ms=number,
                    method="GET",
                    path="/t",
                    status=200,
                    duration_ms=0.0,
                )
                if number % 3 == 0:
                    raise RuntimeError("refused")
            return "committed"
        except RuntimeError:
            return "rolled back"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(write, range(60)))
    assert outcomes.count("committed") == 40 and outcomes.count("rolled back") == 20
    # Nothing kept the turn: a write begins at once.
    with database.transaction() as session:
        session.connection()
