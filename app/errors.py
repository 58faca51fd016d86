"""Domain errors, raised by the array's behaviour and turned into HTTP answers
by one handler (``app.api.errors``). The behaviour layer knows no HTTP; each
error only carries the status a REST front end should give it.
"""

from __future__ import annotations


class ArrayError(Exception):
    """Something the simulated array refuses. ``message`` says what and how to fix it."""

    status = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Invalid(ArrayError):
    """The request is well formed but its values make no sense for the array."""

    status = 400


class Unauthorized(ArrayError):
    status = 401


class NotFound(ArrayError):
    status = 404

    @classmethod
    def object(cls, kind: str, object_id: object, where: str | None = None) -> NotFound:
        place = f" on {where}" if where else ""
        return cls(f"{kind} '{object_id}' does not exist{place}.")


class Conflict(ArrayError):
    """The array's current state forbids the request (mapped volume, name taken...)."""

    status = 409


class NoSpace(ArrayError):
    """Not enough free space in the pool."""

    status = 507
