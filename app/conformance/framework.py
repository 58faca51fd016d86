"""What a check is, what it may find, and the probe it talks to the server through.

A check is a function registered with ``@check(name, guide)``: ``name`` is
``section.thing`` (``volume.list.pagination``), ``guide`` the title of the
guide's section it checks. It calls the server through ``Probe``, which
records every exchange, and ends in one of four ways: it returns (PASS, or
INFO when it noted which reading of an ambiguous passage the server took),
raises ``Skipped`` (nothing to check it on, as no volume on the array),
or raises ``Failed`` with what was expected and the exchange that showed
otherwise.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockarray.client import PluginClient, Response, Transport
from mockarray.client.base import query_string
from mockarray.conformance.guide import Kind, Shape

PASS, INFO, SKIP, FAIL = "PASS", "INFO", "SKIP", "FAIL"
JSON = "application/json"
SESSION_HEADER = "x-storageplugin-sessionid"
#: What the mutating checks name their objects: recognisable, and unlikely to collide.
PREFIX = "conformance-"
#: Characters of an answer's body a failure shows.
BODY_SHOWN = 600


class Failed(Exception):
    """The server did not do what the guide says: the message says what was expected."""

    def __init__(self, message: str, exchange: Exchange | None = None):
        super().__init__(message)
        self.message = message
        self.exchange = exchange


class Skipped(Exception):
    """Nothing to check on (no such object on the array, a feature the server says
    it does not support)."""


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as a failure shows them."""

    method: str
    target: str
    request_body: str | None
    status: int
    response_body: str

    def describe(self) -> str:
        sent = f"\n    body: {self.request_body}" if self.request_body else ""
        return (
            f"  request: {self.method} {self.target}{sent}\n"
            f"  answer:  {self.status} {self.response_body or '(no body)'}"
        )


@dataclass(frozen=True)
class Check:
    name: str
    guide: str
    summary: str
    function: Callable[[Probe], None]
    #: Changes the array (runs only with --write).
    writes: bool = False


@dataclass
class Result:
    name: str
    guide: str
    outcome: str
    message: str = ""
    #: The readings of ambiguous passages the server took, and other information.
    notes: list[str] = field(default_factory=list)
    exchange: Exchange | None = None
    seconds: float = 0.0


REGISTRY: dict[str, Check] = {}


def check(name: str, guide: str, *, writes: bool = False):
    """Register the decorated function as the check ``name`` (its docstring's first
    line is its summary)."""

    def register(function: Callable[[Probe], None]) -> Callable[[Probe], None]:
        assert name not in REGISTRY, name
        summary = (function.__doc__ or "").strip().splitlines()[0]
        REGISTRY[name] = Check(name, guide, summary, function, writes)
        return function

    return register


@dataclass(frozen=True)
class Login:
    """How to open a session: the body of ``POST /session`` and the credentials."""

    hostname: str | None
    ip_address: str | None
    port: int | None
    username: str
    password: str

    def body(self) -> dict:
        body = {"hostname": self.hostname, "ipAddress": self.ip_address, "port": self.port}
        return {name: value for name, value in body.items() if value is not None}

    def basic(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}


