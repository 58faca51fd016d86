"""Conventions of the control plane: who may call (the token, or loopback), no call
from a web page, media types, one unit of work."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from flask import current_app, request
from flask_smorest import Blueprint
from werkzeug.exceptions import UnsupportedMediaType

from mockarray.errors import Forbidden, Unauthorized
from mockarray.web.media import JSON, accepted_body_types, check_media_types, view_attribute
from mockarray.web.openapi import ErrorDocs, Operation, input_errors
from mockarray.web.transaction import discard_unit_of_work, finish_unit_of_work, is_read

CONTROL_PREFIX = "/mockarray/api"
#: The cookie the dashboard's login form sets to the token: what a browser sends
#: instead of ``Authorization: Bearer`` (docs/dashboard.md).
TOKEN_COOKIE = "mockarray_token"

F = TypeVar("F", bound=Callable)


def public(view: F) -> F:
    """Mark a view that anyone may call, without the token and from any address
    (``GET /health``, for probes): it must reveal nothing of the lab."""
    view._mockarray_control_public = True  # type: ignore[attr-defined]
    return view


def is_public(view: Callable) -> bool:
    return getattr(view, "_mockarray_control_public", False)


def _error_statuses(operation: Operation) -> set[int]:
    statuses = {415, 503} | input_errors(operation)
    if not is_public(operation.view):
        statuses |= {401, 403}
    if operation.writes:
        statuses.add(409)
    return statuses


ERRORS = ErrorDocs(
    descriptions={
        400: "Invalid input: 'message' says what is wrong, 'errors' names each field.",
        401: "MOCKARRAY_ADMIN_TOKEN is set and the call did not send "
        "'Authorization: Bearer <token>' with it.",
        403: "MOCKARRAY_ADMIN_TOKEN is unset and the client is not on the loopback interface "
        "or called the server by a name that is not a loopback name (localhost, 127.0.0.1, "
        "[::1]); or a call that changes the lab came from a web page of another site "
        "(a foreign Origin).",
        404: "No such checkpoint, fault rule, array, server or volume, or no such path; "
        "GET /fixture: nothing was seeded.",
        409: "The lab's state forbids the call (a checkpoint name already taken...), or "
        "another call changed the same objects at the same time; 'message' says which.",
        413: "The request body is too large.",
        415: "The Accept header does not admit application/json, or the request body is not "
        "application/json (POST /seed also takes YAML); a POST, PUT or DELETE must send "
        "Content-Type: application/json even without a body.",
        503: "The database is busy or unavailable (retry after Retry-After seconds), or not "
        "migrated yet.",
        507: "Not enough free space in the pool.",
    },
    statuses=_error_statuses,
)


#: Host names a loopback client reaches this server by; any port (IP literals that are
#: loopback addresses, 127.0.0.1 and [::1], count too).
LOOPBACK_NAMES = frozenset({"localhost"})


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _is_loopback_name(host: str) -> bool:
    """``localhost`` or a loopback IP literal (``127.0.0.1``, ``::1``), any case."""
    return host.lower() in LOOPBACK_NAMES or _is_loopback(host.strip("[]"))


def _host_and_port(authority: str, scheme: str) -> tuple[str, int | None]:
    """``("localhost", 8080)`` of ``localhost:8080``; ``[::1]`` without a port takes
    the scheme's (80, 443). ``ValueError`` when it is not a host and port."""
    parts = urlsplit(f"{scheme}://{authority}")
    if not parts.hostname or parts.username is not None or parts.path:
        raise ValueError(authority)
    return parts.hostname.lower(), parts.port or {"http": 80, "https": 443}.get(scheme)


