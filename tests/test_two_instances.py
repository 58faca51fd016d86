"""Two app instances on one database, as two gunicorn hosts behind a load
balancer: whatever the control plane does through one, the other applies.

App ``A`` is the ``app`` fixture; app ``B`` is built with ``create_app`` on
the same ``DATABASE_URL`` with a data directory of its own (its own log
files). Faults, checkpoints, the journal and the clock live in the database,
so they are one for both.
"""

from __future__ import annotations

import time

import pytest

from mockarray import create_app
from mockarray.array import sessions
from mockarray.cli.testing import MockarrayRunner
from tests.support.api import Api, control
from tests.support.checks import ids, ok, state

HOUR_MS = 3_600_000


@pytest.fixture
def app_b(app, tmp_path):
    """A second instance on the same database."""
    other = create_app(
        {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "DATA_DIR": str(tmp_path / "instance-b"),
            "SESSION_TIMEOUT": 1800,
            "TESTING": True,
        }
    )
    assert other.config["DATA_DIR"] != app.config["DATA_DIR"]
    yield other
    other.extensions["mockarray.db"].dispose()


@pytest.fixture
def client_b(app_b):
    return app_b.test_client()


# -- helpers ------------------------------------------------------------------------------


def on(client, api: Api) -> Api:
    """The same plugin session, used through another instance."""
    return Api(client, api.session_id, api.storage_id)


def volume_ids(api: Api) -> dict[str, str]:
    return ids(api, "/server/0/volume", "volumes")


# -- the tests ------------------------------------------------------------------------------------


def test_a_fault_added_through_one_instance_is_applied_by_the_other(client, client_b, api):
    rule = ok(
        control(
            client,
            "POST",
            "/faults",
            {"path": "/server/*/volume", "status": 503, "message": "busy", "times": 1},
        ),
        201,
    )
    through_b = on(client_b, api)
    answer = through_b.get("/server/0/volume")
    assert answer.status_code == 503, answer.get_data(True)
    assert answer.get_json()["message"] == "busy"
    # The rule's one application was taken by B: A's call goes through.
    ok(api.get("/server/0/volume"))
    [seen_by_b] = ok(control(client_b, "GET", "/faults"))["faults"]
    assert seen_by_b["id"] == rule["id"]
    assert (seen_by_b["remaining"], seen_by_b["applied"]) == (0, 1)


def test_a_fault_removed_through_one_instance_stops_on_the_other(client, client_b, api):
    rule = ok(control(client_b, "POST", "/faults", {"path": "/storage", "status": 500}), 201)
    assert api.get("/storage").status_code == 500
    assert on(client_b, api).get("/storage").status_code == 500
    assert control(client, "DELETE", f"/faults/{rule['id']}").status_code == 204
    ok(on(client_b, api).get("/storage"))


def test_an_array_fault_added_through_one_instance_is_applied_by_the_other(client, client_b, api):
    ok(control(client, "POST", "/faults", {"array": "alpha", "status": 503}), 201)
    assert on(client_b, api).get("/storage").status_code == 503


def test_a_checkpoint_saved_on_one_restores_on_the_other(client, client_b, api, app_b):
    before = state(api)
    ok(control(client, "POST", "/checkpoints", {"name": "base"}), 201)
    through_b = on(client_b, api)
    ids = volume_ids(through_b)
    ok(through_b.post(f"/server/0/volume/{ids['vol2']}/snapshot", json={"name": "b1"}), 201)
    assert through_b.delete(f"/server/0/volume/{ids['vol1-clone']}").status_code == 200
    assert state(api) != before

    [listed] = ok(control(client_b, "GET", "/checkpoints"))["checkpoints"]
    assert listed["name"] == "base"
    ok(control(client_b, "POST", "/checkpoints/base/restore"))

    assert state(api) == before
    assert state(through_b) == before
    # ... and B's command line sees it too.
    runner_b = MockarrayRunner(database=app_b.extensions["mockarray.db"])
    output = runner_b.invoke(args=["checkpoint", "list"]).output
    assert "checkpoint 'base'" in output


