"""Replication to partner arrays: the replica volume and snapshot on a partner
simulated here, ``get-Progress`` figures, name-only partners, incremental
transfers and the partner's capacity, ending in a disaster-recovery rehearsal.

The contract is the guide's Snapshot ``get-Progress`` call, the README's
"Behaving like a real array" and ``docs/replication.md``. Time is the
simulated clock, frozen (conftest's ``frozen``) and moved by the tests;
the rate is the app's ``REPLICATION_RATE``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select, update

from mockarray.array.models import LongTask, Snapshot, Volume
from tests.support.api import Api, control
from tests.support.checks import assert_error, bring_online, ok, unchanged
from tests.support.lab import array_doc

GiB = 2**30
#: Bytes per second; 10 GiB take 15 339.17 ms, so durations are rounded up.
RATE = 700_000_000
DR_HOST_IQN = "iqn.1998-01.com.vmware:dr-host"


def duration_ms(total: int, rate: int = RATE) -> int:
    """How long a transfer of ``total`` bytes takes: total/rate in ms, rounded up."""
    return -(-total * 1000 // rate)


def alpha_doc() -> dict:
    """``alpha``: group ``db`` (db-data 10 GiB, db-logs 2 GiB) replicates to
    ``bravo``, simulated here; ``cold-cg`` to ``vault``, only a name; ``solo``
    is in no group, so its snapshots go to both partners."""
    return array_doc(
        "alpha",
        1,
        servers=[
            {
                "pools": [{"name": "gold", "capacity": "1TiB"}],
                "remoteArrays": [
                    {"name": "bravo", "hostAddress": "198.51.100.2", "array": "bravo"},
                    {"name": "vault", "hostAddress": "203.0.113.9"},
                ],
                "volumes": [
                    {"name": "db-data", "size": "100GiB", "used": "10GiB"},
                    {"name": "db-logs", "size": "50GiB", "used": "2GiB"},
                    {
                        "name": "solo",
                        "size": "20GiB",
                        "used": "4GiB",
                        "snapshots": [{"name": "solo.local", "age": "1h"}],
                    },
                    {"name": "cold", "size": "10GiB", "used": "3GiB"},
                ],
                "consistencyGroups": [
                    {"name": "db", "volumes": ["db-data", "db-logs"], "targets": ["bravo"]},
                    {"name": "cold-cg", "volumes": ["cold"], "targets": ["vault"]},
                ],
            }
        ],
    )


def bravo_doc(capacity: str = "200GiB") -> dict:
    """``bravo``: alpha's DR partner, one pool and a host to map clones to."""
    return array_doc(
        "bravo",
        2,
        servers=[
            {
                "pools": [{"name": "dr", "capacity": capacity}],
                "remoteArrays": [
                    {"name": "alpha", "hostAddress": "198.51.100.1", "array": "alpha"}
                ],
                "hosts": [{"name": "dr-host", "iqns": [DR_HOST_IQN]}],
            }
        ],
    )


