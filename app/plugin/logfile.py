"""The call log's file: one line appended per call, rotated by size, shared by
every worker of a host.

A line is one ``write`` on a file opened with ``O_APPEND``: the kernel puts
each at the end of the file whatever the other workers write, so lines
never interleave and no lock is taken per line. Only rotation locks (an
``flock`` on a lock file beside the log), and a worker that finds the file
rotated away by another reopens it. ``concurrent-log-handler``, which this
replaces, locked a file for every line: a fifth of a call's cost.

Before each line, one ``fstat`` of the open file tells whether it is full
(due to rotate, or rotated away by another worker already) or was removed;
whether another file took its name (``logrotate``) is looked up by name at
most once a second, not for every line.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

#: The log holds what clients sent: the owner's only.
FILE_MODE = 0o600
#: Seconds between two looks at which file the log's name names.
NAME_CHECK_S = 1.0


class AppendingLogFile:
    """``path``, rotated to ``path.1`` … ``path.<backups>`` past ``max_bytes``."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int):
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock_path = path.with_name(f".{path.name}.lock")
        self._fd: int | None = None
        #: When (``time.monotonic``) the name is next looked up (``_current``).
        self._name_check_at = 0.0
        # Threads of one worker (gthread) share the descriptor; reopening is theirs alone.
        self._reopening = threading.Lock()

    def write(self, line: str) -> None:
        """Append ``line`` (without its newline) as one line."""
        fd = self._current()
        os.write(fd, line.encode("utf-8", "backslashreplace") + b"\n")

    def close(self) -> None:
        with self._reopening:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _current(self) -> int:
        """The file to append to: the open one, unless it is full (rotated first),
        removed, or no longer the one the log's name names (then reopened)."""
        fd = self._fd
        if fd is not None:
            opened = os.fstat(fd)
            if self.max_bytes > 0 and opened.st_size >= self.max_bytes:
                # Full, or rotated away by another worker: _rotate tells which.
                return self._rotate()
            removed = opened.st_nlink == 0
            if not removed and (not self._name_check_due() or self._names(opened.st_ino)):
                return fd
        with self._reopening:
            return self._reopen()

    def _name_check_due(self) -> bool:
        now = time.monotonic()
        if now < self._name_check_at:
            return False
        self._name_check_at = now + NAME_CHECK_S
        return True

    def _names(self, inode: int) -> bool:
        """Whether the log's name still names the file ``inode``."""
        try:
            return os.stat(self.path).st_ino == inode
        except FileNotFoundError:
            return False

    def _reopen(self) -> int:
        if self._fd is not None:
            os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        self._name_check_at = time.monotonic() + NAME_CHECK_S
        return self._fd

    def _rotate(self) -> int:
        """Rotate the log unless another worker did; the new file, opened."""
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
                return self._reopen()
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
