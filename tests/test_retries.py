"""A retry is not a second create (issue 9 §1; docs/array-rules.md, "Retries").

A create naming an object that exists answers it only for a true retry: the
same parameters, and what the create would make now is what exists (the
volume's content unchanged since a snapshot; a clone or restored volume as it
was made: same data, not split since, not mapped or mounted; every member of a
consistency-group snapshot unchanged). Otherwise ``409`` naming the existing
object and when it was made. Behaviour tests on ``mockarray.array`` first, then
the same rules through the plugin API. The lab is ``standard_server``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from mockarray.array import groups, hosts, inventory, snapshots, volumes
from mockarray.array.models import CgSnapshot, Lun, Snapshot, Volume
from mockarray.errors import Conflict
from mockarray.units import format_time
from tests.support.api import control
from tests.support.checks import assert_error, bring_online, ok, unchanged

GiB = 2**30


# -- behaviour ------------------------------------------------------------------------------


@pytest.fixture
def call(lab, database):
    """``with call() as (session, server):`` one committed transaction on alpha's server."""
    (array, _) = lab.standard()

    @contextmanager
    def one_call() -> Iterator:
        with database.transaction() as session:
            yield session, inventory.get_server(session, array.id, "0")

    return one_call


def vid(session, server, name: str) -> str:
    return inventory.volume_id_by_name(session, server, name)


def write_to(session, server, name: str, size: int = GiB) -> None:
    """A host writes to the volume (through its LUN, brought online first)."""
    volume_id = vid(session, server, name)
    lun_id = session.scalar(select(Lun.id).where(Lun.volume_id == int(volume_id)))
    hosts.bring_online(session, server, str(lun_id))
    volumes.host_write(session, server, volume_id, size=size)


def snapshot_nightly(session, server) -> Snapshot:
    return snapshots.create_snapshot(session, server, vid(session, server, "vol1"), name="nightly")


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_snapshot_retried_after_the_volume_changed_is_a_conflict_naming_it(call):
    with call() as (session, server):
        first = snapshot_nightly(session, server)
        first_id, taken = first.id, first.created_ms
    with call() as (session, server):
        assert snapshot_nightly(session, server).id == first_id  # nothing changed: a retry
        write_to(session, server, "vol1")
    with pytest.raises(Conflict) as refused, call() as (session, server):
        snapshot_nightly(session, server)
    message = refused.value.message
    assert "'nightly'" in message and f"id {first_id}" in message
    assert format_time(taken) in message and "changed" in message
    with call() as (session, server):
        assert count(session, Snapshot, Snapshot.name == "nightly") == 1


def clone_a(session, server, name="vol1-copy", instant_split=False) -> Volume:
    return volumes.clone(
        session,
        server,
        vid(session, server, "vol1"),
        name=name,
        snapshot_id=None,
        snapshot_name="vol1.snap2",
        server_group_keys=[],
        instant_split=instant_split,
    )


def map_copy(session, server) -> None:
    host_id = next(h.id for h in inventory.list_hosts(session, server)[0] if h.name == "host-fc")
    hosts.map_to_host(
        session,
        server,
        str(host_id),
        volume_id=vid(session, server, "vol1-copy"),
        lun_id=None,
        lun_number=None,
    )


def split_copy(session, server) -> None:
    volumes.split(session, server, vid(session, server, "vol1-copy"), rate=GiB)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda session, server: write_to(session, server, "vol1-copy"), "data changed"),
        (split_copy, "split"),
        (map_copy, "mapped to host host-fc"),
    ],
    ids=["written", "split", "mapped"],
)
def test_a_clone_retried_after_it_changed_is_a_conflict_naming_it(call, change, reason):
    with call() as (session, server):
        made = clone_a(session, server)
        made_id, made_ms = made.id, made.created_ms
    with call() as (session, server):
        assert clone_a(session, server).id == made_id  # as made: a retry
        change(session, server)
    with pytest.raises(Conflict) as refused, call() as (session, server):
        clone_a(session, server)
    message = refused.value.message
    assert "'vol1-copy'" in message and f"id {made_id}" in message
    assert format_time(made_ms) in message and reason in message


def test_an_instant_split_clone_retried_unchanged_is_the_same(call):
    with call() as (session, server):
        made_id = clone_a(session, server, instant_split=True).id
    with call() as (session, server):
        assert clone_a(session, server, instant_split=True).id == made_id
    with pytest.raises(Conflict, match="made with instantSplit"), call() as (session, server):
        clone_a(session, server, instant_split=False)


def restore_to_new(session, server) -> Volume:
    server_volume = vid(session, server, "vol1")
    snapshot = next(
        s
        for s in inventory.list_snapshots(session, server, server_volume)[0]
        if s.name == "vol1.snap1"
    )
    return volumes.restore_to_new(
        session,
        server,
        server_volume,
        source_snapshot_id=str(snapshot.id),
        target_volume_name="vol1-restored",
        target_pool_ids=[],
    )


