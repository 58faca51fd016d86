"""Fixtures: ``app``, ``client``, ``runner``, ``lab``, ``api``, ``ref`` on a migrated test database.

The database is SQLite in a temporary directory, or a throwaway PostgreSQL
database when ``MOCKARRAY_TEST_DATABASE_URL`` names a server (it is created
for the run and dropped after). Each xdist worker has a database of its own,
migrated once with Alembic.

``app`` is one app per worker (building one takes far longer than most tests):
each test gets it with an empty lab, an empty call log and its settings as
built, and whatever the test changes (lab, control plane, ``app.config``) is
put back after it. ``client`` and ``runner`` are its test client and CLI runner;
``database`` its ``Database``. A test that needs settings of its own builds an
app of its own with ``create_app``.

``lab`` seeds fixture documents built in Python (``tests.support.lab``); a lab
the worker has seeded before comes back from a snapshot of itself, its times
moved on to now. ``api`` is a session on ``alpha`` of the standard lab
(``Lab.standard``), logged in afresh for each test; ``ref`` its ids by short
name. Modules with a lab of their own override ``api`` and ``ref``.

Every test hashes passwords with one PBKDF2 round (``cheap_password_hashes``).
``frozen`` stops the simulated arrays' clock. ``module_app`` and ``fresh_lab``
are kept for modules written when only some modules shared an app: they are
the same app, and the same clean lab around each test.

mockarray's own pytest plugin (``mockarray.pytest_plugin``) is loaded too, as in
any suite where mockarray is installed: ``test_ci_example.py`` uses its fixtures,
and ``mockarray_database_url`` here gives the server it starts a throwaway
PostgreSQL database when the run is on PostgreSQL.

Shared helpers (API client, assertions, lab builders, live server) are in
``tests/support``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from mockarray import create_app
from mockarray.array import sessions
from mockarray.array.clock import wall_ms
from mockarray.array.models import Server, Volume
from mockarray.database import Database
from mockarray.migrate import upgrade
from mockarray.web.dumping import CompiledDumpSchema
from tests.support.api import Api
from tests.support.checks import ids
from tests.support.db import TEST_DATABASE_URL, throwaway_postgres
from tests.support.lab import Lab, LabSnapshots, clear_lab


@pytest.fixture(autouse=True, scope="session")
def verified_dumping():
    """Every answer the suite gets is dumped twice, compiled and by marshmallow, and
    the two must agree (``mockarray.web.dumping``)."""
    CompiledDumpSchema.verify_dumping = True
    yield
    CompiledDumpSchema.verify_dumping = False


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
    with throwaway_postgres(server_url) as url:
        yield url


@pytest.fixture(scope="session")
def mockarray_database_url():
    """The database of the server mockarray's pytest plugin starts for the worker
    (``test_ci_example.py``): the plugin's throwaway SQLite one, or on PostgreSQL a
    throwaway database of its own."""
    server_url = os.environ.get(TEST_DATABASE_URL)
    if not server_url:
        yield None
        return
    with throwaway_postgres(server_url) as url:
        yield url


@pytest.fixture(scope="session")
def migrated(database_url):
    database = Database(database_url)
    upgrade(database)
    database.dispose()
    return database_url


# -- one app per worker ------------------------------------------------------------------


@pytest.fixture(scope="session")
def shared_app(migrated, tmp_path_factory):
    """The worker's app; tests get it through ``app``."""
    app = create_app(
        {
            "DATABASE_URL": migrated,
            "DATA_DIR": str(tmp_path_factory.mktemp("app")),
            "SESSION_TIMEOUT": 1800,
            "TESTING": True,
        }
    )
    app.extensions["tests.lab_snapshots"] = LabSnapshots()
    no_fsync_per_commit(app.extensions["mockarray.db"])
    clear_lab(app.extensions["mockarray.db"])
    yield app
    app.extensions["mockarray.db"].dispose()


