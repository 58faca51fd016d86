"""Checkpoints: the whole simulated state saved under a name, restored at once.

A checkpoint is every row of the arrays' tables, as compressed JSON in one
database row, so it works the same on SQLite and PostgreSQL and across
workers. Restoring deletes the arrays (everything on them goes by ON DELETE
CASCADE) and bulk-inserts the saved rows with their ids, in one transaction.
Plugin sessions are not part of the state: they survive a restore when their
array still exists.
"""

from __future__ import annotations

import json
import zlib

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from mockarray.array import clock, counting
from mockarray.array.models import Array, Base, PluginSession, Volume
from mockarray.errors import Conflict, Invalid, NotFound
from mockarray.lab.models import Checkpoint

FORMAT = 1
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


def _state_tables():
    return [table for table in Base.metadata.sorted_tables if table.name not in NOT_STATE]


def save(session: Session, name: str, *, replace: bool = False) -> Checkpoint:
    """Save the state under ``name``; an existing name is ``Conflict`` unless ``replace``."""
    if "/" in name or not name.strip():
        raise Invalid(
            f"A checkpoint name is a path segment: '{name}' must not be blank or hold '/'.",
            fields={"name": ["No '/' and not blank."]},
        )
    existing = session.scalar(select(Checkpoint).where(Checkpoint.name == name))
    if existing is not None and not replace:
        raise Conflict(f"A checkpoint named '{name}' exists; delete it or save with replace.")
    tables = {
        table.name: [dict(row._mapping) for row in session.execute(select(table))]
        for table in _state_tables()
    }
    data = zlib.compress(
        json.dumps({"format": FORMAT, "tables": tables}, separators=(",", ":")).encode(), 6
    )
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
        known = session.scalars(select(Checkpoint.name).order_by(Checkpoint.id)).all()
        raise NotFound(f"No checkpoint named '{name}' (checkpoints: {', '.join(known) or 'none'}).")
    return checkpoint


def restore(session: Session, name: str) -> Checkpoint:
    """Put the state back to the checkpoint, atomically."""
    checkpoint = get(session, name)
    saved = json.loads(zlib.decompress(checkpoint.data))
    if saved.get("format") != FORMAT:
        raise Conflict(f"Checkpoint '{name}' was saved in another format; it cannot be restored.")
    tables = saved["tables"]
    open_sessions = [dict(row._mapping) for row in session.execute(select(PluginSession.__table__))]
    _empty_state(session)
    late: list[dict] = []
    for table in _state_tables():
        rows = tables.get(table.name) or []
        columns = LATE_COLUMNS.get(table.name, ())
        if columns:
            late = [
                {"_id": row["id"], **{f"_{c}": row[c] for c in columns}}
                for row in rows
                if any(row.get(c) is not None for c in columns)
            ]
            rows = [{**row, **dict.fromkeys(columns)} for row in rows]
        if rows:
            session.execute(insert(table), rows)
    if late:
        volume = Volume.__table__
        session.execute(
            update(volume)
            .where(volume.c.id == bindparam("_id"))
            .values({c: bindparam(f"_{c}") for c in LATE_COLUMNS["volume"]}),
            late,
        )
    restored_arrays = {row["id"] for row in tables["array"]}
    survivors = [row for row in open_sessions if row["array_id"] in restored_arrays]
    if survivors:
        session.execute(insert(PluginSession.__table__), survivors)
    # A checkpoint saved before servers kept their volume count has none.
    counting.recount(session)
    session.flush()
    session.expire_all()
    return checkpoint


def _empty_state(session: Session) -> None:
    """Remove the arrays and everything on them (and the sessions, re-added after)."""
    large = (session.scalar(select(func.count()).select_from(Volume)) or 0) > TRUNCATE_ABOVE
    if large and session.get_bind().dialect.name == "postgresql":
        # One TRUNCATE instead of a cascade of row-by-row deletes: much faster for a
        # large lab, though it costs a fixed quarter second or so.
        names = ", ".join(f'"{t.name}"' for t in [*_state_tables(), PluginSession.__table__])
        session.execute(text(f"TRUNCATE {names}"))
    else:
        session.execute(delete(Array))


def list_checkpoints(session: Session) -> list[Checkpoint]:
    return list(session.scalars(select(Checkpoint).order_by(Checkpoint.created_ms, Checkpoint.id)))


def delete_checkpoint(session: Session, name: str) -> None:
    session.delete(get(session, name))
    session.flush()


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Checkpoint)) or 0
