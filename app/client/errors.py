"""Errors the clients raise: one class per status family, each carrying the answer.

Every error answer of mockarray (both APIs) is ``{"code", "status", "message",
"errors"?}`` (docs/api.md, "The error shape"); ``MockarrayError`` keeps its
parts, so a test can ``pytest.raises(Conflict)`` and read ``message``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class MockarrayError(Exception):
    """An error answer of mockarray: ``status``, its ``message``, the invalid fields
    (``errors``: field path -> problems; empty unless the input was invalid), the
    whole decoded ``body``, the call (``method``, ``path``) and ``retry_after``
    (seconds, from ``Retry-After``; ``None`` when not sent)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: dict[str, list[str]] | None = None,
        body: Any = None,
        method: str = "",
        path: str = "",
        retry_after: float | None = None,
    ):
        self.status = status
        self.message = message
        self.errors = errors or {}
        self.body = body
        self.method = method
        self.path = path
        self.retry_after = retry_after
        super().__init__(str(self))

    def __str__(self) -> str:
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Error"
        call = f" ({self.method} {self.path})" if self.method else ""
        return f"{self.status} {phrase}: {self.message}{call}"


class ClientError(MockarrayError):
    """A ``4xx``: the call was refused for what it asked."""


class BadRequest(ClientError):
    """``400``: invalid input; ``errors`` names the fields."""


class Unauthorized(ClientError):
    """``401``: no, unknown or expired session, a failed login, or a missing control token."""


class Forbidden(ClientError):
    """``403``: the control plane refused the caller (not loopback, or a foreign ``Origin``)."""


class NotFound(ClientError):
    """``404``: no such object (on the session's array) or path."""


class MethodNotAllowed(ClientError):
    """``405``: a verb the path does not have."""


class Conflict(ClientError):
    """``409``: the array's state forbids the call (a mapped volume, a name taken...)."""


class PayloadTooLarge(ClientError):
    """``413``: the body is larger than the server's ``MOCKARRAY_MAX_BODY_BYTES``."""


class UnsupportedMediaType(ClientError):
    """``415``: ``Accept`` or ``Content-Type`` not acceptable."""


class TooManyRequests(ClientError):
    """``429``: too many wrong passwords for the array; see ``retry_after``."""


class ServerError(MockarrayError):
    """A ``5xx`` (an injected fault's status, for instance)."""


class Unavailable(ServerError):
    """``503``: busy or unavailable (or an injected ``503``); see ``retry_after``."""


class NoSpace(ServerError):
    """``507``: not enough free space in the pool."""


_BY_STATUS: dict[int, type[MockarrayError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    429: TooManyRequests,
    503: Unavailable,
    507: NoSpace,
}


def error_class(status: int) -> type[MockarrayError]:
    """The class an error answer of ``status`` is raised as."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ClientError if status < 500 else ServerError
