"""Black-box tests of the volume actions and of ``DELETE …/volume/{vid}``.

``POST …/volume/{vid}?action=`` ``clone``, ``split``, ``restore``,
``restore-to-alternate``, ``restore-to-new`` and ``mount``, each on its
success and its error paths, as the guide, ``shared/spec/README.md`` (items
6-8, 12, "Behaving like a real array") and docs/array-rules.md describe them.
Every refused call (4xx) must leave the volumes, their snapshots, the pools
and the LUNs as they were (``unchanged``).

The lab is ``tests.support.lab.standard_server`` with a few more volumes and a
tiny pool (``volume_server``). Splits are timed tasks: the tests that watch
one stop the array's clock (conftest's ``frozen`` fixture) and move it by hand.
"""

from __future__ import annotations

import pytest

from mockarray.array.clock import wall_ms
from tests.support.api import Api
from tests.support.checks import assert_error, filled, free_space, listed, ok, unchanged
from tests.support.lab import array_doc, standard_server

GiB = 2**30
TiB = 2**40

VOLUME_KEYS = {
    "id",
    "name",
    "creationTime",
    "serverGroupKey",
    "poolId",
    "volumeType",
    "stats",
    "supports",
    "config",
}
SPLIT_STATUS_KEYS = {"percentageComplete", "complete"}
VOLUME_ACTIONS = [
    "clone",
    "mount",
    "split",
    "restore",
    "restore-to-alternate",
    "restore-to-new",
    "createSnapshot",
]


def volume_server() -> dict:
    """The standard server, and what the volume actions need besides.

    pool1 (1 TiB) holds vol1 (10 GiB written, vol1.snap1 holding 1 GiB of its
    own), the unsplit vol1-clone, and: ``big`` (30 GiB written, with a
    snapshot), ``spare`` (30 GiB written, no snapshot, an unmapped LUN),
    ``frozen`` (neither revert nor split) with its clone, ``full`` (whose
    clones need no split) and ``share``, a file (NAS) volume: the one hosts
    mount. pool2 (100 GiB) holds the thick vol2 (50 GiB); ``tiny`` (1 GiB) is
    empty.
    """
    server = standard_server()
    server["pools"].append({"name": "tiny", "capacity": "1GiB"})
    frozen = {"revert": False, "split": "NONE"}
    server["volumes"] += [
        {
            "name": "big",
            "size": "100GiB",
            "used": "30GiB",
            "snapshots": [{"name": "big.snap", "age": "1h"}],
        },
        {"name": "spare", "size": "100GiB", "used": "30GiB", "lun": True},
        {
            "name": "frozen",
            "size": "10GiB",
            "used": "1GiB",
            "supports": frozen,
            "snapshots": [{"name": "frozen.snap", "age": "1h"}],
        },
        {
            "name": "frozen-clone",
            "cloneOf": {"volume": "frozen", "snapshot": "frozen.snap"},
            "supports": frozen,
        },
        {
            "name": "full",
            "size": "20GiB",
            "used": "4GiB",
            "supports": {"split": "NOT_NEEDED"},
            "snapshots": [{"name": "full.snap", "age": "1h"}],
        },
        {"name": "share", "size": "100GiB", "used": "1GiB", "type": "file"},
    ]
    return server


@pytest.fixture
def api(lab, client) -> Api:
    """A session on ``alpha`` seeded with ``volume_server()``; ``beta`` is empty."""
    lab.seed(array_doc("alpha", 1, servers=[volume_server()]), array_doc("beta", 2))
    return Api.login(client, "alpha.lab.test")


class Ids(dict):
    """The lab's ids under short names, read through the API when first asked:
    ``vol1``, ``clone`` (vol1-clone), ``snap1``/``snap2`` (vol1's), ``big/big.snap``
    (a volume's snapshot), ``pool:tiny``, ``lun:spare`` (a volume's LUN)."""

    ALIASES = {"clone": "vol1-clone", "snap1": "vol1/vol1.snap1", "snap2": "vol1/vol1.snap2"}

    def __init__(self, api: Api):
        super().__init__(api.ids("/server/0/volume", "volumes"))
        self.api = api

    def __missing__(self, key: str) -> str:
        if key in self.ALIASES:
            return self[self.ALIASES[key]]
        kind, _, name = key.partition(":")
        if kind == "pool":
            found = self.api.ids("/server/0/pool", "pools")
        elif kind == "lun":
            luns = self.api.ids("/server/0/lun", "luns", name_field="volumeId")
            found = {volume: luns[self[volume]] for volume in [name] if self[volume] in luns}
        else:
            kind, _, name = key.partition("/")
            found = self.api.ids(f"/server/0/volume/{self[kind]}/snapshot", "snapshots")
        self[key] = found[name]
        return self[key]


