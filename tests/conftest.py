"""Fixtures: ``app``, ``client``, ``runner`` on a throwaway, migrated database.

The database is SQLite in a temporary directory, or a throwaway PostgreSQL
database when ``MOCKARRAY_TEST_DATABASE_URL`` names a server (it is created
for the run and dropped after). It is migrated once with Alembic; each test
starts from an empty lab.

Shared helpers (API client, assertions, lab builders, live server) are in
``tests/support``.

Every test hashes passwords with one PBKDF2 round (``cheap_password_hashes``).
``frozen`` stops the simulated arrays' clock. A module that shares one app
between its tests overrides ``app`` with ``module_app`` and uses ``fresh_lab``.
"""

from __future__ import annotations

import os
import secrets

import pytest
from sqlalchemy import create_engine, delete, text
from sqlalchemy.engine import make_url

from mockarray import create_app
from mockarray.array import clock, sessions
from mockarray.array.models import Checkpoint, FaultRule, JournalEntry, LabClock, now_ms
from mockarray.database import Database
from mockarray.lab.seeding.loader import wipe
from mockarray.migrate import upgrade
from tests.support.api import Api
from tests.support.checks import ids
from tests.support.db import TEST_DATABASE_URL
from tests.support.lab import Lab


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Seeding and logging in hash passwords with 60 000 PBKDF2 rounds, most of a
    test's time; one round does (passwords are still checked, and a server
    started by a test checks a hash as it was made)."""
    monkeypatch.setattr(sessions, "PASSWORD_METHOD", "pbkdf2:sha256:1")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server_url = os.environ.get(TEST_DATABASE_URL)
    if not server_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'mockarray.db'}"
        return
    # A database of our own on that server, so a run never touches real data.
    url = make_url(server_url)
    name = f"mockarray_test_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated(database_url):
    database = Database(database_url)
    upgrade(database)
    database.dispose()
    return database_url


@pytest.fixture
def app(migrated, tmp_path):
    app = create_app(
        {
            "DATABASE_URL": migrated,
            "DATA_DIR": str(tmp_path),
            "SESSION_TIMEOUT": 1800,
            "TESTING": True,
        }
    )
    yield app
    database = app.extensions["mockarray.db"]
    with database.transaction() as session:
        wipe(session)
    database.dispose()


@pytest.fixture
def database(app) -> Database:
    return app.extensions["mockarray.db"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def lab(app) -> Lab:
    """Seeds arrays from fixture documents built in Python."""
    return Lab(app)


@pytest.fixture
def api(client, lab) -> Api:
    """A client logged in to a one-server array ``alpha`` (see ``Lab.standard``)."""
    lab.standard()
    return Api.login(client, "alpha.lab.test")


@pytest.fixture
def ref(api) -> dict[str, str]:
    """Every id of the standard lab (``api``) under a short name, read through the
    API. A module with a lab of its own overrides it."""
    volumes = ids(api, "/server/0/volume", "volumes")
    vol1_snaps = ids(api, f"/server/0/volume/{volumes['vol1']}/snapshot", "snapshots")
    vol2_snaps = ids(api, f"/server/0/volume/{volumes['vol2']}/snapshot", "snapshots")
    hosts = ids(api, "/server/0/host", "hosts")
    groups = ids(api, "/server/0/hostgroup", "groups")
    networks = ids(api, "/server/0/network", "networks")
    pools = ids(api, "/server/0/pool", "pools")
    cgs = ids(api, "/server/0/consistencygroup", "consistencyGroups")
    cg_snaps = ids(api, f"/server/0/consistencygroup/{cgs['cg1']}/snapshot", "snapshots")
    luns = ids(api, "/server/0/lun", "luns", name_field="volumeId")
    return {
        "sid": "0",
        "vol1": volumes["vol1"],
        "vol2": volumes["vol2"],
        "clone": volumes["vol1-clone"],
        "snap1": vol1_snaps["vol1.snap1"],
        "snap2": vol1_snaps["vol1.snap2"],
        "vol1_cgsnap": vol1_snaps["cg1.snap1"],
        "vol2_cgsnap": vol2_snaps["cg1.snap1"],
        "lun1": luns[volumes["vol1"]],
        "host_iscsi": hosts["host-iscsi"],
        "host_fc": hosts["host-fc"],
        "cluster": groups["cluster"],
        "eth0": networks["eth0"],
        "fc0": networks["fc0"],
        "pool1": pools["pool1"],
        "pool2": pools["pool2"],
        "cg1": cgs["cg1"],
        "cg1_snap1": cg_snaps["cg1.snap1"],
    }


# -- one app for a whole module ----------------------------------------------------------


@pytest.fixture(scope="module")
def module_app(migrated, tmp_path_factory):
    """One app for a module whose tests would spend most of their time building one.

    The module overrides ``app`` with it and uses ``fresh_lab``, which empties
    the lab around each test and puts the app's settings back::

        pytestmark = pytest.mark.usefixtures("fresh_lab")


        @pytest.fixture(scope="module")
        def app(module_app):
            return module_app
    """
    app = create_app(
        {
            "DATABASE_URL": migrated,
            "DATA_DIR": str(tmp_path_factory.mktemp("module-app")),
            "SESSION_TIMEOUT": 1800,
            "TESTING": True,
        }
    )
    yield app
    app.extensions["mockarray.db"].dispose()


def clear_lab_control(database: Database) -> None:
    """An empty lab: no array, session or seeded fixture, and none of what the
    control plane keeps beside them (faults, journal, checkpoints, clock)."""
    with database.transaction() as session:
        wipe(session)
        for model in (FaultRule, JournalEntry, Checkpoint, LabClock):
            session.execute(delete(model))


@pytest.fixture
def fresh_lab(app, database):
    """An empty lab (``clear_lab_control``) before and after the test, and the
    app's settings as they were."""
    settings = dict(app.config)
    clear_lab_control(database)
    yield
    app.config.clear()
    app.config.update(settings)
    clear_lab_control(database)


# -- the simulated clock -----------------------------------------------------------------


class FrozenClock:
    """The real time under the simulated arrays' clock, stopped: it moves only
    when a test moves it (``advance``, or setting ``ms``). The lab clock's offset
    (``/clock/advance``) still applies on top of it."""

    def __init__(self, ms: int):
        self.ms = ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms


@pytest.fixture
def frozen(monkeypatch) -> FrozenClock:
    """The arrays' clock (``mockarray.array.clock.now``) stopped at the current time."""
    stopped = FrozenClock(now_ms())
    monkeypatch.setattr(clock, "now_ms", stopped)
    return stopped
