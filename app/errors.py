"""Domain errors, raised by the array's behaviour and turned into HTTP answers
by one handler (``mockarray.web.errors``). The behaviour layer knows no HTTP; each
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


class Forbidden(ArrayError):
    status = 403


class TooManyRequests(ArrayError):
    """Tried too often: retry after ``retry_after_s`` seconds (``Retry-After``)."""

    status = 429

    def __init__(self, message: str, *, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s


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


def flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as paths to each bad field.

    ``{"snapshot": {"id": [..]}, "ids": {0: [..]}}`` becomes
    ``{"snapshot.id": [..], "ids[0]": [..]}``; errors of a whole object go
    under its own path, or ``(body)`` at the top.
    """
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix or "(body)"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for inner, texts in flatten(value, path).items():
                flat.setdefault(inner, []).extend(texts)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "(body)"] = list(messages)
    elif isinstance(messages, list):
        for item in messages:
            for inner, texts in flatten(item, prefix).items():
                flat.setdefault(inner, []).extend(texts)
    else:
        flat[prefix or "(body)"] = [str(messages)]
    return flat