@pytest.fixture
def ref(api) -> Ids:
    return Ids(api)


# -- helpers -----------------------------------------------------------------------------


def volume(api: Api, volume_id: str) -> dict:
    return ok(api.get(f"/server/0/volume/{volume_id}"))


def volumes(api: Api) -> list[dict]:
    return listed(api, "/server/0/volume", "volumes")


def snapshot_names(api: Api, volume_id: str) -> list[str]:
    return [s["name"] for s in listed(api, f"/server/0/volume/{volume_id}/snapshot", "snapshots")]


def act(api: Api, volume_id: str, action: str, body=None):
    return api.post(f"/server/0/volume/{volume_id}?action={action}", json=body)


def delete_snapshot(api: Api, volume_id: str, snapshot_id: str):
    return api.delete(f"/server/0/volume/{volume_id}/snapshot/{snapshot_id}")


def split_status(api: Api, volume_id: str):
    return api.get(f"/server/0/volume/{volume_id}/splitstatus")


def check_volume(body: dict) -> dict:
    """The guide's volume object: exactly its keys, of their JSON types."""
    assert set(body) == VOLUME_KEYS, body
    assert isinstance(body["id"], str) and body["id"]
    assert type(body["creationTime"]) is int
    assert set(body["stats"]) == {"size", "usedSize"}
    assert all(type(v) is int for v in body["stats"].values()), body["stats"]
    assert set(body["supports"]) == {"revert", "split", "autoGrowVadpRep"}
    assert set(body["config"]) == {"thinProvisioned"}
    return body


def check_split_status(body: dict) -> dict:
    assert set(body) == SPLIT_STATUS_KEYS, body
    assert type(body["percentageComplete"]) is int and 0 <= body["percentageComplete"] <= 100
    assert type(body["complete"]) is bool
    return body


# -- clone ------------------------------------------------------------------------------

# Source volume, snapshot reference, and the clone's expected size and used size.
CLONE_SOURCES = {
    "by-id": ("vol1", {"id": "{snap2}"}, 100 * GiB, 10 * GiB),
    "by-name": ("vol1", {"name": "vol1.snap2"}, 100 * GiB, 10 * GiB),
    "of-a-thick-volume": ("vol2", {"name": "cg1.snap1"}, 50 * GiB, 5 * GiB),
}


@pytest.mark.parametrize("case", CLONE_SOURCES)
def test_clone_is_a_thin_volume_of_the_sources_size_holding_the_snapshot(api, ref, case):
    source_name, snapshot, size, used = CLONE_SOURCES[case]
    source = volume(api, ref[source_name])
    before = volumes(api)
    free = free_space(api)
    body = check_volume(
        ok(act(api, source["id"], "clone", {"snapshot": filled(snapshot, ref), "name": "c1"}))
    )
    assert body["id"] not in {v["id"] for v in before}
    assert body["name"] == "c1"
    assert abs(wall_ms() - body["creationTime"]) < 60_000
    assert body["config"] == {"thinProvisioned": True}  # thin even of a thick source
    assert body["stats"] == {"size": size, "usedSize": used}
    assert body["poolId"] == source["poolId"]
    assert body["serverGroupKey"] == source["serverGroupKey"]
    assert body["volumeType"] == source["volumeType"]
    assert body["supports"] == source["supports"]
    # The new volume is listed last and reads back the same.
    assert volumes(api) == [*before, body]
    assert volume(api, body["id"]) == body
    # All of its data is shared with the snapshot: no space taken, an unsplit clone.
    assert free_space(api) == free
    assert ok(split_status(api, body["id"])) == {"percentageComplete": 0, "complete": False}


def test_clone_holds_the_snapshots_data_not_the_volumes_current_data(api, ref):
    # big (30 GiB when big.snap was taken) is overwritten with vol1.snap1's 10 GiB.
    request = {"sourceSnapshotId": ref["snap1"], "targetVolumeId": ref["big"]}
    assert ok(act(api, ref["vol1"], "restore-to-alternate", request))["stats"]["usedSize"] == (
        10 * GiB
    )
    request = {"snapshot": {"id": ref["big/big.snap"]}, "name": "big-then"}
    body = ok(act(api, ref["big"], "clone", request))
    assert body["stats"] == {"size": 100 * GiB, "usedSize": 30 * GiB}


