"""Media types: ``Accept`` must admit what a call answers with, a body must be JSON
(``415`` otherwise, as the guide says)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request
from werkzeug.exceptions import UnsupportedMediaType

JSON = "application/json"

F = TypeVar("F", bound=Callable)


def media_types(*accepted: str) -> Callable[[F], F]:
    """Declare what a view answers with, when it is not JSON (``GET /log``)."""

    def decorate(view: F) -> F:
        view._mockarray_media_types = accepted  # type: ignore[attr-defined]
        return view

    return decorate


def view_attribute(name: str, default=None):
    """An attribute a decorator set on the view that serves the request."""
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
    offered = view_attribute("_mockarray_media_types", (JSON,))
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
