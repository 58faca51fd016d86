"""The conventions every call follows (``shared/spec/README.md``, items 1, 3, 5-9).

Media types (``415``), the session header (``401``), unknown paths and verbs
(``404``, ``405``), bodies too large (``413``) or malformed (``400``), the one
JSON error shape, pagination, and the session's idle clock — which must not
turn reads into writes.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from mockarray import create_app
from mockarray.array.clock import wall_ms
from mockarray.array.models import PluginSession
from mockarray.lab.seeding.loader import wipe
from tests.support.api import (
    ALPHA_LOGIN,
    PASSWORD,
    PREFIX,
    SESSION_HEADER,
    Api,
    basic_auth,
    login,
    present,
)
from tests.support.checks import assert_error
from tests.support.db import recorded_statements
from tests.support.lab import Lab, array_doc

STANDARD_VOLUMES = ["vol1", "vol2", "vol1-clone"]
READS = [
    "/storage",
    "/server",
    "/server/0",
    "/server/0/system",
    "/server/0/volume",
    "/server/0/pool",
]


# -- helpers ---------------------------------------------------------------------


def post_raw(client, data: str, content_type: str | None = "application/json"):
    """``POST /session`` with a raw body."""
    headers = {**basic_auth("admin", PASSWORD), "Content-Type": content_type}
    return client.post(f"{PREFIX}/session", data=data, headers=present(headers))


def get(client, path: str, session_id: str | None = None, accept: str | None = None):
    """``GET`` with exactly the session and ``Accept`` given."""
    headers = present({SESSION_HEADER: session_id, "Accept": accept})
    return client.get(PREFIX + path, headers=headers)


def names(response, key: str) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()[key]]


def session_count(app) -> int:
    with app.extensions["mockarray.db"].transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(PluginSession))


def move_last_seen_back(app, milliseconds: int) -> None:
    """Pretend every session was last used ``milliseconds`` earlier than recorded."""
    with app.extensions["mockarray.db"].transaction() as session:
        session.execute(
            update(PluginSession).values(last_seen_ms=PluginSession.last_seen_ms - milliseconds)
        )


def last_seen(app) -> int:
    with app.extensions["mockarray.db"].transaction(write=False) as session:
        return session.scalar(select(PluginSession.last_seen_ms))


def recorded_sql(app):
    """The SQL statements the app's engine runs inside the block."""
    return recorded_statements(app.extensions["mockarray.db"])


def folded(statements: list[str]) -> list[str]:
    """The statements upper-cased, their white space folded."""
    return [" ".join(statement.split()).upper() for statement in statements]


def writes(statements: list[str]) -> list[str]:
    """The writes (``folded``), but for the request journal's (one insert per call,
    and now and then the trimming of its oldest entries)."""
    return [
        s
        for s in folded(statements)
        if s.startswith(("INSERT", "UPDATE", "DELETE"))
        and not s.startswith(("INSERT INTO JOURNAL_ENTRY", "DELETE FROM JOURNAL_ENTRY"))
    ]


def journal_inserts(statements: list[str]) -> int:
    return sum(s.startswith("INSERT INTO JOURNAL_ENTRY") for s in folded(statements))


@pytest.fixture
def make_app(app, migrated, tmp_path):
    """Build an app on the test database with settings of the test's own (``app``
    empties the lab after)."""
    made = []

    def make(**settings):
        app = create_app(
            {
                "DATABASE_URL": migrated,
                "DATA_DIR": str(tmp_path / f"app{len(made)}"),
                "SESSION_TIMEOUT": 1800,
                "TESTING": True,
                **settings,
            }
        )
        made.append(app)
        return app

    yield make
    for app in made:
        database = app.extensions["mockarray.db"]
        with database.transaction() as session:
            wipe(session)
        database.dispose()


def alpha_on(app) -> Api:
    """Seed the standard lab into ``app`` and log in to alpha."""
    Lab(app).standard()
    return Api.login(app.test_client(), "alpha.lab.test")


# -- 1. media types ----------------------------------------------------------------

