"""A CDM backup and restore, told through the plugin API on the standard lab.

CDM snapshots ``vol1``, clones the snapshot (while the host goes on writing
to ``vol1``), maps the clone to a host, brings its LUN online, later unmaps
and deletes it, and finally restores ``vol1`` in place from the snapshot. At every step the lists,
the space figures (each pool's ``freeSpace`` and ``/server/0/system``) and the
volumes' content (fingerprints, read from the database: the API does not
show them) must tell the same story (``shared/spec/README.md``, "Behaving
like a real array").
"""

from __future__ import annotations

from dataclasses import dataclass

from mockarray.array.models import Lun, Snapshot, Volume
from tests.support.api import PREFIX
from tests.support.checks import assert_error, listed, ok

GiB = 2**30
SNAPSHOT = "vol1.backup"
CLONE = "vol1.backup-mount"


# -- what the API shows --------------------------------------------------------------------


def names(api, path: str, key: str) -> list[str]:
    return [item["name"] for item in listed(api, path, key)]


@dataclass(frozen=True)
class Figures:
    """Each pool's ``freeSpace`` by name, and ``/server/0/system``."""

    free: dict[str, int]
    system: dict

    def moved(self, later: Figures) -> dict[str, int]:
        """What changed, by pool name and system figure (unchanged ones left out)."""
        changes = {name: later.free[name] - self.free[name] for name in self.free}
        changes.update(
            {
                key: later.system[key] - self.system[key]
                for key in self.system
                if key.endswith("InBytes")
            }
        )
        return {key: value for key, value in changes.items() if value}


def figures(api) -> Figures:
    """The space figures, which must agree: pools' free = capacity - total."""
    pools = ok(api.get("/server/0/pool"))["pools"]
    free = {pool["name"]: pool["freeSpace"] for pool in pools}
    for pool in pools:
        assert ok(api.get(f"/server/0/pool/{pool['id']}"))["freeSpace"] == pool["freeSpace"]
    system = ok(api.get("/server/0/system"))
    assert sum(free.values()) == system["capacityInBytes"] - system["totalSizeInBytes"]
    assert system["totalSizeInBytes"] == (
        system["volumesSizeInBytes"] + system["snapshotsSizeInBytes"] + system["systemSizeInBytes"]
    )
    return Figures(free, system)


def host_luns(api, host_id: str) -> list[dict]:
    """The host's LUN list; its ``mappedLunIds`` (alone and in the list) must agree."""
    luns = ok(api.get(f"/server/0/host/{host_id}/lun"))["luns"]
    lun_ids = [lun["lunId"] for lun in luns]
    assert ok(api.get(f"/server/0/host/{host_id}"))["mappedLunIds"] == lun_ids
    hosts = {host["id"]: host for host in ok(api.get("/server/0/host"))["hosts"]}
    assert hosts[host_id]["mappedLunIds"] == lun_ids
    return luns


def clone_request(snapshot_id: str) -> dict:
    return {"name": CLONE, "snapshot": {"id": snapshot_id}}


def lun_volumes(api) -> dict[str, str]:
    """``{LUN id: volume id}`` of the server's LUN list."""
    return {lun["id"]: lun["volumeId"] for lun in ok(api.get("/server/0/lun"))["luns"]}


# -- what only the database knows ----------------------------------------------------------


def content(database, model, object_id: str) -> tuple[str, int]:
    """A volume's (fingerprint, used bytes), or a snapshot's (fingerprint, volume's
    used bytes when taken)."""
    with database.transaction(write=False) as session:
        row = session.get(model, int(object_id))
        used = row.used_bytes if model is Volume else row.volume_used_bytes
        return row.content_fingerprint, used


def host_write(database, volume_id: str, used_bytes: int, fingerprint: str) -> None:
    """A host writes to the volume: new content, more space used."""
    with database.transaction() as session:
        volume = session.get(Volume, int(volume_id))
        volume.used_bytes = used_bytes
        volume.content_fingerprint = fingerprint


def lun_online(database, lun_id: str) -> bool:
    with database.transaction(write=False) as session:
        return session.get(Lun, int(lun_id)).online


# -- the story -----------------------------------------------------------------------------


