"""mockarray's pytest plugin: installing mockarray is enough (entry point ``pytest11``).

Fixtures: ``mockarray_server`` (session: a mockarray the plugin starts with a
throwaway database, one in this process, or one running at a URL),
``mockarray_lab`` (a test's lab: the control plane, put back after the test)
and ``mockarray`` (a plugin API client logged in to an array). Options:
``--mockarray-url``, ``--mockarray-token``, ``--mockarray-fixture`` (ini
``mockarray_fixture``), ``--mockarray-inprocess`` (ini ``mockarray_mode``), ini
``mockarray_workers``; the marker ``mockarray_array`` picks the array.
docs/pytest.md describes them.

May import: ``mockarray.client``; in-process mode also builds the application
(the root, ``migrate``, the lab's seeding), imported only then, so that a pytest
run that uses no mockarray loads nothing of the server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mockarray.client import ControlClient, MockarrayError, PluginClient
from mockarray.pytest_plugin.servers import (
    ArrayLogin,
    InProcessServer,
    MockarrayServer,
    RemoteServer,
    StartedServer,
    StartError,
    fixture_logins,
)

MODES = ("server", "inprocess")

__all__ = ["ArrayLogin", "Lab", "MockarrayServer", "Settings"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockarray", "mockarray (a simulated CDM storage array)")
    group.addoption(
        "--mockarray-url",
        metavar="URL",
        help="Test against the mockarray running at URL (default $MOCKARRAY_URL) instead of "
        "starting one.",
    )
    group.addoption(
        "--mockarray-token",
        metavar="TOKEN",
        help="The control plane's token of the server at --mockarray-url "
        "(default $MOCKARRAY_ADMIN_TOKEN).",
    )
    group.addoption(
        "--mockarray-fixture",
        metavar="FILE",
        help="The lab to seed (a YAML fixture; default the demo lab); with --mockarray-url, "
        "the lab that server holds. Overrides the ini option mockarray_fixture.",
    )
    group.addoption(
        "--mockarray-inprocess",
        action="store_true",
        help="Run mockarray in this process (a Flask test client, no sockets) instead of "
        "starting a server.",
    )
    parser.addini(
        "mockarray_fixture",
        "The lab to seed: a YAML fixture, relative to the ini file (default the demo lab).",
    )
    parser.addini(
        "mockarray_mode",
        "server (start `mockarray serve`, the default) or inprocess (a Flask test client).",
        default="server",
    )
    parser.addini(
        "mockarray_workers", "Worker processes of the server the plugin starts.", default="1"
    )


def pytest_configure(config: pytest.Config) -> None:
    # Checked now, so that a wrong option stops the run at once (a usage error).
    config.stash[SETTINGS] = Settings.of(config)
    config.addinivalue_line(
        "markers",
        "mockarray_array(name, server=None): the array the `mockarray` fixture logs in to "
        "(default the lab's first) and the server its calls go to when they name none.",
    )


@dataclass(frozen=True)
class Settings:
    """How the session gets its mockarray, from the options and the ini file."""

    mode: str
    url: str | None
    token: str | None
    fixture: Path | None
    workers: int

    @classmethod
    def of(cls, config: pytest.Config) -> Settings:
        url = config.getoption("mockarray_url") or os.environ.get("MOCKARRAY_URL") or None
        inprocess = config.getoption("mockarray_inprocess")
        mode = "inprocess" if inprocess else str(config.getini("mockarray_mode")).strip()
        if mode not in MODES:
            raise pytest.UsageError(f"mockarray_mode must be server or inprocess, not {mode!r}.")
        if url and inprocess:
            raise pytest.UsageError("Give --mockarray-url or --mockarray-inprocess, not both.")
        fixture = config.getoption("mockarray_fixture")
        if fixture:
            fixture_path = Path(config.invocation_params.dir, fixture)
        elif config.getini("mockarray_fixture"):
            base = config.inipath.parent if config.inipath else config.rootpath
            fixture_path = base / str(config.getini("mockarray_fixture"))
        else:
            fixture_path = None
        token = config.getoption("mockarray_token") or os.environ.get("MOCKARRAY_ADMIN_TOKEN")
        try:
            workers = int(config.getini("mockarray_workers"))
        except ValueError:
            raise pytest.UsageError("mockarray_workers must be a whole number.") from None
        return cls(
            mode="remote" if url else mode,
            url=url,
            token=token or None,
            fixture=fixture_path,
            workers=workers,
        )


#: The session's ``Settings``, in ``config.stash``.
SETTINGS = pytest.StashKey[Settings]()


class Lab(ControlClient):
    """The control plane of the session's mockarray (``ControlClient``), and its
    arrays: ``login`` gives a plugin API client of any of them."""

    def __init__(self, server: MockarrayServer):
        super().__init__(server.transport, token=server.token)
        self.mockarray_server = server

    @property
    def arrays(self) -> list[ArrayLogin]:
        """The lab's arrays, as its fixture describes them."""
        return self.mockarray_server.arrays

    def login(self, array: str | None = None, *, server: str | None = None) -> PluginClient:
        """A plugin API client logged in to ``array`` (default the lab's first), its
        calls going to ``server`` when they name none."""
        return self.mockarray_server.login(array, server=server)


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mockarray_database_url() -> str | None:
    """The database a mockarray the plugin starts (or runs in-process) uses: ``None``,
    a throwaway SQLite database. Override it to return a SQLAlchemy URL (an empty
    PostgreSQL database, say); it is migrated and seeded when empty."""
    return None


