"""Migrations build the models' schema; the lab's state lives in the database.

The migrations run from an empty database of their own (SQLite always, and
PostgreSQL when ``MOCKARRAY_TEST_DATABASE_URL`` names a server), so these
tests never share a schema with the rest of the suite.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
from collections.abc import Iterator

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, create_engine, delete, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from mockarray import create_app
from mockarray.array.models import Base, Lun, Server, Volume
from mockarray.database import Database
from mockarray.lab.models import LabFixture
from mockarray.lab.seeding.loader import reset, seed
from mockarray.migrate import current_revision, downgrade, upgrade
from tests.support.api import Api
from tests.support.db import TEST_DATABASE_URL, head_revision
from tests.support.lab import array_doc, standard_server

# -- helpers --------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> Iterator[Database]:
    """A database with no tables at all, dropped after the test."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield database
        database.dispose()
        return
    server_url = os.environ.get(TEST_DATABASE_URL)
    if not server_url:
        pytest.skip(f"{TEST_DATABASE_URL} names no PostgreSQL server")
    url = make_url(server_url)
    name = f"mockarray_migrations_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield database
    finally:
        database.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def schema_differences(database: Database) -> list:
    """What autogenerate would write to make the live schema match the models.

    Nothing is ignored: types and server defaults are compared too, so a column
    migrated as ``Integer`` where the model says ``BigInteger`` shows up here.
    """
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, Base.metadata)


def check_constraints(database: Database) -> dict[str, set[str]]:
    """Names of the live CHECK constraints, by table (autogenerate does not compare them)."""
    inspector = inspect(database.engine)
    return {
        table: {check["name"] for check in inspector.get_check_constraints(table)}
        for table in Base.metadata.tables
    }


def model_check_constraints() -> dict[str, set[str]]:
    return {
        name: {
            str(constraint.name)
            for constraint in table.constraints
            if isinstance(constraint, CheckConstraint)
        }
        for name, table in Base.metadata.tables.items()
    }


def table_names(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names())


# -- migrations -----------------------------------------------------------------------------------


def test_upgrade_builds_the_models_schema(empty_database):
    assert table_names(empty_database) == set()
    upgrade(empty_database)
    assert current_revision(empty_database) == head_revision(empty_database)
    assert table_names(empty_database) == set(Base.metadata.tables) | {"alembic_version"}
    assert schema_differences(empty_database) == []
    assert check_constraints(empty_database) == model_check_constraints()


def test_the_comparison_notices_a_schema_that_differs(empty_database):
    """The check above is not vacuous: a missing index is a difference."""
    upgrade(empty_database)
    with empty_database.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_volume_pool_id"))
    assert [diff[0] for diff in schema_differences(empty_database)] == ["add_index"]


def test_downgrade_to_base_leaves_only_alembic_version_and_upgrade_works_again(empty_database):
    upgrade(empty_database)
    downgrade(empty_database, "base")
    assert table_names(empty_database) == {"alembic_version"}
    assert current_revision(empty_database) is None

    upgrade(empty_database)
    assert current_revision(empty_database) == head_revision(empty_database)
    assert schema_differences(empty_database) == []


def test_upgrade_keeps_the_foreign_keys_of_the_cycle(empty_database):
    """volume.parent_snapshot_id is added after both tables exist: it must still be there."""
    upgrade(empty_database)
    keys = inspect(empty_database.engine).get_foreign_keys("volume")
    assert {(tuple(key["constrained_columns"]), key["referred_table"]) for key in keys} >= {
        (("parent_snapshot_id",), "snapshot"),
        (("consistency_group_id",), "consistency_group"),
    }


def test_upgrade_rewrites_kept_fixtures_without_their_passwords(empty_database):
    """Before 0003 a seeded fixture was kept with its passwords in clear."""
    upgrade(empty_database, "0002")
    document = yaml.safe_dump({"arrays": [array_doc("alpha", 1, password="Old-Clear-Text")]})
    with empty_database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO lab_fixture (source, document, seeded_ms) VALUES ('old.yaml', :d, 1)"
            ),
            {"d": document},
        )

    upgrade(empty_database)

    with empty_database.transaction() as session:
        (kept,) = session.scalars(select(LabFixture.document)).all()
        assert "Old-Clear-Text" not in kept
        (spec,) = yaml.safe_load(kept)["arrays"]
        assert "password" not in spec
        assert check_password_hash(spec["passwordHash"], "Old-Clear-Text")
        (array,) = reset(session)
        assert check_password_hash(array.password_hash, "Old-Clear-Text")