@dataclass
class Side:
    """A session on one array's server ``0``, with lookups by name."""

    api: Api
    sid: str = "0"

    def ids(self, kind: str, key: str) -> dict[str, str]:
        return self.api.ids(f"/server/{self.sid}/{kind}", key)

    def vid(self, volume: str) -> str:
        return self.ids("volume", "volumes")[volume]

    def snapshots(self, volume: str) -> dict[str, dict]:
        """The volume's snapshots by name, as this session sees them."""
        response = self.api.get(f"/server/{self.sid}/volume/{self.vid(volume)}/snapshot")
        assert response.status_code == 200, response.get_json()
        return {s["name"]: s for s in response.get_json()["snapshots"]}

    def free(self, pool: str) -> int:
        pools = self.api.get(f"/server/{self.sid}/pool").get_json()["pools"]
        return next(p["freeSpace"] for p in pools if p["name"] == pool)

    def take(self, group: str, prefix: str) -> str:
        """A replicated snapshot of the group; its name."""
        gid = self.ids("consistencygroup", "consistencyGroups")[group]
        response = self.api.post(
            f"/server/{self.sid}/consistencygroup/{gid}?action=take-snapshot",
            json={"prefix": prefix, "replicate": True},
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()["name"]

    def progress(self, volume: str, name: str, **body):
        snapshot_id = self.snapshots(volume)[name]["id"]
        return self.api.post(
            f"/server/{self.sid}/volume/{self.vid(volume)}/snapshot/{snapshot_id}"
            "?action=get-Progress",
            json=body,
        )

    def status(self, volume: str, name: str, **body) -> dict:
        """``snapshotReplicationStatus`` of the volume's snapshot, checked for consistency."""
        response = self.progress(volume, name, **body)
        assert response.status_code == 200, response.get_json()
        answer = response.get_json()
        assert list(answer) == ["name", "creationTime", "snapshotReplicationStatus"]
        assert answer["name"] == name
        assert answer["creationTime"] == self.snapshots(volume)[name]["creationTime"]
        return answer["snapshotReplicationStatus"]


def assert_consistent(status: dict, now: int) -> None:
    """The figures of one replication status agree with each other and with the clock."""
    total = status["totalSizeToBeSynchronized"]
    duration = duration_ms(total, status["transferRate"])
    ends = status["startTime"] + duration
    assert status["inProgress"] is (not status["isCompleted"])
    assert 0 <= status["transferred"] <= total
    assert 0 <= status["percentComplete"] <= 100
    # percentComplete is rounded down: transferred is at most 1 % ahead of it.
    assert abs(status["transferred"] - total * status["percentComplete"] / 100) <= total / 100 + 1
    if status["isCompleted"]:
        assert now >= ends
        assert status["completeTime"] - status["startTime"] == duration
        assert status["percentComplete"] == 100
        assert status["transferred"] == total
        assert status["estimatedSyncTime"] == 0
    else:
        assert now < ends
        assert status["completeTime"] is None
        assert status["percentComplete"] < 100
        assert status["estimatedSyncTime"] == ends - now


def make_sides(app, client, lab, bravo_capacity: str = "200GiB") -> tuple[Side, Side]:
    app.config["REPLICATION_RATE"] = RATE
    lab.seed(alpha_doc(), bravo_doc(bravo_capacity))
    return Side(Api.login(client, "alpha.lab.test")), Side(Api.login(client, "bravo.lab.test"))


@pytest.fixture
def sides(app, client, lab, frozen) -> tuple[Side, Side]:
    """Sessions on ``alpha`` and on its partner ``bravo``."""
    return make_sides(app, client, lab)


def count(database, model, *where) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def replica_snapshot_id(database, replica_volume_id: str, name: str) -> str:
    """The replica snapshot's id, read from the database (the API hides it until complete)."""
    with database.transaction() as session:
        return str(
            session.scalar(
                select(Snapshot.id).where(
                    Snapshot.volume_id == int(replica_volume_id), Snapshot.name == name
                )
            )
        )


def host_writes(database, volume_id: str, *, grow: int, overwrite: int) -> None:
    """A host writes to the volume: ``grow`` new bytes, and ``overwrite`` bytes
    that its newest snapshot now holds on its own."""
    with database.transaction() as session:
        vid = int(volume_id)
        newest = session.scalar(
            select(Snapshot.id)
            .where(Snapshot.volume_id == vid)
            .order_by(Snapshot.created_ms.desc(), Snapshot.id.desc())
            .limit(1)
        )
        session.execute(
            update(Volume).where(Volume.id == vid).values(used_bytes=Volume.used_bytes + grow)
        )
        session.execute(
            update(Snapshot)
            .where(Snapshot.id == newest)
            .values(used_bytes=Snapshot.used_bytes + overwrite)
        )


# -- the story ---------------------------------------------------------------------------------


def test_disaster_recovery_rehearsal(sides, frozen, database):
    alpha, bravo = sides
    free_before = bravo.free("dr")
    assert "alpha-db-data" not in bravo.ids("volume", "volumes")

    # On alpha: a replicated snapshot of the database's consistency group.
    started = frozen.ms
    name = alpha.take("db", "dr")
    total = 10 * GiB
    duration = duration_ms(total)

    status = alpha.status("db-data", name)
    assert_consistent(status, frozen.ms)
    assert status["startTime"] == started
    assert status["totalSizeToBeSynchronized"] == total
    assert status["transferRate"] == RATE
    assert (status["percentComplete"], status["transferred"]) == (0, 0)
    assert status["estimatedSyncTime"] == duration
    assert status["inProgress"] is True

    # On bravo: the replica volume is there, its snapshot is not, by any path.
    replica = bravo.vid("alpha-db-data")
    replica_id = replica_snapshot_id(database, replica, name)
    assert bravo.snapshots("alpha-db-data") == {}
    assert bravo.api.get(f"/server/0/volume/{replica}/snapshot/{replica_id}").status_code == 404
    early = bravo.api.post(
        f"/server/0/volume/{replica}?action=clone",
        json={"snapshot": {"id": replica_id}, "name": "too-early"},
    )
    assert early.status_code == 404, early.get_json()

    frozen.advance(duration // 2)
    status = alpha.status("db-data", name)
    assert_consistent(status, frozen.ms)
    assert status["inProgress"] is True
    assert 49 <= status["percentComplete"] <= 50
    frozen.advance(duration - duration // 2 - 1)
    assert_consistent(alpha.status("db-data", name), frozen.ms)
    assert name not in bravo.snapshots("alpha-db-data")

    # The last millisecond: complete on both sides.
    frozen.advance(1)
    status = alpha.status("db-data", name)
    assert_consistent(status, frozen.ms)
    assert status["isCompleted"] is True
    assert status["completeTime"] == started + duration
    source = alpha.snapshots("db-data")[name]
    arrived = bravo.snapshots("alpha-db-data")[name]
    assert arrived["id"] == replica_id
    assert arrived["creationTime"] == source["creationTime"]
    assert name in bravo.snapshots("alpha-db-logs")
    with database.transaction() as session:
        flagged = session.execute(
            select(Volume.name, Volume.replication_target, Volume.replica_of_volume_id).where(
                Volume.replication_target.is_(True)
            )
        ).all()
    assert sorted(flagged) == [
        ("alpha-db-data", True, int(alpha.vid("db-data"))),
        ("alpha-db-logs", True, int(alpha.vid("db-logs"))),
    ]
    assert bravo.free("dr") == free_before - 12 * GiB

    # On bravo: clone the replica snapshot and give the clone to the DR host.
    cloned = bravo.api.post(
        f"/server/0/volume/{replica}?action=clone",
        json={"snapshot": {"id": replica_id}, "name": "db-data-dr"},
    )
    assert cloned.status_code == 200, cloned.get_json()
    clone = cloned.get_json()
    assert clone["stats"]["usedSize"] == total
    host = bravo.ids("host", "hosts")["dr-host"]
    mapped = bravo.api.post(f"/server/0/host/{host}?action=map", json={"volumeId": clone["id"]})
    assert mapped.status_code == 200, mapped.get_json()
    luns = bravo.api.get(f"/server/0/host/{host}/lun").get_json()["luns"]
    assert [(lun["name"], lun["volumeId"]) for lun in luns] == [("db-data-dr", clone["id"])]
    # A thin clone shares the snapshot's data: no more space taken.
    assert bravo.free("dr") == free_before - 12 * GiB


# -- progress ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [RATE, 3 * GiB, 10 * GiB])
def test_progress_figures_agree_at_every_moment(app, sides, frozen, rate):
    app.config["REPLICATION_RATE"] = rate
    alpha, _ = sides
    name = alpha.take("db", "sync")
    start = frozen.ms
    duration = duration_ms(10 * GiB, rate)

    seen = []
    for at in [0, 1, duration // 3, duration // 2, duration - 1, duration, duration + 60_000]:
        frozen.ms = start + at
        status = alpha.status("db-data", name)
        assert_consistent(status, frozen.ms)
        assert status["transferRate"] == rate
        assert status["completeTime"] in (None, start + duration)
        seen.append((status["percentComplete"], status["transferred"]))
    assert seen == sorted(seen), "progress only grows"
    assert seen[-1] == (100, 10 * GiB)
    assert seen[-3][0] < 100


def test_progress_names_the_destination(sides):
    alpha, _ = sides
    alpha.api.post(
        f"/server/0/volume/{alpha.vid('solo')}/snapshot", json={"name": "s1", "replicate": True}
    )

    for destination in ("bravo", "vault"):
        assert alpha.progress("solo", "s1", destinationServerId=destination).status_code == 200
    assert alpha.progress("solo", "s1", destinationServerId="nowhere").status_code == 404


def test_progress_of_a_snapshot_never_replicated_is_404(sides):
    alpha, _ = sides

    response = alpha.progress("solo", "solo.local")

    assert response.status_code == 404
    assert "solo.local" in response.get_json()["message"]


# -- volume snapshots, name-only partners, increments, capacity ---------------------------------


def test_a_replicated_volume_snapshot_reaches_the_partner(sides, frozen):
    alpha, bravo = sides
    taken = alpha.api.post(
        f"/server/0/volume/{alpha.vid('solo')}/snapshot",
        json={"name": "solo.r1", "replicate": True},
    )
    assert taken.status_code == 201, taken.get_json()
    status = alpha.status("solo", "solo.r1", destinationServerId="bravo")
    assert status["totalSizeToBeSynchronized"] == 4 * GiB
    assert bravo.snapshots("alpha-solo") == {}

    frozen.advance(duration_ms(4 * GiB))

    assert alpha.status("solo", "solo.r1", destinationServerId="bravo")["isCompleted"] is True
    assert alpha.status("solo", "solo.r1", destinationServerId="vault")["isCompleted"] is True
    assert list(bravo.snapshots("alpha-solo")) == ["solo.r1"]


def test_a_name_only_partner_completes_without_a_replica(sides, frozen, database):
    alpha, bravo = sides
    volumes_before = bravo.ids("volume", "volumes")
    name = alpha.take("cold-cg", "vault")

    status = alpha.status("cold", name)
    assert status["inProgress"] is True
    assert status["totalSizeToBeSynchronized"] == 3 * GiB
    frozen.advance(duration_ms(3 * GiB))
    status = alpha.status("cold", name)
    assert_consistent(status, frozen.ms)
    assert status["isCompleted"] is True

    assert bravo.ids("volume", "volumes") == volumes_before
    assert count(database, Volume, Volume.replica_of_volume_id.is_not(None)) == 0
    with database.transaction() as session:
        task = session.scalar(select(LongTask).where(LongTask.kind == "replication"))
        assert task.destination_snapshot_id is None


def test_the_second_replication_sends_only_what_changed(sides, frozen, database):
    alpha, bravo = sides
    first = alpha.take("db", "first")
    frozen.advance(duration_ms(10 * GiB))
    assert alpha.status("db-data", first)["isCompleted"] is True
    free_after_first = bravo.free("dr")
    replica = bravo.api.get(f"/server/0/volume/{bravo.vid('alpha-db-data')}").get_json()
    assert replica["stats"]["usedSize"] == 10 * GiB

    host_writes(database, alpha.vid("db-data"), grow=3 * GiB, overwrite=1 * GiB)
    frozen.advance(1000)
    second = alpha.take("db", "second")

    status = alpha.status("db-data", second)
    assert status["totalSizeToBeSynchronized"] == 4 * GiB  # 1 GiB overwritten + 3 GiB new
    assert_consistent(status, frozen.ms)
    unchanged = alpha.status("db-logs", second)
    assert unchanged["totalSizeToBeSynchronized"] == 0
    assert unchanged["isCompleted"] is True
    # The replica grows by what the source grew, no more.
    assert bravo.free("dr") == free_after_first - 3 * GiB
    replica = bravo.api.get(f"/server/0/volume/{bravo.vid('alpha-db-data')}").get_json()
    assert replica["stats"]["usedSize"] == 13 * GiB
    assert bravo.ids("volume", "volumes").keys() >= {"alpha-db-data", "alpha-db-logs"}
    assert len([v for v in bravo.ids("volume", "volumes") if v.startswith("alpha-")]) == 2

    frozen.advance(duration_ms(4 * GiB))
    assert list(bravo.snapshots("alpha-db-data")) == [first, second]


def test_the_replica_takes_space_in_the_partners_pool(sides, frozen):
    alpha, bravo = sides
    free_before = bravo.free("dr")
    source_free_before = alpha.free("gold")
    system_before = bravo.api.get("/server/0/system").get_json()

    alpha.take("db", "space")

    assert bravo.free("dr") == free_before - 12 * GiB
    system = bravo.api.get("/server/0/system").get_json()
    assert system["volumesSizeInBytes"] == system_before["volumesSizeInBytes"] + 12 * GiB
    assert system["capacityInBytes"] - system["totalSizeInBytes"] == bravo.free("dr")
    assert system["provisionedSizeInBytes"] == system_before["provisionedSizeInBytes"] + 150 * GiB
    # The source array's pool is not charged for the copy.
    frozen.advance(duration_ms(10 * GiB))
    assert alpha.free("gold") == source_free_before
    assert bravo.free("dr") == free_before - 12 * GiB


def test_a_member_volume_snapshot_goes_to_its_groups_targets(sides):
    alpha, _ = sides
    taken = alpha.api.post(
        f"/server/0/volume/{alpha.vid('db-data')}/snapshot",
        json={"name": "db.r1", "replicate": True},
    )
    assert taken.status_code == 201, taken.get_json()

    assert alpha.progress("db-data", "db.r1", destinationServerId="bravo").status_code == 200
    assert alpha.progress("db-data", "db.r1", destinationServerId="vault").status_code == 404


def test_a_partner_without_room_refuses_the_whole_group_snapshot(
    app, client, lab, frozen, database
):
    """bravo has room for db-data's 10 GiB but not for db-logs' 2 GiB more: the
    call is 507 and leaves nothing behind on either array."""
    alpha, bravo = make_sides(app, client, lab, bravo_capacity="11GiB")
    gid = alpha.ids("consistencygroup", "consistencyGroups")["db"]

    response = alpha.api.post(
        f"/server/0/consistencygroup/{gid}?action=take-snapshot",
        json={"prefix": "dr", "replicate": True},
    )

    assert response.status_code == 507, response.get_json()
    assert "db-logs" in response.get_json()["message"]
    assert alpha.snapshots("db-data") == {}
    assert alpha.api.get(f"/server/0/consistencygroup/{gid}/snapshot").get_json() == {
        "snapshots": []
    }
    assert bravo.ids("volume", "volumes") == {}
    assert bravo.free("dr") == 11 * GiB
    assert count(database, LongTask) == 0


def test_a_snapshot_cannot_be_deleted_while_it_is_being_sent(sides, frozen):
    alpha, bravo = sides
    vid = alpha.vid("solo")
    taken = alpha.api.post(
        f"/server/0/volume/{vid}/snapshot", json={"name": "solo.busy", "replicate": True}
    ).get_json()

    refused = alpha.api.delete(f"/server/0/volume/{vid}/snapshot/{taken['id']}")
    assert refused.status_code == 409
    assert "still being replicated to bravo" in refused.get_json()["message"]

    frozen.advance(duration_ms(4 * GiB))
    assert alpha.api.delete(f"/server/0/volume/{vid}/snapshot/{taken['id']}").status_code == 204
    assert list(bravo.snapshots("alpha-solo")) == ["solo.busy"]


def test_progress_finds_the_destination_by_the_replicas_name(sides):
    alpha, _ = sides
    alpha.api.post(
        f"/server/0/volume/{alpha.vid('solo')}/snapshot", json={"name": "s2", "replicate": True}
    )
    named = alpha.progress("solo", "s2", destinationSnapshotId="s2")
    assert named.status_code == 200
    assert alpha.progress("solo", "s2", destinationSnapshotId="nope").status_code == 404


# -- neither end of a running transfer can be deleted ------------------------------------------


def test_a_volume_whose_snapshot_is_being_sent_cannot_be_deleted(sides, frozen):
    alpha, bravo = sides
    vid = alpha.vid("solo")
    ok(
        alpha.api.post(f"/server/0/volume/{vid}/snapshot", json={"name": "s1", "replicate": True}),
        201,
    )

    with unchanged(alpha.api), unchanged(bravo.api):
        assert_error(
            alpha.api.delete(f"/server/0/volume/{vid}"), 409, "'solo'", "'s1' to bravo", "vault"
        )

    frozen.advance(duration_ms(4 * GiB))
    assert alpha.api.delete(f"/server/0/volume/{vid}").status_code == 200
    assert list(bravo.snapshots("alpha-solo")) == ["s1"]


def test_a_replica_volume_cannot_be_deleted_while_a_transfer_into_it_runs(sides, frozen):
    alpha, bravo = sides
    name = alpha.take("db", "dr")
    replica = bravo.vid("alpha-db-data")

    with unchanged(alpha.api), unchanged(bravo.api):
        assert_error(
            bravo.api.delete(f"/server/0/volume/{replica}"),
            409,
            "'alpha-db-data'",
            f"'{name}' of volume 'db-data' on array 'alpha'",
        )

    frozen.advance(duration_ms(10 * GiB))
    assert bravo.api.delete(f"/server/0/volume/{replica}").status_code == 200
    # The source reports the transfer complete, and it was.
    assert alpha.status("db-data", name)["isCompleted"] is True


# -- incremental only from a base both sides hold ------------------------------------------------


@pytest.mark.parametrize("gone", ["replica snapshot", "replica volume"])
def test_the_next_replication_is_full_when_the_partners_base_is_gone(sides, frozen, gone):
    alpha, bravo = sides
    first = alpha.take("db", "first")
    frozen.advance(duration_ms(10 * GiB))
    replica = bravo.vid("alpha-db-data")
    if gone == "replica snapshot":
        snapshot_id = bravo.snapshots("alpha-db-data")[first]["id"]
        ok(bravo.api.delete(f"/server/0/volume/{replica}/snapshot/{snapshot_id}"), 204)
    else:
        assert bravo.api.delete(f"/server/0/volume/{replica}").status_code == 200

    frozen.advance(1000)
    second = alpha.take("db", "second")

    status = alpha.status("db-data", second)
    assert status["totalSizeToBeSynchronized"] == 10 * GiB
    assert status["percentComplete"] == 0
    assert_consistent(status, frozen.ms)
    frozen.advance(duration_ms(10 * GiB))
    assert second in bravo.snapshots("alpha-db-data")


# -- a replica volume is a read-only destination ------------------------------------------------


def test_a_replica_volume_refuses_writes_restores_and_snapshots(client, sides, frozen):
    alpha, bravo = sides
    name = alpha.take("db", "dr")
    frozen.advance(duration_ms(10 * GiB))
    replica = bravo.vid("alpha-db-data")
    replica_snapshot = bravo.snapshots("alpha-db-data")[name]["id"]
    logs_snapshot = bravo.snapshots("alpha-db-logs")[name]["id"]
    source = ("read-only replica of volume 'db-data' on array 'alpha'",)

    with unchanged(bravo.api):
        assert_error(
            bravo.api.post(f"/server/0/volume/{replica}/snapshot", json={"name": "local"}),
            409,
            *source,
        )
        assert_error(
            bravo.api.post(
                f"/server/0/volume/{replica}?action=restore",
                json={"snapshotId": replica_snapshot},
            ),
            409,
            *source,
        )
        assert_error(
            bravo.api.post(
                f"/server/0/volume/{bravo.vid('alpha-db-logs')}?action=restore-to-alternate",
                json={"sourceSnapshotId": logs_snapshot, "targetVolumeId": replica},
            ),
            409,
            *source,
        )
        assert_error(
            control(
                client,
                "POST",
                "/arrays/bravo/servers/0/volumes/alpha-db-data/writes",
                {"bytes": GiB},
            ),
            409,
            *source,
        )
        gid = bravo.ids("consistencygroup", "consistencyGroups")["alpha-db"]
        assert_error(
            bravo.api.post(
                f"/server/0/consistencygroup/{gid}?action=take-snapshot", json={"prefix": "x"}
            ),
            409,
            *source,
        )


def test_a_replica_volume_maps_and_its_clones_are_ordinary_volumes(client, sides, frozen):
    alpha, bravo = sides
    name = alpha.take("db", "dr")
    frozen.advance(duration_ms(10 * GiB))
    replica = bravo.vid("alpha-db-data")
    host = bravo.ids("host", "hosts")["dr-host"]

    ok(bravo.api.post(f"/server/0/host/{host}?action=map", json={"volumeId": replica}))
    clone = ok(
        bravo.api.post(
            f"/server/0/volume/{replica}?action=clone",
            json={"snapshot": {"name": name}, "name": "db-data-dr"},
        )
    )
    bring_online(bravo.api, clone["id"])
    written = ok(
        control(client, "POST", "/arrays/bravo/servers/0/volumes/db-data-dr/writes", {"bytes": GiB})
    )
    assert written["name"] == "db-data-dr"
    ok(bravo.api.post(f"/server/0/volume/{clone['id']}/snapshot", json={"name": "dr.1"}), 201)
    ok(bravo.api.post(f"/server/0/volume/{clone['id']}?action=split"))


# -- a group snapshot lands as a consistency group -----------------------------------------------


def test_a_replicated_group_snapshot_lands_as_a_consistency_group(sides, frozen):
    alpha, bravo = sides
    name = alpha.take("db", "dr")

    (group,) = bravo.api.get("/server/0/consistencygroup").get_json()["consistencyGroups"]
    assert group["name"] == "alpha-db"
    replicas = {bravo.vid("alpha-db-data"), bravo.vid("alpha-db-logs")}
    assert set(group["volumeIds"]) == replicas
    path = f"/server/0/consistencygroup/{group['id']}/snapshot"
    assert ok(bravo.api.get(path)) == {"snapshots": []}

    frozen.advance(duration_ms(10 * GiB))
    (arrived,) = ok(bravo.api.get(path))["snapshots"]
    assert arrived["name"] == name
    for volume in ("alpha-db-data", "alpha-db-logs"):
        assert bravo.snapshots(volume)[name]["consistencyGroupSnapshotId"] == arrived["id"]
    # As on the source.
    source = alpha.snapshots("db-data")[name]["consistencyGroupSnapshotId"]
    assert source is not None


# -- the rate get-Progress reports ----------------------------------------------------------------


@pytest.mark.parametrize("speed", [4, 0.5])
def test_progress_reports_the_effective_rate_under_a_speed_factor(client, sides, frozen, speed):
    alpha, _ = sides
    ok(control(client, "PUT", "/clock", {"speed": speed}))
    name = alpha.take("db", "fast")
    started = frozen.ms

    status = alpha.status("db-data", name)
    assert status["transferRate"] == int(RATE * speed)
    assert_consistent(status, frozen.ms)
    frozen.advance(duration_ms(10 * GiB, int(RATE * speed)))
    status = alpha.status("db-data", name)
    assert_consistent(status, frozen.ms)
    assert status["completeTime"] == started + duration_ms(10 * GiB, status["transferRate"])


def test_quick_progress_reports_a_rate_that_agrees_with_its_complete_time(app, sides, frozen):
    app.config["REPLICATION_RATE"] = "quick"
    alpha, _ = sides
    name = alpha.take("db", "quick")
    started = frozen.ms

    status = alpha.status("db-data", name)
    assert_consistent(status, frozen.ms)
    frozen.advance(status["estimatedSyncTime"])
    status = alpha.status("db-data", name)
    assert_consistent(status, frozen.ms)
    assert 2000 <= status["completeTime"] - started <= 8000
