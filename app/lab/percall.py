"""What every plugin call reads of the lab: the simulated clock (every call is
stamped with its moment, ``mockarray.array.clock``) and whether any fault rule
exists (the fault gate reads the rules only then). ``COLUMNS`` are read with
the caller's session, in the call's first statement
(``mockarray.plugin.core.opening_read``): no round trip of their own."""

from __future__ import annotations

from sqlalchemy import Row, exists, select
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


#: Labelled as the lab's, beside the columns of the statement they ride on.
COLUMNS = (
    _setting(_CLOCK.c.offset_ms).label("lab_clock_offset_ms"),
    _setting(_CLOCK.c.speed).label("lab_clock_speed"),
    _setting(_CLOCK.c.instant).label("lab_clock_instant"),
    exists(select(_RULES.c.id)).label("lab_any_fault_rule"),
)


def any_fault_rule(session: Session, row: Row) -> bool:
    """Whether any fault rule exists (live or spent), as ``row`` (with ``COLUMNS``)
    read it; the clock it read is the call's, for the rest of its transaction."""
    lab_clock = session.info.get(CLOCK_KEY)
    if isinstance(lab_clock, SimulatedClock):
        offset_ms = row.lab_clock_offset_ms
        if offset_ms is None:  # never set: real time at normal pace
            reading = (lab_clock.time_source(), Pace())
        else:
            reading = (
                lab_clock.time_source() + offset_ms,
                Pace(row.lab_clock_speed, row.lab_clock_instant),
            )
        array_clock.remember(session, reading)
    return bool(row.lab_any_fault_rule)