JSON_ACCEPTS = [
    None,
    "*/*",
    "application/*",
    "application/json",
    "text/html, application/json;q=0.5",
    "application/xml, */*;q=0.1",
]
NON_JSON_ACCEPTS = ["text/html", "application/xml", "text/*", "image/png", "application/json;q=0"]


def test_an_accept_that_admits_json_is_answered(api):
    for accept in JSON_ACCEPTS:
        for path in ["/info", *READS]:
            response = get(api.client, path, api.session_id, accept)
            assert response.status_code == 200, (accept, path, response.get_json())
            assert response.mimetype == "application/json", (accept, path)
        assert login(api.client, Accept=accept).status_code == 201, accept


def test_an_accept_with_parameters_still_admits_json(api):
    # A Java client may send "application/json;charset=UTF-8" (Spring did by default).
    for accept in ["application/json; charset=utf-8", "application/json;charset=UTF-8"]:
        for path in ["/info", "/storage"]:
            response = get(api.client, path, api.session_id, accept)
            assert response.status_code == 200, (accept, path, response.get_json())
        assert login(api.client, Accept=accept).status_code == 201, accept


def test_an_accept_that_excludes_json_is_415(app, api):
    opened = session_count(app)
    for accept in NON_JSON_ACCEPTS:
        for path in ["/info", *READS]:
            assert_error(
                get(api.client, path, api.session_id, accept), 415, "Accept", "json", fields=()
            )
        assert_error(login(api.client, Accept=accept), 415, "Accept", "json", fields=())
    assert session_count(app) == opened


def test_a_request_body_that_is_not_json_is_415(app, api):
    body = '{"hostname": "alpha.lab.test"}'
    for content_type in [None, "text/plain", "application/x-www-form-urlencoded", "text/json"]:
        assert_error(post_raw(api.client, body, content_type), 415, "application/json", fields=())
    response = api.client.get(
        f"{PREFIX}/storage", data="hello", headers={**api.headers, "Content-Type": "text/plain"}
    )
    assert_error(response, 415, "application/json", fields=())
    assert session_count(app) == 1


def test_a_json_body_with_a_charset_is_json(client, lab):
    lab.standard()
    response = post_raw(client, '{"hostname": "alpha.lab.test"}', "application/json; charset=utf-8")
    assert response.status_code == 201, response.get_json()


# -- 3. numbers on input -----------------------------------------------------------------


def test_login_accepts_the_port_as_a_number_or_a_numeric_string(client, lab):
    lab.standard()
    for port in [8443, "8443", " 8443 "]:
        response = login(client, {**ALPHA_LOGIN, "port": port})
        assert response.status_code == 201, (port, response.get_json())
    # A numeric string is still checked against the array's port.
    assert_error(login(client, {**ALPHA_LOGIN, "port": "8444"}), 401, "port", fields=())


# -- 1. the session header ------------------------------------------------------------


def test_a_call_without_a_valid_session_is_401(api):
    for path in [*READS, "/log"]:
        assert_error(get(api.client, path), 401, SESSION_HEADER, fields=())
        assert_error(get(api.client, path, ""), 401, SESSION_HEADER, fields=())
        assert_error(
            get(api.client, path, api.session_id + "x"), 401, "unknown", "/session", fields=()
        )
        response = api.client.get(PREFIX + path, headers={SESSION_HEADER: api.session_id})
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:200])


def test_info_and_login_need_no_session(client, lab):
    lab.standard()
    assert get(client, "/info").status_code == 200
    assert login(client).status_code == 201


# -- 6. unknown paths and objects, wrong verbs --------------------------------------------


def test_an_unknown_path_is_404_in_json(api):
    for path in [
        f"{PREFIX}/nothing",
        f"{PREFIX}/server/0/nothing",
        f"{PREFIX}/storage/extra",
        f"{PREFIX}/sessions",
        "/nothing",
    ]:
        assert_error(api.client.get(path), 404, path, fields=())
        assert_error(api.client.get(path, headers=api.headers), 404, path, fields=())
        assert_error(api.client.post(path, json={}, headers=api.headers), 404, path, fields=())


