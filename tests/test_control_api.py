"""The lab-control plane through HTTP (``/mockarray/api``): its token, its
OpenAPI document, reset, checkpoints, faults, the simulated clock, the
request journal and host writes.

Each function is driven through the control plane and checked through the
plugin API (``/storageplugin/api``), as a test run would. The lab is
``tests.support.lab.Lab.standard`` (arrays ``alpha`` and ``beta``).

The control plane's own tables (faults, journal, checkpoints, clock) are not
arrays' state; the ``app`` fixture empties them, with the arrays, after every
test, and puts the app's settings back.
"""

from __future__ import annotations

import random
import threading
import time
from types import SimpleNamespace

import pytest
import yaml
from sqlalchemy import select

from mockarray import create_app
from mockarray.array import sessions
from mockarray.array.clock import wall_ms
from mockarray.array.models import Snapshot, Volume
from mockarray.config import from_env as config_from_env
from mockarray.config.serving import gunicorn_settings
from mockarray.errors import Invalid
from mockarray.lab import faults as lab_faults
from mockarray.lab.api import plugin_hooks
from mockarray.lab.models import LabFixture
from tests.support.api import CONTROL, PASSWORD, PREFIX, Api, basic_auth, control
from tests.support.checks import (
    JOURNAL_ENTRY_KEYS,
    assert_error,
    clock_state,
    fault_rules,
    free_space,
    ids,
    listed,
    ok,
    split_status,
    state,
    take_snapshot,
)
from tests.support.db import fingerprint, fingerprints
from tests.support.lab import array_doc

GiB = 2**30
HOUR_MS = 3_600_000
TOKEN = "lab-token-0123456789"
REMOTE = {"REMOTE_ADDR": "10.0.0.5"}

# -- helpers ------------------------------------------------------------------------------


def plugin_state(api: Api) -> dict:
    """What the plugin API shows of the session's array, call by call."""
    volumes = listed(api, "/server/0/volume", "volumes")
    hosts = listed(api, "/server/0/host", "hosts")
    groups = listed(api, "/server/0/consistencygroup", "consistencyGroups")
    return {
        "storage": ok(api.get("/storage")),
        "servers": ok(api.get("/server")),
        "system": ok(api.get("/server/0/system")),
        "pools": ok(api.get("/server/0/pool")),
        "volumes": volumes,
        "snapshots": {
            v["name"]: listed(api, f"/server/0/volume/{v['id']}/snapshot", "snapshots")
            for v in volumes
        },
        "luns": ok(api.get("/server/0/lun")),
        "hosts": hosts,
        "host_luns": {h["name"]: ok(api.get(f"/server/0/host/{h['id']}/lun")) for h in hosts},
        "host_groups": ok(api.get("/server/0/hostgroup")),
        "networks": ok(api.get("/server/0/network")),
        "consistency_groups": groups,
        "cg_snapshots": {
            g["name"]: ok(api.get(f"/server/0/consistencygroup/{g['id']}/snapshot")) for g in groups
        },
    }


def snapshot_used(database, snapshot_id: str) -> int:
    with database.transaction(write=False) as session:
        return session.scalar(select(Snapshot.used_bytes).where(Snapshot.id == int(snapshot_id)))


def journal(client, **query) -> list[dict]:
    return ok(control(client, "GET", "/journal", query_string=query))["entries"]


def journal_count(client, **query) -> int:
    return ok(control(client, "GET", "/journal/count", query_string=query))["count"]


def add_fault(client, **rule) -> dict:
    response = control(client, "POST", "/faults", json=rule)
    body = ok(response, 201)
    assert response.headers["Location"] == f"{CONTROL}/faults/{body['id']}"
    return body


# -- the token ----------------------------------------------------------------------------------

# Control calls that must all be guarded the same way: (method, path, body).
GUARDED = {
    "list faults": ("GET", "/faults", None),
    "add fault": ("POST", "/faults", {"status": 503}),
    "reset": ("POST", "/reset", {"empty": True}),
    "seed": ("POST", "/seed?replace=true", {"arrays": []}),
    "fixture": ("GET", "/fixture", None),
    "journal": ("GET", "/journal", None),
    "clock": ("GET", "/clock", None),
    "advance clock": ("POST", "/clock/advance", {"by": "1h"}),
    "save checkpoint": ("POST", "/checkpoints", {"name": "x"}),
    "write": ("POST", "/arrays/alpha/servers/0/volumes/1/writes", {"bytes": 1}),
}


def nothing_changed(client, database) -> None:
    """A refused control call left the lab as it was."""
    assert fault_rules(client) == []
    assert ok(control(client, "GET", "/checkpoints"))["checkpoints"] == []
    assert ok(control(client, "GET", "/clock"))["offsetMs"] == 0
    with database.transaction(write=False) as session:
        assert session.scalar(select(Volume.id).limit(1)) is not None


def test_without_a_token_loopback_clients_may_use_the_control_plane(client, lab):
    lab.standard()
    assert ok(control(client, "GET", "/faults")) == {"faults": []}
    ipv6 = control(client, "GET", "/clock", environ_base={"REMOTE_ADDR": "::1"})
    assert set(ok(ipv6)) == {"now", "offsetMs", "speed", "instant"}


@pytest.mark.parametrize("call", GUARDED)
def test_without_a_token_a_remote_client_is_403_and_changes_nothing(client, lab, database, call):
    lab.standard()
    method, path, body = GUARDED[call]
    response = control(client, method, path, body, environ_base=REMOTE)
    assert_error(response, 403, "MOCKARRAY_ADMIN_TOKEN")
    nothing_changed(client, database)


BAD_AUTHORIZATION = {
    "missing": None,
    "wrong token": f"Bearer {TOKEN}x",
    "empty bearer": "Bearer ",
    "token without scheme": TOKEN,
    "basic": basic_auth("admin", TOKEN)["Authorization"],
}


@pytest.mark.parametrize("remote", [False, True], ids=["loopback", "remote"])
@pytest.mark.parametrize("sent", BAD_AUTHORIZATION)
def test_with_a_token_a_missing_or_wrong_bearer_is_401(app, client, lab, database, sent, remote):
    lab.standard()
    app.config["ADMIN_TOKEN"] = TOKEN
    method, path, body = GUARDED["add fault"]
    headers = {"Accept": "application/json"}
    if BAD_AUTHORIZATION[sent] is not None:
        headers["Authorization"] = BAD_AUTHORIZATION[sent]
    environ = REMOTE if remote else {}
    response = control(client, method, path, body, headers=headers, environ_base=environ)
    assert_error(response, 401, "Bearer")
    app.config["ADMIN_TOKEN"] = ""
    nothing_changed(client, database)


@pytest.mark.parametrize("remote", [False, True], ids=["loopback", "remote"])
def test_with_a_token_the_right_bearer_is_allowed_from_anywhere(app, client, lab, remote):
    lab.standard()
    app.config["ADMIN_TOKEN"] = TOKEN
    headers = {"Accept": "application/json", "Authorization": f"Bearer {TOKEN}"}
    environ = REMOTE if remote else {}
    added = control(
        client, "POST", "/faults", {"status": 503}, headers=headers, environ_base=environ
    )
    rule = ok(added, 201)
    listed_rules = ok(control(client, "GET", "/faults", headers=headers, environ_base=environ))
    assert [r["id"] for r in listed_rules["faults"]] == [rule["id"]]


def test_the_token_does_not_guard_the_plugin_api(app, client, lab):
    lab.standard()
    app.config["ADMIN_TOKEN"] = TOKEN
    response = client.get(f"{PREFIX}/info", headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(True)
    Api.login(client, "alpha.lab.test")


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "BeArEr"])
def test_with_a_token_the_bearer_scheme_is_case_insensitive(app, client, lab, scheme):
    lab.standard()
    app.config["ADMIN_TOKEN"] = TOKEN
    headers = {"Accept": "application/json", "Authorization": f"{scheme}  {TOKEN}"}
    ok(control(client, "POST", "/faults", {"status": 503}, headers=headers), 201)


# -- no web page can drive the control plane ---------------------------------------------------