def test_the_journal_of_both_instances_is_one(client, client_b, api):
    ok(control(client, "DELETE", "/journal"))
    through_b = on(client_b, api)
    ok(api.get("/storage"))
    ok(through_b.get("/server/0/pool"))
    ok(api.get("/server/0/volume"))
    assert through_b.get("/server/0/volume/999999").status_code == 404

    expected = [
        ("/storage", 200),
        ("/server/0/pool", 200),
        ("/server/0/volume", 200),
        ("/server/0/volume/999999", 404),
    ]
    for reader in (client, client_b):
        entries = ok(control(reader, "GET", "/journal"))["entries"]
        assert [(e["path"], e["status"]) for e in entries] == expected
        assert {e["session"] for e in entries} == {sessions.token_tag(api.session_id)}
        assert ok(control(reader, "GET", "/journal/count"))["count"] == 4
    assert ok(control(client_b, "DELETE", "/journal")) == {"removed": 4}
    assert ok(control(client, "GET", "/journal"))["entries"] == []


def test_the_clock_advanced_on_one_is_seen_by_the_other(client, client_b, api):
    advanced = ok(control(client, "POST", "/clock/advance", {"by": "1h"}))
    seen = ok(control(client_b, "GET", "/clock"))
    assert seen["offsetMs"] == advanced["offsetMs"] == HOUR_MS
    assert abs(seen["now"] - (time.time() * 1000 + HOUR_MS)) < 60_000

    through_b = on(client_b, api)
    vol2 = volume_ids(through_b)["vol2"]
    taken = ok(through_b.post(f"/server/0/volume/{vol2}/snapshot", json={"name": "later"}), 201)
    assert abs(taken["creationTime"] - (time.time() * 1000 + HOUR_MS)) < 60_000
    # B's journal entries carry simulated time as well.
    [entry] = ok(
        control(client, "GET", "/journal", query_string={"method": "POST", "path": "*/snapshot"})
    )["entries"]
    assert abs(entry["time"] - (time.time() * 1000 + HOUR_MS)) < 60_000

    ok(control(client_b, "PUT", "/clock", {"speed": 4}))
    ok(control(client_b, "POST", "/clock/reset"))
    seen = ok(control(client, "GET", "/clock"))
    assert (seen["offsetMs"], seen["speed"]) == (HOUR_MS, 1.0)


def test_a_split_sped_up_on_one_runs_so_on_the_other(app, app_b, client, client_b, api):
    for instance in (app, app_b):
        instance.config["SPLIT_RATE"] = 2**30  # the clone's 10 GiB take 10 s
    ok(control(client, "PUT", "/clock", {"instant": True}))
    through_b = on(client_b, api)
    clone = volume_ids(through_b)["vol1-clone"]
    split = ok(through_b.post(f"/server/0/volume/{clone}?action=split"))
    assert split == {"percentageComplete": 100, "complete": True}


def test_a_reset_through_one_ends_the_sessions_on_the_other(client, client_b, api):
    assert ok(control(client_b, "POST", "/reset", {})) == {"arrays": ["alpha", "beta"]}
    assert api.get("/storage").status_code == 401
    again = Api.login(client, "alpha.lab.test")
    ok(on(client_b, again).get("/storage"))


def test_a_write_through_one_is_seen_by_the_other(client, client_b, api):
    vol1 = volume_ids(api)["vol1"]
    path = f"/arrays/alpha/servers/0/volumes/{vol1}/writes"
    ok(control(client, "POST", path, {"bytes": "1GiB", "append": True}))
    volume = ok(on(client_b, api).get(f"/server/0/volume/{vol1}"))
    assert volume["stats"]["usedSize"] == 11 * 2**30