def test_clone_server_group_key_is_the_first_of_server_group_keys(api, ref):
    request = {"snapshot": {"id": ref["snap2"]}, "name": "c1", "serverGroupKeys": ["sg-a", "sg-b"]}
    body = ok(act(api, ref["vol1"], "clone", request))
    assert body["serverGroupKey"] == "sg-a"
    assert volume(api, body["id"])["serverGroupKey"] == "sg-a"


def test_a_clone_keeps_its_snapshot_from_being_deleted(api, ref):
    body = ok(act(api, ref["vol1"], "clone", {"snapshot": {"id": ref["snap1"]}, "name": "c1"}))
    with unchanged(api):
        assert_error(delete_snapshot(api, ref["vol1"], ref["snap1"]), 409, "c1", body["id"])


@pytest.mark.parametrize(
    "name, snapshot",
    [("vol2", "{snap2}"), ("vol1-clone", "{snap1}")],
    ids=["unrelated-volume", "clone-of-another-snapshot"],
)
def test_clone_name_taken_by_another_volume_is_409(api, ref, name, snapshot):
    with unchanged(api):
        request = {"snapshot": {"id": filled(snapshot, ref)}, "name": name}
        assert_error(act(api, ref["vol1"], "clone", request), 409, name)


def test_clone_retry_returns_the_same_clone(api, ref):
    request = {"snapshot": {"id": ref["snap1"]}, "name": "c1"}
    first = ok(act(api, ref["vol1"], "clone", request))
    count = len(volumes(api))
    again = ok(act(api, ref["vol1"], "clone", request))
    by_name = ok(act(api, ref["vol1"], "clone", {"snapshot": {"name": "vol1.snap1"}, "name": "c1"}))
    assert again == first
    assert by_name == first
    assert len(volumes(api)) == count
    # The seeded clone of vol1.snap2 is answered the same way.
    seeded = ok(
        act(api, ref["vol1"], "clone", {"snapshot": {"id": ref["snap2"]}, "name": "vol1-clone"})
    )
    assert seeded == volume(api, ref["clone"])


def test_clone_retry_with_other_parameters_is_409(api, ref):
    change = {"serverGroupKeys": ["sg-b"]}
    request = {"snapshot": {"id": ref["snap1"]}, "name": "c1", "serverGroupKeys": ["sg-a"]}
    ok(act(api, ref["vol1"], "clone", request))
    with unchanged(api):
        assert_error(act(api, ref["vol1"], "clone", {**request, **change}), 409, "c1")


@pytest.mark.parametrize(
    "snapshot",
    [
        {"name": "no-such-snapshot"},
        {"id": "{vol2/cg1.snap1}"},  # vol2's snapshot, cloned through vol1
        {"id": "{snap2}", "name": "vol1.snap1"},  # id and name of two snapshots
    ],
    ids=["unknown-name", "other-volumes-id", "id-and-name-disagree"],
)
def test_clone_of_an_unknown_snapshot_is_404(api, ref, snapshot):
    with unchanged(api):
        request = {"snapshot": filled(snapshot, ref), "name": "c1"}
        assert_error(act(api, ref["vol1"], "clone", request), 404)


def test_clone_of_an_unknown_volume_is_404(api, ref):
    with unchanged(api):
        assert_error(
            act(api, "987654", "clone", {"snapshot": {"id": ref["snap1"]}, "name": "c1"}), 404
        )


def test_instant_split_clone_is_split_at_once(api, ref, frozen):
    free = free_space(api)
    request = {"snapshot": {"id": ref["snap1"]}, "name": "c1", "instantSplit": True}
    body = ok(act(api, ref["vol1"], "clone", request))
    # Not a moment later: the clock does not move.
    assert ok(split_status(api, body["id"])) == {"percentageComplete": 100, "complete": True}
    assert ok(act(api, body["id"], "split")) == {"percentageComplete": 100, "complete": True}
    # The clone has its own copy of the 10 GiB ...
    assert free_space(api) == {**free, "pool1": free["pool1"] - 10 * GiB}
    # ... and no longer needs its snapshot.
    response = delete_snapshot(api, ref["vol1"], ref["snap1"])
    assert response.status_code == 204, response.get_data(True)


