"""Black-box tests of the calls that take, delete and query volume snapshots.

``POST …/volume/{vid}/snapshot`` (and its alias ``?action=createSnapshot``)
answers ``201`` with a ``Location`` and the guide's four keys; a retry with
the same name and parameters is the same snapshot, other parameters ``409``
(docs/array-rules.md, "Retries"). ``DELETE …/snapshot/{snid}`` answers ``204``
without a body, and ``409`` naming the clone while an unsplit clone depends on
the snapshot. ``?action=get-Progress`` of a snapshot that was never replicated
is ``404`` with a message that says so. Every refused call changes nothing.
The lab is ``tests.support.lab.standard_server`` (array ``alpha``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from mockarray.array.clock import wall_ms
from tests.support.api import PREFIX, Api
from tests.support.checks import assert_error, free_space, listed, ok, unchanged

GiB = 2**30
TiB = 2**40

SNAPSHOT_CREATED_KEYS = {"id", "name", "creationTime", "config"}


# -- helpers ----------------------------------------------------------------------------


def snapshots_of(api: Api, volume_id: str) -> list[dict]:
    return listed(api, f"/server/0/volume/{volume_id}/snapshot", "snapshots")


def snapshot_path(volume_id: str, snapshot_id: str | None = None) -> str:
    path = f"/server/0/volume/{volume_id}/snapshot"
    return path if snapshot_id is None else f"{path}/{snapshot_id}"


# The two ways to take a snapshot: the guide's POST …/snapshot and its own
# example in "Actions", ?action=createSnapshot (README item 8).
def take_by_post(api: Api, volume_id: str, body):
    return api.post(snapshot_path(volume_id), json=body)


def take_by_action(api: Api, volume_id: str, body):
    return api.post(f"/server/0/volume/{volume_id}?action=createSnapshot", json=body)


TAKE = {"post": take_by_post, "action": take_by_action}


def check_created(api: Api, response, volume_id: str, name: str) -> dict:
    """A ``201`` with the guide's keys and a ``Location`` that reads the snapshot back."""
    body = ok(response, 201)
    assert set(body) == SNAPSHOT_CREATED_KEYS, body
    assert isinstance(body["id"], str) and body["id"], body
    assert body["name"] == name
    assert type(body["creationTime"]) is int
    assert abs(wall_ms() - body["creationTime"]) < 60_000, body  # milliseconds, now
    assert body["config"] == {"groundCloneRequired": False}
    location = response.headers.get("Location")
    assert location, "201 without a Location header"
    path = urlsplit(location).path
    assert path == f"{PREFIX}{snapshot_path(volume_id, body['id'])}", location
    read = ok(api.get(path.removeprefix(PREFIX)))
    assert {key: read[key] for key in SNAPSHOT_CREATED_KEYS} == body
    assert read["consistencyGroupSnapshotId"] is None
    return body


# -- taking a snapshot ---------------------------------------------------------------------


@pytest.mark.parametrize("how", TAKE)
def test_take_snapshot_answers_201_with_location_and_the_guides_keys(api, ref, how):
    before = snapshots_of(api, ref["vol1"])
    free_before = free_space(api)
    body = check_created(
        api, TAKE[how](api, ref["vol1"], {"name": "backup.1"}), ref["vol1"], "backup.1"
    )
    after = snapshots_of(api, ref["vol1"])
    # Listed last (the newest), the others untouched.
    assert after[:-1] == before
    assert after[-1]["id"] == body["id"] and after[-1]["name"] == "backup.1"
    assert body["id"] not in {s["id"] for s in before}
    # A new snapshot holds nothing of its own (docs/array-rules.md, "Space").
    assert free_space(api) == free_before


@pytest.mark.parametrize(
    "action", ["createSnapshot", "createsnapshot", "create_snapshot", "CREATE-SNAPSHOT"]
)
def test_create_snapshot_action_is_matched_ignoring_case_dash_and_underscore(api, ref, action):
    response = api.post(f"/server/0/volume/{ref['vol2']}?action={action}", json={"name": "nightly"})
    body = check_created(api, response, ref["vol2"], "nightly")
    assert [s["id"] for s in snapshots_of(api, ref["vol2"])][-1] == body["id"]


def test_snapshot_taken_with_every_field(api, ref):
    request = {"name": "full", "poolId": ref["pool2"], "replicate": True, "isAutoDelete": True}
    body = check_created(api, take_by_post(api, ref["vol1"], request), ref["vol1"], "full")
    assert body["name"] == "full"


@pytest.mark.parametrize(
    "request_body",
    [
        {"name": "retry.1"},
        {"name": "retry.2", "poolId": "{pool2}", "replicate": True, "isAutoDelete": True},
        # Liberal input: numeric id, and "true" for a boolean (README item 3).
        {"name": "retry.3", "replicate": "true"},
    ],
    ids=["defaults", "every-field", "string-boolean"],
)
def test_retry_with_the_same_name_and_parameters_is_the_same_snapshot(api, ref, request_body):
    request_body = {
        k: v.format(**ref) if isinstance(v, str) else v for k, v in request_body.items()
    }
    count = len(snapshots_of(api, ref["vol1"]))
    first = check_created(
        api, take_by_post(api, ref["vol1"], request_body), ref["vol1"], request_body["name"]
    )
    # CDM retries after a timeout, by either route.
    again = ok(take_by_post(api, ref["vol1"], request_body), 201)
    by_action = ok(take_by_action(api, ref["vol1"], request_body), 201)
    assert again == first
    assert by_action == first
    assert len(snapshots_of(api, ref["vol1"])) == count + 1