# Calls a page could make to change the lab: (method, path, body).
PAGE_CALLS = {
    "reset": ("POST", "/reset", {"empty": True}),
    "seed": ("POST", "/seed?replace=true", {"arrays": []}),
    "finish tasks": ("POST", "/clock/finish", {}),
    "restore": ("POST", "/checkpoints/base/restore", {}),
    "add fault": ("POST", "/faults", {"status": 503}),
    "clear journal": ("DELETE", "/journal", None),
}
FOREIGN_ORIGINS = [
    "http://evil.example",
    "http://evil.example:8080",
    "null",
    "http://localhost:9999",
    "https://localhost",
    "http://127.0.0.1.evil.example",
]


def page_lab(client, api) -> dict:
    """A lab with something a page's call would change; what it looks like."""
    take_snapshot(api, ids(api, "/server/0/volume", "volumes")["vol2"], "kept")
    ok(control(client, "POST", "/checkpoints", {"name": "base"}), 201)
    take_snapshot(api, ids(api, "/server/0/volume", "volumes")["vol2"], "after-base")
    return page_lab_now(client, api)


def page_lab_now(client, api) -> dict:
    """The arrays, the fault rules, and whether the journal still holds its calls
    (reading the arrays adds to it)."""
    return {
        "state": state(api),
        "journal kept": ok(control(client, "GET", "/journal/count"))["count"] >= 5,
        "faults": fault_rules(client),
    }


@pytest.mark.parametrize("call", PAGE_CALLS)
def test_a_call_from_a_foreign_origin_is_403_and_changes_nothing(client, api, call):
    before = page_lab(client, api)
    method, path, body = PAGE_CALLS[call]
    for origin in FOREIGN_ORIGINS:
        headers = {"Accept": "application/json", "Origin": origin}
        response = control(client, method, path, body, headers=headers)
        assert_error(response, 403, "Origin", origin)
    assert page_lab_now(client, api) == before


#: What a page can send to another site without a CORS preflight.
SIMPLE_BODIES = {
    "no body": {},
    "empty text": {"data": "", "content_type": "text/plain"},
    "json as text": {"data": '{"empty": true}', "content_type": "text/plain"},
    "form": {"data": "empty=true", "content_type": "application/x-www-form-urlencoded"},
    "empty multipart": {"data": "", "content_type": "multipart/form-data; boundary=x"},
}


@pytest.mark.parametrize("call", PAGE_CALLS)
def test_a_change_without_a_json_content_type_is_415_and_changes_nothing(client, api, call):
    before = page_lab(client, api)
    method, path, _ = PAGE_CALLS[call]
    for sent, kwargs in SIMPLE_BODIES.items():
        response = client.open(
            CONTROL + path, method=method, headers={"Accept": "application/json"}, **kwargs
        )
        assert response.status_code == 415, sent
        assert_error(response, 415, "Content-Type: application/json")
    assert page_lab_now(client, api) == before


@pytest.mark.parametrize(
    "origin", [None, "http://localhost", "http://127.0.0.1", "http://[::1]", "http://LOCALHOST:80"]
)
def test_a_change_from_the_server_itself_with_a_json_content_type_is_allowed(client, api, origin):
    page_lab(client, api)
    headers = {"Accept": "application/json"}
    if origin is not None:
        headers["Origin"] = origin
    # Body-less: the content type alone is enough.
    ok(control(client, "POST", "/checkpoints/base/restore", headers=headers))
    assert "after-base" not in ids(
        api,
        f"/server/0/volume/{ids(api, '/server/0/volume', 'volumes')['vol2']}/snapshot",
        "snapshots",
    )
    ok(control(client, "POST", "/reset", {}, headers=headers))


def test_reads_need_no_content_type(client, lab):
    lab.standard()
    response = client.get(f"{CONTROL}/journal", headers={"Origin": "http://evil.example"})
    assert ok(response) == {"entries": []}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "10.0.0.5", "mockarray.lab"])
@pytest.mark.parametrize("call", ["journal", "reset"])
def test_without_a_token_a_call_to_a_foreign_host_name_is_403(client, api, host, call):
    """DNS rebinding: a page's own name, made to point at 127.0.0.1, reads nothing."""
    before = page_lab(client, api)
    method, path, body = {"journal": ("GET", "/journal", None), "reset": PAGE_CALLS["reset"]}[call]
    response = control(
        client, method, path, body, headers={"Accept": "application/json", "Host": host}
    )
    assert_error(response, 403, host, "loopback")
    assert page_lab_now(client, api) == before


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8080",
        "LocalHost:1",
        "127.0.0.1",
        "127.0.0.1:8080",
        "[::1]",
        "[::1]:8080",
    ],
)
def test_without_a_token_loopback_host_names_are_allowed(client, lab, host):
    lab.standard()
    headers = {"Accept": "application/json", "Host": host}
    assert ok(control(client, "GET", "/journal", headers=headers)) == {"entries": []}
    ok(control(client, "POST", "/reset", {}, headers=headers))


def test_with_a_token_any_host_name_is_allowed(app, client, lab):
    lab.standard()
    app.config["ADMIN_TOKEN"] = TOKEN
    headers = {
        "Accept": "application/json",
        "Authorization": f"Bearer {TOKEN}",
        "Host": "mockarray.ci.example:8080",
    }
    ok(control(client, "POST", "/reset", {}, headers=headers, environ_base=REMOTE))
    origin = {**headers, "Origin": "http://evil.example"}
    assert_error(control(client, "POST", "/reset", {}, headers=origin), 403, "Origin")


ERROR_CASES = {
    "unknown path": ("GET", "/nothing-here", {}, 404),
    "wrong method": ("PUT", "/reset", {"json": {}}, 405),
    "body not json": ("POST", "/faults", {"data": "status=503", "content_type": "text/plain"}, 415),
    "malformed json": (
        "POST",
        "/faults",
        {"data": "{not json", "content_type": "application/json"},
        400,
    ),
    "accept not json": ("GET", "/faults", {"headers": {"Accept": "text/html"}}, 415),
}


@pytest.mark.parametrize("case", ERROR_CASES)
def test_control_plane_errors_have_the_plugin_apis_json_shape(client, case):
    method, path, kwargs, status = ERROR_CASES[case]
    kwargs = {"headers": {"Accept": "application/json"}, **kwargs}
    assert_error(client.open(CONTROL + path, method=method, **kwargs), status)


# -- the OpenAPI document -----------------------------------------------------------------------


def test_openapi_document_lists_the_control_paths_and_no_plugin_path(client):
    document = ok(client.get(f"{CONTROL}/openapi.json"))
    paths = set(document["paths"])
    for expected in (
        "/reset",
        "/checkpoints",
        "/checkpoints/{name}",
        "/checkpoints/{name}/restore",
        "/faults",
        "/faults/{fid}",
        "/clock",
        "/clock/advance",
        "/clock/finish",
        "/clock/reset",
        "/clock/real-time",
        "/journal",
        "/journal/count",
        "/arrays/{array}/servers/{sid}/volumes/{vid}/writes",
    ):
        assert CONTROL + expected in paths, (expected, sorted(paths))
    assert all(path.startswith(CONTROL + "/") for path in paths), sorted(paths)
    assert not any("storageplugin" in path or "/session" in path for path in paths)
    schemes = document["components"]["securitySchemes"]
    (scheme,) = schemes.values()
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert "loopback" in scheme["description"], scheme
    # ... and the plugin's own document does not list the control plane.
    plugin = ok(client.get(f"{PREFIX}/openapi.json"))
    assert not any(path.startswith(CONTROL) for path in plugin["paths"])


# -- reset --------------------------------------------------------------------------------------


def names_and_stats(api: Api) -> dict:
    """The lab as a reset rebuilds it (ids and creation times are new)."""
    volumes = listed(api, "/server/0/volume", "volumes")
    return {
        "volumes": {v["name"]: v["stats"] for v in volumes},
        "snapshots": {
            v["name"]: sorted(
                s["name"] for s in listed(api, f"/server/0/volume/{v['id']}/snapshot", "snapshots")
            )
            for v in volumes
        },
        "pools": free_space(api),
        "hosts": sorted(h["name"] for h in listed(api, "/server/0/host", "hosts")),
    }


