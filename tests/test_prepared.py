"""Prepared statements (``mockarray.prepared``) read and write what SQLAlchemy's
``Connection.execute`` would, on SQLite and PostgreSQL alike.

Each statement the code prepares runs both ways in one transaction of the
standard lab: the same rows, the same column names, the same Python types (a
flag is a ``bool``, a JSON column a list). A test that listens to the engine's
statements sees prepared ones too (they then go SQLAlchemy's way), and a
database error is SQLAlchemy's, as from ``execute``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from mockarray.array import inventory, sessions, snapshots
from mockarray.array.models import Snapshot, Volume
from mockarray.lab import journal, percall
from mockarray.prepared import Prepared, PreparedRow, _watched
from mockarray.queries import ALL, Page, PreparedList
from tests.support.db import recorded_statements


def _both_ways(connection, prepared: Prepared, params: dict) -> tuple[list, list]:
    fast = prepared.rows(connection, params)
    slow = connection.execute(prepared.statement, params).all()
    return fast, slow


def assert_same_rows(fast: list[PreparedRow], slow: list, case: str) -> None:
    assert [tuple(row) for row in fast] == [tuple(row) for row in slow], case
    for mine, theirs in zip(fast, slow, strict=True):
        assert mine._fields == tuple(theirs._fields), case
        assert [type(value) for value in mine] == [type(value) for value in theirs], case
        for name in mine._fields:
            assert getattr(mine, name) == getattr(theirs, name), (case, name)
        assert mine._asdict() == theirs._asdict(), case


@pytest.fixture
def connection(database, api):
    """A connection to the standard lab's database, in a transaction rolled back after."""
    with database.engine.connect() as connection, connection.begin() as transaction:
        assert not _watched(connection)
        yield connection
        transaction.rollback()


@pytest.fixture
def volume(connection, ref) -> Volume:
    return connection.execute(select(Volume.__table__).where(Volume.id == int(ref["vol1"]))).one()


def read_cases(api, ref, volume) -> list[tuple[str, Prepared, dict]]:
    token = {"token_hash": sessions._token_hash(api.session_id)}
    by_id = {"server_id": volume.server_id, "volume_id": volume.id}
    page = {"server_id": volume.server_id, "count": 2, "skip": 1}
    snapshots_of = {"volume_id": volume.id, "now": 2**62}
    return [
        ("session", sessions._LOOKUP, token),
        ("unknown session", sessions._LOOKUP, {"token_hash": "none"}),
        (
            "opening read",
            sessions.lookup_with(*percall.COLUMNS, server=True),
            {**token, "server_key": ref["sid"]},
        ),
        ("volume page", inventory._VOLUME_PAGE[False], page),
        ("volume page backwards", inventory._VOLUME_PAGE[True], page),
        ("volume row", inventory._VOLUME_ROW, by_id),
        ("volume id", inventory._VOLUME_ID, by_id),
        ("no such volume", inventory._VOLUME_ROW, {**by_id, "volume_id": -1}),
        ("snapshot list", inventory._SNAPSHOT_LIST.whole, snapshots_of),
        (
            "snapshot page",
            inventory._SNAPSHOT_LIST.paged,
            {**snapshots_of, "page_limit": 1, "page_start": 1},
        ),
        (
            "snapshot by name",
            snapshots._SNAPSHOT_NAMED,
            {"volume_id": volume.id, "name": "vol1.snap1"},
        ),
    ]


def test_every_prepared_read_answers_as_sqlalchemy_does(connection, api, ref, volume):
    for name, prepared, params in read_cases(api, ref, volume):
        fast, slow = _both_ways(connection, prepared, params)
        assert_same_rows(fast, slow, name)
        if name.startswith(("no such", "unknown")):
            assert fast == [] or fast[0].id is None, name
        else:
            assert fast and fast[0][0] is not None, name