# -- split ----------------------------------------------------------------------------------


def test_split_is_a_timed_task_that_a_repeat_reports_again(app, api, ref, frozen):
    app.config["SPLIT_RATE"] = GiB  # the clone's 10 GiB take 10 s
    free = free_space(api)
    started = check_split_status(ok(act(api, ref["clone"], "split")))
    assert started == {"percentageComplete": 0, "complete": False}
    assert ok(split_status(api, ref["clone"])) == started
    # The clone's own copy of the shared 10 GiB is reserved as the split starts.
    reserved = {**free, "pool1": free["pool1"] - 10 * GiB}
    assert free_space(api) == reserved

    frozen.advance(2_500)
    # Asking again reports the same split (a new one of a clone that shares
    # nothing any more would answer 100 %), and reserves nothing more.
    again = check_split_status(ok(act(api, ref["clone"], "split", {})))
    assert again == {"percentageComplete": 25, "complete": False}
    assert ok(split_status(api, ref["clone"])) == again
    assert free_space(api) == reserved
    # Still splitting: the snapshot is still needed.
    with unchanged(api):
        assert_error(delete_snapshot(api, ref["vol1"], ref["snap2"]), 409, "vol1-clone")

    frozen.advance(7_499)
    assert ok(split_status(api, ref["clone"])) == {"percentageComplete": 99, "complete": False}
    frozen.advance(1)
    assert ok(split_status(api, ref["clone"])) == {"percentageComplete": 100, "complete": True}
    assert ok(act(api, ref["clone"], "split")) == {"percentageComplete": 100, "complete": True}
    response = delete_snapshot(api, ref["vol1"], ref["snap2"])
    assert response.status_code == 204, response.get_data(True)
    assert free_space(api) == reserved  # vol1.snap2 held nothing of its own


def test_split_of_a_clone_whose_supports_split_is_none_is_400(api, ref):
    with unchanged(api):
        assert_error(act(api, ref["frozen-clone"], "split"), 400, "supports.split", "NONE")
    # A clone made through the API inherits its source's support.
    body = ok(act(api, ref["frozen"], "clone", {"snapshot": {"name": "frozen.snap"}, "name": "c1"}))
    assert body["supports"] == {"revert": False, "split": "NONE", "autoGrowVadpRep": False}
    with unchanged(api):
        assert_error(act(api, body["id"], "split"), 400, "supports.split")


def test_an_instant_split_clone_of_a_volume_whose_supports_split_is_none_is_400(api, ref):
    body = {"snapshot": {"name": "frozen.snap"}, "name": "c1", "instantSplit": True}
    with unchanged(api):
        assert_error(
            act(api, ref["frozen"], "clone", body),
            400,
            "supports.split NONE",
            "'frozen'",
            field="instantSplit",
        )
    # Without it, the clone is made (thin, unsplit, like its source's clones).
    made = ok(act(api, ref["frozen"], "clone", {**body, "instantSplit": False}))
    assert made["supports"]["split"] == "NONE"


def test_split_of_a_volume_that_is_no_clone_is_409(api, ref):
    with unchanged(api):
        assert_error(act(api, ref["vol1"], "split"), 409, "vol1")


def test_clone_of_a_volume_needing_no_split_is_independent_at_once(api, ref):
    free = free_space(api)
    body = ok(act(api, ref["full"], "clone", {"snapshot": {"name": "full.snap"}, "name": "c1"}))
    assert body["stats"] == {"size": 20 * GiB, "usedSize": 4 * GiB}
    assert body["supports"]["split"] == "NOT_NEEDED"
    # A full copy: its 4 GiB are its own ...
    assert free_space(api) == {**free, "pool1": free["pool1"] - 4 * GiB}
    # ... so the snapshot can go, and there is nothing to wait for.
    assert ok(act(api, body["id"], "split")) == {"percentageComplete": 100, "complete": True}
    response = delete_snapshot(api, ref["full"], ref["full/full.snap"])
    assert response.status_code == 204, response.get_data(True)


def test_split_status_agrees_with_the_split_answer_of_a_clone_needing_no_split(api, ref):
    body = ok(act(api, ref["full"], "clone", {"snapshot": {"name": "full.snap"}, "name": "c1"}))
    answered = ok(act(api, body["id"], "split"))
    # A client polls splitstatus after starting a split: it must not vanish.
    assert ok(split_status(api, body["id"])) == answered