def test_an_unknown_object_is_404_never_500(api):
    paths = [
        "/server/9",
        "/server/nothing/volume",
        "/server/0/volume/999999",
        "/server/0/volume/2147483648",  # beyond a 32-bit integer
        "/server/0/volume/999999999999999999",
        "/server/0/volume/1/snapshot/9223372036854775808",
        "/server/0/pool/4294967296",
        "/server/0/volume/abc",
        "/server/0/volume/-1",
        "/server/0/volume/99999999999999999999999999",
        "/server/0/volume/%C3%A9t%C3%A9",
        "/server/0/pool/0",
        "/server/0/pool/2147483648",
        "/server/0/lun/2147483648",
        "/server/0/host/2147483648",
    ]
    answers = {path: api.get(path) for path in paths}
    assert {p: r.status_code for p, r in answers.items() if r.status_code != 404} == {}
    for response in answers.values():
        assert_error(response, 404, "does not exist", fields=())


def test_a_wrong_verb_is_405_naming_the_allowed_ones(api):
    for method, path, allowed in [
        ("get", "/session", "POST"),
        ("put", "/session", "POST"),
        ("post", "/info", "GET"),
        ("delete", "/storage", "GET"),
        ("put", "/server/0", "GET"),
        ("post", "/server/0/system", "GET"),
    ]:
        response = getattr(api.client, method)(PREFIX + path, headers=api.headers)
        body = assert_error(response, 405, path, fields=())
        verbs = set(re.findall(r"\b[A-Z]{3,7}\b", body["message"]))
        assert verbs == {method.upper(), allowed}, body


def test_a_405_sends_the_allow_header(api):
    # RFC 9110, 15.5.6: a 405 MUST carry Allow with the target's methods.
    response = api.client.delete(f"{PREFIX}/storage", headers=api.headers)
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
    assert "GET" in allowed and "DELETE" not in allowed, dict(response.headers)


# -- 6. bodies too large or malformed -----------------------------------------------------


def test_a_body_larger_than_max_body_bytes_is_413(make_app):
    app = make_app(MAX_BODY_BYTES=200)
    client = alpha_on(app).client
    opened = session_count(app)
    response = login(client, {**ALPHA_LOGIN, "comment": "x" * 300})
    assert_error(response, 413, "200 B", fields=())
    assert session_count(app) == opened
    assert login(client, {**ALPHA_LOGIN, "comment": "x" * 50}).status_code == 201


def test_a_malformed_json_body_is_400(client, lab):
    lab.standard()
    for raw in [
        "{not json",
        '{"hostname": }',
        '{"hostname": "alpha.lab.test"',
        "[1, 2]",
        '"alpha.lab.test"',
        "1",
    ]:
        body = assert_error(post_raw(client, raw), 400)
        assert re.search(r"body|json", body["message"], re.IGNORECASE), (raw, body)


def test_an_invalid_field_is_400_naming_it(client, lab):
    lab.standard()
    for body, field in [
        ({"hostname": 5}, "hostname"),
        ({"hostname": "alpha.lab.test", "port": "x"}, "port"),
        ({"hostname": "alpha.lab.test", "port": 0}, "port"),
        ({"ipAddress": ["198.51.100.1"]}, "ipAddress"),
        ({"hostname": "alpha.lab.test", "username": {"name": "admin"}}, "username"),
    ]:
        assert_error(login(client, body), 400, fields=(field,))


# -- 7. no stack traces, even when the array itself fails ----------------------------------


def test_an_unexpected_failure_is_a_json_500_without_details(api, monkeypatch):
    from mockarray.array import inventory

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(inventory, "storage", explode)
    response = api.get("/storage")
    assert_error(response, 500, fields=())
    assert "secret internal detail" not in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)


# -- 5, 9. lists and pagination ----------------------------------------------------------------


