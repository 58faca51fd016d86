"""The plugin's own log: one line per API call, in rotating files.

``GET /log`` zips these files. Rotation is safe across gunicorn workers
(``concurrent-log-handler`` locks the file while it rotates).
"""

from __future__ import annotations

import io
import logging
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from concurrent_log_handler import ConcurrentRotatingFileHandler
from flask import Flask, Response, current_app, g, request

from mockarray.array import clock
from mockarray.lab import faults, journal

API_PREFIX = "/storageplugin/api"
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
    app.before_request(_start_clock)
    app.after_request(_log_call)


def _start_clock() -> None:
    g.call_started = time.perf_counter()


def _log_call(response: Response) -> Response:
    if not request.path.startswith(API_PREFIX):
        return response
    started = g.get("call_started")
    duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
    try:
        _journal(response, duration_ms)
    except Exception:
        # The call itself is answered; a journal that cannot take it is logged, not fatal.
        logging.getLogger(__name__).exception(
            "could not journal %s %s", request.method, request.path
        )
    current_app.extensions["mockarray.call_log"].info(
        "array=%s method=%s path=%s action=%s status=%d duration_ms=%.1f",
        g.get("array_name") or "-",
        request.method,
        request.path,
        request.args.get("action") or "-",
        response.status_code,
        duration_ms,
    )
    return response


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


def _journal(response: Response, duration_ms: float) -> None:
    """One row in the request journal, in a transaction of its own (so a call
    that failed and changed nothing is recorded all the same)."""
    length = request.content_length or 0
    # A body refused as too large (413) is not read; neither is an empty one.
    fits = 0 < length <= (request.max_content_length or length)
    body = request.get_data(cache=True, as_text=True) if fits else None
    database = current_app.extensions["mockarray.db"]
    with database.transaction() as session:
        journal.record(
            session,
            keep=int(current_app.config["JOURNAL_SIZE"]),
            at_ms=clock.now(session),
            array=g.get("array_name"),
            session=g.get("session_tag"),
            method=request.method,
            path=request.path[len(API_PREFIX) :] or "/",
            action=faults.normalize_action(request.args.get("action")),
            status=response.status_code,
            duration_ms=round(duration_ms, 3),
            body=journal.redact(body),
            fault_id=g.get("fault_id"),
        )
