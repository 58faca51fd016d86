"""The mockarray a test session uses: one the plugin starts (``mockarray serve`` on a
free port, a throwaway database), one in this process (a Flask test client), or
one already running at a URL.

Each is a ``MockarrayServer``: a transport both clients share, the arrays' logins
(from the fixture it was seeded with), and the session's checkpoint.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from mockarray.client import ControlClient, MockarrayError, PluginClient, Unauthorized
from mockarray.client.transport import FlaskTransport, HttpTransport, Transport

#: The demo lab's fixture, seeded when no other is named.
DEMO = "demo.yaml"
#: Settings that would point a started server at another database, address or data
#: directory than the plugin's, or lock its control plane: never passed on to it.
SERVER_LOCATION_SETTINGS = frozenset(
    {
        "MOCKARRAY_DATA_DIR",
        "MOCKARRAY_DATABASE_URL",
        "MOCKARRAY_LOG_DIR",
        "MOCKARRAY_BIND",
        "MOCKARRAY_WORKERS",
        "MOCKARRAY_TLS_CERTFILE",
        "MOCKARRAY_TLS_KEYFILE",
        "MOCKARRAY_ADMIN_TOKEN",
    }
)


class StartError(Exception):
    """The mockarray to test against could not be started or reached."""


@dataclass(frozen=True)
class ArrayLogin:
    """How to log in to one array of the lab (from its fixture)."""

    name: str
    hostname: str
    username: str
    password: str
    servers: tuple[str, ...] = ()


def demo_fixture_text() -> str:
    return files("mockarray.lab.seeding").joinpath(DEMO).read_text(encoding="utf-8")


def logins_of(text: str, source: str) -> list[ArrayLogin]:
    """The arrays of a fixture document (YAML or JSON), in its order."""
    import yaml  # a dependency of mockarray; loaded only when a lab is

    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StartError(f"{source} is not valid YAML: {error}") from None
    arrays = document.get("arrays") if isinstance(document, dict) else None
    if not isinstance(arrays, list):
        raise StartError(f"{source} is not a fixture: it has no 'arrays' list (docs/fixtures.md).")
    logins = []
    for number, spec in enumerate(arrays):
        keys = ("name", "hostname", "username", "password")
        missing = [key for key in keys if not isinstance(spec, dict) or key not in spec]
        if missing:
            raise StartError(
                f"{source}: arrays[{number}] has no {', '.join(missing)} (docs/fixtures.md)."
            )
        logins.append(ArrayLogin(*(str(spec[key]) for key in keys)))
    return logins


class MockarrayServer:
    """The mockarray of the test session, however it runs (``mode``: ``server``,
    ``inprocess`` or ``remote``)."""

    mode = ""

    def __init__(self, transport: Transport, logins: list[ArrayLogin], token: str | None = None):
        self.transport = transport
        self.token = token
        #: The lab's arrays, first the one the ``mockarray`` fixture logs in to.
        self.arrays = logins
        self._checkpoint: str | None = None
        #: The session opened to each array, reused while it lasts: a login costs the
        #: server a password hash, a check one read.
        self._sessions: dict[str, str] = {}

    @property
    def url(self) -> str | None:
        """The server's URL (``None`` in-process)."""
        return getattr(self.transport, "url", None)

    def control(self) -> ControlClient:
        """A client of the control plane."""
        return ControlClient(self.transport, token=self.token)

    def login(self, array: str | None = None, *, server: str | None = None) -> PluginClient:
        """A plugin API client logged in to ``array`` (by name; default the lab's
        first), sending its calls to ``server`` when they name none."""
        if not self.arrays:
            raise LookupError("The lab has no arrays to log in to.")
        if array is None:
            login = self.arrays[0]
        else:
            found = [a for a in self.arrays if array in (a.name, a.hostname)]
            if not found:
                names = ", ".join(a.name for a in self.arrays)
                raise LookupError(f"The lab has no array named {array!r} (it has {names}).")
            login = found[0]
        client = PluginClient(
            self.transport, server=server, session_id=self._sessions.get(login.name)
        )
        if client.session_id is not None:
            try:
                client.storage_id = client.storage()["id"]
                return client
            except Unauthorized:  # expired, or ended by a reset
                client.session_id = None
        client.login(login.hostname, login.username, login.password)
        self._sessions[login.name] = client.session_id
        return client

    def checkpoint(self) -> str:
        """The checkpoint of the lab as the session found it: saved on first use;
        every test's lab is put back to it."""
        if self._checkpoint is None:
            name = f"pytest-{uuid.uuid4().hex[:12]}"
            self.control().save_checkpoint(name)
            self._checkpoint = name
        return self._checkpoint

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's own log, when the plugin started it."""
        return ""

    def stop(self) -> None:
        close = getattr(self.transport, "close", None)
        if close is not None:
            close()


