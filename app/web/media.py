"""Media types: ``Accept`` must admit what a call answers with, a body must be JSON
(``415`` otherwise, as the guide says). A view may answer or take other types when
it says so (``media_types``, ``body_types``): the plugin API's ``GET /log`` answers
a zip, the control plane's ``POST /seed`` takes YAML too."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request
from werkzeug.exceptions import UnsupportedMediaType

JSON = "application/json"
#: YAML's registered type (RFC 9512), and the older names clients still send.
YAML = "application/yaml"
YAML_TYPES = (YAML, "application/x-yaml", "text/yaml")

F = TypeVar("F", bound=Callable)


def media_types(*accepted: str) -> Callable[[F], F]:
    """Declare what a view answers with, when it is not JSON (``GET /log``)."""

    def decorate(view: F) -> F:
        view._mockarray_media_types = accepted  # type: ignore[attr-defined]
        return view

    return decorate


def body_types(*accepted: str) -> Callable[[F], F]:
    """Declare what a view's request body may be, when not only JSON (``POST /seed``)."""

    def decorate(view: F) -> F:
        view._mockarray_body_types = accepted  # type: ignore[attr-defined]
        return view

    return decorate


def accepted_body_types() -> tuple[str, ...]:
    """What the request's view takes as a body: JSON unless it says more."""
    return view_attribute("_mockarray_body_types", (JSON,))


def view_attribute(name: str, default=None):
    """An attribute a decorator set on the view that serves the request."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, name, default)


def admits(mimetype: str) -> bool:
    """Whether the request's ``Accept`` admits ``mimetype`` (no header admits all).

    Media-type parameters are ignored (``application/json; charset=utf-8``
    admits JSON), as are ranges with quality 0.
    """
    accept = request.headers.get("Accept")
    if not accept or accept == mimetype:  # most calls: nothing to parse
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
        accepted = accepted_body_types()
        if request.mimetype in accepted:
            return
        raise UnsupportedMediaType(
            f"A request body must be {' or '.join(accepted)}, not "
            f"{request.mimetype or 'untyped'}. Send 'Content-Type: {JSON}'."
        )
