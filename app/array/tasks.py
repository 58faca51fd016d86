"""Long tasks (split, replication): progress is a function of time, not of a thread.

A task stores when it started, how many bytes it moves and at what rate; its
progress at any moment is computed from those, so it survives restarts and
any worker (or host) answers the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.array import inventory
from app.errors import NotFound
from app.models import LongTask, Server, now_ms


def duration_ms(total_bytes: int, rate_bytes_per_s: int) -> int:
    """How long moving ``total_bytes`` takes at the rate, in whole milliseconds."""
    return -(-total_bytes * 1000 // rate_bytes_per_s)  # ceiling division


def fraction_done(task: LongTask, at_ms: int | None = None) -> float:
    at_ms = now_ms() if at_ms is None else at_ms
    if at_ms >= task.completes_ms:
        return 1.0
    return max(0.0, (at_ms - task.started_ms) / (task.completes_ms - task.started_ms))


@dataclass(frozen=True)
class SplitStatus:
    percentage_complete: int
    complete: bool


def split_status(session: Session, server: Server, volume_id: str) -> SplitStatus:
    """``GET …/volume/{vid}/splitstatus``."""
    volume = inventory.get_volume(session, server, volume_id)
    task = inventory.latest_split(session, volume)
    if task is None:
        if volume.parent_snapshot_id is None:
            raise NotFound(
                f"Volume '{volume_id}' has no split task: it is not a clone of a snapshot."
            )
        return SplitStatus(percentage_complete=0, complete=False)
    done = fraction_done(task)
    # Floor, so that 100 is only ever shown together with complete=true.
    return SplitStatus(percentage_complete=int(done * 100), complete=done >= 1.0)