@pytest.fixture(scope="session")
def mockarray_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    mockarray_database_url: str | None,
) -> Iterator[MockarrayServer]:
    """The session's mockarray: started with ``mockarray serve`` on a free port
    (default), run in-process (``--mockarray-inprocess``), or the one at
    ``--mockarray-url``; seeded with the demo lab or ``--mockarray-fixture``."""
    settings = request.config.stash[SETTINGS]
    problem = None
    try:
        if settings.mode == "remote":
            server: MockarrayServer = RemoteServer(
                settings.url, fixture_logins(settings.fixture), settings.token, timeout_s=30
            )
        elif settings.mode == "inprocess":
            server = InProcessServer(
                tmp_path_factory.mktemp("mockarray"),
                settings.fixture,
                database_url=mockarray_database_url,
            )
        else:
            server = StartedServer(
                tmp_path_factory.mktemp("mockarray"),
                settings.fixture,
                workers=settings.workers,
                database_url=mockarray_database_url,
            )
    except StartError as error:
        problem = str(error)
    if problem is not None:
        pytest.fail(f"mockarray: {problem}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def mockarray_lab(mockarray_server: MockarrayServer) -> Iterator[Lab]:
    """The lab as it was when the test started, and after it: the control plane
    (``Lab``, a ``ControlClient``). The journal starts empty; after the test the
    faults are cleared, long tasks run at real-time speed again and the arrays are
    restored from the session's checkpoint."""
    lab = Lab(mockarray_server)
    checkpoint = mockarray_server.checkpoint()
    lab.clear_journal()
    yield lab
    lab.clear_faults()
    lab.reset_clock()
    lab.restore_checkpoint(checkpoint)


@pytest.fixture
def mockarray(request: pytest.FixtureRequest, mockarray_lab: Lab) -> PluginClient:
    """A plugin API client logged in to the lab's first array, or to the one the
    test's ``mockarray_array`` marker names. The journal holds the test's own calls,
    not this login."""
    marker = request.node.get_closest_marker("mockarray_array")
    array = server = None
    if marker is not None:
        array = marker.args[0] if marker.args else marker.kwargs.get("name")
        server = marker.kwargs.get("server")
    try:
        client = mockarray_lab.login(array, server=server)
    except LookupError as error:
        problem = str(error)
    else:
        mockarray_lab.clear_journal()
        return client
    pytest.fail(f"mockarray: {problem}", pytrace=False)


# -- reports ---------------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """A failed test that used the lab shows the calls it made (the journal) and,
    when the plugin started the server, the end of the server's log."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    lab = getattr(item, "funcargs", {}).get("mockarray_lab")
    if not isinstance(lab, Lab):
        return
    try:
        entries = lab.journal()
    except (MockarrayError, OSError) as error:
        report.sections.append(("mockarray journal", f"(could not be read: {error})"))
    else:
        lines = [_journal_line(entry) for entry in entries[-40:]]
        if len(entries) > 40:
            lines.insert(0, f"(the last 40 of {len(entries)} calls)")
        report.sections.append(("mockarray journal", "\n".join(lines) or "(no plugin API call)"))
    tail = lab.mockarray_server.log_tail()
    if tail:
        report.sections.append(("mockarray server log", tail))


def _journal_line(entry: dict) -> str:
    action = f"?action={entry['action']}" if entry.get("action") else ""
    fault = f" (fault rule {entry['faultId']})" if entry.get("faultId") else ""
    array = entry.get("array") or "-"
    return f"{entry['method']} {entry['path']}{action} -> {entry['status']}{fault} [{array}]"
