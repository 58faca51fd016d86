"""Protocols and LUN identity (docs/array-rules.md, "Hosts, LUNs and mappings").

A LUN is mapped only where the server serves it: a file (NAS) volume has no
LUN, an iSCSI host needs the server's iSCSI service, an FC host an FC
network; ``mount`` is for file volumes. Every block volume has its LUN from
the moment it exists; a clone's (and a restore-to-new's) starts offline, and
a host cannot write through an offline LUN. Behaviour tests call
``mockarray.array`` on a database session; API tests go through the plugin
API (and the control plane's host writes).
"""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from mockarray.array import hosts, inventory, volumes
from mockarray.array.models import Host, Lun, Server, Snapshot, Volume
from mockarray.errors import Conflict, Invalid
from mockarray.lab.seeding.loader import FixtureError, seed
from tests.support.api import Api, control
from tests.support.checks import assert_error, listed, ok, unchanged
from tests.support.lab import array_doc

IQN = "iqn.1998-01.com.vmware:esx-1"
WWN = "21:00:00:24:ff:4a:7b:01"


def served_doc(name: str, number: int, *, iscsi: bool, fc: bool) -> dict:
    """One server with a block volume ``data``, a file volume ``share``, an iSCSI
    host ``esx`` and an FC host ``ora``; iSCSI service and FC network as asked."""
    networks = [{"name": "fc0", "wwpn": "500a0b0c000000c1", "config": {"fc": True}}] if fc else []
    return array_doc(
        name,
        number,
        servers=[
            {
                "config": {"isIscsiServiceEnabled": iscsi, "isNfsServiceEnabled": True},
                "pools": [{"name": "p", "capacity": "1TiB"}],
                "volumes": [
                    {
                        "name": "data",
                        "size": "10GiB",
                        "used": "1GiB",
                        "snapshots": [{"name": "data.s1", "age": "1h"}],
                    },
                    {"name": "share", "size": "10GiB", "used": "1GiB", "type": "nas"},
                ],
                "hosts": [{"name": "esx", "iqns": [IQN]}, {"name": "ora", "wwns": [WWN]}],
                "networks": [
                    {
                        "name": "nfs0",
                        "ipAddress": f"198.51.100.{60 + number}",
                        "config": {"nfs": True},
                    },
                    *networks,
                ],
            }
        ],
    )


@pytest.fixture
def served(lab, client):
    """``gamma`` serves iSCSI and FC; ``delta`` neither. Sessions on both."""
    lab.seed(
        served_doc("gamma", 3, iscsi=True, fc=True), served_doc("delta", 4, iscsi=False, fc=False)
    )
    return Api.login(client, "gamma.lab.test"), Api.login(client, "delta.lab.test")


def server_of(session, array: str) -> Server:
    return inventory.get_server(session, inventory.array_by_name(session, array).id, "0")


def named(session, server: Server, model, name: str):
    return session.scalar(select(model).where(model.server_id == server.id, model.name == name))


def lun_of(session, volume_id) -> Lun | None:
    return session.scalar(select(Lun).where(Lun.volume_id == int(volume_id)))


def map_by_name(session, array: str, host: str, volume: str):
    server = server_of(session, array)
    return hosts.map_to_host(
        session,
        server,
        str(named(session, server, Host, host).id),
        volume_id=str(named(session, server, Volume, volume).id),
        lun_id=None,
        lun_number=None,
    )


def ids(api: Api, path: str, key: str) -> dict[str, str]:
    return api.ids(path, key)


def map_call(api: Api, host: str, volume: str):
    host_id = ids(api, "/server/0/host", "hosts")[host]
    volume_id = ids(api, "/server/0/volume", "volumes")[volume]
    return api.post(f"/server/0/host/{host_id}?action=map", json={"volumeId": volume_id})


# -- where a LUN can be mapped: behaviour --------------------------------------------------


