"""``GET /mockarray/api/health``: 200 when the server can serve, 503 with the
reason when it cannot; public (no token, any client), cheap, and documented."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from mockarray import create_app
from mockarray.migrate import shipped_revisions, upgrade
from tests.support.api import CONTROL
from tests.support.checks import assert_error, ok

HEALTH = f"{CONTROL}/health"
KEYS = {"status", "database", "schema", "arrays", "reason"}
REMOTE = {"REMOTE_ADDR": "203.0.113.9"}


def health(client, **kwargs):
    kwargs.setdefault("headers", {"Accept": "application/json"})
    return client.get(HEALTH, **kwargs)


@pytest.fixture
def own_app(tmp_path):
    """An app of its own on a database nothing migrated yet."""
    built = []

    def build(url: str | None = None):
        app = create_app(
            {
                "DATABASE_URL": url or f"sqlite:///{tmp_path / 'own.db'}",
                "DATA_DIR": str(tmp_path),
                "TESTING": True,
            }
        )
        built.append(app)
        return app

    yield build
    for app in built:
        app.extensions["mockarray.db"].dispose()


def test_a_migrated_database_is_healthy_with_its_arrays(client, lab):
    lab.standard()
    response = health(client)
    answer = ok(response)
    head = shipped_revisions().head
    assert answer == {
        "status": "ok",
        "database": "reachable",
        "schema": f"{head} (head)",
        "arrays": 2,
        "reason": None,
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_an_empty_lab_is_healthy(client):
    assert ok(health(client))["arrays"] == 0


def test_an_unmigrated_database_is_503_saying_to_upgrade(own_app):
    response = health(own_app().test_client())
    assert response.status_code == 503
    answer = response.get_json()
    assert set(answer) == KEYS
    assert answer["status"] == "unavailable"
    assert answer["database"] == "reachable"
    assert answer["schema"] == f"none (head is {shipped_revisions().head})"
    assert answer["arrays"] is None
    assert "mockarray db upgrade" in answer["reason"]


def test_a_database_behind_the_head_is_503_naming_both_revisions(own_app):
    app = own_app()
    known = sorted(shipped_revisions().known)
    older = known[-2]
    upgrade(app.extensions["mockarray.db"], older)
    answer = health(app.test_client()).get_json()
    head = shipped_revisions().head
    assert answer["status"] == "unavailable"
    assert answer["schema"] == f"{older} (head is {head})"
    assert answer["arrays"] == 0
    assert older in answer["reason"] and head in answer["reason"]
    assert "mockarray db upgrade" in answer["reason"]

    upgrade(app.extensions["mockarray.db"])
    assert ok(health(app.test_client()))["schema"] == f"{head} (head)"


def test_a_database_a_newer_mockarray_migrated_is_503(own_app):
    app = own_app()
    database = app.extensions["mockarray.db"]
    upgrade(database)
    with database.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    response = health(app.test_client())
    assert response.status_code == 503
    answer = response.get_json()
    assert answer["schema"].startswith("9999 (unknown")
    assert "newer mockarray" in answer["reason"]


def test_an_unreachable_database_is_503_revealing_nothing_of_it(own_app, tmp_path):
    missing = tmp_path / "no" / "such" / "folder" / "lab.db"
    response = health(own_app(f"sqlite:///{missing}").test_client())
    assert response.status_code == 503
    answer = response.get_json()
    assert answer == {
        "status": "unavailable",
        "database": "unreachable",
        "schema": None,
        "arrays": None,
        "reason": answer["reason"],
    }
    assert "cannot be reached" in answer["reason"]
    assert str(tmp_path) not in answer["reason"]


def test_health_needs_no_token_and_answers_any_client(app, client):
    app.config["ADMIN_TOKEN"] = "s3cret"
    assert ok(health(client, environ_base=REMOTE))["status"] == "ok"
    app.config["ADMIN_TOKEN"] = ""
    assert ok(health(client, environ_base=REMOTE))["status"] == "ok"
    # ... nor a loopback name, while the rest of the control plane still wants one.
    by_name = {"Accept": "application/json", "Host": "evil.example"}
    assert ok(health(client, headers=by_name))["status"] == "ok"
    refused = client.get(f"{CONTROL}/faults", headers=by_name)
    assert_error(refused, 403, "loopback")


def test_health_still_wants_json_in_accept(client):
    assert_error(health(client, headers={"Accept": "text/html"}), 415)
    assert health(client, headers={"Accept": "*/*"}).status_code == 200
    assert health(client, headers={}).status_code == 200


def test_health_costs_two_queries_and_no_write(app, client, lab):
    lab.standard()
    health(client)  # the shipped revisions are read once per process
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0].upper())

    engine = app.extensions["mockarray.db"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        ok(health(client))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    queries = [statement for statement in statements if statement != "BEGIN"]
    assert queries == ["SELECT", "SELECT"], statements


def test_the_document_says_health_is_public_and_answers_its_shape_on_503(client):
    document = ok(client.get(f"{CONTROL}/openapi.json"))
    operation = document["paths"][HEALTH]["get"]
    assert operation["security"] == []
    for status in ("200", "503"):
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Health"}
    assert not {"401", "403"} & set(operation["responses"])