def test_reset_brings_back_the_seeded_lab_and_ends_every_session(client, api, ref, database):
    seeded = names_and_stats(api)
    take_snapshot(api, ref["vol2"], "extra")
    assert api.delete(f"/server/0/volume/{ref['clone']}").status_code == 200
    ok(
        control(
            client,
            "POST",
            f"/arrays/alpha/servers/0/volumes/{ref['vol1']}/writes",
            {"bytes": "1GiB", "append": True},
        )
    )
    assert names_and_stats(api) != seeded

    assert ok(control(client, "POST", "/reset", {})) == {"arrays": ["alpha", "beta"]}

    assert_error(api.get("/server/0/volume"), 401)
    again = Api.login(client, "alpha.lab.test")
    assert names_and_stats(again) == seeded


def test_the_database_keeps_no_password_of_the_seeded_lab_and_reset_still_logs_in(
    client, api, database
):
    with database.transaction() as session:
        documents = session.scalars(select(LabFixture.document)).all()
    assert documents and all(PASSWORD not in text for text in documents)
    for text in documents:
        arrays = yaml.safe_load(text)["arrays"]
        assert len(arrays) == 2 and all("password" not in spec for spec in arrays), text
        assert all(spec["passwordHash"].startswith("pbkdf2:") for spec in arrays), text

    assert ok(control(client, "POST", "/reset", {})) == {"arrays": ["alpha", "beta"]}
    assert Api.login(client, "alpha.lab.test").get("/storage").status_code == 200
    assert Api.login(client, "beta.lab.test").get("/storage").status_code == 200


def test_reset_with_empty_leaves_no_array(client, api):
    assert ok(control(client, "POST", "/reset", {"empty": True})) == {"arrays": []}
    assert_error(api.get("/storage"), 401)
    response = client.post(
        f"{PREFIX}/session",
        json={"hostname": "alpha.lab.test"},
        headers=basic_auth("admin", PASSWORD),
    )
    assert_error(response, 401, "alpha.lab.test")


def test_reset_without_a_body_is_a_plain_reset(client, api):
    assert ok(control(client, "POST", "/reset")) == {"arrays": ["alpha", "beta"]}


def test_reset_with_an_invalid_body_is_400_and_changes_nothing(client, api):
    assert_error(control(client, "POST", "/reset", {"empty": "perhaps"}), 400, field="empty")
    assert ok(api.get("/storage"))["name"]


# -- checkpoints --------------------------------------------------------------------------------


def save(client, name: str, **body) -> dict:
    response = control(client, "POST", "/checkpoints", {"name": name, **body})
    saved = ok(response, 201)
    assert response.headers["Location"] == f"{CONTROL}/checkpoints/{name}"
    return saved


def restore(client, name: str) -> dict:
    return ok(control(client, "POST", f"/checkpoints/{name}/restore"))


def checkpoints(client) -> list[dict]:
    return ok(control(client, "GET", "/checkpoints"))["checkpoints"]


def change_everything(client, api: Api, ref: dict) -> None:
    """Changes of every kind the plugin API and the control plane can make."""
    take_snapshot(api, ref["vol2"], "vol2.extra")
    assert api.delete(f"/server/0/volume/{ref['vol1']}/snapshot/{ref['snap1']}").status_code == 204
    clone = api.post(
        f"/server/0/volume/{ref['vol1']}?action=clone",
        json={"name": "c2", "snapshot": {"id": ref["snap2"]}},
    )
    ok(clone)
    assert api.delete(f"/server/0/volume/{ref['clone']}").status_code == 200
    host = ok(api.post("/server/0/host", json={"name": "new-host", "iqns": ["iqn.2000-01.test:x"]}))
    ok(api.post(f"/server/0/host/{host['id']}?action=map", json={"volumeId": ref["vol2"]}))
    hosts = ids(api, "/server/0/host", "hosts")
    unmap = api.post(
        f"/server/0/host/{hosts['host-iscsi']}?action=unmap", json={"volumeId": ref["vol1"]}
    )
    assert unmap.status_code < 300, unmap.get_data(True)
    ok(
        api.post(
            f"/server/0/consistencygroup/{ref['cg1']}?action=take-snapshot",
            json={"name": "cg1.snap2"},
        )
    )
    ok(
        control(
            client,
            "POST",
            f"/arrays/alpha/servers/0/volumes/{ref['vol1']}/writes",
            {"bytes": "3GiB"},
        )
    )


def test_save_answers_201_with_location_and_what_was_saved(client, api):
    saved = save(client, "base")
    assert set(saved) == {"name", "createdTime", "arrays", "volumes", "sizeBytes"}
    assert saved["name"] == "base"
    assert saved["arrays"] == 2 and saved["volumes"] == 3
    assert saved["sizeBytes"] > 0
    assert abs(saved["createdTime"] - wall_ms()) < 60_000
    assert checkpoints(client) == [saved]


def test_restore_brings_back_volumes_snapshots_and_mappings_exactly(client, api, ref, database):
    before = plugin_state(api)
    contents = fingerprints(database)
    save(client, "base")
    change_everything(client, api, ref)
    assert plugin_state(api) != before
    assert fingerprints(database) != contents

    restored = restore(client, "base")

    assert restored["name"] == "base"
    assert plugin_state(api) == before  # the same session, still open
    assert fingerprints(database) == contents
    # New objects after a restore get new ids, never one a client saw before.
    seen = {v["id"] for v in before["volumes"]}
    created = take_snapshot(api, ref["vol2"], "after")
    assert created["id"] not in {s["id"] for snaps in before["snapshots"].values() for s in snaps}
    clone = ok(
        api.post(
            f"/server/0/volume/{ref['vol1']}?action=clone",
            json={"name": "c3", "snapshot": {"id": ref["snap2"]}},
        )
    )
    assert clone["id"] not in seen


def test_restore_can_be_repeated(client, api, ref):
    before = plugin_state(api)
    save(client, "base")
    for round_ in range(2):
        take_snapshot(api, ref["vol2"], f"round-{round_}")
        restore(client, "base")
        assert plugin_state(api) == before


def test_duplicate_name_is_409_and_replace_overwrites(client, lab, api):
    first = save(client, "base")
    assert_error(control(client, "POST", "/checkpoints", {"name": "base"}), 409, "base")
    assert checkpoints(client) == [first]

    lab.seed(array_doc("gamma", 3))
    replaced = save(client, "base", replace=True)
    assert replaced["arrays"] == 3
    assert [c["name"] for c in checkpoints(client)] == ["base"]
    assert checkpoints(client)[0]["arrays"] == 3


def test_list_is_oldest_first(client, lab, frozen):
    lab.standard()
    for name in ("one", "two", "three"):
        save(client, name)
        frozen.ms += 1000
    listed_names = [c["name"] for c in checkpoints(client)]
    assert listed_names == ["one", "two", "three"]
    times = [c["createdTime"] for c in checkpoints(client)]
    assert times == sorted(times) and len(set(times)) == 3


def test_a_session_whose_array_exists_survives_a_restore(client, lab):
    lab.seed(array_doc("alpha", 1))
    save(client, "alpha-only")
    before = Api.login(client, "alpha.lab.test")
    lab.seed(array_doc("beta", 2))
    beta = Api.login(client, "beta.lab.test")
    after = Api.login(client, "alpha.lab.test")  # opened after the checkpoint

    restore(client, "alpha-only")

    assert ok(before.get("/storage"))["name"] == "alpha"
    assert ok(after.get("/storage"))["name"] == "alpha"
    assert_error(beta.get("/storage"), 401)
    assert_error(
        client.post(
            f"{PREFIX}/session",
            json={"hostname": "beta.lab.test"},
            headers=basic_auth("admin", PASSWORD),
        ),
        401,
    )


def test_restore_after_an_empty_reset_brings_the_arrays_back(client, api):
    before = plugin_state(api)
    save(client, "base")
    ok(control(client, "POST", "/reset", {"empty": True}))
    restore(client, "base")
    # The reset ended the old session; the restored array accepts a new one.
    assert_error(api.get("/storage"), 401)
    again = Api.login(client, "alpha.lab.test")
    assert plugin_state(again) == before


def test_restore_is_fast(client, lab):
    volumes = [
        {
            "name": f"v{i}",
            "size": "10GiB",
            "used": "1GiB",
            "snapshots": [{"name": f"v{i}.s", "age": "1d"}],
        }
        for i in range(150)
    ]
    lab.seed(
        array_doc(
            "big", 1, servers=[{"pools": [{"name": "p", "capacity": "10TiB"}], "volumes": volumes}]
        )
    )
    save(client, "big")
    ok(control(client, "POST", "/reset", {"empty": True}))
    started = time.perf_counter()
    restore(client, "big")
    assert time.perf_counter() - started < 2.0
    api = Api.login(client, "big.lab.test")
    assert len(listed(api, "/server/0/volume", "volumes")) == 150


