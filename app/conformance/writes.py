"""The mutating checks (``--write``): each makes its own objects, named with the
run's prefix (``conformance-``), checks their lifecycle (create → read back →
act → delete → 404) and removes them afterwards, passed or failed; what it
could not remove is reported. Users' volumes are only ever the source of a
snapshot: every restore, split, map and group change is done on the check's
own clones."""

from __future__ import annotations

from mockarray.conformance import guide
from mockarray.conformance.framework import Failed, Probe, Skipped, check
from mockarray.conformance.reads import UNKNOWN_ID, host_luns


def volume_path(server_id: str, volume_id: object) -> str:
    return f"/server/{server_id}/volume/{volume_id}"


def action(probe: Probe, path: str, name: str, body: dict | None = None):
    """``POST path?action=name``; the answer must be 200."""
    return probe.expect(probe.call("POST", path, body=body, query={"action": name}), 200)


def delete_volume(probe: Probe, server_id: str, volume_id: str) -> None:
    probe.delete(volume_path(server_id, volume_id), 200, 204)


def make_snapshot(probe: Probe, server_id: str, volume_id: str, **extra) -> dict:
    """A new snapshot of the volume, removed after the check."""
    name = probe.unique("snap")
    path = f"{volume_path(server_id, volume_id)}/snapshot"
    response = probe.expect(probe.call("POST", path, body={"name": name, **extra}), 201)
    snapshot = probe.json(response)
    probe.conform(snapshot, guide.NEW_SNAPSHOT, "snapshot")
    if snapshot["name"] != name:
        raise Failed(f"expected the snapshot named {name!r}", probe.last)
    probe.on_cleanup(
        f"snapshot {name} ({path}/{snapshot['id']})",
        lambda: probe.delete(f"{path}/{snapshot['id']}", 204, 200),
    )
    return snapshot


def make_clone(probe: Probe, server_id: str, volume_id: str, snapshot: dict) -> dict:
    """A clone of the volume from ``snapshot``, removed after the check."""
    name = probe.unique("clone")
    body = {"snapshot": {"id": snapshot["id"], "name": snapshot["name"]}, "name": name}
    response = action(probe, volume_path(server_id, volume_id), "clone", body)
    clone = probe.json(response)
    probe.conform(clone, guide.VOLUME, "clone")
    if clone["name"] != name:
        raise Failed(f"expected the clone named {name!r}", probe.last)
    probe.on_cleanup(
        f"volume {name} ({volume_path(server_id, clone['id'])})",
        lambda: delete_volume(probe, server_id, clone["id"]),
    )
    return clone


def scratch_volume(probe: Probe, server_id: str | None = None) -> tuple[str, dict]:
    """``(server id, clone)``: a clone of a user's volume (through a snapshot of the
    check's own) for a check to act on."""
    server_id, source = source_volume(probe, server_id)
    snapshot = make_snapshot(probe, server_id, source["id"])
    return server_id, make_clone(probe, server_id, source["id"], snapshot)


def server_of(probe: Probe, server_id: str) -> dict:
    """``GET /server/<server_id>``, read once per run."""
    return probe.cached(("server", server_id), lambda: probe.read(f"/server/{server_id}"))


def flag(server: dict, group: str, name: str) -> bool:
    """``server[group][name]`` is true (a quoted "true" too: a reading the guide allows)."""
    value = server.get(group, {}) if isinstance(server.get(group), dict) else {}
    return str(value.get(name)).lower() == "true"


def source_volume(probe: Probe, server_id: str | None = None) -> tuple[str, dict]:
    """``(server id, volume)``: the first volume (of ``server_id``, or of any server)
    on a server that is no data-protection destination, whose volumes are
    replicas that may refuse new snapshots."""
    for candidate in [server_id] if server_id else probe.server_ids():
        server = server_of(probe, candidate)
        if flag(server, "config", "isDpDestination"):
            continue
        volumes = probe.listed(candidate, "volume", "volumes")
        if volumes:
            return candidate, volumes[0]
    where = f"server {server_id!r}" if server_id else "any server but a DP destination"
    raise Skipped(f"no volume on {where} to snapshot")