def _origin_is_own(origin: str) -> bool:
    """Whether ``origin`` (an ``Origin`` header) is this server as the call reached it:
    the same port, and the ``Host`` it was called by or, when that is a loopback
    name, another loopback name (``localhost`` for ``127.0.0.1``)."""
    try:
        scheme = urlsplit(origin).scheme.lower()
        if scheme not in ("http", "https") or urlsplit(origin).path not in ("", "/"):
            return False
        origin_host, origin_port = _host_and_port(urlsplit(origin).netloc, scheme)
        own_host, own_port = _host_and_port(request.host, request.scheme)
    except ValueError:
        return False
    if origin_port != own_port:
        return False
    return origin_host == own_host or (
        _is_loopback_name(origin_host) and _is_loopback_name(own_host)
    )


def _bearer(header: str) -> str | None:
    """The token of ``Authorization: Bearer <token>``; the scheme in any case (RFC 7235)."""
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip()


def check_token() -> None:
    """Who may call: with ``MOCKARRAY_ADMIN_TOKEN``, whoever sends it; without, loopback
    clients that call the server by a loopback name (not a name a web page made point
    at 127.0.0.1: DNS rebinding). A ``public`` view lets anyone in."""
    if view_attribute("_mockarray_control_public", False):
        return
    token = str(current_app.config.get("ADMIN_TOKEN") or "")
    if not token:
        if not _is_loopback(request.remote_addr):
            raise Forbidden(
                "The control plane answers loopback clients only while MOCKARRAY_ADMIN_TOKEN "
                "is unset; set it and send 'Authorization: Bearer <token>'."
            )
        host = request.headers.get("Host")
        try:
            name = _host_and_port(host, request.scheme)[0] if host is not None else "localhost"
        except ValueError:
            name = ""
        if not _is_loopback_name(name):
            raise Forbidden(
                f"The control plane answers only calls made to a loopback name (localhost, "
                f"127.0.0.1, [::1]) while MOCKARRAY_ADMIN_TOKEN is unset, not to Host "
                f"{host!r}; call it at http://127.0.0.1:<port>, or set the token."
            )
        return
    sent = _bearer(request.headers.get("Authorization", ""))
    if sent is None:
        # The dashboard's browser after its login form (SameSite=Strict: no other
        # site's page sends it, and check_not_from_a_page still guards changes).
        sent = request.cookies.get(TOKEN_COOKIE)
    if sent is None or not is_admin_token(sent):
        raise Unauthorized(
            "The control plane needs 'Authorization: Bearer <MOCKARRAY_ADMIN_TOKEN>'."
        )


def is_admin_token(sent: str) -> bool:
    """Whether ``sent`` is ``MOCKARRAY_ADMIN_TOKEN`` (compared in constant time)."""
    token = str(current_app.config.get("ADMIN_TOKEN") or "")
    return bool(token) and hmac.compare_digest(sent.encode(), token.encode())


def check_not_from_a_page() -> None:
    """A call that changes the lab must not come from a web page: no foreign ``Origin``,
    and ``Content-Type: application/json`` (even without a body), which a page cannot
    send to another site without a CORS preflight this server never grants."""
    if is_read():
        return
    origin = request.headers.get("Origin")
    if origin is not None and not _origin_is_own(origin):
        raise Forbidden(
            f"The control plane refuses calls that change the lab from a web page of "
            f"another site (Origin {origin!r}); call it from a test or a script, which sends "
            "no Origin."
        )
    # None of the types a call may take is one a page can send without a preflight.
    accepted = accepted_body_types()
    if request.mimetype != JSON and request.mimetype not in accepted:
        sent = f"'{request.mimetype}'" if request.mimetype else "none"
        others = [mimetype for mimetype in accepted if mimetype != JSON]
        also = f" (this call also takes {', '.join(others)})" if others else ""
        raise UnsupportedMediaType(
            f"A {request.method} to the control plane must send 'Content-Type: {JSON}'{also}, "
            f"even without a body (this one sent {sent}): a web page of another site cannot "
            "send that header, so it cannot change the lab."
        )


def init_control_conventions(control: Blueprint) -> None:
    control.before_request(check_token)
    control.before_request(check_not_from_a_page)
    control.before_request(check_media_types)
    control.after_request(finish_unit_of_work)
    control.teardown_request(discard_unit_of_work)
