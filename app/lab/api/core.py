"""Conventions of the control plane: the token, media types, one unit of work."""

from __future__ import annotations

import hmac
import ipaddress

from flask import current_app, request
from flask_smorest import Blueprint

from mockarray.errors import Forbidden, Unauthorized
from mockarray.web.media import check_media_types
from mockarray.web.openapi import ErrorDocs, Operation
from mockarray.web.transaction import discard_unit_of_work, finish_unit_of_work

CONTROL_PREFIX = "/mockarray/api"


def _error_statuses(operation: Operation) -> set[int]:
    statuses = {401, 403, 415, 503}
    if operation.writes:
        statuses.add(409)
    if operation.path_arguments:
        statuses.add(404)
    if operation.takes_query or operation.takes_body:
        statuses.add(400)
    if operation.takes_body:
        statuses.add(413)
    return statuses


ERRORS = ErrorDocs(
    descriptions={
        400: "Invalid input: 'message' says what is wrong, 'errors' names each field.",
        401: "MOCKARRAY_ADMIN_TOKEN is set and the call did not send "
        "'Authorization: Bearer <token>' with it.",
        403: "MOCKARRAY_ADMIN_TOKEN is unset and the client is not on the loopback interface.",
        404: "No such checkpoint, fault rule, array, server or volume, or no such path.",
        409: "The lab's state forbids the call (a checkpoint name already taken...), or "
        "another call changed the same objects at the same time; 'message' says which.",
        413: "The request body is too large.",
        415: "The Accept header does not admit application/json, or the request body is not "
        "application/json.",
        503: "The database is busy or unavailable (retry after Retry-After seconds), or not "
        "migrated yet.",
        507: "Not enough free space in the pool.",
    },
    statuses=_error_statuses,
)


def _is_loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def check_token() -> None:
    token = str(current_app.config.get("ADMIN_TOKEN") or "")
    if not token:
        if not _is_loopback(request.remote_addr):
            raise Forbidden(
                "The control plane answers loopback clients only while MOCKARRAY_ADMIN_TOKEN "
                "is unset; set it and send 'Authorization: Bearer <token>'."
            )
        return
    sent = request.headers.get("Authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        raise Unauthorized(
            "The control plane needs 'Authorization: Bearer <MOCKARRAY_ADMIN_TOKEN>'."
        )


def init_control_conventions(control: Blueprint) -> None:
    control.before_request(check_media_types)
    control.before_request(check_token)
    control.after_request(finish_unit_of_work)
    control.teardown_request(discard_unit_of_work)