# -- restore ----------------------------------------------------------------------------------


def test_restore_reverts_the_volume_to_its_own_snapshot(api, ref):
    free = free_space(api)
    # big is overwritten with vol1.snap1's 10 GiB ...
    request = {"sourceSnapshotId": ref["snap1"], "targetVolumeId": ref["big"]}
    assert ok(act(api, ref["vol1"], "restore-to-alternate", request))["stats"]["usedSize"] == (
        10 * GiB
    )
    # ... and reverted to big.snap, taken when it held 30 GiB.
    body = check_volume(ok(act(api, ref["big"], "restore", {"snapshotId": ref["big/big.snap"]})))
    assert body["id"] == ref["big"] and body["name"] == "big"
    assert body["stats"] == {"size": 100 * GiB, "usedSize": 30 * GiB}
    assert volume(api, ref["big"]) == body
    assert free_space(api) == free
    assert snapshot_names(api, ref["big"]) == ["big.snap"]


def test_restore_from_another_volumes_snapshot_is_400(api, ref):
    with unchanged(api):
        request = {"snapshotId": ref["big/big.snap"]}
        assert_error(act(api, ref["vol1"], "restore", request), 400, "big.snap", "vol1")


def test_restore_from_an_unknown_snapshot_is_404(api, ref):
    with unchanged(api):
        assert_error(act(api, ref["vol1"], "restore", {"snapshotId": "987654"}), 404, "987654")


def test_restore_of_a_volume_that_cannot_revert_is_400(api, ref):
    request = {"snapshotId": ref["frozen/frozen.snap"]}
    with unchanged(api):
        assert_error(act(api, ref["frozen"], "restore", request), 400, "revert")


# -- restore-to-alternate ---------------------------------------------------------------------


def test_restore_to_alternate_writes_the_snapshot_over_the_target(api, ref):
    source = volume(api, ref["vol1"])
    free = free_space(api)
    request = {"sourceSnapshotId": ref["snap1"], "targetVolumeId": ref["spare"]}
    body = check_volume(ok(act(api, ref["vol1"], "restore-to-alternate", request)))
    assert body["id"] == ref["spare"] and body["name"] == "spare"
    assert body["stats"] == {"size": 100 * GiB, "usedSize": 10 * GiB}
    assert volume(api, ref["spare"]) == body
    # The source and its snapshots are untouched; spare (thin) now holds 20 GiB less.
    assert volume(api, ref["vol1"]) == source
    assert snapshot_names(api, ref["vol1"]) == ["vol1.snap1", "vol1.snap2", "cg1.snap1"]
    assert free_space(api) == {**free, "pool1": free["pool1"] + 20 * GiB}


def test_restore_to_alternate_keeps_the_data_the_targets_snapshot_holds(api, ref):
    free = free_space(api)
    request = {"sourceSnapshotId": ref["snap1"], "targetVolumeId": ref["big"]}
    ok(act(api, ref["vol1"], "restore-to-alternate", request))
    # big's 30 GiB are overwritten by 10 GiB of other data, but big.snap still
    # has them (big can be reverted to it): they now take space of their own.
    # Overwriting a volume that has a snapshot frees nothing; it takes 10 GiB.
    assert free_space(api) == {**free, "pool1": free["pool1"] - 10 * GiB}
    ok(act(api, ref["big"], "restore", {"snapshotId": ref["big/big.snap"]}))
    assert free_space(api) == free


def test_restore_to_alternate_onto_a_smaller_volume_is_409(api, ref):
    request = {"sourceSnapshotId": ref["big/big.snap"], "targetVolumeId": ref["vol2"]}
    with unchanged(api):
        assert_error(act(api, ref["big"], "restore-to-alternate", request), 409, "vol2")


def test_restore_to_alternate_onto_a_mapped_volume_is_409_naming_the_host(api, ref):
    request = {"sourceSnapshotId": ref["big/big.snap"], "targetVolumeId": ref["vol1"]}
    with unchanged(api):
        assert_error(act(api, ref["big"], "restore-to-alternate", request), 409, "host-iscsi")