def test_delete_is_204_and_then_the_checkpoint_is_gone(client, api):
    save(client, "base")
    save(client, "other")
    ok(control(client, "DELETE", "/checkpoints/base"), 204)
    assert [c["name"] for c in checkpoints(client)] == ["other"]
    assert_error(control(client, "POST", "/checkpoints/base/restore"), 404, "base")


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/checkpoints/nope/restore"), ("DELETE", "/checkpoints/nope")],
    ids=["restore", "delete"],
)
def test_unknown_checkpoint_is_404_and_changes_nothing(client, api, method, path):
    save(client, "base")
    before = state(api)
    assert_error(control(client, method, path), 404, "nope", "base")
    assert state(api) == before
    assert [c["name"] for c in checkpoints(client)] == ["base"]


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": 7}, {"name": "x", "replace": "perhaps"}]
)
def test_invalid_checkpoint_request_is_400(client, body):
    assert_error(control(client, "POST", "/checkpoints", body), 400)
    assert checkpoints(client) == []


@pytest.mark.parametrize("name", ["before test", "run/1"])
def test_a_saved_checkpoint_can_be_restored_and_deleted_at_its_location(client, api, name):
    """A name the control plane accepts must be usable at the Location it answers."""
    response = control(client, "POST", "/checkpoints", {"name": name})
    if response.status_code == 400:
        assert_error(response, 400, field="name")
        return
    ok(response, 201)
    location = response.headers["Location"]
    assert location.startswith(CONTROL)
    ok(
        client.post(
            f"{location}/restore",
            headers={"Accept": "application/json"},
            content_type="application/json",
        )
    )
    ok(
        client.delete(
            location, headers={"Accept": "application/json"}, content_type="application/json"
        ),
        204,
    )
    assert checkpoints(client) == []


# -- faults -------------------------------------------------------------------------------------


def test_status_fault_answers_its_status_and_message_in_the_json_shape(client, api):
    rule = add_fault(
        client, method="GET", path="/server/*/volume", status=503, message="The array is rebooting."
    )
    assert rule["status"] == 503 and rule["remaining"] is None and rule["applied"] == 0
    body = assert_error(api.get("/server/0/volume"), 503, "The array is rebooting.")
    assert body == {
        "code": 503,
        "status": "Service Unavailable",
        "message": "The array is rebooting.",
    }
    # Until removed.
    assert_error(api.get("/server/0/volume"), 503)
    assert fault_rules(client)[0]["applied"] == 2
    # Other calls are not matched.
    ok(api.get("/server/0/pool"))


def test_status_fault_without_a_message_says_it_was_injected(client, api):
    add_fault(client, status=500)
    body = assert_error(api.get("/storage"), 500)
    assert "fault" in body["message"].lower()


def test_a_fault_status_without_a_registered_phrase_is_answered_too(client, api):
    add_fault(client, status=599, message="Vendor specific.")
    response = api.get("/storage")
    assert response.status_code == 599
    assert response.get_json() == {
        "code": 599,
        "status": "Server Error",
        "message": "Vendor specific.",
    }


def test_times_applies_the_rule_to_the_next_n_matching_calls_only(client, api):
    rule = add_fault(client, path="/server/0/pool", status=500, times=2)
    assert rule["remaining"] == 2
    ok(api.get("/server/0/volume"))  # not matched: not counted
    statuses = [api.get("/server/0/pool").status_code for _ in range(4)]
    assert statuses == [500, 500, 200, 200]
    [after] = fault_rules(client)
    assert after["remaining"] == 0 and after["applied"] == 2


def test_probability_decides_each_call(client, api, monkeypatch):
    draws = iter([0.9, 0.1, 0.5, 0.49])
    fake = SimpleNamespace(random=lambda: next(draws), uniform=random.uniform)
    monkeypatch.setattr(lab_faults, "random", fake)
    add_fault(client, path="/storage", status=503, probability=0.5)
    statuses = [api.get("/storage").status_code for _ in range(4)]
    assert statuses == [200, 503, 200, 503]
    assert fault_rules(client)[0]["applied"] == 2


def test_probability_with_times_counts_only_applied_faults(client, api, monkeypatch):
    draws = iter([0.9, 0.1, 0.9, 0.1, 0.1])
    fake = SimpleNamespace(random=lambda: next(draws), uniform=random.uniform)
    monkeypatch.setattr(lab_faults, "random", fake)
    add_fault(client, path="/storage", status=503, probability=0.5, times=2)
    statuses = [api.get("/storage").status_code for _ in range(5)]
    assert statuses == [200, 503, 200, 503, 200]


@pytest.mark.parametrize(
    ("rule", "at_least_s"),
    [({"delayMs": 150}, 0.15), ({"delayMs": 100, "delayMaxMs": 150}, 0.10)],
    ids=["fixed", "range"],
)
def test_delay_fault_slows_the_call_and_then_it_is_answered(client, api, rule, at_least_s):
    add_fault(client, path="/server/0/pool", **rule)
    started = time.perf_counter()
    pools = ok(api.get("/server/0/pool"))
    assert time.perf_counter() - started >= at_least_s
    assert {p["name"] for p in pools["pools"]} == {"pool1", "pool2"}
    started = time.perf_counter()
    ok(api.get("/server/0/volume"))
    assert time.perf_counter() - started < at_least_s
    [entry] = journal(client, path="/server/0/pool")
    assert entry["durationMs"] >= at_least_s * 1000
    assert entry["faultId"] is not None


def test_delay_with_status_waits_then_fails(client, api):
    add_fault(client, path="/storage", status=504, message="slow and broken", delayMs=150)
    started = time.perf_counter()
    assert_error(api.get("/storage"), 504, "slow and broken", sentence=False)
    assert time.perf_counter() - started >= 0.15


def test_delay_only_fault_does_not_stop_a_write(client, api, ref):
    add_fault(client, method="POST", delayMs=100)
    take_snapshot(api, ref["vol2"], "slow")
    assert "slow" in ids(api, f"/server/0/volume/{ref['vol2']}/snapshot", "snapshots")


# (rule, the call, whether the rule matches it). Calls act on array alpha
# unless they say "beta".
MATCHING = {
    "path glob matches below": (
        {"path": "/server/*/volume/*"},
        ("GET", "/server/0/volume/{vol1}"),
        True,
    ),
    "path glob matches deeper": (
        {"path": "/server/*/volume/*"},
        ("GET", "/server/0/volume/{vol1}/snapshot"),
        True,
    ),
    "path glob needs its prefix": (
        {"path": "/server/*/volume/*"},
        ("GET", "/server/0/volume"),
        False,
    ),
    "exact path": ({"path": "/server/0/pool"}, ("GET", "/server/0/pool"), True),
    "exact path, other path": ({"path": "/server/0/pool"}, ("GET", "/server/0/host"), False),
    "method matches": ({"method": "GET", "path": "/storage"}, ("GET", "/storage"), True),
    "method differs": (
        {"method": "DELETE", "path": "/server/0/volume/*"},
        ("GET", "/server/0/volume/{vol1}"),
        False,
    ),
    "action matches": (
        {"action": "createSnapshot"},
        ("POST", "/server/0/volume/{vol2}?action=createSnapshot"),
        True,
    ),
    "action normalised (dash)": (
        {"action": "create-snapshot"},
        ("POST", "/server/0/volume/{vol2}?action=createSnapshot"),
        True,
    ),
    "action normalised (call)": (
        {"action": "createSnapshot"},
        ("POST", "/server/0/volume/{vol2}?action=CREATE_SNAPSHOT"),
        True,
    ),
    "cg action normalised (dash rule)": (
        {"action": "take-snapshot"},
        ("POST", "/server/0/consistencygroup/{cg1}?action=takeSnapshot"),
        True,
    ),
    "cg action normalised (dash call)": (
        {"action": "takeSnapshot"},
        ("POST", "/server/0/consistencygroup/{cg1}?action=take-snapshot"),
        True,
    ),
    "action differs": (
        {"action": "clone"},
        ("POST", "/server/0/volume/{vol2}?action=createSnapshot"),
        False,
    ),
    "action needs an action": ({"action": "clone"}, ("GET", "/server/0/volume/{vol2}"), False),
    "array matches": ({"array": "alpha"}, ("GET", "/storage"), True),
    "array differs": ({"array": "beta"}, ("GET", "/storage"), False),
    "array of the other session": ({"array": "beta"}, ("GET", "/storage", "beta"), True),
}


