"""Space adds up after every kind of restore (issue 9 §6; docs/array-rules.md, "Restores").

On the demo lab's shapes (``oradb-data``: three snapshots holding 40, 35 and
12 GiB of their own, ``daily.1`` cloned into ``oradb-data-testclone``, and two
consistency-group snapshots holding nothing of their own): reverting keeps the
other snapshots; a snapshot whose data the volume still is (else the newest)
keeps the replaced blocks it shares; only blocks in no snapshot are freed. After each kind of
restore, each pool's free space is its capacity less its volumes and
snapshots, and ``/system`` agrees with the pools.
"""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from mockarray.array import capacity, inventory, snapshots, volumes
from mockarray.array.models import Pool, Snapshot, Volume
from mockarray.lab.seeding.loader import demo_fixture_text
from tests.support.api import Api
from tests.support.checks import listed, ok

GiB = 2**30


@pytest.fixture
def demo(lab):
    """The demo lab's arrays; the id of alpha."""
    arrays = lab.seed(*yaml.safe_load(demo_fixture_text())["arrays"], source="demo.yaml")
    return next(a.id for a in arrays if a.name == "alpha")


# -- behaviour ------------------------------------------------------------------------------


def figures(session, server) -> dict[str, int]:
    """Each pool's free space, checked to be its capacity less what its volumes and the
    snapshots placed in it take, and ``/system`` checked against the pools."""
    session.flush()
    session.expire_all()
    all_volumes = list(session.scalars(select(Volume).where(Volume.server_id == server.id)))
    takes = {
        v.id: v.size_bytes if not v.thin else v.used_bytes - v.shared_bytes for v in all_volumes
    }
    rows = session.execute(
        select(Snapshot.used_bytes, Snapshot.pool_id, Volume.pool_id)
        .join(Volume, Snapshot.volume_id == Volume.id)
        .where(Volume.server_id == server.id)
    ).all()
    free = {}
    for pool in session.scalars(select(Pool).where(Pool.server_id == server.id)):
        taken = sum(takes[v.id] for v in all_volumes if v.pool_id == pool.id)
        taken += sum(used for used, placed, home in rows if (placed or home) == pool.id)
        free[pool.name] = pool.capacity_bytes - taken
        assert capacity.free_bytes(session, pool.id) == free[pool.name], pool.name
    report = capacity.system_report(session, server)
    assert report.volumes_size_bytes == sum(takes.values())
    assert report.snapshots_size_bytes == sum(used for used, _, _ in rows)
    assert report.capacity_bytes - report.total_size_bytes == sum(free.values())
    return free


def own(session, server, volume: str) -> dict[str, int]:
    """``{snapshot name: bytes it holds on its own}`` of a volume."""
    vid = inventory.volume_id_by_name(session, server, volume)
    return {s.name: s.used_bytes for s in inventory.list_snapshots(session, server, vid)[0]}


def snapshot_id(session, server, volume: str, name: str) -> str:
    vid = inventory.volume_id_by_name(session, server, volume)
    return str(
        next(s.id for s in inventory.list_snapshots(session, server, vid)[0] if s.name == name)
    )


def test_every_kind_of_restore_adds_up_on_the_demo_lab(demo, database):
    def call():
        return database.transaction()

    def server_of(session):
        return inventory.get_server(session, demo, "svm-db")

    with call() as session:
        server = server_of(session)
        start = figures(session, server)
        assert own(session, server, "oradb-data") == {
            "oradb-data.daily.3": 40 * GiB,
            "oradb-data.daily.2": 35 * GiB,
            "oradb-data.daily.1": 12 * GiB,
            "oradb-cg.daily.2": 0,
            "oradb-cg.daily.1": 0,
        }
        data = inventory.volume_id_by_name(session, server, "oradb-data")
        used = inventory.get_volume(session, server, data).used_bytes

    # restore-to-new: an independent copy of daily.2 (thin: its used size).
    with call() as session:
        server = server_of(session)
        copy = volumes.restore_to_new(
            session,
            server,
            data,
            source_snapshot_id=snapshot_id(session, server, "oradb-data", "oradb-data.daily.2"),
            target_volume_name="oradb-copy",
            target_pool_ids=[],
        )
        copy_id = str(copy.id)
        after_new = figures(session, server)
    assert after_new["gold"] == start["gold"] - used

    # restore-to-alternate over the copy, once it has a snapshot: that snapshot keeps
    # the replaced data it shared with the copy (all of it).
    with call() as session:
        server = server_of(session)
        snapshots.create_snapshot(session, server, copy_id, name="oradb-copy.1")
        volumes.restore_to_alternate(
            session,
            server,
            data,
            source_snapshot_id=snapshot_id(session, server, "oradb-data", "oradb-data.daily.3"),
            target_volume_id=copy_id,
        )
        after_alternate = figures(session, server)
        assert own(session, server, "oradb-copy") == {"oradb-copy.1": used}
    assert after_alternate["gold"] == after_new["gold"] - used

    # restore in place to the oldest snapshot: the newer ones stay. oradb-cg.daily.1
    # (the newest; it holds nothing of its own: the volume is still its data) keeps
    # the 40 GiB of the volume that daily.3 lacks: nothing is freed (it was 40 GiB).
    with call() as session:
        server = server_of(session)
        volumes.restore(
            session,
            server,
            data,
            snapshot_id=snapshot_id(session, server, "oradb-data", "oradb-data.daily.3"),
        )
        after_revert = figures(session, server)
        assert own(session, server, "oradb-data") == {
            "oradb-data.daily.3": 0,
            "oradb-data.daily.2": 35 * GiB,
            "oradb-data.daily.1": 12 * GiB,
            "oradb-cg.daily.2": 0,
            "oradb-cg.daily.1": 40 * GiB,
        }
    assert after_revert["gold"] == after_alternate["gold"]
    assert {k: v for k, v in after_revert.items() if k != "gold"} == {
        k: v for k, v in start.items() if k != "gold"
    }

    # Then to daily.1: its 12 GiB are the volume's again, and the 12 GiB of the
    # volume it lacks are kept by daily.3, whose data the volume still was:
    # nothing is freed.
    with call() as session:
        server = server_of(session)
        volumes.restore(
            session,
            server,
            data,
            snapshot_id=snapshot_id(session, server, "oradb-data", "oradb-data.daily.1"),
        )
        after_back = figures(session, server)
        held = own(session, server, "oradb-data")
        assert (held["oradb-data.daily.1"], held["oradb-data.daily.3"]) == (0, 12 * GiB)
    assert after_back == after_revert