class RemoteServer(MockarrayServer):
    """A mockarray already running at ``url`` (``--mockarray-url``): never started or
    stopped here; the session's checkpoint is deleted at the end."""

    mode = "remote"

    def __init__(self, url: str, logins: list[ArrayLogin], token: str | None, timeout_s: float):
        super().__init__(HttpTransport(url), logins, token)
        try:
            self.control().wait_until_ready(timeout_s)
            self.control().clock()  # a call the control plane checks the caller of
        except TimeoutError:
            raise StartError(
                f"No mockarray answered at {url} within {timeout_s:g} s "
                "(is it running? is the URL right?)."
            ) from None
        except MockarrayError as refused:
            raise StartError(
                f"The control plane at {url} refused the plugin: {refused.message} "
                "(--mockarray-token or MOCKARRAY_ADMIN_TOKEN gives the token)."
            ) from None

    def stop(self) -> None:
        if self._checkpoint is not None:
            with contextlib.suppress(MockarrayError, OSError):
                self.control().delete_checkpoint(self._checkpoint)
        super().stop()


class StartedServer(MockarrayServer):
    """``mockarray serve`` started by the plugin on a free loopback port, its data
    (and, unless ``database_url`` names one, its SQLite database) in ``data_dir``."""

    mode = "server"

    def __init__(
        self,
        data_dir: Path,
        fixture: Path | None,
        *,
        workers: int = 1,
        database_url: str | None = None,
        timeout_s: float = 60,
    ):
        logins = fixture_logins(fixture)
        data_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.log_path = data_dir / "mockarray-serve.log"
        env = {k: v for k, v in os.environ.items() if k not in SERVER_LOCATION_SETTINGS}
        if database_url:
            env["MOCKARRAY_DATABASE_URL"] = database_url
        seed = ["--seed", str(fixture)] if fixture else ["--demo"]
        command = [
            *(sys.executable, "-m", "mockarray", "serve"),
            *("--bind", f"127.0.0.1:{port}", "--data-dir", str(data_dir / "data")),
            *("--workers", str(workers), *seed),
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=data_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: stopping it takes its workers too.
                start_new_session=True,
            )
        super().__init__(HttpTransport(f"http://127.0.0.1:{port}"), logins)
        self._wait(timeout_s)

    def _wait(self, timeout_s: float) -> None:
        control = self.control()
        deadline = time.monotonic() + timeout_s
        while not control.ready():
            if self.process.poll() is not None:
                raise StartError(
                    f"mockarray serve exited with status {self.process.returncode}:\n"
                    f"{self.log_tail()}"
                )
            if time.monotonic() >= deadline:
                self.stop()
                raise StartError(
                    f"mockarray serve did not answer within {timeout_s:g} s:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        super().stop()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


class InProcessServer(MockarrayServer):
    """The application built in this process, called through its Flask test client:
    no socket, no subprocess. Its database (SQLite in ``data_dir`` unless
    ``database_url`` names one) is migrated and seeded when empty."""

    mode = "inprocess"

    def __init__(self, data_dir: Path, fixture: Path | None, *, database_url: str | None = None):
        # The server's own modules: Flask, SQLAlchemy, Alembic (only in this mode).
        from mockarray import create_app
        from mockarray.lab.seeding.loader import FixtureError, is_empty, seed
        from mockarray.migrate import upgrade

        source, text = _fixture_text(fixture)
        self.app = create_app(
            {
                "DATA_DIR": str(data_dir),
                "DATABASE_URL": database_url or "",
                "LOG_DIR": "",
                "ADMIN_TOKEN": "",
            }
        )
        database = self.app.extensions["mockarray.db"]
        upgrade(database)
        try:
            with database.transaction() as session:
                if is_empty(session):
                    seed(session, text, source)
        except FixtureError as error:
            database.dispose()
            raise StartError(f"{error}\nNothing was loaded.") from None
        super().__init__(FlaskTransport(self.app.test_client()), logins_of(text, source))

    def stop(self) -> None:
        super().stop()
        self.app.extensions["mockarray.db"].dispose()


def fixture_logins(fixture: Path | None) -> list[ArrayLogin]:
    """The arrays of the fixture file (default the demo lab)."""
    source, text = _fixture_text(fixture)
    return logins_of(text, source)


def _fixture_text(fixture: Path | None) -> tuple[str, str]:
    """``(source, text)`` of the fixture file, or of the demo lab."""
    if fixture is None:
        return DEMO, demo_fixture_text()
    try:
        return str(fixture), fixture.read_text(encoding="utf-8")
    except OSError as error:
        raise StartError(f"Cannot read the mockarray fixture {fixture}: {error}") from None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
