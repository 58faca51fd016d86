"""The arrays' clock: what "now" is for the behaviour layer.

One clock, injected: the database carries it (``Database(clock=...)``) and
every session it opens can read it. The behaviour layer asks ``now(session)``
(and ``pace(session)`` for how fast long tasks run), never ``time``. Within
one transaction "now" does not move. A new row whose ``created_ms`` is left
empty is stamped with it when flushed, so no table keeps a wall-clock default.

The lab's simulated clock (``mockarray.lab.clock.SimulatedClock``) is the one
the application uses; ``RealClock`` is the plain one (and what a session
without a clock gets). Seeding pins "now" with ``pinned``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session

from mockarray.database import CLOCK_KEY

_READING = "mockarray.clock.reading"
_PINNED = "mockarray.clock.pinned"


def wall_ms() -> int:
    """Real time in epoch milliseconds (the simulated clock builds on it)."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Pace:
    """How long tasks started now run: ``speed`` times faster, or at once."""

    speed: float = 1.0
    instant: bool = False


class Clock(Protocol):
    def read(self, session: Session) -> tuple[int, Pace]:
        """The time (epoch ms) and the pace of long tasks, in at most one query."""


@dataclass
class RealClock:
    """Real time at normal pace; ``time_source`` may be replaced (tests)."""

    time_source: Callable[[], int] = wall_ms

    def read(self, session: Session) -> tuple[int, Pace]:
        return self.time_source(), Pace()


_REAL = RealClock()


def _reading(session: Session) -> tuple[int, Pace]:
    pinned = session.info.get(_PINNED)
    transaction = session.get_transaction()
    cached = session.info.get(_READING)
    if cached is not None and (cached[0] is transaction or cached[0] is None):
        # Remembered for this transaction, or before the session began one.
        reading = cached[1]
        session.info[_READING] = (transaction, reading)
    else:
        reading = session.info.get(CLOCK_KEY, _REAL).read(session)
        session.info[_READING] = (transaction, reading)
    return (pinned, reading[1]) if pinned is not None else reading


def now(session: Session) -> int:
    """The current time of the simulated arrays, in epoch milliseconds."""
    return _reading(session)[0]


def pace(session: Session) -> Pace:
    return _reading(session)[1]


def remember(session: Session, reading: tuple[int, Pace]) -> None:
    """Take ``reading`` as the clock's for the rest of the session's transaction,
    or for the one it begins next when it has none yet (read by someone who read
    it with something else: one query for both)."""
    session.info[_READING] = (session.get_transaction(), reading)


def forget(session: Session) -> None:
    """Read the clock afresh (after the clock itself was changed)."""
    session.info.pop(_READING, None)


@contextmanager
def pinned(session: Session, at_ms: int) -> Iterator[int]:
    """Within the block, "now" is ``at_ms`` (seeding builds a lab's past)."""
    before = session.info.get(_PINNED)
    session.info[_PINNED] = at_ms
    try:
        yield at_ms
    finally:
        session.info[_PINNED] = before


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _context, _instances) -> None:
    """New rows get "now" in their time column (``created_ms``, or the columns
    a model names in ``__stamped__``) unless it was set."""
    unset = [
        (obj, column)
        for obj in session.new
        for column in getattr(type(obj), "__stamped__", ("created_ms",))
        if getattr(obj, column, 0) is None
    ]
    if unset:
        with session.no_autoflush:
            moment = now(session)
        for obj, column in unset:
            setattr(obj, column, moment)
