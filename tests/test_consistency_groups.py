"""Consistency groups through the API: membership, group snapshots, condense,
replication targets, and the server flags that refuse them.

The contract is the guide's "Consistency Group" and "Consistency Group
Snapshots" sections, ``shared/spec/README.md`` and ``docs/replication.md``.
The simulated clock is frozen (conftest's ``frozen``), so the name a
``take-snapshot`` generates is known in advance and condense sees fixed ages.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from mockarray.array.models import LongTask
from tests.support.api import PREFIX, Api
from tests.support.checks import assert_error
from tests.support.lab import array_doc

DAY_MS = 86_400_000
#: 2030-03-17T17:46:40.123Z, and how take-snapshot writes it in a name.
T_NAME = 1_900_000_000_123
STAMP = "20300317T174640123Z"
SID = "s1"
PARTNER = {"name": "partner", "hostAddress": "198.51.100.99"}
PARTNER2 = {"name": "partner2", "hostAddress": "198.51.100.98"}

#: The condense table's group snapshots: name -> age in hours (none on a day boundary).
AGED = {
    "hourly.1": 2,
    "daily.1": 25,
    "daily.2": 49,
    "daily.3": 73,
    "daily.4": 97,
    "daily.5": 121,
    "weekly.1": 14 * 24 + 1,
}


def group_server(**supports) -> dict:
    """Server ``s1``: group ``cg`` (v1, v2; target ``partner``; one group
    snapshot), ``empty``, ``other`` (holds ``taken``), ``aged`` (a1, a2, the
    condense table's snapshots); ``free`` is in no group."""
    return {
        "id": SID,
        "supports": supports,
        "pools": [{"name": "pool1", "capacity": "1TiB"}, {"name": "pool2", "capacity": "1TiB"}],
        "remoteArrays": [PARTNER, PARTNER2],
        "volumes": [
            {"name": "v1", "size": "100GiB", "used": "10GiB"},
            {"name": "v2", "size": "100GiB", "used": "5GiB"},
            {"name": "free", "size": "10GiB", "used": "1GiB"},
            {"name": "taken", "size": "10GiB"},
            {"name": "a1", "size": "20GiB", "used": "2GiB"},
            {"name": "a2", "size": "20GiB", "used": "1GiB"},
        ],
        "consistencyGroups": [
            {
                "name": "cg",
                "volumes": ["v1", "v2"],
                "targets": ["partner"],
                "snapshots": [{"name": "cg.snap1", "age": "1h"}],
            },
            {"name": "empty"},
            {"name": "other", "volumes": ["taken"]},
            {
                "name": "aged",
                "volumes": ["a1", "a2"],
                "snapshots": [{"name": n, "age": f"{h}h"} for n, h in AGED.items()],
            },
        ],
    }


def neighbour_server() -> dict:
    """Server ``s2`` of the same array, with a volume and a remote array of its own."""
    return {
        "id": "s2",
        "pools": [{"name": "pool1", "capacity": "1TiB"}],
        "remoteArrays": [{"name": "s2-partner", "hostAddress": "198.51.100.97"}],
        "volumes": [{"name": "far", "size": "10GiB"}],
        "consistencyGroups": [{"name": "cg-s2", "volumes": ["far"]}],
    }


@dataclass
class Site:
    """A session on the lab's server ``s1``, with lookups by name."""

    api: Api
    sid: str = SID
    _ids: dict = field(default_factory=dict)

    def _lookup(self, kind: str, key: str, name: str, sid: str | None) -> str:
        sid = sid or self.sid
        cache = (kind, sid)
        if name not in self._ids.setdefault(cache, {}):
            self._ids[cache] = self.api.ids(f"/server/{sid}/{kind}", key)
        return self._ids[cache][name]

    def vid(self, name: str, sid: str | None = None) -> str:
        return self._lookup("volume", "volumes", name, sid)

    def gid(self, name: str, sid: str | None = None) -> str:
        return self._lookup("consistencygroup", "consistencyGroups", name, sid)

    def pool_id(self, name: str) -> str:
        return self._lookup("pool", "pools", name, self.sid)

    def act(self, group: str, action: str, body=None, *, gid: str | None = None):
        """``POST …/consistencygroup/{cgid}?action=<action>`` on the named group."""
        gid = gid or self.gid(group)
        return self.api.post(
            f"/server/{self.sid}/consistencygroup/{gid}?action={action}", json=body
        )

    def ok(self, group: str, action: str, body=None):
        response = self.act(group, action, body)
        assert response.status_code == 200, response.get_json()
        return response

    def group(self, name: str) -> dict:
        response = self.api.get(f"/server/{self.sid}/consistencygroup/{self.gid(name)}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def members(self, group: str) -> set[str]:
        return set(self.group(group)["volumeIds"])

    def group_snapshots(self, group: str) -> list[dict]:
        response = self.api.get(f"/server/{self.sid}/consistencygroup/{self.gid(group)}/snapshot")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["snapshots"]

    def group_snapshot_names(self, group: str) -> set[str]:
        return {s["name"] for s in self.group_snapshots(group)}

    def snapshots(self, volume: str) -> dict[str, dict]:
        """The volume's snapshots by name."""
        response = self.api.get(f"/server/{self.sid}/volume/{self.vid(volume)}/snapshot")
        assert response.status_code == 200, response.get_json()
        return {s["name"]: s for s in response.get_json()["snapshots"]}

    def state(self) -> dict:
        """What a refused call must leave alone: the groups' members and settings, and
        the group snapshots of ``cg``."""
        response = self.api.get(f"/server/{self.sid}/consistencygroup")
        assert response.status_code == 200, response.get_json()
        return {
            "groups": response.get_json()["consistencyGroups"],
            "snapshots": self.group_snapshots("cg"),
        }

    def targets(self) -> list[dict]:
        """The targets of ``cg``, as add-volume answers them (re-adding a member is a no-op)."""
        return self.ok("cg", "add-volume", {"volumeId": self.vid("v1")}).get_json()["targets"]


def make_site(client, lab, **supports) -> Site:
    lab.seed(
        array_doc("alpha", 1, servers=[group_server(**supports), neighbour_server()]),
        array_doc(
            "beta",
            2,
            servers=[
                {
                    "pools": [{"name": "pool1", "capacity": "1TiB"}],
                    "volumes": [{"name": "outsider", "size": "1GiB"}],
                    "consistencyGroups": [{"name": "beta-cg", "volumes": ["outsider"]}],
                }
            ],
        ),
    )
    return Site(Api.login(client, "alpha.lab.test"))


@pytest.fixture
def site(client, lab, frozen) -> Site:
    """The lab, with the clock set to the moment it was seeded: ages are exact."""
    site = make_site(client, lab)
    frozen.ms = site.group("aged")["creationTime"]
    return site


@pytest.fixture
def beta(client, site) -> Site:
    """A session on the other array ``beta`` (its one server ``0``)."""
    return Site(Api.login(client, "beta.lab.test"), sid="0")


def replications(database) -> int:
    """Replication tasks started, as committed."""
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(LongTask))


GROUP_KEYS = ["id", "name", "creationTime", "volumeIds", "config", "targets"]


# -- add-volume / remove-volume ----------------------------------------------------------


def test_add_volume_makes_a_member_and_answers_the_group_with_its_targets(site):
    members_before = site.members("cg")
    body = {
        "volumeId": site.vid("free"),
        "poolId": site.pool_id("pool2"),
        "isIncremental": True,
        "snapshotName": "cg.first",
    }
    answer = site.ok("cg", "add-volume", body).get_json()

    assert list(answer) == GROUP_KEYS
    assert answer["id"] == site.gid("cg")
    assert answer["name"] == "cg"
    assert set(answer["volumeIds"]) == members_before | {site.vid("free")}
    assert answer["config"] == {"incremental": True, "replicationTarget": False}
    assert [{k: t[k] for k in ("name", "hostAddress")} for t in answer["targets"]] == [PARTNER]
    assert isinstance(answer["targets"][0]["id"], str)
    group = site.group("cg")
    assert set(group["volumeIds"]) == set(answer["volumeIds"])
    assert group["config"]["incremental"] is True

    # Adding a member again is answered again, nothing changes.
    again = site.ok("cg", "add-volume", {"volumeId": site.vid("free")}).get_json()
    assert sorted(again["volumeIds"]) == sorted(answer["volumeIds"])
    assert again["config"]["incremental"] is True


@pytest.mark.parametrize(
    ("where", "volume", "extra", "status", "says"),
    [
        pytest.param("s2", "far", {}, 409, "far", id="volume-of-another-server"),
        pytest.param(SID, "taken", {}, 409, "other", id="volume-in-another-group"),
        pytest.param(None, "424242", {}, 404, "424242", id="unknown-volume"),
        pytest.param("beta", "outsider", {}, 404, "", id="volume-of-another-array"),
        pytest.param(SID, "free", {"poolId": "424242"}, 404, "poolId", id="unknown-pool"),
    ],
)
def test_add_volume_refusals(site, beta, where, volume, extra, status, says):
    """``where``: the volume's server on alpha, ``beta`` (the other array), or
    None for an id nobody handed out."""
    volume_id = {None: lambda: volume, "beta": lambda: beta.vid(volume)}.get(
        where, lambda: site.vid(volume, sid=where)
    )()
    before = site.state()

    message = assert_error(site.act("cg", "add-volume", {"volumeId": volume_id, **extra}), status)[
        "message"
    ]

    assert says in message
    assert site.state() == before


def test_remove_volume_takes_members_out(site):
    answer = site.ok("cg", "remove-volume", {"volumeIds": [site.vid("v2")]}).get_json()

    assert list(answer) == GROUP_KEYS
    assert answer["volumeIds"] == [site.vid("v1")]
    assert [t["name"] for t in answer["targets"]] == ["partner"]
    assert site.members("cg") == {site.vid("v1")}
    # The volume is free again: another group may take it.
    assert (
        site.vid("v2")
        in site.ok("empty", "add-volume", {"volumeId": site.vid("v2")}).get_json()["volumeIds"]
    )


@pytest.mark.parametrize(
    ("volumes", "status"),
    [
        pytest.param(["424242"], 404, id="unknown"),
        pytest.param(["v1", "424242"], 404, id="member-and-unknown"),
        pytest.param(["free"], 409, id="in-no-group"),
        pytest.param(["taken"], 409, id="member-of-another-group"),
        pytest.param(["v1", "free"], 409, id="member-and-non-member"),
    ],
)
def test_remove_volume_refusals_change_nothing(site, volumes, status):
    ids = [v if v.isdigit() else site.vid(v) for v in volumes]
    before = site.state()

    message = assert_error(site.act("cg", "remove-volume", {"volumeIds": ids}), status)["message"]

    if status == 409:
        assert volumes[-1] in message
    assert site.state() == before


# -- invalid bodies and unknown groups --------------------------------------------------------

CONDENSE = {"ageInDays": 1, "numberOfInstances": 1, "snapshotPrefixes": ["daily"]}


@pytest.mark.parametrize(
    ("group", "action", "body", "bad"),
    [
        ("cg", "add-volume", {}, "volumeId"),
        ("cg", "add-volume", {"volumeId": "1", "isIncremental": "perhaps"}, "isIncremental"),
        ("cg", "remove-volume", {"volumeIds": "5"}, "volumeIds"),
        ("cg", "remove-volume", {"volumeIds": []}, "volumeIds"),
        ("aged", "condense", {"ageInDays": 1, "numberOfInstances": 1}, "snapshotPrefixes"),
        ("aged", "condense", {**CONDENSE, "snapshotPrefixes": "daily"}, "snapshotPrefixes"),
        ("aged", "condense", {**CONDENSE, "ageInDays": -1}, "ageInDays"),
        ("aged", "condense", {**CONDENSE, "numberOfInstances": "many"}, "numberOfInstances"),
        ("aged", "condense", {"snapshotPrefixes": ["daily"], "numberOfInstances": 1}, "ageInDays"),
        ("cg", "take-snapshot", {"replicate": "maybe"}, "replicate"),
        ("cg", "add-replication-target", {}, "targetName"),
    ],
)
def test_invalid_bodies_are_400_naming_the_field(site, group, action, body, bad):
    before = site.group_snapshot_names(group)

    response = site.act(group, action, body)

    assert bad in assert_error(response, 400)["message"]
    assert bad in response.get_json()["errors"]
    assert site.group_snapshot_names(group) == before


GROUP_ACTIONS = {
    "add-volume": {"volumeId": "1"},
    "remove-volume": {"volumeIds": ["1"]},
    "condense": CONDENSE,
    "take-snapshot": {"prefix": "x"},
    "add-replication-target": {"targetName": "partner"},
}


def test_actions_on_an_unknown_or_foreign_group_are_404(site, beta):
    foreign = {
        "unknown": "424242",
        "other-array": beta.gid("beta-cg"),
        "other-server": site.gid("cg-s2", sid="s2"),
    }
    for action, body in GROUP_ACTIONS.items():
        for whose, gid in foreign.items():
            response = site.act("", action, body, gid=gid)
            assert response.status_code == 404, (action, whose, response.get_json())
    assert beta.group_snapshot_names("beta-cg") == set()
    on_s2 = site.api.get(f"/server/s2/consistencygroup/{foreign['other-server']}/snapshot")
    assert on_s2.get_json() == {"snapshots": []}


# -- take-snapshot ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "name"),
    [("daily", f"daily.{STAMP}"), ("hourly-", f"hourly-{STAMP}"), ("db_", f"db_{STAMP}")],
)
def test_take_snapshot_snapshots_every_member_under_one_group_snapshot(site, frozen, prefix, name):
    frozen.ms = T_NAME
    before = site.group_snapshot_names("cg")

    answer = site.ok("cg", "take-snapshot", {"prefix": prefix}).get_json()

    assert list(answer) == ["id", "name"]
    assert answer["name"] == name
    assert {"id": answer["id"], "name": name} in site.group_snapshots("cg")
    assert site.group_snapshot_names("cg") == before | {name}
    for volume in ("v1", "v2"):
        snapshot = site.snapshots(volume)[name]
        assert snapshot["consistencyGroupSnapshotId"] == answer["id"]
        assert snapshot["creationTime"] == T_NAME
    assert name not in site.snapshots("free")
    # Not replicated: there is no progress to ask for.
    member = site.snapshots("v1")[name]["id"]
    progress = site.api.post(
        f"/server/{SID}/volume/{site.vid('v1')}/snapshot/{member}?action=get-Progress", json={}
    )
    assert_error(progress, 404)


