"""The array's clock: what "now" is for the behaviour layer.

Simulated time is real time plus an offset kept in the database (``LabClock``),
so every worker and host agrees on it. Every behaviour function asks this
module, never ``time`` directly. Within one transaction "now" does not move.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mockarray.array.models import LongTask, Snapshot, now_ms
from mockarray.lab.models import LabClock

_CACHE = "mockarray.now"


def settings(session: Session) -> LabClock:
    """The clock's settings (the defaults when never changed)."""
    clock = session.scalar(select(LabClock).order_by(LabClock.id).limit(1))
    return clock or LabClock(offset_ms=0, speed=1.0, instant=False)


def now(session: Session) -> int:
    """The current time of the simulated arrays, in epoch milliseconds."""
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE)
    if cached is not None and cached[0] is transaction:
        return cached[1]
    offset = session.scalar(select(LabClock.offset_ms).order_by(LabClock.id).limit(1)) or 0
    value = now_ms() + offset
    session.info[_CACHE] = (transaction, value)
    return value


@contextmanager
def frozen_at(session: Session, moment: int) -> Iterator[int]:
    """Within the block "now" is ``moment`` (seeding builds objects in the past)."""
    saved = session.info.get(_CACHE)
    session.info[_CACHE] = (session.get_transaction(), moment)
    try:
        yield moment
    finally:
        if saved is None:
            session.info.pop(_CACHE, None)
        else:
            session.info[_CACHE] = saved


def _stored(session: Session) -> LabClock:
    clock = session.scalar(select(LabClock).order_by(LabClock.id).limit(1).with_for_update())
    if clock is None:
        clock = LabClock(offset_ms=0, speed=1.0, instant=False)
        session.add(clock)
    return clock


def advance(session: Session, milliseconds: int) -> int:
    """Move simulated time forward; long tasks progress accordingly. Returns the new now."""
    clock = _stored(session)
    clock.offset_ms += milliseconds
    session.info.pop(_CACHE, None)
    session.flush()
    return now(session)


def configure(session: Session, *, speed: float | None = None, instant: bool | None = None):
    """How fast long tasks started from now on run, or whether they complete at once."""
    clock = _stored(session)
    if speed is not None:
        clock.speed = speed
    if instant is not None:
        clock.instant = instant
    session.flush()
    return clock


def finish_running_tasks(session: Session) -> int:
    """Complete every running split and replication now; returns how many."""
    moment = now(session)
    finished = session.execute(
        update(LongTask)
        .where(LongTask.completes_ms > moment)
        .values(completes_ms=moment)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.execute(
        update(Snapshot)
        .where(Snapshot.ready_ms > moment)
        .values(ready_ms=moment)
        .execution_options(synchronize_session=False)
    )
    return finished


def reset(session: Session) -> None:
    """Back to real time at normal speed."""
    clock = _stored(session)
    clock.offset_ms, clock.speed, clock.instant = 0, 1.0, False
    session.info.pop(_CACHE, None)
    session.flush()