def test_restore_to_alternate_onto_the_source_itself_is_400(api, ref):
    request = {"sourceSnapshotId": ref["big/big.snap"], "targetVolumeId": ref["big"]}
    with unchanged(api):
        assert_error(act(api, ref["big"], "restore-to-alternate", request), 400, "restore")


@pytest.mark.parametrize(
    "source, target, status",
    [
        ("{big/big.snap}", "987654", 404),  # unknown target
        ("987654", "{spare}", 404),  # unknown snapshot
        ("{snap1}", "{spare}", 400),  # vol1's snapshot, restored through big
    ],
    ids=["unknown-target", "unknown-snapshot", "other-volumes-snapshot"],
)
def test_restore_to_alternate_with_unknown_or_foreign_ids(api, ref, source, target, status):
    request = {"sourceSnapshotId": filled(source, ref), "targetVolumeId": filled(target, ref)}
    with unchanged(api):
        assert_error(act(api, ref["big"], "restore-to-alternate", request), status)


# -- restore-to-new -------------------------------------------------------------------------

# targetPoolIds (None: left out) and the pool the new volume lands in.
RESTORE_TO_NEW_POOLS = {
    "default-is-the-sources-pool": (None, "pool1"),
    "first-with-room": (["tiny", "pool2"], "pool2"),
    "order-honoured": (["pool2", "pool1"], "pool2"),
}


@pytest.mark.parametrize("case", RESTORE_TO_NEW_POOLS)
def test_restore_to_new_makes_an_independent_volume_in_the_first_pool_with_room(api, ref, case):
    pools, expected_pool = RESTORE_TO_NEW_POOLS[case]
    source = volume(api, ref["vol1"])
    before = volumes(api)
    free = free_space(api)
    request = {"sourceSnapshotId": ref["snap1"], "targetVolumeName": "restored"}
    if pools is not None:
        request["targetPoolIds"] = [ref[f"pool:{name}"] for name in pools]
    body = check_volume(ok(act(api, ref["vol1"], "restore-to-new", request)))
    assert body["name"] == "restored"
    assert body["poolId"] == ref[f"pool:{expected_pool}"]
    assert body["stats"] == {"size": 100 * GiB, "usedSize": 10 * GiB}
    for key in ("volumeType", "supports", "config", "serverGroupKey"):
        assert body[key] == source[key], key
    assert volumes(api) == [*before, body]
    # Its 10 GiB are its own, in that pool only.
    assert free_space(api) == {**free, expected_pool: free[expected_pool] - 10 * GiB}
    # Independent: not a clone, and its snapshot can go.
    assert_error(split_status(api, body["id"]), 404)
    response = delete_snapshot(api, ref["vol1"], ref["snap1"])
    assert response.status_code == 204, response.get_data(True)


def test_restore_to_new_with_no_room_in_any_listed_pool_is_507(api, ref):
    request = {
        "sourceSnapshotId": ref["snap1"],
        "targetVolumeName": "restored",
        "targetPoolIds": [ref["pool:tiny"]],
    }
    with unchanged(api):
        assert_error(act(api, ref["vol1"], "restore-to-new", request), 507, "tiny")


def test_restore_to_new_into_an_unknown_pool_is_404_even_after_a_good_one(api, ref):
    request = {
        "sourceSnapshotId": ref["snap1"],
        "targetVolumeName": "restored",
        "targetPoolIds": [ref["pool:pool1"], "987654"],
    }
    with unchanged(api):
        assert_error(act(api, ref["vol1"], "restore-to-new", request), 404, "987654")


def test_restore_to_new_retry_returns_the_same_volume(api, ref):
    request = {
        "sourceSnapshotId": ref["snap1"],
        "targetVolumeName": "restored",
        "targetPoolIds": [ref["pool:pool2"]],
    }
    first = ok(act(api, ref["vol1"], "restore-to-new", request))
    count = len(volumes(api))
    free = free_space(api)
    assert ok(act(api, ref["vol1"], "restore-to-new", request)) == first
    assert len(volumes(api)) == count
    assert free_space(api) == free


@pytest.mark.parametrize(
    "name, snapshot",
    [("vol2", "{snap1}"), ("restored", "{snap2}")],
    ids=["unrelated-volume", "restored-from-another-snapshot"],
)
def test_restore_to_new_name_taken_by_another_volume_is_409(api, ref, name, snapshot):
    request = {"sourceSnapshotId": ref["snap1"], "targetVolumeName": "restored"}
    ok(act(api, ref["vol1"], "restore-to-new", request))
    request = {"sourceSnapshotId": filled(snapshot, ref), "targetVolumeName": name}
    with unchanged(api):
        assert_error(act(api, ref["vol1"], "restore-to-new", request), 409, name)


