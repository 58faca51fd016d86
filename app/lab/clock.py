"""The simulated clock: real time plus an offset kept in the database
(``LabClock``), so every worker and host agrees on it, and the pace of long
tasks (a speed factor, or instant). ``SimulatedClock`` is the clock the
application injects into its database (``mockarray.array.clock``); the
functions below are the lab's controls of it.

Like a real array's, the clock never runs backwards: the offset only grows
(``advance``), and nothing sets it back. Going back would undo what time
did (a completed split incomplete again, a replica gone, new objects older
than existing ones). ``reset`` only puts the pace back; ``to_real_time``
refuses while the lab is ahead of real time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from mockarray.array import clock, tasks
from mockarray.array.clock import Pace, wall_ms
from mockarray.errors import Conflict, Invalid
from mockarray.lab.models import LabClock

_CLOCK_TABLE = LabClock.__table__
#: Read on every call that needs "now": plain rows, no ORM objects.
_READ_CLOCK = (
    select(_CLOCK_TABLE.c.offset_ms, _CLOCK_TABLE.c.speed, _CLOCK_TABLE.c.instant)
    .order_by(_CLOCK_TABLE.c.id)
    .limit(1)
)


@dataclass
class SimulatedClock:
    """Real time (``time_source``, replaceable in tests) plus the lab's offset."""

    time_source: Callable[[], int] = wall_ms

    def read(self, session: Session) -> tuple[int, Pace]:
        row = session.connection().execute(_READ_CLOCK).first()
        if row is None:
            return self.time_source(), Pace()
        return self.time_source() + row.offset_ms, Pace(row.speed, row.instant)


def settings(session: Session) -> LabClock:
    """The clock's settings (the defaults when never changed)."""
    stored = session.scalar(select(LabClock).order_by(LabClock.id).limit(1))
    return stored or LabClock(offset_ms=0, speed=1.0, instant=False)


def state(session: Session) -> dict:
    """Simulated now, its offset from real time, and how long tasks run (what
    ``GET /mockarray/api/clock`` and ``mockarray clock show --json`` answer)."""
    stored = settings(session)
    return {
        "now": clock.now(session),
        "offset_ms": stored.offset_ms,
        "speed": stored.speed,
        "instant": stored.instant,
    }


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
    """Long tasks back to real-time speed, not instant; time goes on from where it is."""
    stored = _stored(session)
    stored.speed, stored.instant = 1.0, False
    session.flush()
    clock.forget(session)


def to_real_time(session: Session) -> None:
    """Simulated time is real time again, at real-time speed: only when it already is
    (the offset is 0), since time never runs backwards; ``Conflict`` saying how far
    ahead of real time the lab is otherwise (and nothing changes)."""
    stored = _stored(session)
    if stored.offset_ms > 0:
        raise Conflict(
            f"The simulated clock is {describe(stored.offset_ms)} ({stored.offset_ms} ms) ahead "
            "of real time and never runs backwards: going back would undo what that time did "
            "(completed splits and replications, the times of new objects). Let real time "
            "catch up, or start from an empty database."
        )
    reset(session)


def describe(milliseconds: int) -> str:
    """A duration as people say it: ``1d 2h 3m 4.5s``."""
    seconds, ms = divmod(milliseconds, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    if seconds or ms or not parts:
        parts.append(f"{seconds}.{ms:03d}".rstrip("0").rstrip(".") + "s")
    return " ".join(parts)
