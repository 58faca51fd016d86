"""A server on a database that was never migrated says what to run (a JSON
``503`` naming ``mockarray db upgrade``), not "busy, retry"; a locked or
unreachable database is still "busy, retry shortly"."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from mockarray import create_app
from mockarray.database import is_missing_schema
from mockarray.web import errors


@pytest.fixture
def unmigrated_client(tmp_path):
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
            "DATA_DIR": str(tmp_path),
            "TESTING": True,
        }
    )
    yield app.test_client()
    app.extensions["mockarray.db"].dispose()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/storageplugin/api/info", None),
        ("POST", "/storageplugin/api/session", {"hostname": "a", "username": "u", "password": "p"}),
        ("GET", "/mockarray/api/faults", None),
    ],
)
def test_a_call_on_an_unmigrated_database_says_to_upgrade(unmigrated_client, method, path, body):
    response = unmigrated_client.open(path, method=method, json=body)
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/json"
    assert "Retry-After" not in response.headers
    answer = response.get_json()
    assert answer["code"] == 503
    assert "run 'mockarray db upgrade'" in answer["message"]
    assert "retry shortly" not in answer["message"]


class _Driver(Exception):
    def __init__(self, message: str, sqlstate: str | None = None):
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("original", "missing"),
    [
        (_Driver("no such table: array"), True),
        (_Driver('relation "array" does not exist', sqlstate="42P01"), True),
        (_Driver("database is locked"), False),
        (_Driver("connection refused", sqlstate="08006"), False),
    ],
)
def test_a_missing_table_is_told_from_a_busy_database(original, missing):
    assert is_missing_schema(OperationalError("SELECT 1", {}, original)) is missing


def test_a_locked_database_is_still_busy_retry_shortly(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path), "DATABASE_URL": "sqlite://", "TESTING": True})
    with app.test_request_context():
        body, status, headers = errors.handle_operational_error(
            OperationalError("SELECT 1", {}, _Driver("database is locked"))
        )
    assert (status, headers) == (503, {"Retry-After": "1"})
    assert "retry shortly" in body["message"]