class Probe:
    """The server under test, through ``mockarray.client``: raw calls whose every
    exchange is recorded, the session, what was found on the array (cached for
    the run), and the clean-up of what the mutating checks made."""

    def __init__(self, transport: Transport, login: Login, *, timeout_s: float = 60.0):
        self.transport = transport
        self.login = login
        self.timeout_s = timeout_s
        self.client = PluginClient(transport)
        self.session_id: str | None = None
        self.storage_id: str | None = None
        #: How the credentials went when the session was opened (a reading).
        self.credentials_reading = ""
        self.cache: dict[Any, Any] = {}
        self.notes: list[str] = []
        self.last: Exchange | None = None
        #: (what, how to remove it) of the current check, removed newest first.
        self.cleanups: list[tuple[str, Callable[[], None]]] = []
        #: What could not be removed, over the whole run.
        self.left_behind: list[str] = []
        self._unique = 0

    # -- calls ----------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        accept: str = JSON,
        session: str | bool | None = True,
    ) -> Response:
        """``method`` on ``/storageplugin/api`` + ``path``; ``session=True`` sends the
        run's session, ``False``/``None`` none, a string that string."""
        sent = dict(headers or {})
        if session is True:
            session = self.session_id
        if isinstance(session, str):
            sent[SESSION_HEADER] = session
        response = self.client.request(
            method, path, body=body, query=query, headers=sent, accept=accept, check=False
        )
        target = self.client.PREFIX + path + query_string(query)
        if isinstance(body, dict) and "password" in body:
            body_shown = {**body, "password": "***"}  # reports end up in CI logs
        else:
            body_shown = body
        shown = body if body_shown is None or isinstance(body, bytes) else json.dumps(body_shown)
        if isinstance(shown, bytes):
            shown = shown.decode("utf-8", "replace")
        self.last = Exchange(method, target, shown, response.status, _trimmed(response))
        return response

    def get(self, path: str, **kwargs) -> Response:
        return self.call("GET", path, **kwargs)

    def expect(self, response: Response, *statuses: int, what: str = "") -> Response:
        """``response`` when its status is one of ``statuses``, else ``Failed``."""
        if response.status not in statuses:
            expected = " or ".join(str(s) for s in statuses)
            raise Failed(
                f"expected {expected}{' ' + what if what else ''}, got {response.status}",
                self.last,
            )
        return response

    def json(self, response: Response) -> Any:
        """The answer's JSON body, or ``Failed`` when it is not JSON."""
        try:
            return json.loads(response.body)
        except ValueError:
            raise Failed("expected a JSON body", self.last) from None

    def read(self, path: str, *, query: Mapping[str, object] | None = None) -> Any:
        """``GET path`` that must answer 200 with JSON."""
        return self.json(self.expect(self.get(path, query=query), 200))

    def items(self, path: str, key: str, *, query: Mapping[str, object] | None = None) -> list:
        """The list under ``key`` that ``GET path`` answers."""
        answer = self.read(path, query=query)
        if not isinstance(answer, dict) or not isinstance(answer.get(key), list):
            raise Failed(f'expected an object with a list "{key}"', self.last)
        return answer[key]

    def conform(self, value: Any, shape: Shape, what: str) -> None:
        """``Failed`` unless ``value`` has the guide's fields of ``shape`` with their
        types; the readings it took become notes."""
        problems, readings = conformance_of(value, shape, what)
        for reading in readings:
            self.note(reading)
        if problems:
            raise Failed("; ".join(problems[:8]), self.last)

    def note(self, text: str) -> None:
        """Information for the report (the reading the server took); makes a passing
        check INFO."""
        if text not in self.notes:
            self.notes.append(text)

    # -- the session ----------------------------------------------------------------------

    def open_session(self) -> dict:
        """``POST /session``: HTTP Basic first; if that is refused, the credentials as
        ``username``/``password`` body fields (the guide says neither)."""
        response = self.call("POST", "/session", body=self.login.body(), headers=self.login.basic())
        reading = "credentials as HTTP Basic authorization"
        if response.status == 401:
            body = {
                **self.login.body(),
                "username": self.login.username,
                "password": self.login.password,
            }
            response = self.call("POST", "/session", body=body, session=False)
            reading = "credentials as username/password fields of the body"
        if response.status not in (200, 201):
            raise Failed("could not open a session (both ways of sending credentials)", self.last)
        answer = self.json(response)
        if not isinstance(answer, dict) or not isinstance(answer.get("sessionId"), str):
            raise Failed('expected {"sessionId": "…", "storageId": "…"}', self.last)
        self.credentials_reading = reading
        self.session_id = answer["sessionId"]
        self.storage_id = answer.get("storageId")
        return answer

    # -- what is on the array (read once per run) ----------------------------------------

    def cached(self, key: Any, read: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = read()
        return self.cache[key]

    def server_ids(self) -> list[str]:
        def read():
            storage = self.read("/storage")
            ids = storage.get("serverIds") if isinstance(storage, dict) else None
            if not isinstance(ids, list) or not ids:
                raise Failed('expected "serverIds", a list of the servers', self.last)
            return [str(server_id) for server_id in ids]

        return self.cached("servers", read)

    def listed(self, server_id: str, resource: str, key: str) -> list[dict]:
        """The server's objects of ``resource`` (``volume``), read once."""
        path = f"/server/{server_id}/{resource}"
        return self.cached(("list", path), lambda: self.items(path, key))

    def first(self, resource: str, key: str, where: Callable[[dict], bool] = lambda _: True):
        """``(server id, object)`` of the first object of ``resource`` on any server
        for which ``where`` holds; ``Skipped`` when there is none."""
        for server_id in self.server_ids():
            for item in self.listed(server_id, resource, key):
                if isinstance(item, dict) and where(item):
                    return server_id, item
        raise Skipped(f"no {resource} on the array to check this on")

    # -- objects the mutating checks make --------------------------------------------------

    def unique(self, what: str) -> str:
        """A name for an object of this run: the prefix, the time, a counter."""
        self._unique += 1
        return f"{PREFIX}{what}-{int(time.time() * 1000) % 100_000_000}-{self._unique}"

    def on_cleanup(self, what: str, remove: Callable[[], None]) -> tuple:
        """Remove ``what`` after the check (newest first), passed or failed; the
        entry, for ``undone``."""
        entry = (what, remove)
        self.cleanups.append(entry)
        return entry

    def undone(self, entry: tuple) -> None:
        """The check undid it itself (an unmap, a removal): nothing left to clean up."""
        self.cleanups.remove(entry)

    def clean_up(self) -> None:
        while self.cleanups:
            what, remove = self.cleanups.pop()
            try:
                remove()
            except Exception as error:
                self.left_behind.append(f"{what}: {error}")

    def delete(self, path: str, *statuses: int) -> None:
        """``DELETE path``: gone when it answers one of ``statuses`` or ``404``."""
        self.undo("DELETE", path, ok=(*statuses, 404))

    def undo(self, method: str, path: str, *, body=None, action=None, ok=(200, 404)) -> None:
        """A clean-up call; ``RuntimeError`` with the answer unless its status is ``ok``."""
        query = {"action": action} if action else None
        response = self.call(method, path, body=body, query=query)
        if response.status not in ok:
            raise RuntimeError(
                f"{method} {self.last.target} answered {response.status}: {_trimmed(response)}"
            )

    def wait_for(
        self, read: Callable[[], Any], done: Callable[[Any], bool], what: str, interval_s=0.25
    ) -> list[Any]:
        """Read until ``done`` (every ``interval_s``) or the run's timeout; what was read."""
        started = time.monotonic()
        seen = [read()]
        while not done(seen[-1]):
            if time.monotonic() - started > self.timeout_s:
                raise Failed(f"{what} did not complete within {self.timeout_s:g} s", self.last)
            time.sleep(interval_s)
            seen.append(read())
        return seen


def _trimmed(response: Response) -> str:
    text = response.body.decode("utf-8", "replace")
    if response.header("Content-Type", "").startswith(("application/zip", "application/octet")):
        return f"({len(response.body)} bytes of {response.header('Content-Type')})"
    text = " ".join(text.split())
    return text if len(text) <= BODY_SHOWN else text[:BODY_SHOWN] + " …"


# -- the guide's fields and types ----------------------------------------------------------


def conformance_of(value: Any, shape: Shape, what: str) -> tuple[list[str], list[str]]:
    """What is wrong with ``value`` against ``shape`` (field paths named), and the
    readings it took."""
    problems: list[str] = []
    readings: list[str] = []
    _walk(value, shape, what, problems, readings)
    return problems, readings


def _walk(value, shape, path, problems, readings) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected a JSON object, got {_type(value)}")
        return
    for name, kind in shape.items():
        where = f"{path}.{name}"
        if name not in value:
            if isinstance(kind, Kind) and kind.optional:
                readings.append(
                    f"{where} left out where it does not apply (the guide: 'if applicable')"
                )
                continue
            problems.append(f"{where}: missing")
            continue
        field_value = value[name]
        if isinstance(kind, dict):
            _walk(field_value, kind, where, problems, readings)
        elif isinstance(kind, list):
            if not isinstance(field_value, list):
                problems.append(f"{where}: expected an array, got {_type(field_value)}")
                continue
            for index, item in enumerate(field_value):
                _walk(item, kind[0], f"{where}[{index}]", problems, readings)
        else:
            _field(field_value, kind, where, problems, readings)


def _field(value, kind: Kind, where: str, problems: list, readings: list) -> None:
    if value is None:
        if not kind.optional:
            problems.append(f"{where}: expected {_expected(kind)}, got null")
        return
    if kind.type in ("strings",):
        if not isinstance(value, list):
            problems.append(f"{where}: expected an array of strings, got {_type(value)}")
            return
        for index, item in enumerate(value):
            _scalar(
                item,
                Kind("string", unquoted_id=kind.unquoted_id),
                f"{where}[{index}]",
                problems,
                readings,
            )
        return
    _scalar(value, kind, where, problems, readings)


def _scalar(value, kind: Kind, where: str, problems: list, readings: list) -> None:
    if _is(value, kind.type):
        if kind.choices and value not in kind.choices:
            problems.append(f"{where}: expected one of {', '.join(kind.choices)}, got {value!r}")
        return
    if kind.quoted and isinstance(value, str) and _is(_unquote(value, kind.type), kind.type):
        readings.append(f"{where}: a quoted {kind.type}, as the guide's example writes it")
        return
    if kind.unquoted_id and _is(value, "integer"):
        readings.append(f"{where}: a number, as the guide's example writes the id unquoted")
        return
    problems.append(f"{where}: expected {_expected(kind)}, got {_type(value)} {_short(value)}")


def _is(value, type_: str) -> bool:
    if type_ == "string":
        return isinstance(value, str)
    if type_ == "boolean":
        return isinstance(value, bool)
    if type_ == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_ == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    raise ValueError(type_)


def _unquote(text: str, type_: str):
    if type_ == "boolean":
        return {"true": True, "false": False}.get(text)
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text) if type_ == "number" else None
    except ValueError:
        return None


def _expected(kind: Kind) -> str:
    return {
        "string": "a string",
        "number": "a number",
        "integer": "a whole number",
        "boolean": "a boolean",
        "strings": "an array of strings",
    }[kind.type]


def _type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:40] + "…"
