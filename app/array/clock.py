"""The array's clock: what "now" is for the behaviour layer.

Every behaviour function asks this module, never ``time`` directly, so that
one place decides the simulated time.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import now_ms


def now(session: Session) -> int:
    """The current time of the simulated arrays, in epoch milliseconds."""
    return now_ms()
