"""Fixtures: ``app``, ``client``, ``runner`` on a throwaway, migrated database.

The database is SQLite in a temporary directory, or a throwaway PostgreSQL
database when ``MOCKARRAY_TEST_DATABASE_URL`` names a server (it is created
for the run and dropped after). It is migrated once with Alembic; each test
starts from an empty lab.
"""

from __future__ import annotations

import os
import secrets

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.database import Database
from app.fixtures.loader import wipe
from app.migrate import upgrade
from tests.factories import Api, Lab

TEST_DATABASE_URL = "MOCKARRAY_TEST_DATABASE_URL"


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