def test_take_snapshot_of_an_empty_group_is_409(site):
    message = assert_error(site.act("empty", "take-snapshot", {"prefix": "daily"}), 409)["message"]

    assert "empty" in message
    assert site.group_snapshot_names("empty") == set()


def test_take_snapshot_is_all_or_nothing(site, frozen, database):
    """v2 (the later member) already has the name the call will generate: v1's
    snapshot, its replication and the group snapshot must all be undone."""
    frozen.ms = T_NAME
    name = f"daily.{STAMP}"
    taken = site.api.post(f"/server/{SID}/volume/{site.vid('v2')}/snapshot", json={"name": name})
    assert taken.status_code == 201, taken.get_json()
    before = site.state()

    message = assert_error(
        site.act("cg", "take-snapshot", {"prefix": "daily", "replicate": True}), 409
    )["message"]

    assert name in message
    assert "v2" in message
    assert name not in site.snapshots("v1")
    assert site.snapshots("v2")[name]["consistencyGroupSnapshotId"] is None
    assert site.state() == before
    assert replications(database) == 0

    # A moment later the same call goes through.
    frozen.advance(1)
    later = site.ok("cg", "take-snapshot", {"prefix": "daily"}).get_json()["name"]
    assert later in site.snapshots("v1")
    assert later in site.snapshots("v2")