@pytest.mark.parametrize("case", MATCHING)
def test_fault_criteria(client, api, ref, case):
    rule, call, matches = MATCHING[case]
    add_fault(client, status=418, message="teapot", **rule)
    method, path, *array = call
    caller = Api.login(client, "beta.lab.test") if array == ["beta"] else api
    path = path.format_map(ref)
    body = {"name": "s"} if method == "POST" else None
    response = caller.client.open(PREFIX + path, method=method, headers=caller.headers, json=body)
    if matches:
        assert_error(response, 418, "teapot", sentence=False)
    else:
        assert response.status_code != 418, response.get_data(True)
    assert fault_rules(client)[0]["applied"] == (1 if matches else 0)


def test_array_fault_does_not_apply_to_calls_without_a_session(client, api):
    add_fault(client, array="alpha", status=503)
    ok(client.get(f"{PREFIX}/info", headers={"Accept": "application/json"}))


@pytest.mark.parametrize(
    "call",
    [
        "take snapshot",
        "snapshot action",
        "delete volume",
        "delete snapshot",
        "clone",
        "create host",
    ],
)
def test_a_faulted_write_changes_nothing(client, api, ref, database, call):
    calls = {
        "take snapshot": ("POST", f"/server/0/volume/{ref['vol2']}/snapshot", {"name": "x"}),
        "snapshot action": (
            "POST",
            f"/server/0/volume/{ref['vol2']}?action=createSnapshot",
            {"name": "x"},
        ),
        "delete volume": ("DELETE", f"/server/0/volume/{ref['clone']}", None),
        "delete snapshot": (
            "DELETE",
            f"/server/0/volume/{ref['vol1']}/snapshot/{ref['snap1']}",
            None,
        ),
        "clone": (
            "POST",
            f"/server/0/volume/{ref['vol1']}?action=clone",
            {"name": "c9", "snapshot": {"id": ref["snap2"]}},
        ),
        "create host": ("POST", "/server/0/host", {"name": "h9"}),
    }
    method, path, body = calls[call]
    before = state(api)
    contents = fingerprints(database)
    rule = add_fault(client, method=method, status=500, message="injected", times=1)
    response = api.client.open(PREFIX + path, method=method, headers=api.headers, json=body)
    assert_error(response, 500, "injected", sentence=False)
    assert state(api) == before
    assert fingerprints(database) == contents
    [entry] = journal(client, status=500)
    assert entry["faultId"] == rule["id"] and entry["array"] == "alpha"
    # The rule is spent: the same call now does what it says.
    response = api.client.open(PREFIX + path, method=method, headers=api.headers, json=body)
    assert response.status_code < 300, response.get_data(True)
    assert state(api) != before


def test_first_added_rule_wins(client, api):
    first = add_fault(client, path="/storage", status=502, message="first", times=1)
    add_fault(client, path="/storage", status=503, message="second")
    assert_error(api.get("/storage"), 502, "first", sentence=False)
    assert_error(api.get("/storage"), 503, "second", sentence=False)
    assert fault_rules(client)[0]["id"] == first["id"]


def test_list_remove_and_clear(client, api):
    rules = [
        add_fault(client, path="/storage", status=503),
        add_fault(client, method="GET", path="/server/0/pool", delayMs=10, delayMaxMs=20, times=3),
        add_fault(client, action="Create-Snapshot", array="alpha", status=409, probability=0.25),
    ]
    listed_rules = fault_rules(client)
    assert listed_rules == rules
    assert rules[1]["method"] == "GET"
    assert (rules[1]["delayMs"], rules[1]["delayMaxMs"], rules[1]["remaining"]) == (10, 20, 3)
    assert rules[2]["action"] == "createsnapshot" and rules[2]["probability"] == 0.25
    assert set(rules[0]) == {
        "id",
        "method",
        "path",
        "action",
        "array",
        "status",
        "message",
        "delayMs",
        "delayMaxMs",
        "remaining",
        "probability",
        "applied",
        "createdTime",
    }

    ok(control(client, "DELETE", f"/faults/{rules[0]['id']}"), 204)
    assert fault_rules(client) == rules[1:]
    ok(api.get("/storage"))
    assert_error(control(client, "DELETE", f"/faults/{rules[0]['id']}"), 404)
    assert_error(control(client, "DELETE", "/faults/not-a-number"), 404)

    assert ok(control(client, "DELETE", "/faults")) == {"removed": 2}
    assert fault_rules(client) == []
    assert ok(control(client, "DELETE", "/faults")) == {"removed": 0}


INVALID_RULES = {
    "no effect": ({"path": "/storage"}, "status"),
    "status 200": ({"status": 200}, "status"),
    "status 600": ({"status": 600}, "status"),
    "status as text": ({"status": "busy"}, "status"),
    "max below min": ({"delayMs": 200, "delayMaxMs": 100}, "delayMs"),
    "negative delay": ({"delayMs": -1}, "delayMs"),
    "times zero": ({"status": 503, "times": 0}, "times"),
    "probability zero": ({"status": 503, "probability": 0}, "probability"),
    "probability above one": ({"status": 503, "probability": 1.5}, "probability"),
    "unknown method": ({"status": 503, "method": "PATCH"}, "method"),
    "path without its leading slash": ({"status": 503, "path": "server/*/volume"}, "path"),
    "path with the API prefix": ({"status": 503, "path": "/storageplugin/api/storage"}, "path"),
    "delay beyond the worker timeout": ({"delayMs": 56_000}, "delayMs"),
    "delay range beyond the worker timeout": ({"delayMs": 1, "delayMaxMs": 60_000}, "delayMaxMs"),
}


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        ({"path": "server/*"}, "path", ("'server/*' never matches", "'/server/*'")),
        ({"path": "storage"}, "path", ("'/storage'",)),
        ({"path": "/storageplugin/api/server/*"}, "path", ("'/server/*'",)),
        ({"path": "/storage", "delay_ms": (0, 55_001)}, "delayMaxMs", ("55001 ms", "60 s")),
        ({"path": "/storage", "delay_ms": (60_000, 60_000)}, "delayMs", ("60000 ms",)),
    ],
)
def test_fault_rules_that_could_never_apply_are_refused(database, rule, field, words):
    with pytest.raises(Invalid) as refused, database.transaction() as session:
        lab_faults.add_rule(session, status=(rule.get("delay_ms") is None and 503) or None, **rule)
    assert set(refused.value.fields) == {field}
    for word in words:
        assert word in refused.value.message
    with database.transaction() as session:
        assert lab_faults.list_rules(session) == []
        for path in ("/server/*", "*", "*/volume", "/storage"):
            lab_faults.add_rule(session, path=path, status=503, delay_ms=(0, 55_000))
        assert len(lab_faults.list_rules(session)) == 4


def test_a_path_without_its_slash_is_refused_saying_how_to_write_it(client, api):
    body = assert_error(
        control(client, "POST", "/faults", {"status": 503, "path": "server/*"}),
        400,
        "'server/*'",
        "'/server/*'",
    )
    assert set(body["errors"]) == {"path"}
    # A glob that starts with '*' matches paths: accepted, and applied.
    add_fault(client, status=503, path="*/pool", times=1)
    assert_error(api.get("/server/0/pool"), 503, sentence=False)


def test_the_longest_delay_is_below_the_worker_timeout(client, api):
    longest = lab_faults.MAX_FAULT_DELAY_MS
    assert longest < gunicorn_settings(config_from_env())["timeout"] * 1000
    body = assert_error(
        control(client, "POST", "/faults", {"delayMs": longest + 1}),
        400,
        f"{longest} ms",
        "60 s",
    )
    assert set(body["errors"]) == {"delayMs"}
    assert add_fault(client, delayMs=longest, status=503)["delayMs"] == longest