@pytest.mark.parametrize(
    "change",
    [{"poolId": "{pool2}"}, {"replicate": True}, {"isAutoDelete": True}],
    ids=["poolId", "replicate", "isAutoDelete"],
)
def test_same_name_with_other_parameters_is_409(api, ref, change):
    change = {k: v.format(**ref) if isinstance(v, str) else v for k, v in change.items()}
    first = ok(take_by_post(api, ref["vol1"], {"name": "taken"}), 201)
    with unchanged(api):
        body = assert_error(
            take_by_post(api, ref["vol1"], {"name": "taken", **change}), 409, "taken"
        )
    assert first["id"] in body["message"]


def test_snapshot_names_are_unique_per_volume_only(api, ref):
    on_vol1 = ok(take_by_post(api, ref["vol1"], {"name": "shared-name"}), 201)
    on_vol2 = ok(take_by_post(api, ref["vol2"], {"name": "shared-name"}), 201)
    assert on_vol1["id"] != on_vol2["id"]
    assert "shared-name" in {s["name"] for s in snapshots_of(api, ref["vol2"])}


@pytest.mark.parametrize("pool_id", ["987654", "abc", "-1"])
def test_unknown_pool_is_404(api, ref, pool_id):
    with unchanged(api):
        assert_error(take_by_post(api, ref["vol1"], {"name": "s", "poolId": pool_id}), 404, pool_id)


def test_pool_of_another_array_is_404(api, ref, client):
    beta = Api.login(client, "beta.lab.test")
    beta_pool = beta.ids("/server/0/pool", "pools")["pool1"]
    with unchanged(api):
        assert_error(
            take_by_post(api, ref["vol1"], {"name": "s", "poolId": beta_pool}), 404, "poolId"
        )


@pytest.mark.parametrize("volume_id", ["987654", "abc"])
def test_snapshot_of_an_unknown_volume_is_404(api, volume_id):
    with unchanged(api):
        assert_error(take_by_post(api, volume_id, {"name": "s"}), 404)
        assert_error(take_by_action(api, volume_id, {"name": "s"}), 404)


# Invalid bodies: the request body and the field the 400 must name.
INVALID_BODIES = {
    "missing-name": ({}, "name"),
    "empty-name": ({"name": ""}, "name"),
    "blank-name": ({"name": "   "}, "name"),
    "nul-in-name": ({"name": "snap\x00shot"}, "name"),
    "newline-in-name": ({"name": "snap\nshot"}, "name"),
    "name-too-long": ({"name": "s" * 256}, "name"),
    "name-not-a-string": ({"name": 5}, "name"),
    "replicate-not-boolean": ({"name": "s", "replicate": "maybe"}, "replicate"),
    "isAutoDelete-not-boolean": ({"name": "s", "isAutoDelete": [True]}, "isAutoDelete"),
    "poolId-not-an-id": ({"name": "s", "poolId": True}, "poolId"),
    "body-not-an-object": (["name", "s"], "(body)"),
}


@pytest.mark.parametrize("case", INVALID_BODIES)
def test_invalid_body_is_400_naming_the_field(api, ref, case):
    request_body, field = INVALID_BODIES[case]
    with unchanged(api):
        body = assert_error(take_by_post(api, ref["vol1"], request_body), 400)
    assert field in body["errors"], body
    if field != "(body)":
        assert field in body["message"], body


@pytest.mark.parametrize("case", ["missing-name", "nul-in-name", "replicate-not-boolean"])
def test_create_snapshot_action_validates_its_body_the_same_way(api, ref, case):
    request_body, field = INVALID_BODIES[case]
    with unchanged(api):
        assert_error(take_by_action(api, ref["vol1"], request_body), 400, field=field)


def test_malformed_json_is_400(api, ref):
    with unchanged(api):
        response = api.client.post(
            PREFIX + snapshot_path(ref["vol1"]),
            headers=api.headers,
            data='{"name": "s"',
            content_type="application/json",
        )
        assert_error(response, 400, "JSON")


@pytest.mark.parametrize(
    "data, content_type",
    [('{"name": "s"}', "text/plain"), ("name=s", "application/x-www-form-urlencoded")],
    ids=["text", "form"],
)
def test_body_that_is_not_json_is_415(api, ref, data, content_type):
    with unchanged(api):
        response = api.client.post(
            PREFIX + snapshot_path(ref["vol1"]),
            headers=api.headers,
            data=data,
            content_type=content_type,
        )
        assert_error(response, 415, "application/json")


# -- deleting a snapshot -------------------------------------------------------------------


