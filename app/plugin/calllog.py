"""The plugin's own log: one line per API call, in rotating files.

``GET /log`` zips these files. Rotation is safe across gunicorn workers
(``concurrent-log-handler`` locks the file while it rotates).
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


class _UtcFormatter(logging.Formatter):
    def formatTime(self, record, datefmt=None):
        moment = datetime.fromtimestamp(record.created, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(record.msecs):03d}Z"


def init_call_log(app: Flask) -> None:
    log_dir = Path(str(app.config["LOG_DIR"]))
    log_dir.mkdir(parents=True, exist_ok=True)
    handler = ConcurrentRotatingFileHandler(
        str(log_dir / LOG_NAME),
        maxBytes=int(app.config["LOG_MAX_BYTES"]),
        backupCount=int(app.config["LOG_BACKUPS"]),
        encoding="utf-8",
    )
    handler.setFormatter(_UtcFormatter("%(asctime)s %(message)s"))
    # A logger of this app's own, outside logging's global registry, so that
    # several apps (tests) never write into each other's files.
    logger = logging.Logger("mockarray.calls", logging.INFO)
    logger.addHandler(handler)
    app.extensions["mockarray.call_log"] = logger


def call_log() -> logging.Logger:
    """The log behind ``GET /log`` (views add lines of their own, e.g. condense)."""
    return current_app.extensions["mockarray.call_log"]


def log_call(array_name: str | None, status: int, duration_ms: float) -> None:
    """One line for the call being answered."""
    call_log().info(
        "array=%s method=%s path=%s action=%s status=%d duration_ms=%.1f",
        array_name or "-",
        request.method,
        request.path,
        request.args.get("action") or "-",
        status,
        duration_ms,
    )


def log_auto_deleted(array_name: str | None, deleted) -> None:
    """A line for each snapshot the array auto-deleted during the call
    (``mockarray.array.capacity.AutoDeleted``), before the call's own line."""
    log = call_log()
    for entry in deleted:
        log.info(
            "auto-delete array=%s pool=%s volume=%s snapshot=%s id=%d freed_bytes=%d: %s",
            array_name or "-",
            entry.pool,
            entry.volume,
            entry.snapshot,
            entry.snapshot_id,
            entry.freed_bytes,
            f"needed by {entry.needed_by}",
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
