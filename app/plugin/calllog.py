"""The plugin's own log: one line per API call, in rotating files.

``GET /log`` zips these files, streamed, with the lines of the caller's array
and of the calls made without a session (``array=-``): every line starts
with its time and ``array=<name>``. Every worker appends to the same file
(``logfile.AppendingLogFile``: one ``write`` per line, a lock only to rotate).

What a client sends (a path, an action name) is escaped before it is
written (``mockarray.config.logging.escape``): a line is always one line,
and its ``key=value`` fields hold no space, so no request can forge a line
or a field.

Each line carries the arrays' (simulated) time it is about, as everything
the arrays timestamp does: the writer passes it (``log_line``).
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from flask import Flask, current_app, request

from mockarray.config.logging import escape
from mockarray.database import private_dir
from mockarray.plugin.logfile import AppendingLogFile

LOG_NAME = "api.log"
#: The field every line carries first, after its time: whose call it was.
ARRAY_FIELD = "array="
#: ``array=`` of a call made without a session (``GET /info``, a refused login).
NO_ARRAY = "-"
#: How much of a log file ``GET /log`` reads at a time.
CHUNK_BYTES = 64 * 1024


def _time_of(at_ms: int) -> str:
    """``at_ms`` in UTC with milliseconds, as every line starts."""
    return f"{_second_of(at_ms // 1000)}{at_ms % 1000:03d}Z"


@lru_cache(maxsize=4)
def _second_of(at_s: int) -> str:
    # Formatted once per second of the log, not once per line.
    return datetime.fromtimestamp(at_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.")


def init_call_log(app: Flask) -> None:
    log_dir = private_dir(Path(str(app.config["LOG_DIR"])))
    app.extensions["mockarray.call_log"] = AppendingLogFile(
        log_dir / LOG_NAME,
        max_bytes=int(app.config["LOG_MAX_BYTES"]),
        backups=int(app.config["LOG_BACKUPS"]),
    )


def call_log() -> AppendingLogFile:
    """The file behind ``GET /log``; write to it with ``log_line``."""
    return current_app.extensions["mockarray.call_log"]


def array_field(array_name: str | None) -> str:
    """The ``array=`` field that starts a line of ``array_name``'s calls."""
    return f"{ARRAY_FIELD}{escape(array_name) if array_name else NO_ARRAY}"


def log_line(at_ms: int, message: str, *args) -> None:
    """A line of the log at ``at_ms``, the arrays' time: ``message % args``."""
    call_log().write(f"{_time_of(at_ms)} {message % args if args else message}")


def log_call(array_name: str | None, status: int, duration_ms: float, at_ms: int) -> None:
    """One line for the call being answered, at the call's (simulated) time."""
    log_line(
        at_ms,
        "%s method=%s path=%s action=%s status=%d duration_ms=%.1f",
        array_field(array_name),
        escape(request.method),
        escape(request.path),
        escape(request.args.get("action") or "-"),
        status,
        duration_ms,
    )


def log_note(at_ms: int, array_name: str | None, text: str, *args: object) -> None:
    """A line of the call being answered beyond its own (what condense kept and why):
    ``text % args`` with the arguments escaped, spaces kept."""
    log_line(
        at_ms,
        "%s " + text,
        array_field(array_name),
        *(escape(str(a), spaces=True) for a in args),
    )


def log_auto_deleted(at_ms: int, array_name: str | None, deleted) -> None:
    """A line for each snapshot the array auto-deleted during the call
    (``mockarray.array.capacity.AutoDeleted``), before the call's own line."""
    for entry in deleted:
        log_note(
            at_ms,
            array_name,
            "auto-delete pool=%s volume=%s snapshot=%s id=%s freed_bytes=%s: needed by %s",
            entry.pool,
            entry.volume,
            entry.snapshot,
            entry.snapshot_id,
            entry.freed_bytes,
            entry.needed_by,
        )


def log_files(app: Flask) -> list[Path]:
    log_dir = Path(str(app.config["LOG_DIR"]))
    return sorted(p for p in log_dir.glob(f"{LOG_NAME}*") if p.is_file())


class _Pipe:
    """Where the zip is written: it keeps what was written until it is taken
    (a stream without ``tell`` or ``seek``, so ``zipfile`` writes sizes after the data)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def _lines_of(file: BinaryIO, size: int, wanted: tuple[bytes, ...]) -> Iterator[bytes]:
    """The lines in the first ``size`` bytes of ``file`` whose first field after the
    time is one of ``wanted``, read in pieces of at most ``CHUNK_BYTES`` (a longer
    line's pieces share its fate)."""
    at_start, keep, left = True, False, size
    while left > 0:
        piece = file.readline(min(CHUNK_BYTES, left))
        if not piece:
            return
        left -= len(piece)
        if at_start:
            fields = piece.split(b" ", 2)
            keep = len(fields) > 1 and fields[1].rstrip(b"\n") in wanted
        if keep:
            yield piece
        at_start = piece.endswith(b"\n")


def zip_logs(app: Flask, array_name: str | None) -> Iterator[bytes]:
    """The log files as they are now, zipped and streamed in pieces (memory stays
    bounded whatever their size): the lines of ``array_name``'s calls and of the
    calls made without a session.

    The files are opened at once, so a rotation while the zip streams changes
    nothing, and read up to their present size (this call's own line is not in it).
    """
    wanted = tuple(field.encode() for field in (array_field(array_name), array_field(None)))
    opened = []
    for path in log_files(app):
        try:
            file = path.open("rb")
        except FileNotFoundError:
            continue  # rotated away since it was listed
        info = zipfile.ZipInfo.from_file(path, arcname=path.name)
        info.file_size = os.fstat(file.fileno()).st_size
        info.compress_type = zipfile.ZIP_DEFLATED
        opened.append((file, info))
    return _zipped(opened, wanted)


def _zipped(opened: list[tuple[BinaryIO, zipfile.ZipInfo]], wanted) -> Iterator[bytes]:
    pipe = _Pipe()
    try:
        with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file, info in opened:
                size = info.file_size
                with archive.open(info, "w") as member:
                    for line in _lines_of(file, size, wanted):
                        member.write(line)
                        if sum(map(len, pipe.chunks)) >= CHUNK_BYTES:
                            yield pipe.take()
                yield pipe.take()
        yield pipe.take()
    finally:
        for file, _ in opened:
            file.close()