def test_delete_snapshot_answers_204_without_a_body_and_frees_its_space(api, ref):
    free_before = free_space(api)
    response = api.delete(snapshot_path(ref["vol1"], ref["snap1"]))
    assert response.status_code == 204, response.get_data(True)
    assert response.get_data() == b""
    assert ref["snap1"] not in {s["id"] for s in snapshots_of(api, ref["vol1"])}
    assert_error(api.get(snapshot_path(ref["vol1"], ref["snap1"])), 404)
    # vol1.snap1 held 1 GiB of its own in pool1.
    assert free_space(api) == {**free_before, "pool1": free_before["pool1"] + GiB}
    # Gone for good: a second delete is 404.
    with unchanged(api):
        assert_error(api.delete(snapshot_path(ref["vol1"], ref["snap1"])), 404)


def test_snapshot_taken_through_the_api_can_be_deleted(api, ref):
    taken = ok(take_by_post(api, ref["vol2"], {"name": "short-lived"}), 201)
    response = api.delete(snapshot_path(ref["vol2"], taken["id"]))
    assert response.status_code == 204, response.get_data(True)
    assert "short-lived" not in {s["name"] for s in snapshots_of(api, ref["vol2"])}


def test_snapshot_an_unsplit_clone_depends_on_is_409_naming_the_clone(api, ref):
    with unchanged(api):
        assert_error(api.delete(snapshot_path(ref["vol1"], ref["snap2"])), 409, "vol1-clone")


def test_snapshot_a_new_clone_depends_on_is_409_naming_it(api, ref):
    taken = ok(take_by_post(api, ref["vol2"], {"name": "for-clone"}), 201)
    clone = {"snapshot": {"id": taken["id"]}, "name": "fresh-clone"}
    ok(api.post(f"/server/0/volume/{ref['vol2']}?action=clone", json=clone))
    with unchanged(api):
        assert_error(api.delete(snapshot_path(ref["vol2"], taken["id"])), 409, "fresh-clone")


def test_snapshot_can_be_deleted_once_its_clone_is_deleted(api, ref):
    response = api.delete(f"/server/0/volume/{ref['clone']}")
    assert response.status_code == 200, response.get_data(True)
    response = api.delete(snapshot_path(ref["vol1"], ref["snap2"]))
    assert response.status_code == 204, response.get_data(True)
    assert [s["name"] for s in snapshots_of(api, ref["vol1"])] == ["vol1.snap1", "cg1.snap1"]


@pytest.mark.parametrize(
    "volume, snapshot",
    [
        ("vol1", "987654"),
        ("vol1", "abc"),
        ("vol2", "{snap1}"),  # vol1's snapshot, asked of vol2
        ("vol1", "{vol2_cgsnap}"),  # vol2's member of the CG snapshot vol1 also has
        ("clone", "{snap2}"),  # the clone's parent snapshot is still vol1's
        ("987654", "{snap1}"),
    ],
)
def test_delete_unknown_snapshot_or_one_of_another_volume_is_404(api, ref, volume, snapshot):
    path = snapshot_path(ref.get(volume, volume), snapshot.format(**ref))
    with unchanged(api):
        assert_error(api.delete(path), 404)


def test_delete_snapshot_of_another_array_is_404(api, ref, client):
    beta = Api.login(client, "beta.lab.test")
    with unchanged(api):
        assert_error(beta.delete(snapshot_path(ref["vol1"], ref["snap1"])), 404)


# -- replication progress -------------------------------------------------------------------


@pytest.mark.parametrize("action", ["get-Progress", "getProgress", "GET_PROGRESS"])
def test_progress_of_a_never_replicated_snapshot_is_404_saying_so(api, ref, action):
    path = f"{snapshot_path(ref['vol1'], ref['snap1'])}?action={action}"
    with unchanged(api):
        body = assert_error(api.post(path, json={}), 404, "vol1.snap1")
    assert "replicat" in body["message"].lower(), body
    # Not the answer for an unknown path or object.
    assert "There is no" not in body["message"]
    assert "does not exist" not in body["message"]


def test_progress_with_the_guides_body_of_a_new_snapshot_is_404_saying_so(api, ref):
    taken = ok(take_by_post(api, ref["vol2"], {"name": "local-only"}), 201)
    path = f"{snapshot_path(ref['vol2'], taken['id'])}?action=get-Progress"
    request = {"destinationSnapshotId": "local-only", "destinationServerId": "0"}
    body = assert_error(api.post(path, json=request), 404, "local-only")
    assert "replicat" in body["message"].lower()


def test_progress_of_an_unknown_snapshot_is_404(api, ref):
    body = assert_error(
        api.post(f"{snapshot_path(ref['vol1'], '987654')}?action=get-Progress"), 404
    )
    assert "987654" in body["message"]


@pytest.mark.parametrize("action", ["", "progress"])
def test_unknown_snapshot_action_is_400_listing_get_progress(api, ref, action):
    with unchanged(api):
        body = assert_error(
            api.post(f"{snapshot_path(ref['vol1'], ref['snap1'])}?action={action}", json={}),
            400,
            "get-Progress",
        )
    assert "action" in body["errors"]
