"""The simulated clock: real time plus an offset kept in the database
(``LabClock``), so every worker and host agrees on it, and the pace of long
tasks (a speed factor, or instant). ``SimulatedClock`` is the clock the
application injects into its database (``mockarray.array.clock``); the
functions below are the lab's controls of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mockarray.array import clock, tasks
from mockarray.array.clock import Pace, wall_ms
from mockarray.errors import Invalid
from mockarray.lab.models import LabClock


@dataclass
class SimulatedClock:
    """Real time (``time_source``, replaceable in tests) plus the lab's offset."""

    time_source: Callable[[], int] = wall_ms

    def read(self, session: Session) -> tuple[int, Pace]:
        row = session.execute(
            select(LabClock.offset_ms, LabClock.speed, LabClock.instant)
            .order_by(LabClock.id)
            .limit(1)
        ).first()
        if row is None:
            return self.time_source(), Pace()
        return self.time_source() + row.offset_ms, Pace(row.speed, row.instant)


def settings(session: Session) -> LabClock:
    """The clock's settings (the defaults when never changed)."""
    stored = session.scalar(select(LabClock).order_by(LabClock.id).limit(1))
    return stored or LabClock(offset_ms=0, speed=1.0, instant=False)


def _stored(session: Session) -> LabClock:
    stored = session.scalar(select(LabClock).order_by(LabClock.id).limit(1).with_for_update())
    if stored is None:
        stored = LabClock(offset_ms=0, speed=1.0, instant=False)
        session.add(stored)
    return stored


#: The latest simulated time the clock may be advanced to: the end of year 9999 (UTC),
#: far inside the 64-bit milliseconds every time column holds.
LATEST_MS = 253_402_300_799_999


def advance(session: Session, milliseconds: int) -> int:
    """Move simulated time forward; long tasks progress accordingly. Returns the new now."""
    if clock.now(session) + milliseconds > LATEST_MS:
        raise Invalid(
            f"Advancing the clock by {milliseconds} ms would take it past the end of year "
            "9999, the latest time the arrays can stamp; advance it by less."
        )
    stored = _stored(session)
    stored.offset_ms += milliseconds
    session.flush()
    clock.forget(session)
    return clock.now(session)


def configure(session: Session, *, speed: float | None = None, instant: bool | None = None):
    """How fast long tasks started from now on run, or whether they complete at once."""
    stored = _stored(session)
    if speed is not None:
        stored.speed = speed
    if instant is not None:
        stored.instant = instant
    session.flush()
    clock.forget(session)
    return stored


def finish_running_tasks(session: Session) -> int:
    """Complete every running split and replication now; returns how many."""
    return tasks.finish_running(session, clock.now(session))


def reset(session: Session) -> None:
    """Back to real time at normal speed."""
    stored = _stored(session)
    stored.offset_ms, stored.speed, stored.instant = 0, 1.0, False
    session.flush()
    clock.forget(session)
