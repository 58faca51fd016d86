"""The plugin API's own conventions (``../shared/spec/README.md``), on top of the
shared HTTP kit (``mockarray.web``):

- the session header on every call but the public ones (``401``);
- the call log behind ``GET /log`` (``calllog``), with a line for each snapshot
  the array auto-deleted during a call (``call_notes``);
- hooks through which others attach to every call without the plugin API
  knowing them: the lab's fault gate runs before the call, its journal after.

The order of a call: media types, ``before`` hooks, session, the view, then
``after`` hooks, the call log, and the one commit (or rollback). The call has
one moment on the arrays' (simulated) clock, ``call_moment()``: its log line
and the ``after`` hooks (the journal) carry it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from flask import Flask, Response, current_app, g, request
from flask_smorest import Blueprint
from sqlalchemy import ColumnElement, Row
from sqlalchemy.exc import SQLAlchemyError

from mockarray.array import capacity, clock, inventory, sessions
from mockarray.errors import Unauthorized
from mockarray.plugin import calllog
from mockarray.web.media import check_media_types, view_attribute
from mockarray.web.openapi import ErrorDocs, Operation, input_errors
from mockarray.web.transaction import (
    database,
    db_session,
    defer_write,
    discard_unit_of_work,
    finish_unit_of_work,
    opening_connection,
)

log = logging.getLogger(__name__)

API_PREFIX = "/storageplugin/api"
SESSION_HEADER = "x-storageplugin-sessionid"

F = TypeVar("F", bound=Callable)


def public(view: F) -> F:
    """Mark a view that needs no session (``GET /info``, ``POST /session``)."""
    view._mockarray_public = True  # type: ignore[attr-defined]
    return view


def is_public(view: Callable) -> bool:
    return getattr(view, "_mockarray_public", False)


# -- what the OpenAPI document says of errors ---------------------------------------


def _error_statuses(operation: Operation) -> set[int]:
    statuses = {415, 503} | input_errors(operation)
    if not is_public(operation.view):
        statuses.add(401)
        if operation.writes:
            statuses.add(409)
    return statuses


ERRORS = ErrorDocs(
    descriptions={
        400: "Invalid input: 'message' says what is wrong, 'errors' names each field.",
        401: f"No session: the {SESSION_HEADER} header is missing, unknown or expired. "
        "Open one with POST /session.",
        404: "No such object on the session's array (objects of other arrays are not "
        "visible), or no such path.",
        409: "The array's current state forbids the call (a mapped volume, a name already "
        "taken, a clone depending on a snapshot...), or another call changed the same "
        "objects at the same time; 'message' says which.",
        413: "The request body is too large.",
        415: "The Accept header does not admit what the call answers with (application/json), "
        "or the request body is not application/json.",
        503: "The array's database is busy or unavailable (retry after Retry-After seconds), "
        "or not migrated yet. (A fault rule of the lab may make any call answer this, or "
        "another status it names.)",
        507: "Not enough free space in the pool.",
    },
    statuses=_error_statuses,
)


# -- hooks ---------------------------------------------------------------------------


@dataclass
class CallHooks:
    """Functions run around every plugin call.

    ``before()`` runs before the session is checked and may raise a domain
    error to answer instead of the view; ``after(response, duration_ms, at_ms)``
    runs for every answer, refused ones included, with the call's moment
    (``call_moment()``), and writes through
    ``mockarray.web.transaction.defer_write``. ``answered`` hooks take the same
    arguments and run once the call's unit of work is finished (committed or
    rolled back), as the call log's line is written: for what needs no
    database, so that a write call does not hold SQLite's write lock for it.
    """

    before: list[Callable[[], None]] = field(default_factory=list)
    after: list[Callable[[Response, float, int], None]] = field(default_factory=list)
    answered: list[Callable[[Response, float, int], None]] = field(default_factory=list)
    #: What hooks read of the database on every call (labelled scalar subqueries):
    #: read with the caller's session, in the call's first statement (``opening_read``).
    reads: list[ColumnElement] = field(default_factory=list)


def call_hooks(app: Flask) -> CallHooks:
    return app.extensions.setdefault("mockarray.plugin_hooks", CallHooks())


def call_path() -> str:
    """The request's path below the API prefix (``/server/0/volume``)."""
    return request.path[len(API_PREFIX) :] or "/"


# -- who calls -------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """The array and session a call comes from, as far as its token says."""

    array_name: str | None = None
    session_tag: str | None = None


def caller() -> Caller:
    """Who makes the call: known once the session was checked, else looked up
    from the token (for a call refused before that)."""
    known = g.get("caller")
    if known is not None:
        return known
    token = request.headers.get(SESSION_HEADER)
    name = sessions.array_name_of(db_session(), token) if token else None
    found = Caller(name, sessions.token_tag(token) if name and token else None)
    g.caller = found
    return found