def read_volume(probe: Probe, server_id: str, volume_id: str) -> dict:
    volume = probe.read(volume_path(server_id, volume_id))
    probe.conform(volume, guide.VOLUME, "volume")
    return volume


def expect_gone(probe: Probe, path: str) -> None:
    probe.expect(probe.get(path), 404, what="after the delete")


def deleted_status(probe: Probe, response, documented: int, other: int, what: str) -> None:
    probe.expect(response, documented, other)
    if response.status == other:
        probe.note(f"DELETE of a {what} answers {other} (the guide's table says {documented})")


# -- Snapshot ----------------------------------------------------------------------------------


@check("snapshot.lifecycle", "Snapshot", writes=True)
def snapshot_lifecycle(probe: Probe) -> None:
    """Create a snapshot (201), read it back, find it listed, delete it (204), then 404."""
    server_id, volume = source_volume(probe)
    created = make_snapshot(probe, server_id, volume["id"])
    path = f"{volume_path(server_id, volume['id'])}/snapshot/{created['id']}"
    read = probe.read(path)
    probe.conform(read, guide.SNAPSHOT, "snapshot")
    if (read["id"], read["name"]) != (created["id"], created["name"]):
        raise Failed(f"expected the snapshot just created: {created}", probe.last)
    listed = probe.items(f"{volume_path(server_id, volume['id'])}/snapshot", "snapshots")
    if created["id"] not in [s.get("id") for s in listed]:
        raise Failed("expected the new snapshot in the volume's list", probe.last)
    deleted_status(probe, probe.call("DELETE", path), 204, 200, "snapshot")
    expect_gone(probe, path)


@check("snapshot.create_action", "Actions", writes=True)
def snapshot_create_action(probe: Probe) -> None:
    """POST …/volume/<volume_id>?action=createSnapshot, the guide's example of an action."""
    server_id, volume = source_volume(probe)
    name = probe.unique("snap")
    path = volume_path(server_id, volume["id"])
    response = probe.call("POST", path, body={"name": name}, query={"action": "createSnapshot"})
    if response.status >= 400:
        probe.expect(response, 400, 404)
        probe.note(f"?action=createSnapshot is refused ({response.status}): only the example")
        return
    probe.expect(response, 200, 201)
    snapshot = probe.json(response)
    probe.conform(snapshot, guide.NEW_SNAPSHOT, "snapshot")
    snapshot_path = f"{path}/snapshot/{snapshot['id']}"
    probe.on_cleanup(f"snapshot {name}", lambda: probe.delete(snapshot_path, 204, 200))
    probe.note(f"?action=createSnapshot makes a snapshot ({response.status})")
    if snapshot["name"] != name:
        raise Failed(f"expected the snapshot named {name!r}", probe.last)


@check("snapshot.delete.unknown", "Snapshot", writes=True)
def snapshot_delete_unknown(probe: Probe) -> None:
    """DELETE …/snapshot/<unknown id> answers 404."""
    server_id, volume = probe.first("volume", "volumes")
    path = f"{volume_path(server_id, volume['id'])}/snapshot/{UNKNOWN_ID}"
    probe.expect(probe.call("DELETE", path), 404)


# -- Volume ---------------------------------------------------------------------------------


@check("volume.clone.lifecycle", "Volume", writes=True)
def volume_clone_lifecycle(probe: Probe) -> None:
    """Clone a snapshot (200), read the clone back, find it listed, delete it (200), then 404."""
    server_id, clone = scratch_volume(probe)
    read = read_volume(probe, server_id, clone["id"])
    if read["id"] != clone["id"] or read["name"] != clone["name"]:
        raise Failed(f"expected the clone just made: {clone}", probe.last)
    listed = probe.items(f"/server/{server_id}/volume", "volumes")
    if clone["id"] not in [v.get("id") for v in listed]:
        raise Failed("expected the clone in the server's volume list", probe.last)
    path = volume_path(server_id, clone["id"])
    deleted_status(probe, probe.call("DELETE", path), 200, 204, "volume")
    expect_gone(probe, path)


@check("volume.delete.unknown", "Volume", writes=True)
def volume_delete_unknown(probe: Probe) -> None:
    """DELETE /server/<server_id>/volume/<unknown id> answers 404."""
    probe.expect(probe.call("DELETE", volume_path(probe.server_ids()[0], UNKNOWN_ID)), 404)


