"""How a client reaches mockarray: over HTTP, or into a Flask test client in-process.

A transport sends one request and returns the ``Response``; the clients
(``PluginClient``, ``ControlClient``) build the requests and read the answers,
so both run unchanged over either.
"""

from __future__ import annotations

import http.client
import json
import select
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

#: Seconds a call may take: longer than the longest delay a fault rule may inject (55 s).
DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Response:
    """One answer: ``status``, ``headers`` (names in lower case) and the raw ``body``."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        """The body decoded as JSON; ``None`` when there is none."""
        return json.loads(self.body) if self.body else None


class Transport(Protocol):
    """Sends a request whose ``target`` is a path with its query string
    (``/storageplugin/api/server?limit=2``)."""

    def request(
        self, method: str, target: str, *, body: bytes | None, headers: dict[str, str]
    ) -> Response: ...


class HttpTransport:
    """HTTP(S) to a server at ``url`` (``http://127.0.0.1:8080``; a path in it is a
    prefix, for a server behind a reverse proxy), with keep-alive connections.

    Thread-safe: each call takes an idle connection or opens one, and puts it
    back when the answer is read. ``verify=False`` accepts any certificate
    (a lab's self-signed one); ``ssl_context`` replaces the default context.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        verify: bool = True,
        ssl_context: ssl.SSLContext | None = None,
    ):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Not an http:// or https:// URL: {url!r}")
        self.url = url.rstrip("/")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        if self.scheme == "https" and ssl_context is None:
            ssl_context = ssl.create_default_context()
            if not verify:
                ssl_context.check_hostname = False
                ssl_context.verify_mode = ssl.CERT_NONE
        self.ssl_context = ssl_context
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connect(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=self.timeout, context=self.ssl_context
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def _take(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection the server has not closed, or a new one; and whether it
        was reused."""
        with self._lock:
            while self._idle:
                connection = self._idle.pop()
                if _still_open(connection):
                    return connection, True
                connection.close()
        return self._connect(), False

    def _give_back(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.append(connection)

    def request(
        self, method: str, target: str, *, body: bytes | None, headers: dict[str, str]
    ) -> Response:
        connection, reused = self._take()
        try:
            connection.request(method, self.prefix + target, body=body, headers=headers)
            answer = connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()
            if not reused:
                raise
            # The server closed the idle connection (keep-alive timeout) as the call
            # went out, so it never read it: send it once more on a new connection.
            connection = self._connect()
            connection.request(method, self.prefix + target, body=body, headers=headers)
            answer = connection.getresponse()
        except BaseException:
            connection.close()
            raise
        try:
            data = answer.read()
        except BaseException:
            connection.close()
            raise
        response = Response(
            answer.status, {name.lower(): value for name, value in answer.getheaders()}, data
        )
        if answer.will_close:
            connection.close()
        else:
            self._give_back(connection)
        return response

    def close(self) -> None:
        """Close the idle connections (a later call opens a new one)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def _still_open(connection: http.client.HTTPConnection) -> bool:
    """An idle keep-alive connection has nothing to read; if it has, the server
    closed it (or broke protocol): do not reuse it."""
    sock = connection.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


class FlaskTransport:
    """In-process: calls go straight into a Flask test client (``app.test_client()``),
    no socket. The server sees a loopback client calling ``localhost``, so the
    control plane answers it without a token."""

    def __init__(self, test_client: Any):
        self.test_client = test_client

    def request(
        self, method: str, target: str, *, body: bytes | None, headers: dict[str, str]
    ) -> Response:
        path, _, query = target.partition("?")
        answer = self.test_client.open(
            path, method=method, query_string=query, data=body, headers=headers
        )
        try:
            return Response(
                answer.status_code,
                {name.lower(): value for name, value in answer.headers.items()},
                answer.get_data(),
            )
        finally:
            answer.close()

    def close(self) -> None:
        pass