def test_a_delay_is_skipped_when_the_workers_delay_threads_all_sleep(
    client, api, monkeypatch, caplog
):
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(plugin_hooks, "_delay_slots", slots)
    rule = add_fault(client, path="/storage", delayMs=5000, status=503)
    assert slots.acquire(blocking=False)  # another call sleeps in the one slot
    started = time.perf_counter()
    assert_error(api.get("/storage"), 503, sentence=False)  # the status all the same
    assert time.perf_counter() - started < 2
    assert f"fault rule {rule['id']}: delay of 5000 ms skipped" in caplog.text
    slots.release()


@pytest.mark.parametrize("case", INVALID_RULES)
def test_invalid_rule_is_400_naming_the_field_and_adds_nothing(client, api, case):
    rule, field = INVALID_RULES[case]
    # The field is in ``errors``; the message may explain it without its name
    # ("The delay range is backwards"), so ``field=`` of ``refused`` is too strict.
    body = assert_error(control(client, "POST", "/faults", rule), 400)
    assert field in body.get("errors", {}), body
    assert fault_rules(client) == []
    ok(api.get("/storage"))


# -- the clock ----------------------------------------------------------------------------------


def advance(client, by) -> dict:
    return ok(control(client, "POST", "/clock/advance", {"by": by}))


def split(api: Api, volume_id: str) -> dict:
    return ok(api.post(f"/server/0/volume/{volume_id}?action=split"))


def test_clock_starts_at_real_time(client, frozen):
    assert clock_state(client) == {"now": frozen.ms, "offsetMs": 0, "speed": 1.0, "instant": False}


@pytest.mark.parametrize(
    ("by", "ms"),
    [
        ("1h", HOUR_MS),
        ("90s", 90_000),
        ("15m", 900_000),
        ("2d", 2 * 86_400_000),
        ("2500ms", 2500),
        (2500, 2500),
    ],
)
def test_advance_moves_simulated_now(client, frozen, by, ms):
    assert advance(client, by) == {
        "now": frozen.ms + ms,
        "offsetMs": ms,
        "speed": 1.0,
        "instant": False,
    }
    assert advance(client, "1s")["offsetMs"] == ms + 1000


@pytest.mark.parametrize("by", ["soon", "-1h", -5, "", None, True])
def test_invalid_advance_is_400_and_moves_nothing(client, by):
    assert_error(control(client, "POST", "/clock/advance", {"by": by}), 400, field="by")
    assert clock_state(client)["offsetMs"] == 0


def test_advance_without_by_is_400(client):
    assert_error(control(client, "POST", "/clock/advance", {}), 400, field="by")


@pytest.mark.parametrize("what", ["snapshot", "clone"])
def test_new_objects_are_created_at_simulated_time(client, api, ref, what):
    advance(client, "1h")
    if what == "snapshot":
        created = take_snapshot(api, ref["vol2"], "later")
    else:
        created = ok(
            api.post(
                f"/server/0/volume/{ref['vol1']}?action=clone",
                json={"name": "later", "snapshot": {"id": ref["snap2"]}},
            )
        )
    assert abs(created["creationTime"] - (wall_ms() + HOUR_MS)) < 60_000, created
    assert created["creationTime"] - wall_ms() > HOUR_MS - 60_000


def test_a_split_progresses_as_the_clock_advances(app, client, api, ref, frozen):
    app.config["SPLIT_RATE"] = GiB  # the clone's 10 GiB take 10 s
    assert split(api, ref["clone"]) == {"percentageComplete": 0, "complete": False}
    advance(client, "2500ms")
    assert split_status(api, ref["clone"]) == {"percentageComplete": 25, "complete": False}
    assert_error(api.delete(f"/server/0/volume/{ref['vol1']}/snapshot/{ref['snap2']}"), 409)
    advance(client, 7499)
    assert split_status(api, ref["clone"]) == {"percentageComplete": 99, "complete": False}
    advance(client, 1)
    assert split_status(api, ref["clone"]) == {"percentageComplete": 100, "complete": True}
    ok(api.delete(f"/server/0/volume/{ref['vol1']}/snapshot/{ref['snap2']}"), 204)


@pytest.mark.parametrize(
    ("speed", "after_ms", "percentage"),
    [(1, 500, 5), (10, 500, 50), (4, 2000, 80), (0.5, 4000, 20), (10, 1000, 100)],
)
def test_speed_makes_new_splits_finish_sooner(
    app, client, api, ref, frozen, speed, after_ms, percentage
):
    app.config["SPLIT_RATE"] = GiB
    configured = ok(control(client, "PUT", "/clock", {"speed": speed}))
    assert configured["speed"] == speed and configured["offsetMs"] == 0
    split(api, ref["clone"])
    advance(client, after_ms)
    assert split_status(api, ref["clone"]) == {
        "percentageComplete": percentage,
        "complete": percentage == 100,
    }


def test_speed_applies_to_splits_started_after_it_only(app, client, api, ref, frozen):
    app.config["SPLIT_RATE"] = GiB
    split(api, ref["clone"])
    ok(control(client, "PUT", "/clock", {"speed": 10}))
    advance(client, 1000)
    assert split_status(api, ref["clone"]) == {"percentageComplete": 10, "complete": False}


def test_instant_makes_new_splits_complete_at_once(app, client, api, ref, frozen):
    app.config["SPLIT_RATE"] = 1  # would take centuries
    assert ok(control(client, "PUT", "/clock", {"instant": True}))["instant"] is True
    assert split(api, ref["clone"]) == {"percentageComplete": 100, "complete": True}
    ok(api.delete(f"/server/0/volume/{ref['vol1']}/snapshot/{ref['snap2']}"), 204)
    # Off again: a new split runs its time.
    ok(control(client, "PUT", "/clock", {"instant": False}))
    clone = ok(
        api.post(
            f"/server/0/volume/{ref['vol1']}?action=clone",
            json={"name": "c2", "snapshot": {"id": ref["snap1"]}},
        )
    )
    assert split(api, clone["id"]) == {"percentageComplete": 0, "complete": False}


def test_finish_completes_running_splits(app, client, api, ref, frozen):
    app.config["SPLIT_RATE"] = 1024  # 10 GiB would take about four months
    split(api, ref["clone"])
    assert ok(control(client, "POST", "/clock/finish")) == {"finished": 1}
    assert split_status(api, ref["clone"]) == {"percentageComplete": 100, "complete": True}
    ok(api.delete(f"/server/0/volume/{ref['vol1']}/snapshot/{ref['snap2']}"), 204)
    assert ok(control(client, "POST", "/clock/finish")) == {"finished": 0}


def test_clock_reset_goes_back_to_normal_speed_and_keeps_the_time(client, frozen):
    advance(client, "3h")
    ok(control(client, "PUT", "/clock", {"speed": 5, "instant": True}))
    assert ok(control(client, "POST", "/clock/reset")) == {
        "now": frozen.ms + 3 * HOUR_MS,
        "offsetMs": 3 * HOUR_MS,
        "speed": 1.0,
        "instant": False,
    }
    assert clock_state(client)["offsetMs"] == 3 * HOUR_MS


@pytest.mark.parametrize(
    "body", [{"speed": 0}, {"speed": -2}, {"speed": "fast"}, {"instant": "maybe"}]
)
def test_invalid_clock_settings_are_400(client, body):
    assert_error(control(client, "PUT", "/clock", body), 400, field=next(iter(body)))
    assert clock_state(client)["speed"] == 1.0


# -- the journal --------------------------------------------------------------------------------


def test_every_plugin_call_is_journaled(client, api, ref):
    clear = ok(control(client, "DELETE", "/journal"))
    assert clear["removed"] >= 1  # the login
    tag = sessions.token_tag(api.session_id)
    started = wall_ms()
    ok(api.get("/server/0/volume"))
    take = api.post(f"/server/0/volume/{ref['vol2']}?action=create-Snapshot", json={"name": "j"})
    ok(take, 201)
    assert_error(api.get("/server/0/volume/999999"), 404)
    assert_error(client.get(f"{PREFIX}/storage", headers={"Accept": "application/json"}), 401)
    finished = wall_ms()

    entries = journal(client)
    assert [(e["method"], e["path"], e["action"], e["status"]) for e in entries] == [
        ("GET", "/server/0/volume", None, 200),
        ("POST", f"/server/0/volume/{ref['vol2']}", "createsnapshot", 201),
        ("GET", "/server/0/volume/999999", None, 404),
        ("GET", "/storage", None, 401),
    ]
    for entry in entries[:3]:
        assert entry["array"] == "alpha" and entry["session"] == tag
        assert api.session_id not in str(entry)
    assert entries[3]["array"] is None and entries[3]["session"] is None
    for entry in entries:
        assert set(entry) == JOURNAL_ENTRY_KEYS
        assert started - 1000 <= entry["time"] <= finished + 1000
        assert isinstance(entry["durationMs"], float | int) and entry["durationMs"] >= 0
        assert entry["faultId"] is None
    assert entries[1]["body"] is not None and '"j"' in entries[1]["body"]
    assert entries[0]["body"] is None
    ids_ = [int(e["id"]) for e in entries]
    assert ids_ == sorted(ids_)


