"""What one plugin call costs in transactions (docs/api.md, "What a call costs").

- A call is one transaction: a write call's journal row is written in it,
  before its one commit. On SQLite a write call first reads its session in a
  short read transaction of its own: the write lock is taken when the view
  acts, so a call refused before (a bad body, an unknown session) never waits
  for another writer.
- A read (GET) runs in a read transaction: it never takes the write lock
  (no ``BEGIN IMMEDIATE`` on SQLite) and never waits on an fsync. Its journal
  row is one insert in a short transaction of its own, committed lazily (no
  sync of SQLite's log, ``synchronous_commit=off`` on PostgreSQL).
- A write that succeeds is on disk before it is answered: SQLite's log is
  synced after the commit (outside the write lock).
- A refused write is rolled back whole; its journal row is recorded lazily.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Flask, g
from sqlalchemy import event, update

import mockarray.database
from mockarray import create_app
from mockarray.array.models import PluginSession
from mockarray.database import LAZY_OPTION, WRITE_OPTION, Database
from mockarray.lab import journal
from mockarray.lab.api.metrics import count_call
from mockarray.plugin.core import call_hooks


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


def opening(database: Database) -> list[str]:
    """The transaction a write call's opening read takes before its write: a read
    one on SQLite, none on PostgreSQL (where writers do not lock each other out)."""
    return ["read"] if database.is_sqlite else []


def test_a_write_is_one_transaction_with_its_journal_row(api, ref, database):
    with transactions(database) as seen:
        created = api.post(f"/server/0/volume/{ref['vol2']}/snapshot", json={"name": "one-tx"})
        assert created.status_code == 201, created.get_json()
    assert seen.kinds == [*opening(database), "write"], seen.kinds
    assert not any("IMMEDIATE" in s for kind, s in seen.statements if kind == "read")
    inserts = [s for _kind, s in seen.statements if s.startswith("INSERT INTO")]
    assert [s.split()[2] for s in inserts] == ["SNAPSHOT", "JOURNAL_ENTRY"], inserts


def test_a_refused_write_changes_nothing_and_is_journaled_lazily(api, ref, database):
    with transactions(database) as seen:
        refused = api.delete("/server/0/volume/987654321")
        assert refused.status_code == 404
    assert seen.kinds == [*opening(database), "write", "lazy"], seen.kinds
    writes = [
        s
        for kind, s in seen.statements
        if kind == "write" and s.startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []


def test_a_write_refused_for_its_body_takes_no_write_transaction(api, ref, database):
    with transactions(database) as seen:
        refused = api.post(f"/server/0/volume/{ref['vol2']}/snapshot", json={"name": 7})
        assert refused.status_code == 400, refused.get_json()
    # On PostgreSQL the opening read is the write transaction's first statement,
    # which locks nothing; on SQLite the write lock is never taken.
    expected = ["read", "lazy"] if database.is_sqlite else ["write", "lazy"]
    assert seen.kinds == expected, seen.kinds


@contextmanager
def worker_waiting(database: Database, tmp_path, busy_timeout_ms: int) -> Iterator[Flask]:
    """Another worker's app on the same SQLite database, that waits at most
    ``busy_timeout_ms`` for the write lock."""
    worker = create_app(
        {
            "DATABASE_URL": database.url.render_as_string(hide_password=False),
            "DATA_DIR": str(tmp_path),
            "SQLITE_BUSY_TIMEOUT_MS": busy_timeout_ms,
            "TESTING": True,
        }
    )
    try:
        yield worker
    finally:
        worker.extensions["mockarray.db"].dispose()


@contextmanager
def write_lock_held(database: Database) -> Iterator[sqlite3.Connection]:
    """SQLite's write lock, held by another process until the block ends (or the
    holder's ``rollback``)."""
    holder = sqlite3.connect(database.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield holder
    finally:
        if holder.in_transaction:
            holder.rollback()
        holder.close()


def test_a_write_that_cannot_have_the_write_lock_is_answered_503(api, ref, database, tmp_path):
    """Another process holds SQLite's write lock longer than the busy timeout: the
    call is refused as "busy, retry" (not a 500), and the refusal is answered
    although its journal row cannot be written either."""
    if not database.is_sqlite:
        return  # PostgreSQL's writers lock rows, not the database
    with worker_waiting(database, tmp_path, 200) as impatient, write_lock_held(database):
        refused = impatient.test_client().post(
            f"/storageplugin/api/server/0/volume/{ref['vol2']}/snapshot",
            json={"name": "locked-out"},
            headers={"x-storageplugin-sessionid": api.session_id},
        )
    assert refused.status_code == 503, refused.get_json()
    assert refused.headers["Retry-After"] == "1"
    assert "busy" in refused.get_json()["message"]
    names = [
        s["name"]
        for s in api.get(f"/server/0/volume/{ref['vol2']}/snapshot").get_json()["snapshots"]
    ]
    assert "locked-out" not in names


def test_a_write_waiting_for_the_write_lock_lets_its_worker_answer_meanwhile(
    api, ref, database, tmp_path
):
    """The threads of a worker take turns (``mockarray.turns``); one that waits
    for SQLite's write lock, held by another process, gives its turn up meanwhile.
    (A plugin call would wait for the lock too, to write its journal row: the
    control plane's clock is read here.)"""
    if not database.is_sqlite:
        return  # PostgreSQL's writers lock rows, not the database
    with worker_waiting(database, tmp_path, 5000) as worker, write_lock_held(database) as holder:
        client = worker.test_client()
        with ThreadPoolExecutor(max_workers=1) as pool:
            writing = pool.submit(
                client.post,
                f"/storageplugin/api/server/0/volume/{ref['vol2']}/snapshot",
                json={"name": "waited"},
                headers={"x-storageplugin-sessionid": api.session_id},
            )
            time.sleep(0.3)  # the write now waits for the lock
            started = time.monotonic()
            read = client.get("/mockarray/api/clock")
            read_s = time.monotonic() - started
            still_waiting = not writing.done()
            holder.rollback()
            created = writing.result(timeout=10)
    assert read.status_code == 200 and read_s < 2, (read.status_code, read_s)
    assert still_waiting
    assert created.status_code == 201, created.get_json()


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


def test_a_write_counts_its_metrics_once_its_unit_of_work_is_done(api, ref, app, database):
    """The ``answered`` hooks (the metrics) run after the commit: on SQLite another
    process can take the write lock from within them."""
    seen: list[tuple[int, bool, bool]] = []

    def probe(response, _duration_ms, _at_ms) -> None:
        lock_free = True
        if database.is_sqlite:
            other = sqlite3.connect(database.url.database, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.rollback()
            except sqlite3.OperationalError:
                lock_free = False
            finally:
                other.close()
        seen.append((response.status_code, lock_free, g.get("db_session") is None))

    hooks = call_hooks(app)
    hooks.answered.append(probe)
    try:
        created = api.post(f"/server/0/volume/{ref['vol2']}/snapshot", json={"name": "counted"})
        assert created.status_code == 201, created.get_json()
    finally:
        hooks.answered.remove(probe)
    assert seen == [(201, True, True)]
    # The Prometheus counters are such a hook.
    assert count_call in hooks.answered and count_call not in hooks.after


def test_sqlite_checkpoints_its_log_every_ten_thousand_pages(database):
    if not database.is_sqlite:
        return  # PostgreSQL has no write-ahead log of SQLite's kind
    with database.engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    assert pages == mockarray.database.WAL_AUTOCHECKPOINT_PAGES == 10_000
