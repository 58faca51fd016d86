"""The call log's file: one line appended per call, rotated by size, shared by
every worker of a host.

A line is one ``write`` on a file opened with ``O_APPEND``: the kernel puts
each at the end of the file whatever the other workers write, so lines
never interleave and no lock is taken per line. Only rotation locks (an
``flock`` on a lock file beside the log), and a worker that finds the file
rotated away by another reopens it. ``concurrent-log-handler``, which this
replaces, locked a file for every line: a fifth of a call's cost.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

#: The log holds what clients sent: the owner's only.
FILE_MODE = 0o600


class AppendingLogFile:
    """``path``, rotated to ``path.1`` … ``path.<backups>`` past ``max_bytes``."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int):
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock_path = path.with_name(f".{path.name}.lock")
        self._fd: int | None = None
        self._inode: int | None = None
        # Threads of one worker (gthread) share the descriptor; reopening is theirs alone.
        self._reopening = threading.Lock()

    def write(self, line: str) -> None:
        """Append ``line`` (without its newline) as one line."""
        fd = self._current()
        os.write(fd, line.encode("utf-8", "backslashreplace") + b"\n")
        if self.max_bytes > 0 and os.fstat(fd).st_size >= self.max_bytes:
            self._rotate()

    def close(self) -> None:
        with self._reopening:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = self._inode = None

    def _current(self) -> int:
        """The open file, reopened when another worker rotated it away (or it was removed)."""
        fd = self._fd
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            inode = None
        if fd is not None and inode == self._inode:
            return fd
        with self._reopening:
            return self._reopen()

    def _reopen(self) -> int:
        if self._fd is not None:
            os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        self._inode = os.fstat(self._fd).st_ino
        return self._fd

    def _rotate(self) -> None:
        lock = os.open(self._lock_path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with self._reopening:
                try:
                    current = os.stat(self.path)
                except FileNotFoundError:
                    current = None
                # Another worker may have rotated it while this one waited for the lock.
                if current is not None and current.st_size >= self.max_bytes:
                    self._shift(current)
                self._reopen()
        finally:
            os.close(lock)  # releases the flock

    def _shift(self, _current: os.stat_result) -> None:
        if self.backups <= 0:
            os.truncate(self.path, 0)
            return
        for number in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{number}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{number + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))