@check("volume.split", "Volume", writes=True)
def volume_split(probe: Probe) -> None:
    """Split a clone (200), poll splitstatus until complete: 0 to 100, never backwards."""
    server_id, clone = scratch_volume(probe)
    if clone["supports"]["split"] in ("NONE", "NOT_NEEDED"):
        raise Skipped(f"the clone's supports.split is {clone['supports']['split']}")
    path = volume_path(server_id, clone["id"])
    started = probe.json(action(probe, path, "split"))
    probe.conform(started, guide.SPLIT_STATUS, "split")

    def read():
        status = probe.read(f"{path}/splitstatus")
        probe.conform(status, guide.SPLIT_STATUS, "splitstatus")
        return status

    seen = [started, *probe.wait_for(read, lambda s: s["complete"] is True, "the split")]
    percentages = [status["percentageComplete"] for status in seen]
    if any(not 0 <= p <= 100 for p in percentages) or percentages != sorted(percentages):
        raise Failed(f"percentageComplete: expected 0 to 100, never lower, got {percentages}")
    if percentages[-1] != 100:
        raise Failed(f"a complete split: expected percentageComplete 100, got {percentages[-1]}")


@check("volume.mount", "Volume", writes=True)
def volume_mount(probe: Probe) -> None:
    """Mount a volume of a server with NFS enabled (200): the answer is the path."""
    for server_id in probe.server_ids():
        server = server_of(probe, server_id)
        nfs = flag(server, "config", "isNfsServiceEnabled")
        if nfs and probe.listed(server_id, "volume", "volumes"):
            break
    else:
        raise Skipped("no server with isNfsServiceEnabled and a volume")
    _, clone = scratch_volume(probe, server_id)
    path = f"/{probe.unique('mount')}"
    mounted = probe.json(
        action(probe, volume_path(server_id, clone["id"]), "mount", {"path": path})
    )
    probe.conform(mounted, {"path": guide.STRING}, "mount")
    if mounted["path"] != path:
        probe.note(f"mount answers a path of its own ({mounted['path']}) for {path}")


@check("volume.restore", "Volume", writes=True)
def volume_restore(probe: Probe) -> None:
    """Restore a volume from its own snapshot (200): the answer is the volume."""
    server_id, clone = scratch_volume(probe)
    snapshot = make_snapshot(probe, server_id, clone["id"])
    path = volume_path(server_id, clone["id"])
    restored = probe.json(action(probe, path, "restore", {"snapshotId": snapshot["id"]}))
    probe.conform(restored, guide.VOLUME, "volume")
    if restored["id"] != clone["id"]:
        raise Failed(f"expected the restored volume {clone['id']!r}", probe.last)


@check("volume.restore_to_alternate", "Volume", writes=True)
def volume_restore_to_alternate(probe: Probe) -> None:
    """Restore a snapshot to another volume (200): the answer is a volume."""
    server_id, source = scratch_volume(probe)
    _, target = scratch_volume(probe, server_id)
    snapshot = make_snapshot(probe, server_id, source["id"])
    body = {"sourceSnapshotId": snapshot["id"], "targetVolumeId": target["id"]}
    path = volume_path(server_id, source["id"])
    restored = probe.json(action(probe, path, "restore-to-alternate", body))
    probe.conform(restored, guide.VOLUME, "volume")
    if restored["id"] == target["id"]:
        probe.note("restore-to-alternate answers the target volume")
    elif restored["id"] == source["id"]:
        probe.note("restore-to-alternate answers the source volume")
    else:
        raise Failed(f"expected the target {target['id']!r} or source volume", probe.last)


