"""``POST /session``: logging in to one array, and what a session then sees.

README item 2: the array is named by ``hostname`` and/or ``ipAddress`` (and
``port``); credentials travel as HTTP Basic or as ``username``/``password`` in
the body; a session belongs to one array and never sees another's objects.
"""

from __future__ import annotations

import base64
import io
import secrets
import zipfile
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from mockarray.array import sessions
from mockarray.array.clock import wall_ms
from mockarray.array.models import Array, LoginFailures, PluginSession
from mockarray.errors import TooManyRequests
from tests.support.api import PASSWORD, PREFIX, SESSION_HEADER, basic_auth, control, login
from tests.support.checks import assert_error
from tests.support.lab import array_doc

ALPHA = {"hostname": "alpha.lab.test", "ipAddress": "198.51.100.1", "port": 8443}
BETA = {"hostname": "beta.lab.test", "ipAddress": "198.51.100.2", "port": 8443}


@pytest.fixture
def arrays(lab):
    """alpha and beta, two small arrays (logins need nothing more)."""
    return lab.seed(array_doc("alpha", 1), array_doc("beta", 2))


# -- helpers ---------------------------------------------------------------------


def opened(response) -> dict:
    """The body of a successful login, checked against the guide."""
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"sessionId", "storageId"}, body
    assert isinstance(body["sessionId"], str) and body["sessionId"], body
    assert isinstance(body["storageId"], str) and body["storageId"], body
    return body


def get(client, path: str, session_id: str):
    return client.get(
        PREFIX + path, headers={SESSION_HEADER: session_id, "Accept": "application/json"}
    )


def storage_of(client, session_id: str) -> dict:
    response = get(client, "/storage", session_id)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def session_count(database) -> int:
    with database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(PluginSession))


# -- a successful login ------------------------------------------------------------


def test_login_answers_201_with_the_session_and_the_storage(client, arrays):
    response = login(client, {"hostname": "alpha.lab.test"})
    body = opened(response)
    assert response.mimetype == "application/json"
    location = response.headers.get("Location")
    assert location, dict(response.headers)
    # The Location names the resource created: the session's storage.
    storage = client.get(
        location, headers={SESSION_HEADER: body["sessionId"], "Accept": "application/json"}
    )
    assert storage.status_code == 200, storage.get_json()
    assert storage.get_json()["id"] == body["storageId"]
    assert storage.get_json()["name"] == "alpha"


def test_every_login_opens_a_new_session(client, arrays, database):
    first = opened(login(client, {"hostname": "alpha.lab.test"}))
    second = opened(login(client, {"hostname": "alpha.lab.test"}))
    assert first["sessionId"] != second["sessionId"]
    assert first["storageId"] == second["storageId"]
    assert session_count(database) == 2
    for body in (first, second):
        assert storage_of(client, body["sessionId"])["name"] == "alpha"


def test_login_names_the_array_by_hostname_or_ip_address(client, arrays):
    alpha_id = opened(login(client, {"hostname": "alpha.lab.test"}))["storageId"]
    for body in [
        {"ipAddress": "198.51.100.1"},
        {"hostname": "198.51.100.1"},  # "may be the same as the IP address"
        {"hostname": "ALPHA.Lab.TEST"},
        {"hostname": " alpha.lab.test "},
        {"hostname": "alpha.lab.test", "ipAddress": "198.51.100.1"},
        ALPHA,
        {**ALPHA, "port": "8443"},
    ]:
        session = opened(login(client, body))
        assert session["storageId"] == alpha_id, body
        assert storage_of(client, session["sessionId"])["name"] == "alpha", body


def test_beta_is_found_by_its_own_names(client, arrays):
    alpha = opened(login(client, ALPHA))["storageId"]
    for body in [BETA, {"ipAddress": "198.51.100.2"}, {"hostname": "BETA.lab.test"}]:
        session = opened(login(client, body))
        assert session["storageId"] != alpha
        assert storage_of(client, session["sessionId"])["name"] == "beta"


def test_credentials_in_the_body_work_too(client, arrays):
    body = {"hostname": "alpha.lab.test", "username": "admin", "password": PASSWORD}
    session = opened(login(client, body, user=None))
    assert storage_of(client, session["sessionId"])["name"] == "alpha"


# -- refused logins -------------------------------------------------------------------


def test_wrong_credentials_are_401_naming_the_array(client, arrays, database):
    for user, password, credentials in [
        ("admin", "wrong", {}),
        ("root", PASSWORD, {}),
        ("admin", "", {}),
        (None, None, {"username": "admin", "password": "wrong"}),
        (None, None, {"username": "root", "password": PASSWORD}),
    ]:
        body = {"hostname": "alpha.lab.test", **credentials}
        message = assert_error(
            login(client, body, user=user, password=password), 401, "alpha", ignore_case=True
        )["message"]
        assert PASSWORD not in message
    assert session_count(database) == 0