def test_a_restore_to_new_retried_after_the_new_volume_changed_is_a_conflict(call):
    with call() as (session, server):
        made_id = restore_to_new(session, server).id
    with call() as (session, server):
        assert restore_to_new(session, server).id == made_id
        write_to(session, server, "vol1-restored")
    with pytest.raises(Conflict) as refused, call() as (session, server):
        restore_to_new(session, server)
    assert "'vol1-restored'" in refused.value.message
    assert f"id {made_id}" in refused.value.message
    assert "data changed" in refused.value.message
    with call() as (session, server):
        assert count(session, Volume, Volume.name == "vol1-restored") == 1


def test_a_host_retried_keeps_its_rule_a_host_has_no_content(call):
    def make(session, server):
        return hosts.create_host(
            session, server, name="host-new", iqns=["iqn.1998-01.com.vmware:new"], wwns=[]
        )

    with call() as (session, server):
        made_id = make(session, server).id
    with call() as (session, server):
        assert make(session, server).id == made_id


def take_group_snapshot(session, server, **params):
    group = next(g for g in inventory.list_consistency_groups(session, server)[0])
    return groups.take_snapshot(
        session,
        server,
        str(group.id),
        prefix="retry",
        replicate=False,
        is_auto_delete=params.get("is_auto_delete", False),
        is_incremental=False,
        rate=GiB,
    )


def test_a_group_snapshot_retried_in_the_same_millisecond(call, frozen):
    with call() as (session, server):
        made = take_group_snapshot(session, server)
        made_id, made_ms = made.id, made.created_ms
    with call() as (session, server):
        # Same name (the time has not moved), same parameters, nothing changed: a retry.
        assert take_group_snapshot(session, server).id == made_id
    with pytest.raises(Conflict, match="other parameters"), call() as (session, server):
        take_group_snapshot(session, server, is_auto_delete=True)
    with call() as (session, server):
        write_to(session, server, "vol2")
    with pytest.raises(Conflict) as refused, call() as (session, server):
        take_group_snapshot(session, server)
    assert "volume vol2 changed" in refused.value.message
    assert format_time(made_ms) in refused.value.message
    with call() as (session, server):
        assert count(session, CgSnapshot, CgSnapshot.id == made_id) == 1


# -- through the plugin API -----------------------------------------------------------------


def host_writes(client, volume_id: str, size: str = "10GiB") -> None:
    ok(
        control(
            client, "POST", f"/arrays/alpha/servers/0/volumes/{volume_id}/writes", {"bytes": size}
        )
    )


def test_api_snapshot_retried_after_a_host_write_is_409_not_the_old_snapshot(client, api, ref):
    path = f"/server/0/volume/{ref['vol1']}/snapshot"
    first = ok(api.post(path, json={"name": "nightly"}), 201)
    assert ok(api.post(path, json={"name": "nightly"}), 201)["id"] == first["id"]
    host_writes(client, ref["vol1"])
    with unchanged(api):
        assert_error(
            api.post(path, json={"name": "nightly"}),
            409,
            "nightly",
            f"id {first['id']}",
            format_time(first["creationTime"]),
            "changed",
        )


def clone_body(ref) -> dict:
    return {"name": "vol1-copy", "snapshot": {"id": ref["snap2"]}}


def test_api_clone_retried_after_it_was_mapped_is_409(client, api, ref):
    path = f"/server/0/volume/{ref['vol1']}?action=clone"
    made = ok(api.post(path, json=clone_body(ref)))
    assert ok(api.post(path, json=clone_body(ref)))["id"] == made["id"]
    ok(api.post(f"/server/0/host/{ref['host_fc']}?action=map", json={"volumeId": made["id"]}))
    with unchanged(api):
        assert_error(
            api.post(path, json=clone_body(ref)),
            409,
            "vol1-copy",
            f"id {made['id']}",
            format_time(made["creationTime"]),
            "mapped to host host-fc",
        )


def test_api_clone_retried_after_a_host_wrote_to_it_is_409(client, api, ref):
    path = f"/server/0/volume/{ref['vol1']}?action=clone"
    made = ok(api.post(path, json=clone_body(ref)))
    bring_online(api, made["id"])
    host_writes(client, made["id"], "1GiB")
    assert_error(api.post(path, json=clone_body(ref)), 409, "vol1-copy", "data changed")


def test_api_restore_to_new_retried_after_the_new_volume_changed_is_409(client, api, ref):
    path = f"/server/0/volume/{ref['vol1']}?action=restore-to-new"
    body = {"sourceSnapshotId": ref["snap1"], "targetVolumeName": "vol1-restored"}
    made = ok(api.post(path, json=body))
    assert ok(api.post(path, json=body))["id"] == made["id"]
    bring_online(api, made["id"])
    host_writes(client, made["id"], "1GiB")
    with unchanged(api):
        assert_error(
            api.post(path, json=body), 409, "vol1-restored", f"id {made['id']}", "data changed"
        )


def test_api_take_snapshot_retried_in_the_same_millisecond(client, api, ref, frozen):
    path = f"/server/0/consistencygroup/{ref['cg1']}?action=take-snapshot"
    made = ok(api.post(path, json={"prefix": "retry"}))
    assert ok(api.post(path, json={"prefix": "retry"}))["id"] == made["id"]
    host_writes(client, ref["vol1"], "1GiB")
    assert_error(api.post(path, json={"prefix": "retry"}), 409, made["name"], "vol1 changed")