@check("volume.restore_to_new", "Volume", writes=True)
def volume_restore_to_new(probe: Probe) -> None:
    """Restore a snapshot to a new volume (200), read it back, delete it, then 404."""
    server_id, source = scratch_volume(probe)
    snapshot = make_snapshot(probe, server_id, source["id"])
    name = probe.unique("restored")
    body = {
        "sourceSnapshotId": snapshot["id"],
        "targetVolumeName": name,
        "targetPoolIds": [source["poolId"]],
    }
    path = volume_path(server_id, source["id"])
    created = probe.json(action(probe, path, "restore-to-new", body))
    probe.conform(created, guide.VOLUME, "volume")
    new_path = volume_path(server_id, created["id"])
    probe.on_cleanup(f"volume {name} ({new_path})", lambda: probe.delete(new_path, 200, 204))
    if created["name"] != name:
        raise Failed(f"expected the new volume named {name!r}", probe.last)
    read = read_volume(probe, server_id, created["id"])
    if read["name"] != name:
        raise Failed(f"expected the new volume named {name!r}", probe.last)
    probe.expect(probe.call("DELETE", new_path), 200, 204)
    expect_gone(probe, new_path)


# -- Host and LUN ----------------------------------------------------------------------------


@check("host.map", "Host", writes=True)
def host_map(probe: Probe) -> None:
    """Map a volume to a host, see the LUN on the host and the LUN list, online it, unmap it."""
    server_id, host = probe.first("host", "hosts")
    _, clone = scratch_volume(probe, server_id)
    host_path = f"/server/{server_id}/host/{host['id']}"
    mapping = probe.json(action(probe, host_path, "map", {"volumeId": clone["id"]}))
    probe.conform(mapping, guide.MAPPING, "mapping")
    lun_id = mapping["lunId"]
    mapped_entry = probe.on_cleanup(
        f"the mapping of LUN {lun_id} to host {host['id']}",
        lambda: probe.undo("POST", host_path, body={"lunId": lun_id}, action="unmap"),
    )
    if (mapping["volumeId"], mapping["hostId"]) != (clone["id"], host["id"]):
        raise Failed(f"expected volumeId {clone['id']!r} and hostId {host['id']!r}", probe.last)
    mapped = probe.read(host_path)
    if lun_id not in (mapped.get("mappedLunIds") or []):
        raise Failed(f"expected LUN {lun_id!r} in the host's mappedLunIds", probe.last)
    if lun_id not in [m.get("lunId") for m in host_luns(probe, server_id, host["id"])]:
        raise Failed(f"expected LUN {lun_id!r} among the host's LUNs", probe.last)
    lun_path = f"/server/{server_id}/lun/{lun_id}"
    lun = probe.read(lun_path)
    probe.conform(lun, guide.LUN, "lun")
    if lun["volumeId"] != clone["id"]:
        raise Failed(f"expected the LUN of volume {clone['id']!r}", probe.last)
    action(probe, lun_path, "online")
    action(probe, host_path, "unmap", {"lunId": lun_id})
    probe.undone(mapped_entry)
    unmapped = probe.read(host_path)
    if lun_id in (unmapped.get("mappedLunIds") or []):
        raise Failed(f"expected LUN {lun_id!r} gone from the host's mappedLunIds", probe.last)


# -- Consistency Group ----------------------------------------------------------------------------


def group_on_server_that(probe: Probe, supported: str) -> tuple[str, dict]:
    """A consistency group of a server whose ``supports.<supported>`` is true."""
    for server_id in probe.server_ids():
        server = server_of(probe, server_id)
        if not flag(server, "supports", supported):
            continue
        groups = probe.listed(server_id, "consistencygroup", "consistencyGroups")
        if groups:
            return server_id, groups[0]
    raise Skipped(f"no consistency group on a server that supports {supported}")


@check("consistencygroup.membership", "Consistency Group", writes=True)
def consistencygroup_membership(probe: Probe) -> None:
    """add-volume then remove-volume of a volume: the group with its targets each time."""
    server_id, group = group_on_server_that(probe, "persistentConsistencyGroup")
    _, clone = scratch_volume(probe, server_id)
    path = f"/server/{server_id}/consistencygroup/{group['id']}"
    body = {"volumeId": clone["id"], "poolId": clone["poolId"], "snapshotName": probe.unique("cg")}
    added = probe.json(action(probe, path, "add-volume", body))
    member = probe.on_cleanup(
        f"volume {clone['id']} in group {group['id']}",
        lambda: probe.undo("POST", path, body={"volumeIds": [clone["id"]]}, action="remove-volume"),
    )
    probe.conform(added, guide.GROUP_WITH_TARGETS, "group")
    if clone["id"] not in map(str, added["volumeIds"]):
        raise Failed(f"expected volume {clone['id']!r} in volumeIds", probe.last)
    removed = probe.json(action(probe, path, "remove-volume", {"volumeIds": [clone["id"]]}))
    probe.undone(member)
    probe.conform(removed, guide.GROUP_WITH_TARGETS, "group")
    if clone["id"] in map(str, removed["volumeIds"]):
        raise Failed(f"expected volume {clone['id']!r} gone from volumeIds", probe.last)


