"""``/server/{sid}/volume``: volumes."""

from __future__ import annotations

from flask import current_app

from mockarray.array import inventory, tasks, volumes
from mockarray.plugin import snapshot as snapshot_views
from mockarray.plugin.core import current_server
from mockarray.plugin.schemas import (
    CloneRequestSchema,
    MountSchema,
    RestoreRequestSchema,
    RestoreToAlternateSchema,
    RestoreToNewSchema,
    SnapshotCreatedSchema,
    SnapshotCreateSchema,
    SplitStatusSchema,
    VolumeListSchema,
    VolumeSchema,
)
from mockarray.web.actions import Actions
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.responses import no_content
from mockarray.web.transaction import db_session

blp = ApiBlueprint("volume", __name__, description="Volumes of a server.")


@blp.route("/server/<sid>/volume", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, VolumeListSchema)
def list_volumes(page, sid):
    """The server's volumes, oldest first.

    Each with its size and used space, its pool, what it supports (revert,
    split) and, for a clone, the snapshot it was made from. Paged with
    ``limit`` and ``start``, the total in ``X-Total-Count``.
    """
    volumes, total = inventory.list_volumes(db_session(), current_server(sid), page)
    return listing("volumes", volumes, total)


@blp.route("/server/<sid>/volume/<vid>", methods=["GET"])
@blp.response(200, VolumeSchema)
def get_volume(sid, vid):
    """One volume.

    The same fields as each item of the server's volume list. ``404`` when the
    server has no such volume (another array's objects are never visible).
    """
    return inventory.get_volume(db_session(), current_server(sid), vid)


@blp.route("/server/<sid>/volume/<vid>/splitstatus", methods=["GET"])
@blp.response(200, SplitStatusSchema)
def get_split_status(sid, vid):
    """Progress of the clone's split; 0 % for a clone not being split.

    A split copies the clone's shared blocks on the simulated clock (the
    control plane's ``/clock`` moves it on); once complete the volume no
    longer depends on its snapshot. A volume that is neither a clone nor was
    ever split is ``404``.
    """
    return tasks.split_status(db_session(), current_server(sid), vid)


@blp.route("/server/<sid>/volume/<vid>", methods=["DELETE"])
@blp.response(200, description="The volume and its snapshots were deleted.")
def delete_volume(sid, vid):
    """Delete a volume with its snapshots.

    Its space goes back to its pool. ``409`` while the volume is mapped to a
    host or host group, or while an unsplit clone depends on one of its
    snapshots: unmap it, or split or delete the clone, first.
    """
    volumes.delete_volume(db_session(), current_server(sid), vid)
    return no_content(200)


volume_actions = Actions(blp, "/server/<sid>/volume/<vid>", "volume")


def _split_rate() -> int | str:
    return current_app.config["SPLIT_RATE"]


@volume_actions.action("clone", body=CloneRequestSchema, response=VolumeSchema, refuses=(507,))
def clone(sid, vid, body):
    """Clone one of the volume's snapshots into a new thin volume."""
    return volumes.clone(
        db_session(),
        current_server(sid),
        vid,
        name=body["name"],
        snapshot_id=body["snapshot"]["id"],
        snapshot_name=body["snapshot"]["name"],
        server_group_keys=body["serverGroupKeys"],
        instant_split=body["instantSplit"],
    )


@volume_actions.action("mount", body=MountSchema, response=MountSchema)
def mount(sid, vid, body):
    """Mount the volume at a path (default /mnt/<volume name>)."""
    return {"path": volumes.mount(db_session(), current_server(sid), vid, path=body["path"])}


@volume_actions.action("split", response=SplitStatusSchema, refuses=(507,))
def split(sid, vid):
    """Start splitting a clone from its snapshot; progress in splitstatus."""
    return volumes.split(db_session(), current_server(sid), vid, rate=_split_rate())


@volume_actions.action("restore", body=RestoreRequestSchema, response=VolumeSchema, refuses=(507,))
def restore(sid, vid, body):
    """Revert the volume to one of its own snapshots."""
    return volumes.restore(db_session(), current_server(sid), vid, snapshot_id=body["snapshotId"])


@volume_actions.action(
    "restore-to-alternate", body=RestoreToAlternateSchema, response=VolumeSchema, refuses=(507,)
)
def restore_to_alternate(sid, vid, body):
    """Write one of the volume's snapshots over another volume."""
    return volumes.restore_to_alternate(
        db_session(),
        current_server(sid),
        vid,
        source_snapshot_id=body["sourceSnapshotId"],
        target_volume_id=body["targetVolumeId"],
    )


@volume_actions.action(
    "restore-to-new", body=RestoreToNewSchema, response=VolumeSchema, refuses=(507,)
)
def restore_to_new(sid, vid, body):
    """Restore one of the volume's snapshots into a new volume."""
    return volumes.restore_to_new(
        db_session(),
        current_server(sid),
        vid,
        source_snapshot_id=body["sourceSnapshotId"],
        target_volume_name=body["targetVolumeName"],
        target_pool_ids=body["targetPoolIds"],
    )


@volume_actions.action(
    "createSnapshot",
    body=SnapshotCreateSchema,
    response=SnapshotCreatedSchema,
    status=201,
    refuses=(507,),
)
def create_snapshot(sid, vid, body):
    """Take a snapshot (the same as POST …/volume/{vid}/snapshot)."""
    return snapshot_views.create(sid, vid, body)


volume_actions.register()