# -- through the plugin API -----------------------------------------------------------------


def api_figures(api: Api) -> dict[str, int]:
    """Each pool's free space, with ``/system`` checked against the pools."""
    pools = listed(api, "/server/svm-db/pool", "pools")
    system = ok(api.get("/server/svm-db/system"))
    free = {pool["name"]: pool["freeSpace"] for pool in pools}
    assert system["totalSizeInBytes"] == (
        system["volumesSizeInBytes"] + system["snapshotsSizeInBytes"] + system["systemSizeInBytes"]
    )
    assert system["capacityInBytes"] - system["totalSizeInBytes"] == sum(free.values())
    return free


def test_api_an_in_place_restore_to_an_older_snapshot_frees_nothing_a_snapshot_holds(client, demo):
    api = Api.login(client, "alpha.lab.example", password="passw0rd")
    vols = {v["name"]: v["id"] for v in listed(api, "/server/svm-db/volume", "volumes")}
    data = vols["oradb-data"]
    snaps = {
        s["name"]: s["id"]
        for s in listed(api, f"/server/svm-db/volume/{data}/snapshot", "snapshots")
    }
    before = api_figures(api)
    snapshots_before = ok(api.get("/server/svm-db/system"))["snapshotsSizeInBytes"]

    ok(
        api.post(
            f"/server/svm-db/volume/{data}?action=restore",
            json={"snapshotId": snaps["oradb-data.daily.3"]},
        )
    )

    after = api_figures(api)
    # Not the 40 GiB daily.3 held: the newest snapshot (oradb-cg.daily.1, whose data
    # the volume still was) keeps the 40 GiB of the volume that daily.3 lacks.
    assert after == before
    assert ok(api.get("/server/svm-db/system"))["snapshotsSizeInBytes"] == snapshots_before


def test_api_restore_to_alternate_and_to_new_add_up(client, demo):
    api = Api.login(client, "alpha.lab.example", password="passw0rd")
    vols = {v["name"]: v["id"] for v in listed(api, "/server/svm-db/volume", "volumes")}
    data = vols["oradb-data"]
    snaps = {
        s["name"]: s["id"]
        for s in listed(api, f"/server/svm-db/volume/{data}/snapshot", "snapshots")
    }
    used = ok(api.get(f"/server/svm-db/volume/{data}"))["stats"]["usedSize"]
    before = api_figures(api)
    copy = ok(
        api.post(
            f"/server/svm-db/volume/{data}?action=restore-to-new",
            json={"sourceSnapshotId": snaps["oradb-data.daily.2"], "targetVolumeName": "copy"},
        )
    )
    after_new = api_figures(api)
    assert after_new["gold"] == before["gold"] - used
    ok(api.post(f"/server/svm-db/volume/{copy['id']}/snapshot", json={"name": "copy.1"}), 201)
    ok(
        api.post(
            f"/server/svm-db/volume/{data}?action=restore-to-alternate",
            json={"sourceSnapshotId": snaps["oradb-data.daily.3"], "targetVolumeId": copy["id"]},
        )
    )
    after_alternate = api_figures(api)
    # copy.1 keeps the replaced data of the copy.
    assert after_alternate["gold"] == after_new["gold"] - used