def test_restore_to_new_is_no_retry_of_a_clone_of_the_same_snapshot(api, ref):
    # Both make a volume from vol1.snap1, but a clone depends on it and a
    # restored volume does not: the second call's name is taken.
    calls = {
        "clone": {"snapshot": {"id": ref["snap1"]}, "name": "copy"},
        "restore-to-new": {"sourceSnapshotId": ref["snap1"], "targetVolumeName": "copy"},
    }
    ok(act(api, ref["vol1"], "clone", calls["clone"]))
    with unchanged(api):
        assert_error(act(api, ref["vol1"], "restore-to-new", calls["restore-to-new"]), 409, "copy")


@pytest.mark.parametrize(
    "snapshot, status",
    [("987654", 404), ("{big/big.snap}", 400)],
    ids=["unknown-snapshot", "other-volumes-snapshot"],
)
def test_restore_to_new_from_an_unknown_or_foreign_snapshot(api, ref, snapshot, status):
    request = {"sourceSnapshotId": filled(snapshot, ref), "targetVolumeName": "restored"}
    with unchanged(api):
        assert_error(act(api, ref["vol1"], "restore-to-new", request), status)


# -- mount ------------------------------------------------------------------------------------


def test_mount_answers_the_given_path_and_remembers_it(api, ref):
    path = "/mnt/backup copy/vol 1"
    assert ok(act(api, ref["share"], "mount", {"path": path})) == {"path": path}
    # Mounted again without a path: where it is mounted.
    assert ok(act(api, ref["share"], "mount")) == {"path": path}
    assert ok(act(api, ref["share"], "mount", {"path": None})) == {"path": path}


def test_mount_without_a_path_defaults_to_mnt_and_the_volume_name(api, ref):
    assert ok(act(api, ref["share"], "mount")) == {"path": "/mnt/share"}


@pytest.mark.parametrize("name", ["vol1", "vol2", "vol1-clone"])
def test_mount_of_a_block_volume_is_400_hosts_map_its_lun(api, ref, name):
    with unchanged(api):
        assert_error(act(api, ref[name], "mount", {"path": "/data/x"}), 400, name, "LUN", "block")


BAD_MOUNT_PATHS = {
    "relative": "data/db1",
    "dotdot-inside": "/data/../etc",
    "nul": "/data\x00x",
}


@pytest.mark.parametrize("path", BAD_MOUNT_PATHS.values(), ids=BAD_MOUNT_PATHS.keys())
def test_mount_at_a_bad_path_is_400_and_keeps_the_mount(api, ref, path):
    ok(act(api, ref["share"], "mount", {"path": "/data/good"}))
    with unchanged(api):
        assert_error(act(api, ref["share"], "mount", {"path": path}), 400, field="path")
    assert ok(act(api, ref["share"], "mount")) == {"path": "/data/good"}


# -- invalid bodies of every action --------------------------------------------------------

# action, volume, request body, and the field the 400 must name.
INVALID_BODIES = {
    "clone-no-id-nor-name": ("clone", "vol1", {"snapshot": {}, "name": "c"}, "snapshot.id"),
    "clone-no-snapshot": ("clone", "vol1", {"name": "c"}, "snapshot"),
    "clone-instantSplit": (
        "clone",
        "vol1",
        {"snapshot": {"id": "{snap1}"}, "name": "c", "instantSplit": "soon"},
        "instantSplit",
    ),
    "restore-no-snapshotId": ("restore", "vol1", {}, "snapshotId"),
    "alternate-no-target": (
        "restore-to-alternate",
        "big",
        {"sourceSnapshotId": "{big/big.snap}"},
        "targetVolumeId",
    ),
    "new-no-name": ("restore-to-new", "vol1", {"sourceSnapshotId": "{snap1}"}, "targetVolumeName"),
    "new-empty-pool-id": (
        "restore-to-new",
        "vol1",
        {
            "sourceSnapshotId": "{snap1}",
            "targetVolumeName": "r",
            "targetPoolIds": ["{pool:pool1}", ""],
        },
        "targetPoolIds[1]",
    ),
}