def progress(site: Site, volume: str, snapshot_id: str, destination: str):
    return site.api.post(
        f"/server/{SID}/volume/{site.vid(volume)}/snapshot/{snapshot_id}?action=get-Progress",
        json={"destinationServerId": destination},
    )


def test_take_snapshot_replicate_sends_every_member_to_every_target(site):
    site.ok("cg", "add-replication-target", {"targetName": "partner2"})

    name = site.ok("cg", "take-snapshot", {"prefix": "dr", "replicate": True}).get_json()["name"]

    for volume in ("v1", "v2"):
        snapshot_id = site.snapshots(volume)[name]["id"]
        for target in ("partner", "partner2"):
            response = progress(site, volume, snapshot_id, target)
            assert response.status_code == 200, response.get_json()
            assert response.get_json()["name"] == name
        # s2's partner is no target of the group.
        assert_error(progress(site, volume, snapshot_id, "s2-partner"), 404)


def delete_member(site: Site, volume: str, snapshot_id: str):
    return site.api.delete(f"/server/{SID}/volume/{site.vid(volume)}/snapshot/{snapshot_id}")


def test_a_group_snapshot_goes_with_its_last_member(site):
    members = {v: site.snapshots(v)["cg.snap1"]["id"] for v in ("v1", "v2")}

    assert delete_member(site, "v1", members["v1"]).status_code == 204
    assert "cg.snap1" not in site.snapshots("v1")
    assert "cg.snap1" in site.group_snapshot_names("cg")

    assert delete_member(site, "v2", members["v2"]).status_code == 204
    assert "cg.snap1" not in site.group_snapshot_names("cg")


