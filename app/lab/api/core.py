"""Conventions of the control plane: the token, media types, one unit of work."""

from __future__ import annotations

import hmac
import ipaddress

from flask import current_app, request
from flask_smorest import Blueprint

from mockarray.errors import Forbidden, Unauthorized
from mockarray.web.media import check_media_types
from mockarray.web.transaction import discard_unit_of_work, finish_unit_of_work

CONTROL_PREFIX = "/mockarray/api"


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