def test_a_session_id_has_256_random_bits(client, arrays):
    ids = {opened(login(client, {"hostname": "alpha.lab.test"}))["sessionId"] for _ in range(3)}
    assert len(ids) == 3
    for session_id in ids:
        assert len(base64.urlsafe_b64decode(session_id + "=" * (-len(session_id) % 4))) == 32


def test_passwords_and_tokens_reach_neither_the_log_nor_the_journal(app, client, arrays):
    secret_password = "Never-L0gged-" + secrets.token_hex(4)
    body = {"hostname": "alpha.lab.test", "username": "admin", "password": secret_password}
    assert_error(login(client, body, user=None), 401)
    session_id = opened(login(client, {"hostname": "alpha.lab.test"}))["sessionId"]
    body["password"] = PASSWORD
    assert login(client, body, user=None).status_code == 201
    assert get(client, "/storage", session_id).status_code == 200

    log = client.get(f"{PREFIX}/log", headers={SESSION_HEADER: session_id})
    archive = zipfile.ZipFile(io.BytesIO(log.data))
    logged = "".join(archive.read(name).decode() for name in archive.namelist())
    journal = control(client, "GET", "/journal").get_data(as_text=True)
    basic = basic_auth("admin", PASSWORD)["Authorization"].split()[1]
    for text in (logged, journal):
        assert "alpha" in text
        for secret in (secret_password, PASSWORD, session_id, basic):
            assert secret not in text


# -- wrong passwords slow an array's logins down ------------------------------------


@pytest.fixture
def stopped(monkeypatch):
    """The real time sessions count by (idle time, login blocks), stopped."""
    moment = SimpleNamespace(ms=wall_ms())
    monkeypatch.setattr(sessions, "wall_ms", lambda: moment.ms)
    return moment


def wrong_login(client, hostname: str = "alpha.lab.test"):
    return login(client, {"hostname": hostname}, password="wrong")


def test_wrong_passwords_in_a_row_block_the_arrays_logins_for_longer_each_time(
    client, arrays, stopped, database
):
    for _ in range(sessions.FREE_FAILURES):
        assert_error(wrong_login(client), 401, "Wrong username or password")
    # The first failures cost nothing: the right password still logs in at once...
    opened(login(client, {"hostname": "alpha.lab.test"}))
    # ... and clears the count.
    for _ in range(sessions.FREE_FAILURES + 1):
        assert_error(wrong_login(client), 401, "Wrong username or password")

    blocked = login(client, {"hostname": "alpha.lab.test"})
    body = assert_error(blocked, 429, "alpha", "wrong passwords", "1 s")
    assert blocked.headers["Retry-After"] == "1"
    assert PASSWORD not in body["message"]
    # Another array is not slowed down.
    opened(login(client, {"hostname": "beta.lab.test"}))

    stopped.ms += 1_001
    assert_error(wrong_login(client), 401)  # the 7th in a row: 2 s
    assert login(client, {"hostname": "alpha.lab.test"}).headers["Retry-After"] == "2"
    stopped.ms += 2_001
    opened(login(client, {"hostname": "alpha.lab.test"}))
    with database.transaction(write=False) as session:
        assert session.scalars(select(LoginFailures)).all() == []


def test_the_block_doubles_up_to_a_bound_and_a_quiet_spell_forgets_the_run(database, arrays):
    with database.transaction() as session:
        array_id = session.scalar(select(Array.id).where(Array.name == "alpha"))
        blocks = [
            sessions.note_failure(session, array_id).blocked_until_ms - sessions.wall_ms()
            for _ in range(sessions.FREE_FAILURES + 12)
        ]
    seconds = [round(block / 1000) for block in blocks]
    assert seconds[: sessions.FREE_FAILURES] == [0] * sessions.FREE_FAILURES
    assert seconds[sessions.FREE_FAILURES :][:5] == [1, 2, 4, 8, 16]
    assert max(seconds) == sessions.MAX_BLOCK_S == seconds[-1]

    with database.transaction() as session:
        session.execute(
            update(LoginFailures).values(
                last_failure_ms=LoginFailures.last_failure_ms - sessions.FAILURE_MEMORY_MS - 1,
                blocked_until_ms=0,
            )
        )
        assert sessions.note_failure(session, array_id).failures == 1


