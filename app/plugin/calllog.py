"""The plugin's own log: one line per API call, in rotating files.

``GET /log`` zips these files. Rotation is safe across gunicorn workers
(``concurrent-log-handler`` locks the file while it rotates). Each line
carries the arrays' (simulated) time it is about, as everything the arrays
timestamp does: the writer passes it (``log_line``).
"""

from __future__ import annotations

import io
import logging
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from concurrent_log_handler import ConcurrentRotatingFileHandler
from flask import Flask, current_app, request

LOG_NAME = "api.log"
#: The attribute of a log record that holds its simulated time (epoch ms).
AT_MS = "at_ms"


class _SimulatedTimeFormatter(logging.Formatter):
    """Times in UTC with milliseconds: the record's simulated time (``AT_MS``)."""

    def formatTime(self, record, datefmt=None):
        at_ms = getattr(record, AT_MS, None)
        if at_ms is None:  # a line written without one: the moment it was written
            at_ms = int(record.created * 1000)
        moment = datetime.fromtimestamp(at_ms // 1000, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at_ms % 1000:03d}Z"


def init_call_log(app: Flask) -> None:
    log_dir = Path(str(app.config["LOG_DIR"]))
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = ConcurrentRotatingFileHandler(
        str(log_dir / LOG_NAME),
        maxBytes=int(app.config["LOG_MAX_BYTES"]),
        backupCount=int(app.config["LOG_BACKUPS"]),
        encoding="utf-8",
    )
    handler.setFormatter(_SimulatedTimeFormatter("%(asctime)s %(message)s"))
    # A logger of this app's own, outside logging's global registry, so that
    # several apps (tests) never write into each other's files.
    logger = logging.Logger("mockarray.calls", logging.INFO)
    logger.addHandler(handler)
    app.extensions["mockarray.call_log"] = logger


def call_log() -> logging.Logger:
    """The log behind ``GET /log``; write to it with ``log_line``."""
    return current_app.extensions["mockarray.call_log"]


def log_line(at_ms: int, message: str, *args) -> None:
    """A line of the log at ``at_ms``, the arrays' time (views add lines of their
    own, e.g. condense)."""
    call_log().info(message, *args, extra={AT_MS: at_ms})


def log_call(array_name: str | None, status: int, duration_ms: float, at_ms: int) -> None:
    """One line for the call being answered, at the call's (simulated) time."""
    log_line(
        at_ms,
        "array=%s method=%s path=%s action=%s status=%d duration_ms=%.1f",
        array_name or "-",
        request.method,
        request.path,
        request.args.get("action") or "-",
        status,
        duration_ms,
    )


def log_files(app: Flask) -> list[Path]:
    log_dir = Path(str(app.config["LOG_DIR"]))
    return sorted(p for p in log_dir.glob(f"{LOG_NAME}*") if p.is_file())


def zip_logs(app: Flask) -> bytes:
    """The log files, zipped in memory (rotation bounds their size)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in log_files(app):
            archive.write(path, arcname=path.name)
    return buffer.getvalue()
