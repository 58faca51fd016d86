"""What every plugin call reads of the lab, in one statement: the simulated
clock (every call is stamped with its moment, ``mockarray.array.clock``) and
whether any fault rule exists (the fault gate reads the rules only then).
One round trip to the database instead of two on every call."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from mockarray.array import clock as array_clock
from mockarray.array.clock import Pace
from mockarray.database import CLOCK_KEY
from mockarray.lab.clock import SimulatedClock
from mockarray.lab.models import FaultRule, LabClock

_CLOCK = LabClock.__table__
_RULES = FaultRule.__table__


def _setting(column):
    return select(column).order_by(_CLOCK.c.id).limit(1).scalar_subquery()


_STATEMENT = select(
    _setting(_CLOCK.c.offset_ms).label("offset_ms"),
    _setting(_CLOCK.c.speed).label("speed"),
    _setting(_CLOCK.c.instant).label("instant"),
    exists(select(_RULES.c.id)).label("any_rule"),
)


def any_fault_rule(session: Session) -> bool:
    """Whether any fault rule exists (live or spent); the clock is read on the way,
    for the rest of the call's transaction."""
    row = session.connection().execute(_STATEMENT).one()
    lab_clock = session.info.get(CLOCK_KEY)
    if isinstance(lab_clock, SimulatedClock):
        if row.offset_ms is None:  # never set: real time at normal pace
            reading = (lab_clock.time_source(), Pace())
        else:
            reading = (lab_clock.time_source() + row.offset_ms, Pace(row.speed, row.instant))
        array_clock.remember(session, reading)
    return bool(row.any_rule)