def test_backup_mount_and_restore_story(api, database):
    volumes = api.ids("/server/0/volume", "volumes")
    hosts = api.ids("/server/0/host", "hosts")
    pools = api.ids("/server/0/pool", "pools")
    vol1, host = volumes["vol1"], hosts["host-fc"]
    snapshots_path = f"/server/0/volume/{vol1}/snapshot"
    start = figures(api)
    volume_names = names(api, "/server/0/volume", "volumes")
    snapshot_names = names(api, snapshots_path, "snapshots")
    luns_at_start = lun_volumes(api)
    vol1_content = content(database, Volume, vol1)
    assert vol1_content[1] == 10 * GiB
    assert host_luns(api, host) == []

    # 1. Snapshot vol1: a new snapshot holds nothing of its own, so no space moves.
    response = api.post(snapshots_path, json={"name": SNAPSHOT})
    snapshot = ok(response, 201)
    snap = snapshot["id"]
    assert response.headers["Location"] == f"{PREFIX}{snapshots_path}/{snap}"
    assert names(api, snapshots_path, "snapshots") == [*snapshot_names, SNAPSHOT]
    assert ok(api.get(f"{snapshots_path}/{snap}"))["name"] == SNAPSHOT
    assert content(database, Snapshot, snap) == vol1_content
    snapped = figures(api)
    assert start.moved(snapped) == {}

    # The host goes on writing: vol1 now differs from its backup.
    host_write(database, vol1, 15 * GiB, "written-after-backup")
    working = figures(api)
    assert snapped.moved(working) == {
        "pool1": -5 * GiB,
        "volumesSizeInBytes": 5 * GiB,
        "totalSizeInBytes": 5 * GiB,
    }
    working_content = content(database, Volume, vol1)
    assert working_content != vol1_content

    # 2. Clone the snapshot: a thin volume with the snapshot's data, all shared with it.
    clone = ok(api.post(f"/server/0/volume/{vol1}?action=clone", json=clone_request(snap)))
    clone_id = clone["id"]
    assert clone["name"] == CLONE and clone["poolId"] == pools["pool1"]
    assert clone["stats"] == {"size": 100 * GiB, "usedSize": 10 * GiB}
    assert clone["config"] == {"thinProvisioned": True}
    assert names(api, "/server/0/volume", "volumes") == [*volume_names, CLONE]
    assert ok(api.get(f"/server/0/volume/{clone_id}")) == clone
    assert content(database, Volume, clone_id) == content(database, Snapshot, snap)
    cloned = figures(api)
    assert working.moved(cloned) == {
        "sharedSpaceInBytes": 10 * GiB,
        "provisionedSizeInBytes": 100 * GiB,
    }
    # The clone depends on the snapshot.
    assert_error(api.delete(f"{snapshots_path}/{snap}"), 409, CLONE)

    # 3. Map the clone to the host: the lowest free number, shown everywhere at once.
    mapping = ok(api.post(f"/server/0/host/{host}?action=map", json={"volumeId": clone_id}))
    lun = mapping["lunId"]
    assert mapping == {
        "name": CLONE,
        "volumeId": clone_id,
        "hostId": host,
        "hostGroupId": None,
        "lunId": lun,
        "lunNumber": 0,
    }
    assert host_luns(api, host) == [mapping]
    assert lun_volumes(api) == {**luns_at_start, lun: clone_id}
    assert ok(api.get(f"/server/0/lun/{lun}"))["volumeId"] == clone_id
    assert cloned.moved(figures(api)) == {}
    # A mapped volume cannot be deleted.
    assert_error(api.delete(f"/server/0/volume/{clone_id}"), 409, "host-fc")

    # 4. Bring the LUN online.
    assert not lun_online(database, lun)
    response = api.post(f"/server/0/lun/{lun}?action=online")
    assert response.status_code == 200 and not response.data
    assert lun_online(database, lun)
    assert host_luns(api, host) == [mapping]
    assert cloned.moved(figures(api)) == {}

    # 5. Unmap it: gone from the host at once.
    response = api.post(f"/server/0/host/{host}?action=unmap", json={"lunId": lun})
    assert response.status_code == 200 and not response.data
    assert host_luns(api, host) == []
    assert [m["volumeId"] for m in host_luns(api, hosts["host-iscsi"])] == [vol1]
    assert cloned.moved(figures(api)) == {}

    # 6. Delete the clone: its LUN goes with it, and the space is as after the snapshot.
    response = api.delete(f"/server/0/volume/{clone_id}")
    assert response.status_code == 200 and not response.data
    assert names(api, "/server/0/volume", "volumes") == volume_names
    assert api.get(f"/server/0/volume/{clone_id}").status_code == 404
    assert api.get(f"/server/0/lun/{lun}").status_code == 404
    assert lun_volumes(api) == luns_at_start
    assert names(api, snapshots_path, "snapshots") == [*snapshot_names, SNAPSHOT]
    assert figures(api) == working
    assert content(database, Volume, vol1) == working_content

    # 7. The host writes 15 GiB more to vol1, which must now be restored.
    host_write(database, vol1, 30 * GiB, "written-before-restore")
    assert ok(api.get(f"/server/0/volume/{vol1}"))["stats"]["usedSize"] == 30 * GiB
    written = figures(api)
    assert working.moved(written) == {
        "pool1": -15 * GiB,
        "volumesSizeInBytes": 15 * GiB,
        "totalSizeInBytes": 15 * GiB,
    }
    assert content(database, Volume, vol1) != content(database, Snapshot, snap)

    # 8. Restore vol1 in place: the snapshot's content and size are back.
    restored = ok(api.post(f"/server/0/volume/{vol1}?action=restore", json={"snapshotId": snap}))
    assert restored["id"] == vol1 and restored["stats"]["usedSize"] == 10 * GiB
    assert ok(api.get(f"/server/0/volume/{vol1}")) == restored
    assert content(database, Volume, vol1) == content(database, Snapshot, snap) == vol1_content
    assert names(api, snapshots_path, "snapshots") == [*snapshot_names, SNAPSHOT]
    assert names(api, "/server/0/volume", "volumes") == volume_names
    assert figures(api) == snapped

    # With no clone left, the backup can be pruned.
    assert api.delete(f"{snapshots_path}/{snap}").status_code == 204
    assert names(api, snapshots_path, "snapshots") == snapshot_names
    assert figures(api) == start