def test_a_prepared_insert_fills_the_python_defaults_as_sqlalchemy_does(connection, volume):
    given = {"volume_id": volume.id, "created_ms": 1, "volume_used_bytes": 5}
    fast = snapshots._INSERT_SNAPSHOT.one(connection, {**given, "name": "fast"})
    slow = connection.execute(snapshots._INSERT_SNAPSHOT.statement, {**given, "name": "slow"}).one()
    assert fast.id != slow.id
    assert fast.name == "fast"
    assert fast.replicate is False and fast.used_bytes == 0  # scalar defaults
    assert len(fast.content_fingerprint) == len(slow.content_fingerprint)  # a callable's
    assert fast.content_fingerprint != slow.content_fingerprint
    assert fast.ready_ms is None and fast.cg_snapshot_id is None  # no default: NULL
    stored = connection.execute(select(Snapshot.__table__).where(Snapshot.id == fast.id)).one()
    assert tuple(stored) == tuple(fast)
    ignored = {"id", "name", "content_fingerprint"}
    assert {k: v for k, v in fast._asdict().items() if k not in ignored} == {
        k: v for k, v in slow._asdict().items() if k not in ignored
    }


def test_a_journal_row_written_prepared_reads_back_whole(connection):
    notes = ["Snapshot 's' of volume 'v' was deleted to make room."]
    entry_id = journal.record(
        connection,
        keep=1000,
        at_ms=7,
        array="alpha",
        session="abc",
        method="POST",
        path="/x",
        action=None,
        status=201,
        duration_ms=1.5,
        body='{"name": "s"}',
        fault_id=None,
        notes=notes,
    )
    table = journal._JOURNAL_TABLE
    row = connection.execute(select(table).where(table.c.id == entry_id)).one()
    assert row.notes == notes  # JSON in and out
    assert (row.at_ms, row.array, row.status, row.duration_ms) == (7, "alpha", 201, 1.5)


def test_a_list_paginates_prepared_as_the_statement_would(database, api, ref):
    listing = PreparedList(inventory._snapshot_list())
    params = {"volume_id": int(ref["vol1"]), "now": 2**62}
    with database.transaction(write=False) as session:
        whole = listing.rows(session, ALL, params)
        assert len(whole) >= 3
        for start, limit in [(0, 1), (1, 2), (2, None), (len(whole), 5)]:
            page = Page(start=start, limit=limit)
            end = None if limit is None else start + limit
            assert listing.rows(session, page, params) == whole[start:end]


def test_a_missing_parameter_is_refused_before_the_database(connection):
    with pytest.raises(ValueError, match="token_hash"):
        sessions._LOOKUP.rows(connection, {})


def test_a_database_error_is_sqlalchemys(connection, volume):
    snapshot = {"volume_id": volume.id, "name": "vol1.snap1", "created_ms": 1}
    with pytest.raises(IntegrityError):  # the volume has a snapshot of that name
        snapshots._INSERT_SNAPSHOT.one(connection, snapshot)


def test_a_prepared_statement_is_seen_by_whoever_listens(database, connection, volume):
    params = {"server_id": volume.server_id, "volume_id": volume.id}
    quiet = inventory._VOLUME_ROW.one(connection, params)
    with recorded_statements(database) as statements:
        assert _watched(connection)
        heard = inventory._VOLUME_ROW.one(connection, params)
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("SELECT")
    assert heard == quiet and heard._fields == quiet._fields
    assert not _watched(connection)


def test_an_in_list_cannot_be_prepared(database):
    statement = select(Volume.id).where(Volume.id.in_([1, 2]))
    with database.engine.connect() as connection, pytest.raises(ValueError, match="IN"):
        Prepared(statement).rows(connection, {})


def test_rows_of_a_listener_connection_are_prepared_rows(database, connection, volume):
    calls = []

    def listener(*_args):
        calls.append(1)

    event.listen(connection, "before_cursor_execute", listener)
    try:
        row = inventory._VOLUME_ID.one(
            connection, {"server_id": volume.server_id, "volume_id": volume.id}
        )
    finally:
        event.remove(connection, "before_cursor_execute", listener)
    assert isinstance(row, PreparedRow) and row.id == volume.id and calls == [1]