def test_deleting_a_member_snapshot_needs_delete_from_snapshot_group(client, lab, frozen):
    site = make_site(client, lab, deleteFromSnapshotGroup=False)
    member = site.snapshots("v1")["cg.snap1"]

    message = assert_error(delete_member(site, "v1", member["id"]), 409)["message"]

    assert "cg.snap1" in message
    assert member["consistencyGroupSnapshotId"] in message
    assert "deleteFromSnapshotGroup" in message
    assert site.snapshots("v1")["cg.snap1"] == member
    assert "cg.snap1" in site.group_snapshot_names("cg")


# -- condense ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefixes", "instances", "days", "deleted"),
    [
        pytest.param(["daily"], 2, 2, {"daily.3", "daily.4", "daily.5"}, id="doc-example"),
        pytest.param(["daily"], 0, 4, {"daily.4", "daily.5"}, id="age-only"),
        pytest.param(["daily"], 4, 0, {"daily.5"}, id="instances-only"),
        pytest.param(
            ["daily", "weekly"],
            1,
            0,
            {"daily.2", "daily.3", "daily.4", "daily.5", "weekly.1"},
            id="prefixes-counted-together",
        ),
        pytest.param(["hourly", "weekly"], 0, 1, {"weekly.1"}, id="young-one-stays"),
        pytest.param(["d"], 3, 5, {"daily.5"}, id="short-prefix"),
        pytest.param(["daily.1", "daily.2"], 0, 0, {"daily.1", "daily.2"}, id="exact-names"),
        pytest.param(["daily"], 10, 0, set(), id="fewer-than-instances"),
        pytest.param(["monthly"], 0, 0, set(), id="no-match"),
        pytest.param(["daily"], 0, 30, set(), id="none-old-enough"),
        pytest.param(["daily"], "2", "2", {"daily.3", "daily.4", "daily.5"}, id="numeric-strings"),
    ],
)
def test_condense_selection(site, prefixes, instances, days, deleted):
    body = {"ageInDays": days, "numberOfInstances": instances, "snapshotPrefixes": prefixes}

    response = site.ok("aged", "condense", body)

    assert response.data == b""
    remaining = set(AGED) - deleted
    assert site.group_snapshot_names("aged") == remaining
    for volume in ("a1", "a2"):
        assert set(site.snapshots(volume)) == remaining
    # Other groups are left alone.
    assert site.group_snapshot_names("cg") == {"cg.snap1"}


