"""Jobs on many rows at once (seeding, reset, checkpoint restore): the garbage
collector held off while they run, and their progress told to whoever asks.

Progress is a plain ``progress(done, total)`` callable (the command line draws a
bar with it; the lab knows nothing of terminals), called every so often, not
per object, and once more with ``done == total`` when the job is through.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.orm import Session

#: ``progress(done, total)``: how far a bulk job is, in its own units (objects, rows).
Progress = Callable[[int, int], None]

#: A job reports about this many times (fewer when it is small).
REPORTS = 200


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the block runs. A bulk job makes millions
    of objects that live until it ends; the collector would walk them all again and
    again (for 100,000 volumes that was more than half the time) and find nothing
    to free. Collections resume afterwards; nothing is lost but their timing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def statistics_refreshed(session: Session) -> None:
    """Tell PostgreSQL's planner what a bulk job loaded (``ANALYZE``), so that the
    next query of a large table uses its indexes at once rather than after
    autovacuum comes by (a page of 25 volumes from 10,000 was a bitmap scan and a
    sort of all of them meanwhile). SQLite plans by its indexes without it."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))


class Tally:
    """Counts the units of a job done so far and tells ``progress``, at most
    about ``REPORTS`` times. ``total`` may grow (a reset learns it fixture by
    fixture); ``done`` never passes it."""

    def __init__(self, total: int = 0, progress: Progress | None = None):
        self.total = total
        self.done = 0
        self.progress = progress
        self._next_report = 0

    def add(self, units: int = 1) -> None:
        self.done = min(self.done + units, self.total)
        if self.progress is not None and self.done >= self._next_report:
            self.progress(self.done, self.total)
            self._next_report = self.done + max(self.total // REPORTS, 1)

    def finish(self) -> None:
        """The job is through: ``progress(total, total)``."""
        self.done = self.total
        if self.progress is not None:
            self.progress(self.total, self.total)
