"""Long tasks (split, replication): progress is a function of time, not of a thread.

A task stores when it started, how many bytes it moves and when it will be
complete (from the size and the rate). Its progress at any moment is computed
from those, so it survives restarts and any worker (or host) answers the same.

A rate is a number of bytes per second, or ``QUICK``: the task then takes
between ``QUICK_SHORTEST_MS`` and ``QUICK_LONGEST_MS``, longer for more data
(what CI wants: done within seconds, yet seen in progress by a client that
polls every second). The lab clock's speed factor divides the time either
way, and the task stores the rate it effectively runs at, so its progress
figures (``transferRate``, ``completeTime``) agree with each other.

What a completed task changes in the state is applied by the next call that
*writes* (``settle``), never by a read: a read computes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mockarray.array import clock, inventory
from mockarray.array.models import LongTask, Origin, Server, Snapshot, TaskKind, Volume
from mockarray.errors import NotFound

#: A rate: bytes per second, or ``QUICK``.
Rate = int | str
QUICK = "quick"
#: A quick task takes this long at least (but for one with nothing to move)…
QUICK_SHORTEST_MS = 2_000
#: …and this long at most: for ``QUICK_FULL_BYTES`` or more.
QUICK_LONGEST_MS = 8_000
QUICK_FULL_BYTES = 8 * 2**40
#: The rate a quick task reports when it completes at once.
QUICK_NOMINAL_RATE = QUICK_FULL_BYTES * 1000 // QUICK_LONGEST_MS


def duration_ms(total_bytes: int, rate_bytes_per_s: int) -> int:
    """How long moving ``total_bytes`` takes at the rate, in whole milliseconds."""
    return -(-total_bytes * 1000 // rate_bytes_per_s)  # ceiling division


def quick_ms(total_bytes: int) -> int:
    """How long a quick task takes: 2 s plus up to 6 s more in proportion to the
    data, 8 s for 8 TiB or more; nothing to move takes no time."""
    if total_bytes <= 0:
        return 0
    extra = (QUICK_LONGEST_MS - QUICK_SHORTEST_MS) * min(total_bytes, QUICK_FULL_BYTES)
    return QUICK_SHORTEST_MS + extra // QUICK_FULL_BYTES


def timing(total_bytes: int, rate: Rate, speed: float = 1.0) -> tuple[int, int]:
    """``(duration in ms, effective bytes per second)`` of moving ``total_bytes``
    at ``rate`` on a clock running ``speed`` times faster. The duration is what
    the effective rate gives (rounded up to the millisecond), so the two agree."""
    if rate == QUICK:
        wanted = quick_ms(total_bytes) / speed
        if total_bytes <= 0 or wanted <= 0:
            return 0, QUICK_NOMINAL_RATE
        effective = max(-(-total_bytes * 1000 // max(int(wanted), 1)), 1)
    else:
        effective = max(int(int(rate) * speed), 1)
    return duration_ms(max(total_bytes, 0), effective), effective


def start(
    session: Session,
    *,
    array_id: int,
    kind: str,
    total_bytes: int,
    rate: Rate,
    now: int,
    instant: bool = False,
    **subject,
) -> LongTask:
    """A task that moves ``total_bytes`` at the rate (see the module), as the lab
    clock runs it (faster with a speed factor, at once when set to instant)."""
    pace = clock.pace(session)
    duration, effective = timing(total_bytes, rate, pace.speed)
    if instant or pace.instant:
        duration = 0
    task = LongTask(
        array_id=array_id,
        kind=kind,
        total_bytes=total_bytes,
        rate_bytes_per_s=effective,
        started_ms=now,
        completes_ms=now + duration,
        **subject,
    )
    session.add(task)
    return task


def finish_running(session: Session, now: int) -> int:
    """Complete every running split and replication at ``now``; returns how many."""
    finished = session.execute(
        update(LongTask)
        .where(LongTask.completes_ms > now)
        .values(completes_ms=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.execute(
        update(Snapshot)
        .where(Snapshot.ready_ms > now)
        .values(ready_ms=now)
        .execution_options(synchronize_session=False)
    )
    return finished


def fraction_done(task: LongTask, at_ms: int) -> float:
    if at_ms >= task.completes_ms:
        return 1.0
    return max(0.0, (at_ms - task.started_ms) / (task.completes_ms - task.started_ms))


def settle(session: Session, array_id: int, now: int) -> None:
    """Apply what the array's completed splits changed: the clones stop depending
    on their snapshots. Called by writes before they check dependencies."""
    finished = select(LongTask.volume_id).where(
        LongTask.array_id == array_id,
        LongTask.kind == TaskKind.SPLIT,
        LongTask.completes_ms <= now,
    )
    session.execute(
        update(Volume)
        .where(Volume.parent_snapshot_id.is_not(None), Volume.id.in_(finished))
        .values(parent_snapshot_id=None)
        .execution_options(synchronize_session="fetch")
    )


@dataclass(frozen=True)
class SplitStatus:
    percentage_complete: int
    complete: bool

    @classmethod
    def of(cls, task: LongTask | None, now: int) -> SplitStatus:
        done = 1.0 if task is None else fraction_done(task, now)
        # Floor, so that 100 is only ever shown together with complete=true.
        return cls(percentage_complete=int(done * 100), complete=done >= 1.0)


def split_status(session: Session, server: Server, volume_id: str) -> SplitStatus:
    """``GET …/volume/{vid}/splitstatus``."""
    volume = inventory.get_volume(session, server, volume_id)
    task = inventory.latest_split(session, volume)
    if task is None:
        if volume.parent_snapshot_id is not None:
            return SplitStatus(percentage_complete=0, complete=False)
        if volume.origin_kind == Origin.CLONE:
            # A clone made independent at once (its volume's clones need no split).
            return SplitStatus(percentage_complete=100, complete=True)
        raise NotFound(f"Volume '{volume_id}' has no split task: it is not a clone of a snapshot.")
    return SplitStatus.of(task, clock.now(session))