@pytest.mark.parametrize("case", INVALID_BODIES)
def test_invalid_action_body_is_400_naming_the_field(api, ref, case):
    action, name, request_body, field = INVALID_BODIES[case]
    with unchanged(api):
        assert_error(act(api, ref[name], action, filled(request_body, ref)), 400, field=field)


# -- delete -------------------------------------------------------------------------------------


def test_delete_volume_answers_200_without_a_body_and_takes_its_snapshots(api, ref):
    snapshot = ref["big/big.snap"]
    free = free_space(api)
    response = api.delete(f"/server/0/volume/{ref['big']}")
    assert response.status_code == 200, response.get_data(True)
    assert response.get_data() == b""
    assert "big" not in {v["name"] for v in volumes(api)}
    assert_error(api.get(f"/server/0/volume/{ref['big']}"), 404)
    assert_error(api.get(f"/server/0/volume/{ref['big']}/snapshot"), 404)
    assert_error(api.get(f"/server/0/volume/{ref['big']}/snapshot/{snapshot}"), 404)
    assert free_space(api) == {**free, "pool1": free["pool1"] + 30 * GiB}
    with unchanged(api):
        assert_error(api.delete(f"/server/0/volume/{ref['big']}"), 404)


def test_delete_volume_takes_its_lun(api, ref):
    lun = ref["lun:spare"]
    response = api.delete(f"/server/0/volume/{ref['spare']}")
    assert response.status_code == 200, response.get_data(True)
    assert lun not in {entry["id"] for entry in listed(api, "/server/0/lun", "luns")}
    assert_error(api.get(f"/server/0/lun/{lun}"), 404)


def test_delete_clone_then_its_snapshot_and_the_member_of_a_consistency_group(api, ref):
    for name in ("vol1-clone", "vol2"):
        response = api.delete(f"/server/0/volume/{ref[name]}")
        assert response.status_code == 200, (name, response.get_data(True))
    assert delete_snapshot(api, ref["vol1"], ref["snap2"]).status_code == 204
    groups = listed(api, "/server/0/consistencygroup", "consistencyGroups")
    assert groups[0]["volumeIds"] == [ref["vol1"]]


def test_delete_mapped_volume_is_409_naming_the_host(api, ref):
    with unchanged(api):
        assert_error(api.delete(f"/server/0/volume/{ref['vol1']}"), 409, "host-iscsi")


def test_delete_volume_whose_snapshot_a_clone_depends_on_is_409_naming_the_clone(api, ref):
    with unchanged(api):
        assert_error(api.delete(f"/server/0/volume/{ref['frozen']}"), 409, "frozen-clone")


def test_delete_unknown_volume_is_404(api):
    with unchanged(api):
        assert_error(api.delete("/server/0/volume/987654"), 404, "987654")


def test_delete_volume_of_another_array_is_404(api, ref, client):
    beta = Api.login(client, "beta.lab.test")
    with unchanged(api):
        assert_error(beta.delete(f"/server/0/volume/{ref['spare']}"), 404)


# -- the action parameter and verbs ------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["?action=nope", "?action=", ""], ids=["unknown", "empty", "missing"]
)
def test_unknown_or_missing_action_is_400_listing_the_volumes_actions(api, ref, query):
    with unchanged(api):
        response = api.post(f"/server/0/volume/{ref['big']}{query}", json={})
        body = assert_error(response, 400, *VOLUME_ACTIONS)
    assert "action" in body["errors"]
    assert ("nope" in body["message"]) == ("nope" in query)


def test_action_names_ignore_case_dash_and_underscore(api, ref):
    request = {"sourceSnapshotId": ref["snap1"], "targetVolumeName": "restored"}
    made = ok(act(api, ref["vol1"], "restoreToNew", request))
    assert made["name"] == "restored"
    assert ok(act(api, ref["vol1"], "RESTORE_TO_NEW", request)) == made
    assert ok(act(api, ref["share"], "Mount", {"path": "/data/share"})) == {"path": "/data/share"}


GET_ONLY_PATHS = [
    "/server/0/volume",
    "/server/0/system",
]


@pytest.mark.parametrize("path", GET_ONLY_PATHS)
def test_post_to_a_get_only_path_is_405(api, ref, path):
    with unchanged(api):
        response = api.post(filled(path, ref), json={"name": "x"})
        assert_error(response, 405, "GET")
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert "GET" in allowed and "POST" not in allowed