def opening_read() -> Row:
    """The call's first statement, read once: the session the call's token names
    (``sessions.lookup``; its columns NULL when none does), the hooks' ``reads``
    and, for a call on a server (``/server/{sid}/...``), that server of the
    session's array (``current_server``), in one round trip."""
    row = g.get("opening_read")
    if row is None:
        server_key = (request.view_args or {}).get("sid")
        statements = current_app.extensions.setdefault("mockarray.opening_read", {})
        with_server = server_key is not None
        statement = statements.get(with_server)
        if statement is None:
            reads = call_hooks(current_app).reads
            statement = sessions.lookup_with(*reads, server=with_server)
            statements[with_server] = statement
        token = request.headers.get(SESSION_HEADER)
        with opening_connection() as connection:
            row = sessions.lookup(connection, token, statement, server_key=server_key)
        g.opening_read = row
    return row


def _check_session() -> None:
    if view_attribute("_mockarray_public", False):
        return
    token = request.headers.get(SESSION_HEADER)
    if not token:
        raise Unauthorized(
            f"The {SESSION_HEADER} header is missing. Open a session with POST "
            f"{API_PREFIX}/session and send its sessionId in that header."
        )
    timeout_s = int(current_app.config["SESSION_TIMEOUT"])
    try:
        plugin_session, stale = sessions.resolve(opening_read(), idle_timeout_s=timeout_s)
    except sessions.SessionExpired as expired:
        gone = expired.session_id
        defer_write(lambda connection: sessions.forget(connection, gone))
        raise
    if stale:
        # The idle clock moves at most once a minute, and never makes a read a write;
        # the sessions that expired meanwhile go with it.
        session_id = plugin_session.id
        defer_write(lambda connection: sessions.touch(connection, session_id, timeout_s))
    g.caller = Caller(plugin_session.array_name, sessions.token_tag(token))
    g.array_id = plugin_session.array_id


def opened_session(array_name: str) -> None:
    """``POST /session`` names its caller once it has logged in."""
    g.caller = Caller(array_name)


def current_array_id() -> int:
    """The array of the request's session."""
    return g.array_id


def current_server(key: str) -> inventory.ServerRow:
    """The server ``key`` of the session's array (``NotFound`` otherwise): read
    with the session when the call's path names it."""
    row = g.get("opening_read")
    if row is not None and key == (request.view_args or {}).get("sid"):
        server = inventory.server_in(row)
        if server is not None:
            return server
    return inventory.get_server(db_session(), current_array_id(), key)


# -- the call's moment -------------------------------------------------------------------

#: The last offset of simulated from real time this process read (for ``call_moment``).
_LAST_OFFSET = "mockarray.plugin.clock_offset"


def call_moment() -> int:
    """The call's moment on the arrays' clock (epoch ms), read once per call.

    In the call's own transaction when it has a sound one (so a call that read
    the clock already asks nothing more, and its log line and journal row carry
    the time its objects were stamped with), else in a short read transaction.
    When the database cannot be read at all (the call is answered ``503``), the
    last offset this process read is applied to real time.
    """
    known = g.get("call_moment")
    if known is not None:
        return known
    real = getattr(database().clock, "time_source", clock.wall_ms)
    session = g.get("db_session")
    moment = None
    if session is not None and session.is_active:
        # A transaction a failed statement spoilt cannot read: then one of its own does.
        with contextlib.suppress(SQLAlchemyError):
            moment = clock.now(session)
    if moment is None:
        try:
            with database().transaction(write=False) as reading:
                moment = clock.now(reading)
        except SQLAlchemyError as error:
            log.warning("no clock reading for %s %s: %s", request.method, request.path, error)
            moment = real() + current_app.extensions.get(_LAST_OFFSET, 0)
    current_app.extensions[_LAST_OFFSET] = moment - real()
    g.call_moment = moment
    return moment


# -- around every call -------------------------------------------------------------------


def _start_call() -> None:
    g.call_started = time.perf_counter()
    check_media_types()
    for hook in call_hooks(current_app).before:
        hook()
    _check_session()


def call_notes() -> list[str]:
    """What the array did on its own during the call being answered, one sentence
    each: the snapshots it auto-deleted to make room (``capacity.AutoDeleted``).
    Empty for a refused call, which changed nothing."""
    return g.get("call_notes", [])


def _collect_notes(response: Response, at_ms: int) -> None:
    session = g.get("db_session")
    deleted = capacity.take_auto_deleted(session) if session is not None else []
    if response.status_code >= 400:
        deleted = []
    g.call_notes = [entry.sentence() for entry in deleted]
    if deleted:
        calllog.log_auto_deleted(at_ms, caller().array_name, deleted)


def _finish_call(response: Response) -> Response:
    duration_ms = (time.perf_counter() - g.get("call_started", time.perf_counter())) * 1000
    at_ms = call_moment()
    _collect_notes(response, at_ms)
    hooks = call_hooks(current_app)
    for hook in hooks.after:
        hook(response, duration_ms, at_ms)
    array_name = caller().array_name
    try:
        return finish_unit_of_work(response)
    finally:
        # After the commit: a write holds the database's write lock until then.
        calllog.log_call(array_name, response.status_code, duration_ms, at_ms)
        for hook in hooks.answered:
            hook(response, duration_ms, at_ms)


def init_conventions(plugin: Blueprint) -> None:
    plugin.before_request(_start_call)
    plugin.after_request(_finish_call)
    plugin.teardown_request(discard_unit_of_work)
