"""One JSON error shape for everything that goes wrong.

``{"code": 404, "status": "Not Found", "message": "...", "errors": {...}}`` —
flask-smorest's own shape, so the OpenAPI document describes it. ``errors``
appears for invalid input only and maps each field (dotted path) to what is
wrong with it. No stack traces ever reach the client.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

import marshmallow as ma
from flask import Flask, request
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from werkzeug.exceptions import HTTPException

from mockarray.database import is_missing_schema
from mockarray.errors import ArrayError, flatten
from mockarray.units import format_size

log = logging.getLogger(__name__)

LOCATION_WORDS = {
    "json": "request body",
    "query": "query parameter",
    "querystring": "query parameter",
    "view_args": "path",
    "headers": "header",
}


class ErrorSchema(ma.Schema):
    """The one error shape, as the OpenAPI documents show it (``error_response`` makes it)."""

    class Meta:
        ordered = True

    code = ma.fields.Integer(required=True, metadata={"description": "The HTTP status."})
    status = ma.fields.String(
        required=True, metadata={"description": "The status's phrase ('Not Found')."}
    )
    message = ma.fields.String(
        required=True,
        metadata={"description": "What was wrong and how to fix it, in a sentence or two."},
    )
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={
            "description": "Invalid input only: each field (dotted path, '(body)' for the "
            "whole body) with what is wrong with it."
        },
    )


def status_phrase(code: int) -> str:
    """``Not Found`` of 404; a status without a registered phrase (a fault rule may
    inject any from 400 to 599) is named by its class."""
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Client Error" if code < 500 else "Server Error"


def error_response(code: int, message: str, errors: dict | None = None, headers=None):
    body: dict[str, object] = {"code": code, "status": status_phrase(code), "message": message}
    if errors:
        body["errors"] = errors
    return body, code, headers or {}


def _validation_failure(error: HTTPException):
    by_location = error.data.get("messages") or {}
    fields: dict[str, list[str]] = {}
    words = []
    for location, messages in by_location.items():
        flat = flatten(messages)
        fields.update(flat)
        words.append(LOCATION_WORDS.get(location, location))
    described = "; ".join(
        " ".join(texts) if name == "(body)" else f"{name}: {' '.join(texts)}"
        for name, texts in sorted(fields.items())
    )
    where = " and ".join(dict.fromkeys(words)) or "request"
    return error_response(400, f"Invalid {where}. {described}", fields)


def _http_message(error: HTTPException) -> str:
    if error.code == 404:
        return (
            f"There is no {request.method} {request.path}. The plugin API's calls are listed "
            "in /storageplugin/api/openapi.json."
        )
    if error.code == 405:
        allowed = ", ".join(sorted(set(error.valid_methods or []) - {"HEAD", "OPTIONS"}))
        return f"{request.method} is not allowed on {request.path}; use {allowed}."
    if error.code == 413:
        limit = request.max_content_length or 0
        return f"The request body is larger than {format_size(limit)}, the most this call accepts."
    return error.description or error.name


def handle_http_exception(error: HTTPException):
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        return _validation_failure(error)
    message = data.get("message") or _http_message(error)
    # Keep what HTTP requires of the status (Allow on a 405), not werkzeug's HTML type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return error_response(error.code or 500, message, data.get("errors"), headers)


def handle_array_error(error: ArrayError):
    retry_after = getattr(error, "retry_after_s", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return error_response(error.status, error.message, error.fields, headers)


def handle_integrity_error(error: IntegrityError):
    # The database's constraints decide races between workers; the loser is told
    # what happened, never a 500.
    log.info("constraint refused a change: %s", error.orig)
    return error_response(
        409,
        "The change conflicts with the array's current state (another call changed the same "
        "objects at the same time, or a name or number is already taken). Read the objects "
        "again and retry.",
    )


def _unmigrated(error: Exception):
    # Retrying will not help: the database needs its schema first.
    log.error("database not migrated: %s", getattr(error, "orig", error))
    return error_response(
        503,
        "The array's database has no mockarray tables yet (or older ones): run "
        "'mockarray db upgrade' against it (or start the server with 'mockarray serve', "
        "which does), then retry.",
    )


def handle_operational_error(error: OperationalError):
    if is_missing_schema(error):
        return _unmigrated(error)
    log.warning("database unavailable: %s", error.orig)
    return error_response(
        503,
        "The array's database is busy or unavailable; retry shortly.",
        None,
        {"Retry-After": "1"},
    )


def handle_programming_error(error: ProgrammingError):
    # PostgreSQL reports a missing table as a programming error (undefined_table).
    if is_missing_schema(error):
        return _unmigrated(error)
    return handle_unexpected(error)


def handle_unexpected(error: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    return error_response(
        500, "The array failed unexpectedly; nothing was changed. GET /log has the details."
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ArrayError, handle_array_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(ProgrammingError, handle_programming_error)
    app.register_error_handler(Exception, handle_unexpected)