def test_condense_deletes_only_what_is_older_than_the_age(site, frozen):
    """At exactly two days old a snapshot is not older than two days; a
    millisecond later it is."""
    body = {"ageInDays": 2, "numberOfInstances": 0, "snapshotPrefixes": ["daily"]}
    frozen.advance(-AGED["daily.2"] * 3_600_000 + 2 * DAY_MS)

    site.ok("aged", "condense", body)
    assert site.group_snapshot_names("aged") == {"hourly.1", "weekly.1", "daily.1", "daily.2"}

    frozen.advance(1)
    site.ok("aged", "condense", body)
    assert site.group_snapshot_names("aged") == {"hourly.1", "weekly.1", "daily.1"}


def log_text(site: Site) -> str:
    response = site.api.client.get(
        f"{PREFIX}/log",
        headers={"x-storageplugin-sessionid": site.api.session_id, "Accept": "application/zip"},
    )
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.data)).read("api.log").decode()


def test_condense_keeps_a_snapshot_an_unsplit_clone_depends_on(site, frozen):
    gid = site.gid("aged")
    source = site.snapshots("a1")["daily.4"]["id"]
    cloned = site.api.post(
        f"/server/{SID}/volume/{site.vid('a1')}?action=clone",
        json={"snapshot": {"id": source}, "name": "daily4-clone"},
    )
    assert cloned.status_code == 200, cloned.get_json()
    body = {"ageInDays": 0, "numberOfInstances": 0, "snapshotPrefixes": ["daily"]}

    site.ok("aged", "condense", body)

    assert site.group_snapshot_names("aged") == {"daily.4", "hourly.1", "weekly.1"}
    for volume in ("a1", "a2"):
        assert set(site.snapshots(volume)) == {"daily.4", "hourly.1", "weekly.1"}
    log = log_text(site)
    assert f"condense group={gid} snapshot=daily.4: kept: clone daily4-clone depends on it" in log
    assert f"condense group={gid} snapshot=daily.5: deleted" in log

    # Once the clone is split it no longer holds the snapshot back.
    clone_id = cloned.get_json()["id"]
    split = site.api.post(f"/server/{SID}/volume/{clone_id}?action=split")
    assert split.status_code == 200, split.get_json()
    frozen.advance(DAY_MS)
    site.ok("aged", "condense", body)
    assert site.group_snapshot_names("aged") == {"hourly.1", "weekly.1"}


