"""Checkpoints: the whole simulated state saved under a name, restored at once.

A checkpoint is every row of the arrays' tables, as compressed JSON in one
database row, so it works the same on SQLite and PostgreSQL and across
workers. Restoring deletes the arrays (everything on them goes by ON DELETE
CASCADE) and bulk-inserts the saved rows with their ids, in one transaction.
Plugin sessions are not part of the state: they survive a restore when their
array still exists.

A checkpoint records the database's migration revision (``schema``): one saved
under another revision holds rows of another shape (or data a migration has
rewritten since), so it is not restored. ``SEEDED`` is the lab's own
checkpoint, the state as seeded, which a reset puts back
(``mockarray.lab.seeding.baseline``); it is not listed, and not saved over or
deleted by name.

Restoring 10,000 volumes (each with a snapshot and a mapped LUN: 40,000 rows)
takes well under a second on SQLite (``benchmarks/checkpoint_restore.py``):
the rows go to the driver as they are, without SQLAlchemy's per-row work where
the driver takes positional parameters (SQLite), in batches that report
``progress(done, total)`` in rows.
"""

from __future__ import annotations

import json
import zlib
from operator import itemgetter

from sqlalchemy import Table, bindparam, delete, func, insert, inspect, select, text, update
from sqlalchemy.orm import Session

from mockarray.array import clock, counting
from mockarray.array.models import Array, Base, PluginSession, Volume
from mockarray.errors import Conflict, Invalid, NotFound
from mockarray.lab.bulk import Progress, Tally, collector_paused, statistics_refreshed
from mockarray.lab.models import Checkpoint

FORMAT = 1
#: The lab's own checkpoint: the arrays as seeded, put back by a reset.
SEEDED = ".seeded"
#: Volumes above which PostgreSQL empties the tables with TRUNCATE.
TRUNCATE_ABOVE = 2000
#: Tables that are not the arrays' state.
NOT_STATE = {
    "plugin_session",
    "login_failures",
    "checkpoint",
    "fault_rule",
    "journal_entry",
    "lab_clock",
    "lab_fixture",
}
#: Columns that point "forward" in the volume <-> snapshot cycle: restored last.
LATE_COLUMNS = {"volume": ("parent_snapshot_id", "origin_snapshot_id", "replica_of_volume_id")}
#: Rows inserted per statement (and between two progress reports).
INSERT_BATCH = 5000


def _state_tables():
    return [table for table in Base.metadata.sorted_tables if table.name not in NOT_STATE]


#: Where Alembic keeps the database's migration revision.
REVISION_TABLE = "alembic_version"