@check("consistencygroup.snapshot", "Consistency Group", writes=True)
def consistencygroup_snapshot(probe: Probe) -> None:
    """take-snapshot of a group (200), find it listed, condense it away by its prefix."""
    server_id, group = probe.first(
        "consistencygroup", "consistencyGroups", lambda g: bool(g.get("volumeIds"))
    )
    path = f"/server/{server_id}/consistencygroup/{group['id']}"
    prefix = probe.unique("cg")
    taken = probe.json(action(probe, path, "take-snapshot", {"prefix": prefix}))
    probe.conform(taken, guide.GROUP_SNAPSHOT, "group snapshot")
    for volume_id in map(str, group["volumeIds"]):
        probe.on_cleanup(
            f"snapshot {taken['name']} of volume {volume_id}",
            lambda v=volume_id: _delete_named_snapshot(probe, server_id, v, taken["name"]),
        )
    if not taken["name"].startswith(prefix):
        raise Failed(f"expected a name starting with the prefix {prefix!r}", probe.last)
    listed = probe.items(f"{path}/snapshot", "snapshots")
    if taken["id"] not in [s.get("id") for s in listed]:
        raise Failed("expected the group snapshot in the group's snapshot list", probe.last)
    body = {"ageInDays": 0, "numberOfInstances": 0, "snapshotPrefixes": [prefix]}
    action(probe, path, "condense", body)
    listed = probe.items(f"{path}/snapshot", "snapshots")
    if taken["id"] in [s.get("id") for s in listed]:
        probe.note("condense with ageInDays 0 and numberOfInstances 0 kept a new snapshot")


def _delete_named_snapshot(probe: Probe, server_id: str, volume_id: str, name: str) -> None:
    path = f"{volume_path(server_id, volume_id)}/snapshot"
    for snapshot in probe.items(path, "snapshots"):
        if snapshot.get("name") == name:
            probe.delete(f"{path}/{snapshot['id']}", 204, 200)


# -- Replication: a replicated snapshot and get-Progress -------------------------------------------


@check("snapshot.replication.progress", "Snapshot", writes=True)
def snapshot_replication_progress(probe: Probe) -> None:
    """A replicated snapshot: poll get-Progress until isCompleted, 0 to 100 percent."""
    for server_id in probe.server_ids():
        server = server_of(probe, server_id)
        wanted = ("replication", "volumeReplication", "newSnapshotReplication")
        replicates = all(flag(server, "supports", name) for name in wanted)
        if replicates and probe.listed(server_id, "remotearray", "remoteArrays"):
            break
    else:
        raise Skipped("no server that replicates new snapshots and has a remote array")
    _, clone = scratch_volume(probe, server_id)
    snapshot = make_snapshot(probe, server_id, clone["id"], replicate=True)
    probe.left_behind.append(
        f"the replica of snapshot {snapshot['name']} on the partner array(s): "
        "this session cannot reach them"
    )
    path = f"{volume_path(server_id, clone['id'])}/snapshot/{snapshot['id']}"

    def read():
        progress = probe.json(action(probe, path, "get-Progress", {}))
        probe.conform(progress, guide.PROGRESS, "progress")
        return progress

    seen = probe.wait_for(
        read, lambda p: p["snapshotReplicationStatus"]["isCompleted"] is True, "the replication"
    )
    percentages = [p["snapshotReplicationStatus"]["percentComplete"] for p in seen]
    if any(not 0 <= p <= 100 for p in percentages) or percentages != sorted(percentages):
        raise Failed(f"percentComplete: expected 0 to 100, never lower, got {percentages}")
    if percentages[-1] != 100:
        raise Failed(f"a completed replication: expected 100 percent, got {percentages[-1]}")
