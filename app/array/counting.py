"""How many volumes each server has, kept in ``Server.volume_count``.

A page of a long volume list answers its total (``X-Total-Count``) from the
server row it reads anyway, instead of counting every volume of the server
on every call. The count follows every volume the session adds or deletes
(a flush listener); statements that add or delete volumes in bulk, around
the session (checkpoint restore, bulk seeding, ``delete(Volume)``), call
``recount`` or ``volumes_removed`` themselves.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from mockarray.array.models import Server, Volume


def recount(session: Session, server_ids: list[int] | None = None) -> None:
    """Count the volumes of ``server_ids`` (every server by default) afresh."""
    counted = (
        select(func.count(Volume.id))
        .where(Volume.server_id == Server.id)
        .correlate(Server)
        .scalar_subquery()
    )
    statement = update(Server).values(volume_count=counted)
    if server_ids is not None:
        statement = statement.where(Server.id.in_(server_ids))
    session.execute(statement.execution_options(synchronize_session=False))


def volumes_removed(session: Session, server_id: int, how_many: int = 1) -> None:
    """Note volumes a statement deleted outside the session's own bookkeeping."""
    _add(session, Counter({server_id: -how_many}))


def _add(session: Session, deltas: Counter) -> None:
    connection = session.connection()
    table = Server.__table__
    for server_id, delta in deltas.items():
        if not delta:
            continue
        connection.execute(
            update(table)
            .where(table.c.id == server_id)
            .values(volume_count=table.c.volume_count + delta)
        )
        # A server row the session holds reads its new count afresh.
        loaded = session.identity_map.get(identity_key(Server, server_id))
        if loaded is not None:
            session.expire(loaded, ["volume_count"])


_PENDING = "mockarray.volume_count_deltas"


@event.listens_for(Session, "before_flush")
def _note_volumes_to_flush(session: Session, _context, _instances) -> None:
    # Read here, not after the flush: a deleted volume's row is gone by then.
    deltas: Counter = session.info.setdefault(_PENDING, Counter())
    for obj in session.deleted:
        if type(obj) is Volume:
            deltas[obj.server_id] -= 1


@event.listens_for(Session, "after_flush")
def _count_flushed_volumes(session: Session, _context) -> None:
    deltas: Counter = session.info.pop(_PENDING, None) or Counter()
    for obj in session.new:
        if type(obj) is Volume:
            deltas[obj.server_id] += 1
    if deltas:
        _add(session, deltas)


@event.listens_for(Session, "after_soft_rollback")
def _forget_unflushed(session: Session, _previous) -> None:
    session.info.pop(_PENDING, None)
