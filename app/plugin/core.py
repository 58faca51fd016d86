"""The plugin API's conventions, each in one place (``../shared/spec/README.md``):

- media types: ``Accept`` must admit JSON, a body must be JSON (``415``);
- the session header on every call but the public ones (``401``);
- one unit of work per request: a database session scoped to the request,
  committed once after a successful view, rolled back otherwise;
- pagination with ``limit``/``start`` and ``X-Total-Count``;
- ``400`` (not webargs' ``422``) for invalid parameters and bodies.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import marshmallow as ma
from flask import Flask, Response, current_app, g, request
from flask_smorest import Blueprint
from sqlalchemy.orm import Session
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import UnsupportedMediaType

from mockarray.array import inventory, sessions
from mockarray.array.queries import Page
from mockarray.database import Database
from mockarray.errors import Unauthorized
from mockarray.lab import faults

API_PREFIX = "/storageplugin/api"
SESSION_HEADER = "x-storageplugin-sessionid"
JSON = "application/json"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

F = TypeVar("F", bound=Callable)


class _Parser(FlaskParser):
    """A malformed or invalid request is a ``400``, as the guide says."""

    DEFAULT_VALIDATION_STATUS = 400
    DEFAULT_UNKNOWN_BY_LOCATION = {
        # Be liberal in what we accept: a client may send more than we read.
        "json": ma.EXCLUDE,
        "query": ma.EXCLUDE,
        "form": ma.EXCLUDE,
        "headers": ma.EXCLUDE,
        "cookies": ma.EXCLUDE,
        "files": ma.EXCLUDE,
        "view_args": ma.RAISE,
        "json_or_form": ma.EXCLUDE,
        "querystring": ma.EXCLUDE,
    }


class PluginBlueprint(Blueprint):
    """A resource of the plugin API."""

    ARGUMENTS_PARSER = _Parser()


def public(view: F) -> F:
    """Mark a view that needs no session (``GET /info``, ``POST /session``)."""
    view._mockarray_public = True  # type: ignore[attr-defined]
    return view


def media_types(*accepted: str) -> Callable[[F], F]:
    """Declare what a view answers with, when it is not JSON (``GET /log``)."""

    def decorate(view: F) -> F:
        view._mockarray_media_types = accepted  # type: ignore[attr-defined]
        return view

    return decorate


# -- the unit of work ---------------------------------------------------------


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["mockarray.db"]


def db_session() -> Session:
    """The request's database session; write requests take the write lock first."""
    session = g.get("db_session")
    if session is None:
        session = database().session(write=request.method not in READ_METHODS)
        g.db_session = session
    return session


def finish_unit_of_work(response: Response) -> Response:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        try:
            if response.status_code < 400:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()
    return response


def discard_unit_of_work(_exc: BaseException | None) -> None:
    # Reached without after_request only when the request failed outright.
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()


# -- the checks every plugin call goes through ---------------------------------


def _view_attribute(name: str, default=None):
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, name, default)


def admits(mimetype: str) -> bool:
    """Whether the request's ``Accept`` admits ``mimetype`` (no header admits all).

    Media-type parameters are ignored (``application/json; charset=utf-8``
    admits JSON), as are ranges with quality 0.
    """
    if not request.headers.get("Accept"):
        return True
    kind = mimetype.split("/")[0]
    for value, quality in request.accept_mimetypes:
        offered = value.split(";")[0].strip().lower()
        if quality > 0 and offered in (mimetype, "*/*", f"{kind}/*"):
            return True
    return False


def check_media_types() -> None:
    offered = _view_attribute("_mockarray_media_types", (JSON,))
    if not any(admits(mimetype) for mimetype in offered):
        raise UnsupportedMediaType(
            f"The Accept header ({request.headers.get('Accept')!r}) admits none of what this "
            f"call answers with: {', '.join(offered)}. Send 'Accept: {offered[0]}'."
        )
    has_body = (request.content_length or 0) > 0 or "chunked" in request.headers.get(
        "Transfer-Encoding", ""
    )
    if has_body and request.mimetype != JSON:
        raise UnsupportedMediaType(
            f"A request body must be {JSON}, not {request.mimetype or 'untyped'}. "
            f"Send 'Content-Type: {JSON}'."
        )


def _apply_faults() -> None:
    """Fault rules, checked before the array acts, so a faulted call changes nothing.

    The rules are read and claimed in short transactions of their own (before
    the request's unit of work begins): one cheap query when there are none.
    """
    db = database()
    path = request.path[len(API_PREFIX) :] or "/"
    action = request.args.get("action")
    with db.transaction(write=False) as reading:
        rules = faults.candidates(reading, method=request.method, path=path, action=action)
        if any(rule.array is not None for rule in rules):
            array = sessions.array_name_of(reading, request.headers.get(SESSION_HEADER))
            rules = [rule for rule in rules if rule.array in (None, array)]
    for rule in rules:
        with db.transaction(write=True) as claiming:
            fault = faults.claim(claiming, rule)
        if fault is None:
            continue
        g.fault_id = fault.rule_id
        # So that the journal can say whose call was faulted.
        token = request.headers.get(SESSION_HEADER)
        with db.transaction(write=False) as reading:
            g.array_name = sessions.array_name_of(reading, token)
        g.session_tag = sessions.token_tag(token) if g.array_name else None
        if fault.delay_ms:
            time.sleep(fault.delay_ms / 1000)
        if fault.status is not None:
            raise faults.InjectedFault(fault.status, fault.message)
        return


def _check_session() -> None:
    if _view_attribute("_mockarray_public", False):
        return
    token = request.headers.get(SESSION_HEADER)
    if not token:
        raise Unauthorized(
            f"The {SESSION_HEADER} header is missing. Open a session with POST "
            f"{API_PREFIX}/session and send its sessionId in that header."
        )
    plugin_session = sessions.resolve(
        db_session(),
        token,
        idle_timeout_s=int(current_app.config["SESSION_TIMEOUT"]),
        database=database() if request.method in READ_METHODS else None,
    )
    g.plugin_session = plugin_session
    g.session_tag = sessions.token_tag(token)
    g.array_id = plugin_session.array_id
    g.array_name = plugin_session.array.name


def current_array_id() -> int:
    """The array of the request's session."""
    return g.array_id


# -- pagination -----------------------------------------------------------------


class PageQuery(ma.Schema):
    """``limit`` and ``start`` (0-based offset); without them, the whole list."""

    limit = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=0),
        metadata={"description": "Largest number of items to return."},
    )
    start = ma.fields.Integer(
        load_default=0,
        validate=ma.validate.Range(min=0),
        metadata={"description": "0-based offset of the first item to return."},
    )

    @ma.post_load
    def make_page(self, data, **_kwargs) -> Page:
        return Page(start=data["start"], limit=data["limit"])


def listing(key: str, items: Sequence, total: int):
    """A list body ``{key: [...]}`` with its total in ``X-Total-Count``."""
    return {key: items}, {"X-Total-Count": str(total)}


def init_conventions(plugin: Blueprint) -> None:
    plugin.before_request(check_media_types)
    plugin.before_request(_apply_faults)
    plugin.before_request(_check_session)
    plugin.after_request(finish_unit_of_work)
    plugin.teardown_request(discard_unit_of_work)


def current_server(key: str):
    """The server ``key`` of the session's array (``NotFound`` otherwise)."""
    return inventory.get_server(db_session(), current_array_id(), key)