def test_volume_pages_are_slices_of_the_whole_list(api):
    for query, expected in [
        ("", STANDARD_VOLUMES),
        ("limit=2", ["vol1", "vol2"]),
        ("start=1", ["vol2", "vol1-clone"]),
        ("limit=1&start=1", ["vol2"]),
        ("start=2&limit=5", ["vol1-clone"]),
        ("limit=3", STANDARD_VOLUMES),
        ("limit=100", STANDARD_VOLUMES),
        ("start=0", STANDARD_VOLUMES),
        ("start=3", []),
        ("start=100", []),
        ("limit=0", []),
        ("limit=0&start=1", []),
    ]:
        response = api.get(f"/server/0/volume?{query}")
        assert names(response, "volumes") == expected, query
        assert response.headers["X-Total-Count"] == "3", query
        assert set(response.get_json()) == {"volumes"}, query


def test_server_pages_are_slices_of_the_whole_list(client, lab):
    servers = [{"id": "vs1", "pools": [{"name": "p", "capacity": "1TiB"}]}, {"id": "vs2"}]
    lab.seed(array_doc("gamma", 3, servers=[*servers, {"id": "vs3"}]))
    gamma = Api.login(client, "gamma.lab.test")
    for query, expected in [
        ("", ["vs1", "vs2", "vs3"]),
        ("limit=1", ["vs1"]),
        ("start=1", ["vs2", "vs3"]),
        ("start=1&limit=1", ["vs2"]),
        ("start=2&limit=9", ["vs3"]),
        ("start=3", []),
        ("start=50&limit=2", []),
        ("limit=0", []),
    ]:
        response = gamma.get(f"/server?{query}")
        assert response.status_code == 200, (query, response.get_json())
        assert [s["id"] for s in response.get_json()["servers"]] == expected, query
        assert response.headers["X-Total-Count"] == "3", query
        assert set(response.get_json()) == {"servers"}, query


def test_a_bad_limit_or_start_is_400_naming_it(api):
    for path in ["/server", "/server/0/volume"]:
        for query, field in [
            ("limit=-1", "limit"),
            ("start=-1", "start"),
            ("limit=abc", "limit"),
            ("start=x", "start"),
            ("limit=1.5", "limit"),
            ("limit=", "limit"),
            ("start=2&limit=-5", "limit"),
        ]:
            assert_error(api.get(f"{path}?{query}"), 400, fields=(field,))


def test_pages_of_one_walk_the_list_in_a_stable_order(api):
    whole = names(api.get("/server/0/volume"), "volumes")
    assert whole == names(api.get("/server/0/volume"), "volumes") == STANDARD_VOLUMES
    walked = []
    for start in range(len(whole)):
        walked += names(api.get(f"/server/0/volume?limit=1&start={start}"), "volumes")
    assert walked == whole


def test_lists_are_ordered_by_creation_then_id(client, lab):
    volumes = [
        {"name": "new", "size": "1GiB"},
        {"name": "old", "size": "1GiB", "age": "3d"},
        {"name": "middle", "size": "1GiB", "age": "1d"},
        {"name": "new-too", "size": "1GiB"},
    ]
    server = {"pools": [{"name": "p", "capacity": "1TiB"}], "volumes": volumes}
    lab.seed(array_doc("delta", 4, servers=[server]))
    delta = Api.login(client, "delta.lab.test")
    expected = ["old", "middle", "new", "new-too"]
    assert names(delta.get("/server/0/volume"), "volumes") == expected
    assert names(delta.get("/server/0/volume?start=1&limit=2"), "volumes") == expected[1:3]