def test_a_blocked_array_refuses_even_the_right_password_and_changes_nothing(
    database, arrays, stopped
):
    with database.transaction() as session:
        array_id = session.scalar(select(Array.id).where(Array.name == "alpha"))
        for _ in range(sessions.FREE_FAILURES + 1):
            sessions.note_failure(session, array_id)
    with pytest.raises(TooManyRequests) as refused, database.transaction() as session:
        sessions.open_session(
            session,
            hostname="alpha.lab.test",
            ip_address=None,
            port=None,
            username="admin",
            password=PASSWORD,
        )
    assert refused.value.retry_after_s == 1
    assert "alpha" in refused.value.message
    assert session_count(database) == 0


def test_missing_credentials_are_401_saying_how_to_send_them(client, arrays, database):
    assert_error(
        login(client, {"hostname": "alpha.lab.test"}, user=None),
        401,
        "username",
        "password",
        ignore_case=True,
    )
    body = {"hostname": "alpha.lab.test", "username": "admin"}
    assert_error(login(client, body, user=None), 401, "password", ignore_case=True)
    assert session_count(database) == 0


def test_an_unknown_array_is_401_naming_what_was_asked(client, arrays, database):
    for body, named in [
        ({"hostname": "gamma.lab.test"}, "gamma.lab.test"),
        ({"ipAddress": "203.0.113.7"}, "203.0.113.7"),
        ({"hostname": "alpha"}, "'alpha'"),
        ({"hostname": "alpha.lab.test", "ipAddress": "203.0.113.7"}, "203.0.113.7"),
    ]:
        assert_error(login(client, body), 401, named, ignore_case=True)
    assert session_count(database) == 0


def test_hostname_and_ip_address_of_two_arrays_are_401(client, arrays, database):
    body = {"hostname": "alpha.lab.test", "ipAddress": "198.51.100.2"}
    assert_error(login(client, body), 401, "alpha.lab.test", "198.51.100.2", ignore_case=True)
    assert session_count(database) == 0


def test_a_wrong_port_is_401(client, arrays, database):
    for port in [443, 8444, "9443"]:
        assert_error(login(client, {**ALPHA, "port": port}), 401, "port", ignore_case=True)
    assert session_count(database) == 0


def test_naming_no_array_is_401(client, arrays, database):
    for body in [{}, {"port": 8443}, {"hostname": "", "ipAddress": ""}]:
        assert_error(login(client, body), 401, "hostname", "ipAddress", ignore_case=True)
    assert session_count(database) == 0


def port_refused(client, port) -> bool:
    """Whether a login with ``port`` is a 400 that names the port, and only it."""
    response = login(client, {"hostname": "alpha.lab.test", "port": port})
    if response.status_code != 400:
        return False
    assert_error(response, 400, "port", ignore_case=True)
    errors = response.get_json()["errors"]
    assert set(errors) == {"port"}, errors
    assert errors["port"] and all(isinstance(text, str) for text in errors["port"]), errors
    return True


def test_a_port_out_of_range_or_not_a_number_is_400(client, arrays, database):
    ports = [0, -1, 65536, 100000, "abc", "", "84x3", True, [8443], {"n": 8443}]
    assert [port for port in ports if not port_refused(client, port)] == []
    assert session_count(database) == 0


def test_a_fractional_port_is_400_not_rounded(client, arrays, database):
    # 8443.5 is no port number; it must not log in to the array on 8443.
    assert port_refused(client, 8443.5)
    assert session_count(database) == 0


# -- a session sees its own array only -------------------------------------------------


def test_each_session_sees_its_own_storage(client, arrays):
    alpha = opened(login(client, ALPHA))
    beta = opened(login(client, BETA))
    alpha_storage = storage_of(client, alpha["sessionId"])
    beta_storage = storage_of(client, beta["sessionId"])
    assert alpha_storage["id"] == alpha["storageId"] != beta_storage["id"] == beta["storageId"]
    assert (alpha_storage["name"], beta_storage["name"]) == ("alpha", "beta")
    assert (alpha_storage["hostName"], beta_storage["hostName"]) == (
        "alpha.lab.test",
        "beta.lab.test",
    )


def test_an_object_of_another_array_is_404(client, lab):
    lab.standard()
    alpha = opened(login(client, ALPHA))["sessionId"]
    beta = opened(login(client, BETA))["sessionId"]
    volumes = get(client, "/server/0/volume", alpha).get_json()["volumes"]
    vol1 = next(v["id"] for v in volumes if v["name"] == "vol1")
    assert get(client, f"/server/0/volume/{vol1}", alpha).status_code == 200
    response = get(client, f"/server/0/volume/{vol1}", beta)
    assert_error(response, 404, vol1, ignore_case=True)
    assert "vol1" not in response.get_data(as_text=True)
    assert get(client, "/server/0/volume", beta).get_json()["volumes"] == []
    assert get(client, f"/server/0/volume/{vol1}/snapshot", beta).status_code == 404
