"""How commands print what they show."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TextIO

import click

from mockarray.lab.bulk import Progress

#: Units of work (a fixture's objects, a checkpoint's rows) from which a job
#: is large enough for a progress bar: about a second's work or more.
LARGE_JOB = 10_000


def when(ms: int) -> str:
    """Epoch milliseconds as a UTC time with milliseconds: ``2026-01-02 03:04:05.678Z``."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


@contextmanager
def progress_bar(
    label: str, *, large: int | None = None, stream: TextIO | None = None
) -> Iterator[Progress]:
    """A ``progress(done, total)`` callable for a bulk job of the lab, drawing a bar
    on standard error (``stream``) while the block runs: only when that is a
    terminal and the job is large (its total at the first call at least
    ``large``, default ``LARGE_JOB``), so that scripts, pipes and tests see no
    bar, and a small job no flicker."""
    stream = stream or sys.stderr
    large = LARGE_JOB if large is None else large
    shown = stream.isatty()
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar, shown
        if not shown:
            return
        if bar is None:
            if total < large:
                shown = False
                return
            bar = click.progressbar(length=total, label=label, file=stream)
            bar.__enter__()
        bar.length = max(total, 1)
        bar.update(done - bar.pos)

    try:
        yield progress
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