def test_control_calls_are_not_journaled(client, api):
    ok(control(client, "DELETE", "/journal"))
    ok(control(client, "GET", "/faults"))
    ok(control(client, "GET", "/clock"))
    assert journal(client) == []


@pytest.mark.parametrize("password", [PASSWORD, "wrong"], ids=["right", "wrong"])
def test_credentials_in_a_session_body_are_redacted(client, lab, password):
    lab.standard()
    response = client.post(
        f"{PREFIX}/session",
        json={"hostname": "alpha.lab.test", "username": "admin", "password": password},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == (201 if password == PASSWORD else 401)
    [entry] = journal(client, path="/session")
    assert password not in entry["body"]
    assert '"***"' in entry["body"]
    assert "alpha.lab.test" in entry["body"] and "admin" in entry["body"]
    assert entry["array"] == ("alpha" if password == PASSWORD else None)
    # The session id answered is not in the journal either.
    if password == PASSWORD:
        assert response.get_json()["sessionId"] not in str(journal(client))


# Bodies that carry credentials without being a valid session request:
# (body, content type, status answered, the secret that must not be kept).
RAW_BODIES = {
    "nested keys": (
        '{"hostname": "alpha.lab.test", "username": "admin", "password": "secret",'
        ' "options": {"apiToken": "tok-4711", "clientSecret": "cs-4711"}}',
        "application/json",
        201,
        ("tok-4711", "cs-4711"),
    ),
    "malformed json": (
        '{"hostname": "alpha.lab.test", "username": "admin", "password": "pw-4711"',
        "application/json",
        400,
        ("pw-4711",),
    ),
    "a key spelt with a JSON escape": (
        '{"hostname": "alpha.lab.test", "username": "admin", "p\\u0061ssword": "pw-4713"}',
        "application/json",
        401,
        ("pw-4713",),
    ),
    "form body": (
        "hostname=alpha.lab.test&username=admin&password=pw-4712",
        "application/x-www-form-urlencoded",
        415,
        ("pw-4712",),
    ),
}


@pytest.mark.parametrize("case", RAW_BODIES)
def test_credentials_are_redacted_whatever_the_body(client, lab, case):
    lab.standard()
    body, content_type, status, secrets_ = RAW_BODIES[case]
    response = client.post(
        f"{PREFIX}/session",
        data=body,
        content_type=content_type,
        headers={"Accept": "application/json"},
    )
    assert response.status_code == status, response.get_data(True)
    [entry] = journal(client, path="/session")
    assert entry["status"] == status
    for secret in secrets_:
        assert secret not in (entry["body"] or ""), entry


def test_a_reset_with_the_clock_advanced_seeds_ages_from_simulated_now(client, api, ref, frozen):
    """Fixture ages count back from the seed; a reset seeds at simulated now."""
    advance(client, "10d")
    ok(control(client, "POST", "/reset", {}))
    again = Api.login(client, "alpha.lab.test")
    vol1 = ids(again, "/server/0/volume", "volumes")["vol1"]
    snaps = {
        s["name"]: s["creationTime"]
        for s in listed(again, f"/server/0/volume/{vol1}/snapshot", "snapshots")
    }
    simulated_now = clock_state(client)["now"]
    assert abs(snaps["vol1.snap2"] - (simulated_now - 86_400_000)) < 60_000, snaps
    # ... so that a snapshot taken now is the newest by a day, not by eleven.
    taken = take_snapshot(again, vol1, "now")
    assert abs(taken["creationTime"] - snaps["vol1.snap2"] - 86_400_000) < 60_000


@pytest.fixture
def journaled(client, api, ref) -> dict:
    """A journal of known calls: three on alpha, two on beta, one at +1 h."""
    beta = Api.login(client, "beta.lab.test")
    ok(control(client, "DELETE", "/journal"))
    ok(api.get("/server/0/volume"))
    ok(api.post(f"/server/0/volume/{ref['vol2']}?action=createSnapshot", json={"name": "j1"}), 201)
    assert_error(api.get("/server/0/volume/999999"), 404)
    ok(beta.get("/server/0/pool"))
    assert_error(beta.get("/server/0/volume/999999"), 404)
    early = journal(client)
    advance(client, "1h")
    ok(api.get("/server/0/host"))
    late = journal(client)[-1]
    return {"early": early, "late": late, "all": [*early, late]}


FILTERS = {
    "path glob": ({"path": "/server/*/volume*"}, [0, 1, 2, 4]),
    "path exact": ({"path": "/server/0/pool"}, [3]),
    "path glob middle": ({"path": "/server/0/*/999999"}, [2, 4]),
    "method": ({"method": "post"}, [1]),
    "action": ({"action": "create_snapshot"}, [1]),
    "status": ({"status": 404}, [2, 4]),
    "array": ({"array": "beta"}, [3, 4]),
    "array and status": ({"array": "alpha", "status": 404}, [2]),
    "nothing": ({"array": "gamma"}, []),
}


@pytest.mark.parametrize("case", FILTERS)
def test_journal_filters_and_count(client, journaled, case):
    query, expected = FILTERS[case]
    wanted = [journaled["all"][i]["id"] for i in expected]
    assert [e["id"] for e in journal(client, **query)] == wanted
    assert journal_count(client, **query) == len(wanted)


def test_journal_since_and_until(client, journaled):
    late = journaled["late"]
    early = journaled["early"]
    assert late["time"] - early[-1]["time"] >= HOUR_MS - 1000
    since = late["time"] - 60_000
    assert [e["id"] for e in journal(client, since=since)] == [late["id"]]
    assert journal_count(client, since=since) == 1
    until = early[-1]["time"] + 60_000
    assert [e["id"] for e in journal(client, until=until)] == [e["id"] for e in early]
    assert journal(client, since=early[0]["time"], until=early[0]["time"] - 1) == []


def test_journal_pagination_and_after(client, journaled):
    everything = journaled["all"]
    response = control(client, "GET", "/journal", query_string={"limit": 2, "start": 1})
    assert [e["id"] for e in ok(response)["entries"]] == [e["id"] for e in everything[1:3]]
    assert response.headers["X-Total-Count"] == str(len(everything))
    filtered = control(client, "GET", "/journal", query_string={"status": 404, "limit": 1})
    assert len(ok(filtered)["entries"]) == 1
    assert filtered.headers["X-Total-Count"] == "2"
    after = journal(client, after=everything[3]["id"])
    assert [e["id"] for e in after] == [e["id"] for e in everything[4:]]


def test_journal_count_and_clear(client, journaled):
    assert journal_count(client) == len(journaled["all"])
    assert ok(control(client, "DELETE", "/journal")) == {"removed": len(journaled["all"])}
    assert journal_count(client) == 0
    assert journal(client) == []


@pytest.mark.parametrize("query", [{"since": "yesterday"}, {"status": "bad"}, {"limit": -1}])
def test_invalid_journal_query_is_400(client, query):
    assert_error(control(client, "GET", "/journal", query_string=query), 400)


def test_a_faulted_call_is_journaled_with_its_rule(client, api):
    rule = add_fault(client, path="/storage", status=503)
    ok(control(client, "DELETE", "/journal"))
    assert_error(api.get("/storage"), 503)
    [entry] = journal(client)
    assert entry["status"] == 503 and entry["faultId"] == rule["id"]
    assert entry["array"] == "alpha" and entry["session"] == sessions.token_tag(api.session_id)


def test_journal_keeps_only_the_newest_entries(migrated, tmp_path, lab, database):
    """``JOURNAL_SIZE`` bounds it; trimming runs every hundred entries, so at most
    ``JOURNAL_SIZE + 100`` remain, always the newest."""
    small = create_app(
        {
            "DATABASE_URL": migrated,
            "DATA_DIR": str(tmp_path / "small"),
            "TESTING": True,
            "JOURNAL_SIZE": 5,
        }
    )
    try:
        client = small.test_client()
        calls = 150
        for number in range(calls):
            response = client.get(
                f"{PREFIX}/info?n={number}", headers={"Accept": "application/json"}
            )
            assert response.status_code == 200
        entries = journal(client, limit=1000)
        kept = [int(e["id"]) for e in entries]
        assert 5 <= len(kept) <= 5 + 100, len(kept)
        assert kept == list(range(kept[0], kept[0] + len(kept)))  # the newest, in a row
        assert journal_count(client) == len(kept)
        assert len(kept) < calls  # the oldest went
        # The last call is kept.
        newest = client.get(f"{PREFIX}/info", headers={"Accept": "application/json"})
        assert newest.status_code == 200
        assert int(journal(client, limit=1000)[-1]["id"]) == kept[-1] + 1
    finally:
        small.extensions["mockarray.db"].dispose()


# -- host writes --------------------------------------------------------------------------------


def write(client, volume_id: str, body: dict, array: str = "alpha", server: str = "0"):
    return control(
        client, "POST", f"/arrays/{array}/servers/{server}/volumes/{volume_id}/writes", body
    )


def system(api: Api) -> dict:
    return ok(api.get("/server/0/system"))


def volume(api: Api, volume_id: str) -> dict:
    return ok(api.get(f"/server/0/volume/{volume_id}"))


def test_appending_grows_the_used_size_and_takes_pool_space(client, api, ref, database):
    before_volume = volume(api, ref["vol1"])
    free = free_space(api)
    snapshots_size = system(api)["snapshotsSizeInBytes"]
    content = fingerprint(database, ref["vol1"])

    written = ok(write(client, ref["vol1"], {"bytes": "1GiB", "append": True}))

    assert written == {
        "volumeId": ref["vol1"],
        "name": "vol1",
        "size": 100 * GiB,
        "usedSize": 11 * GiB,
        "autoDeleted": [],
    }
    assert volume(api, ref["vol1"])["stats"] == {"size": 100 * GiB, "usedSize": 11 * GiB}
    assert before_volume["stats"]["usedSize"] == 10 * GiB
    assert free_space(api) == {**free, "pool1": free["pool1"] - GiB}
    assert system(api)["snapshotsSizeInBytes"] == snapshots_size  # new data: no snapshot holds it
    assert fingerprint(database, ref["vol1"]) != content


def test_overwriting_makes_the_newest_snapshot_hold_the_old_data(client, api, ref, database):
    snapshot = take_snapshot(api, ref["vol1"], "before-write")
    old_content = fingerprint(database, ref["vol1"])
    free = free_space(api)
    snapshots_size = system(api)["snapshotsSizeInBytes"]
    older_used = snapshot_used(database, ref["snap2"])

    written = ok(write(client, ref["vol1"], {"bytes": 2 * GiB}))

    assert written["usedSize"] == 10 * GiB  # overwritten, not grown
    assert snapshot_used(database, snapshot["id"]) == 2 * GiB
    assert snapshot_used(database, ref["snap2"]) == older_used  # only the newest
    assert system(api)["snapshotsSizeInBytes"] == snapshots_size + 2 * GiB
    assert free_space(api) == {**free, "pool1": free["pool1"] - 2 * GiB}
    new_content = fingerprint(database, ref["vol1"])
    assert new_content != old_content

    # A second write changes the content again.
    ok(write(client, ref["vol1"], {"bytes": "1MiB"}))
    assert fingerprint(database, ref["vol1"]) not in (old_content, new_content)

    # Restoring the snapshot brings the old content (and the space) back.
    restored = api.post(
        f"/server/0/volume/{ref['vol1']}?action=restore", json={"snapshotId": snapshot["id"]}
    )
    ok(restored)
    assert fingerprint(database, ref["vol1"]) == old_content
    assert volume(api, ref["vol1"])["stats"]["usedSize"] == 10 * GiB
    assert system(api)["snapshotsSizeInBytes"] == snapshots_size
    assert free_space(api) == free


def test_a_clone_restored_from_a_snapshot_has_its_content(client, api, ref, database):
    snapshot = take_snapshot(api, ref["vol1"], "gold")
    gold = fingerprint(database, ref["vol1"])
    ok(write(client, ref["vol1"], {"bytes": "5GiB"}))
    clone = ok(
        api.post(
            f"/server/0/volume/{ref['vol1']}?action=clone",
            json={"name": "gold-copy", "snapshot": {"id": snapshot["id"]}},
        )
    )
    assert fingerprint(database, clone["id"]) == gold
    assert fingerprint(database, ref["vol1"]) != gold


def test_a_write_to_an_unsplit_clone_takes_space_for_what_it_no_longer_shares(client, api, ref):
    # A clone's LUN starts offline: a host writes once it is online.
    [lun] = [lun for lun in listed(api, "/server/0/lun", "luns") if lun["volumeId"] == ref["clone"]]
    assert api.post(f"/server/0/lun/{lun['id']}?action=online").status_code == 200
    free = free_space(api)
    ok(write(client, ref["clone"], {"bytes": "4GiB"}))
    assert free_space(api) == {**free, "pool1": free["pool1"] - 4 * GiB}
    assert volume(api, ref["clone"])["stats"]["usedSize"] == 10 * GiB


def test_appending_to_a_thick_volume_takes_no_more_pool_space(client, api, ref):
    free = free_space(api)
    written = ok(write(client, ref["vol2"], {"bytes": "1GiB", "append": True}))
    assert written["usedSize"] == 6 * GiB
    assert free_space(api) == free  # a thick volume's space is taken in full already


WRITE_REFUSED = {
    "too big for the volume (append)": (
        "alpha",
        "0",
        "vol1",
        {"bytes": "91GiB", "append": True},
        409,
    ),
    "too big for the volume (overwrite)": ("alpha", "0", "vol1", {"bytes": "101GiB"}, 409),
    "unknown array": ("nope", "0", "vol1", {"bytes": "1GiB"}, 404),
    "unknown server": ("alpha", "9", "vol1", {"bytes": "1GiB"}, 404),
    "unknown volume": ("alpha", "0", "999999", {"bytes": "1GiB"}, 404),
    "volume id not a number": ("alpha", "0", "vol-x", {"bytes": "1GiB"}, 404),
    "volume of another array": ("beta", "0", "vol1", {"bytes": "1GiB"}, 404),
    "size not understood": ("alpha", "0", "vol1", {"bytes": "lots"}, 400),
    "negative size": ("alpha", "0", "vol1", {"bytes": -1}, 400),
    "no size": ("alpha", "0", "vol1", {}, 400),
}


@pytest.mark.parametrize("case", WRITE_REFUSED)
def test_refused_write_changes_nothing(client, api, ref, database, case):
    array, server, volume_name, body, status = WRITE_REFUSED[case]
    before = state(api)
    contents = fingerprints(database)
    volume_id = ref.get(volume_name, volume_name)
    assert_error(write(client, volume_id, body, array=array, server=server), status)
    assert state(api) == before
    assert fingerprints(database) == contents


def test_a_write_the_pool_cannot_hold_is_507_and_changes_nothing(client, lab, database):
    lab.seed(
        array_doc(
            "tiny",
            3,
            servers=[
                {
                    "pools": [{"name": "small", "capacity": "2GiB"}],
                    "volumes": [{"name": "thin", "size": "100GiB", "used": "1GiB"}],
                }
            ],
        )
    )
    api = Api.login(client, "tiny.lab.test")
    thin = ids(api, "/server/0/volume", "volumes")["thin"]
    before = state(api)
    contents = fingerprints(database)
    assert_error(write(client, thin, {"bytes": "5GiB", "append": True}, array="tiny"), 507)
    assert state(api) == before
    assert fingerprints(database) == contents


def test_a_write_names_the_volume_by_name_or_by_id(client, api, ref):
    by_name = ok(write(client, "vol1", {"bytes": "1GiB", "append": True}))
    assert (by_name["volumeId"], by_name["usedSize"]) == (ref["vol1"], 11 * GiB)
    by_id = ok(write(client, ref["vol1"], {"bytes": "1GiB", "append": True}))
    assert (by_id["volumeId"], by_id["usedSize"]) == (ref["vol1"], 12 * GiB)