def no_fsync_per_commit(database: Database) -> None:
    """A test database need not survive a power cut: the worker's app commits
    without waiting for the disk (SQLite: ``synchronous=NORMAL`` in WAL instead
    of the server's ``FULL``; PostgreSQL: ``synchronous_commit=off``). Servers
    the tests start keep their own settings."""

    @event.listens_for(database.engine, "connect")
    def _no_fsync(dbapi_connection, _record):
        if database.is_sqlite:
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        else:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")
            dbapi_connection.commit()

    database.engine.dispose()


def empty_call_log(app) -> None:
    """No line in the app's call log (``GET /log``): the file emptied, the rotated ones gone."""
    log_dir = Path(str(app.config["LOG_DIR"]))
    for path in log_dir.glob("api.log.*"):
        path.unlink()
    current = log_dir / "api.log"
    if current.exists() and current.stat().st_size:
        current.write_bytes(b"")


@pytest.fixture
def app(shared_app):
    """The worker's app, with an empty lab and call log; after the test, its
    settings as they were and an empty lab again."""
    settings = dict(shared_app.config)
    empty_call_log(shared_app)
    yield shared_app
    shared_app.config.clear()
    shared_app.config.update(settings)
    database = shared_app.extensions["mockarray.db"]
    assert_volume_counts_kept(database)
    clear_lab(database)


def assert_volume_counts_kept(database: Database) -> None:
    """Whatever the test did, every server's kept volume count is its number of
    volumes (``mockarray.array.counting``): checked after every test."""
    counted = select(func.count(Volume.id)).where(Volume.server_id == Server.id).scalar_subquery()
    with database.transaction(write=False) as session:
        wrong = session.execute(
            select(Server.id, Server.volume_count, counted).where(Server.volume_count != counted)
        ).all()
    assert not wrong, f"servers whose volume count is not kept (id, kept, real): {wrong}"


@pytest.fixture
def database(app) -> Database:
    return app.extensions["mockarray.db"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """``runner.invoke(args=[...])`` runs a ``mockarray`` command on the app's database."""
    from mockarray.cli.testing import MockarrayRunner

    overrides = {name: app.config[name] for name in ("DATABASE_URL", "DATA_DIR")}
    return MockarrayRunner(overrides, database=app.extensions["mockarray.db"])


@pytest.fixture
def lab(app) -> Lab:
    """Seeds arrays from fixture documents built in Python (``tests.support.lab``)."""
    return Lab(app, app.extensions.get("tests.lab_snapshots"))


@pytest.fixture
def api(client, lab) -> Api:
    """A client logged in to a one-server array ``alpha`` (see ``Lab.standard``)."""
    lab.standard()
    return Api.login(client, "alpha.lab.test")


@pytest.fixture
def ref(api, lab) -> dict[str, str]:
    """Every id of the standard lab (``api``) under a short name, read through the
    API (once per snapshot of the lab: a lab put back from one has its ids). A
    module with a lab of its own overrides it."""
    memo = lab.memo()
    if "ref" not in memo:
        memo["ref"] = standard_ids(api)
    return dict(memo["ref"])


def standard_ids(api: Api) -> dict[str, str]:
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


# -- kept for modules that ask for them -----------------------------------------------------


@pytest.fixture(scope="module")
def module_app(shared_app):
    """The worker's app (``shared_app``), for a module that overrides ``app``
    with it; such a module uses ``fresh_lab``."""
    return shared_app


@pytest.fixture
def fresh_lab(shared_app):
    """An empty lab and call log before the test; after it, the app's settings
    as they were and an empty lab (what ``app`` does, for a module that
    overrides ``app`` with ``module_app``)."""
    settings = dict(shared_app.config)
    clear_lab(shared_app.extensions["mockarray.db"])
    empty_call_log(shared_app)
    yield
    shared_app.config.clear()
    shared_app.config.update(settings)
    clear_lab(shared_app.extensions["mockarray.db"])


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
def frozen(monkeypatch, database) -> FrozenClock:
    """The arrays' clock (the database's ``SimulatedClock``) stopped at the current time."""
    stopped = FrozenClock(wall_ms())
    monkeypatch.setattr(database.clock, "time_source", stopped)
    return stopped