def schema_revision(session: Session) -> str | None:
    """The database's migration revision (Alembic's); ``None`` when it has none."""
    connection = session.connection()
    if not inspect(connection).has_table(REVISION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {REVISION_TABLE}")).scalar()


def _dump(session: Session) -> dict[str, list[dict]]:
    """Every row of the state's tables, by table."""
    return {
        table.name: [dict(row._mapping) for row in session.execute(select(table))]
        for table in _state_tables()
    }


def save(session: Session, name: str, *, replace: bool = False) -> Checkpoint:
    """Save the state under ``name``; an existing name is ``Conflict`` unless ``replace``."""
    if "/" in name or not name.strip():
        raise Invalid(
            f"A checkpoint name is a path segment: '{name}' must not be blank or hold '/'.",
            fields={"name": ["No '/' and not blank."]},
        )
    if name == SEEDED:
        raise Invalid(
            f"'{SEEDED}' is the lab's own checkpoint (the state as seeded, which a reset puts "
            "back); choose another name.",
            fields={"name": [f"Not '{SEEDED}'."]},
        )
    existing = session.scalar(select(Checkpoint).where(Checkpoint.name == name))
    if existing is not None and not replace:
        raise Conflict(f"A checkpoint named '{name}' exists; delete it or save with replace.")
    return _write(session, name, existing)


def save_seeded(session: Session, fixture_ids: list[int]) -> Checkpoint:
    """Save the state as the lab's seeded state (``SEEDED``), made of the seeded
    fixtures ``fixture_ids`` (``lab_fixture`` rows)."""
    existing = session.scalar(select(Checkpoint).where(Checkpoint.name == SEEDED))
    return _write(session, SEEDED, existing, fixtures=fixture_ids)


def _write(session: Session, name: str, existing: Checkpoint | None, **extra) -> Checkpoint:
    tables = _dump(session)
    saved = {"format": FORMAT, "schema": schema_revision(session), **extra, "tables": tables}
    data = zlib.compress(json.dumps(saved, separators=(",", ":")).encode(), 6)
    checkpoint = existing or Checkpoint(name=name)
    checkpoint.created_ms = clock.now(session)
    checkpoint.arrays = len(tables["array"])
    checkpoint.volumes = len(tables["volume"])
    checkpoint.size_bytes = len(data)
    checkpoint.data = data
    session.add(checkpoint)
    session.flush()
    return checkpoint


def get(session: Session, name: str) -> Checkpoint:
    checkpoint = session.scalar(select(Checkpoint).where(Checkpoint.name == name))
    if checkpoint is None:
        known = session.scalars(
            select(Checkpoint.name).where(Checkpoint.name != SEEDED).order_by(Checkpoint.id)
        ).all()
        raise NotFound(f"No checkpoint named '{name}' (checkpoints: {', '.join(known) or 'none'}).")
    return checkpoint


def read(checkpoint: Checkpoint) -> dict:
    """What the checkpoint saved: ``format``, ``schema``, ``tables`` (and what
    ``save_seeded`` adds)."""
    with collector_paused():
        return json.loads(zlib.decompress(checkpoint.data))


def unusable(session: Session, saved: dict) -> str | None:
    """Why the saved state cannot be put back into this database, or ``None``.

    A checkpoint saved before checkpoints recorded their revision (no
    ``schema``) is taken to be of this one."""
    if saved.get("format") != FORMAT:
        return "it was saved in another format"
    revision = schema_revision(session)
    if "schema" in saved and saved["schema"] != revision:
        return (
            f"it was saved under database revision {saved['schema']}, and the database is at "
            f"revision {revision} now"
        )
    return None


def restore(session: Session, name: str, *, progress: Progress | None = None) -> Checkpoint:
    """Put the state back to the checkpoint, atomically. ``progress(done, total)``
    is told how many of its rows are back."""
    checkpoint = get(session, name)
    saved = read(checkpoint)
    why = unusable(session, saved)
    if why is not None:
        raise Conflict(f"Checkpoint '{name}' cannot be restored: {why}. Save it again.")
    put_back(session, saved, progress=progress)
    return checkpoint


def put_back(session: Session, saved: dict, *, progress: Progress | None = None) -> None:
    """Replace the state with ``saved`` (``read``; usable: ``unusable`` says None).
    Its tables are taken out of ``saved`` as they go back."""
    with collector_paused():
        tables = saved.pop("tables")
        tally = Tally(sum(len(rows or ()) for rows in tables.values()), progress)
        tally.add(0)
        restored_arrays = {row["id"] for row in tables.get("array") or ()}
        open_sessions = [
            dict(row._mapping) for row in session.execute(select(PluginSession.__table__))
        ]
        _empty_state(session)
        late: list[dict] = []
        for table in _state_tables():
            # Each table's rows let go once inserted: a worker restoring a large lab
            # holds one copy of it at most.
            rows = tables.pop(table.name, None) or []
            columns = LATE_COLUMNS.get(table.name, ())
            if columns:
                late = [
                    {"_id": row["id"], **{f"_{c}": row[c] for c in columns}}
                    for row in rows
                    if any(row.get(c) is not None for c in columns)
                ]
                for row in rows:
                    row.update(dict.fromkeys(columns))
            _insert(session, table, rows, tally)
            del rows
        if late:
            volume = Volume.__table__
            session.execute(
                update(volume)
                .where(volume.c.id == bindparam("_id"))
                .values({c: bindparam(f"_{c}") for c in LATE_COLUMNS["volume"]}),
                late,
            )
        survivors = [row for row in open_sessions if row["array_id"] in restored_arrays]
        if survivors:
            session.execute(insert(PluginSession.__table__), survivors)
        # A checkpoint saved before servers kept their volume count has none.
        counting.recount(session)
        session.flush()
        session.expire_all()
        statistics_refreshed(session)
    tally.finish()


def matches(session: Session, saved: dict) -> bool:
    """Whether the state is the one ``saved`` holds, row for row."""
    current = json.loads(json.dumps(_dump(session)))
    saved_tables = saved["tables"]
    if set(current) != set(saved_tables):
        return False
    return all(
        sorted(json.dumps(row, sort_keys=True) for row in rows)
        == sorted(json.dumps(row, sort_keys=True) for row in saved_tables[name])
        for name, rows in current.items()
    )


def _insert(session: Session, table: Table, rows: list[dict], tally: Tally) -> None:
    """Insert saved rows (each with every column the checkpoint has), in batches.
    Where the driver takes positional parameters (SQLite), the rows go to it as
    tuples, through the conversions of the columns that have one: SQLAlchemy's
    work per row is most of a restore's time otherwise."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    statement = insert(table).compile(dialect=dialect, column_keys=list(rows[0]))
    if statement.positional:
        keys = list(statement.positiontup or ())
        values = itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
        converters = [
            (i, convert)
            for i, key in enumerate(keys)
            if (convert := table.c[key].type.dialect_impl(dialect).bind_processor(dialect))
        ]
    for start in range(0, len(rows), INSERT_BATCH):
        batch = rows[start : start + INSERT_BATCH]
        if not statement.positional:
            session.execute(insert(table), batch)
        else:
            parameters = [values(row) for row in batch]
            if converters:
                parameters = [_converted(list(row), converters) for row in parameters]
            connection.exec_driver_sql(str(statement), parameters)
        tally.add(len(batch))


def _converted(values: list, converters) -> tuple:
    for i, convert in converters:
        values[i] = convert(values[i])
    return tuple(values)


def _empty_state(session: Session) -> None:
    """Remove the arrays and everything on them (and the sessions, re-added after)."""
    large = (session.scalar(select(func.count()).select_from(Volume)) or 0) > TRUNCATE_ABOVE
    if large and session.get_bind().dialect.name == "postgresql":
        # One TRUNCATE instead of a cascade of row-by-row deletes: much faster for a
        # large lab, though it costs a fixed quarter second or so.
        names = ", ".join(f'"{table.name}"' for table in _cascaded_tables())
        session.execute(text(f"TRUNCATE {names}"))
    else:
        session.execute(delete(Array))


def _cascaded_tables() -> list[Table]:
    """The state's tables and those whose rows go with them by ON DELETE CASCADE
    (the plugin sessions, the login failures): what deleting the arrays empties."""
    tables = _state_tables()
    found = True
    while found:
        found = [
            table
            for table in Base.metadata.sorted_tables
            if table not in tables
            and any(
                key.ondelete == "CASCADE" and key.column.table in tables
                for key in table.foreign_keys
            )
        ]
        tables += found
    return tables


def list_checkpoints(session: Session) -> list[Checkpoint]:
    """The checkpoints saved by name (not the lab's own ``SEEDED``), oldest first."""
    return list(
        session.scalars(
            select(Checkpoint)
            .where(Checkpoint.name != SEEDED)
            .order_by(Checkpoint.created_ms, Checkpoint.id)
        )
    )


def delete_checkpoint(session: Session, name: str) -> None:
    if name == SEEDED:
        raise Conflict(
            f"'{SEEDED}' is the lab's seeded state, which a reset puts back; it goes with the "
            "fixtures ('mockarray reset --empty', or seeding with replace)."
        )
    session.delete(get(session, name))
    session.flush()


def drop_seeded(session: Session) -> None:
    """Forget the seeded state (the fixtures are forgotten)."""
    session.execute(delete(Checkpoint).where(Checkpoint.name == SEEDED))


def count(session: Session) -> int:
    """How many checkpoints were saved by name."""
    return (
        session.scalar(
            select(func.count()).select_from(Checkpoint).where(Checkpoint.name != SEEDED)
        )
        or 0
    )