# -- SQLite settings ------------------------------------------------------------------------------


@pytest.fixture
def sqlite_database(tmp_path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'lab.db'}")
    upgrade(database)
    yield database
    database.dispose()


def pragma(database: Database, name: str):
    with database.engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_is_in_wal_mode(sqlite_database, tmp_path):
    assert pragma(sqlite_database, "journal_mode") == "wal"
    # WAL is a property of the file: another program opening it sees it too.
    with sqlite3.connect(tmp_path / "lab.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_sqlite_makes_its_files_the_owners_only(tmp_path):
    previous = os.umask(0o022)
    database = Database(f"sqlite:///{tmp_path / 'private.db'}")
    try:
        with database.transaction() as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
            # While a connection is open the -wal and -shm files exist.
            made = sorted(tmp_path.glob("private.db*"))
            modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in made}
    finally:
        database.dispose()
        os.umask(previous)
    assert set(modes) == {"private.db", "private.db-wal", "private.db-shm"}, modes
    assert set(modes.values()) == {0o600}, modes
    assert os.umask(previous) == previous  # the process's umask is as it was
    os.umask(previous)


def test_sqlite_enforces_foreign_keys(sqlite_database):
    assert pragma(sqlite_database, "foreign_keys") == 1
    with pytest.raises(IntegrityError), sqlite_database.transaction() as session:
        session.add(Server(array_id=424242, key="0", name="orphan"))
        session.flush()


# -- persistence ----------------------------------------------------------------------------------


def second_app(first, tmp_path):
    """Another application on the first one's database, as after a restart."""
    return create_app(
        {
            "DATABASE_URL": first.config["DATABASE_URL"],
            "DATA_DIR": str(tmp_path / "second"),
            "SESSION_TIMEOUT": 1800,
            "TESTING": True,
        }
    )


@pytest.fixture
def restarted(app, tmp_path) -> Iterator:
    other = second_app(app, tmp_path)
    yield other
    other.extensions["mockarray.db"].dispose()


def test_a_second_app_sees_the_lab_and_its_sessions(lab, client, restarted):
    lab.seed(array_doc("alpha", 1, servers=[standard_server()]), array_doc("beta", 2))
    api = Api.login(client, "alpha.lab.test")
    first = api.get("/server/0/volume")
    assert first.status_code == 200

    again = Api(restarted.test_client(), api.session_id, api.storage_id)
    second = again.get("/server/0/volume")

    assert second.status_code == 200, second.get_json()
    assert second.get_json() == first.get_json()
    assert [volume["name"] for volume in second.get_json()["volumes"]] == [
        "vol1",
        "vol2",
        "vol1-clone",
    ]
    assert second.headers["X-Total-Count"] == first.headers["X-Total-Count"]


def test_a_second_app_refuses_a_session_that_never_was(lab, restarted):
    lab.seed(array_doc("alpha", 1))
    stranger = Api(restarted.test_client(), "not-a-session", "1")
    assert stranger.get("/server/0/volume").status_code == 401


def test_upgrade_gives_every_block_volume_of_an_older_database_its_lun(empty_database):
    """Before 0006 a volume got its LUN on its first mapping."""
    upgrade(empty_database)
    server = {
        "pools": [{"name": "pool1", "capacity": "1TiB"}],
        "volumes": [
            {"name": "block", "size": "10GiB"},
            {"name": "files", "size": "10GiB", "type": "nas"},
        ],
    }
    document = yaml.safe_dump({"arrays": [array_doc("alpha", 1, servers=[server])]})
    with empty_database.transaction() as session:
        seed(session, document, "old.yaml")
        # As an older database has it: the block volume without its LUN.
        session.execute(delete(Lun))
    downgrade(empty_database, "0005")

    upgrade(empty_database)

    with empty_database.transaction() as session:
        luns = session.execute(select(Volume.name, Lun.online, Lun.naa_id).join(Lun)).all()
    assert [(name, online) for name, online, _ in luns] == [("block", True)]
    assert luns[0].naa_id.startswith("6") and len(luns[0].naa_id) == 32