def test_a_file_volume_cannot_be_mapped(database, served):
    with pytest.raises(Invalid) as refused, database.transaction() as session:
        map_by_name(session, "gamma", "esx", "share")
    assert "'share'" in refused.value.message and "file (NAS)" in refused.value.message


def test_a_server_without_iscsi_refuses_an_iscsi_mapping(database, served):
    with pytest.raises(Invalid) as refused, database.transaction() as session:
        map_by_name(session, "delta", "esx", "data")
    assert "isIscsiServiceEnabled is false" in refused.value.message
    assert "'esx'" in refused.value.message


def test_a_server_without_an_fc_network_refuses_an_fc_mapping(database, served):
    with pytest.raises(Invalid) as refused, database.transaction() as session:
        map_by_name(session, "delta", "ora", "data")
    assert "no FC network" in refused.value.message and "'ora'" in refused.value.message


def test_a_server_serving_both_maps_both(database, served):
    with database.transaction() as session:
        assert map_by_name(session, "gamma", "esx", "data").lun_number == 0
        assert map_by_name(session, "gamma", "ora", "data").lun_number == 0


def test_mount_of_a_block_volume_is_refused_and_of_a_file_volume_kept(database, served):
    with pytest.raises(Invalid) as refused, database.transaction() as session:
        server = server_of(session, "gamma")
        volumes.mount(session, server, str(named(session, server, Volume, "data").id), path=None)
    assert "block volume" in refused.value.message
    with database.transaction() as session:
        server = server_of(session, "gamma")
        share = str(named(session, server, Volume, "share").id)
        assert volumes.mount(session, server, share, path="/exports/s") == "/exports/s"


# -- where a LUN can be mapped: the API ----------------------------------------------------


def test_api_map_of_a_file_volume_is_400(served):
    gamma, _ = served
    with unchanged(gamma):
        assert_error(map_call(gamma, "esx", "share"), 400, "share", "file (NAS)")


@pytest.mark.parametrize(
    ("host", "reason"),
    [("esx", "isIscsiServiceEnabled is false"), ("ora", "no FC network")],
)
def test_api_map_where_the_protocol_is_not_served_is_400(served, host, reason):
    _, delta = served
    with unchanged(delta):
        assert_error(map_call(delta, host, "data"), 400, host, reason)


def test_api_host_group_map_checks_every_host(served, database):
    _, delta = served
    with database.transaction() as session:
        server = server_of(session, "delta")
        group = hosts.create_host_group(session, server, name="all")
        hosts.add_to_group(session, group, named(session, server, Host, "ora"))
        group_id = str(group.id)
    volume_id = ids(delta, "/server/0/volume", "volumes")["data"]
    with unchanged(delta):
        response = delta.post(
            f"/server/0/hostgroup/{group_id}?action=map", json={"volumeId": volume_id}
        )
        assert_error(response, 400, "ora", "no FC network")


def test_api_map_where_served_works_over_iscsi_and_fc(served):
    gamma, _ = served
    assert ok(map_call(gamma, "esx", "data"))["lunNumber"] == 0
    assert ok(map_call(gamma, "ora", "data"))["lunNumber"] == 0


# -- every block volume has its LUN, from the start: behaviour -----------------------------


def test_new_block_volumes_have_their_lun_at_once_and_file_volumes_none(database, served):
    with database.transaction() as session:
        server = server_of(session, "gamma")
        data = named(session, server, Volume, "data")
        share = named(session, server, Volume, "share")
        seeded = lun_of(session, data.id)
        assert seeded is not None and seeded.online  # seeded: in use
        assert seeded.created_ms == data.created_ms
        assert lun_of(session, share.id) is None
        snapshot = str(session.scalar(select(Snapshot.id).where(Snapshot.volume_id == data.id)))
        clone = volumes.clone(
            session,
            server,
            str(data.id),
            name="data-clone",
            snapshot_id=snapshot,
            snapshot_name=None,
            server_group_keys=[],
            instant_split=False,
        )
        restored = volumes.restore_to_new(
            session,
            server,
            str(data.id),
            source_snapshot_id=snapshot,
            target_volume_name="data-restored",
            target_pool_ids=[],
        )
        clone_id, restored_id = clone.id, restored.id
    with database.transaction() as session:
        for volume_id in (clone_id, restored_id):
            lun = lun_of(session, volume_id)
            assert lun is not None and not lun.online  # as an ONTAP FlexClone LUN
            assert lun.created_ms == session.get(Volume, volume_id).created_ms