def test_every_list_is_one_key_with_its_total_in_a_header(api):
    vol1 = api.ids("/server/0/volume", "volumes")["vol1"]
    for path, key in [
        ("/server", "servers"),
        ("/server/0/volume", "volumes"),
        (f"/server/0/volume/{vol1}/snapshot", "snapshots"),
        ("/server/0/pool", "pools"),
        ("/server/0/lun", "luns"),
        ("/server/0/host", "hosts"),
        ("/server/0/hostgroup", "groups"),
        ("/server/0/network", "networks"),
        ("/server/0/consistencygroup", "consistencyGroups"),
        ("/server/0/remotearray", "remoteArrays"),
    ]:
        whole = api.get(path)
        assert whole.status_code == 200, (path, whole.get_json())
        assert set(whole.get_json()) == {key}, path
        items = whole.get_json()[key]
        assert items, path
        assert whole.headers["X-Total-Count"] == str(len(items)), path
        first = api.get(f"{path}?limit=1")
        assert first.get_json()[key] == items[:1], path
        assert first.headers["X-Total-Count"] == str(len(items)), path
        assert api.get(f"{path}?start=1").get_json()[key] == items[1:], path
        assert_error(api.get(f"{path}?limit=-1"), 400, fields=("limit",))


# -- 1. session expiry and the idle clock ---------------------------------------------------


def test_an_idle_session_expires(make_app):
    app = make_app(SESSION_TIMEOUT=1)
    alpha = alpha_on(app)
    assert alpha.get("/storage").status_code == 200
    move_last_seen_back(app, 5_000)
    assert_error(alpha.get("/storage"), 401, "expired", "/session", fields=())
    # Deleted once presented expired: the session is unknown from then on.
    assert_error(alpha.get("/server"), 401, "expired", "unknown", fields=())


def test_an_expired_session_is_deleted_when_presented(make_app):
    app = make_app(SESSION_TIMEOUT=1)
    alpha = alpha_on(app)
    move_last_seen_back(app, 5_000)
    assert session_count(app) == 1
    assert_error(alpha.get("/storage"), 401, "expired", fields=())
    assert session_count(app) == 0
    assert_error(alpha.get("/storage"), 401, "unknown", fields=())


def test_expired_sessions_are_deleted_at_the_next_login(make_app):
    app = make_app(SESSION_TIMEOUT=60)
    alpha_on(app)
    for _ in range(2):
        Api.login(app.test_client(), "alpha.lab.test")
    move_last_seen_back(app, 61_000)  # the three expired, never to be presented again
    fresh = Api.login(app.test_client(), "alpha.lab.test")
    assert session_count(app) == 1
    assert fresh.get("/storage").status_code == 200


def test_a_session_in_use_stays_open_beyond_the_timeout(make_app):
    app = make_app(SESSION_TIMEOUT=1)
    alpha = alpha_on(app)
    # Each call comes 0.7 s after the previous one: 2.1 s in all, never 1 s idle.
    for _ in range(3):
        move_last_seen_back(app, 700)
        before = wall_ms()
        assert alpha.get("/storage").status_code == 200
        assert last_seen(app) >= before


def test_a_zero_timeout_never_expires(make_app):
    app = make_app(SESSION_TIMEOUT=0)
    alpha = alpha_on(app)
    move_last_seen_back(app, 30 * 24 * 3600 * 1000)
    assert alpha.get("/storage").status_code == 200


def test_a_read_on_a_recently_used_session_writes_nothing(app, api):
    with recorded_sql(app) as statements:
        for path in [*READS, "/server/0/volume?limit=1", "/log"]:
            response = api.client.get(PREFIX + path, headers={SESSION_HEADER: api.session_id})
            assert response.status_code == 200, path
    assert any(s.startswith("SELECT") for s in folded(statements)), statements
    assert writes(statements) == []
    assert journal_inserts(statements) == len(READS) + 2


def test_a_read_refreshes_a_stale_idle_clock_once(app, api):
    move_last_seen_back(app, 120_000)
    with recorded_sql(app) as statements:
        assert api.get("/storage").status_code == 200
    # The refresh, and the deletion of the sessions that expired meanwhile.
    assert len(writes(statements)) == 2, statements
    assert writes(statements)[0].startswith("UPDATE PLUGIN_SESSION"), statements
    assert writes(statements)[1].startswith("DELETE FROM PLUGIN_SESSION"), statements
    with recorded_sql(app) as statements:
        assert api.get("/storage").status_code == 200
    assert writes(statements) == []
