"""What both clients share: JSON calls through a transport, errors raised by
status, lists with their total."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from mockarray.client.errors import MockarrayError, error_class
from mockarray.client.transport import DEFAULT_TIMEOUT_S, HttpTransport, Response, Transport

JSON = "application/json"


class Page(list):
    """A list answer: its items, and ``total``, the number of items the whole list
    has (``X-Total-Count``; more than ``len`` when ``limit`` cut it)."""

    def __init__(self, items=(), total: int | None = None):
        super().__init__(items)
        self.total = len(self) if total is None else total

    def named(self, name: str) -> dict:
        """The item called ``name``; ``LookupError`` (naming those there are) if none is."""
        for item in self:
            if item.get("name") == name:
                return item
        names = ", ".join(str(item.get("name")) for item in self) or "none"
        raise LookupError(f"Nothing here is named {name!r} (there are: {names}).")


def segment(value: object) -> str:
    """One path segment: an id, a name (``quote``d: a ``/`` in it stays in it)."""
    return quote(str(value), safe="")


def query_string(query: Mapping[str, object] | None) -> str:
    """``?a=1&b=true`` of the parameters that are not ``None`` (flags as ``true``/``false``)."""
    if not query:
        return ""
    pairs = [
        (name, ("true" if value else "false") if isinstance(value, bool) else str(value))
        for name, value in query.items()
        if value is not None
    ]
    return f"?{urlencode(pairs)}" if pairs else ""


def fields(**values: object) -> dict[str, object]:
    """A request body of the fields given (``None``: not sent, the server's default applies)."""
    return {name: value for name, value in values.items() if value is not None}


def milliseconds(value: int | str | timedelta | None) -> int | str | None:
    """A duration as the API takes it: a ``timedelta`` in milliseconds; a number
    (milliseconds) or a string with a unit (``"90s"``) as it is."""
    if isinstance(value, timedelta):
        return int(value.total_seconds() * 1000)
    return value


def epoch_ms(value: int | datetime | None) -> int | None:
    """A moment as the API takes it: epoch milliseconds (a ``datetime`` converted)."""
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return value


class BaseClient:
    """JSON calls below ``PREFIX`` through a transport: an ``http(s)://`` URL, or a
    ``Transport`` (``FlaskTransport`` for in-process tests)."""

    PREFIX = ""

    def __init__(
        self,
        target: str | Transport,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        verify: bool = True,
    ):
        if isinstance(target, str):
            target = HttpTransport(target, timeout=timeout, verify=verify)
        self.transport: Transport = target

    @property
    def url(self) -> str | None:
        """The server's URL (``None`` in-process)."""
        return getattr(self.transport, "url", None)

    def _headers(self) -> dict[str, str]:
        """Headers every call of this client sends (its credentials)."""
        return {}

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = JSON,
        check: bool = True,
    ) -> Response:
        """One call to ``PREFIX + path``: ``body`` sent as JSON (``bytes`` as they
        are). A ``POST``, ``PUT`` or ``DELETE`` always says ``Content-Type:
        application/json`` (the control plane wants it even without a body). An
        error answer raises ``MockarrayError`` (a subclass by status) unless
        ``check=False``."""
        __tracebackhide__ = True  # a failing test's traceback ends at the test's call
        method = method.upper()
        sent = {"Accept": accept, **self._headers(), **(headers or {})}
        if method not in ("GET", "HEAD"):
            sent.setdefault("Content-Type", JSON)
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        target = self.PREFIX + path + query_string(query)
        response = self.transport.request(method, target, body=data, headers=sent)
        if check and response.status >= 400:
            raise refusal(method, target, response)
        return response

    def call(self, method: str, path: str, **kwargs) -> Any:
        """``request`` and its JSON body (``None`` when the answer has none)."""
        __tracebackhide__ = True
        return self.request(method, path, **kwargs).json()

    def _list(self, path: str, key: str, query: Mapping[str, object] | None = None) -> Page:
        __tracebackhide__ = True
        response = self.request("GET", path, query=query)
        total = response.header("X-Total-Count")
        return Page(response.json()[key], int(total) if total is not None else None)

    def close(self) -> None:
        """Close the client's idle connections."""
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()

    def __enter__(self):
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def refusal(method: str, target: str, response: Response) -> MockarrayError:
    """The error an error answer is raised as."""
    try:
        body = response.json()
    except ValueError:
        body = response.body.decode("utf-8", "replace")
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message, errors = body["message"], body.get("errors") or {}
    else:
        message, errors = (str(body).strip() or "(no message)"), {}
    retry_after = response.header("Retry-After")
    try:
        seconds = float(retry_after) if retry_after is not None else None
    except ValueError:
        seconds = None
    return error_class(response.status)(
        response.status,
        message,
        errors=errors,
        body=body,
        method=method,
        path=target,
        retry_after=seconds,
    )