def test_a_host_write_through_an_offline_lun_is_refused_until_online(database, served):
    with database.transaction() as session:
        server = server_of(session, "gamma")
        data = named(session, server, Volume, "data")
        lun_of(session, data.id).online = False
        data_id, used = str(data.id), data.used_bytes
    with pytest.raises(Conflict) as refused, database.transaction() as session:
        volumes.host_write(session, server_of(session, "gamma"), data_id, size=2**20, append=True)
    assert "offline" in refused.value.message and "'data'" in refused.value.message
    with database.transaction() as session:
        server = server_of(session, "gamma")
        assert session.get(Volume, int(data_id)).used_bytes == used
        hosts.bring_online(session, server, str(lun_of(session, data_id).id))
        volumes.host_write(session, server, data_id, size=2**20, append=True)
        assert session.get(Volume, int(data_id)).used_bytes == used + 2**20


def test_a_fixture_cannot_give_a_file_volume_a_lun(database):
    doc = array_doc(
        "epsilon",
        5,
        servers=[
            {
                "pools": [{"name": "p", "capacity": "1TiB"}],
                "volumes": [{"name": "s", "size": "1GiB", "type": "file", "lun": True}],
            }
        ],
    )
    with pytest.raises(FixtureError) as refused, database.transaction() as session:
        seed(session, yaml.safe_dump({"arrays": [doc]}), "lab.yaml")
    assert "volumes[0].lun" in str(refused.value) and "file (NAS)" in str(refused.value)


# -- every block volume has its LUN, from the start: the API -------------------------------


def luns_by_volume(api: Api) -> dict[str, dict]:
    return {lun["volumeId"]: lun for lun in listed(api, "/server/0/lun", "luns")}


def test_api_a_clone_and_a_restored_volume_are_listed_with_their_lun_before_any_mapping(api, ref):
    clone = ok(
        api.post(
            f"/server/0/volume/{ref['vol1']}?action=clone",
            json={"name": "c2", "snapshot": {"id": ref["snap1"]}},
        )
    )
    restored = ok(
        api.post(
            f"/server/0/volume/{ref['vol1']}?action=restore-to-new",
            json={"sourceSnapshotId": ref["snap1"], "targetVolumeName": "r2"},
        )
    )
    luns = luns_by_volume(api)
    for volume in (clone, restored):
        lun = luns[volume["id"]]
        assert (lun["name"], lun["volumeType"]) == (volume["name"], "block")
        assert ok(api.get(f"/server/0/lun/{lun['id']}")) == lun
    # The standard lab's unmapped volumes have theirs too.
    assert {ref["vol1"], ref["vol2"], ref["clone"]} <= set(luns)


def test_api_a_clones_lun_is_offline_until_online_and_host_writes_wait_for_it(client, api, ref):
    clone = ok(
        api.post(
            f"/server/0/volume/{ref['vol1']}?action=clone",
            json={"name": "c3", "snapshot": {"id": ref["snap1"]}},
        )
    )
    lun = luns_by_volume(api)[clone["id"]]
    write = {"bytes": "1GiB", "append": True}
    path = f"/arrays/alpha/servers/0/volumes/{clone['id']}/writes"
    with unchanged(api):
        assert_error(control(client, "POST", path, write), 409, "c3", "offline", "online")
    assert api.post(f"/server/0/lun/{lun['id']}?action=online").status_code == 200
    assert (
        ok(control(client, "POST", path, write))["usedSize"] == clone["stats"]["usedSize"] + 2**30
    )