def test_condense_keeps_a_snapshot_still_replicating(site, frozen):
    name = site.ok("cg", "take-snapshot", {"prefix": "daily", "replicate": True}).get_json()["name"]
    body = {"ageInDays": 0, "numberOfInstances": 0, "snapshotPrefixes": ["daily"]}
    frozen.advance(1)

    site.ok("cg", "condense", body)

    assert name in site.group_snapshot_names("cg")
    assert f"snapshot={name}: kept: still replicating" in log_text(site)
    # v1's 10 GiB at the default rate take a fraction of a second.
    frozen.advance(60_000)
    site.ok("cg", "condense", body)
    assert site.group_snapshot_names("cg") == {"cg.snap1"}
    assert name not in site.snapshots("v1")


# -- add-replication-target and remote arrays -------------------------------------------------


def test_remote_arrays_are_listed_per_server(site):
    response = site.api.get(f"/server/{SID}/remotearray")
    assert response.status_code == 200
    assert response.get_json() == {"remoteArrays": [PARTNER, PARTNER2]}
    other = site.api.get("/server/s2/remotearray").get_json()["remoteArrays"]
    assert [p["name"] for p in other] == ["s2-partner"]


def test_add_replication_target_answers_the_partner_and_is_idempotent(site):
    first = site.ok("cg", "add-replication-target", {"targetName": "partner2"}).get_json()

    assert list(first) == ["id", "name", "hostAddress"]
    assert {"name": first["name"], "hostAddress": first["hostAddress"]} == PARTNER2
    again = site.ok("cg", "add-replication-target", {"targetName": "partner2"}).get_json()
    assert again == first
    targets = site.targets()
    assert [t["name"] for t in targets] == ["partner", "partner2"]
    assert first in targets
    # The group's existing target, added again, is answered as it is.
    existing = site.ok("cg", "add-replication-target", {"targetName": "partner"}).get_json()
    assert existing == next(t for t in targets if t["name"] == "partner")
    assert site.targets() == targets


@pytest.mark.parametrize("target", ["nobody", "s2-partner", "PARTNER2"])
def test_add_replication_target_names_a_remote_array_of_the_server(site, target):
    before = site.targets()

    message = assert_error(site.act("cg", "add-replication-target", {"targetName": target}), 404)[
        "message"
    ]

    assert target in message
    assert site.targets() == before


# -- server flags -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "action", "body"),
    [
        ("consistencyGroupReplication", "take-snapshot", {"prefix": "x", "replicate": True}),
        ("consistencyGroupReplication", "add-replication-target", {"targetName": "partner2"}),
        ("persistentConsistencyGroup", "add-volume", {"volumeId": "free"}),
        ("persistentConsistencyGroup", "remove-volume", {"volumeIds": ["v2"]}),
    ],
)
def test_server_flags_refuse_actions_with_400_naming_the_flag(
    client, lab, frozen, database, flag, action, body
):
    site = make_site(client, lab, **{flag: False})
    if "volumeId" in body:
        body = {"volumeId": site.vid(body["volumeId"])}
    if "volumeIds" in body:
        body = {"volumeIds": [site.vid(v) for v in body["volumeIds"]]}
    before = {
        "members": site.members("cg"),
        "snapshots": site.group_snapshot_names("cg"),
        "v1": set(site.snapshots("v1")),
    }

    message = assert_error(site.act("cg", action, body), 400)["message"]

    assert flag in message
    after = {
        "members": site.members("cg"),
        "snapshots": site.group_snapshot_names("cg"),
        "v1": set(site.snapshots("v1")),
    }
    assert after == before
    assert replications(database) == 0


@pytest.mark.parametrize(
    ("flag", "action", "body"),
    [
        ("consistencyGroupReplication", "take-snapshot", {"prefix": "x", "replicate": False}),
        ("persistentConsistencyGroup", "take-snapshot", {"prefix": "x"}),
        ("persistentConsistencyGroup", "condense", CONDENSE),
    ],
)
def test_server_flags_leave_other_actions_alone(client, lab, frozen, flag, action, body):
    site = make_site(client, lab, **{flag: False})

    site.ok("cg", action, body)
