"""``/server/{sid}/volume/{vid}/snapshot``: a volume's snapshots."""

from __future__ import annotations

from flask import current_app

from mockarray.array import inventory, replication, snapshots
from mockarray.plugin.core import API_PREFIX, current_server
from mockarray.plugin.schemas import (
    ProgressRequestSchema,
    ProgressSchema,
    SnapshotCreatedSchema,
    SnapshotCreateSchema,
    SnapshotListSchema,
    SnapshotSchema,
)
from mockarray.web.actions import Actions
from mockarray.web.blueprint import ApiBlueprint
from mockarray.web.pagination import PageQuery, listing
from mockarray.web.responses import no_content
from mockarray.web.transaction import db_session

blp = ApiBlueprint("snapshot", __name__, description="Snapshots of a volume.")


@blp.route("/server/<sid>/volume/<vid>/snapshot", methods=["GET"])
@blp.arguments(PageQuery, location="query")
@blp.response(200, SnapshotListSchema)
def list_snapshots(page, sid, vid):
    """The volume's snapshots, oldest first.

    A snapshot taken of a consistency group is listed on each member volume,
    with the group snapshot's id. Paged with ``limit`` and ``start``, the
    total in ``X-Total-Count``.
    """
    snapshots, total = inventory.list_snapshots(db_session(), current_server(sid), vid, page)
    return listing("snapshots", snapshots, total)


@blp.route("/server/<sid>/volume/<vid>/snapshot/<snid>", methods=["GET"])
@blp.response(200, SnapshotSchema)
def get_snapshot(sid, vid, snid):
    """One snapshot.

    The same fields as each item of the volume's snapshot list. ``404`` when the
    server has no such snapshot (another array's objects are never visible).
    """
    return inventory.get_snapshot(db_session(), current_server(sid), vid, snid)


def create(sid: str, vid: str, body: dict):
    """Take a snapshot: the answer and its ``Location``."""
    server = current_server(sid)
    snapshot = snapshots.create_snapshot(
        db_session(),
        server,
        vid,
        name=body["name"],
        pool_id=body["poolId"],
        replicate=body["replicate"],
        is_auto_delete=body["isAutoDelete"],
        replication_rate=current_app.config["REPLICATION_RATE"],
    )
    location = f"{API_PREFIX}/server/{sid}/volume/{vid}/snapshot/{snapshot.id}"
    return snapshot, {"Location": location}


@blp.route("/server/<sid>/volume/<vid>/snapshot", methods=["POST"])
@blp.arguments(SnapshotCreateSchema)
@blp.response(201, SnapshotCreatedSchema)
@blp.refuses(507)
def create_snapshot(body, sid, vid):
    """Take a snapshot of the volume (also ``POST …/volume/{vid}?action=createSnapshot``).

    The name is unique per volume: a retry with the same name and parameters
    answers the snapshot taken the first time, other parameters are ``409``.
    """
    return create(sid, vid, body)


@blp.route("/server/<sid>/volume/<vid>/snapshot/<snid>", methods=["DELETE"])
@blp.response(204, description="The snapshot was deleted.")
def delete_snapshot(sid, vid, snid):
    """Delete a snapshot.

    The space it held goes back to the pool. ``409`` while an unsplit clone
    depends on it: split or delete the clone first.
    """
    snapshots.delete_snapshot(db_session(), current_server(sid), vid, snid)
    return no_content(204)


snapshot_actions = Actions(blp, "/server/<sid>/volume/<vid>/snapshot/<snid>", "snapshot")


@snapshot_actions.action("get-Progress", body=ProgressRequestSchema, response=ProgressSchema)
def get_progress(sid, vid, snid, body):
    """The replication status of the snapshot."""
    return replication.progress(
        db_session(),
        current_server(sid),
        vid,
        snid,
        destination_snapshot_id=body["destinationSnapshotId"],
        destination_server_id=body["destinationServerId"],
    )


snapshot_actions.register()
